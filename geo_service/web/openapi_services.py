"""The OpenAPI paths of the ``checks``, ``exports`` (layer files, snapshots, the offline map)
and ``analysis`` blueprints: one ``api.add`` per operation (the OGC API paths are in
geo_service.web.openapi_paths; ``openapi.BLUEPRINT_PATHS`` says which function writes which
blueprint's, and tests/test_api.py checks each writes exactly its blueprints' routes)."""

from __future__ import annotations

from geo_service.catalog import Catalog
from geo_service.formats import (
    CHECK_EXPORTS,
    CHECK_PARTS,
    DEFAULT_LAYER_DOWNLOAD,
    LAYER_DOWNLOADS,
    REACH_EXPORTS,
    REGISTER_EXPORTS,
    TEMPLATE_EXPORTS,
    OutputFormat,
    crs_formats,
)
from geo_service.render.snapshot import DPI_RANGE, MAX_SIDE_PX
from geo_service.render.snapshot import FORMATS as SNAPSHOT_FORMATS
from geo_service.web.openapi import (
    BINARY,
    CHECK,
    CHECKS_MAX_LIMIT,
    GUARDED,
    HTML,
    JSON,
    LINKS,
    OBJECT,
    PAGE,
    PARCELS_MAX_LIMIT,
    RUNNING,
    STRING,
    WRITE,
    Paths,
    body_schema,
    comma_list,
    files_ok,
    form,
    format_param,
    json_ok,
    ok,
    paging,
    param,
)
from geo_service.web.openapi_paths import collection_param, crs_param, ogc_parameters, query_params

PARCEL_FORMATS = "parcels: GeoJSON, zipped Shapefile, GeoPackage, KML/KMZ, CSV+WKT, 界址点坐标 txt"


def file_types(table: dict[str, OutputFormat], document: dict | None = None) -> dict:
    """The answers' content by media type: the files' bodies, and ``document`` for JSON."""
    types = {f.media_type: body_schema(f.media_type) for f in table.values()}
    if document is not None:
        types[JSON] = document
    return types


def check_paths(api: Paths, max_body: int) -> None:
    check_id = param("checkId", STRING, "check id", "path")
    location = {"Location": {"required": True, "description": "the check", "schema": STRING}}
    upload = {
        "file": {**BINARY, "description": f"{PARCEL_FORMATS}; at most {max_body} bytes"},
        "zones": {
            **BINARY,
            "description": "official zone boundaries (default: the zones layer, schematic)",
        },
        "crs": {
            "type": "string",
            "description": "the parcels' CRS when the file does not say it (EPSG:4545, gcj02, ...)",
        },
        "zones_crs": {"type": "string", "description": "the zones' CRS when the file does not say"},
        "layer": {"type": "string", "description": "layer of a multi-layer file"},
        "zones_id_field": {
            "type": "string",
            "description": "the zones file's id field (default: zone_id, id, code, 代码, 编号, "
            "YQDM, KFQDM, ... recognised)",
        },
        "zones_name_field": {
            "type": "string",
            "description": "the zones file's name field (default: name, 名称, 区名, 园区名称, "
            "YQMC, KFQMC, ... recognised)",
        },
        "zones_fields": {
            "type": "string",
            "description": "comma-separated zone attributes to carry into each parcel's zones",
        },
    }
    api.add(
        "/api/checks",
        "post",
        "check land parcels against the zones (and record it)",
        ok={
            "201": ok("the finished check", {JSON: CHECK}, location),
            "202": ok("still running: progress, and the URL to poll", {JSON: RUNNING}, location),
        },
        errors=("400", *WRITE, "415", "422", "503"),
        body=form(upload),
    )
    register = {
        "type": "object",
        "required": ["checks", *PAGE],
        "properties": {"checks": {"type": "array", "items": OBJECT}, **PAGE},
    }
    api.add(
        "/api/checks",
        "get",
        "the check register, newest first (f=gpkg exports it)",
        ok={"200": ok("the checks", file_types(REGISTER_EXPORTS, register))},
        errors=("400", *GUARDED, "406"),
        params=[*paging(100, CHECKS_MAX_LIMIT, "checks"), format_param(REGISTER_EXPORTS)],
    )
    part = param(
        "part",
        {"type": "string", "enum": ["parcels", *CHECK_PARTS]},
        "with f=geojson: the parcels (default) or the zones used",
    )
    crs = param(
        "crs",
        STRING,
        f"with f={', f='.join(crs_formats(CHECK_EXPORTS))}: the file's CRS (CGCS2000 lon/lat, a "
        "CGCS2000 3° GK zone or WGS 84, as URI, [EPSG:n], EPSG:n or n; default the parcels' "
        "own); a 400 with any other f",
    )
    geojson_limit = param(
        "limit",
        {"type": "integer", "minimum": 0, "maximum": 10**7},
        "with f=geojson: the first so many parcels, in file order (the check page's map of a "
        "big check); 0 or none: all",
    )
    api.add(
        "/api/checks/{checkId}",
        "get",
        "one check (its progress while running), or a download of it; a failed check "
        "answers its error",
        ok={"200": ok("the check, its progress, or the file", file_types(CHECK_EXPORTS, CHECK))},
        errors=("400", *GUARDED, "404", "406", "413", "415", "422", "503"),
        params=[check_id, format_param(CHECK_EXPORTS), part, crs, geojson_limit],
    )
    parcels = {
        "type": "object",
        "required": ["parcels", *PAGE, "links"],
        "properties": {"parcels": {"type": "array", "items": OBJECT}, **PAGE, "links": LINKS},
    }
    api.add(
        "/api/checks/{checkId}/parcels",
        "get",
        "a check's parcel results, paged",
        ok=json_ok("one page of parcels (links next/prev)", parcels),
        errors=("400", *GUARDED, "404"),
        params=[check_id, *paging(100, PARCELS_MAX_LIMIT, "parcels")],
    )
    api.add("/check", "get", "用地检查 page", ok={"200": ok("the page", {HTML: STRING})})


def export_paths(api: Paths, catalog: Catalog, config) -> None:
    download = {
        "f": format_param(LAYER_DOWNLOADS, f"file format (default {DEFAULT_LAYER_DOWNLOAD})"),
        "crs": crs_param(
            "crs",
            f"f={', f='.join(crs_formats(LAYER_DOWNLOADS))} (the other formats are WGS 84 only)",
        ),
    }
    api.add(
        "/collections/{collectionId}/download",
        "get",
        "a whole layer as a file",
        ok=files_ok("the file", sorted({f.media_type for f in LAYER_DOWNLOADS.values()})),
        errors=("400", "404", "406"),
        params=[
            collection_param(catalog),
            *query_params("download", ogc_parameters(config), **download),
        ],
    )
    low, high = DPI_RANGE
    lon = {"type": "number", "minimum": -180, "maximum": 180}
    params = [
        param(
            "format",
            {"type": "string", "enum": list(SNAPSHOT_FORMATS), "default": "png"},
            "output format",
        ),
        comma_list(
            "layers",
            {"type": "string", "enum": list(catalog.layers)},
            "layer ids (default: the map's)",
        ),
        comma_list(
            "bbox",
            lon,
            "minlon,minlat,maxlon,maxlat touching Ankang (default: the city), at most 20° and "
            "at least about 10 m across",
            4,
            4,
        ),
        param(
            "dpi",
            {"type": "integer", "minimum": low, "maximum": high, "default": 200},
            "PNG resolution",
        ),
        param(
            "paper",
            {
                "type": "string",
                "default": "A4-landscape",
                "enum": ["A4-landscape", "A4-portrait", "A3-landscape", "A3-portrait"],
            },
            "paper",
        ),
        param(
            "size",
            {"type": "string", "pattern": r"^([0-9]{2,5}x[0-9]{2,5})?$"},
            f"WIDTHxHEIGHT pixels instead of a paper: at least 600x400, at most "
            f"{MAX_SIDE_PX} a side",
        ),
        param("title", {"type": "string", "maxLength": 80}, "the map's title (图名)"),
        param("check", STRING, "draw this check's parcels by status"),
    ]
    for parameter in params:  # parse_request takes an empty value as "the default"
        parameter["allowEmptyValue"] = True
    api.add(
        "/api/snapshot",
        "get",
        "a static map: PNG, PDF or SVG with title, legend, scale bar, north arrow, CRS and sources",
        ok=files_ok("the image or document", list(SNAPSHOT_FORMATS.values())),
        errors=("400", "404", "503"),
        params=params,
    )
    api.add(
        "/export/map.html",
        "get",
        "the interactive map as one HTML file that works offline",
        ok={"200": ok("the map", {HTML: STRING})},
    )


#: The analyses' notes are records (components/schemas/Record), localised like errors.
ANALYSIS = (
    "the analysis; its notes (note, method, interpretation, named_source, sample_label, "
    "problems[].message) are Records: Chinese, or English with Accept-Language: en"
)


def analysis_paths(api: Paths, max_body: int) -> None:
    kind = param(
        "kind",
        {"type": "string", "enum": ["coverage", "reach", "enclaves", "targets"]},
        "which analysis",
        "path",
    )
    year = param(
        "year",
        {"type": "integer", "minimum": 2000, "maximum": 2100},
        "targets: the year of the figures (empty: the latest)",
        allowEmptyValue=True,
    )
    bands = comma_list(
        "bands",
        {"type": "number", "exclusiveMinimum": True, "minimum": 0, "maximum": 300},
        "reach: distance bands in km, e.g. 10,30,60",
        max_items=6,
    )
    api.add(
        "/api/analysis/{kind}",
        "get",
        "plan analysis: cluster coverage, logistics reach, enclave links, targets and progress",
        ok={"200": ok(ANALYSIS, file_types(REACH_EXPORTS, OBJECT))},
        errors=("400", "404", "406"),
        params=[
            kind,
            format_param(REACH_EXPORTS, "output (geojson: reach only)"),
            bands,
            year,
        ],
    )
    api.add(
        "/api/analysis/targets/actuals",
        "post",
        "import actual figures (CSV/XLSX; all or nothing, bad rows by line)",
        ok={"201": ok("imported", {JSON: OBJECT})},
        errors=("400", *WRITE, "415", "422"),
        body=form({"file": {**BINARY, "description": f"CSV or XLSX, at most {max_body} bytes"}}),
    )
    api.add(
        "/api/analysis/targets/template",
        "get",
        "the figures template",
        ok={"200": ok("the template", file_types(TEMPLATE_EXPORTS))},
        errors=("400", "406"),
        params=[format_param(TEMPLATE_EXPORTS), year],
    )
    api.add("/analysis", "get", "规划分析 page", ok={"200": ok("the page", {HTML: STRING})})


HEALTH = {
    "type": "object",
    "required": ["status", "store", "backend"],
    "properties": {
        "status": {"type": "string", "enum": ["ok"]},
        "store": {"type": "string", "enum": ["ok"]},
        "backend": {"type": "string", "enum": ["sqlite", "postgresql"]},
        "ready": {"type": "boolean"},
    },
}


def health_paths(api: Paths) -> None:
    """Open to anyone, for load balancers (docs/deployment.md); 503 with Retry-After."""
    api.add(
        "/api/health",
        "get",
        "alive: this server and its store answer (503 when the store does not)",
        ok=json_ok("the server and its store answer", HEALTH),
        errors=("503",),
    )
    api.add(
        "/api/health/ready",
        "get",
        "ready for visitors: alive and done warming its big layers' tiles (503 until then)",
        ok=json_ok("ready for visitors", HEALTH),
        errors=("503",),
    )
