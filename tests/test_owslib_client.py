"""OWSLib's ``Features`` (a client the project did not write) against the served process.

Parts 1-3 of OGC API - Features as OWSLib uses them: landing page, conformance, collections,
queryables, items with ``bbox``, ``limit``, ``filter`` (CQL2 text), ``crs``, ``properties``,
``sortby`` and paging. Answers are compared with the catalog's own features: CQL2 results with
the same condition in pandas, coordinates with pyproj's transform of the CRS84 features.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from conftest import COLLECTION_IDS
from owslib.ogcapi.features import Features
from shapely.geometry import shape

EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
PART2 = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"
PART3 = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/"
CQL2 = "http://www.opengis.net/spec/cql2/1.0/conf/"


@pytest.fixture(scope="module")
def api(live_server) -> Features:
    return Features(f"{live_server}/")


def frame(layer) -> pd.DataFrame:
    """The layer's properties as pandas sees them, one row per feature, index = feature id."""
    return pd.DataFrame([f["properties"] for f in layer.features], index=feature_ids(layer))


def feature_ids(layer) -> list[str]:
    return [f["id"] for f in layer.features]


def ids(answer: dict) -> list[str]:
    return [f["id"] for f in answer["features"]]


def test_landing_and_collections(api, catalog):
    rels = {link["rel"] for link in api.links}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    assert api.api()["openapi"].startswith("3.0")
    assert api.feature_collections() == COLLECTION_IDS == list(catalog.layers)


def test_conformance_declares_parts_2_and_3(api):
    conforms = set(api.conformance()["conformsTo"])
    assert PART2 in conforms
    for name in ("queryables", "filter", "features-filter"):
        assert PART3 + name in conforms, name
    for name in ("basic-cql2", "cql2-text", "basic-spatial-functions"):
        assert CQL2 + name in conforms, name


def test_collection_lists_its_crs(api):
    zones = api.collection("zones")
    assert zones["crs"][0] == CRS84 and zones["storageCrs"] in zones["crs"]
    for code in (4326, 4490, 4545, 4546, 4524, 4525):
        assert f"{EPSG}{code}" in zones["crs"], code


def test_queryables_are_a_json_schema_with_chinese_titles(api, catalog):
    queryables = api.collection_queryables("zones")
    assert queryables["type"] == "object"
    props = queryables["properties"]
    fields = frame(catalog.get("zones")).columns
    assert {"name", "level", "planned_area_km2"} <= set(props) <= {*fields, "geometry"}
    assert props["level"]["type"] == "string" and props["planned_area_km2"]["type"] == "number"
    assert props["name"]["title"].startswith(catalog.fields["name"])
    assert any("\u4e00" <= ch <= "\u9fff" for ch in props["level"]["title"])


def test_items_with_bbox_and_limit(api, catalog):
    everything = api.collection_items("counties", limit=100)
    assert ids(everything) == feature_ids(catalog.get("counties"))
    assert everything["numberMatched"] == everything["numberReturned"] == 10
    one = api.collection_items("counties", bbox=[110.05, 32.78, 110.15, 32.86])
    assert [f["properties"]["name"] for f in one["features"]] == ["白河县"]


def test_paging_follows_the_offsets(api, catalog):
    seen, offset = [], 0
    while True:
        page = api.collection_items("zones", limit=3, offset=offset)
        seen += ids(page)
        if not any(link["rel"] == "next" for link in page["links"]):
            break
        offset += 3
    assert seen == feature_ids(catalog.get("zones"))
    assert page["numberMatched"] == 16 and page["numberReturned"] == 1


FILTERS = [
    ("level = '国家级'", lambda f: f["level"] == "国家级"),
    ("kind IN ('高新区', '示范区')", lambda f: f["kind"].isin(["高新区", "示范区"])),
    ("planned_area_km2 BETWEEN 5 AND 30", lambda f: f["planned_area_km2"].between(5, 30)),
    ("name LIKE '%高新%'", lambda f: f["name"].str.contains("高新", regex=False)),
    (
        "county = '610902' AND drawn_area_km2 > 2",
        lambda f: (f["county"] == "610902") & (f["drawn_area_km2"] > 2),
    ),
    ("NOT (level = '园中园') OR planned_area_km2 IS NULL", None),
]


@pytest.mark.parametrize("cql, condition", FILTERS, ids=[c for c, _ in FILTERS])
def test_cql2_text_filter_matches_pandas(api, catalog, cql, condition):
    table = frame(catalog.get("zones"))
    if condition is None:  # NOT (...) OR ... IS NULL
        expected = table[(table["level"] != "园中园") | table["planned_area_km2"].isna()]
    else:
        expected = table[condition(table).fillna(False).astype(bool)]
    answer = api.collection_items("zones", filter=cql, limit=100)
    assert ids(answer) == list(expected.index), cql
    assert answer["numberMatched"] == len(expected)
    assert all({"source", "precision"} <= set(f["properties"]) for f in answer["features"])


def test_cql2_json_filter(api, catalog):
    expression = {"op": "=", "args": [{"property": "level"}, "国家级"]}
    answer = api.collection_items(
        "zones", filter=json.dumps(expression, ensure_ascii=False), **{"filter-lang": "cql2-json"}
    )
    table = frame(catalog.get("zones"))
    assert ids(answer) == list(table[table["level"] == "国家级"].index)


def test_s_intersects_matches_shapely(api, catalog):
    window = shapely.box(108.9, 32.6, 109.2, 32.8)
    layer = catalog.get("zones")
    answer = api.collection_items("zones", filter=f"S_INTERSECTS(geometry, {window.wkt})")
    expected = [
        i
        for i, g in zip(feature_ids(layer), layer.geometries)
        if g is not None and g.intersects(window)
    ]
    assert expected and ids(answer) == expected


@pytest.mark.parametrize("code", [4545, 4546, 4524, 4525])
def test_crs_in_metres_matches_pyproj(api, catalog, code):
    layer = catalog.get("zones")
    answer = api.collection_items("zones", crs=f"{EPSG}{code}", limit=100)
    assert api.response_headers["Content-Crs"] == f"<{EPSG}{code}>"
    # the EPSG axis order of these planes: northing (X) first, then easting (Y)
    to_plane = pyproj.Transformer.from_crs("OGC:CRS84", f"EPSG:{code}")
    for feature, expected in zip(answer["features"], layer.geometries):
        got = shape(feature["geometry"])
        want = shapely.transform(expected, lambda xy: _apply(to_plane, xy))
        assert shapely.equals_exact(got, want, tolerance=0.01), feature["id"]


@pytest.mark.parametrize("code", [4326, 4490])
def test_crs_latitude_first(api, catalog, code):
    layer = catalog.get("logistics_nodes")
    answer = api.collection_items("logistics_nodes", crs=f"{EPSG}{code}", limit=100)
    assert api.response_headers["Content-Crs"] == f"<{EPSG}{code}>"
    for feature, expected in zip(answer["features"], layer.geometries):
        lat, lon = feature["geometry"]["coordinates"][:2]
        assert abs(lon - expected.x) <= 1e-7 and abs(lat - expected.y) <= 1e-7, feature["id"]


def test_crs84_says_so(api):
    api.collection_items("zones", limit=1)
    assert api.response_headers["Content-Crs"] == f"<{CRS84}>"


def test_bbox_crs_in_metres(api, catalog):
    layer = catalog.get("counties")
    # bbox in the CRS's own axis order: EPSG:4545 is northing first (inside its 106.5-109.5°E)
    to_plane = pyproj.Transformer.from_crs("OGC:CRS84", "EPSG:4545")
    south, west = to_plane.transform(108.9, 32.6)
    north, east = to_plane.transform(109.2, 32.8)
    answer = api.collection_items(
        "counties", bbox=[south, west, north, east], **{"bbox-crs": f"{EPSG}4545"}
    )
    window = shapely.box(south, west, north, east)
    expected = [
        f["id"]
        for f, g in zip(layer.features, layer.geometries)
        if shapely.transform(g, lambda xy: _apply(to_plane, xy)).intersects(window)
    ]
    assert expected and ids(answer) == expected


def test_properties_keep_source_and_precision(api):
    answer = api.collection_items("zones", properties="name,level", limit=100)
    for feature in answer["features"]:
        assert (
            {"name", "level"}
            <= set(feature["properties"])
            <= {
                "name",
                "level",
                "source",
                "precision",
            }
        )
        assert {"source", "precision"} <= set(feature["properties"])


def test_sortby(api, catalog):
    table = frame(catalog.get("counties"))
    down = api.collection_items("counties", sortby=("area_km2", "desc"), limit=100)
    up = api.collection_items("counties", sortby=("area_km2", "asc"), limit=100)
    assert ids(down) == list(table.sort_values("area_km2", ascending=False).index)
    assert ids(up) == list(reversed(ids(down)))


@pytest.mark.parametrize(
    "query",
    [{"name": "foo"}, {"filter": "level = "}, {"crs": f"{EPSG}3857"}, {"filter": "nosuch = 1"}],
    ids=["unknown parameter", "broken filter", "crs not offered", "unknown property"],
)
def test_bad_requests_are_400_in_chinese(api, query):
    with pytest.raises(RuntimeError) as error:
        api.collection_items("zones", **query)
    # OWSLib raises with the answer's body: the 400 in the house format, Chinese first
    message = json.loads(str(error.value))["error"]
    assert message["code"] == "bad_request"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message["message"]), message


@pytest.mark.parametrize("layer_id", COLLECTION_IDS)
def test_every_collection_has_queryables(api, layer_id):
    assert api.collection_queryables(layer_id)["type"] == "object"


def _apply(transformer: pyproj.Transformer, xy: np.ndarray) -> np.ndarray:
    x, y = transformer.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])
