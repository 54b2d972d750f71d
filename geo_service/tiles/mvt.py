"""Mapbox Vector Tile encoding (mapbox-vector-tile 2.2) of features in one tile.

Each feature: projected to EPSG:3857, simplified to about a pixel at the tile's zoom, clipped
to the tile grown by ``BUFFER`` units, and written on the ``EXTENT`` grid; its MVT id is its
position in the layer version plus one (MVT ids are unsigned integers; the feature's own id
travels as the ``gs_fid`` property, exactly as given).
"""

from __future__ import annotations

import json
import math

import mapbox_vector_tile
import numpy as np
import shapely
from mapbox_vector_tile.encoder import on_invalid_geometry_make_valid

from geo_service.tiles import mvt_writer
from geo_service.tiles.matrix import (
    BUFFER,
    EARTH_RADIUS,
    EXTENT,
    MAX_LAT,
    Tile,
    to_mercator,
    tolerance,
)

INT64 = 2**63


def tile_value(value):
    """A property value as MVT can hold it: text, booleans, 64-bit integers and doubles as
    given; lists, objects and larger integers as their JSON text; None left out."""
    if value is None:
        return None
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if -INT64 <= value < INT64 else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def tile_shapes(tile: Tile, geometries: np.ndarray, simplify: bool = True) -> np.ndarray:
    """``geometries`` (lon/lat) as drawn in ``tile``: EPSG:3857, simplified, clipped to the
    buffered tile, on the tile's grid (``EXTENT`` units, y up, whole units); an empty shape
    where nothing is left: a polygon or line smaller than a screen pixel at this zoom
    (``visible``), or one the grid shrank to nothing."""
    shapes = to_mercator(geometries)
    shown = visible(shapes, tile.z)
    shapes[~shown] = shapely.Point()
    if simplify:
        lines = shown & (shapely.get_type_id(shapes) != 0)  # points are never simplified
        shapes[lines] = shapely.simplify(shapes[lines], tolerance(tile.z), preserve_topology=True)
    minx, miny, maxx, maxy = tile.bounds
    grow = (maxx - minx) * BUFFER / EXTENT
    edges = (minx - grow, miny - grow, maxx + grow, maxy + grow)
    box = shapely.box(*edges)
    shapely.prepare(box)
    # only what crosses the tile's edge is cut (a rectangle clip: GEOS's fast one; what it
    # may leave invalid is repaired with the rest in ``oriented``)
    crossing = shown & ~shapely.contains_properly(box, shapes)
    shapes[crossing] = shapely.clip_by_rect(shapes[crossing], *edges)
    scale = EXTENT / (maxx - minx)
    grid = shapes  # the hidden ones stay empty points
    grid[shown] = shapely.transform(shapes[shown], lambda xy: np.round((xy - (minx, miny)) * scale))
    kinds = shapely.get_type_id(grid)
    polygons, lines = np.isin(kinds, (3, 6)), np.isin(kinds, (1, 5))
    shrunk = (polygons & (shapely.area(grid) == 0)) | (lines & (shapely.length(grid) == 0))
    grid[shrunk] = shapely.Point()
    return grid


def visible(shapes: np.ndarray, z: int) -> np.ndarray:
    """Which EPSG:3857 shapes a tile of zoom ``z`` draws: points always; a line at least a
    screen pixel long, a polygon at least a pixel in area (the rule PostGIS applies too,
    store/tiles.py). At z8 a pixel is 611 m: a town's parcels are left to the nearer zooms."""
    pixel = tolerance(z)
    kinds = shapely.get_type_id(shapes)
    small_polygon = np.isin(kinds, (3, 6)) & (shapely.area(shapes) < pixel * pixel)
    short_line = np.isin(kinds, (1, 5)) & (shapely.length(shapes) < pixel)
    return ~(small_polygon | short_line)


def all_below_a_pixel(boxes: np.ndarray, z: int) -> bool:
    """Whether every polygon of these lon/lat boxes is under a pixel in area at zoom ``z``
    (``visible`` drops it): its EPSG:3857 box is (the projection is monotonic in each axis),
    with a margin for rounding, as store/tiles.py's ``_box_area`` asks on PostGIS."""
    lat = np.radians(np.clip(boxes[:, [1, 3]], -MAX_LAT, MAX_LAT))
    north = EARTH_RADIUS * np.log(np.tan(np.pi / 4 + lat / 2))
    width = EARTH_RADIUS * np.radians(boxes[:, 2] - boxes[:, 0])
    pixel = tolerance(z)
    return bool(np.all(width * (north[:, 1] - north[:, 0]) < pixel * pixel * (1 - 1e-9)))


def oriented(shapes: list, y_down: bool) -> list:
    """Polygons made valid (polygons only) and wound as MVT wants them (the exterior
    clockwise on screen), all at once: what the library would do shape by shape."""
    array = np.array(shapes, dtype=object)
    kinds = shapely.get_type_id(array)
    polygons = np.isin(kinds, (3, 6))
    broken = polygons & ~shapely.is_valid(array)
    if broken.any():
        array[broken] = shapely.make_valid(array[broken], method="structure", keep_collapsed=False)
    polygons = np.isin(shapely.get_type_id(array), (3, 6))
    array[polygons] = shapely.orient_polygons(array[polygons], exterior_cw=not y_down)
    return list(array)


def encode(name: str, features: list[tuple[int, dict, object]], y_down: bool = False) -> bytes:
    """One MVT layer ``name`` of ``features`` (MVT id, properties, shape on the tile's grid
    from ``tile_shapes``); empty shapes are left out, and no features give the empty tile
    (b""). ``y_down``: the shapes' y already counts down from the top (PostGIS's
    ST_AsMVTGeom), not up."""
    kept = [(number, props, shape) for number, props, shape in features if not shape.is_empty]
    if not kept:
        return b""
    shapes = oriented([shape for _, _, shape in kept], y_down)
    layer = [
        {
            "id": number,
            "geometry": shape,
            "properties": {
                k: v for k, v in ((k, tile_value(v)) for k, v in props.items()) if v is not None
            },
        }
        for (number, props, _), shape in zip(kept, shapes)
        if shape is not None and not shape.is_empty
    ]
    written = mvt_writer.write(
        name, [(f["id"], f["properties"], f["geometry"]) for f in layer], EXTENT, y_down
    )
    if written is not None:  # the library's bytes, faster (mvt_writer)
        return written
    return library_encode(name, layer, y_down)


def library_encode(name: str, layer: list[dict], y_down: bool) -> bytes:
    """mapbox_vector_tile's own encoding of the features (dicts of id, geometry, properties)."""
    return mapbox_vector_tile.encode(
        {"name": name, "features": layer},
        default_options={
            "extents": EXTENT,
            "y_coord_down": y_down,
            "check_winding_order": False,  # done above for all shapes at once
            "on_invalid_geometry": on_invalid_geometry_make_valid,
        },
    )
