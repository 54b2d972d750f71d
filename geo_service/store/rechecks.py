"""The re-check records in the store: one row per re-check, one per changed parcel.

A re-check (``land.recheck``) is its own record: the checks it re-ran are only read. Its row
carries its progress while it runs (status, stage, done, total, and the server process that
owns it, so a re-check left by a dead server reads back ``interrupted``) and its counts when
done; the changed parcels are appended in batches while it runs, so memory stays flat.
Portable SQLAlchemy Core only, as in ``store.sql``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

from sqlalchemy import Connection, Engine, func, select

from geo_service.errors import NotFound
from geo_service.store import schema
from geo_service.store.engine import open_engine

ACTIVE = ("queued", "running")
#: Rows read per fetch when streaming a re-check's changed parcels.
BATCH = 2000
#: The columns a listing gives (no changed parcels).
LIST_COLUMNS = (
    "id",
    "created_at",
    "finished_at",
    "user",
    "status",
    "zones_layer",
    "zones_version",
    "selection",
    "summary",
)


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


class RecheckRecords:
    """The re-check tables behind ``engine`` (a store's, or one opened from its URL)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @classmethod
    def at(cls, url: str) -> RecheckRecords:
        """Records opened from a store URL (in a worker process: its own engine)."""
        return cls(open_engine(url))

    def begin(self, db: Connection | None):
        """The caller's transaction ``db``, else a new one."""
        return contextlib.nullcontext(db) if db is not None else self.engine.begin()

    def create(self, row: dict, db: Connection | None = None) -> None:
        """A new re-check, queued; ``row`` has every column but the JSON ones as objects."""
        values = {**row, "selection": dumps(row["selection"]), "summary": dumps(row["summary"])}
        with self.begin(db) as conn:
            conn.execute(schema.rechecks.insert().values(**values))

    def update(
        self, recheck_id: str, only_active: bool = True, db: Connection | None = None, **values
    ) -> bool:
        """Set columns of one re-check (JSON ones given as objects); False when it was no
        longer queued or running (``only_active``): a finished record is never rewritten.
        ``db``: in the caller's transaction."""
        for name in ("summary", "error"):
            if name in values and not isinstance(values[name], str | None):
                values[name] = dumps(values[name])
        table = schema.rechecks
        query = table.update().where(table.c.id == recheck_id)
        if only_active:
            query = query.where(table.c.status.in_(ACTIVE))
        with self.begin(db) as conn:
            return conn.execute(query.values(**values)).rowcount == 1

    def drop_parcels(self, recheck_id: str, db: Connection) -> None:
        """Forget the changed parcels written so far (a run that starts again)."""
        table = schema.recheck_parcels
        db.execute(table.delete().where(table.c.recheck_id == recheck_id))

    def add_parcels(
        self,
        recheck_id: str,
        start: int,
        parcels: list[dict],
        wkbs: list,
        db: Connection | None = None,
    ) -> None:
        """Append changed parcels ``start`` .. (their record and geometry) in one statement."""
        if not parcels:
            return
        rows = [
            {
                "recheck_id": recheck_id,
                "seq": start + i,
                "check_id": p["check_id"],
                "parcel_id": str(p["parcel_id"]),
                "before_status": p["before"]["status"],
                "after_status": p["after"]["status"],
                "change_m2": p["change_m2"],
                "geometry": wkb,
                "record": dumps(p),
            }
            for i, (p, wkb) in enumerate(zip(parcels, wkbs))
        ]
        with self.begin(db) as conn:
            conn.execute(schema.recheck_parcels.insert(), rows)

    def get(self, recheck_id: str) -> dict:
        """The re-check's row (JSON columns decoded); NotFound (404) when there is none."""
        table = schema.rechecks
        with self.engine.connect() as db:
            row = db.execute(select(table).where(table.c.id == recheck_id)).first()
        if row is None:
            raise NotFound("recheck.not_found", id=str(recheck_id)[:64])
        return decoded(row._asdict())

    def list(self, limit: int = 100, offset: int = 0) -> list[dict]:
        table = schema.rechecks
        columns = [table.c[name] for name in LIST_COLUMNS]
        query = (
            select(*columns)
            .order_by(table.c.created_at.desc(), table.c.id)
            .limit(limit)
            .offset(offset)
        )
        with self.engine.connect() as db:
            return [decoded(row._asdict()) for row in db.execute(query)]

    def count(self) -> int:
        with self.engine.connect() as db:
            return db.execute(select(func.count()).select_from(schema.rechecks)).scalar() or 0

    def active(self) -> list[tuple[str, str]]:
        """(id, owner) of every re-check still queued or running."""
        table = schema.rechecks
        query = select(table.c.id, table.c.owner).where(table.c.status.in_(ACTIVE))
        with self.engine.connect() as db:
            return [(row.id, row.owner) for row in db.execute(query)]

    def iter_parcels(
        self, recheck_id: str, geometry: bool = False, limit: int | None = None, offset: int = 0
    ) -> Iterator:
        """Each changed parcel's record (``(record, wkb)`` with ``geometry``), in order,
        fetched in batches."""
        table = schema.recheck_parcels
        columns = [table.c.record, table.c.geometry] if geometry else [table.c.record]
        query = select(*columns).where(table.c.recheck_id == recheck_id).order_by(table.c.seq)
        if offset:
            query = query.where(table.c.seq >= offset)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as db:
            result = db.execute(query)
            while batch := result.fetchmany(BATCH):
                for row in batch:
                    record = json.loads(row.record)
                    yield (record, row.geometry) if geometry else record


def decoded(row: dict) -> dict:
    for name in ("selection", "summary", "error"):
        if row.get(name):
            row[name] = json.loads(row[name])
    return row
