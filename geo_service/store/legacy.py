"""An existing install's SQLite files copied into the store, nothing lost.

Today's register (checks.sqlite), actual figures (actuals.sqlite) and accounts with the audit
log (auth.sqlite) are first opened with their own classes, which upgrade old versions of
those files in place as they always have; then every row of every table is copied in one
transaction per file, and the copy is proven: the row count and a SHA-256 over the rows of
each table must equal the file's, or nothing of that file is kept. A file already imported
(same rows digest) is skipped, so the import can run at every start.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from sqlalchemy import Connection, MetaData, Table, create_engine, func, insert, select
from sqlalchemy.exc import DatabaseError, IntegrityError

from geo_service.errors import ConfigError
from geo_service.messages import Msg
from geo_service.store import schema
from geo_service.store.engine import now
from geo_service.store.sql import SqlStore, digest_rows

#: kind -> [(table in the old file, table in the store)], parents before children.
LEGACY_TABLES = {
    "checks": [
        ("checks", "checks"),
        ("check_parcels", "check_parcels"),
        ("check_zones", "check_zones"),
        ("jobs", "jobs"),
    ],
    "actuals": [("actuals", "actuals"), ("imports", "actuals_imports")],
    "auth": [
        ("users", "users"),
        ("tokens", "tokens"),
        ("audit", "audit"),
        ("ended_sessions", "ended_sessions"),
    ],
}
BATCH = 2000


def upgrade_in_place(kind: str, path: Path) -> None:
    """Let today's class bring its own file to its latest layout (what a start did)."""
    if kind == "checks":
        from geo_service.land.register import Register

        Register(path)
    elif kind == "actuals":
        from geo_service.analysis.actuals import ActualsStore

        ActualsStore(path)
    else:
        from geo_service.auth.store import AuthStore

        AuthStore(path)


def legacy_table(name: str, target: str) -> Table:
    """The store's table under the old file's name (the columns are the same)."""
    return schema.metadata.tables[target].to_metadata(MetaData(), name=name)


def file_facts(db: Connection, kind: str) -> dict[str, dict]:
    """{store table: {"rows": n, "sha256": digest}} of an old file."""
    facts = {}
    for name, target in LEGACY_TABLES[kind]:
        table = legacy_table(name, target)
        count = db.execute(select(func.count()).select_from(table)).scalar()
        facts[target] = {"rows": count, "sha256": digest_rows(db, table)}
    return facts


def import_file(store: SqlStore, kind: str, path: Path) -> dict:
    """Copy one old file into the store; its per-table facts, with ``skipped`` when the same
    rows were imported before. Raises ConfigError (and keeps nothing) when the copy differs,
    when the file cannot be read, or when its rows clash with rows already in the store."""
    path = Path(path)
    try:
        upgrade_in_place(kind, path)
        source = create_engine(f"sqlite:///{path.resolve()}")
        with source.connect() as old:
            facts = file_facts(old, kind)
            whole = hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()
            done = schema.legacy_imports
            with store.engine.connect() as db:
                seen = db.execute(
                    select(done.c.counts).where(done.c.kind == kind, done.c.file_sha256 == whole)
                ).first()
            if seen is not None:
                return {"kind": kind, "file": path.name, "skipped": True, "tables": facts}
            with store.engine.begin() as db:
                for name, target in LEGACY_TABLES[kind]:
                    copy_table(old, db, legacy_table(name, target), schema.metadata.tables[target])
                copied = {
                    target: {
                        "rows": db.execute(
                            select(func.count()).select_from(schema.metadata.tables[target])
                        ).scalar(),
                        "sha256": digest_rows(db, schema.metadata.tables[target]),
                    }
                    for _, target in LEGACY_TABLES[kind]
                }
                if copied != facts:
                    raise ConfigError(
                        "store.legacy_refused", file=path.name, kind=Msg("store.legacy_mismatch")
                    )
                db.execute(
                    insert(done).values(
                        kind=kind,
                        path=str(path)[:1000],
                        file_sha256=whole,
                        imported_at=now(),
                        counts=json.dumps(facts),
                    )
                )
        source.dispose()
    except (sqlite3.DatabaseError, DatabaseError) as exc:
        clash = isinstance(exc, IntegrityError)
        why = Msg("store.legacy_clash") if clash else Msg("store.legacy_not_db")
        raise ConfigError("store.legacy_refused", file=path.name, kind=why) from None
    return {"kind": kind, "file": path.name, "skipped": False, "tables": facts}


def copy_table(old: Connection, db: Connection, source: Table, target: Table) -> None:
    """Every row, in primary-key order, in batches (memory stays flat on a big register)."""
    order = list(source.primary_key.columns) or list(source.columns)
    result = old.execute(select(source).order_by(*order))
    while batch := result.fetchmany(BATCH):
        db.execute(insert(target), [dict(row._mapping) for row in batch])


def import_legacy(store: SqlStore, files: dict[str, Path]) -> list[dict]:
    """Import each existing file of ``{"checks"|"actuals"|"auth": path}``; absent ones are
    passed over (a new install has none)."""
    return [import_file(store, kind, path) for kind, path in files.items() if Path(path).is_file()]
