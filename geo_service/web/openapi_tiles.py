"""The OpenAPI paths of OGC API - Tiles (geo_service.web.tiles): tile matrix sets, each
collection's vector tileset and its Mapbox Vector Tiles."""

from __future__ import annotations

from geo_service.catalog import Catalog
from geo_service.query.params import ACCEPTED
from geo_service.tiles.matrix import MAX_ZOOM, TMS_ID
from geo_service.tiles.service import MEDIA_TYPE
from geo_service.web.openapi import BINARY, JSON, LINKS, OBJECT, STRING, Paths, format_param, ok
from geo_service.web.openapi import param as parameter

ETAG = {"ETag": {"description": "strong entity tag", "schema": STRING}}
NOT_MODIFIED = {"304": {"description": "not modified (If-None-Match matched the ETag)"}}
TILESET = {
    "type": "object",
    "required": ["dataType", "crs", "tileMatrixSetURI", "links"],
    "properties": {
        "title": STRING,
        "dataType": {"enum": ["vector"]},
        "crs": STRING,
        "tileMatrixSetURI": STRING,
        "links": LINKS,
        "layers": {"type": "array", "items": OBJECT},
        "tileMatrixSetLimits": {"type": "array", "items": OBJECT},
    },
}


def json_answer(description: str, schema: dict) -> dict:
    return {"200": ok(description, {JSON: schema}, ETAG), **NOT_MODIFIED}


def tile_paths(api: Paths, catalog: Catalog) -> None:
    collection = parameter(
        "collectionId", {"type": "string", "enum": list(catalog.layers)}, "the layer id", "path"
    )
    tms = parameter(
        "tileMatrixSetId", {"type": "string", "enum": [TMS_ID]}, "tile matrix set", "path"
    )
    version = parameter(
        "version", {"type": "integer", "minimum": 1}, "a past version of the layer (?version=n)"
    )
    defs = {"f": format_param(("json",)), "version": version}

    def params(kind: str) -> list[dict]:
        return [defs[n] for n in ACCEPTED[kind]]

    api.add(
        "/tileMatrixSets",
        "get",
        "the tile matrix sets offered (WebMercatorQuad)",
        ok=json_answer("the list", OBJECT),
        errors=("400", "406"),
        params=params("tile_matrix_sets"),
    )
    api.add(
        "/tileMatrixSets/{tileMatrixSetId}",
        "get",
        "a tile matrix set's definition (OGC 17-083r4 JSON)",
        ok=json_answer("the definition", OBJECT),
        errors=("400", "404", "406"),
        params=[tms, *params("tile_matrix_set")],
    )
    api.add(
        "/collections/{collectionId}/tiles",
        "get",
        "the vector tilesets of a layer",
        ok=json_answer("the tilesets", OBJECT),
        errors=("400", "404", "406"),
        params=[collection, *params("tilesets")],
    )
    api.add(
        "/collections/{collectionId}/tiles/{tileMatrixSetId}",
        "get",
        "a layer's vector tileset: its fields, limits per zoom and the tile URL template",
        ok=json_answer("the tileset metadata", TILESET),
        errors=("400", "404", "406"),
        params=[collection, tms, *params("tileset")],
    )
    index = {"type": "integer", "minimum": 0}
    fmt = format_param(("mvt",))
    api.add(
        "/collections/{collectionId}/tiles/{tileMatrixSetId}/{z}/{y}/{x}",
        "get",
        "one Mapbox Vector Tile (empty tile: 200 with an empty body); gzip with "
        "Accept-Encoding; the MVT layer is named after the collection, each feature's MVT id "
        "is its position + 1 and its id is the gs_fid property. A tile meeting more features "
        "than the setting TILE_MAX_FEATURES (20,000 by default) holds instead only the layer "
        "gs_overview: the tile cut into 16 x 16 cells, a square per cell with features, its "
        "count property the features whose box centre is in the cell (see the tileset's "
        "layers)",
        ok={
            "200": ok("the tile", {MEDIA_TYPE: BINARY}, ETAG),
            **NOT_MODIFIED,
        },
        errors=("400", "404", "406"),
        params=[
            collection,
            tms,
            parameter("z", {**index, "maximum": MAX_ZOOM}, "tile matrix (zoom)", "path"),
            parameter("y", index, "tile row, from the north (0 to 2^z - 1)", "path"),
            parameter("x", index, "tile column, from the west (0 to 2^z - 1)", "path"),
            *(fmt if n == "f" else defs[n] for n in ACCEPTED["tile"]),
        ],
    )
