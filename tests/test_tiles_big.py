"""Vector tiles of a layer served from the store (issue 14 §3, the generated parcels): the
same tiles whether the app reads the layer a page at a time from the database (SQLite: the
store's R*Tree candidates; PostGIS: ST_AsMVTGeom in the database) or holds it in memory;
the map always draws such a layer from its tiles."""

from __future__ import annotations

import json
import re

import mapbox_vector_tile
import pytest
import shapely

from geo_service import create_app
from geo_service.generated_parcels import LAYER_ID, SOURCE, generate
from geo_service.tiles import matrix
from tests.conftest import dbs

COUNT = 2500
TILESET = f"/collections/{LAYER_ID}/tiles/WebMercatorQuad"
PIXEL = matrix.EXTENT / matrix.TILE_PIXELS


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    """(store-served, in-memory): two apps on one database holding COUNT generated parcels."""
    folder = tmp_path_factory.mktemp("bigtiles")
    config = {"TESTING": True, **dbs(folder), "AUTH": "none"}
    first = create_app({**config, "LAYER_MEMORY_MAX_FEATURES": 10**7})
    generate(
        first.extensions["geo_service.store"], first.extensions["geo_service.catalog"], COUNT, 7
    )
    big = create_app({**config, "LAYER_MEMORY_MAX_FEATURES": 1000})
    small = create_app({**config, "LAYER_MEMORY_MAX_FEATURES": 10**7})
    assert big.extensions["geo_service.catalog"].get(LAYER_ID).in_store
    assert not small.extensions["geo_service.catalog"].get(LAYER_ID).in_store
    return big, small


def features(app, url: str) -> dict[int, dict]:
    answer = app.test_client().get(url)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    if not answer.data:
        return {}
    tile = mapbox_vector_tile.decode(answer.data, default_options={"y_coord_down": True})
    return {f["id"]: f for f in tile[LAYER_ID]["features"]}


def test_tiles_from_the_store_are_those_from_memory(apps):
    big, small = apps
    meta = big.test_client().get(TILESET).get_json()
    assert meta == small.test_client().get(TILESET).get_json()
    assert meta["layers"][0]["propertiesSchema"]["properties"]["source"]["type"] == "string"
    compared = 0
    for z in (11, 13, 15):
        limits = meta["tileMatrixSetLimits"][z]
        middle_row = (limits["minTileRow"] + limits["maxTileRow"]) // 2
        middle_col = (limits["minTileCol"] + limits["maxTileCol"]) // 2
        for dy, dx in ((0, 0), (1, 0), (0, 1)):
            url = f"{TILESET}/{z}/{middle_row + dy}/{middle_col + dx}"
            stored, held = features(big, url), features(small, url)
            assert set(stored) == set(held), (url, set(stored) ^ set(held))
            for number, feature in held.items():
                other = stored[number]
                assert other["properties"] == feature["properties"], url
                assert feature["properties"]["source"] == SOURCE
                assert feature["properties"]["precision"] == "schematic"
                a = shapely.geometry.shape(feature["geometry"])
                b = shapely.geometry.shape(other["geometry"])
                # each side simplifies to about a pixel (GEOS in Python, PostGIS in SQL):
                # two such simplifications of one shape may differ by up to two pixels
                assert shapely.hausdorff_distance(a, b) <= 2 * PIXEL, (url, number)
                compared += 1
    assert compared >= 20


def test_the_map_draws_a_store_served_layer_from_tiles(apps):
    big, _ = apps
    html = big.test_client().get("/", headers={"Accept": "text/html"}).get_data(as_text=True)
    config = json.loads(re.search(r"window\.GS_CONFIG = (\{.*?\});\n</script>", html, re.S)[1])
    (entry,) = [t for t in config["tiles"] if t["name"] == LAYER_ID]
    assert entry["url"] == TILESET + "/{z}/{y}/{x}"
    assert "source" in entry["fields"] and entry["bounds"]
    assert SOURCE not in html.split("window.GS_CONFIG")[0]  # no parcel embedded
