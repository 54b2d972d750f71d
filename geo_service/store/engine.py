"""The store's engine from ``DATABASE_URL``, and the schema migrations.

Everything dialect-specific is here: SQLite gets WAL, foreign keys and a busy timeout on
each connection (its file's folder made first); any other URL is passed to SQLAlchemy as it
is. Migrations are numbered steps written in SQLAlchemy Core, recorded in ``schema_version``;
each runs in its own transaction, so a crash leaves the database at the last whole step.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError

from geo_service.errors import ConfigError
from geo_service.store import schema

#: Tables created by migration 1 (today's three files in one database, plus the layers).
V1_TABLES = [
    schema.layers,
    schema.layer_versions,
    schema.layer_features,
    schema.checks,
    schema.check_parcels,
    schema.check_zones,
    schema.jobs,
    schema.actuals,
    schema.actuals_imports,
    schema.users,
    schema.tokens,
    schema.audit,
    schema.ended_sessions,
    schema.legacy_imports,
]


def create_v1(db: Connection) -> None:
    schema.metadata.create_all(db, tables=V1_TABLES)


def create_rechecks(db: Connection) -> None:
    schema.metadata.create_all(db, tables=[schema.rechecks, schema.recheck_parcels])


#: (version, description, step). A later step alters what an earlier one made, in Core
#: DDL (or alembic.operations.Operations for SQLite table rebuilds), never by editing it.
MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "layers with versions, check register, actual figures, accounts, audit log", create_v1),
    (2, "re-checks of the register against a zones version", create_rechecks),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def default_url(data_dir: Path) -> str:
    return f"sqlite:///{Path(data_dir).resolve() / 'geo_service.sqlite'}"


def open_engine(url: str) -> Engine:
    """An engine for ``url``; a URL SQLAlchemy cannot read stops start-up with a message."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError("store.bad_url", url=redacted(url)) from None
    if parsed.get_backend_name() != "sqlite":
        return after_fork_disposed(create_engine(parsed, pool_pre_ping=True))
    if parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():  # it holds password hashes: readable by the service's user only
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    engine = create_engine(parsed, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def on_connect(connection, _record) -> None:  # pragma: no cover - exercised by every test
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return after_fork_disposed(engine)


def after_fork_disposed(engine: Engine) -> Engine:
    """A forked child never uses its parent's pooled connections: the pool is emptied in the
    child (without closing the parent's), so the child opens its own (SQLAlchemy's advice
    for multiprocessing). Check workers are spawned and open their own store anyway."""
    ref = weakref.ref(engine)

    def in_child() -> None:  # pragma: no cover - runs in a forked child
        alive = ref()
        if alive is not None:
            alive.dispose(close=False)

    os.register_at_fork(after_in_child=in_child)
    return engine


def redacted(url: str) -> str:
    """The URL as shown in a message: no password, bounded."""
    try:
        return make_url(url).render_as_string(hide_password=True)[:200]
    except ArgumentError:
        return url.split("@")[-1][:200]


def current_version(engine: Engine) -> int:
    with engine.connect() as db:
        if not inspect(db).has_table("schema_version"):
            return 0
        return db.execute(select(func.max(schema.schema_version.c.version))).scalar() or 0


def migrate(engine: Engine) -> int:
    """Bring the database to SCHEMA_VERSION; a newer database than this code stops start-up."""
    with engine.begin() as db:
        schema.schema_version.create(db, checkfirst=True)
    version = current_version(engine)
    if version > SCHEMA_VERSION:
        raise ConfigError(
            "store.schema_newer",
            url=redacted(engine.url.render_as_string()),
            version=version,
            expected=SCHEMA_VERSION,
        )
    for number, description, step in MIGRATIONS:
        if number <= version:
            continue
        try:
            with engine.begin() as db:
                step(db)
                db.execute(
                    schema.schema_version.insert().values(
                        version=number, applied_at=now(), description=description
                    )
                )
        except IntegrityError:  # another process applied this step at the same moment
            continue
    return current_version(engine)
