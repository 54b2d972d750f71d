"""The shared job queue in the database: checks and re-checks any server may run.

A job is a row of ``job_queue`` (its parameters) and rows of ``job_inputs`` (its uploaded
bytes), written in the transaction that records it. A server *claims* the oldest waiting job
(or one whose lease expired: its server died) and holds it under a lease: its name, a fresh
token and an end time it renews while the job runs. Every write of the job's progress and its
completion goes through :meth:`JobQueue.hold` or :meth:`JobQueue.finish` in the same
transaction, conditioned on the token: a server whose lease was taken over writes nothing,
so a job completes at most once even if two servers ran it.

Claiming is the one dialect-specific statement: PostgreSQL locks the row it picks with
``SELECT ... FOR UPDATE SKIP LOCKED LIMIT 1`` (two servers never wait on each other nor pick
the same job), SQLite picks and marks in one ``UPDATE ... RETURNING`` (the statement takes
the database's write lock before it reads, so two claimers are serialised). Lease times are
epoch seconds from the servers' clocks: they must agree to well within a lease (NTP).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, and_, delete, func, or_, select, update

from geo_service.store.schema import job_inputs, job_queue

q = job_queue
KINDS = ("check", "recheck")


class LeaseLost(Exception):
    """This server no longer holds the job (its lease expired and another took it, or the job
    ended): whatever it was writing is rolled back."""


@dataclass(frozen=True)
class Claim:
    """A job this server holds: run it, renew ``token``'s lease, finish it with the token."""

    id: str
    kind: str
    spec: dict
    attempts: int
    token: str


def stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class JobQueue:
    """The queue tables behind ``engine``."""

    def __init__(self, engine: Engine):
        self.engine = engine

    # ---- the submitting server --------------------------------------------------------------

    def enqueue(
        self, db: Connection, job_id: str, kind: str, spec: dict, inputs: dict[str, tuple]
    ) -> None:
        """Queue a job in the caller's transaction (with its record): ``inputs`` maps a part
        (parcels, zones ...) to (file name, bytes)."""
        if kind not in KINDS:
            raise ValueError(kind)
        moment = stamp()
        db.execute(
            q.insert().values(
                id=job_id,
                kind=kind,
                state="queued",
                spec=json.dumps(spec, ensure_ascii=False, separators=(",", ":")),
                attempts=0,
                created_at=moment,
                updated_at=moment,
            )
        )
        rows = [
            {"job_id": job_id, "part": part, "name": name, "data": data}
            for part, (name, data) in inputs.items()
        ]
        if rows:
            db.execute(job_inputs.insert(), rows)

    def waiting(self) -> int:
        """Jobs no server is running: queued, or held under a lease that expired."""
        with self.engine.connect() as db:
            query = select(func.count()).select_from(q).where(self.claimable(10**9))
            return db.execute(query).scalar() or 0

    def pending(self, max_attempts: int) -> tuple[bool, bool]:
        """(a job can be claimed, a job is to be given up): one read, so an idle server
        takes no write lock to find nothing."""
        moment = time.time()
        expired = and_(q.c.state == "running", q.c.lease_until < moment)
        with self.engine.connect() as db:
            claimable = db.execute(
                select(q.c.id).where(self.claimable(max_attempts, moment)).limit(1)
            ).first()
            spent = db.execute(
                select(q.c.id).where(expired, q.c.attempts >= max_attempts).limit(1)
            ).first()
        return claimable is not None, spent is not None

    def get(self, job_id: str) -> dict | None:
        """The job's queue row (without its spec), None when it was never queued."""
        columns = [c for c in q.c if c.name != "spec"]
        with self.engine.connect() as db:
            row = db.execute(select(*columns).where(q.c.id == job_id)).mappings().first()
        return dict(row) if row else None

    def known(self, ids: list[str]) -> set[str]:
        """Which of ``ids`` are (or were) in the queue."""
        if not ids:
            return set()
        with self.engine.connect() as db:
            return set(db.execute(select(q.c.id).where(q.c.id.in_(ids))).scalars())

    # ---- the running server -----------------------------------------------------------------

    @staticmethod
    def claimable(max_attempts: int, at: float | None = None):
        """Waiting, or running under an expired lease with attempts left."""
        moment = time.time() if at is None else at
        return or_(
            q.c.state == "queued",
            and_(q.c.state == "running", q.c.lease_until < moment, q.c.attempts < max_attempts),
        )

    def claim(self, owner: str, lease_s: float, max_attempts: int) -> Claim | None:
        """Take the oldest claimable job under a new lease, or None when there is none."""
        token = uuid.uuid4().hex
        moment = time.time()
        values = {
            "state": "running",
            "owner": owner[:128],
            "lease_token": token,
            "lease_until": moment + lease_s,
            "attempts": q.c.attempts + 1,
            "updated_at": stamp(),
        }
        wanted = self.claimable(max_attempts, moment)
        returned = (q.c.id, q.c.kind, q.c.spec, q.c.attempts)
        with self.engine.begin() as db:
            if db.dialect.name == "postgresql":
                picked = db.execute(
                    select(q.c.id)
                    .where(wanted)
                    .order_by(q.c.created_at, q.c.id)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                ).scalar()
                if picked is None:
                    return None
                row = db.execute(
                    update(q).where(q.c.id == picked).values(**values).returning(*returned)
                ).first()
            else:  # SQLite: pick and mark in one statement under the write lock
                oldest = (
                    select(q.c.id)
                    .where(wanted)
                    .order_by(q.c.created_at, q.c.id)
                    .limit(1)
                    .scalar_subquery()
                )
                row = db.execute(
                    update(q).where(q.c.id == oldest, wanted).values(**values).returning(*returned)
                ).first()
        if row is None:
            return None
        return Claim(row.id, row.kind, json.loads(row.spec), row.attempts, token)

    def inputs(self, job_id: str) -> dict[str, tuple[str, bytes]]:
        """The job's uploaded files: part -> (file name, bytes)."""
        t = job_inputs
        with self.engine.connect() as db:
            rows = db.execute(select(t.c.part, t.c.name, t.c.data).where(t.c.job_id == job_id))
            return {row.part: (row.name, bytes(row.data)) for row in rows}

    def hold(self, db: Connection, job_id: str, token: str, lease_s: float) -> None:
        """In the caller's transaction, before its writes: renew the lease, or LeaseLost."""
        held = db.execute(
            update(q)
            .where(q.c.id == job_id, q.c.lease_token == token, q.c.state == "running")
            .values(lease_until=time.time() + lease_s, updated_at=stamp())
        ).rowcount
        if held != 1:
            raise LeaseLost(job_id)

    def renew(self, held: dict[str, str], lease_s: float) -> set[str]:
        """Renew the leases of the jobs ``held`` (id -> token); the ids no longer held."""
        lost = set()
        for job_id, token in held.items():
            try:
                with self.engine.begin() as db:
                    self.hold(db, job_id, token, lease_s)
            except LeaseLost:
                lost.add(job_id)
        return lost

    def unclaim(self, job_id: str, token: str) -> None:
        """Give back a job this server claimed but could not start: waiting again, as if
        never claimed."""
        with self.engine.begin() as db:
            db.execute(
                update(q)
                .where(q.c.id == job_id, q.c.lease_token == token, q.c.state == "running")
                .values(
                    state="queued",
                    attempts=q.c.attempts - 1,
                    lease_token=None,
                    lease_until=None,
                    updated_at=stamp(),
                )
            )

    def release(self, job_id: str, token: str) -> None:
        """Give a held job back at once (its worker died): claimable again, with its
        attempts counted."""
        with self.engine.begin() as db:
            db.execute(
                update(q)
                .where(q.c.id == job_id, q.c.lease_token == token, q.c.state == "running")
                .values(lease_until=0.0, updated_at=stamp())
            )

    def finish(self, db: Connection, job_id: str, token: str | None, state: str) -> None:
        """In the caller's transaction, first: end the job (done or failed) and drop its
        inputs, or LeaseLost when this server no longer holds it. ``token`` None: the job is
        ended whoever holds it (its server saw it fail)."""
        condition = [q.c.id == job_id, q.c.state.in_(("queued", "running"))]
        if token is not None:
            condition.append(q.c.lease_token == token)
        ended = db.execute(
            update(q)
            .where(*condition)
            .values(state=state, lease_token=None, lease_until=None, updated_at=stamp())
        ).rowcount
        if ended != 1:
            raise LeaseLost(job_id)
        db.execute(delete(job_inputs).where(job_inputs.c.job_id == job_id))

    def abandon(
        self, max_attempts: int, on_failed: Callable[[Connection, list[tuple]], None]
    ) -> list[tuple]:
        """Jobs whose lease expired after ``max_attempts`` runs fail: (id, kind, attempts)
        of each, passed to ``on_failed`` in the same transaction to mark their records."""
        moment = time.time()
        with self.engine.begin() as db:
            rows = db.execute(
                update(q)
                .where(
                    q.c.state == "running",
                    q.c.lease_until < moment,
                    q.c.attempts >= max_attempts,
                )
                .values(state="failed", lease_token=None, lease_until=None, updated_at=stamp())
                .returning(q.c.id, q.c.kind, q.c.attempts)
            ).all()
            found = [tuple(row) for row in rows]
            if found:
                ids = [row[0] for row in found]
                db.execute(delete(job_inputs).where(job_inputs.c.job_id.in_(ids)))
                on_failed(db, found)
        return found
