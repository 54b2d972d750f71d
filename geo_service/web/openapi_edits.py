"""The OpenAPI paths of OGC API - Features Part 4 (geo_service.web.edits): create, replace,
update and delete one feature, with If-Match/ETag, and a feature's change history."""

from __future__ import annotations

from geo_service.catalog import Catalog
from geo_service.edit_body import MAX_BODY_BYTES, MEDIA, MERGE_PATCH
from geo_service.feature_edits import NOT_EDITABLE
from geo_service.query import crs as part2
from geo_service.web.openapi import FEATURE, GEOJSON, JSON, OBJECT, STRING, WRITE, Paths, ok, param

ETAG = {"ETag": {"description": "the feature's new ETag (its If-Match next)", "schema": STRING}}
VERSION = {
    "X-Layer-Version": {"description": "the layer version written", "schema": {"type": "integer"}}
}
IF_MATCH = param(
    "If-Match",
    STRING,
    "the feature's ETag from GET /collections/{collectionId}/items/{featureId} (any of its "
    "representations); a stale one is a 412 carrying the current ETag, none a 428",
    "header",
    required=True,
)
CONTENT_CRS = param(
    "Content-Crs",
    STRING,
    f"the CRS of the body's coordinates as <URI>, one of {part2.offered_list()} in its EPSG "
    "axis order (4326/4490 latitude first, the GK planes northing first); default CRS84",
    "header",
)
MESSAGE = param(
    "X-Change-Message",
    {"type": "string", "maxLength": 200},
    "the version's message (UTF-8, raw or percent-encoded); default e.g. 编辑要素 <id>",
    "header",
)
EDIT_ERRORS = ("400", *WRITE, "404", "415", "422", "503")


def feature_body(media: tuple[str, ...], description: str) -> dict:
    schema = {**FEATURE, "description": description, "maxProperties": 6}
    return {"required": True, "content": {m: {"schema": schema} for m in media}}


def edit_paths(api: Paths, catalog: Catalog) -> None:
    editable = [layer_id for layer_id in catalog.layers if layer_id not in NOT_EDITABLE]
    collection = param(
        "collectionId", {"type": "string", "enum": editable}, "an editable layer", "path"
    )
    feature = param("featureId", STRING, "feature id", "path")
    bound = f"one GeoJSON feature of at most {MAX_BODY_BYTES} bytes"
    rules = (
        "; source/precision as given, else the edit is noted in source and the precision "
        "kept (schematic for a geometry drawn anew); checked (geometry type, validity, "
        "inside Ankang, id/name/source/precision); one new layer version; role planner"
    )
    answer = {**ETAG, **VERSION}
    api.add(
        "/collections/{collectionId}/items",
        "post",
        "create a feature (Part 4)" + rules,
        ok={
            "201": ok(
                "created: the feature as GET serves it",
                {GEOJSON: FEATURE},
                {**answer, "Location": {"description": "the feature's URL", "schema": STRING}},
            )
        },
        errors=(*EDIT_ERRORS, "409"),
        params=[collection, CONTENT_CRS, MESSAGE],
        body=feature_body(MEDIA, bound + " (id optional: else <layer>-<n>)"),
    )
    item = "/collections/{collectionId}/items/{featureId}"
    for method, summary, media in (
        ("put", "replace a feature (Part 4)", MEDIA),
        ("patch", "update a feature: JSON merge patch of properties and/or a geometry", None),
    ):
        api.add(
            item,
            method,
            summary + rules,
            ok={"200": ok("the feature as GET now serves it", {GEOJSON: FEATURE}, answer)},
            errors=(*EDIT_ERRORS, "412", "428"),
            params=[collection, feature, IF_MATCH, CONTENT_CRS, MESSAGE],
            body=feature_body(media or (*MEDIA, MERGE_PATCH), bound),
        )
    api.add(
        item,
        "delete",
        "delete a feature (Part 4): a new layer version without it; role planner",
        ok={"204": {"description": "deleted", "headers": VERSION}},
        errors=("400", "401", "403", "404", "412", "428", "503"),
        params=[collection, feature, IF_MATCH, MESSAGE],
    )
    entry = {
        "type": "object",
        "properties": {
            "version": {"type": "integer"},
            "created_at": STRING,
            "time": STRING,
            "user": STRING,
            "message": STRING,
            "change": {"type": "string", "enum": ["added", "changed", "removed"]},
            "change_text": STRING,
        },
    }
    history = {
        "type": "object",
        "required": ["collection", "feature", "history"],
        "properties": {
            "collection": STRING,
            "feature": STRING,
            "history": {"type": "array", "items": entry},
            "links": {"type": "array", "items": OBJECT},
        },
    }
    everything = param(
        "collectionId", {"type": "string", "enum": list(catalog.layers)}, "the layer id", "path"
    )
    api.add(
        item + "/history",
        "get",
        "a feature's change history: the versions in which it was created, changed or "
        "deleted (number, time, user, message), oldest first",
        ok={"200": ok("the history", {JSON: history})},
        errors=("400", "404"),
        params=[everything, feature],
    )
