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
Measured against main (benchmarks/README.md, ``big_check.py``, 2026-12-01, 100,000 parcels,
one run each): RSS held after a ``big`` check +137 and +110 MB before, +80 MB with these, at
the same CPU seconds. ``PYTHONMALLOC=malloc`` in the server's environment (which its check
workers inherit) brings it to +36 MB, but costs 1.11-1.24 times the CPU seconds of a big check
and 1.53 times of an in-process one (glibc malloc is slower than pymalloc for small objects),
so it is the operator's choice, not a default.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc

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
