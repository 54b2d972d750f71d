"""The OpenAPI 3.0 description of the service, generated from the catalog."""

from __future__ import annotations

from geo_service.catalog import Catalog

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}


def _param(
    name: str, schema: dict, description: str, where: str = "query", required: bool = False
) -> dict:
    return {
        "name": name,
        "in": where,
        "required": required,
        "schema": schema,
        "description": description,
    }


F_PARAM = _param("f", {"type": "string", "enum": ["json", "html"]}, "output format")


def _responses(media_type: str, description: str) -> dict:
    error = {"description": "error", "content": {"application/json": {"schema": ERROR_SCHEMA}}}
    return {
        "200": {
            "description": description,
            "content": {
                media_type: {"schema": {"type": "object"}},
                "text/html": {"schema": {"type": "string"}},
            },
        },
        "304": {"description": "not modified (If-None-Match matched the ETag)"},
        "400": error,
        "404": error,
    }


def openapi_document(catalog: Catalog) -> dict:
    """Paths for the landing page, conformance, collections and features of every layer."""
    collection_ids = list(catalog.layers)
    collection_param = _param(
        "collectionId",
        {"type": "string", "enum": collection_ids},
        "the collection (layer) id",
        "path",
        True,
    )
    items_params = [
        collection_param,
        _param(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100},
            "page size",
        ),
        _param("offset", {"type": "integer", "minimum": 0, "default": 0}, "features to skip"),
        _param(
            "bbox",
            {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
            "minx,miny,maxx,maxy in lon/lat (CRS84)",
        ),
        F_PARAM,
    ]
    return {
        "openapi": "3.0.3",
        "info": {
            "title": catalog.title,
            "version": catalog.version,
            "description": catalog.title_en + " - OGC API - Features Part 1",
        },
        "paths": {
            "/": {
                "get": {
                    "summary": "landing page (JSON) or the interactive map (HTML)",
                    "parameters": [F_PARAM],
                    "responses": _responses("application/json", "landing page"),
                }
            },
            "/conformance": {
                "get": {
                    "summary": "conformance classes",
                    "parameters": [F_PARAM],
                    "responses": _responses("application/json", "conformance"),
                }
            },
            "/collections": {
                "get": {
                    "summary": "the layers",
                    "parameters": [F_PARAM],
                    "responses": _responses("application/json", "collections"),
                }
            },
            "/collections/{collectionId}": {
                "get": {
                    "summary": "one layer's metadata",
                    "parameters": [collection_param, F_PARAM],
                    "responses": _responses("application/json", "collection"),
                }
            },
            "/collections/{collectionId}/items": {
                "get": {
                    "summary": "a layer's features",
                    "parameters": items_params,
                    "responses": _responses("application/geo+json", "features"),
                }
            },
            "/collections/{collectionId}/items/{featureId}": {
                "get": {
                    "summary": "one feature",
                    "parameters": [
                        collection_param,
                        _param("featureId", {"type": "string"}, "feature id", "path", True),
                        F_PARAM,
                    ],
                    "responses": _responses("application/geo+json", "feature"),
                }
            },
            **CHECK_PATHS,
            **EXPORT_PATHS,
            **ANALYSIS_PATHS,
        },
    }


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR_SCHEMA}}}


PARCEL_FORMATS = "parcels: GeoJSON, zipped Shapefile, GeoPackage, KML/KMZ, CSV+WKT, 界址点坐标 txt"
CHECK_ID = _param("checkId", {"type": "string"}, "check id", "path", True)
CHECK_FORMATS = ["json", "geojson", "html", "pdf", "csv", "xlsx", "gpkg", "shp", "kml", "jzd"]


def _multipart(properties: dict) -> dict:
    """A required multipart/form-data body whose ``file`` field is required."""
    schema = {"type": "object", "required": ["file"], "properties": properties}
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


CHECK_PATHS = {
    "/api/checks": {
        "post": {
            "summary": "check land parcels against the zones (and record the check)",
            "requestBody": _multipart(
                {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": PARCEL_FORMATS,
                    },
                    "zones": {
                        "type": "string",
                        "format": "binary",
                        "description": "official zone boundaries (default: the "
                        "zones layer, schematic)",
                    },
                    "crs": {
                        "type": "string",
                        "description": "the parcels' CRS when the "
                        "file does not say it (EPSG:4545, gcj02, ...)",
                    },
                    "zones_crs": {"type": "string"},
                    "layer": {
                        "type": "string",
                        "description": "layer of a multi-layer file",
                    },
                }
            ),
            "responses": {
                "201": {
                    "description": "the finished check",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "202": {
                    "description": "still running: progress, and the URL to poll",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "400": _error("a parameter is wrong"),
                "413": _error("the upload or what it unpacks to is too large"),
                "415": _error("not a format the service reads"),
                "422": _error("the file's content cannot be checked; details.problems"),
            },
        },
        "get": {
            "summary": "the check register, newest first (f=gpkg exports it)",
            "parameters": [
                _param("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "page size"),
                _param("offset", {"type": "integer", "minimum": 0}, "checks to skip"),
                _param("f", {"type": "string", "enum": ["json", "gpkg"]}, "output format"),
            ],
            "responses": {"200": {"description": "the checks"}, "400": _error("bad parameter")},
        },
    },
    "/api/checks/{checkId}": {
        "get": {
            "summary": "one check (its progress while running), or a download of it",
            "parameters": [
                CHECK_ID,
                _param("f", {"type": "string", "enum": CHECK_FORMATS}, "output format"),
                _param(
                    "part",
                    {"type": "string", "enum": ["parcels", "zones"]},
                    "with f=geojson: the parcels (default) or the zones used",
                ),
            ],
            "responses": {
                "200": {"description": "the check"},
                "404": _error("no such check"),
                "406": _error("format not offered"),
            },
        }
    },
}


def _get(summary: str, parameters: list, ok: str = "the result") -> dict:
    return {
        "get": {
            "summary": summary,
            "parameters": parameters,
            "responses": {
                "200": {"description": ok},
                "400": _error("bad parameter"),
                "404": _error("not found"),
            },
        }
    }


EXPORT_PATHS = {
    "/api/snapshot": _get(
        "a static map: PNG, PDF or SVG with title, legend, scale bar, north arrow, CRS and sources",
        [
            _param("format", {"type": "string", "enum": ["png", "pdf", "svg"]}, "output format"),
            _param("layers", {"type": "string"}, "comma-separated layer ids (default: the map's)"),
            _param("bbox", {"type": "string"}, "minlon,minlat,maxlon,maxlat (default: the city)"),
            _param("dpi", {"type": "integer", "minimum": 72, "maximum": 600}, "PNG resolution"),
            _param(
                "paper",
                {
                    "type": "string",
                    "enum": ["A4-landscape", "A4-portrait", "A3-landscape", "A3-portrait"],
                },
                "paper",
            ),
            _param("size", {"type": "string"}, "WIDTHxHEIGHT pixels instead of a paper"),
            _param("title", {"type": "string", "maxLength": 80}, "the map's title (图名)"),
            _param("check", {"type": "string"}, "draw this check's parcels by status"),
        ],
        "the image or document",
    ),
    "/export/map.html": _get("the interactive map as one HTML file that works offline", []),
    "/collections/{collectionId}/download": _get(
        "a whole layer as a file",
        [
            _param("collectionId", {"type": "string"}, "the layer", "path", True),
            _param(
                "f",
                {"type": "string", "enum": ["geojson", "gpkg", "shp", "csv", "kml"]},
                "file format",
            ),
        ],
        "the file",
    ),
}
ANALYSIS_PATHS = {
    "/api/analysis/{kind}": _get(
        "plan analysis: cluster coverage, logistics reach, enclave links, targets and progress",
        [
            _param(
                "kind",
                {"type": "string", "enum": ["coverage", "reach", "enclaves", "targets"]},
                "which analysis",
                "path",
                True,
            ),
            _param(
                "f",
                {"type": "string", "enum": ["json", "csv", "xlsx", "geojson"]},
                "output (geojson: the reach bands)",
            ),
            _param("bands", {"type": "string"}, "reach: distance bands in km, e.g. 10,30,60"),
            _param("year", {"type": "integer"}, "targets: the year of the figures"),
        ],
    ),
    "/api/analysis/targets/actuals": {
        "post": {
            "summary": "import actual figures (CSV/XLSX; all or nothing, bad rows by line)",
            "requestBody": _multipart({"file": {"type": "string", "format": "binary"}}),
            "responses": {
                "201": {"description": "imported"},
                "400": _error("no file"),
                "415": _error("not CSV or XLSX"),
                "422": _error("bad rows"),
            },
        }
    },
    "/api/analysis/targets/template": _get(
        "the figures template",
        [
            _param("f", {"type": "string", "enum": ["csv", "xlsx"]}, "format"),
            _param("year", {"type": "integer"}, "the year to fill in"),
        ],
        "the template",
    ),
}
