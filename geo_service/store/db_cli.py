"""``python -m geo_service db upgrade [--url URL] | copy SOURCE_URL TARGET_URL``."""

from __future__ import annotations

import argparse
import sys

from geo_service.errors import GeoServiceError
from geo_service.messages import Msg


def say(key: str, *, to=None, **params) -> None:
    print(Msg(key, **params).text(), file=to or sys.stdout, flush=True)


def configured_url() -> str:
    """The store URL ``serve`` would open (DATABASE_URL, else the data folder's file)."""
    from flask import Flask

    from geo_service import data_folder
    from geo_service.config import load_config
    from geo_service.store import store_url

    app = Flask("geo_service", instance_relative_config=True)
    load_config(app, None)
    return store_url(app.config["DATABASE_URL"], data_folder(app))


def db_command(args: argparse.Namespace) -> int:
    """upgrade: migrate the store (either backend), printing its version before and after;
    copy: every row of SOURCE into the empty TARGET, each table's rows and digest compared
    (exit 1 naming the first table that differs)."""
    try:
        if args.action == "upgrade":
            return upgrade(args.url or configured_url())
        if len(args.urls) != 2:
            say("cli.error", message=Msg("db.copy_usage"), to=sys.stderr)
            return 2
        return copy(*args.urls)
    except GeoServiceError as exc:
        say("cli.error", message=exc.message, to=sys.stderr)
        return 1


def upgrade(url: str) -> int:
    from geo_service.store.engine import current_version, migrate, open_engine, redacted

    engine = open_engine(url)
    try:
        before = current_version(engine)
        after = migrate(engine)
    finally:
        engine.dispose()
    say("db.upgraded", url=redacted(url), before=before, after=after)
    return 0


def copy(source: str, target: str) -> int:
    from geo_service.store.copy import copy_store
    from geo_service.store.engine import redacted

    say("db.copy_start", source=redacted(source), target=redacted(target))
    differs = []
    for table in copy_store(source, target):
        say(
            "db.copy_table" if table.same else "db.copy_table_differs",
            table=table.name,
            rows=table.source_rows,
            copied=table.target_rows,
            digest=table.source_digest[:16],
            copied_digest=table.target_digest[:16],
        )
        if not table.same:
            differs.append(table.name)
    if differs:
        say("db.copy_differs", tables="、".join(differs), to=sys.stderr)
        return 1
    say("db.copy_done", target=redacted(target))
    return 0


def register(commands) -> None:
    """The ``db`` subcommand on ``python -m geo_service``'s parser."""
    db = commands.add_parser("db", help="the database: upgrade [--url URL], copy SOURCE TARGET")
    db.add_argument("action", choices=("upgrade", "copy"))
    db.add_argument("urls", nargs="*", help="copy: SOURCE_URL TARGET_URL (SQLAlchemy URLs)")
    db.add_argument("--url", help="upgrade: this database instead of the configured one")
    db.set_defaults(func=db_command)
