"""OGC API - Features Part 2 (CRS by reference): every offered CRS against pyproj on the CRS84
answer, EPSG axis order, bbox-crs, Content-Crs, downloads, and GDAL's OAPIF driver."""

from __future__ import annotations

import io
import json
import zipfile
from functools import lru_cache

import numpy as np
import pyogrio
import pyproj
import pytest
import shapely
from conftest import COLLECTION_IDS
from test_api import assert_error

from geo_service.query.crs import CRS84, OFFERED, SPELLED

URIS = [c.uri for c in OFFERED]
GK_4545 = "http://www.opengis.net/def/crs/EPSG/0/4545"
#: Every layer: polygons, points, lines, and features without geometry.
LAYERS = COLLECTION_IDS


def items(client, layer: str, query: str = "") -> tuple[dict, dict]:
    response = client.get(f"/collections/{layer}/items?limit=1000{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json(), response.headers


def coordinates(geometry: dict | None) -> np.ndarray:
    """All the coordinates of a GeoJSON geometry as an (N, 2) array, in order."""
    if geometry is None:
        return np.empty((0, 2))
    return shapely.get_coordinates(shapely.from_geojson(json.dumps(geometry)))


def expected(lonlat: np.ndarray, uri: str) -> np.ndarray:
    """pyproj's answer, independently: CRS84 lon/lat to ``uri`` in the EPSG axis order."""
    first, second = authority_order(uri).transform(lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([first, second])


@lru_cache
def authority_order(uri: str) -> pyproj.Transformer:
    """CRS84 to ``uri`` with the axes as the authority orders them (no always_xy)."""
    return pyproj.Transformer.from_crs("OGC:CRS84", pyproj.CRS.from_user_input(uri))


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("uri", URIS)
def test_coordinates_in_every_offered_crs_match_pyproj(client, layer, uri):
    base, _ = items(client, layer)
    moved, headers = items(client, layer, f"&crs={uri}")
    assert headers["Content-Crs"] == f"<{uri}>"
    metres = "EPSG/0/45" in uri
    tolerance = 0.005 + 1e-9 if metres else 0.5e-7 + 1e-12  # the rounding: 1 cm, 1e-7°
    assert [f["id"] for f in moved["features"]] == [f["id"] for f in base["features"]]
    for one, other in zip(base["features"], moved["features"]):
        assert other["properties"] == one["properties"]  # source and precision kept
        assert other["properties"]["source"] and other["properties"]["precision"]
        got, lonlat = coordinates(other["geometry"]), coordinates(one["geometry"])
        assert got.shape == lonlat.shape
        if len(got):
            assert np.abs(got - expected(lonlat, uri)).max() <= tolerance, one["id"]
            decimals = 2 if metres else 7
            assert np.array_equal(got, np.round(got, decimals))


@pytest.mark.parametrize("code", ["4326", "4490"])
def test_geographic_crs_are_latitude_first(client, code):
    base, _ = items(client, "logistics_nodes")
    moved, _ = items(
        client, "logistics_nodes", f"&crs=http://www.opengis.net/def/crs/EPSG/0/{code}"
    )
    lon, lat = base["features"][0]["geometry"]["coordinates"]
    assert 105 < lon < 112 and 31 < lat < 34
    assert moved["features"][0]["geometry"]["coordinates"] == [lat, lon]


def test_gk_planes_are_northing_first_as_epsg_defines_them(client, catalog):
    assert [a.direction for a in pyproj.CRS.from_epsg(4545).axis_info] == ["north", "east"]
    point = catalog.get("logistics_nodes").features[0]["geometry"]["coordinates"]
    for code, prefix in (("4545", 0), ("4524", 36_000_000)):
        answer, _ = items(client, "logistics_nodes", f"&crs={code}")
        northing, easting = answer["features"][0]["geometry"]["coordinates"]
        assert 3_400_000 < northing < 3_800_000 and 300_000 < easting - prefix < 800_000
        x, y = pyproj.Transformer.from_crs("OGC:CRS84", f"EPSG:{code}", always_xy=True).transform(
            *point
        )
        assert (round(x, 2), round(y, 2)) == (easting, northing)


def test_every_spelling_answers_the_same_features(client):
    spellings = ("http://www.opengis.net/def/crs/EPSG/0/4545", "[EPSG:4545]", "EPSG:4545", "4545")
    answers = [client.get(f"/collections/zones/items?crs={s}") for s in spellings]
    assert len({json.dumps(a.get_json()["features"]) for a in answers}) == 1
    assert {a.headers["Content-Crs"] for a in answers} == {f"<{GK_4545}>"}
    default = client.get("/collections/zones/items").get_json()["features"]
    for spelled in (CRS84, "[OGC:CRS84]", "OGC:CRS84", "CRS84"):
        answer = client.get(f"/collections/zones/items?crs={spelled}").get_json()
        assert answer["features"] == default


def test_bbox_crs_4545_selects_what_the_same_box_in_crs84_selects(client):
    # a box in EPSG:4545's axis order (northing, easting) around the Hanbin zones
    south, west, north, east = 3_600_000, 560_000, 3_640_000, 620_000
    box = f"{south},{west},{north},{east}"
    got, headers = items(client, "zones", f"&bbox={box}&bbox-crs={GK_4545}&crs={GK_4545}")
    assert headers["Content-Crs"] == f"<{GK_4545}>"
    to_lonlat = pyproj.Transformer.from_crs("EPSG:4545", "OGC:CRS84", always_xy=True)
    lonlat_box = to_lonlat.transform_bounds(west, south, east, north, densify_pts=21)
    same, _ = items(client, "zones", "&bbox=" + ",".join(str(v) for v in lonlat_box))
    ids = [f["id"] for f in got["features"]]
    assert ids == [f["id"] for f in same["features"]] and ids
    # independently: the features whose projected geometry meets the rectangle are all there
    base, _ = items(client, "zones")
    to_plane = pyproj.Transformer.from_crs("OGC:CRS84", "EPSG:4545", always_xy=True)
    rectangle = shapely.box(west, south, east, north)
    meets = [
        f["id"]
        for f in base["features"]
        if shapely.transform(
            shapely.from_geojson(json.dumps(f["geometry"])), plane(to_plane)
        ).intersects(rectangle)
    ]
    assert set(meets) <= set(ids) and meets


def plane(transformer):
    def move(coords):
        return np.column_stack(transformer.transform(coords[:, 0], coords[:, 1]))

    return move


def test_bbox_crs_4326_is_latitude_first(client):
    lonlat, _ = items(client, "counties", "&bbox=109.0,32.6,109.2,32.8")
    latlon, _ = items(
        client,
        "counties",
        "&bbox=32.6,109.0,32.8,109.2&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326",
    )
    assert [f["id"] for f in latlon["features"]] == [f["id"] for f in lonlat["features"]]
    # the lon/lat order in EPSG:4326 is a latitude of 109°: refused, naming the order
    message = assert_error(
        client.get("/collections/counties/items?bbox=109.0,32.6,109.2,32.8&bbox-crs=EPSG:4326"),
        400,
        "bad_request",
    )
    assert "最小纬度,最小经度,最大纬度,最大经度" in message


def test_bbox_outside_the_plane_and_inverted_are_400(client):
    outside = "/collections/zones/items?bbox=1,1,2,2&bbox-crs=EPSG:4545"
    assert "不在 EPSG:4545 的适用范围内" in assert_error(client.get(outside), 400, "bad_request")
    inverted = "/collections/zones/items?bbox=3640000,560000,3600000,620000&bbox-crs=EPSG:4545"
    assert "最小北坐标X" in assert_error(client.get(inverted), 400, "bad_request")


@pytest.mark.parametrize(
    "value", ["EPSG:3857", "3857", "epsg:4545", " 4545", "", "urn:x", "[EPSG:4545", "x" * 5000]
)
def test_a_crs_not_offered_is_a_400_naming_the_offered_ones(client, value):
    for name, url in (
        ("crs", f"/collections/zones/items?crs={value}"),
        ("bbox-crs", f"/collections/zones/items?bbox-crs={value}&bbox=1,2,3,4"),
        ("crs", f"/collections/zones/items/ankang-hitech?crs={value}"),
        ("crs", f"/collections/zones/download?f=gpkg&crs={value}"),
    ):
        response = client.get(url)
        message = assert_error(response, 400, "bad_request")
        assert message.startswith(f"{name}=") and "不是本服务提供的坐标参考系" in message
        assert "EPSG:4545" in message and "EPSG:4490" in message and len(message) < 600
        assert "Content-Crs" not in response.headers
    english = client.get(
        "/collections/zones/items?crs=EPSG:3857", headers={"Accept-Language": "en"}
    )
    assert (
        "is not a coordinate reference system offered here"
        in english.get_json()["error"]["message"]
    )


def test_content_crs_on_every_geojson_answer_and_its_304(client):
    for url in (
        "/collections/zones/items",
        "/collections/zones/items?crs=EPSG:4490",
        "/collections/zones/items/ankang-hitech",
        f"/collections/zones/items/ankang-hitech?crs={GK_4545}",
    ):
        first = client.get(url)
        crs = SPELLED[url.partition("crs=")[2] or CRS84].uri
        assert first.headers["Content-Crs"] == f"<{crs}>", url
        again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.headers["Content-Crs"] == f"<{crs}>"
    page = client.get("/collections/zones/items?f=html&crs=EPSG:4545")
    assert page.status_code == 200 and "Content-Crs" not in page.headers


def test_etags_and_paging_links_follow_the_crs(client):
    plain = client.get("/collections/counties/items?limit=2")
    projected = client.get(f"/collections/counties/items?limit=2&crs={GK_4545}")
    assert plain.headers["ETag"] != projected.headers["ETag"]
    links = {link["rel"]: link["href"] for link in projected.get_json()["links"]}
    assert "crs=http" in links["next"] and "4545" in links["next"]
    assert client.get(links["next"]).headers["Content-Crs"] == f"<{GK_4545}>"
    one = client.get(f"/collections/zones/items/ankang-hitech?crs={GK_4545}").get_json()
    assert all("4545" in link["href"] for link in one["links"] if link["rel"] == "self")


def test_collections_list_the_crs_and_conformance_declares_part_2(client):
    for layer in client.get("/collections").get_json()["collections"]:
        assert layer["crs"] == URIS and layer["storageCrs"] == CRS84
        assert layer["extent"]["spatial"]["crs"] == CRS84
    conforms = client.get("/conformance").get_json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conforms


def test_openapi_documents_crs_and_bbox_crs(client):
    document = client.get("/api").get_json()
    operation = document["paths"]["/collections/{collectionId}/items"]["get"]
    params = {p["name"]: p for p in operation["parameters"]}
    for name in ("crs", "bbox-crs"):
        assert set(URIS) <= set(params[name]["schema"]["enum"]) <= set(SPELLED)
    assert "Content-Crs" in operation["responses"]["200"]["headers"]
    single = document["paths"]["/collections/{collectionId}/items/{featureId}"]["get"]
    assert "crs" in {p["name"] for p in single["parameters"]}
    download = document["paths"]["/collections/{collectionId}/download"]["get"]
    assert "crs" in {p["name"] for p in download["parameters"]}


@pytest.mark.parametrize("fmt", ["gpkg", "shp"])
def test_a_layer_download_in_4545_reads_back_in_4545(client, catalog, tmp_path, fmt):
    response = client.get(f"/collections/zones/download?f={fmt}&crs=[EPSG:4545]")
    assert response.status_code == 200
    if fmt == "gpkg":
        path = tmp_path / "zones.gpkg"
        path.write_bytes(response.data)
    else:  # the zip holds the Shapefile and its 字段说明
        with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
            archive.extractall(tmp_path)
        path = next(tmp_path.rglob("*.shp"))
    frame = pyogrio.read_dataframe(path)
    assert frame.crs.to_epsg() == 4545
    to_plane = pyproj.Transformer.from_crs("OGC:CRS84", "EPSG:4545", always_xy=True)
    layer = catalog.get("zones")
    for got, stored in zip(frame.geometry, layer.geometries):
        want = shapely.transform(stored, plane(to_plane))
        # x = easting in the file (a Shapefile may orient rings or drop Multi differently)
        assert shapely.hausdorff_distance(got, want) < 0.01


def test_lonlat_only_formats_refuse_a_projected_crs(client):
    message = assert_error(
        client.get("/collections/zones/download?f=geojson&crs=EPSG:4545"), 400, "bad_request"
    )
    assert "f=gpkg" in message and "WGS 84" in message
    assert client.get("/collections/zones/download?f=geojson&crs=EPSG:4326").status_code == 200


def test_check_exports_take_the_same_spellings(client, tmp_path):
    jzd = __import__("pathlib").Path(__file__).parent / "data" / "jzd" / "ankang_gbk.txt"
    created = client.post(
        "/api/checks",
        data={"file": (io.BytesIO(jzd.read_bytes()), jzd.name)},
        content_type="multipart/form-data",
    )
    assert created.status_code == 201, created.get_json()
    check_id = created.get_json()["id"]
    for spelled, epsg in (
        ("http://www.opengis.net/def/crs/EPSG/0/4546", 4546),
        ("[EPSG:4545]", 4545),
        (CRS84, 4326),
    ):
        response = client.get(f"/api/checks/{check_id}?f=gpkg&crs={spelled}")
        assert response.status_code == 200, response.get_json()
        (tmp_path / "check.gpkg").write_bytes(response.data)
        frame = pyogrio.read_dataframe(tmp_path / "check.gpkg", layer="check_parcels")
        assert frame.crs.to_epsg() == epsg
    # formats whose coordinates are fixed (or absent) refuse crs= instead of ignoring it
    for fmt in ("json", "geojson", "kml", "csv", "xlsx", "jzd", "html"):
        refused = client.get(f"/api/checks/{check_id}?f={fmt}&crs=EPSG:4545")
        assert refused.status_code == 400, fmt
        assert "f=gpkg" in (
            refused.text if fmt == "html" else refused.get_json()["error"]["message"]
        )
    english = client.get(
        f"/api/checks/{check_id}?f=geojson&crs=EPSG:4545", headers={"Accept-Language": "en"}
    )
    assert "only a GeoPackage" in english.get_json()["error"]["message"]


@pytest.mark.gdal
def test_gdal_reads_zones_in_4545_as_pyproj_says(live_server, catalog):
    frame = pyogrio.read_dataframe(f"OAPIF:{live_server}/", layer="zones", CRS="EPSG:4545")
    assert frame.crs.to_epsg() == 4545
    to_plane = pyproj.Transformer.from_crs("OGC:CRS84", "EPSG:4545", always_xy=True)
    layer = catalog.get("zones")
    assert list(frame["id"]) == [f["id"] for f in layer.features]
    for got, stored in zip(frame.geometry, layer.geometries):
        assert shapely.equals_exact(got, shapely.transform(stored, plane(to_plane)), 0.01)
    # GDAL's spatial filter goes to the server as bbox + bbox-crs in EPSG:4545
    near = pyogrio.read_dataframe(
        f"OAPIF:{live_server}/",
        layer="zones",
        CRS="EPSG:4545",
        bbox=(590000, 3610000, 600000, 3630000),
    )
    assert set(near["id"]) == {"ankang-hitech", "ankang-hitech-enclave"}


@pytest.mark.gdal
def test_gdal_reads_cgcs2000_lonlat(live_server, catalog):
    frame = pyogrio.read_dataframe(
        f"OAPIF:{live_server}/", layer="logistics_nodes", CRS="EPSG:4490"
    )
    assert frame.crs.to_epsg() == 4490
    point = catalog.get("logistics_nodes").features[0]["geometry"]["coordinates"]
    assert (frame.geometry.iloc[0].x, frame.geometry.iloc[0].y) == tuple(point)  # lon, lat


def test_filter_crs_takes_the_same_table_in_its_axis_order(client):
    """A filter's geometry literals in EPSG:4545 (northing first) or 4326 (latitude first)
    select what the same place in CRS84 selects."""
    lon, lat = 108.9, 32.7  # in 汉滨区
    northing, easting = expected(np.array([[lon, lat]]), GK_4545)[0]

    def names(point: str, crs: str | None) -> list[str]:
        query = f"&filter=S_INTERSECTS(geometry, POINT({point}))"
        answer, _ = items(client, "counties", query + (f"&filter-crs={crs}" if crs else ""))
        return [f["properties"]["name"] for f in answer["features"]]

    assert names(f"{lon} {lat}", None) == ["汉滨区"]
    assert names(f"{northing} {easting}", GK_4545) == ["汉滨区"]
    assert names(f"{lat} {lon}", "EPSG:4326") == ["汉滨区"]
    assert names(f"{easting} {northing}", "EPSG:4545") == []  # easting first is elsewhere
    west, south = expected(np.array([[108.85, 32.65]]), "EPSG:4545")[0][::-1]
    east, north = expected(np.array([[108.95, 32.75]]), "EPSG:4545")[0][::-1]
    box = f"&filter=S_INTERSECTS(geometry, BBOX({south}, {west}, {north}, {east}))"
    answer, _ = items(client, "counties", box + "&filter-crs=4545")
    assert [f["properties"]["name"] for f in answer["features"]] == ["汉滨区"]
    message = assert_error(
        client.get("/collections/counties/items?filter=name='汉滨区'&filter-crs=EPSG:3857"),
        400,
        "bad_request",
    )
    assert message.startswith("filter-crs=EPSG:3857 不是本服务提供的坐标参考系")


def test_html_pages_say_which_crs_and_query(client):
    page = client.get("/collections/zones?f=html", headers={"Accept-Language": "zh-CN"}).text
    for code in ("OGC:CRS84", "EPSG:4326", "EPSG:4490", "EPSG:4545", "EPSG:4546", "EPSG:4524"):
        assert f"<code>{code}</code>" in page
    assert "WGS 84 经纬度，经度在前" in page and "中央经线 108°E" in page
    assert "/collections/zones/queryables?f=html" in page
    hostile = "name LIKE '%<b>x</b>%'"
    items = client.get(
        "/collections/zones/items",
        query_string={"f": "html", "crs": "EPSG:4545", "filter": hostile, "sortby": "-name"},
    ).text
    assert "筛选条件（cql2-text）：<code>name LIKE &#39;%&lt;b&gt;x&lt;/b&gt;%&#39;</code>" in items
    assert "<b>x</b>" not in items
    assert "排序（sortby）：<code>-name</code>" in items
    assert "坐标参考系：EPSG:4545（CGCS2000 3度带高斯-克吕格投影" in items
