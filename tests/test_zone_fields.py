"""Zone files: which of their fields give each zone its id and name (recognised names, or
zones_id_field / zones_name_field), and the zone attributes carried into the result."""

from __future__ import annotations

import io
import json
import zipfile

import geopandas as gpd
import pytest
from conftest import dbs
from land_fixtures import ZONE_SHAPES, collection, shifted
from test_attributes import as_geojson
from test_checks_api import post

from geo_service import create_app


@pytest.fixture()
def client(tmp_path):
    return create_app({"TESTING": True, **dbs(tmp_path)}).test_client()


ZONE_ID_NAMES = ["zone_id", "id", "code", "代码", "编号", "YQDM", "KFQDM"]
ZONE_NAME_NAMES = ["name", "名称", "区名", "园区名称", "YQMC", "KFQMC"]


def zones_file(properties_of) -> bytes:
    """ZONE_SHAPES as GeoJSON without feature ids, each zone's properties from a function."""
    document = json.loads(collection(ZONE_SHAPES, 36))
    for feature in document["features"]:
        key = feature.pop("id")
        feature["properties"] = properties_of(key)
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def zones_of(result: dict) -> dict:
    """zone_id -> name over every parcel's overlaps."""
    return {z["zone_id"]: z["name"] for p in result["parcels"] for z in p["zones"]}


def zone_check(client, zones: bytes, **form):
    data = json.loads(as_geojson())
    return post(client, json.dumps(data).encode(), name="p.geojson", zones=zones, **form)


@pytest.mark.parametrize("id_key", ZONE_ID_NAMES)
def test_zone_id_fields_are_recognised(client, id_key):
    zones = zones_file(lambda key: {"备注": "x", id_key: f"610902-{key}", "区名": f"园区{key}"})
    result = zone_check(client, zones).json
    assert zones_of(result) == {"610902-A": "园区A"}
    assert result["zones"]["id_field"] == id_key and result["zones"]["name_field"] == "区名"


@pytest.mark.parametrize("name_key", ZONE_NAME_NAMES)
def test_zone_name_fields_are_recognised(client, name_key):
    zones = zones_file(lambda key: {"zone_id": f"Z{key}", name_key: f"安康高新区{key}"})
    result = zone_check(client, zones).json
    assert zones_of(result) == {"ZA": "安康高新区A"}
    assert result["zones"]["name_field"] == name_key and result["zones"]["id_field"] == "zone_id"


def test_zone_fields_from_a_gbk_shapefile(client, tmp_path):
    frame = gpd.GeoDataFrame(
        {"KFQDM": ["S01", "S02"], "区名": ["月河工业集中区", "恒口示范区"]},
        geometry=[shifted(s, 36) for s in ZONE_SHAPES.values()],
        crs="EPSG:4545",
    )
    frame.to_file(tmp_path / "区界.shp", engine="pyogrio", encoding="cp936")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in tmp_path.glob("区界.*"):
            if path.suffix != ".cpg":
                archive.write(path, path.name)
    data = {
        "file": (io.BytesIO(as_geojson()), "p.geojson"),
        "zones": (io.BytesIO(buffer.getvalue()), "区界.zip"),
    }
    result = client.post("/api/checks", data=data, content_type="multipart/form-data").json
    assert zones_of(result) == {"S01": "月河工业集中区"}
    assert (result["zones"]["id_field"], result["zones"]["name_field"]) == ("KFQDM", "区名")


def test_zone_fields_chosen_and_a_missing_one(client):
    zones = zones_file(lambda key: {"zone_id": f"Z{key}", "名称": f"园区{key}", "ZBH": key * 2})
    result = zone_check(client, zones, zones_id_field="zbh", zones_name_field="名称").json
    assert zones_of(result) == {"AA": "园区A"}
    assert result["zones"]["id_field"] == "ZBH"
    assert result["parameters"]["zones_id_field"] == "zbh"
    missing = zone_check(client, zones, zones_name_field="园区名")
    assert missing.status_code == 422
    error = missing.json["error"]
    assert error["code"] == "invalid_input"
    assert "没有字段“园区名”" in error["message"] and "zone_id、名称、ZBH" in error["message"]
    assert error["details"]["problems"][0]["where"] == "参数 zones_name_field"
    english = zone_check(client, zones, zones_name_field="园区名", lang="en").json["error"]
    assert english["details"]["problems"][0]["where"] == "the parameter zones_name_field"
    assert english["details"]["problems"][0]["message"] == (
        'the zones file has no field "园区名"; its fields: zone_id、名称、ZBH'
    )


def test_zone_without_recognised_fields_and_the_layer(client):
    zones = zones_file(lambda key: {"备注": f"r{key}"})
    result = zone_check(client, zones).json
    assert result["zones"]["id_field"] is None and result["zones"]["name_field"] is None
    default = post(client, as_geojson(), name="p.geojson").json
    assert (default["zones"]["id_field"], default["zones"]["name_field"]) == ("id", "name")


def test_cli_zone_field_flags(tmp_path):
    from test_check_cli import run

    parcels = tmp_path / "地块.geojson"
    parcels.write_bytes(as_geojson())
    zones = tmp_path / "区界.geojson"
    zones.write_bytes(zones_file(lambda key: {"ZBH": key * 2, "区": f"园区{key}"}))
    result = run(
        tmp_path,
        str(parcels),
        "--zones",
        str(zones),
        "--zones-id-field",
        "ZBH",
        "--zones-name-field",
        "区",
    )
    assert result.returncode == 0, result.stderr.decode()
    document = json.loads(result.stdout)
    assert zones_of(document) == {"AA": "园区A"}
    assert (document["zones"]["id_field"], document["zones"]["name_field"]) == ("ZBH", "区")
    bad = run(tmp_path, str(parcels), "--zones", str(zones), "--zones-id-field", "代码")
    assert bad.returncode != 0 and "没有字段“代码”" in bad.stderr.decode()


def test_zone_attributes_asked_for_are_carried(client):
    zones = zones_file(
        lambda key: {
            "zone_id": f"Z{key}",
            "区名": f"园区{key}",
            "批准文号": f"陕政函{key}",
            "面积": 1.5,
        }
    )
    result = zone_check(client, zones, zones_fields="批准文号，面积").json
    assert result["zones"]["fields"] == ["批准文号", "面积"]
    overlap = result["parcels"][0]["zones"][0]
    assert overlap["attributes"] == {"批准文号": "陕政函A", "面积": 1.5}
    missing = zone_check(client, zones, zones_fields="批准文号,级别")
    assert missing.status_code == 422 and "没有字段“级别”" in missing.json["error"]["message"]
