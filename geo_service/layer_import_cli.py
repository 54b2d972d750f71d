"""``python -m geo_service layers import LAYER FILE``: a layer import from the command line,
the same dry run and commit as the API (geo_service.layer_import), summarised in Chinese.

Exit codes: 0 imported (or a dry run without errors), 1 a dry run that found errors,
2 refused (the error printed by the CLI's handler).
"""

from __future__ import annotations

import argparse
import sys

from geo_service.messages import Msg

KIND_ZH = {
    "added": "新增",
    "removed": "删除",
    "grown": "扩大",
    "shrunk": "缩小",
    "moved": "移动或改形",  # 移动 for a point layer (change_line)
    "attributes": "属性变化",
}


def say(key: str, *, to=None, **params) -> None:
    print(Msg(key, **params).text(), file=to or sys.stdout, flush=True)


def add_parser(commands) -> None:
    layers = commands.add_parser(
        "layers", help="layers: import official boundaries; generate-parcels (test data)"
    )
    layers.add_argument("action", choices=("import", "generate-parcels"))
    layers.add_argument("layer", nargs="?", help="the layer id (zones, counties, ...)")
    layers.add_argument(
        "file", nargs="?", help="zipped Shapefile, GeoPackage, KML, GeoJSON, CSV, 界址点 txt"
    )
    layers.add_argument("--count", type=int, default=1_000_000, help="generate-parcels: how many")
    layers.add_argument("--seed", type=int, default=20181, help="generate-parcels: the seed")
    layers.add_argument("--id-field", help="the id field (default: zone_id, id, 代码, YQDM …)")
    layers.add_argument("--name-field", help="the name field (default: name, 名称, YQMC …)")
    layers.add_argument("--crs", help="the file's CRS when it does not say (EPSG:4545)")
    layers.add_argument("--precision", help="surveyed (default), official, town, ...")
    layers.add_argument("--message", help="why: the version's message")
    layers.add_argument("--dry-run", action="store_true", help="show the changes, write nothing")
    layers.set_defaults(func=layers_command)


def layers_command(args: argparse.Namespace) -> int:
    if args.action == "generate-parcels":  # geo_service.generated_parcels
        from geo_service.generated_parcels import generate_command

        return generate_command(args)
    if args.layer is None or args.file is None:
        from geo_service.errors import BadRequest

        raise BadRequest("big.import_needs_file")
    from geo_service import create_app
    from geo_service.__main__ import local_user, read_upload
    from geo_service.land.readers import Limits
    from geo_service.layer_import import ImportRequest, commit, dry_run

    app = create_app()
    catalog = app.extensions["geo_service.catalog"]
    upload = read_upload(args.file)
    request = ImportRequest(
        layer_id=args.layer,
        filename=upload.name,
        data=upload.data,
        id_field=args.id_field,
        name_field=args.name_field,
        crs=args.crs,
        precision=args.precision,
        message=args.message,
        user=local_user(),
        limits=Limits.from_config(app.config),
    )
    if args.dry_run:
        result = dry_run(catalog, request)
    else:
        result, version = commit(app.extensions["geo_service.store"], catalog, request)
    summary(result)
    if args.dry_run:
        say("cli.import_dry_run")
        return 0 if result["committable"] else 1
    say("cli.import_done", layer=args.layer, number=version.number, count=version.feature_count)
    return 0


def summary(result: dict) -> None:
    counts, diff = result["counts"], result["diff"]["counts"]
    none = Msg("cli.field_none").text()
    say(
        "cli.import_summary",
        layer=result["layer"],
        features=counts["features"],
        current=counts["current"],
        id_field=result["fields"]["id"] or none,
        name_field=result["fields"]["name"] or none,
        errors=counts["errors"],
        warnings=counts["warnings"],
        **{k: diff[k] for k in (*KIND_ZH, "unchanged")},
    )
    for change in result["diff"]["changes"][:200]:
        key, params = change_line(change, result.get("geometry_type", "MultiPolygon"))
        say(key, **params)
    for problem in result["problems"][:200]:
        line = Msg(
            "problem.with_hint" if problem.get("hint") else "problem.plain",
            where=problem["where"],
            message=problem["message"],
            hint=problem.get("hint") or "",
        )
        key = "cli.import_error" if problem["severity"] == "error" else "cli.import_warning"
        say(key, line=line)


def change_line(change: dict, geometry_type: str) -> tuple[str, dict]:
    """One change as the CLI prints it: the area for polygons, the length (m) for lines, how
    far it moved (m) for points."""
    kind = KIND_ZH[change["kind"]]
    if geometry_type.endswith("Point") and change["kind"] == "moved":
        kind = Msg("cli.kind_point_moved").text()
    common = {"kind": kind, "id": change["id"], "name": change["name"] or ""}
    if geometry_type.endswith("Polygon"):
        return "cli.import_change", {
            **common,
            "change_m2": f"{change['change_m2']:.1f}",
            "change_mu": f"{change['change_mu']:.2f}",
        }
    if "length_change_m" in change and change["kind"] != "attributes":
        return "cli.import_change_line", {
            **common,
            "before_m": f"{change['length_before_m'] or 0:.1f}",
            "after_m": f"{change['length_after_m'] or 0:.1f}",
            "change_m": f"{change['length_change_m']:.1f}",
        }
    if change["kind"] == "moved" and "moved_m" in change:
        return "cli.import_change_point", {**common, "moved_m": f"{change['moved_m']:.1f}"}
    return "cli.import_change_plain", common
