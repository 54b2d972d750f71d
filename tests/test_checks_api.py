"""POST /api/checks and the register behind it: results, downloads, progress, errors."""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile

import openpyxl
import pyogrio
import pytest
from conftest import dbs
from land_fixtures import EXPECTED, PARCEL_SHAPES, ZONE_SHAPES, collection

from geo_service import create_app
from geo_service.land.model import note
from geo_service.land.service import SCHEMATIC_WARNING


@pytest.fixture()
def fresh_app(tmp_path):
    """An app with its own empty register (a real SQLite file)."""
    return create_app({"TESTING": True, **dbs(tmp_path)})


def post(
    client, parcels: bytes, name="parcels.geojson", zones: bytes | None = None, lang=None, **form
):
    """POST a check; ``lang="en"`` asks for English (Accept-Language)."""
    data = {"file": (io.BytesIO(parcels), name), **form}
    if zones is not None:
        data["zones"] = (io.BytesIO(zones), "zones.geojson")
    headers = {"Accept-Language": lang} if lang else {}
    return client.post(
        "/api/checks", data=data, content_type="multipart/form-data", headers=headers
    )


def square(lon: float, lat: float, size: float = 0.001) -> dict:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature_collection(*geometries: dict) -> bytes:
    features = [
        {"type": "Feature", "id": f"p{i}", "properties": {}, "geometry": g}
        for i, g in enumerate(geometries, start=1)
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def test_check_with_the_bureaus_zones(fresh_app):
    client = fresh_app.test_client()
    response = post(client, collection(PARCEL_SHAPES, 36), zones=collection(ZONE_SHAPES, 36))
    assert response.status_code == 201, response.json
    check = response.json
    assert response.headers["Location"].endswith(f"/api/checks/{check['id']}")
    by_id = {p["parcel_id"]: p for p in check["parcels"]}
    for key, expected in EXPECTED.items():
        parcel = by_id[key]
        assert parcel["status"] == expected.status
        assert parcel["inside_m2"] == pytest.approx(expected.inside, abs=0.01)
        assert set(parcel) >= {
            "parcel_id",
            "status",
            "area_m2",
            "area_mu",
            "inside_m2",
            "inside_mu",
            "outside_m2",
            "distance_m",
            "zones",
            "crs_used",
            "warnings",
        }
    assert check["summary"]["parcels"] == 7
    assert check["summary"]["inside"] == 3 and check["summary"]["outside"] == 2
    assert check["zones"]["source"] == "zones.geojson" and not check["zones"]["schematic"]
    assert check["warnings"] == []
    assert check["input"]["crs"].startswith("EPSG:4545")
    assert "EPSG:4545" in check["method"] and "亩" in check["method"]
    again = client.get(f"/api/checks/{check['id']}").json
    assert again["parcels"] == check["parcels"] and again["summary"] == check["summary"]


def test_default_zones_are_the_schematic_layer(fresh_app, catalog):
    hitech = catalog.get("zones").feature("ankang-hitech")
    centre = __import__("shapely").geometry.shape(hitech["geometry"]).centroid
    response = post(
        fresh_app.test_client(), feature_collection(square(centre.x, centre.y), square(109.9, 33.5))
    )
    assert response.status_code == 201, response.json
    check = response.json
    assert check["zones"]["source"] == "layer:zones" and check["zones"]["schematic"]
    assert check["warnings"] == [note(SCHEMATIC_WARNING)]
    inside, outside = check["parcels"]
    assert inside["status"] == "inside" and inside["zones"][0]["zone_id"] == "ankang-hitech"
    assert outside["status"] == "outside" and outside["distance_m"] > 1000
    assert check["zones"]["sha256"] == catalog.dataset_hash


def test_downloads(fresh_app):
    client = fresh_app.test_client()
    check = post(client, collection(PARCEL_SHAPES, 37), zones=collection(ZONE_SHAPES, 37)).json
    url = f"/api/checks/{check['id']}"

    text = client.get(f"{url}?f=csv").data.decode("utf-8")
    assert text.startswith("\ufeff地块编号,地块名称,检查结果")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert {r["地块编号"]: r["检查结果"] for r in rows}["edge"] == "部分在区内"

    book = openpyxl.load_workbook(io.BytesIO(client.get(f"{url}?f=xlsx").data))
    assert book.sheetnames == ["地块检查结果", "涉及园区", "说明"]
    sheet = book["地块检查结果"]
    assert sheet.max_row == 8 and sheet.cell(1, 1).value == "地块编号"

    report = client.get(f"{url}?f=html").get_data(as_text=True)
    assert "建设用地检查报告" in report and "<svg" in report and report.count("<path") >= 9
    assert "EPSG:4546" in report and check["input"]["sha256"] in report

    collection_ = json.loads(client.get(f"{url}?f=geojson").data)
    assert len(collection_["features"]) == 7
    assert collection_["features"][0]["properties"]["status"] in ("inside", "partial", "outside")

    gpkg = client.get(f"{url}?f=gpkg")
    assert gpkg.mimetype == "application/geopackage+sqlite3"


def test_register_exports_a_geopackage_gdal_reads(fresh_app, tmp_path):
    client = fresh_app.test_client()
    for zone in (36, 37):
        post(client, collection(PARCEL_SHAPES, zone), zones=collection(ZONE_SHAPES, zone))
    path = tmp_path / "register.gpkg"
    path.write_bytes(client.get("/api/checks?f=gpkg").data)
    layers = dict(pyogrio.list_layers(path))
    assert set(layers) == {"check_parcels", "checks"}
    parcels = pyogrio.read_dataframe(path, layer="check_parcels")
    assert len(parcels) == 14 and parcels.crs.to_epsg() == 4490
    assert set(parcels["status"]) == {"inside", "partial", "outside"}
    assert len(pyogrio.read_dataframe(path, layer="checks", read_geometry=False)) == 2


def test_register_survives_a_restart(tmp_path):
    first = create_app({"TESTING": True, **dbs(tmp_path)})
    check = post(
        first.test_client(), collection(PARCEL_SHAPES, 36), zones=collection(ZONE_SHAPES, 36)
    ).json
    second = create_app({"TESTING": True, **dbs(tmp_path)})
    client = second.test_client()
    assert client.get(f"/api/checks/{check['id']}").json["parcels"] == check["parcels"]
    listed = client.get("/api/checks").json
    assert listed["numberMatched"] == 1 and listed["checks"][0]["id"] == check["id"]
    assert listed["checks"][0]["input_sha256"] == check["input"]["sha256"]


def test_long_checks_report_progress(tmp_path):
    app = create_app({"TESTING": True, **dbs(tmp_path), "CHECK_SYNC_SECONDS": 0})
    client = app.test_client()
    response = post(client, collection(PARCEL_SHAPES, 36), zones=collection(ZONE_SHAPES, 36))
    assert response.status_code == 202
    assert response.json["status"] in ("queued", "running")
    assert set(response.json["progress"]) == {"stage", "done", "total", "share"}
    monitor = response.headers["Location"]
    for _ in range(400):  # a worker process may be starting: up to 20 s
        state = client.get(monitor)
        if state.json.get("status") == "done":
            break
        assert state.json["status"] in ("queued", "running")
        time.sleep(0.05)
    assert state.json["status"] == "done" and len(state.json["parcels"]) == 7


def bad(client, parcels: bytes, name="bad.geojson", **form):
    before = client.get("/api/checks").json["numberMatched"]
    response = post(client, parcels, name, **form)
    assert client.get("/api/checks").json["numberMatched"] == before, "nothing stored"
    assert set(response.json) == {"error"}
    return response


def test_missing_file_and_unknown_format(fresh_app):
    client = fresh_app.test_client()
    response = client.post("/api/checks", data={}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert response.json["error"]["message"].startswith("请上传地块文件（表单字段 file）")
    response = bad(client, b"\x89PNG\r\n\x1a\n\x00\x00binary", "photo.png")
    assert response.status_code == 415
    assert "界址点" in response.json["error"]["message"]
    assert len(response.json["error"]["details"]["accepted"]) == 6


def test_broken_geometries_are_reported_with_their_feature(fresh_app):
    client = fresh_app.test_client()
    open_ring = {
        "type": "Polygon",
        "coordinates": [[[109.0, 32.7], [109.001, 32.7], [109.001, 32.701], [109.0, 32.701]]],
    }
    few = {"type": "Polygon", "coordinates": [[[109.0, 32.7], [109.001, 32.7], [109.0, 32.7]]]}
    body = feature_collection(square(109.0, 32.7), open_ring, few, None)
    response = bad(client, body)
    assert response.status_code == 422
    problems = response.json["error"]["details"]["problems"]
    assert [p["where"] for p in problems] == [
        "第 4 个要素（p4）",
        "第 2 个要素（p2）的第 1 个环",
        "第 3 个要素（p3）的第 1 个环",
    ]
    assert [p["code"] for p in problems] == [
        "geometry.empty",
        "ring.not_closed",
        "ring.too_few_points",
    ]
    assert problems[1]["message"].startswith("环未闭合") and problems[1]["hint"]
    assert response.json["error"]["message"] == (
        "bad.geojson：共 3 处问题，第一处：第 4 个要素（p4）：几何为空（请为该地块提供多边形）"
    )
    english = bad(client, body, lang="en")
    assert english.json["error"]["code"] == response.json["error"]["code"] == "invalid_input"
    problems = english.json["error"]["details"]["problems"]
    assert [p["where"] for p in problems] == [
        "feature 4 (p4)",
        "feature 2 (p2), ring 1",
        "feature 3 (p3), ring 1",
    ]
    assert problems[0]["message"] == "empty geometry"
    assert problems[1]["message"].startswith("ring not closed")
    assert problems[1]["hint"] == "repeat the first point at the end of the ring"
    assert problems[2]["message"].startswith("too few points")
    assert english.json["error"]["message"].startswith("bad.geojson: 3 problems; the first: ")


def test_swapped_and_faraway_coordinates(fresh_app):
    client = fresh_app.test_client()
    swapped = {
        "type": "Polygon",
        "coordinates": [[[32.7, 109.0], [32.7, 109.001], [32.701, 109.001], [32.7, 109.0]]],
    }
    response = bad(client, feature_collection(swapped))
    assert response.status_code == 422 and "X 与 Y 似乎颠倒" in response.json["error"]["message"]
    response = bad(client, feature_collection(square(116.39, 39.9)))  # Beijing
    assert response.status_code == 422
    assert "不在安康市范围内：按 EPSG:4326" in response.json["error"]["message"]
    assert "116.3905°E 39.9005°N" in response.json["error"]["message"]
    response = bad(client, feature_collection(square(116.39, 39.9)), lang="en")
    assert "outside Ankang: read as EPSG:4326" in response.json["error"]["message"]


def test_self_intersection_is_repaired_and_reported(fresh_app):
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[109.0, 32.7], [109.001, 32.701], [109.001, 32.7], [109.0, 32.701], [109.0, 32.7]]
        ],
    }
    response = post(fresh_app.test_client(), feature_collection(bowtie))
    assert response.status_code == 201
    (warning,) = response.json["parcels"][0]["warnings"]
    assert warning["code"] == "geometry.repaired"
    assert warning["message"].startswith("几何有自相交等问题，已用 make_valid 自动修复")
    assert "Self-intersection" in warning["message"]
    assert response.json["parcels"][0]["area_m2"] > 0


def test_missing_crs_is_never_guessed(fresh_app):
    client = fresh_app.test_client()
    projected = json.loads(collection(PARCEL_SHAPES, 36))
    del projected["crs"]
    response = bad(client, json.dumps(projected).encode())
    assert response.status_code == 422
    csv_text = 'id,wkt\nA,"POLYGON((108.6 32.7, 108.601 32.7, 108.601 32.701, 108.6 32.7))"\n'
    response = bad(client, csv_text.encode(), "parcels.csv")
    assert response.status_code == 422
    assert "文件未注明坐标系（请指定 crs=" in response.json["error"]["message"]
    ok = post(client, csv_text.encode(), "parcels.csv", crs="EPSG:4490")
    assert ok.status_code == 201 and ok.json["input"]["crs"].startswith("EPSG:4490")
    response = bad(client, csv_text.encode(), "parcels.csv", crs="EPSG:99999")
    assert response.status_code == 400 and "EPSG:4545" in response.json["error"]["message"]


def test_upload_size_cap(tmp_path):
    app = create_app({"TESTING": True, **dbs(tmp_path), "MAX_CONTENT_LENGTH": 10_000})
    response = post(app.test_client(), b" " * 20_000 + feature_collection(square(109, 32.7)))
    assert response.status_code == 413 and response.json["error"]["code"]


def zipped(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_bomb_and_traversal_are_refused(fresh_app):
    client = fresh_app.test_client()
    bomb = zipped({"a.shp": b"\x00" * (300 * 1024 * 1024)})  # 300 MB of zeros, ~300 KB zipped
    response = bad(client, bomb, "bomb.zip")
    assert response.status_code == 413
    traversal = zipped({"../../evil.shp": b"x", "../../evil.shx": b"x", "../../evil.dbf": b"x"})
    response = bad(client, traversal, "evil.zip")
    assert response.status_code == 422
    assert "压缩包内有不安全的路径" in response.json["error"]["message"]
    empty = zipped({"readme.txt": b"nothing here"})
    response = bad(client, empty, "empty.zip")
    assert response.status_code == 422
    assert response.json["error"]["details"]["problems"][0]["code"] == "zip.no_data_file"
    assert response.json["error"]["message"].startswith(
        "empty.zip：压缩包中没有可读取的数据文件（.shp、.gpkg、.kml、.geojson、.csv、.txt），"
        "只有：readme.txt"
    )


def test_unknown_check_and_format(fresh_app):
    client = fresh_app.test_client()
    assert client.get("/api/checks/nope").status_code == 404
    check = post(client, feature_collection(square(109, 32.7))).json
    assert client.get(f"/api/checks/{check['id']}?f=pdfx").status_code == 406


def test_openapi_describes_the_checks(client):
    paths = client.get("/api").json["paths"]
    post_ = paths["/api/checks"]["post"]
    assert set(post_["responses"]) >= {"201", "202", "400", "413", "415", "422", "503"}
    assert (
        "界址点"
        in post_["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]["file"][
            "description"
        ]
    )
    assert "/api/checks/{checkId}" in paths


def truncations(data: bytes) -> list[bytes]:
    return [data[:n] for n in sorted({1, 10, len(data) // 3, len(data) // 2, len(data) - 20})]


def test_truncated_files_of_every_format_never_give_a_500(fresh_app, tmp_path):
    """Cut real files short anywhere: a 4xx with the one error shape, never a 500 (a cut that
    happens to fall between two whole parcels of a text file leaves a valid, shorter file)."""
    import geopandas as gpd
    from land_fixtures import jzd_text, shifted

    frame = gpd.GeoDataFrame(
        {"编号": list(PARCEL_SHAPES)},
        geometry=[shifted(s, 36) for s in PARCEL_SHAPES.values()],
        crs="EPSG:4545",
    )
    frame.to_file(tmp_path / "p.gpkg", engine="pyogrio")
    folder = tmp_path / "shp"
    folder.mkdir()
    frame.to_file(folder / "p.shp", engine="pyogrio")
    files = {
        "p.geojson": collection(PARCEL_SHAPES, 36),
        "p.txt": jzd_text(PARCEL_SHAPES, 36).encode("gbk"),
        "p.gpkg": (tmp_path / "p.gpkg").read_bytes(),
        "p.zip": zipped({p.name: p.read_bytes() for p in folder.iterdir()}),
        "p.kml": b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Placemark>'
        b"<Polygon><outerBoundaryIs><LinearRing><coordinates>108.6,32.7 108.61,32.7 "
        b"108.61,32.71 108.6,32.7</coordinates></LinearRing></outerBoundaryIs>"
        b"</Polygon></Placemark></kml>",
    }
    client = fresh_app.test_client()
    for name, data in files.items():
        assert post(client, data, name).status_code == 201, name
        for cut in truncations(data):
            response = post(client, cut, name)
            if response.status_code == 201:
                assert name in ("p.txt", "p.geojson") and len(response.json["parcels"]) < 7
                continue
            assert 400 <= response.status_code < 500, (name, len(cut), response.json)
            assert set(response.json) == {"error"}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (
            b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":[1],'
            b'"geometry":{"type":"Polygon","coordinates":[[[109,32.7],[109.001,32.7],[109.001,32.701],'
            b"[109,32.7]]]}}]}",
            "properties 须为对象",
        ),
        (
            b'{"type":"FeatureCollection","crs":{"type":"name","properties":"x"},"features":[]}',
            "crs 成员缺少坐标系名称",
        ),
        (b"wkt,id\nPOINT(109 32.7),a\n", "Point 不是地块"),
        (
            b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":'
            b'{"type":"Polygon","coordinates":5}}]}',
            "坐标格式错误",
        ),
    ],
)
def test_odd_structures_are_422_not_500(fresh_app, body, fragment):
    response = bad(
        fresh_app.test_client(),
        body,
        "odd.csv" if body.startswith(b"wkt") else "odd.geojson",
        crs="EPSG:4490",
    )
    assert response.status_code == 422 and fragment in response.json["error"]["message"]


def test_gcj02_on_projected_coordinates_is_refused(fresh_app):
    response = bad(fresh_app.test_client(), collection(PARCEL_SHAPES, 36), crs="gcj02")
    assert (
        response.status_code == 422
        and "crs=gcj02 只适用于高德/腾讯地图的经纬度" in response.json["error"]["message"]
    )
