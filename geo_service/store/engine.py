"""The store's engine from ``DATABASE_URL``, and the schema migrations.

Everything dialect-specific is here: SQLite gets WAL, foreign keys and a busy timeout on
each connection (its file's folder made first); PostgreSQL (``postgresql+psycopg://``) gets
the PostGIS extension before the first step and an advisory lock around migrating, so servers
starting together do not race. Migrations are numbered steps written in SQLAlchemy Core,
recorded in ``schema_version``; every step not yet recorded is applied, in number order (steps
may land in any order), each in its own transaction, so a crash leaves whole steps only.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DatabaseError,
    DBAPIError,
    IntegrityError,
)

from geo_service.errors import ConfigError
from geo_service.store import schema
from geo_service.store.big import migrate_big_layers

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


#: The geometry columns of migrations 1 and 2 and their SRIDs (``store.geometry``).
GEOMETRY_COLUMNS = [
    ("layer_features", "geometry", 4326),
    ("check_parcels", "geometry", 4490),
    ("check_zones", "geometry", 4490),
    ("recheck_parcels", "geometry", 4490),
]


def postgis_indexes(db: Connection) -> None:
    """PostGIS only: the SRID of each geometry column as a CHECK (geometry_columns shows it)
    and a GiST index on it. Names are fixed here, nothing from outside."""
    if db.dialect.name != "postgresql":
        return
    for table, column, srid in GEOMETRY_COLUMNS:
        db.execute(
            text(
                f"ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_srid "
                f"CHECK (ST_SRID({column}) = {int(srid)})"
            )
        )
        db.execute(text(f"CREATE INDEX {table}_{column}_gist ON {table} USING gist ({column})"))


def create_parcel_blocks(db: Connection) -> None:
    schema.metadata.create_all(db, tables=[schema.check_parcel_blocks])


def create_tile_boxes(db: Connection) -> None:
    schema.metadata.create_all(db, tables=[schema.tile_boxes])


def create_job_queue(db: Connection) -> None:
    schema.metadata.create_all(db, tables=[schema.job_queue, schema.job_inputs])


#: (version, description, step). A later step alters what an earlier one made, in Core
#: DDL (or alembic.operations.Operations for SQLite table rebuilds), never by editing it.
MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "layers with versions, check register, actual figures, accounts, audit log", create_v1),
    (2, "re-checks of the register against a zones version", create_rechecks),
    (3, "PostGIS: GiST indexes on geometry columns", postgis_indexes),
    (4, "the shared job queue: queued checks and re-checks with their inputs", create_job_queue),
    (5, "big layers: feature boxes, version summaries, SQLite R*Tree", migrate_big_layers),
    (6, "big checks' parcels as compressed blocks", create_parcel_blocks),
    (7, "a cache of big versions' row boxes for overfull tiles", create_tile_boxes),
]
SCHEMA_VERSION = max(number for number, _, _ in MIGRATIONS)
#: pg_advisory_lock key held while migrating a PostgreSQL database ("geo_serv" in ASCII).
MIGRATION_LOCK = 0x67656F5F73657276


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def default_url(data_dir: Path, layers_dir: Path | None = None) -> str:
    """The SQLite file ``geo_service.sqlite`` in ``data_dir``; under the PostGIS test pass
    only (``store.pg_local.test_run``), that folder's own test database instead (copied
    from a template seeded with ``layers_dir`` when that is the repo's layers)."""
    from geo_service.store.pg_local import test_database_url

    test_url = test_database_url(data_dir, layers_dir)
    return test_url or f"sqlite:///{Path(data_dir).resolve() / 'geo_service.sqlite'}"


#: Seconds a PostgreSQL connection may take to open (libpq's connect_timeout).
CONNECT_TIMEOUT = 10


def open_engine(url: str) -> Engine:
    """An engine for ``url``; a URL SQLAlchemy cannot read stops start-up with a message."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise ConfigError("store.bad_url", url=redacted(url)) from None
    if parsed.get_backend_name() != "sqlite":
        from geo_service.store import refusals

        # a database host that does not answer fails a connection in CONNECT_TIMEOUT
        # seconds (a 503), not after the OS's TCP timeout; the URL's own value wins
        timeout = {} if "connect_timeout" in parsed.query else {"connect_timeout": CONNECT_TIMEOUT}
        engine = create_engine(parsed, pool_pre_ping=True, connect_args=timeout)
        refusals.install(engine)
        return after_fork_disposed(engine)
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


#: Query keys of a database URL whose values are never shown (libpq's password, sslpassword).
SECRET_KEYS = ("pass", "secret", "token", "key")


def redacted(url: str) -> str:
    """The URL as shown in a message: no password (in the user part or the query), bounded."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # unreadable (a bad port): only what follows the "@"
        return url.split("@")[-1].split("?")[0][:200]
    hidden = {
        key: "***" for key in parsed.query if any(word in key.lower() for word in SECRET_KEYS)
    }
    return parsed.update_query_dict(hidden).render_as_string(hide_password=True)[:200]


def recorded(db: Connection) -> set[int]:
    """The migration numbers recorded in ``db`` (none before the first)."""
    if not inspect(db).has_table("schema_version"):
        return set()
    return set(db.execute(select(schema.schema_version.c.version)).scalars())


def current_version(engine: Engine) -> int:
    with connected(engine) as db:
        return max(recorded(db), default=0)


def migrate(engine: Engine) -> int:
    """Apply every migration step not yet recorded, in number order; a database with a step
    this code does not know (a newer program's) stops start-up."""
    with connected(engine) as db:
        postgres = db.dialect.name == "postgresql"
        if postgres:
            db.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            db.commit()
        try:
            if postgres:
                ensure_postgis(db, engine)
            refuse_foreign(db, engine)
            with db.begin():
                schema.schema_version.create(db, checkfirst=True)
            migrate_steps(db, engine)
        finally:
            if postgres:
                db.rollback()
                db.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
                db.commit()
    return current_version(engine)


#: Tables a database may hold before the first migration (PostGIS's own, SQLite's).
NOT_FOREIGN = ("spatial_ref_sys",)


def refuse_foreign(db: Connection, engine: Engine) -> None:
    """A database holding tables but no ``schema_version`` is someone else's: migrating it
    would add this service's tables beside theirs, so it is refused untouched."""
    names = inspect(db).get_table_names()
    db.rollback()
    if "schema_version" in names:
        return
    foreign = sorted(n for n in names if n not in NOT_FOREIGN and not n.startswith("sqlite_"))
    if foreign:
        raise ConfigError(
            "store.foreign_database",
            url=redacted(engine.url.render_as_string()),
            tables="、".join(name[:60] for name in foreign[:5]),
            count=len(foreign),
        )


def connected(engine: Engine) -> Connection:
    """A connection; a database that cannot be reached stops start-up with a message."""
    try:
        return engine.connect()
    except DatabaseError as exc:  # OperationalError, or SQLite's "file is not a database"
        raise ConfigError(
            "store.unreachable",
            url=redacted(engine.url.render_as_string()),
            database=engine.url.database or "",
            reason=first_line(exc),
        ) from None


def ping(engine: Engine) -> DBAPIError | None:
    """None when the database answers a trivial query, else its error."""
    try:
        with engine.connect() as db:
            db.execute(text("SELECT 1"))
    except DBAPIError as exc:
        return exc
    return None


def first_line(exc: DBAPIError) -> str:
    """The database's own reason, one line, bounded."""
    lines = str(exc.orig or exc).strip().splitlines()
    return lines[0][:300] if lines else ""


def migrate_steps(db: Connection, engine: Engine) -> None:
    done = recorded(db)
    db.rollback()
    unknown = done - {number for number, _, _ in MIGRATIONS}
    if unknown:
        raise ConfigError(
            "store.schema_newer",
            url=redacted(engine.url.render_as_string()),
            version=max(unknown),
            expected=SCHEMA_VERSION,
        )
    for number, description, step in sorted(MIGRATIONS, key=lambda m: m[0]):
        if number in done:
            continue
        try:
            with db.begin():
                step(db)
                db.execute(
                    schema.schema_version.insert().values(
                        version=number, applied_at=now(), description=description
                    )
                )
        except IntegrityError:  # another process applied this step at the same moment (SQLite)
            continue


def ensure_postgis(db: Connection, engine: Engine) -> None:
    """CREATE EXTENSION IF NOT EXISTS postgis; when refused, what the DBA must run."""
    try:
        with db.begin():
            db.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    except DBAPIError as exc:
        raise ConfigError(
            "store.postgis_missing",
            url=redacted(engine.url.render_as_string()),
            database=engine.url.database or "",
            reason=first_line(exc),
        ) from None


def reset_sequences(db: Connection, tables) -> None:
    """PostgreSQL: after rows were copied with their own ids (``db copy``, a legacy import),
    move each table's id sequence past the highest id, so the next insert does not clash.
    SQLite needs nothing (its AUTOINCREMENT follows the rows)."""
    if db.dialect.name != "postgresql":
        return
    quote = db.dialect.identifier_preparer.quote
    for table in tables:
        column = table.autoincrement_column
        if column is None:
            continue
        db.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                f"coalesce((SELECT max({quote(column.name)}) FROM {quote(table.name)}), 0) + 1, "
                f"false)"
            ),
            {"table": table.name, "column": column.name},
        )
