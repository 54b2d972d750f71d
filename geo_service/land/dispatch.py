"""Who runs the queued jobs: a dispatcher thread in every server (and in ``worker`` hosts).

The dispatcher claims jobs from the shared queue (``store.queue``) while this process's
worker pool has room, hands each to a worker *process* (a check holds the GIL for seconds),
renews the leases of the jobs it holds every third of a lease, and fails the jobs whose lease
ran out too many times (their servers kept dying). A server killed with ``kill -9`` takes its
workers with it (they watch their parent), its leases run out, and another server's
dispatcher claims the jobs again: a job is never lost, and its lease token makes sure it
completes once.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import weakref
from dataclasses import dataclass

from sqlalchemy import Connection, update

from geo_service.messages import Msg, record
from geo_service.store.queue import JobQueue
from geo_service.store.schema import jobs as jobs_table
from geo_service.store.schema import rechecks as rechecks_table

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Held:
    """A claimed job as its worker holds it: every write renews the lease first."""

    id: str
    token: str
    lease_s: float
    queue: JobQueue

    def hold(self, db: Connection) -> None:
        self.queue.hold(db, self.id, self.token, self.lease_s)

    def finish(self, db: Connection, state: str) -> None:
        self.queue.finish(db, self.id, self.token, state)

    @staticmethod
    def alive(settings: dict) -> None:
        """A worker whose server died (its parent changed) ends here, at once."""
        parent = settings.get("parent")
        if parent is not None and os.getppid() != parent:
            os._exit(0)


class Unqueued:
    """A job run outside the queue (the CLI's re-check): nothing to hold."""

    id = ""

    def hold(self, db: Connection) -> None:
        pass

    def finish(self, db: Connection, state: str) -> None:
        pass

    @staticmethod
    def alive(settings: dict) -> None:
        pass


def run_claimed(url: str, job_id: str, kind: str, token: str, spec: dict, settings: dict):
    """In a worker process: run the claimed job ``job_id`` of ``kind`` on the store at
    ``url`` (opened once per process). The outcome says ``recycle`` when this worker holds
    more than ``max_held_mb`` above its start after the job (its server then replaces it)."""
    from geo_service.land import check_job, memory, recheck_run
    from geo_service.store import shared_store

    store = shared_store(url)
    held = Held(job_id, token, float(settings["lease_s"]), JobQueue(store.engine))
    if kind == "check":
        outcome = check_job.run_check_job(store, held, spec, settings)
    else:
        outcome = recheck_run.run_recheck({**spec, "id": job_id, "url": url}, held, settings)
    limit = settings.get("max_held_mb")
    if limit is not None:
        memory.give_back()
        outcome = {**(outcome or {}), "recycle": memory.held_mb() > float(limit)}
    return outcome


def abandoned_error(attempts: int) -> dict:
    return {
        "status": 503,
        "code": "job_abandoned",
        **record(message=Msg("jobs.abandoned", attempts=attempts)),
    }


def mark_abandoned(db: Connection, rows: list[tuple]) -> None:
    """The records of jobs given up after their attempts: failed, saying why."""
    from geo_service.land.jobs import now

    for job_id, kind, attempts in rows:
        log.error("job %s (%s) abandoned after %s attempts", job_id, kind, attempts)
        table = jobs_table if kind == "check" else rechecks_table
        error = json.dumps(abandoned_error(attempts), ensure_ascii=False)
        db.execute(
            update(table)
            .where(table.c.id == job_id, table.c.status.in_(("queued", "running")))
            .values(status="failed", error=error, updated_at=now())
        )


class Dispatcher(threading.Thread):
    """Claims jobs for ``jobs`` (a ``land.jobs.Jobs``) while its pool has room; ends with it
    (held weakly) or on ``stop``."""

    def __init__(self, jobs):
        super().__init__(name="geo_service-dispatcher", daemon=True)
        self.jobs = weakref.ref(jobs)
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.next_renewal = 0.0
        self.failing = False

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()

    def run(self) -> None:
        while not self.stopping.is_set():
            jobs = self.jobs()
            if jobs is None:
                return
            try:
                self.tick(jobs)
                self.failing = False
            except Exception:  # the database away a moment: try again at the next poll
                if not self.failing:  # once per outage, not once a poll
                    log.exception("job dispatcher: claiming failed, trying again")
                self.failing = True
            poll = jobs.poll_s
            del jobs
            self.wake.wait(poll)
            self.wake.clear()

    def tick(self, jobs) -> None:
        if time.monotonic() >= self.next_renewal:
            self.next_renewal = time.monotonic() + jobs.lease_s / 3
            with jobs.lock:
                held = dict(jobs.held)
            for job_id in jobs.queue.renew(held, jobs.lease_s):
                with jobs.lock:
                    jobs.held.pop(job_id, None)
        claimable, spent = jobs.queue.pending(jobs.max_attempts)
        if spent:
            jobs.queue.abandon(jobs.max_attempts, mark_abandoned)
        while claimable and not self.stopping.is_set() and jobs.room() > 0:
            claim = jobs.queue.claim(jobs.owner, jobs.lease_s, jobs.max_attempts)
            if claim is None:
                return
            jobs.launch(claim)
