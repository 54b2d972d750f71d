"""A check's GeoPackage and Shapefile in Chinese field names, read back with GDAL (pyogrio):
the GeoPackage by full names, the Shapefile in GBK (.cpg 936, dBASE language driver 0x4D) with
names of at most 10 bytes, and a 字段说明.txt that maps every dBASE name to its full name and
meaning; values equal the result document's, the file's own fields kept by their names."""

from __future__ import annotations

import io
import json
import zipfile

import pyogrio
import pytest
import shapely
from conftest import dbs
from land_fixtures import ZONE_SHAPES, collection, shifted
from shapely.geometry import box
from test_checks_api import post

from geo_service import create_app
from geo_service.land.gis_fields import RESULT_FIELDS

LONG = "备注很长" * 80  # 320 characters, 640 bytes in GBK: beyond dBASE's 254
#: The file's fields: a name a result already has, a code-like one, a long one, two that cut to
#: the same five characters, characters GBK lacks (emoji, ²), a number.
FIELDS = [
    {
        "地块编号": "DK-01",
        "status": "报批中",
        "项目用地批准文号": "陕政土批〔2026〕12号",
        "建设项目名称甲": "新材料😀一期",
        "建设项目名称乙": "面积 3 km²",
        "备注": LONG,
        "批次": 3,
    },
    {
        "地块编号": "DK-02",
        "status": "已批",
        "项目用地批准文号": "",
        "建设项目名称甲": "仓储",
        "建设项目名称乙": "月河",
        "备注": "短",
        "批次": 4,
    },
]
SHAPES = [box(100, 100, 200, 200), box(300, 300, 500, 500)]
#: The dBASE names expected for the file's fields, in order.
FILE_SHORT = ["原地块编号", "原status", "项目用地批", "建设项目名", "建设项目1", "备注", "批次"]


def upload() -> bytes:
    features = [
        {
            "type": "Feature",
            "properties": properties,
            "geometry": json.loads(shapely.to_geojson(shifted(shape, 36))),
        }
        for properties, shape in zip(FIELDS, SHAPES)
    ]
    document = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4545"}},
        "features": features,
    }
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gis")
    client = create_app({"TESTING": True, **dbs(folder)}).test_client()
    response = post(client, upload(), name="地块.geojson", zones=collection(ZONE_SHAPES, 36))
    assert response.status_code == 201, response.json
    return client, response.json, folder


def expected_results(parcel: dict) -> dict:
    """The result fields as the downloads should hold them, by full name."""
    zh = {"inside": "区内", "partial": "部分在区内", "outside": "区外"}
    return {
        "地块编号": parcel["parcel_id"],
        "status": parcel["status"],
        "检查结果": zh[parcel["status"]],
        "面积_m2": parcel["area_m2"],
        "面积_公顷": parcel["area_ha"],
        "面积_亩": parcel["area_mu"],
        "区内面积_m2": parcel["inside_m2"],
        "区内面积_亩": parcel["inside_mu"],
        "区外面积_m2": parcel["outside_m2"],
        "区外面积_亩": parcel["outside_mu"],
        "区内比例": parcel["share_inside"],
        "距最近园区_m": parcel["distance_m"],
        "园区编号": "、".join(z["zone_id"] for z in parcel["zones"]),
        "涉及园区": "、".join(z["name"] for z in parcel["zones"]),
        "椭球面积_m2": parcel["ellipsoidal_area_m2"],
        "面积计算坐标系": parcel["crs_used"],
    }


def test_geopackage_has_chinese_field_names_and_the_results(checked):
    client, result, folder = checked
    path = folder / "result.gpkg"
    path.write_bytes(client.get(f"/api/checks/{result['id']}?f=gpkg").data)
    frame = pyogrio.read_dataframe(path, layer="check_parcels")
    full = [f.name for f in RESULT_FIELDS.values()]
    own = [
        "原地块编号",
        "原status",
        "项目用地批准文号",
        "建设项目名称甲",
        "建设项目名称乙",
        "备注",
        "批次",
    ]
    assert list(frame.columns) == [*full, *own, "geometry"]
    for row, parcel, fields in zip(frame.to_dict("records"), result["parcels"], FIELDS):
        for name, value in expected_results(parcel).items():
            assert row[name] == pytest.approx(value), name
        # the file's own values, unchanged: emoji, ², long text, numbers as numbers
        assert [row[n] for n in own] == list(fields.values())
    assert frame["批次"].dtype.kind == "i"
    notes = pyogrio.read_dataframe(path, layer="字段说明")
    assert list(notes["字段"]) == [*full, *own]
    assert notes["说明"].str.len().min() > 0 and notes["description"].str.len().min() > 0


def test_shapefile_is_gbk_with_short_chinese_names_and_a_field_list(checked, tmp_path):
    client, result, _ = checked
    data = client.get(f"/api/checks/{result['id']}?f=shp").data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(tmp_path)
        names = archive.namelist()
        cpg = next(n for n in names if n.endswith(".cpg"))
        assert archive.read(cpg) == b"936"
        dbf = archive.read(next(n for n in names if n.endswith(".dbf")))
        notes = archive.read(next(n for n in names if n.endswith("字段说明.txt")))
    assert dbf[29] == 0x4D  # language driver: code page 936 (GBK)
    text = notes.decode("utf-8-sig")
    table = [line.split("\t") for line in text.splitlines()[1:] if "\t" in line]
    assert all(len(row) == 4 for row in table)
    short = [f.short for f in RESULT_FIELDS.values()] + FILE_SHORT
    assert [row[0] for row in table] == short
    assert all(len(name.encode("gbk")) <= 10 for name in short)
    # every result field has its full name and a meaning in Chinese and in English
    for row, field in zip(table, RESULT_FIELDS.values()):
        assert row[1:] == [field.name, field.zh, field.en] and all(row)
    assert table[len(RESULT_FIELDS) + 2][1:] == [
        "项目用地批准文号",
        "原文件字段",
        "field of the uploaded file",
    ]
    # what the format changed is said, field by field
    assert "建设项目名称甲：1 个值含 GBK 无法表示的字符" in text
    assert "建设项目名称乙：1 个值含 GBK 无法表示的字符" in text  # ² written as 2
    assert "备注：1 个值超过 dBASE 的 254 字节，已截断" in text
    assert "属性表编码：GBK（.cpg 为 936）" in text

    frame = pyogrio.read_dataframe(next(tmp_path.rglob("*.shp")))
    assert [c for c in frame.columns if c != "geometry"] == short
    frame = frame.rename(columns={row[0]: row[1] for row in table})
    for row, parcel in zip(frame.to_dict("records"), result["parcels"]):
        for name, value in expected_results(parcel).items():
            assert row[name] == pytest.approx(value), name
    first = frame.iloc[0]
    assert first["项目用地批准文号"] == "陕政土批〔2026〕12号"
    assert first["建设项目名称甲"] == "新材料?一期" and first["建设项目名称乙"] == "面积 3 km2"
    assert len(first["备注"].encode("gbk")) <= 254 and LONG.startswith(first["备注"])
    assert list(frame["原status"]) == ["报批中", "已批"] and list(frame["批次"]) == [3, 4]


def test_shapefile_read_back_by_the_check_gets_the_full_names(checked):
    client, result, _ = checked
    data = client.get(f"/api/checks/{result['id']}?f=shp").data
    again = post(client, data, name="导出.zip", zones=collection(ZONE_SHAPES, 36))
    assert again.status_code == 201, again.json
    for before, after in zip(result["parcels"], again.json["parcels"]):
        attributes = after["attributes"]
        assert after["parcel_id"] == before["parcel_id"] and after["status"] == before["status"]
        assert attributes["检查结果"] and attributes["status"] == before["status"]
        assert attributes["区内面积_m2"] == pytest.approx(before["inside_m2"])
        assert attributes["项目用地批准文号"] == (before["attributes"]["项目用地批准文号"] or None)
        assert after["declared_area_ha"] == pytest.approx(before["area_ha"])  # 面积_公顷
