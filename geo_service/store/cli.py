"""``python -m geo_service store status|import-legacy``: the store from the command line."""

from __future__ import annotations

import argparse
from pathlib import Path

from geo_service.messages import Msg


def say(key: str, **params) -> None:
    print(Msg(key, **params).text(), flush=True)


def store_command(args: argparse.Namespace) -> int:
    """status: the database, its schema version and each layer's current version;
    import-legacy: copy the configured CHECKS_DB / ACTUALS_DB / AUTH_DB files in."""
    from geo_service import create_app
    from geo_service.store.engine import redacted
    from geo_service.store.legacy import import_legacy

    app = create_app()
    store = app.extensions["geo_service.store"]
    say("cli.store_status", url=redacted(store.url), version=store.schema_version())
    if args.action == "import-legacy":
        data = Path(app.instance_path) / "data"
        files = {
            "checks": Path(app.config["CHECKS_DB"] or data / "checks.sqlite"),
            "actuals": Path(app.config["ACTUALS_DB"] or data / "actuals.sqlite"),
            "auth": Path(app.config["AUTH_DB"] or data / "auth.sqlite"),
        }
        for report in import_legacy(store, files):
            rows = sum(t["rows"] for t in report["tables"].values())
            key = "cli.store_skipped" if report["skipped"] else "cli.store_imported"
            say(key, file=report["file"], rows=rows, tables=len(report["tables"]))
        return 0
    for layer_id in store.layer_ids():
        v = store.current_version(layer_id)
        say(
            "cli.store_layer",
            layer=layer_id,
            number=v.number,
            count=v.feature_count,
            at=v.created_at,
            user=v.user,
            message=v.message,
        )
    return 0
