"""A re-check in the background: queued on the checks' worker pool, its progress and outcome
in its own record (``store.rechecks``).

The same pool and the same bound as the checks (``land.jobs``): a re-check is one more job
in flight, past ``workers + max_queued`` the answer is Busy (503, Retry-After); the worker
runs at lower CPU priority and ends when its server dies. The record outlives the server: a
re-check left queued or running by a dead server reads back ``interrupted``. The CLI runs
the same :func:`run_recheck` in its own process.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections import Counter
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

from geo_service.errors import GeoServiceError
from geo_service.land import recheck
from geo_service.land.jobs import (
    INTERRUPTED_MESSAGE,
    OWNER,
    PROGRESS_EVERY_S,
    internal_error,
    now,
    owner_alive,
    pool,
)
from geo_service.messages import record
from geo_service.store.rechecks import ACTIVE, RecheckRecords

log = logging.getLogger(__name__)


def prepare(
    store,
    register,
    *,
    since,
    checks,
    version,
    time_zone: str,
    max_checks: int,
    max_parcels: int,
    tolerance_m2: float = recheck.CHANGE_TOLERANCE_M2,
) -> tuple[recheck.Selection, object, recheck.Plan]:
    """What the user asked, read and bounded: (selection, the zones LayerVersion, the plan
    of checks to re-run and to skip). Every fault is a 400/413 in words before anything runs."""
    layer_version = recheck.parse_version(version, store)
    given, since_utc = recheck.parse_since(since, time_zone)
    ids = recheck.parse_check_ids(checks, max_checks)
    tolerance = max(recheck.CHANGE_TOLERANCE_M2, float(tolerance_m2))
    selection = recheck.Selection(layer_version.number, given, since_utc, ids, tolerance)
    return selection, layer_version, recheck.plan(register, selection, max_checks, max_parcels)


def new_record(
    recheck_id: str, selection: recheck.Selection, version, plan: recheck.Plan, who: tuple
) -> dict:
    """The queued record of a re-check: what it will run, against which version."""
    stamp = now()
    user, address = who
    return {
        "id": recheck_id,
        "created_at": stamp,
        "updated_at": stamp,
        "user": user[:64],
        "client_addr": address[:64],
        "owner": OWNER,
        "status": "queued",
        "stage": "queued",
        "done": 0,
        "total": plan.parcels,
        "zones_layer": recheck.LAYER,
        "zones_version": version.number,
        "zones_sha256": version.content_sha256,
        "selection": {**selection.to_dict(), "checks_run": [c["id"] for c in plan.checks]},
        "summary": {"skipped_checks": plan.skipped, "checks_run": len(plan.checks)},
    }


def spec_of(
    recheck_id: str, url: str, register, selection: recheck.Selection, plan: recheck.Plan
) -> dict:
    return {
        "id": recheck_id,
        "url": url,
        "register": register,
        "version": selection.version,
        "tolerance_m2": selection.tolerance_m2,
        "checks": plan.checks,
        "skipped": len(plan.skipped),
        "parent": os.getpid(),
    }


def submit(jobs, records: RecheckRecords, row: dict, spec: dict) -> str:
    """Queue the re-check ``row`` on the checks' pool (Busy when the pool is full)."""
    recheck_id = row["id"]
    with jobs.lock:
        jobs.refuse_when_full()
        records.create(row)
        try:
            future = pool(jobs.workers).submit(run_recheck, spec)
        except BrokenProcessPool:
            future = pool(jobs.workers).submit(run_recheck, spec)  # a fresh pool
        jobs.futures[recheck_id] = future

    def settled(done: Future) -> None:
        """A worker that died (killed, out of memory) leaves its re-check failed."""
        if done.exception() is not None:
            log.error("re-check %s: worker failed: %r", recheck_id, done.exception())
            records.update(recheck_id, status="failed", error=internal_error(), updated_at=now())
        with jobs.lock:
            jobs.futures.pop(recheck_id, None)

    future.add_done_callback(settled)
    return recheck_id


def new_id() -> str:
    return uuid.uuid4().hex[:16]


def start(store, register, jobs, asked: dict, who: tuple, limits: dict) -> tuple[str, dict]:
    """Read and bound what was asked (``asked``: since, checks, version; ``limits``:
    time_zone, max_checks, max_parcels), record the re-check and queue it on the checks'
    pool: (its id, what the audit log keeps of it)."""
    selection, version, plan = prepare(store, register, **asked, **limits)
    recheck_id = new_id()
    row = new_record(recheck_id, selection, version, plan, who)
    spec = spec_of(recheck_id, store.url, register, selection, plan)
    submit(jobs, RecheckRecords(store.engine), row, spec)
    detail = {
        "recheck": recheck_id,
        "zones_version": version.number,
        "checks": len(plan.checks),
        "skipped": len(plan.skipped),
    }
    return recheck_id, detail


def run_in_process(store, register, asked: dict, who: tuple, limits: dict) -> dict:
    """The same re-check run here, to its end (the CLI): its record when done or failed."""
    selection, version, plan = prepare(store, register, **asked, **limits)
    recheck_id = new_id()
    records = RecheckRecords(store.engine)
    records.create(new_record(recheck_id, selection, version, plan, who))
    spec = spec_of(recheck_id, store.url, register, selection, plan)
    spec["parent"] = None  # this process: nobody to outlive
    run_recheck(spec)
    return records.get(recheck_id)


def state(records: RecheckRecords, recheck_id: str) -> dict:
    """The record; one queued or running under a server that is gone reads ``interrupted``."""
    row = records.get(recheck_id)
    if row["status"] in ACTIVE and not owner_alive(row["owner"]):
        records.update(recheck_id, status="interrupted", updated_at=now())
        row = records.get(recheck_id)
    if row["status"] == "interrupted":
        row.update(record(message=INTERRUPTED_MESSAGE))
    return row


# ---- in the worker process (or the CLI's) -----------------------------------------------------


def run_recheck(spec: dict) -> dict:
    """Re-run the checks of ``spec`` against its zones version; write the changed parcels as
    they come, the counts at the end. A worker whose server died stops at the next report."""
    from geo_service.store import open_store

    recheck_id = spec["id"]
    store = open_store(spec["url"])
    records = RecheckRecords(store.engine)
    register = spec["register"]
    last = [0.0]
    total = sum(c["parcels"] for c in spec["checks"])

    def progress(stage: str, done: int, force: bool = False) -> None:
        if spec.get("parent") is not None and os.getppid() != spec["parent"]:
            os._exit(0)
        moment = time.monotonic()
        if force or moment - last[0] >= PROGRESS_EVERY_S:
            last[0] = moment
            records.update(recheck_id, stage=stage, done=done, total=total, updated_at=now())

    try:
        if not records.update(recheck_id, status="running", stage="reading", updated_at=now()):
            return {"id": recheck_id, "status": "gone"}
        zones = recheck.zones_frame(store.features(recheck.LAYER, spec["version"]))
        pairs, changed_pairs, done, written = Counter(), Counter(), 0, 0
        used_versions = Counter()
        progress("checking", 0, force=True)
        checks = [recheck.described(register.get(c["id"])) for c in spec["checks"]]
        used_versions.update(str(c["zones_version"] or "") for c in checks)
        tolerance = spec.get("tolerance_m2", recheck.CHANGE_TOLERANCE_M2)
        for batch in recheck.recheck_parcels(register, checks, zones, tolerance=tolerance):
            records.add_parcels(recheck_id, written, batch.changed, batch.wkbs)
            written += len(batch.changed)
            pairs.update(batch.pairs)
            changed_pairs.update(batch.changed_pairs)
            done += batch.parcels
            progress("checking", done)
        summary = records.get(recheck_id)["summary"]
        summary.update(
            recheck.summary_of(pairs, changed_pairs, len(spec["checks"]), spec["skipped"])
        )
        summary["zones_versions_before"] = {k or "?": v for k, v in used_versions.items()}
        records.update(
            recheck_id,
            status="done",
            stage="done",
            done=done,
            total=done,
            summary=summary,
            finished_at=now(),
            updated_at=now(),
        )
        return {"id": recheck_id, "status": "done"}
    except GeoServiceError as exc:
        records.update(recheck_id, status="failed", error=exc.to_record(), updated_at=now())
        return {"id": recheck_id, "status": "failed"}
    except Exception:  # a bug: visible in the log, never a job lost silently
        log.exception("re-check %s failed", recheck_id)
        records.update(recheck_id, status="failed", error=internal_error(), updated_at=now())
        return {"id": recheck_id, "status": "failed"}
    finally:
        store.engine.dispose()
