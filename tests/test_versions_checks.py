"""A check records the zones layer version it used and reads back what it used after the layer
changed (issue 13 §2): the register keeps each check's zones, the document says the version."""

from __future__ import annotations

import copy
import io
import json

import openpyxl
import shapely
from conftest import dbs
from shapely.geometry import shape

from geo_service import create_app
from geo_service.versions import commit_version


def parcels(*centres) -> bytes:
    features = [
        {
            "type": "Feature",
            "id": f"p{i}",
            "properties": {},
            "geometry": shapely.geometry.mapping(shapely.box(x, y, x + 0.001, y + 0.001)),
        }
        for i, (x, y) in enumerate(centres, start=1)
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def check(client, data: bytes, zones: bytes | None = None) -> dict:
    form = {"file": (io.BytesIO(data), "地块.geojson")}
    if zones is not None:
        form["zones"] = (io.BytesIO(zones), "区界.geojson")
    answer = client.post("/api/checks", data=form, content_type="multipart/form-data")
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_a_check_on_version_1_reads_back_its_zones_after_version_2(tmp_path):
    app = create_app({"TESTING": True, **dbs(tmp_path)})
    client = app.test_client()
    catalog = app.extensions["geo_service.catalog"]
    hitech = catalog.get("zones").feature("ankang-hitech")
    centre = shape(hitech["geometry"]).centroid
    first = check(client, parcels((centre.x, centre.y)))
    assert first["zones"]["layer"] == "zones" and first["zones"]["layer_version"] == 1

    # version 2: the zone moves 0.5° east (the parcel is now outside it)
    moved = copy.deepcopy(catalog.get("zones").features)
    target = next(f for f in moved if f["id"] == "ankang-hitech")
    target["geometry"] = shapely.geometry.mapping(
        shapely.affinity.translate(shape(target["geometry"]), xoff=0.5)
    )
    target["geometry"] = json.loads(json.dumps(target["geometry"]))  # tuples to lists
    ext = app.extensions
    commit_version(
        ext["geo_service.store"],
        catalog,
        "zones",
        moved,
        user="planner",
        message="高新区东移",
        source_name="test",
        source_sha256="b" * 64,
        based_on=1,
    )

    again = client.get(f"/api/checks/{first['id']}").get_json()
    assert again["zones"]["layer_version"] == 1 and again["parcels"] == first["parcels"]
    used = client.get(f"/api/checks/{first['id']}?f=geojson&part=zones")
    assert used.status_code == 200
    stored = {f["properties"].get("zone_id", f.get("id")): f for f in used.get_json()["features"]}
    kept = shape(stored["ankang-hitech"]["geometry"])
    assert kept.equals_exact(shape(hitech["geometry"]), 1e-7), "the zones of version 1"
    assert not kept.intersects(shape(target["geometry"]))

    second = check(client, parcels((centre.x, centre.y)))
    assert second["zones"]["layer_version"] == 2
    assert "ankang-hitech" in {z["zone_id"] for z in first["parcels"][0]["zones"]}
    assert "ankang-hitech" not in {z["zone_id"] for z in second["parcels"][0]["zones"]}

    report = client.get(f"/api/checks/{first['id']}?f=html").get_data(as_text=True)
    assert "园区数据版本 第 1 版" in report
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/api/checks/{first['id']}?f=xlsx").data))
    about = {row[0]: row[1] for row in book["说明"].iter_rows(values_only=True) if row and row[0]}
    assert about["园区数据版本"] == "图层 zones 第 1 版"
    text = client.get(f"/api/checks/{second['id']}?f=csv").data.decode("utf-8")
    assert text  # the CSV keeps working with the new field


def test_a_check_with_an_uploaded_zones_file_names_no_layer_version(tmp_path):
    app = create_app({"TESTING": True, **dbs(tmp_path)})
    zone = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "甲园区", "zone_id": "Z1"},
                "geometry": shapely.geometry.mapping(shapely.box(109.0, 32.7, 109.01, 32.71)),
            }
        ],
    }
    done = check(app.test_client(), parcels((109.001, 32.701)), json.dumps(zone).encode())
    assert "layer_version" not in done["zones"] and "layer" not in done["zones"]
    book = openpyxl.load_workbook(
        io.BytesIO(app.test_client().get(f"/api/checks/{done['id']}?f=xlsx").data)
    )
    about = {row[0]: row[1] for row in book["说明"].iter_rows(values_only=True) if row and row[0]}
    assert about["园区数据版本"] == "—"
