"""A new layer, whatever its fields, is drawn: the map page, its popups and legend, the offline
file, the items page and the snapshots work for a catalog entry without ``label_property``
and features without ``name`` (it used to be a 500, falling back to ``origin_name``)."""

from __future__ import annotations

import io
import json
import shutil

import pytest
from conftest import LAYERS_DIR, dbs
from layer_import_files import geojson
from shapely.geometry import box, mapping

from geo_service import create_app

HTML = {"Accept": "text/html"}

EXTRA = """
[[layers]]
id = "industrial_land"
file = "industrial_land.geojson"
title = "工业用地（新增图层）"
title_en = "Industrial land (added layer)"
group = "园区"
geometry_type = "MultiPolygon"
description = "测试用新增图层：没有 label_property，要素没有 name。"
source = "测试"
licence = "测试"
precision = "surveyed"
date = "2026-12"
[layers.style]
color = "#8c2d04"
fill_color = "#fd8d3c"
"""


@pytest.fixture()
def app(tmp_path):
    layers = tmp_path / "layers"
    layers.mkdir()
    shutil.copytree(LAYERS_DIR / "src", layers / "src")
    for path in LAYERS_DIR.glob("*.geojson"):
        shutil.copy(path, layers / path.name)
    catalog = (LAYERS_DIR / "catalog.toml").read_text(encoding="utf-8")
    head, rest = catalog.split("\n[fields]", 1)
    (layers / "catalog.toml").write_text(head + EXTRA + "\n[fields]" + rest, encoding="utf-8")
    feature = {
        "type": "Feature",
        "id": "G-1",
        "properties": {
            "DKBH": "G-1",
            "用途": "<img src=x onerror=alert(1)>工业",
            "面积": 12.5,
            "source": "测试",
            "precision": "surveyed",
        },
        "geometry": mapping(box(108.64, 32.70, 108.65, 32.71)),
    }
    (layers / "industrial_land.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False),
        encoding="utf-8",
    )
    return create_app({"TESTING": True, **dbs(tmp_path), "LAYERS_DIR": str(layers)})


def test_a_layer_without_label_property_or_names_is_drawn_everywhere(app):
    client = app.test_client()
    page = client.get("/", headers=HTML)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "工业用地（新增图层）" in html, "the legend names the new layer"
    assert "<img src=x" not in html, "a property value never becomes markup"
    assert client.get("/export/map.html").status_code == 200
    items = client.get("/collections/industrial_land/items?f=html")
    assert items.status_code == 200 and "G-1" in items.get_data(as_text=True)
    for fmt in ("svg", "png"):
        shot = client.get(f"/api/snapshot?f={fmt}&layers=industrial_land,counties")
        assert shot.status_code == 200, (fmt, shot.get_data(as_text=True)[:300])


def test_the_first_text_property_labels_it_and_an_import_gives_names(app):
    from geo_service.render.labels import label_of

    layer = app.extensions["geo_service.catalog"].get("industrial_land")
    assert label_of(layer.features[0]["properties"]) == "G-1"
    assert label_of({"name": "甲", "DKBH": "x"}) == "甲"
    assert label_of({"origin_name": "汉滨区"}) == "汉滨区"
    assert label_of({"面积": 3}) == ""
    client = app.test_client()
    answer = client.post(
        "/collections/industrial_land/imports",
        data={"file": (io.BytesIO(geojson()), "z.geojson"), "dry_run": "0"},
    )
    assert answer.status_code == 201, answer.json
    assert client.get("/", headers=HTML).status_code == 200
    shot = client.get("/api/snapshot?f=svg&layers=industrial_land")
    assert shot.status_code == 200


def test_imported_zones_lacking_the_catalogs_popup_fields_are_drawn(app):
    """The first feature (a new zone) has none of county_name, level ...: Folium would refuse
    the popup unless every field is there."""
    from layer_import_files import gk_features

    shapes = {"Z-9": box(0, 0, 500, 500), "ankang-hitech": box(1000, 0, 1500, 500)}
    props = {k: {"id": k, "name": f"园区{k}"} for k in shapes}
    client = app.test_client()
    answer = client.post(
        "/collections/zones/imports",
        data={"file": (io.BytesIO(gk_features(shapes, props)), "z.geojson"), "dry_run": "0"},
    )
    assert answer.status_code == 201, answer.json
    page = client.get("/", headers=HTML)
    assert page.status_code == 200
    assert "\\u56ed\\u533aZ-9" in page.get_data(as_text=True) or "园区Z-9" in page.get_data(
        as_text=True
    )
    assert client.get("/api/snapshot?f=svg&layers=zones,counties").status_code == 200
