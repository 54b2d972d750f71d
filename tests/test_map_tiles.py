"""The map switching a layer above MAP_TILES_ABOVE_FEATURES to vector tiles (the page's
configuration, its assets, the offline file), without a browser."""

from __future__ import annotations

import json

import pytest
from conftest import dbs
from test_map_page import VENDOR_DIR, page_config

from geo_service import create_app

VECTORGRID = "vendor/leaflet-vectorgrid/Leaflet.VectorGrid.bundled.min.js"


@pytest.fixture(scope="module")
def tiled_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiled")
    return create_app({"TESTING": True, "MAP_TILES_ABOVE_FEATURES": 1, **dbs(folder)})


def test_default_page_embeds_every_layer(client):
    html = client.get("/", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert page_config(html)["tiles"] == []
    assert VECTORGRID not in html and "map_tiles.js" not in html


def test_layers_above_the_bound_come_from_tiles(tiled_app):
    catalog = tiled_app.extensions["geo_service.catalog"]
    client = tiled_app.test_client()
    html = client.get("/", headers={"Accept": "text/html"}).get_data(as_text=True)
    config = page_config(html)
    tiled = {entry["name"]: entry for entry in config["tiles"]}
    assert set(tiled) == {k for k, layer in catalog.layers.items() if len(layer.features) > 1}
    zones = tiled["zones"]
    assert zones["url"] == "/collections/zones/tiles/WebMercatorQuad/{z}/{y}/{x}"
    assert zones["group"] == config["layers"]["zones"]  # the layer's own group, legend entry
    # its features are not in the page: a zone's name appears only in the cluster data
    feature = catalog.get("zones").features[0]
    assert json.dumps(feature["properties"]["drawn_area_km2"]) not in html.split("GS_CONFIG")[0]
    assert zones["style"]["color"] == "#b2182b" and zones["style"]["fill"] is True
    kinds = {rule["value"]: rule["style"]["color"] for rule in zones["categories"]}
    assert kinds == {"飞地园区": "#7b3294", "示范区": "#d6604d"}
    assert zones["schematicDash"] == catalog.schematic_dash
    assert "name" in zones["fields"] and zones["aliases"][zones["fields"].index("name")] == "名称"
    assert "precision_zh" in zones["fields"]
    south_west, north_east = zones["bounds"]
    assert 31.5 < south_west[0] < north_east[0] < 34 and 108 < south_west[1] < north_east[1] < 111
    for path in (VECTORGRID, "map_tiles.js"):
        assert f'src="/static/{path}"' in html
        assert client.get(f"/static/{path}").status_code == 200
    # every tile URL the page will ask for answers (one inside the zones' limits)
    meta = client.get("/collections/zones/tiles/WebMercatorQuad").get_json()
    z10 = meta["tileMatrixSetLimits"][10]
    tile = zones["url"].format(z=10, y=z10["minTileRow"], x=z10["minTileCol"])
    assert client.get(tile).status_code == 200


def test_offline_file_embeds_every_layer(tiled_app):
    html = tiled_app.test_client().get("/export/map.html").get_data(as_text=True)
    assert page_config(html)["tiles"] == []
    assert "L.vectorGrid" not in html


def test_vectorgrid_carries_its_licences():
    text = (VENDOR_DIR / "leaflet-vectorgrid" / "LICENSE").read_text(encoding="utf-8")
    assert "THE BEER-WARE LICENSE" in text
    for package in (
        "pbf",
        "ieee754",
        "vector-tile",
        "point-geometry",
        "whatwg-fetch",
        "geojson-vt",
    ):
        assert f"==== {package}" in text, package
    assert text.count("Redistribution") >= 3 and text.count("Permission") >= 3
    manifest = (VENDOR_DIR / "VENDOR.md").read_text(encoding="utf-8")
    assert "| leaflet.vectorgrid | 1.3.0 |" in manifest
