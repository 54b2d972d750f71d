"""The map with overfull tiles (TILE_MAX_FEATURES): in headless Chromium (zh-CN), the zones
drawn from tiles whose cap is 2, so the tiles at z8 meeting several zones are overview tiles:
shaded cells, a popup saying in Chinese how many zones are there and to zoom in, and a notice
on the map while any cell is drawn, gone once the tiles nearer in hold the zones again."""

from __future__ import annotations

import math
import os
import time
import urllib.request
from pathlib import Path

import mapbox_vector_tile
import pytest
from test_browser import open_page

from geo_service.testing import chromium_available, running_service

pytestmark = pytest.mark.skipif(not chromium_available(), reason="Chromium not installed")
SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
TILESET = "/collections/zones/tiles/WebMercatorQuad"
HALF_WORLD = 20037508.3427892
NOTICE_HIDDEN = "window.GS_TILES.notices.zones.getContainer().hidden"
#: Whether a loaded tile of the zones' grid has drawn a feature filled in the cells' colour.
CELLS_DRAWN = """Object.values(window.GS_TILES.layers.zones._drawn).some(
    (records) => records.some((r) => r.style.fill && r.style.fillColor === '#d94801'))"""


@pytest.fixture(scope="module")
def overfull(tmp_path_factory):
    """A service drawing the zones from tiles (bound 15) with at most 2 features a tile."""
    env = {"GEO_SERVICE_MAP_TILES_ABOVE_FEATURES": "15", "GEO_SERVICE_TILE_MAX_FEATURES": "2"}
    with running_service(env) as url:
        yield url


def get(url: str):
    with urllib.request.urlopen(url, timeout=30) as answer:
        return answer.read()


def busiest_cell(url: str, z: int) -> tuple[float, float, int]:
    """(lat, lon) of the middle of the fullest overview cell at zoom ``z``, and its count."""
    import json

    meta = json.loads(get(url + TILESET))
    limits = meta["tileMatrixSetLimits"][z]
    best = None
    for y in range(limits["minTileRow"], limits["maxTileRow"] + 1):
        for x in range(limits["minTileCol"], limits["maxTileCol"] + 1):
            body = get(f"{url}{TILESET}/{z}/{y}/{x}")
            cells = mapbox_vector_tile.decode(body).get("gs_overview") if body else None
            for cell in (cells or {}).get("features", []):
                (ring,) = cell["geometry"]["coordinates"]
                cx = sum(p[0] for p in ring[:4]) / 4 / 4096
                cy = sum(p[1] for p in ring[:4]) / 4 / 4096  # y up from the tile's south
                count = cell["properties"]["count"]
                if best is None or count > best[2]:
                    best = (z, x + cx, y + 1 - cy, count)
    assert best is not None, "no overview tile at this zoom"
    z, col, row, count = best
    n = 2**z
    lon = col / n * 360 - 180
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))
    return lat, lon, count


def poll(page, expression: str, want, seconds: float = 15):
    """Wait until ``expression`` is ``want``, asked from Python (the page's CSP forbids the
    eval a string wait_for_function would use)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if page.evaluate(expression) == want:
            return
        page.wait_for_timeout(150)
    raise AssertionError(f"{expression} never became {want!r}")


def test_overfull_tiles_show_cells_a_popup_and_a_notice(browser, overfull):
    lat, lon, count = busiest_cell(overfull, 8)
    assert count >= 1
    visit = open_page(browser, overfull, "/", "[data-map-ready='1']")
    page = visit.page
    assert page.evaluate("Object.keys(window.GS_TILES.layers)") == ["zones"]
    page.evaluate(f"GS_MAP.map.setView([{lat}, {lon}], 8, {{animate: false}})")
    poll(page, NOTICE_HIDDEN, False)
    notice = page.locator(".gs-overview-notice")
    assert notice.is_visible()
    assert "请放大查看" in notice.inner_text() and "要素过多" in notice.inner_text()
    # shaded cells: filled squares in the overview's colour, drawn in the canvas tiles
    poll(page, CELLS_DRAWN, True)
    # the point layers' markers (the bases, the nodes) sit on the zones: out of the way
    page.evaluate("GS_MAP.map.getPane('markerPane').style.display = 'none'")
    at = page.evaluate(f"GS_MAP.map.latLngToContainerPoint([{lat}, {lon}])")
    box = page.locator(".leaflet-container").bounding_box()
    page.mouse.click(box["x"] + at["x"], box["y"] + at["y"])
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert f"此处约有 {count} 个要素" in text and "请放大查看" in text, text
    page.wait_for_timeout(400)  # the popup's fade-in
    if os.environ.get("GEO_SERVICE_SHOTS") == "1":
        page.screenshot(path=str(SHOTS / "map-tiles-overview.png"))
    page.screenshot(path="/tmp/map-tiles-overview.png")
    # nearer in, the tiles hold at most 2 zones: the zones themselves, and no notice
    page.evaluate("GS_MAP.map.closePopup()")
    page.evaluate(f"GS_MAP.map.setView([{lat}, {lon}], 14, {{animate: false}})")
    poll(page, NOTICE_HIDDEN, True)
    assert not visit.errors, visit.errors
    assert not [f for f in visit.failed if "/tiles/" in f], visit.failed
    visit.page.context.close()
