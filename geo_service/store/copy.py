"""``db copy``: every row of one store into another, empty one (SQLite to PostGIS, or back).

Both are migrated to the current schema first; the destination must hold no row. Tables are
copied in dependency order (parents before the rows naming them), each read in primary-key
order and written in batches, all in one transaction of the destination (a failure leaves
it empty). Then id sequences are moved past the copied ids, and each table's row count and
``digest_rows`` are compared on both sides: equal rows, equal digests, whichever backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, Table, func, insert, select
from sqlalchemy.exc import DBAPIError

from geo_service.errors import BadRequest, ConfigError
from geo_service.store import schema
from geo_service.store.engine import (
    first_line,
    migrate,
    open_engine,
    redacted,
    reset_sequences,
)
from geo_service.store.sql import digest_rows

#: Rows read and written per batch: memory stays flat on a big register.
BATCH = 2000


@dataclass(frozen=True)
class TableCopy:
    name: str
    source_rows: int
    target_rows: int
    source_digest: str
    target_digest: str

    @property
    def same(self) -> bool:
        return (self.source_rows, self.source_digest) == (self.target_rows, self.target_digest)


#: Not copied: each side has its own schema version; a cache is rebuilt where it is used.
NOT_COPIED = frozenset({"schema_version", "tile_boxes"})


def tables() -> list[Table]:
    """Every table of the store but NOT_COPIED, parents first."""
    return [t for t in schema.metadata.sorted_tables if t.name not in NOT_COPIED]


def rows_in(engine: Engine) -> dict[str, int]:
    with engine.connect() as db:
        return {t.name: db.execute(select(func.count()).select_from(t)).scalar() for t in tables()}


def copy_store(source_url: str, target_url: str) -> Iterator[TableCopy]:
    """Copy, then yield each table's comparison; ConfigError when the target is not empty
    (naming a table that has rows) or source and target are one database."""
    if redacted(source_url) == redacted(target_url):
        raise ConfigError("db.copy_same", url=redacted(source_url))
    source, target = open_engine(source_url), open_engine(target_url)
    try:
        migrate(source)
        migrate(target)
        occupied = {name: n for name, n in rows_in(target).items() if n}
        if occupied:
            name, count = next(iter(occupied.items()))
            raise ConfigError("db.copy_not_empty", url=redacted(target_url), table=name, rows=count)
        with source.connect() as old, target.begin() as new:
            for table in tables():
                copy_table(old, new, table)
            reset_sequences(new, tables())
        with source.connect() as old, target.connect() as new:
            for table in tables():
                yield TableCopy(
                    table.name,
                    old.execute(select(func.count()).select_from(table)).scalar(),
                    new.execute(select(func.count()).select_from(table)).scalar(),
                    digest_rows(old, table),
                    digest_rows(new, table),
                )
    finally:
        source.dispose()
        target.dispose()


def copy_table(old: Connection, new: Connection, table: Table) -> None:
    """Every row of ``table`` in primary-key order, in batches; a row the target refuses
    (a NUL in text, a value too long for its column) stops the copy naming the table."""
    order = list(table.primary_key.columns) or list(table.columns)[:1]
    query = select(table).order_by(*order).execution_options(yield_per=BATCH)
    result = old.execute(query)
    done = 0
    while batch := result.fetchmany(BATCH):
        try:
            new.execute(insert(table), [dict(row._mapping) for row in batch])
        except (DBAPIError, BadRequest) as exc:  # BadRequest: store.refusals on PostgreSQL
            reason = exc.message if isinstance(exc, BadRequest) else first_line(exc)
            raise ConfigError(
                "db.copy_refused", table=table.name, first=done + 1, last=done + len(batch),
                reason=reason,
            ) from None  # fmt: skip
        done += len(batch)
