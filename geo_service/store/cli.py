"""``python -m geo_service store status|import-legacy``: the store from the command line."""

from __future__ import annotations

import argparse
from pathlib import Path

from geo_service.messages import Msg


def say(key: str, **params) -> None:
    print(Msg(key, **params).text(), flush=True)


def say_imports(reports: list[dict]) -> None:
    """What start-up imported from the old files (and which it left), one line each."""
    for report in reports:
        if report.get("left"):
            say("store.legacy_left", file=report["file"])
            continue
        rows = sum(t["rows"] for t in report["tables"].values())
        key = "cli.store_skipped" if report["skipped"] else "cli.store_imported"
        say(key, file=report["file"], rows=rows, tables=len(report["tables"]))
        say("cli.store_set_aside", file=report["file"], renamed=report["renamed_to"])


def store_command(args: argparse.Namespace) -> int:
    """status: the database, its schema version and each layer's current version (and repo
    drift); import-legacy: what start-up imported from the old CHECKS_DB / ACTUALS_DB /
    AUTH_DB files, and any of them still there imported now (then set aside as
    ``*.imported``); import-repo LAYER: the deploy's layer file as a new version."""
    from geo_service import create_app, legacy_files
    from geo_service.layer_versions import drift
    from geo_service.store.engine import redacted
    from geo_service.store.legacy import import_file, set_aside

    app = create_app()
    store = app.extensions["geo_service.store"]
    say("cli.store_status", url=redacted(store.url), version=store.schema_version())
    if args.action == "import-legacy":
        reports = list(app.extensions["geo_service.legacy"])  # imported (or left) at start
        seen = {r["kind"] for r in reports}
        for kind, path in legacy_files(app).items():
            if kind not in seen and Path(path).is_file():  # e.g. put back after a start
                report = import_file(store, kind, Path(path))
                report["renamed_to"] = str(set_aside(Path(path)))
                reports.append(report)
        say_imports(reports)
        if not reports:
            say("cli.store_nothing_to_import")
        return 0
    if args.action == "import-repo":
        return import_repo_command(app, args)
    catalog = app.extensions["geo_service.catalog"]
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
        if layer_id in catalog.layers:
            gap = drift(catalog.layers[layer_id], store.versions(layer_id))
            if gap:
                say("cli.store_drift", message=gap["message"])
    return 0


def import_repo_command(app, args: argparse.Namespace) -> int:
    """``store import-repo LAYER [--message]``: exit 0 with a new version or nothing to do."""
    import getpass

    from geo_service.errors import GeoServiceError
    from geo_service.layer_versions import import_repo

    store, catalog = app.extensions["geo_service.store"], app.extensions["geo_service.catalog"]
    if not args.layer:
        say("cli.error", message=Msg("cli.store_layer_needed", layers=", ".join(catalog.layers)))
        return 2
    try:
        layer = catalog.get(args.layer)
        made = import_repo(
            store, catalog, layer.id, user=f"cli:{getpass.getuser()}", message=args.message or ""
        )
    except GeoServiceError as exc:
        say("cli.error", message=exc.message)
        return 1
    if made is None:
        current = store.current_version(layer.id)
        say("cli.store_import_repo_current", layer=layer.id, number=current.number, file=layer.file)
        return 0
    counts = {k: len(made.changes.get(k, [])) for k in ("added", "removed", "changed")}
    say(
        "cli.store_import_repo_done",
        layer=layer.id,
        number=made.number,
        file=layer.file,
        count=made.feature_count,
        **counts,
    )
    return 0
