"""An existing install's SQLite files copied into the store, nothing lost.

The register (checks.sqlite), actual figures (actuals.sqlite) and accounts with the audit
log (auth.sqlite) of an install from before the store are first brought to the last layout
their own classes wrote (as every start of those classes did); then every row of every table
is copied in one transaction per file, and the copy is proven: the row count and a SHA-256
over the rows of each table must equal the file's, or nothing of that file is kept. A file
already imported (same rows digest) is skipped. ``upgrade_install`` does this at start-up for
each kind the store has no rows of yet, and sets the file aside as ``*.imported``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy import Connection, MetaData, Table, create_engine, func, insert, select
from sqlalchemy.exc import DatabaseError, IntegrityError

from geo_service.errors import ConfigError
from geo_service.messages import Msg
from geo_service.store import schema
from geo_service.store.engine import now, reset_sequences
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
log = logging.getLogger(__name__)


#: The register's own file layout version (``PRAGMA user_version``) before the store.
REGISTER_VERSION = 2


def open_file(path: Path) -> sqlite3.Connection:
    """The old file, read-write, never created (a file gone in the meantime is refused)."""
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=rw", uri=True, timeout=30)


def upgrade_in_place(kind: str, path: Path) -> None:
    """Bring an old file to the last layout its own class wrote, as every start of that class
    did (register version 1 -> 2, actuals' ``imported_by``, any table a file lacks), then
    fold its write-ahead log into the file. A register of an unknown version is refused
    untouched."""
    with closing(open_file(path)) as db:
        if kind == "checks":
            version = db.execute("PRAGMA user_version").fetchone()[0]
            tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables and version not in (1, REGISTER_VERSION):
                raise ConfigError(
                    "register.schema_version",
                    path=str(path),
                    version=version,
                    expected=REGISTER_VERSION,
                )
            if tables and version == 1:
                migrate_register_v1(db)
        if kind == "actuals":
            columns = {r[1] for r in db.execute("PRAGMA table_info(actuals)")}
            if columns and "imported_by" not in columns:  # files from before accounts existed
                with db:
                    db.execute(
                        "ALTER TABLE actuals ADD COLUMN imported_by TEXT NOT NULL DEFAULT ''"
                    )
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    old = create_engine(f"sqlite:///{Path(path).resolve()}")
    try:
        with old.begin() as db:
            for name, target in LEGACY_TABLES[kind]:  # a file from before a table existed
                legacy_table(name, target).create(db, checkfirst=True)
        if kind == "checks":
            with closing(open_file(path)) as db:
                db.execute(f"PRAGMA user_version={REGISTER_VERSION}")
    finally:
        old.dispose()


def migrate_register_v1(db: sqlite3.Connection) -> None:
    """Register version 1 -> 2 in one transaction: who asked (user, client address), each
    parcel's record copied from its check's document (version 1 always embedded them)."""
    with db:
        db.execute("ALTER TABLE checks ADD COLUMN user TEXT NOT NULL DEFAULT ''")
        db.execute("ALTER TABLE checks ADD COLUMN client_addr TEXT NOT NULL DEFAULT ''")
        db.execute("ALTER TABLE check_parcels ADD COLUMN record TEXT")
        for check_id, document in db.execute("SELECT id, document FROM checks").fetchall():
            records = json.loads(document).get("parcels", [])
            db.executemany(
                "UPDATE check_parcels SET record = ? WHERE check_id = ? AND seq = ?",
                [
                    (json.dumps(r, ensure_ascii=False, separators=(",", ":")), check_id, seq)
                    for seq, r in enumerate(records)
                ],
            )
        db.execute(f"PRAGMA user_version={REGISTER_VERSION}")


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
        try:
            with source.connect() as old:
                return copy_file(store, kind, path, old)
        finally:
            source.dispose()  # the file may be renamed next: no connection left open on it
    except (sqlite3.DatabaseError, DatabaseError) as exc:
        clash = isinstance(exc, IntegrityError)
        why = Msg("store.legacy_clash") if clash else Msg("store.legacy_not_db")
        raise ConfigError("store.legacy_refused", file=str(path), kind=why) from None


def copy_file(store: SqlStore, kind: str, path: Path, old: Connection) -> dict:
    """The copy of one opened old file, proven inside its transaction (see import_file)."""
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
        reset_sequences(db, [schema.metadata.tables[t] for _, t in LEGACY_TABLES[kind]])
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
                "store.legacy_refused", file=str(path), kind=Msg("store.legacy_mismatch")
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


def kind_is_empty(store: SqlStore, kind: str) -> bool:
    """Whether the store has no row in any table of ``kind`` (checks, actuals or auth)."""
    counts = store.counts()
    return not any(counts[target] for _, target in LEGACY_TABLES[kind])


def set_aside(path: Path) -> Path:
    """Rename an imported file to ``<name>.imported`` (``.imported-2``, … when taken), with
    any write-ahead files beside it; never deleted, so it can be looked at again."""
    path = Path(path)
    target = path.with_name(path.name + ".imported")
    n = 2
    while target.exists():
        target = path.with_name(f"{path.name}.imported-{n}")
        n += 1
    path.rename(target)
    for suffix in ("-wal", "-shm"):
        sidecar = path.with_name(path.name + suffix)
        if sidecar.exists():
            sidecar.rename(target.with_name(target.name + suffix))
    return target


def upgrade_install(store: SqlStore, files: dict[str, Path]) -> list[dict]:
    """At start-up: each old file whose kind has no rows in the store yet is imported
    (proven by counts and digests) and set aside as ``*.imported``. A refused file stops
    start-up (ConfigError naming it) with nothing of it kept and the file unrenamed. A file
    left while the store already holds rows of its kind is reported ``left``, untouched
    (``store import-legacy`` imports it explicitly)."""
    reports = []
    for kind, path in files.items():
        path = Path(path)
        if not path.is_file():
            continue
        if not kind_is_empty(store, kind):
            reports.append({"kind": kind, "file": str(path), "left": True})
            log.warning("%s", Msg("store.legacy_left", file=str(path)).text())
            continue
        report = import_file(store, kind, path)
        report["renamed_to"] = str(set_aside(path))
        reports.append(report)
    return reports
