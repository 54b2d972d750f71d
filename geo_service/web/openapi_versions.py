"""The OpenAPI paths of layer versions (geo_service.web.versions): the list, one version with
its diff, and revert; ``?version=n`` on items and downloads is in openapi_paths."""

from __future__ import annotations

from geo_service.catalog import Catalog
from geo_service.query.params import ACCEPTED
from geo_service.web.openapi import (
    JSON,
    LINKS,
    OBJECT,
    STRING,
    WRITE,
    Paths,
    format_param,
    negotiated,
    ok,
    param,
)

VERSION = {
    "type": "object",
    "required": ["number", "created_at", "user", "message", "feature_count", "etag"],
    "properties": {
        "number": {"type": "integer", "minimum": 1},
        "current": {"type": "boolean"},
        "created_at": STRING,
        "user": STRING,
        "message": STRING,
        "source_name": STRING,
        "source_sha256": STRING,
        "feature_count": {"type": "integer"},
        "content_sha256": STRING,
        "etag": {"type": "string", "description": "the version's tag, for If-Match on revert"},
        "counts": {
            "type": "object",
            "description": "features added, removed, changed against the version before",
        },
        "links": LINKS,
    },
}
DIFF = {
    "type": "object",
    "description": "added, removed, changed features by id and name; polygons with their area "
    "(area_m2, area_mu; changed: area_before_m2, area_after_m2, area_change_m2, "
    "area_change_mu, moved_m) on each feature's CGCS2000 GK plane (plane: EPSG:4545/4546); "
    "changed ones say geometry_changed, attributes_changed and the fields",
    "properties": {
        "counts": OBJECT,
        "added": {"type": "array", "items": OBJECT},
        "removed": {"type": "array", "items": OBJECT},
        "changed": {"type": "array", "items": OBJECT},
    },
}


def version_paths(api: Paths, catalog: Catalog) -> None:
    collection = param(
        "collectionId", {"type": "string", "enum": list(catalog.layers)}, "the layer id", "path"
    )
    number = param("version", {"type": "integer", "minimum": 1}, "version number", "path")
    defs = {
        "f": format_param(("json", "html")),
        "against": param(
            "against",
            {"type": "integer", "minimum": 1},
            "compare with this version instead of the one before",
        ),
    }
    listing = {
        "type": "object",
        "required": ["collection", "current", "versions", "links"],
        "properties": {
            "collection": STRING,
            "current": {"type": "integer"},
            "versions": {"type": "array", "items": VERSION},
            "drift": {
                "type": "object",
                "nullable": True,
                "description": "the deploy's layer file differs from every version's source "
                "(python -m geo_service store import-repo makes it a version)",
            },
            "links": LINKS,
        },
    }
    api.add(
        "/collections/{collectionId}/versions",
        "get",
        "every version of a layer, newest first (number, time, user, message, source, counts)",
        ok=negotiated("the versions", listing),
        errors=("400", "404", "406"),
        params=[collection, *(defs[n] for n in ACCEPTED["versions"])],
    )
    one = {"allOf": [VERSION, {"type": "object", "properties": {"diff": DIFF}}]}
    api.add(
        "/collections/{collectionId}/versions/{version}",
        "get",
        "one version and its diff against the one before (or ?against=)",
        ok=negotiated("the version", one),
        errors=("400", "404", "406"),
        params=[collection, number, *(defs[n] for n in ACCEPTED["layer_version"])],
    )
    if_match = param(
        "If-Match",
        STRING,
        "optional: the current version's etag (from the list); another is a 409",
        "header",
    )
    body = {
        "type": "object",
        "properties": {
            "message": {"type": "string", "maxLength": 500},
            "based_on": {"type": "integer", "description": "the version the revert expects"},
        },
    }
    api.add(
        "/collections/{collectionId}/versions/{version}/revert",
        "post",
        "a new version equal to this one (planner role)",
        ok={
            "201": ok("the new version (Location)", {JSON: VERSION}),
            "303": {"description": "from the versions page's form: to the new version's page"},
        },
        errors=("400", *WRITE, "404", "409", "422"),
        params=[collection, number, if_match],
        body={
            "required": False,
            "content": {
                JSON: {"schema": body},
                "application/x-www-form-urlencoded": {"schema": body},
            },
        },
    )
