"""GDAL's OAPIF driver (inside pyogrio), a real OGC client, reads every layer back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
import shapely
from client_fixtures import recording_fixture
from conftest import COLLECTION_IDS

pytestmark = pytest.mark.gdal


def test_gdal_lists_every_collection(live_server, catalog):
    layers = pyogrio.list_layers(f"OAPIF:{live_server}/")
    assert [name for name, _ in layers] == list(catalog.layers)
    types = dict(layers)
    assert types["counties"] == "MultiPolygon" and types["zones"] == "MultiPolygon"
    assert types["logistics_nodes"] == "Point" and types["enclave_links"] == "LineString"


@pytest.mark.parametrize("layer_id", COLLECTION_IDS)
def test_gdal_reads_the_same_features(live_server, catalog, layer_id):
    frame = pyogrio.read_dataframe(f"OAPIF:{live_server}/", layer=layer_id)
    layer = catalog.get(layer_id)
    assert frame.crs.to_string() in ("OGC:CRS84", "EPSG:4326")
    assert list(frame["id"]) == [f["id"] for f in layer.features]
    key = "adcode" if layer_id == "counties" else "name" if "name" in frame else "origin_name"
    assert list(frame[key]) == [f["properties"][key] for f in layer.features]
    assert list(frame["precision"]) == [f["properties"]["precision"] for f in layer.features]
    for got, feature, expected in zip(frame.geometry, layer.features, layer.geometries):
        if expected is None:
            assert got is None, feature["id"]
        else:
            assert shapely.equals_exact(got, expected, tolerance=1e-9), feature["id"]


def test_gdal_pages_through_a_small_limit(live_server):
    # GDAL follows the `next` links; a page size of 2 forces five pages for ten counties
    frame = pyogrio.read_dataframe(f"OAPIF:{live_server}/", layer="counties", PAGE_SIZE="2")
    assert len(frame) == 10 and frame["adcode"].is_unique


def test_gdal_bbox_filter(live_server):
    frame = pyogrio.read_dataframe(
        f"OAPIF:{live_server}/", layer="counties", bbox=(110.05, 32.78, 110.15, 32.86)
    )
    assert list(frame["name"]) == ["白河县"]


# Parts 2 and 3 with GDAL: what GDAL sends is read from the served process's request log, so
# "pushed to the server" is what the server saw, not what the driver might have done.

recorded = recording_fixture()
EPSG_4545 = "http://www.opengis.net/def/crs/EPSG/0/4545"


def test_gdal_reads_zones_in_gauss_kruger_metres(recorded, catalog):
    recorded.start()
    frame = pyogrio.read_dataframe(f"OAPIF:{recorded.url}/", layer="zones", CRS="EPSG:4545")
    assert frame.crs.to_epsg() == 4545
    asked = [q["crs"] for q in recorded.items_queries("zones") if "crs" in q]
    assert asked and all(crs == [EPSG_4545] for crs in asked), asked
    layer = catalog.get("zones")
    to_plane = pyproj.Transformer.from_crs("OGC:CRS84", "EPSG:4545", always_xy=True)
    for got, feature, expected in zip(frame.geometry, layer.features, layer.geometries):
        want = shapely.transform(expected, lambda xy: np.column_stack(to_plane.transform(*xy.T)))
        assert shapely.equals_exact(got, want, tolerance=0.01), feature["id"]


def test_gdal_attribute_filter_matches_pandas(recorded, catalog):
    where = "level = '县域工业集中区' AND drawn_area_km2 > 2"
    recorded.start()
    frame = pyogrio.read_dataframe(f"OAPIF:{recorded.url}/", layer="zones", where=where)
    table = pd.DataFrame([f["properties"] for f in catalog.get("zones").features])
    expected = table[(table["level"] == "县域工业集中区") & (table["drawn_area_km2"] > 2)]
    assert list(frame["id"]) == list(expected["id"]) and len(frame) > 0
    # GDAL 3.12 pushes `where` as CQL text because the service also speaks the drafts' names
    # it looks for (filter-lang cql-text, rel="queryables" with a {"queryables": [...]} list)
    queries = recorded.items_queries("zones")
    pushed = [q for q in queries if "filter" in q]
    assert pushed, f"GDAL evaluated the filter on the client; it sent {queries}"
    assert pushed[-1]["filter-lang"] == ["cql-text"]
    assert (
        "县域工业集中区" in pushed[-1]["filter"][0] and "drawn_area_km2" in pushed[-1]["filter"][0]
    )


def test_gdal_pushes_or_and_like(recorded, catalog):
    where = "name LIKE '%飞地%' OR county_name = '石泉县'"
    recorded.start()
    frame = pyogrio.read_dataframe(f"OAPIF:{recorded.url}/", layer="zones", where=where)
    table = pd.DataFrame([f["properties"] for f in catalog.get("zones").features])
    expected = table[table["name"].str.contains("飞地") | (table["county_name"] == "石泉县")]
    assert list(frame["id"]) == list(expected["id"]) and len(frame) > 0
    pushed = [q["filter"][0] for q in recorded.items_queries("zones") if "filter" in q]
    assert pushed and "LIKE" in pushed[-1] and "OR" in pushed[-1], pushed


def test_gdal_pushes_a_spatial_filter(recorded, catalog):
    window = (108.9, 32.6, 109.2, 32.8)
    recorded.start()
    frame = pyogrio.read_dataframe(f"OAPIF:{recorded.url}/", layer="zones", bbox=window)
    assert any("bbox" in q for q in recorded.items_queries("zones"))
    layer = catalog.get("zones")
    expected = [
        f["id"]
        for f, g in zip(layer.features, layer.geometries)
        if g is not None and g.intersects(shapely.box(*window))
    ]
    assert list(frame["id"]) == expected and expected


def test_gdal_bbox_in_metres_beyond_the_planes_zone(recorded, catalog):
    # 白河县 lies east of 109.5°E, outside EPSG:4545's nominal zone, yet the service serves it
    # in EPSG:4545; GDAL's spatial filter there (bbox-crs=EPSG:4545, northing first) must work
    to_plane = pyproj.Transformer.from_crs("OGC:CRS84", "EPSG:4545", always_xy=True)
    west, south = to_plane.transform(110.05, 32.78)
    east, north = to_plane.transform(110.15, 32.86)
    recorded.start()
    frame = pyogrio.read_dataframe(
        f"OAPIF:{recorded.url}/",
        layer="counties",
        CRS="EPSG:4545",
        bbox=(west, south, east, north),
    )
    assert list(frame["name"]) == ["白河县"]
    sent = [q for q in recorded.items_queries("counties") if "bbox" in q]
    assert sent and sent[-1]["bbox-crs"] == [EPSG_4545]
