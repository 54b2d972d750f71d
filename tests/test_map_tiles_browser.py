"""The map with a layer above MAP_TILES_ABOVE_FEATURES: drawn from our vector tiles in
headless Chromium (zh-CN), styled, its popup in Chinese, a hostile name shown as text."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import shapely
from conftest import LAYERS_DIR
from test_browser import open_page

from geo_service.testing import chromium_available, running_service

pytestmark = pytest.mark.skipif(not chromium_available(), reason="Chromium not installed")
HOSTILE = '<img src=x onerror="window.__pwned=1">恒口园区'
SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


@pytest.fixture(scope="module")
def tiled_zones(tmp_path_factory):
    """A service whose zones (16 features) are drawn from tiles (bound: 15), one zone named
    with markup; the other layers stay embedded."""
    layers = tmp_path_factory.mktemp("layers") / "layers"
    shutil.copytree(LAYERS_DIR, layers)
    data = json.loads((layers / "zones.geojson").read_text(encoding="utf-8"))
    target = max(data["features"], key=lambda f: shapely.geometry.shape(f["geometry"]).area)
    target["properties"]["name"] = HOSTILE
    (layers / "zones.geojson").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    point = shapely.geometry.shape(target["geometry"]).representative_point()
    env = {"GEO_SERVICE_LAYERS_DIR": str(layers), "GEO_SERVICE_MAP_TILES_ABOVE_FEATURES": "15"}
    with running_service(env) as url:
        yield url, target, (point.y, point.x)


def test_zones_come_from_tiles_with_style_and_popup(browser, tiled_zones):
    url, target, (lat, lon) = tiled_zones
    visit = open_page(browser, url, "/", "[data-map-ready='1']")
    page = visit.page
    tiled = page.evaluate("Object.keys(window.GS_TILES.layers)")
    assert tiled == ["zones"]
    # the other layers are embedded as before; the zones' group holds no GeoJSON features
    assert page.evaluate("GS_MAP.features('counties').length") == 10
    assert page.evaluate("GS_MAP.features('zones').length") == 0
    page.evaluate(f"GS_MAP.map.setView([{lat}, {lon}], 12, {{animate: false}})")
    page.wait_for_function(
        "document.querySelectorAll('.leaflet-gs-tiles-pane .leaflet-tile-loaded path').length > 0"
    )
    page.wait_for_timeout(500)
    tile_requests = [r for r in visit.requests if "/collections/zones/tiles/WebMercatorQuad/" in r]
    assert any("/WebMercatorQuad/12/" in r for r in tile_requests), tile_requests
    # drawn in the catalog's colours (the default, or the kind's), dashed: schematic shapes
    drawn = page.evaluate(
        "Array.from(document.querySelectorAll('.leaflet-gs-tiles-pane path'),"
        " p => [p.getAttribute('stroke'), p.getAttribute('stroke-dasharray')])"
    )
    assert drawn and {colour for colour, _ in drawn} <= {"#b2182b", "#7b3294", "#d6604d"}, drawn
    dash = page.evaluate("GS_CONFIG.tiles[0].schematicDash")
    assert dash and all(d == dash.replace(" ", ",") or d == dash for _, d in drawn), drawn
    at = page.evaluate(f"GS_MAP.map.latLngToContainerPoint([{lat}, {lon}])")
    box = page.locator(".leaflet-container").bounding_box()
    x, y = box["x"] + at["x"], box["y"] + at["y"]
    page.mouse.click(x, y)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert HOSTILE in text  # the markup as text
    for label in ("名称", "所在县区", "来源", "位置精度"):
        assert label in text, (label, text)
    assert target["properties"]["county_name"] in text
    assert page.locator(".leaflet-popup-content img").count() == 0
    assert page.evaluate("window.__pwned === undefined")
    page.wait_for_timeout(400)  # the popup's fade-in
    if os.environ.get("GEO_SERVICE_SHOTS") == "1":
        page.screenshot(path=str(SHOTS / "map-tiles.png"))
    page.screenshot(path="/tmp/map-tiles.png")
    assert not visit.errors, visit.errors
    assert not [f for f in visit.failed if "/tiles/" in f], visit.failed
    visit.page.context.close()
