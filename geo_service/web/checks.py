"""Land checks over HTTP: POST /api/checks, GET /api/checks[/{id}], the /check page, downloads."""

from __future__ import annotations

import json

import geopandas as gpd
from flask import Blueprint, Response, current_app, render_template, request, url_for

from geo_service.errors import BadRequest, GeoServiceError, NotAcceptable, NotFound
from geo_service.exports import export_frame
from geo_service.geo.geojson import clean_geometries, geometry_mapping
from geo_service.land import export
from geo_service.land.jzd_writer import write_jzd
from geo_service.land.readers import FORMATS, Limits
from geo_service.land.service import CheckRequest, Upload, run_check
from geo_service.land.zones import zones_from_layer
from geo_service.render import chromium
from geo_service.render.standalone import inline_assets
from geo_service.web.http import GEOJSON
from geo_service.web.ogc import catalog, parse_int

bp = Blueprint("checks", __name__)
GIS_DOWNLOADS = ("shp", "kml", "jzd")
DOWNLOADS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "gpkg": ("application/geopackage+sqlite3", "gpkg"),
}


def register():
    return current_app.extensions["geo_service.register"]


def jobs():
    return current_app.extensions["geo_service.jobs"]


def upload(field: str, required: bool) -> Upload | None:
    file = request.files.get(field)
    if file is None or not file.filename and not required:
        if required:
            raise BadRequest(
                f"multipart field {field!r} (the parcel file) is required; "
                f"accepted formats: {'; '.join(FORMATS.values())}"
            )
        return None
    data = file.read()
    if not data:
        raise BadRequest(f"the uploaded {field!r} file {file.filename!r} is empty")
    return Upload(file.filename or field, data)


def check_request() -> CheckRequest:
    values = request.form
    config = current_app.config
    return CheckRequest(
        parcels=upload("file", required=True),
        zones=upload("zones", required=False),
        crs=values.get("crs") or None,
        zones_crs=values.get("zones_crs") or None,
        layer=values.get("layer") or None,
        limits=Limits.from_config(config),
    )


@bp.post("/api/checks")
def create_check():
    """Start a check; answer with the result (201) or, if it takes longer, its progress (202)."""
    check = check_request()
    app = current_app._get_current_object()
    cat = catalog()
    default_zones = zones_from_layer(cat.get("zones"), cat.dataset_hash)

    def work(progress, job_id):
        document, parcels, zones = run_check(check, default_zones, cat.version, progress, job_id)
        progress("storing", len(parcels), len(parcels))
        app.extensions["geo_service.register"].save(document, parcels, zones.frame)

    job_id = jobs().submit(work)
    state = jobs().wait(job_id, float(current_app.config["CHECK_SYNC_SECONDS"]))
    if state["status"] == "failed":
        raise state["error"] if isinstance(state["error"], GeoServiceError) else state["error"]
    location = url_for("checks.get_check", check_id=job_id, _external=True)
    if state["status"] == "running":
        return running(state), 202, {"Location": location}
    return with_links(register().get(job_id)), 201, {"Location": location}


def running(state: dict) -> dict:
    share = state["done"] / state["total"] if state["total"] else 0.0
    return {
        "id": state["id"],
        "status": "running",
        "progress": {
            "stage": state["stage"],
            "done": state["done"],
            "total": state["total"],
            "share": round(share, 3),
        },
        "links": [
            {
                "rel": "monitor",
                "type": "application/json",
                "href": url_for("checks.get_check", check_id=state["id"], _external=True),
            }
        ],
    }


def with_links(document: dict) -> dict:
    check_id = document["id"]
    links = [
        {
            "rel": "self",
            "type": "application/json",
            "href": url_for("checks.get_check", check_id=check_id, _external=True),
        }
    ]
    for f, title in (
        ("csv", "CSV"),
        ("xlsx", "Excel"),
        ("html", "报告 report"),
        ("pdf", "报告 PDF"),
        ("gpkg", "GeoPackage"),
        ("shp", "Shapefile"),
        ("kml", "KML"),
        ("jzd", "界址点 txt"),
    ):
        links.append(
            {
                "rel": "alternate",
                "title": title,
                "href": url_for("checks.get_check", check_id=check_id, f=f, _external=True),
            }
        )
    for f in ("png", "pdf"):
        links.append(
            {
                "rel": "preview",
                "title": f"地图 {f.upper()}",
                "href": url_for("exports.snapshot_view", check=check_id, format=f, _external=True),
            }
        )
    return {**document, "links": links}


@bp.get("/api/checks")
def list_checks():
    """The register, newest first; ``f=gpkg`` exports all of it as a GeoPackage."""
    if request.args.get("f") == "gpkg":
        return download(register().export_geopackage(), "gpkg", "geo_service-checks")
    limit = parse_int("limit", 100, 1, 1000)
    offset = parse_int("offset", 0, 0, 10**9)
    checks = register().list(limit, offset)
    for check in checks:
        check["href"] = url_for("checks.get_check", check_id=check["id"], _external=True)
    return {"checks": checks, "numberMatched": register().count(), "numberReturned": len(checks)}


@bp.get("/api/checks/<check_id>")
def get_check(check_id: str):
    state = jobs().state(check_id)
    if state and state["status"] == "running":
        return running(state)
    if state and state["status"] == "failed":
        error = state["error"]
        if isinstance(error, GeoServiceError):
            raise error
        raise NotFound(f"check {check_id} failed with an internal error; see the server log")
    wanted = request.args.get("f", "json")
    if wanted not in ("json", "geojson", "html", "pdf", *DOWNLOADS, *GIS_DOWNLOADS):
        raise NotAcceptable(
            f"f={wanted} is not offered; use json, geojson, html, pdf, csv, xlsx, gpkg, shp, kml "
            "or jzd (界址点 txt)"
        )
    if wanted == "gpkg":
        register().get(check_id)  # 404 when unknown
        return download(register().export_geopackage([check_id]), "gpkg", f"check-{check_id}")
    document = register().get(check_id)
    if wanted in GIS_DOWNLOADS:
        parcels, _ = register().geometries(check_id)
        if wanted == "jzd":
            data = write_jzd(parcels["parcel_id"], [""] * len(parcels), parcels.geometry)
            return Response(
                data,
                mimetype="text/plain; charset=gb18030",
                headers={"Content-Disposition": f'attachment; filename="check-{check_id}-jzd.txt"'},
            )
        frame = gpd.GeoDataFrame(
            [{**p, "zones": "、".join(z["name"] for z in p["zones"])} for p in document["parcels"]],
            geometry=list(parcels.geometry),
            crs="EPSG:4490",
        )
        exported = export_frame(frame, wanted, f"check-{check_id}", "check_parcels")
        return Response(
            exported.data,
            mimetype=exported.mimetype,
            headers={"Content-Disposition": f'attachment; filename="{exported.filename}"'},
        )
    if wanted == "csv":
        return download(export.to_csv(document), "csv", f"check-{check_id}")
    if wanted == "xlsx":
        return download(export.to_xlsx(document), "xlsx", f"check-{check_id}")
    if wanted == "geojson":
        parcels, zones = register().geometries(check_id)
        if request.args.get("part") == "zones":
            return Response(zone_collection(document, zones), mimetype=GEOJSON)
        return Response(parcel_collection(document, parcels), mimetype=GEOJSON)
    if wanted in ("html", "pdf"):
        html = report_html(document)
        if wanted == "html":
            return html
        browser = chromium.find_chromium(current_app.config["CHROMIUM_PATH"])
        pdf = chromium.pdf(browser, inline_assets(html))
        return Response(
            pdf,
            mimetype="application/pdf",
            headers={"Content-Disposition": f'inline; filename="check-{check_id}.pdf"'},
        )
    return with_links(document)


def report_html(document: dict) -> str:
    """The printable report: summary, map (inline SVG), every parcel, method and data."""
    parcels, zones = register().geometries(document["id"])
    parcels["status"] = [p["status"] for p in document["parcels"]]
    svg = export.svg_map(parcels, zones, document["zones"]["schematic"])
    return render_template(
        "check_report.html",
        check=document,
        svg=svg,
        about=export.about_rows(document),
        status_zh=export.STATUS_ZH,
        max_map=export.MAX_MAP_PARCELS,
    )


def parcel_collection(document: dict, parcels) -> str:
    """The checked parcels as RFC 7946 GeoJSON with their results (zones flattened)."""
    features = []
    geometries = clean_geometries(parcels.geometry.to_numpy(), 7)
    for result, geometry in zip(document["parcels"], geometries):
        properties = {k: v for k, v in result.items() if k != "zones"}
        properties["zones"] = "、".join(z["name"] for z in result["zones"])
        features.append(
            {
                "type": "Feature",
                "id": result["parcel_id"],
                "properties": properties,
                "geometry": geometry_mapping(geometry),
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def zone_collection(document: dict, zones) -> str:
    """The zones this check used (the layer's or the uploaded boundaries), as GeoJSON."""
    precision = "schematic" if document["zones"]["schematic"] else "supplied"
    features = [
        {
            "type": "Feature",
            "id": zone_id,
            "properties": {"zone_id": zone_id, "name": name, "precision": precision},
            "geometry": geometry_mapping(geometry),
        }
        for zone_id, name, geometry in zip(
            zones["zone_id"], zones["name"], clean_geometries(zones.geometry.to_numpy(), 7)
        )
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def download(data: bytes, kind: str, stem: str) -> Response:
    mimetype, extension = DOWNLOADS[kind]
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{stem}.{extension}"'},
    )


@bp.get("/check")
def check_page():
    """Upload a file or draw a parcel; see it coloured by status over the zones."""
    return render_template("check.html", catalog=catalog(), formats=FORMATS)
