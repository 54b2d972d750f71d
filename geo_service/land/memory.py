"""What a check worker process does so that a check leaves little resident after it.

A big check (land.big_check) makes millions of short-lived Python objects (records, dicts,
messages) and hundreds of MB of numpy and GEOS buffers, in the worker's main thread and in
the dask threads. Freed, much of that stays in the allocators rather than going back to the
OS (why, as understood, not measured one by one):

- CPython's small-object allocator (pymalloc) frees a 1 MB arena only when every object in it
  is gone, so a few objects that outlive the check pin whole arenas, which ``malloc_trim``
  cannot touch. Under ``PYTHONMALLOC=malloc`` objects come from glibc malloc, whose free
  pages ``malloc_trim`` gives back.
- glibc raises its mmap threshold to the largest buffer freed so far (up to 32 MB), after
  which large buffers come from the thread arenas and stay there; a fixed threshold keeps
  buffers over 128 KB in their own mappings, unmapped when freed.

So the check workers set fixed thresholds at start (:func:`tune`) and after each check
:func:`give_back` collects and trims; big_check's dask workers do not profile (``QUIET``).
That is not enough after a big check: pymalloc's arenas stay. After a 10^6-parcel check the
live Python objects were what they were before (80 MB in allocated blocks), spread over 259
arenas instead of 77: +200 MB resident, +26 and +8 MB more after a second and a third check.
So a worker measures what it holds above its RSS once it had imported what jobs use
(:func:`warm_up`, :func:`held_mb`); above CHECK_WORKER_MAX_HELD_MB (64) its server replaces
it with a fresh process (land.jobs.retire, as celery's ``worker_max_memory_per_child`` does).
A small check leaves a worker +9 MB above its start, a big one +80 (10^5) to +200 MB (10^6).
``PYTHONMALLOC=malloc`` (objects from glibc, which ``malloc_trim`` empties: +30 MB after a
10^6 check) costs 1.3x the CPU seconds of a big check and 1.5x of an in-process one, so it
stays the operator's choice (README), not a default.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os

_baseline: list[int] = []  # this worker's RSS when it was ready, in bytes
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
THRESHOLD = 128 * 1024  # glibc's own default, fixed (setting it turns the adaptation off)


def _libc():
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (another libc, another OS): nothing to tune
        return None


def tune() -> None:
    """Fixed mmap and trim thresholds (glibc; elsewhere nothing)."""
    libc = _libc()
    if libc is None:
        return
    with contextlib.suppress(AttributeError):
        libc.mallopt(M_MMAP_THRESHOLD, THRESHOLD)
        libc.mallopt(M_TRIM_THRESHOLD, THRESHOLD)


def give_back() -> None:
    """Return what a finished check freed to the OS."""
    gc.collect()
    libc = _libc()
    if libc is not None:
        with contextlib.suppress(AttributeError):
            libc.malloc_trim(0)


def resident_bytes() -> int | None:
    """This process's resident set (Linux ``/proc``; elsewhere None: never recycled)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def warm_up() -> None:
    """Import what jobs use, then remember this worker's RSS (what it holds after a job is
    measured from it)."""
    from geo_service.land import big_check, check_job, recheck_run, register  # noqa: F401
    from geo_service.land.readers import ogr  # noqa: F401  (GDAL, via pyogrio)

    gc.collect()
    rss = resident_bytes()
    _baseline[:] = [rss] if rss is not None else []


def held_mb() -> float:
    """MB this worker holds above its RSS when it was ready (0 when unknown)."""
    rss = resident_bytes()
    if rss is None or not _baseline:
        return 0.0
    return (rss - _baseline[0]) / 2**20
