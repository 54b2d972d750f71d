"""The catalog and the files agree; a broken layer stops start-up with a precise message."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import COLLECTION_IDS, LAYERS_DIR

from geo_service import create_app
from geo_service.catalog import GROUPS, load_catalog
from geo_service.errors import CatalogError


def test_catalog_lists_exactly_the_layer_files(catalog):
    assert list(catalog.layers) == COLLECTION_IDS
    assert sorted(layer.file for layer in catalog.layers.values()) == sorted(
        p.name for p in LAYERS_DIR.glob("*.geojson")
    )


def test_every_layer_is_fully_described(catalog):
    for layer in catalog.layers.values():
        assert layer.title and layer.title_en and layer.description and layer.licence
        assert layer.group in GROUPS
        assert layer.style["color"].startswith("#")
        assert layer.id in catalog.popup
        types = {f["geometry"]["type"] for f in layer.features if f["geometry"]}
        assert types == {layer.geometry_type}, layer.id
        # a layer-level precision never claims more than its least precise feature
        order = ["official", "surveyed", "town", "county-seat", "reference", "schematic"]
        worst = max(order.index(f["properties"]["precision"]) for f in layer.features)
        assert order.index(layer.precision) <= worst
    assert "GCJ-02" in catalog.get("counties").method


def test_all_groups_used(catalog):
    assert {layer.group for layer in catalog.layers.values()} == set(GROUPS)


@pytest.fixture()
def layers_copy(tmp_path):
    shutil.copytree(LAYERS_DIR, tmp_path / "layers", ignore=shutil.ignore_patterns("src"))
    return tmp_path / "layers"


def test_feature_without_precision_is_named(layers_copy):
    path = layers_copy / "zones.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["features"][2]["properties"]["precision"]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CatalogError, match=r"zones.geojson 第 3 个要素：.*precision") as raised:
        load_catalog(layers_copy)
    english = raised.value.to_dict("en")["error"]["message"]
    assert english.startswith("zones.geojson, feature 3: every feature needs a source")


def test_missing_layer_file_is_named(layers_copy):
    (layers_copy / "enclave_links.geojson").unlink()
    with pytest.raises(CatalogError, match="enclave_links.geojson 不存在") as raised:
        create_app({"LAYERS_DIR": str(layers_copy)})
    assert (
        "its file enclave_links.geojson is missing"
        in raised.value.to_dict("en")["error"]["message"]
    )


def test_wrong_geometry_type_is_named(layers_copy):
    path = layers_copy / "new_materials_bases.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["features"][0]["geometry"] = {"type": "LineString", "coordinates": [[108, 32], [109, 33]]}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CatalogError, match="第 1 个要素：Point 图层中出现了 LineString 几何"):
        load_catalog(layers_copy)
