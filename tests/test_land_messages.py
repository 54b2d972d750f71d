"""A land check in the reader's language: warnings, notes and errors in Chinese by default and in
English with Accept-Language: en, the same codes in both; checks and job errors stored before
messages had keys still read."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import geopandas as gpd
import openpyxl
import pytest
from conftest import dbs, store_sql
from land_fixtures import PARCEL_SHAPES, jzd_text

from geo_service import create_app
from geo_service.land.jobs import now
from geo_service.land.model import note_text, notes_text

CJK = re.compile(r"[\u3400-\u9fff]")
EN = {"Accept-Language": "en-US,en;q=0.9"}
SHAPES = {k: PARCEL_SHAPES[k] for k in ("in", "out")}


@pytest.fixture()
def app(tmp_path):
    return create_app({"TESTING": True, **dbs(tmp_path)})


def post(client, data: bytes, name: str, headers=None):
    form = {"file": (io.BytesIO(data), name)}
    return client.post(
        "/api/checks", data=form, content_type="multipart/form-data", headers=headers or {}
    )


def xian80_check(client) -> dict:
    """A GBK 界址点 file on Xi'an 1980 against the default (schematic) zones: a document
    warning, a warning on every parcel, reader notes and a CRS note."""
    text = jzd_text(SHAPES, 36, datum="西安80坐标系")
    response = post(client, text.encode("gbk"), "西安80.txt")
    assert response.status_code == 201, response.json
    return response.json


def test_an_english_client_reads_the_warnings_in_english(app):
    client = app.test_client()
    check = xian80_check(client)
    url = f"/api/checks/{check['id']}"
    chinese, english = client.get(url).json, client.get(url, headers=EN).json

    (zh,), (en,) = chinese["warnings"], english["warnings"]
    assert zh["code"] == en["code"] == "zones.schematic"
    assert zh["message"].startswith("区界为示意范围：72号文未公布园区边界")
    assert en["message"].startswith("The zone boundaries are schematic")
    assert not CJK.search(en["message"])

    for zh_parcel, en_parcel in zip(chinese["parcels"], english["parcels"]):
        assert [w["code"] for w in zh_parcel["warnings"]] == ["datum.approximate"]
        assert [w["code"] for w in en_parcel["warnings"]] == ["datum.approximate"]
        assert zh_parcel["warnings"][0]["message"].startswith("西安80/北京54 到 CGCS2000 只能近似")
        assert en_parcel["warnings"][0]["message"].startswith("Xi'an 1980 / Beijing 1954")
        assert en_parcel["parcel_id"] == zh_parcel["parcel_id"], "user data is never touched"

    assert [n["code"] for n in english["input"]["notes"]] == ["text.encoding"]
    assert english["input"]["notes"][0]["message"] == "file encoding: GB18030 (GBK)"
    assert chinese["input"]["notes"][0]["message"] == "文件编码：GB18030 (GBK)"
    assert chinese["input"]["crs_note"] == (
        "坐标系=西安80坐标系，带号=36，东坐标带带号前缀 → EPSG:2360"
    )
    assert english["input"]["crs_note"] == (
        "坐标系=西安80坐标系, 带号=36, eastings with the zone prefix → EPSG:2360"
    )
    assert chinese["method"].startswith("平面面积：CGCS2000 3度带高斯-克吕格投影")
    assert english["method"].startswith("Plane areas: CGCS2000 3-degree Gauss-Krüger")
    assert "Accept-Language" in client.get(url, headers=EN).headers["Vary"]

    # the paged parcels follow the language too
    page = client.get(f"{url}/parcels", headers=EN).json["parcels"]
    assert page[0]["warnings"][0]["message"].startswith("Xi'an 1980")


def test_the_files_of_a_check_show_the_warnings_in_chinese(app, tmp_path):
    client = app.test_client()
    check = xian80_check(client)
    url = f"/api/checks/{check['id']}"
    rows = list(csv.reader(io.StringIO(client.get(f"{url}?f=csv").data.decode("utf-8-sig"))))
    column = rows[0].index("提示")
    assert rows[1][column].startswith("西安80/北京54 到 CGCS2000 只能近似转换")

    book = openpyxl.load_workbook(io.BytesIO(client.get(f"{url}?f=xlsx").data))
    about = {row[0].value: row[1].value for row in book["说明"].iter_rows()}
    assert about["提示"].startswith("区界为示意范围")
    assert about["读取说明"] == "文件编码：GB18030 (GBK)"
    assert about["计算方法"].startswith("平面面积")

    report = client.get(f"{url}?f=html").data.decode()
    assert "⚠ 区界为示意范围" in report and "西安80/北京54 到 CGCS2000" in report
    assert "'code'" not in report and "i18n" not in report

    for f, name in (("shp", "check.zip"), ("gpkg", "check.gpkg"), ("kml", "check.kml")):
        path = tmp_path / name
        path.write_bytes(client.get(f"{url}?f={f}").data)
        if f == "shp":
            zipfile.ZipFile(path).extractall(tmp_path / "shp")
            (path,) = (tmp_path / "shp").rglob("*.shp")
        frame = gpd.read_file(path, layer="check_parcels") if f == "gpkg" else gpd.read_file(path)
        assert frame["提示"][0].startswith("西安80/北京54 到 CGCS2000 只能近似转换"), f


def test_a_check_stored_with_string_warnings_still_reads(app):
    """Checks stored before warnings were records hold plain strings: every consumer still
    shows them, in either language, as they were written."""
    client = app.test_client()
    check = xian80_check(client)
    old = "旧检查的提示 (an old warning)"
    engine = app.extensions["geo_service.store"].engine
    ((stored,),) = store_sql(engine, "SELECT document FROM checks WHERE id = :id", id=check["id"])
    document = json.loads(stored)
    document["warnings"] = [old]
    document["input"]["notes"] = ["文件编码：GB18030 (GBK) (encoding: GB18030 (GBK))"]
    for parcel in document["parcels"]:
        parcel["warnings"] = [old]
    store_sql(
        engine,
        "UPDATE checks SET document = :document WHERE id = :id",
        document=json.dumps(document, ensure_ascii=False),
        id=check["id"],
    )
    for seq, parcel in enumerate(document["parcels"]):
        store_sql(
            engine,
            "UPDATE check_parcels SET record = :record, warnings = :old "
            "WHERE check_id = :id AND seq = :seq",
            record=json.dumps(parcel, ensure_ascii=False),
            old=old,
            id=check["id"],
            seq=seq,
        )
    url = f"/api/checks/{check['id']}"
    for headers in ({}, EN):
        again = client.get(url, headers=headers).json
        assert again["warnings"] == [old] and again["parcels"][0]["warnings"] == [old]
    rows = list(csv.reader(io.StringIO(client.get(f"{url}?f=csv").data.decode("utf-8-sig"))))
    assert rows[1][rows[0].index("提示")] == old
    report = client.get(f"{url}?f=html").data.decode()
    assert f"⚠ {old}" in report
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"{url}?f=xlsx").data))
    about = {row[0].value: row[1].value for row in book["说明"].iter_rows()}
    assert about["提示"] == old
    assert client.get(f"{url}?f=gpkg").status_code == 200
    assert client.get("/api/checks?f=gpkg").status_code == 200
    assert note_text(old) == old and notes_text([old, {"message": "新"}]) == f"{old}；新"


def test_a_bad_jzd_file_explains_itself_in_english(app):
    """A 422 for a 界址点 file: where, message and hint of every problem in the client's
    language, with the same codes."""
    text = jzd_text(SHAPES, 36).replace("带号=36\n", "带号=37\n")
    client = app.test_client()
    chinese = post(client, text.encode("gbk"), "地块.txt")
    english = post(client, text.encode("gbk"), "地块.txt", headers=EN)
    assert chinese.status_code == english.status_code == 422
    zh, en = chinese.json["error"], english.json["error"]
    assert zh["code"] == en["code"] == "invalid_input"
    (zh_problem,), (en_problem,) = zh["details"]["problems"], en["details"]["problems"]
    assert zh_problem["code"] == en_problem["code"] == "jzd.zone_mismatch"
    assert (zh_problem["where"], zh_problem["message"], zh_problem["hint"]) == (
        "[属性描述] 节",
        "带号=37，但东坐标的带号前缀为 36",
        "请更正带号或坐标",
    )
    assert (en_problem["where"], en_problem["message"], en_problem["hint"]) == (
        "the [属性描述] section",
        "带号=37, but the eastings carry the zone prefix 36",
        "correct 带号 or the coordinates",
    )
    assert (
        zh["message"]
        == "地块.txt：[属性描述] 节：带号=37，但东坐标的带号前缀为 36（请更正带号或坐标）"
    )
    assert en["message"] == (
        "地块.txt: the [属性描述] section: 带号=37, but the eastings carry the zone prefix 36 "
        "(correct 带号 or the coordinates)"
    )


def failed_job(app) -> str:
    ((job_id,), *_) = store_sql(
        app.extensions["geo_service.store"].engine,
        "SELECT id FROM jobs WHERE status = 'failed' ORDER BY created_at DESC LIMIT 1",
    )
    return job_id


def test_a_failed_check_read_back_later_is_in_the_readers_language(app):
    client = app.test_client()
    response = post(client, b'{"type": "FeatureCollection", "features": 5}', "坏.geojson")
    assert response.status_code == 422
    job = failed_job(app)
    later = client.get(f"/api/checks/{job}")
    english = client.get(f"/api/checks/{job}", headers=EN)
    assert later.status_code == english.status_code == 422
    assert later.json == response.json
    assert later.json["error"]["message"] == (
        "坏.geojson：features 成员：features 须为数组（请重新导出为 GeoJSON）"
    )
    assert english.json["error"]["code"] == "invalid_input"
    assert english.json["error"]["message"] == (
        "坏.geojson: the features member: features must be an array "
        "(export the file again as GeoJSON)"
    )
    assert english.json["error"]["details"]["problems"][0]["where"] == "the features member"


def test_job_errors_stored_before_messages_had_keys_still_read(app):
    client = app.test_client()
    old = {"status": 422, "code": "invalid_input", "message": "x.txt: 旧的错误 (an old error)"}
    store_sql(
        app.extensions["geo_service.store"].engine,
        "INSERT INTO jobs (id, status, stage, error, created_at, updated_at) "
        "VALUES ('oldjob', 'failed', 'reading', :error, :at, :at)",
        error=json.dumps(old, ensure_ascii=False),
        at=now(),
    )
    for headers in ({}, EN):
        answer = client.get("/api/checks/oldjob", headers=headers)
        assert answer.status_code == 422
        assert answer.json["error"] == {"code": "invalid_input", "message": old["message"]}


def test_an_interrupted_check_says_so_in_the_readers_language(app):
    client = app.test_client()
    store_sql(
        app.extensions["geo_service.store"].engine,
        "INSERT INTO jobs (id, status, stage, created_at, updated_at) "
        "VALUES ('cut', 'interrupted', 'checking', :at, :at)",
        at=now(),
    )
    chinese = client.get("/api/checks/cut").json
    english = client.get("/api/checks/cut", headers=EN).json
    assert chinese["status"] == english["status"] == "interrupted"
    assert chinese["message"].startswith("服务在这次检查完成前重启了")
    assert english["message"].startswith("The service restarted before this check finished")


def test_unknown_check_in_both_languages(app):
    client = app.test_client()
    chinese = client.get("/api/checks/nope").json["error"]
    english = client.get("/api/checks/nope", headers=EN).json["error"]
    assert chinese["code"] == english["code"] == "not_found"
    assert chinese["message"] == "没有编号为“nope”的检查记录；GET /api/checks 列出全部检查。"
    assert english["message"] == 'No check "nope"; GET /api/checks lists them all.'


@pytest.mark.parametrize(
    ("epsg", "words"),
    [
        (4545, "EPSG:4545（CGCS2000 3度带高斯-克吕格投影，中央经线 108°E，坐标不含带号；"),
        (4525, "EPSG:4525（CGCS2000 3度带高斯-克吕格投影，第 37 带，坐标含带号；"),
        (2360, "EPSG:2360（西安80 3度带高斯-克吕格投影，第 36 带，坐标含带号；"),
        (4490, "EPSG:4490（CGCS2000 地理坐标（经纬度）；China Geodetic"),
    ],
)
def test_coordinate_systems_are_named_in_chinese_first(epsg, words):
    import pyproj

    from geo_service.land.crs import describe

    described = describe(pyproj.CRS.from_epsg(epsg))
    assert described.startswith(words)
    assert described.endswith(f"{pyproj.CRS.from_epsg(epsg).name}）"), "PROJ's name kept"
