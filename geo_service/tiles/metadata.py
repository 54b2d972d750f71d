"""The JSON documents of OGC API - Tiles (20-057): the tile matrix sets, a collection's
tilesets and its one tileset's metadata. Links are made by the caller (``link``), so this
module needs no request."""

from __future__ import annotations

from collections.abc import Callable

from geo_service.catalog import Catalog, Layer
from geo_service.messages import Msg
from geo_service.render.map_properties import MapProperties
from geo_service.tiles import overview
from geo_service.tiles.matrix import CRS_3857, MAX_ZOOM, TMS_ID, TMS_URI, limits
from geo_service.tiles.service import MAX_FEATURES, MEDIA_TYPE, layer_bbox

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
REL_TILING_SCHEME = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
REL_TILESETS_VECTOR = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
REL_TILING_SCHEMES = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
]
#: The classes in words, for the conformance page (their last part repeats Features' "core").
CONFORMANCE_ZH = dict(
    zip(
        CONFORMANCE,
        (
            "瓦片核心（按 z/y/x 取瓦片）",
            "瓦片集元数据",
            "瓦片集列表",
            "数据集合的瓦片集（每个图层）",
            "矢量瓦片（Mapbox Vector Tile）",
        ),
    )
)
#: Which JSON type a property's values have, for the tileset's layer schema.
JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"))
DIMENSIONS = {"Point": 0, "LineString": 1, "Polygon": 2}

Link = Callable[..., dict]


def tile_matrix_sets(link: Link) -> dict:
    return {
        "tileMatrixSets": [
            {
                "id": TMS_ID,
                "title": "Google Maps Compatible for the World",
                "uri": TMS_URI,
                "links": [link("tiling-scheme", TMS_ID)],
            }
        ],
        "links": [link("self", None)],
    }


def tileset_summary(layer: Layer, link: Link) -> dict:
    """One entry of a collection's tileset list."""
    return {
        "title": layer.title,
        "dataType": "vector",
        "crs": CRS_3857,
        "tileMatrixSetURI": TMS_URI,
        "links": [link("self", layer), link("tiling-scheme", TMS_ID), link("item", layer)],
    }


def tileset(catalog: Catalog, layer: Layer, link: Link, cap: int = MAX_FEATURES) -> dict:
    """The tileset of ``layer`` in WebMercatorQuad: its layer, fields, limits per zoom, and
    the overview layer a tile meeting more than ``cap`` features holds instead."""
    bbox = layer_bbox(layer)
    words = MapProperties(catalog, layer)
    answer = {
        "title": layer.title,
        "description": layer.description,
        "dataType": "vector",
        "crs": CRS_3857,
        "tileMatrixSetURI": TMS_URI,
        "links": [
            link("self", layer),
            link("tiling-scheme", TMS_ID),
            link("item", layer),
            link("collection", layer),
        ],
        "layers": [
            {
                "id": layer.id,
                "title": layer.title,
                "dataType": "vector",
                "geometryDimension": DIMENSIONS[layer.geometry_type.removeprefix("Multi")],
                "minTileMatrix": "0",
                "maxTileMatrix": str(MAX_ZOOM),
                "propertiesSchema": properties_schema(catalog, layer, words),
            },
            overview_layer(cap),
        ],
        "tileMatrixSetLimits": limits(bbox),
        "mediaTypes": [MEDIA_TYPE],
        "version": layer.version,
        "source": layer.source,
        "precision": layer.precision,
    }
    if bbox is not None:
        answer["boundingBox"] = {"lowerLeft": bbox[:2], "upperRight": bbox[2:], "crs": CRS84}
    return answer


def overview_layer(cap: int) -> dict:
    """The layer of an overfull tile (tiles/overview.py), described in the tileset."""
    count = {"type": "integer", "minimum": 1, "title": Msg("tiles.overview_count").text()}
    return {
        "id": overview.LAYER,
        "title": Msg("tiles.overview_title").text(),
        "description": Msg("tiles.overview_description", cap=cap, cells=overview.CELLS).text(),
        "dataType": "vector",
        "geometryDimension": 2,
        "minTileMatrix": "0",
        "maxTileMatrix": str(MAX_ZOOM),
        "propertiesSchema": {"type": "object", "properties": {"count": count}},
    }


def properties_schema(catalog: Catalog, layer: Layer, words: MapProperties) -> dict:
    """The properties a tile's features carry, each with its type and Chinese label."""
    kept = words.tile_fields()
    types: dict[str, set[str]] = {name: set() for name in sorted(kept)}
    summary = getattr(layer, "summary", None)
    if not layer.features and summary is not None:  # served from the store: its summary
        for name, kind in summary.property_types.items():
            if name in types and kind in {t for _, t in JSON_TYPES}:
                types[name].add(kind)
    for feature in layer.features[:10000]:
        for name, value in words(feature).items():
            if name in types and value is not None:
                kind = next((t for cls, t in JSON_TYPES if isinstance(value, cls)), "string")
                types[name].add(kind)
    types["gs_fid"] = {"string"}
    schema = {}
    for name, kinds in types.items():
        if kinds == {"integer", "number"}:
            kinds = {"number"}
        kind = kinds.pop() if len(kinds) == 1 else "string"
        schema[name] = {"type": kind, "title": catalog.fields.get(name, name)}
    schema["gs_fid"]["description"] = "the feature's id (its MVT id is its position + 1)"
    return {"type": "object", "properties": schema}
