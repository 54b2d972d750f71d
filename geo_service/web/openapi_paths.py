"""The OGC API - Features paths (Parts 1-3) of the ``pages``, ``ogc`` and ``queryables``
blueprints: one ``api.add`` per operation (helpers in geo_service.web.openapi; the checks,
exports and analysis blueprints' paths in geo_service.web.openapi_services)."""

from __future__ import annotations

from geo_service.catalog import Catalog
from geo_service.query import crs as part2
from geo_service.query.params import ACCEPTED
from geo_service.web.openapi import (
    FEATURE,
    FEATURES,
    GEOJSON,
    HTML,
    LINKS,
    OBJECT,
    OPENAPI,
    STRING,
    Paths,
    format_param,
    negotiated,
    ok,
    paging,
    param,
)
from geo_service.web.openapi_filter import filter_params, queryables_path


def ogc_parameters(config) -> dict[str, dict]:
    """Every OGC query parameter's definition, by name; each operation lists the ones
    geo_service.query.params.ACCEPTED gives it (the one list the views check against)."""
    maximum = int(config["ITEMS_MAX_LIMIT"])
    number = {"type": "number"}
    limit, offset = paging(int(config["ITEMS_DEFAULT_LIMIT"]), maximum, "features")
    limit["description"] = (
        f"page size: at least 1; a larger value than {maximum} is served as {maximum} "
        "(clamped, not an error: OGC API - Features 1.0, 7.15.3); 0, negative or not an "
        "integer is a 400"
    )
    bbox = param(
        "bbox",
        {
            "oneOf": [
                {"type": "array", "minItems": 4, "maxItems": 4, "items": number},
                {"type": "array", "minItems": 6, "maxItems": 6, "items": number},
            ]
        },
        "the box in bbox-crs, in its axis order: CRS84 (default) minlon,minlat,maxlon,maxlat; "
        "EPSG:4326/4490 minlat,minlon,maxlat,maxlon; the GK planes minX(northing),minY(easting),"
        "maxX,maxY in metres (or the 3D form with heights); min <= max",
        style="form",
        explode=False,
    )
    moment = {"type": "string", "maxLength": 80}
    return {
        "f": format_param(("json", "html")),
        "limit": limit,
        "offset": offset,
        "bbox": bbox,
        "bbox-crs": crs_param("bbox-crs", "bbox"),
        "datetime": param(
            "datetime",
            moment,
            "an RFC 3339 instant or interval start/end (.. for an open end); checked, and "
            "every feature matches: no layer carries time",
        ),
        "crs": crs_param("crs", "coordinates"),
        "version": param(
            "version",
            {"type": "integer", "minimum": 1},
            "serve this version of the layer (GET /collections/{collectionId}/versions lists "
            "them; default the current one); a version the layer does not have is a 404",
        ),
        "cursor": param(
            "cursor",
            {"type": "string", "maxLength": 200},
            "where the page starts in a layer served from the database (more than "
            "LAYER_MEMORY_MAX_FEATURES features): the opaque value of the next link, signed; "
            "a forged or altered one is a 400",
        ),
        **{definition["name"]: definition for definition in filter_params()},
    }


def query_params(kind: str, definitions: dict[str, dict], **own: dict) -> list[dict]:
    """The query parameters of request ``kind``, in the table's order (``own`` overrides)."""
    return [own.get(name) or definitions[name] for name in ACCEPTED[kind]]


def collection_param(catalog: Catalog) -> dict:
    """``{collectionId}``: one of the catalog's layers."""
    return param(
        "collectionId", {"type": "string", "enum": list(catalog.layers)}, "the layer id", "path"
    )


def ogc_paths(api: Paths, catalog: Catalog, config) -> None:
    defs = ogc_parameters(config)
    collection = collection_param(catalog)
    links = {"type": "object", "required": ["links"], "properties": {"links": LINKS}}
    api.add(
        "/",
        "get",
        "landing page (JSON) or the interactive map (HTML)",
        ok=negotiated("landing page", links),
        errors=("400", "406"),
        params=query_params("landing", defs),
    )
    api.add(
        "/api",
        "get",
        "this OpenAPI document (or as HTML)",
        ok={"200": ok("the API definition", {OPENAPI: OBJECT, HTML: STRING})},
        errors=("400", "406"),
        params=query_params("api", defs),
    )
    conforms = {
        "type": "object",
        "required": ["conformsTo", "links"],
        "properties": {"conformsTo": {"type": "array", "items": STRING}, "links": LINKS},
    }
    api.add(
        "/conformance",
        "get",
        "conformance classes",
        ok=negotiated("conformance", conforms),
        errors=("400", "406"),
        params=query_params("conformance", defs),
    )
    layers = {
        "type": "object",
        "required": ["collections", "links"],
        "properties": {"collections": {"type": "array", "items": OBJECT}, "links": LINKS},
    }
    api.add(
        "/collections",
        "get",
        "the layers, with source and precision",
        ok=negotiated("collections", layers),
        errors=("400", "406"),
        params=query_params("collections", defs),
    )
    one = {
        "type": "object",
        "required": ["id", "links"],
        "properties": {"id": STRING, "links": LINKS},
    }
    api.add(
        "/collections/{collectionId}",
        "get",
        "one layer's metadata",
        ok=negotiated("collection", one),
        errors=("400", "404", "406"),
        params=[collection, *query_params("collection", defs)],
    )
    api.add(
        "/collections/{collectionId}/items",
        "get",
        "a layer's features, paged",
        ok=with_content_crs(negotiated("features", FEATURES, GEOJSON)),
        errors=("400", "404", "406"),
        params=[collection, *query_params("items", defs)],
    )
    queryables_path(api, collection, *query_params("queryables", defs))
    feature = param("featureId", STRING, "feature id", "path")
    api.add(
        "/collections/{collectionId}/items/{featureId}",
        "get",
        "one feature",
        ok=with_content_crs(negotiated("feature", FEATURE, GEOJSON)),
        errors=("400", "404", "406"),
        params=[collection, feature, *query_params("item", defs)],
    )


def crs_param(name: str, what: str) -> dict:
    """``crs`` or ``bbox-crs`` (OGC API - Features Part 2): the offered CRSs in every
    spelling accepted (the URIs are the ones the collections list); default CRS84."""
    return param(
        name,
        {"type": "string", "enum": list(part2.SPELLED), "default": part2.CRS84},
        f"the CRS of {what}: {part2.offered_list()}, as the OGC URI, [EPSG:n], EPSG:n or n "
        "(CRS84 also OGC:CRS84, [OGC:CRS84], CRS84); axes in the EPSG order (4326/4490 "
        "latitude first, the GK planes northing first); default CRS84",
    )


def with_content_crs(responses: dict) -> dict:
    """The 200 answer's ``Content-Crs`` header (every GeoJSON answer; not the HTML page)."""
    responses["200"].setdefault("headers", {})["Content-Crs"] = {
        "description": "the CRS of the coordinates, as <URI> (Part 2)",
        "schema": STRING,
    }
    return responses
