"""OGC API - Features Part 3: queryables, CQL2 text and JSON filters, properties and sortby.

Every filter's answer is compared with the same condition applied in pandas/shapely on the
layer's own features; bad filters are 400s that say where; OWSLib reads the queryables and
filters against the real server.
"""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

import geopandas as gpd
import jsonschema
import pandas as pd
import pytest
import shapely

from geo_service.query.like import like_matcher
from geo_service.query.selection import CONFORMANCE

POINT = shapely.Point(108.9, 32.7)  # in 汉滨区
BOX = shapely.box(108.0, 32.0, 109.0, 33.0)
TRIANGLE = shapely.Polygon([(108.5, 32.5), (109.5, 32.5), (109.0, 33.2)])


@pytest.fixture(scope="module")
def frames(catalog) -> dict[str, gpd.GeoDataFrame]:
    """Each layer as a GeoDataFrame: its properties, its geometry, the feature id as ``fid``."""
    out = {}
    for layer in catalog.layers.values():
        rows = [{**f["properties"], "fid": f["id"]} for f in layer.features]
        out[layer.id] = gpd.GeoDataFrame(
            pd.DataFrame(rows), geometry=list(layer.geometries), crs="EPSG:4326"
        )
    return out


def ids(client, collection: str, **params) -> list[str]:
    answer = client.get(f"/collections/{collection}/items", query_string={"limit": 1000, **params})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["numberMatched"] == len(body["features"])
    for feature in body["features"]:
        assert feature["properties"]["source"] and feature["properties"]["precision"]
    return [f["id"] for f in body["features"]]


def geoms(df):
    return df.geometry


# (collection, CQL2 text, CQL2 JSON, the same in pandas)
CASES = [
    (
        "counties",
        "area_km2 > 2000",
        {"op": ">", "args": [{"property": "area_km2"}, 2000]},
        lambda d: d.area_km2 > 2000,
    ),
    (
        "counties",
        "name = '汉滨区'",
        {"op": "=", "args": [{"property": "name"}, "汉滨区"]},
        lambda d: d.name == "汉滨区",
    ),
    (
        "counties",
        "name <> '汉滨区' AND area_km2 <= 2000",
        {
            "op": "and",
            "args": [
                {"op": "<>", "args": [{"property": "name"}, "汉滨区"]},
                {"op": "<=", "args": [{"property": "area_km2"}, 2000]},
            ],
        },
        lambda d: (d.name != "汉滨区") & (d.area_km2 <= 2000),
    ),
    (
        "counties",
        "area_km2 < 1500 OR NOT (area_km2 < 3600)",
        {
            "op": "or",
            "args": [
                {"op": "<", "args": [{"property": "area_km2"}, 1500]},
                {"op": "not", "args": [{"op": "<", "args": [{"property": "area_km2"}, 3600]}]},
            ],
        },
        lambda d: (d.area_km2 < 1500) | ~(d.area_km2 < 3600),
    ),
    (
        "counties",
        "name LIKE '%阳%'",
        {"op": "like", "args": [{"property": "name"}, "%阳%"]},
        lambda d: d.name.str.contains("阳"),
    ),
    (
        "counties",
        "name LIKE '汉_区'",
        {"op": "like", "args": [{"property": "name"}, "汉_区"]},
        lambda d: d.name.str.fullmatch("汉.区"),
    ),
    (
        "counties",
        "name NOT LIKE '%县'",
        {"op": "not", "args": [{"op": "like", "args": [{"property": "name"}, "%县"]}]},
        lambda d: ~d.name.str.endswith("县"),
    ),
    (
        "counties",
        "name IN ('汉滨区', '石泉县', '不存在')",
        {"op": "in", "args": [{"property": "name"}, ["汉滨区", "石泉县", "不存在"]]},
        lambda d: d.name.isin(["汉滨区", "石泉县"]),
    ),
    (
        "counties",
        "area_km2 BETWEEN 1000 AND 2500",
        {"op": "between", "args": [{"property": "area_km2"}, [1000, 2500]]},
        lambda d: d.area_km2.between(1000, 2500),
    ),
    (
        "counties",
        "area_km2 NOT BETWEEN 1000 AND 2500",
        {
            "op": "not",
            "args": [{"op": "between", "args": [{"property": "area_km2"}, [1000, 2500]]}],
        },
        lambda d: ~d.area_km2.between(1000, 2500),
    ),
    (
        "counties",
        "CASEI(name_en) LIKE CASEI('%YANG%')",
        {
            "op": "like",
            "args": [{"op": "casei", "args": [{"property": "name_en"}]}, "%yang%"],
        },
        lambda d: d.name_en.str.lower().str.contains("yang"),
    ),
    (
        "counties",
        "seat_lat > seat_lon - 100",  # property-property is exercised below without arithmetic
        None,
        None,
    ),
    (
        "zones",
        "planned_area_km2 IS NULL",
        {"op": "isNull", "args": [{"property": "planned_area_km2"}]},
        lambda d: d.planned_area_km2.isna(),
    ),
    (
        "zones",
        "planned_area_km2 IS NOT NULL AND kind = '飞地园区'",
        {
            "op": "and",
            "args": [
                {
                    "op": "not",
                    "args": [{"op": "isNull", "args": [{"property": "planned_area_km2"}]}],
                },
                {"op": "=", "args": [{"property": "kind"}, "飞地园区"]},
            ],
        },
        lambda d: d.planned_area_km2.notna() & (d.kind == "飞地园区"),
    ),
    (
        "zones",
        "planned_area_km2 >= 10",  # nulls are unknown, never true
        {"op": ">=", "args": [{"property": "planned_area_km2"}, 10]},
        lambda d: d.planned_area_km2 >= 10,
    ),
    (
        "zones",
        "drawn_area_km2 > planned_area_km2 OR drawn_area_km2 = planned_area_km2",
        None,
        lambda d: (
            (d.drawn_area_km2 > d.planned_area_km2) | (d.drawn_area_km2 == d.planned_area_km2)
        ),
    ),
    (
        "reference_rivers",
        "named = TRUE",
        {"op": "=", "args": [{"property": "named"}, True]},
        lambda d: d.named == True,  # noqa: E712 - a pandas column
    ),
    (
        "counties",
        "S_INTERSECTS(geometry, POINT(108.9 32.7))",
        {
            "op": "s_intersects",
            "args": [{"property": "geometry"}, {"type": "Point", "coordinates": [108.9, 32.7]}],
        },
        lambda d: geoms(d).intersects(POINT),
    ),
    (
        "counties",
        "S_INTERSECTS(geometry, BBOX(108, 32, 109, 33))",
        {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [108, 32, 109, 33]}]},
        lambda d: geoms(d).intersects(BOX),
    ),
    (
        "zones",
        "S_WITHIN(geometry, POLYGON((108.5 32.5, 109.5 32.5, 109 33.2, 108.5 32.5)))",
        {
            "op": "s_within",
            "args": [{"property": "geometry"}, shapely.geometry.mapping(TRIANGLE)],
        },
        lambda d: geoms(d).within(TRIANGLE),
    ),
    (
        "counties",
        "S_CONTAINS(geometry, POINT(108.9 32.7)) OR S_DISJOINT(geometry, "
        "POLYGON((108 32, 109 32, 109 33, 108 33, 108 32)))",
        None,
        lambda d: geoms(d).contains(POINT) | geoms(d).disjoint(BOX),
    ),
    (
        "logistics_axes",
        "S_CROSSES(geometry, POLYGON((108 32, 109 32, 109 33, 108 33, 108 32)))",
        None,
        lambda d: geoms(d).crosses(BOX),
    ),
    (
        "clusters",  # 包装饮用水 has no geometry: unknown, so neither in nor out
        "S_INTERSECTS(geometry, BBOX(108, 32, 111, 34)) AND target_2020_yi >= 100",
        None,
        lambda d: geoms(d).intersects(shapely.box(108, 32, 111, 34)) & (d.target_2020_yi >= 100),
    ),
    (
        "clusters",
        "NOT S_INTERSECTS(geometry, BBOX(108, 32, 111, 34))",
        None,
        lambda d: pd.Series([False] * len(d), index=d.index),
    ),
]


@pytest.mark.parametrize(
    ("collection", "text", "as_json", "expected"),
    [c for c in CASES if c[3] is not None],
    ids=[f"{c[0]}: {c[1]}" for c in CASES if c[3] is not None],
)
def test_filters_match_pandas(client, frames, collection, text, as_json, expected):
    frame = frames[collection]
    wanted = list(frame.fid[expected(frame).fillna(False).astype(bool)])
    assert ids(client, collection, filter=text) == wanted
    assert ids(client, collection, filter=text, **{"filter-lang": "cql2-text"}) == wanted
    if as_json is not None:
        got = ids(client, collection, filter=json.dumps(as_json), **{"filter-lang": "cql2-json"})
        assert got == wanted


def test_the_filter_cases_are_not_trivial(client, frames):
    """Most cases select some but not all features (an always-empty answer proves nothing)."""
    partial = 0
    for collection, _, _, expected in CASES:
        if expected is not None:
            hits = int(expected(frames[collection]).fillna(False).astype(bool).sum())
            partial += 0 < hits < len(frames[collection])
    assert partial >= 15


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("name = ", "末尾"),
        ("name = 'a' AND (area_km2 > 3", "末尾"),
        ("name == 'a'", "第 1 行第 7 列"),
        ("area_km2 > 3 AND ) name = 'a'", "第 1 行第 18 列"),
        ("S_INTERSECTS(geometry, POINT(108.9))", "第 1 行"),
    ],
)
def test_syntax_errors_say_where(client, text, where):
    answer = client.get("/collections/counties/items", query_string={"filter": text})
    assert answer.status_code == 400
    message = answer.get_json()["error"]["message"]
    assert where in message and "filter" in message, message


def test_errors_in_english(client):
    answer = client.get(
        "/collections/counties/items",
        query_string={"filter": "name == 'a'"},
        headers={"Accept-Language": "en"},
    )
    message = answer.get_json()["error"]["message"]
    assert answer.status_code == 400 and "line 1, column 7" in message, message


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"filter": "foo = 1"}, ["foo", "area_km2", "geometry"]),
        ({"filter": "name = 3"}, ["name (string)", "3 (number)", "="]),
        ({"filter": "area_km2 LIKE 'a%'"}, ["LIKE", "area_km2 (number)"]),
        ({"filter": "name = TRUE"}, ["boolean"]),
        ({"filter": "S_INTERSECTS(name, POINT(1 2))"}, ["name", "geometry"]),
        ({"filter": "geometry = 'a'"}, ["geometry"]),
        ({"filter": "name = TIMESTAMP('2020-01-01T00:00:00Z')"}, ["TIMESTAMP"]),
        ({"filter": "   "}, ["filter"]),
        ({"filter": "name = 'a'", "filter-lang": "ecql"}, ["cql2-text", "cql2-json"]),
        ({"filter": "name = 'a'", "filter-crs": "EPSG:3857"}, ["CRS84"]),
        ({"filter-lang": "cql"}, ["cql2-json"]),
        ({"filter-lang": ""}, ["filter-lang=", "cql2-text"]),
        ({"filter": "{", "filter-lang": "cql2-json"}, ["第 1 行第 2 列"]),
        (
            {"filter": '{"op": "zz", "args": []}', "filter-lang": "cql2-json"},
            ["zz", "s_intersects"],
        ),
        (
            {"filter": '{"op": "and", "args": [{"op": "="}]}', "filter-lang": "cql2-json"},
            ["/args/0"],
        ),
        (
            {
                "filter": '{"op": "s_intersects", "args": '
                '[{"property": "geometry"}, {"bbox": [1]}]}',
                "filter-lang": "cql2-json",
            },
            ["bbox", "/args/1"],
        ),
        ({"filter": "x" * 9000}, ["8192"]),
        ({"filter": "NOT " * 400 + "name = 'a'"}, ["filter"]),
        ({"filter": " OR ".join(["name='a'"] * 600)}, ["500"]),
        ({"filter": "[" * 3000 + "]" * 3000, "filter-lang": "cql2-json"}, ["filter"]),
        ({"properties": "name,nope"}, ["nope", "properties", "area_km2"]),
        ({"sortby": "-nope"}, ["-nope", "sortby"]),
        ({"sortby": ",".join(["name"] * 60)}, ["50"]),
    ],
)
def test_bad_requests_are_400s_that_say_what(client, params, words):
    answer = client.get("/collections/counties/items", query_string=params)
    assert answer.status_code == 400, answer.data[:300]
    message = answer.get_json()["error"]["message"]
    for word in words:
        assert word in message, message


@pytest.mark.parametrize("depth", [300, 4000])
def test_brackets_nest_without_harm(client, depth):
    """Brackets add no AST depth: the parser takes thousands without harm."""
    text = "(" * depth + "name = '汉滨区'" + ")" * depth
    answer = client.get("/collections/counties/items", query_string={"filter": text})
    assert answer.status_code == 200 and answer.get_json()["numberMatched"] == 1


def test_a_pathological_like_pattern_is_fast(client):
    pattern = "%a" * 2000 + "%b"
    start = time.perf_counter()
    assert like_matcher(pattern)("a" * 3000) is False
    answer = client.get(
        "/collections/counties/items", query_string={"filter": f"name LIKE '{pattern[:8000]}'"}
    )
    assert answer.status_code == 200
    assert time.perf_counter() - start < 5


def test_like_escapes_and_wildcards():
    assert like_matcher(r"100\%")("100%") and not like_matcher(r"100\%")("1000")
    assert like_matcher("a_c")("abc") and not like_matcher("a_c")("abbc")
    assert like_matcher("%")("") and like_matcher("a%%b")("ab") and not like_matcher("")("x")


def test_properties_and_sortby(client, frames):
    answer = client.get(
        "/collections/counties/items",
        query_string={"properties": "name,area_km2", "sortby": "-area_km2", "limit": 3},
    ).get_json()
    assert [set(f["properties"]) for f in answer["features"]] == [
        {"name", "area_km2", "source", "precision"}
    ] * 3
    frame = frames["counties"].sort_values("area_km2", ascending=False, kind="stable")
    assert [f["id"] for f in answer["features"]] == list(frame.fid[:3])
    assert answer["numberMatched"] == 10 and answer["features"][0]["geometry"]
    # every paging link carries the query
    for link in answer["links"]:
        if link["rel"] in ("self", "alternate", "next"):
            query = parse_qs(urlsplit(link["href"]).query)
            assert query["properties"] == ["name,area_km2"] and query["sortby"] == ["-area_km2"]


def test_sortby_is_stable_with_nulls_last(client, frames):
    frame = frames["zones"]
    for sortby, ascending in (("planned_area_km2", True), ("-planned_area_km2", False)):
        got = ids(client, "zones", sortby=f"{sortby},name")
        expected = frame.sort_values(
            ["planned_area_km2", "name"], ascending=[ascending, True], na_position="last"
        )
        assert got[: expected.planned_area_km2.notna().sum()] == list(
            expected.fid[expected.planned_area_km2.notna()]
        )
        nulls = frame[frame.planned_area_km2.isna()].sort_values("name", kind="stable")
        assert got[-len(nulls) :] == list(nulls.fid)
    assert ids(client, "zones", sortby="+kind") == list(
        frame.sort_values("kind", kind="stable").fid
    )


def test_paging_links_carry_the_filter(client):
    params = {"filter": "area_km2 > 1000", "limit": 2, "sortby": "name"}
    body = client.get("/collections/counties/items", query_string=params).get_json()
    assert body["numberMatched"] > 2 and body["numberReturned"] == 2
    following = [link for link in body["links"] if link["rel"] == "next"][0]["href"]
    query = parse_qs(urlsplit(following).query)
    assert query["filter"] == ["area_km2 > 1000"] and query["offset"] == ["2"]
    second = client.get(following.replace("http://localhost", "")).get_json()
    assert second["numberMatched"] == body["numberMatched"]


def test_queryables_are_a_valid_json_schema(client, catalog):
    for layer in catalog.layers.values():
        answer = client.get(f"/collections/{layer.id}/queryables")
        assert answer.status_code == 200
        assert answer.mimetype == "application/schema+json"
        schema = answer.get_json()
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"].endswith(f"/collections/{layer.id}/queryables")
        assert schema["properties"]["geometry"]["x-ogc-role"] == "primary-geometry"
        assert schema["properties"]["geometry"]["format"].startswith("geometry-")
        validator = jsonschema.Draft202012Validator(
            {"type": "object", "properties": {k: v for k, v in schema["properties"].items()}}
        )
        names = set()
        for feature in layer.features:
            present = {k: v for k, v in feature["properties"].items() if v is not None}
            validator.validate(present)
            names |= set(feature["properties"])
        assert names == set(schema["properties"]) - {"geometry"}
    counties = client.get("/collections/counties/queryables").get_json()["properties"]
    assert counties["name"]["title"] == "名称 name" and counties["area_km2"]["type"] == "number"


def test_queryables_html_and_links(client):
    page = client.get("/collections/zones/queryables?f=html")
    assert page.status_code == 200 and "可查询字段" in page.text and "planned_area_km2" in page.text
    meta = client.get("/collections/zones").get_json()
    rel = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
    assert [link["type"] for link in meta["links"] if link["rel"] == rel] == [
        "application/schema+json"
    ]
    assert client.get("/collections/nope/queryables").status_code == 404


def test_conformance_declares_part_3(client):
    declared = client.get("/conformance").get_json()["conformsTo"]
    assert set(CONFORMANCE) <= set(declared)
    assert "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2" in declared
    page = client.get("/conformance?f=html").text
    assert "CQL2 高级比较（LIKE、IN、BETWEEN）" in page


def test_openapi_lists_the_filter_parameters(client):
    document = client.get("/api").get_json()
    items = document["paths"]["/collections/{collectionId}/items"]["get"]["parameters"]
    names = {p["name"]: p for p in items}
    assert {"filter", "filter-lang", "filter-crs", "properties", "sortby"} <= set(names)
    assert names["filter-lang"]["schema"]["enum"] == ["cql2-text", "cql2-json", "cql-text"]
    assert "/collections/{collectionId}/queryables" in document["paths"]


def test_owslib_reads_queryables_and_filters(live_server):
    from owslib.ogcapi.features import Features

    api = Features(live_server)
    queryables = api.collection_queryables("counties")
    assert queryables["properties"]["name"]["type"] == "string"
    found = api.collection_items("counties", filter="name LIKE '%阳%'", limit=50)
    assert sorted(f["properties"]["name"] for f in found["features"]) == ["旬阳市", "紫阳县"]
    as_json = {
        "op": "s_intersects",
        "args": [{"property": "geometry"}, {"bbox": [108, 32, 109, 33]}],
    }
    found = api.collection_items(
        "counties", filter=json.dumps(as_json), **{"filter-lang": "cql2-json"}
    )
    assert found["numberMatched"] == 6
    ordered = api.collection_items("counties", sortby=("area_km2", "desc"), limit=2)
    assert ordered["features"][0]["properties"]["name"] == "宁陕县"


def test_queryables_also_speak_the_drafts_names_gdal_reads(client):
    # GDAL 3.12's OAPIF driver follows rel="queryables", asks for plain JSON and reads a
    # {"queryables": [{"id": ...}]} list; the standard JSON Schema stays the default answer
    meta = client.get("/collections/zones?f=json").get_json()
    draft = [link for link in meta["links"] if link["rel"] == "queryables"]
    assert len(draft) == 1 and draft[0]["type"] == "application/json"
    plain = client.get(
        draft[0]["href"], headers={"Accept": "application/geo+json, application/json"}
    )
    assert plain.status_code == 200 and plain.mimetype == "application/json"
    schema = client.get("/collections/zones/queryables")
    assert schema.mimetype == "application/schema+json"
    assert plain.get_json() == schema.get_json()
    names = [entry["id"] for entry in schema.get_json()["queryables"]]
    assert names == [n for n in schema.get_json()["properties"] if n != "geometry"]
    api = client.get("/api?f=json").get_json()
    lang = next(
        p
        for p in api["paths"]["/collections/{collectionId}/items"]["get"]["parameters"]
        if p.get("name") == "filter-lang"
    )
    assert "cql-text" in lang["schema"]["enum"]
    drafted = client.get(
        "/collections/zones/items",
        query_string={"filter": "county_name = '石泉县'", "filter-lang": "cql-text"},
    )
    standard = client.get(
        "/collections/zones/items", query_string={"filter": "county_name = '石泉县'"}
    )
    ids = [f["id"] for f in drafted.get_json()["features"]]
    assert ids == [f["id"] for f in standard.get_json()["features"]] and len(ids) == 1
