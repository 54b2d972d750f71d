"""tiles/mvt_writer.py writes the bytes mapbox-vector-tile writes, byte for byte: the repo's
layers cut into real tiles (points, lines, polygons), and shapes made to hit the edge cases
(holes, several parts, rings that collapse on the grid, repeated points, negative
coordinates in the buffer, values of every kind and equal values of different kinds)."""

from __future__ import annotations

import mapbox_vector_tile
import numpy as np
import pytest
import shapely

from geo_service.tiles import mvt, mvt_writer
from geo_service.tiles.matrix import BUFFER, EXTENT, Tile


def both(features: list[tuple[int, dict, object]], y_down: bool) -> tuple[bytes, bytes]:
    layer = [
        {
            "id": number,
            "geometry": shape,
            "properties": {
                k: v for k, v in ((k, mvt.tile_value(v)) for k, v in props.items()) if v is not None
            },
        }
        for number, props, shape in features
    ]
    ours = mvt_writer.write("layer", [(f["id"], f["properties"], f["geometry"]) for f in layer],
                            EXTENT, y_down)  # fmt: skip
    return ours, mvt.library_encode("layer", layer, y_down)


@pytest.mark.parametrize("layer_id", ["zones", "counties", "logistics_axes", "logistics_nodes",
                                      "reference_rivers", "clusters"])  # fmt: skip
@pytest.mark.parametrize("z", [7, 9, 11])
def test_real_tiles_are_the_librarys_bytes(catalog, layer_id, z):
    layer = catalog.get(layer_id)
    present = layer.geometries[~shapely.is_missing(layer.geometries)]
    lon, lat = shapely.centroid(shapely.union_all(present)).coords[0]
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - np.arcsinh(np.tan(np.radians(lat))) / np.pi) / 2 * n)
    compared = 0
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            tile = Tile(z, y + dy, x + dx)
            area = shapely.box(*tile.lonlat_bounds(BUFFER / EXTENT))
            hits = [
                i for i, g in enumerate(layer.geometries) if g is not None and g.intersects(area)
            ]
            if not hits:
                continue
            shapes = mvt.tile_shapes(tile, layer.geometries[hits])
            kept = [(i, s) for i, s in zip(hits, shapes) if not s.is_empty]
            if not kept:
                continue
            oriented = mvt.oriented([s for _, s in kept], False)
            features = [
                (i + 1, {**layer.features[i]["properties"], "gs_fid": layer.features[i]["id"]}, s)
                for (i, _), s in zip(kept, oriented)
            ]
            for y_down in (False, True):
                ours, library = both(features, y_down)
                assert ours == library, (layer_id, tile, y_down)
            compared += 1
    assert compared


def test_edge_cases_are_the_librarys_bytes():
    hole = shapely.Polygon(
        [(0, 0), (100, 0), (100, 100), (0, 100)], [[(10, 10), (10, 20), (20, 20), (20, 10)]]
    )
    collapsed = shapely.Polygon([(5, 5), (5, 5), (5, 5), (5, 5)])  # nothing left on the grid
    parts = shapely.MultiPolygon([hole, shapely.box(-40, -40, -10, -10)])
    repeated = shapely.Polygon([(0, 0), (0, 0), (50, 0), (50, 0), (50, 60), (0, 60)])
    values = [
        {"s": "文字", "b": True, "i": -3, "f": 1.5, "big": 2**70, "n": None, "list": [1, "x"]},
        {"one_int": 1, "one_float": 1.0, "one_bool": True, "zero": 0, "false": False},
        {"nan": float("nan"), "s": "文字", "i": 2**62, "neg": -(2**63)},
        {},
    ]
    polygons = [hole, parts, repeated, shapely.box(4000, 4000, 4160, 4160), collapsed]
    for y_down in (False, True):
        features = [(k + 1, values[k % len(values)], s) for k, s in enumerate(polygons)]
        ours, library = both(features, y_down)
        assert ours == library
        lines = [
            shapely.LineString([(0, 0), (0, 0), (30, 40)]),
            shapely.LineString([(7, 7), (7, 7)]),  # no segment: left out
            shapely.MultiLineString([[(0, 0), (10, 0)], [(3, 3), (3, 3)], [(-64, 5), (4100, 9)]]),
        ]
        features = [(k + 1, values[k % len(values)], s) for k, s in enumerate(lines)]
        assert both(features, y_down)[0] == both(features, y_down)[1]
        points = [shapely.Point(1, 2), shapely.Point(-3, 4096)]
        assert (
            both([(1, {}, p) for p in points], y_down)[0]
            == both([(1, {}, p) for p in points], y_down)[1]
        )
        many = [shapely.MultiPoint([(1, 1), (1, 1), (9, -9)])]
        assert (
            both([(0, {"k": "v"}, m) for m in many], y_down)[0]
            == both([(0, {"k": "v"}, m) for m in many], y_down)[1]
        )


def test_mixed_kinds_go_to_the_library():
    mixed = [shapely.Point(1, 1), shapely.box(0, 0, 5, 5)]
    assert mvt_writer.write("layer", [(1, {}, g) for g in mixed], EXTENT, False) is None
    collection = shapely.GeometryCollection(
        [shapely.box(0, 0, 9, 9), shapely.LineString([(0, 0), (3, 3)])]
    )
    assert mvt_writer.write("layer", [(1, {}, collection)], EXTENT, False) is None
    # a layer of points and polygons at once: the library writes it
    features = [(1, {"a": 1}, shapely.box(0, 0, 99, 99)), (2, {}, shapely.Point(5, 5))]
    decoded = mapbox_vector_tile.decode(mvt.encode("layer", features))
    assert [f["geometry"]["type"] for f in decoded["layer"]["features"]] == ["Polygon", "Point"]


def test_varints_match_the_plain_loop():
    values = [0, 1, 127, 128, 300, 2**14, 2**21 - 1, 2**28, 2**35 + 7, 2**63 - 1]
    data, offsets = mvt_writer.varints(values)
    assert data == b"".join(mvt_writer.varint(v) for v in values)
    assert offsets.tolist() == [0, *np.cumsum([len(mvt_writer.varint(v)) for v in values])]
