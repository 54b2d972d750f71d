"""Exports over HTTP: map snapshots, the standalone map, and data downloads."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from geo_service import formats
from geo_service.land.export import draw_check
from geo_service.messages import Msg
from geo_service.query.params import check_query
from geo_service.render import snapshot
from geo_service.render.standalone import standalone_map
from geo_service.web.check_files import check_filename
from geo_service.web.http import file_response
from geo_service.web.ogc import catalog, served_layer
from geo_service.web.pages import render_map_page

bp = Blueprint("exports", __name__)


@bp.get("/api/snapshot")
def snapshot_view():
    """``layers``, ``bbox`` (lon/lat), ``format`` png|pdf|svg, ``dpi``, ``paper``/``size``,
    ``title``; ``check=ID`` draws a check's parcels by status over its zones."""
    cat = catalog()
    args = request.args.to_dict()
    check_id = args.pop("check", None)
    if check_id:
        args.setdefault("layers", "counties")
    wanted = snapshot.parse_request(args, cat)
    if check_id:
        register = current_app.extensions["geo_service.register"]
        zone = current_app.config["TIME_ZONE"]
        document = draw_check(wanted, register, check_id, zone, "title" in args)
    renders = current_app.extensions["geo_service.renders"]
    data = snapshot.render_held(wanted, cat, current_app.config["CHROMIUM_PATH"], renders)
    if check_id:
        name, fallback = check_filename(document, wanted.format, "地图", "map")
    else:
        name, fallback = f"安康市工业集中区地图.{wanted.format}", f"ankang-map.{wanted.format}"
    media = snapshot.FORMATS[wanted.format]
    return file_response(data, media, name, fallback=fallback, inline=True)


@bp.get("/export/map.html")
def standalone_view():
    """The interactive map as one file that works offline from disk: ``/`` rendered as for a
    browser, then inlined by render/standalone.py."""
    with current_app.test_request_context("/", headers={"Accept": "text/html"}):
        page = render_map_page(offline=True)
    html = standalone_map(page)
    return file_response(
        html, "text/html; charset=utf-8", "安康市工业集中区地图.html", fallback="ankang-map.html"
    )


@bp.get("/collections/<collection_id>/download")
def layer_download(collection_id: str):
    """A whole layer as GeoJSON, GeoPackage, zipped Shapefile, CSV or KML (``f=``); a
    GeoPackage or Shapefile in any offered ``crs=`` (query/crs.py), the others in WGS 84."""
    check_query(request.args, "download")
    cat = catalog()
    layer = served_layer(collection_id)
    if layer.in_store:  # GeoJSON only (formats.layer_downloads), batch by batch from the database
        from geo_service.layer_download import geojson_stream

        data, name = geojson_stream(layer, request.args.get("f"), request.args.get("crs"))
        title = download_title(layer, "version" in request.args)
        return file_response(data, formats.GEOJSON, f"{title}.geojson", fallback=name)
    asked = request.args.get("f", formats.default_layer_download(in_store=False))
    download = formats.layer_download(cat, layer, asked, request.args.get("crs"))
    extension = download.filename.rpartition(".")[2]
    return file_response(
        download.data,
        download.mimetype,
        f"{download_title(layer, 'version' in request.args)}.{extension}",
        fallback=download.filename,
    )


def download_title(layer, past: bool) -> str:
    """The layer's title, and for ``?version=n`` the version (two versions, two names)."""
    if not past:
        return layer.title
    return Msg("versions.download_name", title=layer.title, number=layer.version).text()
