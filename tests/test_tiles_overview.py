"""Overfull vector tiles (issue 14 §3): a tile meeting more rows than TILE_MAX_FEATURES is an
overview tile (the layer gs_overview: rows counted per cell of a 16 x 16 grid by their box
centre), on both backends and for in-memory layers alike; under the cap the tile is the
same as without one. Real tiles, decoded with mapbox_vector_tile."""

from __future__ import annotations

import gzip
import json
import math

import mapbox_vector_tile
import numpy as np
import pytest
import shapely

from geo_service import create_app
from geo_service.errors import ConfigError
from geo_service.generated_parcels import LAYER_ID, generate
from tests.conftest import dbs, store_sql

COUNT = 2500
CAP = 300
TILESET = f"/collections/{LAYER_ID}/tiles/WebMercatorQuad"
RADIUS = 6378137.0
HALF_WORLD = math.pi * RADIUS


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    """Apps on one database of COUNT generated parcels: store-served and in-memory with the
    cap CAP, store-served without a cap that matters (10^6), and one with the cap 1."""
    folder = tmp_path_factory.mktemp("overview")
    config = {"TESTING": True, **dbs(folder), "AUTH": "none"}
    first = create_app({**config, "LAYER_MEMORY_MAX_FEATURES": 10**7})
    generate(
        first.extensions["geo_service.store"], first.extensions["geo_service.catalog"], COUNT, 7
    )
    made = {
        "stored": {"LAYER_MEMORY_MAX_FEATURES": 1000, "TILE_MAX_FEATURES": CAP},
        "held": {"LAYER_MEMORY_MAX_FEATURES": 10**7, "TILE_MAX_FEATURES": CAP},
        "uncapped": {"LAYER_MEMORY_MAX_FEATURES": 1000, "TILE_MAX_FEATURES": 10**6},
        "one": {"LAYER_MEMORY_MAX_FEATURES": 1000, "TILE_MAX_FEATURES": 1},
    }
    apps = {name: create_app({**config, **extra}) for name, extra in made.items()}
    held = apps["held"].extensions["geo_service.catalog"].get(LAYER_ID)
    assert not held.in_store and apps["stored"].extensions["geo_service.catalog"].get(LAYER_ID)
    boxes = shapely.bounds(held.geometries)
    return apps, boxes


def decoded(app, url: str) -> dict:
    answer = app.test_client().get(url)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    return mapbox_vector_tile.decode(answer.data) if answer.data else {}


def mercator(lon, lat):
    return RADIUS * np.radians(lon), RADIUS * np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))


def expected_cells(boxes: np.ndarray, z: int, y: int, x: int) -> dict[tuple[int, int], int]:
    """{(column, row from the south): rows} computed here from the box centres projected to
    EPSG:3857 (not with the service's grid of latitudes)."""
    size = 2 * HALF_WORLD / 2**z
    west, north = -HALF_WORLD + x * size, HALF_WORLD - y * size
    mx, my = mercator((boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2)
    column = np.floor((mx - west) / size * 16)
    row = np.floor((my - (north - size)) / size * 16)
    inside = (column >= 0) & (column < 16) & (row >= 0) & (row < 16)
    found: dict = {}
    for key in zip(column[inside].astype(int), row[inside].astype(int)):
        found[key] = found.get(key, 0) + 1
    return found


def meeting(boxes: np.ndarray, z: int, y: int, x: int) -> int:
    """Rows whose box meets the tile grown by its 64-unit buffer (what the cap counts)."""
    size = 2 * HALF_WORLD / 2**z
    grow = size * 64 / 4096
    west, north = -HALF_WORLD + x * size - grow, HALF_WORLD - y * size + grow
    east, south = west + size + 2 * grow, north - size - 2 * grow
    minx, miny = mercator(boxes[:, 0], boxes[:, 1])
    maxx, maxy = mercator(boxes[:, 2], boxes[:, 3])
    return int(((minx <= east) & (maxx >= west) & (miny <= north) & (maxy >= south)).sum())


def cells_of(tile: dict) -> dict[tuple[int, int], int]:
    """{(column, row from the south): count} of an overview tile's squares."""
    found = {}
    for feature in tile["gs_overview"]["features"]:
        square = shapely.geometry.shape(feature["geometry"])
        minx, miny, maxx, maxy = square.bounds
        assert (maxx - minx, maxy - miny) == (256, 256) and square.area == 256 * 256
        key = (int(minx) // 256, int(miny) // 256)
        assert feature["id"] == key[1] * 16 + key[0] + 1
        found[key] = feature["properties"]["count"]
    return found


def tiles_at(app, z: int):
    meta = app.test_client().get(TILESET).get_json()
    limits = meta["tileMatrixSetLimits"][z]
    for y in range(limits["minTileRow"], limits["maxTileRow"] + 1):
        for x in range(limits["minTileCol"], limits["maxTileCol"] + 1):
            yield y, x


def test_an_overfull_tile_counts_its_rows_per_cell(apps):
    apps, boxes = apps
    seen = 0
    for z in (9, 10, 11):
        for y, x in tiles_at(apps["stored"], z):
            rows = meeting(boxes, z, y, x)
            if rows <= CAP:
                continue
            url = f"{TILESET}/{z}/{y}/{x}"
            stored, held = decoded(apps["stored"], url), decoded(apps["held"], url)
            assert set(stored) == {"gs_overview"}, (url, rows)  # no parcel drawn
            assert cells_of(stored) == expected_cells(boxes, z, y, x), url
            assert cells_of(held) == cells_of(stored), url
            total = sum(cells_of(stored).values())
            assert 0 < total <= rows  # the rows whose centre is in the tile
            seen += 1
    assert seen >= 3


def test_the_counts_of_a_zoom_add_up_to_every_row(apps):
    apps, boxes = apps
    total = 0
    for y, x in tiles_at(apps["one"], 9):
        tile = decoded(apps["one"], f"{TILESET}/9/{y}/{x}")
        assert set(tile) <= {"gs_overview"}
        total += sum(cells_of(tile).values()) if tile else 0
    assert total == COUNT == len(boxes)


def test_under_the_cap_the_tile_is_unchanged(apps):
    apps, boxes = apps
    compared = 0
    for z in (12, 13):
        for y, x in tiles_at(apps["stored"], z):
            rows = meeting(boxes, z, y, x)
            if not 0 < rows <= CAP:
                continue
            url = f"{TILESET}/{z}/{y}/{x}"
            capped = apps["stored"].test_client().get(url).data
            assert capped == apps["uncapped"].test_client().get(url).data, url
            assert LAYER_ID in mapbox_vector_tile.decode(capped)
            compared += 1
            if compared == 12:
                return
    assert compared >= 4


def test_an_overview_tile_keeps_etag_gzip_and_304(apps):
    apps, boxes = apps
    client = apps["stored"].test_client()
    y, x = next((y, x) for y, x in tiles_at(apps["stored"], 9) if meeting(boxes, 9, y, x) > CAP)
    url = f"{TILESET}/9/{y}/{x}"
    first = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200 and first.headers["Content-Encoding"] == "gzip"
    assert "gs_overview" in mapbox_vector_tile.decode(gzip.decompress(first.data))
    tag = first.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": tag}).status_code == 304
    other = apps["uncapped"].test_client().get(url)
    assert other.headers["ETag"] != tag  # another cap, another tile


def test_the_tileset_says_what_an_overfull_tile_holds(apps):
    apps, _ = apps
    meta = apps["stored"].test_client().get(TILESET).get_json()
    (layer,) = [entry for entry in meta["layers"] if entry["id"] == "gs_overview"]
    assert str(CAP) in layer["description"] and "请放大查看" in layer["description"]
    assert layer["propertiesSchema"]["properties"]["count"]["type"] == "integer"
    spec = apps["stored"].test_client().get("/api").get_json()
    tile_path = next(p for p in spec["paths"] if p.endswith("/{z}/{y}/{x}"))
    assert "TILE_MAX_FEATURES" in json.dumps(spec["paths"][tile_path]["get"])


@pytest.mark.parametrize("value", [0, -5, "many", 10**7, True, 2.5])
def test_a_bad_cap_stops_start_up_in_chinese(tmp_path, value):
    with pytest.raises(ConfigError) as error:
        create_app({"TESTING": True, **dbs(tmp_path), "TILE_MAX_FEATURES": value})
    assert "TILE_MAX_FEATURES" in str(error.value) and "整数" in str(error.value)


def test_the_store_aggregate_and_the_held_boxes_give_the_same_tiles(apps):
    """Overfull tiles of a store-served version are counted from its row boxes read once
    (tiles.service.BOXES_MAX_ROWS); past that size, by the store's aggregate per tile. Both
    give the same bytes for every tile, overview or not."""
    from geo_service.tiles.service import TileService

    apps, _ = apps
    boxes_app = apps["stored"]
    aggregate_app = create_app(boxes_app.config)
    aggregate_app.extensions["geo_service.tiles"] = TileService(max_features=CAP, boxes_max_rows=0)
    compared = overviews = 0
    for z in (8, 9, 10, 11, 12):
        for y, x in tiles_at(boxes_app, z):
            url = f"{TILESET}/{z}/{y}/{x}"
            ours = boxes_app.test_client().get(url)
            theirs = aggregate_app.test_client().get(url)
            assert ours.status_code == theirs.status_code == 200, url
            assert ours.data == theirs.data, url
            compared += 1
            overviews += bool(ours.data) and "gs_overview" in mapbox_vector_tile.decode(ours.data)
    (held,) = boxes_app.extensions["geo_service.tiles"]._layers.values()
    (aggregated,) = aggregate_app.extensions["geo_service.tiles"]._layers.values()
    assert held.boxes is not None and aggregated.boxes is None
    assert overviews >= 3 and compared > overviews


def test_serve_reads_the_boxes_before_the_first_map_asks(apps):
    """``serve`` warms each serving process (serving.warm_tiles): the boxes of a store-served
    layer that can have overfull tiles are read; a layer under the cap needs none."""
    from geo_service.tiles.service import EXTENSION, warm

    apps, boxes = apps
    fresh = create_app(apps["stored"].config)
    assert warm(fresh) == 1
    (state,) = fresh.extensions[EXTENSION]._layers.values()
    assert state.boxes is not None and len(state.boxes) == len(boxes) == COUNT
    assert np.allclose(np.sort(state.boxes, axis=0), np.sort(boxes, axis=0))
    assert warm(create_app(apps["uncapped"].config)) == 0


def test_warming_makes_the_first_views_tiles(apps):
    """Warming also makes the layer's tiles of the map's opening zooms (SEED_ZOOMS, the
    opening one first): a restarted server's first visitor finds them made, the same bytes
    as made on demand."""
    from geo_service.tiles import service as tiles_service
    from geo_service.tiles.matrix import Tile

    apps, _ = apps
    fresh = create_app(apps["stored"].config)
    tiles_service.warm(fresh)
    service = fresh.extensions[tiles_service.EXTENSION]
    catalog = fresh.extensions["geo_service.catalog"]
    layer = catalog.get(LAYER_ID)
    expected = [(z, y, x) for z in tiles_service.SEED_ZOOMS for y, x in tiles_at(fresh, z)][
        : tiles_service.SEED_MAX_TILES
    ]
    assert len(expected) > 10
    for z, y, x in expected:
        assert service.etag(catalog, layer, Tile(z, y, x)) in service._tiles, (z, y, x)
    z, y, x = expected[0]
    on_demand = create_app(apps["stored"].config).test_client()
    url = f"{TILESET}/{z}/{y}/{x}"
    assert fresh.test_client().get(url).data == on_demand.get(url).data
    assert z == tiles_service.SEED_ZOOMS[0] == 9


def test_a_cold_tile_asked_for_at_once_is_made_once(apps):
    """Requests for a tile being made wait for it instead of making it again (the first
    map's tiles arrive together, while warming may be making them)."""
    import threading
    import time

    from geo_service.tiles.matrix import Tile
    from geo_service.tiles.service import EXTENSION, of_app

    apps, _ = apps
    app = create_app(apps["stored"].config)
    service = of_app(app)
    catalog = app.extensions["geo_service.catalog"]
    store = app.extensions["geo_service.store"]
    layer = catalog.get(LAYER_ID)
    y, x = next(iter(tiles_at(app, 10)))
    made = []
    encode = service.encode_stored

    def slow_encode(*args):
        made.append(threading.get_ident())
        time.sleep(0.3)
        return encode(*args)

    service.encode_stored = slow_encode
    bodies = []
    askers = [
        threading.Thread(
            target=lambda: bodies.append(service.tile(catalog, layer, Tile(10, y, x), store))
        )
        for _ in range(4)
    ]
    for asker in askers:
        asker.start()
    for asker in askers:
        asker.join()
    assert len(made) == 1 and len(bodies) == 4 and len({body.raw for body in bodies}) == 1
    assert not app.extensions[EXTENSION]._pending


def test_the_boxes_say_which_rows_are_polygons(apps):
    """Only polygons may be dropped as smaller than a pixel without being read: the boxes
    read from the store flag them (the WKB head on SQLite, ST_Dimension on PostGIS)."""
    from geo_service.store import tile_overview as store_overview

    apps, _ = apps
    app = apps["stored"]
    engine = app.extensions["geo_service.store"].engine
    catalog = app.extensions["geo_service.catalog"]
    kinds = {"zones": True, "counties": True, "logistics_nodes": False, "logistics_axes": False}
    for layer_id, polygon in kinds.items():
        layer = catalog.get(layer_id)
        count = store_sql(
            engine,
            "SELECT count(*) FROM layer_features WHERE layer_id = :l AND version = :v",
            l=layer_id,
            v=layer.version,
        )[0][0]
        boxes, polygons = store_overview.version_boxes(engine, layer_id, layer.version, count)
        assert len(boxes) == len(polygons) == count > 0, layer_id
        assert polygons.tolist() == [polygon] * count, layer_id
    layer = catalog.get(LAYER_ID)
    _, polygons = store_overview.version_boxes(engine, LAYER_ID, layer.version, COUNT)
    assert polygons.all()


def test_a_restarted_server_reads_the_boxes_back_from_the_store(apps, monkeypatch):
    """The boxes read once are kept in the store (store/tile_boxes.py): a fresh process
    reads them back without reading the version's rows, equal to the rows' own; a cache of
    another format or row count is rebuilt from the rows, never trusted."""
    from geo_service.store import tile_boxes
    from geo_service.store import tile_overview as store_overview
    from geo_service.tiles.service import EXTENSION, warm

    apps, _ = apps
    config = apps["stored"].config
    app = create_app(config)
    engine = app.extensions["geo_service.store"].engine
    layer = app.extensions["geo_service.catalog"].get(LAYER_ID)
    from_rows = store_overview.version_boxes(engine, LAYER_ID, layer.version, COUNT)
    assert warm(app) == 1
    parts = store_sql(
        engine,
        "SELECT part, format, row_count FROM tile_boxes WHERE layer_id = :l AND version = :v",
        l=LAYER_ID,
        v=layer.version,
    )
    assert [tuple(row) for row in parts] == [(0, tile_boxes.FORMAT, COUNT)]

    def rows_read(*args):
        raise AssertionError("the version's rows were read again")

    with monkeypatch.context() as patched:
        patched.setattr(store_overview, "version_boxes", rows_read)
        restarted = create_app(config)
        assert warm(restarted) == 1
    (state,) = restarted.extensions[EXTENSION]._layers.values()
    assert np.array_equal(state.boxes, from_rows[0], equal_nan=True)
    assert np.array_equal(state.polygons, from_rows[1])
    for y, x in tiles_at(app, 9):
        url = f"{TILESET}/9/{y}/{x}"
        assert restarted.test_client().get(url).data == app.test_client().get(url).data, url

    # a cache that does not hold the version's rows exactly: read from the rows, rewritten
    for change in ("format = format + 1", "row_count = row_count - 1"):
        with engine.begin() as db:
            db.exec_driver_sql(f"UPDATE tile_boxes SET {change}")
        assert tile_boxes.cached(engine, LAYER_ID, layer.version, COUNT) is None
        boxes, polygons = tile_boxes.version_boxes(engine, LAYER_ID, layer.version, COUNT)
        assert np.array_equal(boxes, from_rows[0], equal_nan=True)
        again = tile_boxes.cached(engine, LAYER_ID, layer.version, COUNT)
        assert again is not None and np.array_equal(again[1], polygons)


def test_the_boxes_cache_comes_in_parts_and_is_not_copied(apps, monkeypatch, tmp_path):
    """A version of more than PART_ROWS rows is cached in several parts, read back whole;
    ``db copy`` leaves the cache (derived data) to be rebuilt where it is used."""
    from geo_service.store import copy, tile_boxes
    from geo_service.store import tile_overview as store_overview

    apps, _ = apps
    app = apps["stored"]
    engine = app.extensions["geo_service.store"].engine
    version = app.extensions["geo_service.catalog"].get(LAYER_ID).version
    from_rows = store_overview.version_boxes(engine, LAYER_ID, version, COUNT)
    monkeypatch.setattr(tile_boxes, "PART_ROWS", 1000)
    tile_boxes.keep(engine, LAYER_ID, version, *from_rows)
    parts = store_sql(engine, "SELECT part, row_count FROM tile_boxes ORDER BY part")
    assert [tuple(row) for row in parts] == [(0, 1000), (1, 1000), (2, 500)]
    boxes, polygons = tile_boxes.cached(engine, LAYER_ID, version, COUNT)
    assert np.array_equal(boxes, from_rows[0], equal_nan=True)
    assert np.array_equal(polygons, from_rows[1])
    with engine.begin() as db:
        db.exec_driver_sql("DELETE FROM tile_boxes WHERE part = 1")
    assert tile_boxes.cached(engine, LAYER_ID, version, COUNT) is None
    assert "tile_boxes" not in {table.name for table in copy.tables()}
