"""A re-check in the background: queued in the shared job queue with the checks, its
progress and outcome in its own record (``store.rechecks``).

The same queue, pool and bound as the checks (``land.jobs``): a re-check is one more job,
past the queue's bound the answer is Busy (503, Retry-After); any server claims it under a
lease, its worker runs at lower CPU priority and ends when its server dies, and another server
runs it again once the lease ran out (its changed parcels written so far are dropped first).
Every write renews the lease in the same transaction, so it completes once. A re-check from
before the queue left by a dead server reads back ``interrupted``. The CLI runs the same
:func:`run_recheck` in its own process, outside the queue.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter

from geo_service.errors import GeoServiceError
from geo_service.land import recheck
from geo_service.land.dispatch import Unqueued
from geo_service.land.jobs import (
    INTERRUPTED_MESSAGE,
    PROGRESS_EVERY_S,
    internal_error,
    now,
    owner_alive,
    process_owner,
)
from geo_service.messages import record
from geo_service.store.queue import JobQueue, LeaseLost
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
        "owner": process_owner(),
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


def spec_of(register, selection: recheck.Selection, plan: recheck.Plan) -> dict:
    """What the worker needs (JSON, kept in the queue): the version, the checks to re-run."""
    return {
        "inline_parcels": register.inline_parcels,
        "version": selection.version,
        "tolerance_m2": selection.tolerance_m2,
        "checks": plan.checks,
        "skipped": len(plan.skipped),
    }


def submit(jobs, records: RecheckRecords, row: dict, spec: dict) -> str:
    """Queue the re-check ``row`` with the checks (Busy when the queue is full)."""
    return jobs.enqueue(row["id"], "recheck", spec, {}, lambda db: records.create(row, db=db))


def new_id() -> str:
    return uuid.uuid4().hex[:16]


def start(store, register, jobs, asked: dict, who: tuple, limits: dict) -> tuple[str, dict]:
    """Read and bound what was asked (``asked``: since, checks, version; ``limits``:
    time_zone, max_checks, max_parcels), record the re-check and queue it on the checks'
    pool: (its id, what the audit log keeps of it)."""
    selection, version, plan = prepare(store, register, **asked, **limits)
    recheck_id = new_id()
    row = new_record(recheck_id, selection, version, plan, who)
    submit(jobs, RecheckRecords(store.engine), row, spec_of(register, selection, plan))
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
    spec = {**spec_of(register, selection, plan), "id": recheck_id, "url": store.url}
    run_recheck(spec, Unqueued(), {}, store)  # this process: no queue, nobody to outlive
    return records.get(recheck_id)


def state(records: RecheckRecords, recheck_id: str) -> dict:
    """The record; one queued or running under a server that is gone reads ``interrupted``."""
    row = records.get(recheck_id)
    if (
        row["status"] in ACTIVE
        and not owner_alive(row["owner"])
        and not JobQueue(records.engine).known([recheck_id])
    ):
        records.update(recheck_id, status="interrupted", updated_at=now())
        row = records.get(recheck_id)
    if row["status"] == "interrupted":
        row.update(record(message=INTERRUPTED_MESSAGE))
    return row


# ---- in the worker process (or the CLI's) -----------------------------------------------------


def run_recheck(spec: dict, held, settings: dict, store=None) -> dict:
    """Re-run the checks of ``spec`` against its zones version; write the changed parcels as
    they come, the counts at the end, each write under ``held``'s lease (a ``dispatch.Held``,
    or ``Unqueued``). A worker whose server died stops at the next report."""
    from geo_service.land.register import Register
    from geo_service.store import shared_store

    recheck_id = spec["id"]
    store = store or shared_store(spec["url"])
    records = RecheckRecords(store.engine)
    register = Register(store, spec["inline_parcels"])
    last = [0.0]
    total = sum(c["parcels"] for c in spec["checks"])

    def progress(stage: str, done: int, force: bool = False) -> None:
        held.alive(settings)
        moment = time.monotonic()
        if force or moment - last[0] >= PROGRESS_EVERY_S:
            last[0] = moment
            with store.engine.begin() as db:
                held.hold(db)
                records.update(
                    recheck_id, db=db, stage=stage, done=done, total=total, updated_at=now()
                )

    def ended(db, **values) -> None:
        held.finish(db, values["status"])
        records.update(recheck_id, db=db, updated_at=now(), **values)

    try:
        with store.engine.begin() as db:
            held.hold(db)
            records.drop_parcels(recheck_id, db)  # a run taken over starts from the first
            started = records.update(
                recheck_id, db=db, status="running", stage="reading", done=0, updated_at=now()
            )
            if not started:  # its record ended meanwhile: the job ends with it
                held.finish(db, "failed")
        if not started:
            return {"id": recheck_id, "status": "gone"}
        zones = recheck.zones_frame(store.features(recheck.LAYER, spec["version"]))
        pairs, changed_pairs, done, written = Counter(), Counter(), 0, 0
        used_versions = Counter()
        progress("checking", 0, force=True)
        checks = [recheck.described(register.get(c["id"])) for c in spec["checks"]]
        used_versions.update(str(c["zones_version"] or "") for c in checks)
        tolerance = spec.get("tolerance_m2", recheck.CHANGE_TOLERANCE_M2)
        for batch in recheck.recheck_parcels(register, checks, zones, tolerance=tolerance):
            with store.engine.begin() as db:
                held.hold(db)
                records.add_parcels(recheck_id, written, batch.changed, batch.wkbs, db=db)
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
        with store.engine.begin() as db:
            ended(
                db,
                status="done",
                stage="done",
                done=done,
                total=done,
                summary=summary,
                finished_at=now(),
            )
        return {"id": recheck_id, "status": "done"}
    except LeaseLost:
        log.warning("re-check %s: lease lost (another server runs it), stopped", recheck_id)
        return {"id": recheck_id, "status": "lost"}
    except GeoServiceError as exc:
        return failed(store, recheck_id, ended, exc.to_record())
    except Exception:  # a bug: visible in the log, never a job lost silently
        log.exception("re-check %s failed", recheck_id)
        return failed(store, recheck_id, ended, internal_error())


def failed(store, recheck_id: str, ended, error: dict) -> dict:
    try:
        with store.engine.begin() as db:
            ended(db, status="failed", error=error)
    except LeaseLost:
        return {"id": recheck_id, "status": "lost"}
    return {"id": recheck_id, "status": "failed"}
