"""Big layers on the map drawn from the service's vector tiles instead of embedded GeoJSON.

A layer whose features outnumber ``MAP_TILES_ABOVE_FEATURES`` is embedded as an empty group;
the page's static/map_tiles.js fills it with a Leaflet.VectorGrid of the layer's tiles
(/collections/{id}/tiles/WebMercatorQuad/{z}/{y}/{x}), styled by the catalog's style (the
same ``path_style`` as the embedded layers, category by category), its popups built from
text nodes, bounded to the layer's extent (no request outside its tileMatrixSetLimits).
"""

from __future__ import annotations

from collections.abc import Callable

from geo_service.catalog import Catalog, Layer
from geo_service.messages import Msg
from geo_service.render.map_properties import MapProperties
from geo_service.render.styles import LINE_TYPES, POINT_TYPES, base_style, path_style
from geo_service.tiles import overview
from geo_service.tiles.matrix import MAX_ZOOM
from geo_service.tiles.service import in_store, layer_bbox

#: The page's script for tiled layers and the renderer it needs (vendored, never a CDN).
SCRIPTS = (
    "vendor/leaflet-vectorgrid/Leaflet.VectorGrid.bundled.min.js",
    "map_tiles_canvas.js",
    "map_tiles.js",
)


def tiled(layer: Layer, config) -> bool:
    """Whether the map draws ``layer`` from tiles: more features than the configured bound,
    or served from the store (its features are not held to embed)."""
    if in_store(layer):
        return True
    return len(layer.features) > int(config["MAP_TILES_ABOVE_FEATURES"])


def tile_options(
    catalog: Catalog, layer: Layer, group_var: str, tile_url: Callable[[str], str]
) -> dict:
    """What map_tiles.js needs to draw ``layer`` from its tiles: the URL template, the style
    of each category, the popup's fields and labels, and the layer's bounds."""
    kind = (
        "point"
        if layer.geometry_type in POINT_TYPES
        else "line"
        if layer.geometry_type in LINE_TYPES
        else "polygon"
    )
    categories = []
    for prop, values in layer.style.get("categories", {}).items():
        for value in values:
            categories.append(
                {
                    "property": prop,
                    "value": value,
                    "style": _style(catalog, layer, kind, {prop: value}),
                }
            )
    words = MapProperties(catalog, layer)
    fields, aliases = words.popup(words.samples())
    bbox = layer_bbox(layer)
    return {
        "group": group_var,
        "name": layer.id,
        "url": tile_url(layer.id),
        "kind": kind,
        "style": _style(catalog, layer, kind, {}),
        "categories": categories,
        "schematicDash": catalog.schematic_dash,
        "fields": fields,
        "aliases": aliases,
        "bounds": None if bbox is None else [[bbox[1], bbox[0]], [bbox[3], bbox[2]]],
        "maxNativeZoom": MAX_ZOOM,
        # an overfull tile's cells (tiles/overview.py): the popup's text with {count} left
        # for the script to fill, and the notice shown while any cell is drawn
        "overview": {
            "layer": overview.LAYER,
            "popup": Msg("tiles.overview_popup", count="{count}", layer=layer.title).text(),
            "notice": Msg("tiles.overview_notice", layer=layer.title).text(),
        },
    }


def _style(catalog: Catalog, layer: Layer, kind: str, properties: dict) -> dict:
    if kind != "point":
        # VectorGrid starts from L.Path's options (no fill), L.GeoJSON polygons from L.Polygon's
        style = path_style(catalog, layer, {**properties, "precision": "official"})
        return {**style, "fill": kind == "polygon"}
    style = base_style(layer, properties)
    return {
        "radius": int(style.get("radius", 7)),
        "color": style["color"],
        "weight": 1,
        "fill": True,
        "fillColor": style["color"],
        "fillOpacity": 0.85,
    }
