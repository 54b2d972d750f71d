"""The map with a layer above MAP_TILES_ABOVE_FEATURES: drawn from our vector tiles in
headless Chromium (zh-CN) on canvas tiles, styled, its popup in Chinese, a hostile name shown
as text; clicks and hovers on a drawn feature go to it, anywhere else in a tile's square they
reach the embedded layers beneath (the counties' popups and tooltips)."""

from __future__ import annotations

import json
import math
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
ZOOM = 12
#: The features drawn in the zones grid's tiles of its current zoom, as [colour, dashes].
DRAWN = """(() => {
    const grid = window.GS_TILES.layers.zones;
    const out = [];
    for (const [key, records] of Object.entries(grid._drawn)) {
        if (Number(key.split(':')[2]) !== grid._tileZoom) continue;
        for (const record of records) out.push([record.style.color, record.style.dashArray]);
    }
    return out;
})()"""
#: At screen point [x, y]: the loaded tile canvas of the zones' pane whose square holds it
#: (or null), the alpha of its pixel there, and the element the browser hit-tests there.
AT_POINT = """([x, y]) => {
    const canvas = Array.from(
        document.querySelectorAll('.leaflet-gs-tiles-pane canvas.leaflet-tile-loaded')
    ).find((c) => {
        const r = c.getBoundingClientRect();
        return x >= r.left && x < r.right && y >= r.top && y < r.bottom;
    });
    const under = document.elementFromPoint(x, y);
    const hit = {under: under.tagName.toLowerCase(), underPane: under.closest('.leaflet-pane')
        ? under.closest('.leaflet-pane').className : ''};
    if (!canvas) return {canvas: false, ...hit};
    const r = canvas.getBoundingClientRect();
    const px = Math.floor((x - r.left) * canvas.width / r.width);
    const py = Math.floor((y - r.top) * canvas.height / r.height);
    const alpha = canvas.getContext('2d').getImageData(px, py, 1, 1).data[3];
    return {canvas: true, alpha: alpha, ...hit};
}"""


def tile_square(lat: float, lon: float, z: int):
    """The WebMercatorQuad tile at zoom ``z`` holding (lat, lon), as a lon/lat box."""
    n = 2**z
    col = int((lon + 180) / 360 * n)
    row = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)

    def lat_of(r):
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * r / n))))

    return shapely.box(col / n * 360 - 180, lat_of(row + 1), (col + 1) / n * 360 - 180, lat_of(row))


def shapes(path: Path):
    data = json.loads(path.read_text(encoding="utf-8"))
    return [
        (f["properties"], shapely.geometry.shape(f["geometry"]))
        for f in data["features"]
        if f["geometry"]
    ]


def bare_point(layers: Path, zone_point):
    """A point in the county under ``zone_point`` and in the same z12 tile, away from every
    zone and every other embedded line or point (~10 px at z12): only the county is there."""
    counties = shapes(layers / "counties.geojson")
    props, county = next((p, g) for p, g in counties if g.contains(zone_point))
    others = [g for p, g in shapes(layers / "zones.geojson")]
    for path in sorted(layers.glob("*.geojson")):
        if path.stem not in ("counties", "zones"):
            others += [g for _, g in shapes(path)]
    square = tile_square(zone_point.y, zone_point.x, ZOOM)
    region = (
        square.buffer(-0.01)
        .intersection(county.buffer(-0.004))
        .difference(shapely.union_all(others).buffer(0.004))
    )
    assert not region.is_empty, "no bare county ground in the zone's tile"
    point = region.representative_point()
    return props, (point.y, point.x)


@pytest.fixture(scope="module")
def tiled_zones(tmp_path_factory):
    """A service whose zones (16 features) are drawn from tiles (bound: 15), one zone named
    with markup; the other layers stay embedded. Also: the county under that zone and a
    point of it in the same tile square where no zone is drawn."""
    layers = tmp_path_factory.mktemp("layers") / "layers"
    shutil.copytree(LAYERS_DIR, layers)
    data = json.loads((layers / "zones.geojson").read_text(encoding="utf-8"))
    target = max(data["features"], key=lambda f: shapely.geometry.shape(f["geometry"]).area)
    target["properties"]["name"] = HOSTILE
    (layers / "zones.geojson").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    point = shapely.geometry.shape(target["geometry"]).representative_point()
    county, bare = bare_point(layers, point)
    env = {"GEO_SERVICE_LAYERS_DIR": str(layers), "GEO_SERVICE_MAP_TILES_ABOVE_FEATURES": "15"}
    with running_service(env) as url:
        yield url, target, (point.y, point.x), county, bare


def screen(page, lat: float, lon: float) -> tuple[float, float]:
    at = page.evaluate(f"GS_MAP.map.latLngToContainerPoint([{lat}, {lon}])")
    box = page.locator(".leaflet-container").bounding_box()
    return box["x"] + at["x"], box["y"] + at["y"]


def tiles_drawn(page, lat: float, lon: float):
    """The map at (lat, lon), z12, once the zones' canvas tiles there are drawn."""
    page.evaluate(f"GS_MAP.map.setView([{lat}, {lon}], {ZOOM}, {{animate: false}})")
    page.wait_for_function(
        "document.querySelectorAll('.leaflet-gs-tiles-pane canvas.leaflet-tile-loaded').length > 0"
    )
    page.wait_for_timeout(500)


def tooltips(page) -> list[str]:
    return page.locator(".leaflet-tooltip-pane .leaflet-tooltip").all_inner_texts()


def test_zones_come_from_tiles_with_style_and_popup(browser, tiled_zones):
    url, target, (lat, lon), _county, _bare = tiled_zones
    visit = open_page(browser, url, "/", "[data-map-ready='1']")
    page = visit.page
    tiled = page.evaluate("Object.keys(window.GS_TILES.layers)")
    assert tiled == ["zones"]
    # the other layers are embedded as before; the zones' group holds no GeoJSON features
    assert page.evaluate("GS_MAP.features('counties').length") == 10
    assert page.evaluate("GS_MAP.features('zones').length") == 0
    tiles_drawn(page, lat, lon)
    tile_requests = [r for r in visit.requests if "/collections/zones/tiles/WebMercatorQuad/" in r]
    assert any(f"/WebMercatorQuad/{ZOOM}/" in r for r in tile_requests), tile_requests
    # canvas tiles, no SVG paths; drawn in the catalog's colours (the default, or the
    # kind's), dashed: schematic shapes
    assert page.locator(".leaflet-gs-tiles-pane path").count() == 0
    drawn = page.evaluate(DRAWN)
    assert drawn and {colour for colour, _ in drawn} <= {"#b2182b", "#7b3294", "#d6604d"}, drawn
    dash = page.evaluate("GS_CONFIG.tiles[0].schematicDash")
    assert dash and all(d == dash for _, d in drawn), drawn
    x, y = screen(page, lat, lon)
    painted = page.evaluate(AT_POINT, [x, y])
    assert painted["canvas"] and painted["alpha"] > 0, painted  # the zone is drawn there
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


def test_the_county_beneath_a_tile_takes_clicks_and_hovers_where_no_zone_is(browser, tiled_zones):
    """Inside a drawn tile's square but off every zone, the county beneath gets its popup
    and tooltip (the canvas takes no events); on the zone, drawn over that county, the
    zone's popup and label win and the county's tooltip goes."""
    url, _target, (lat, lon), county, (bare_lat, bare_lon) = tiled_zones
    visit = open_page(browser, url, "/", "[data-map-ready='1']")
    page = visit.page
    page.evaluate("GS_MAP.map.getPane('markerPane').style.display = 'none'")
    tiles_drawn(page, lat, lon)
    zone_xy, bare_xy = screen(page, lat, lon), screen(page, bare_lat, bare_lon)
    bare = page.evaluate(AT_POINT, list(bare_xy))
    # the point is in a drawn tile's square, nothing drawn there, the county's path under it
    assert bare["canvas"] and bare["alpha"] == 0, bare
    assert bare["under"] == "path" and "leaflet-overlay-pane" in bare["underPane"], bare
    on_zone = page.evaluate(AT_POINT, list(zone_xy))
    assert on_zone["canvas"] and on_zone["alpha"] > 0, on_zone
    assert on_zone["under"] == "path" and "leaflet-overlay-pane" in on_zone["underPane"]

    # hover: the zone's label on the zone, the county's tooltip off it, never both
    page.mouse.move(*zone_xy, steps=4)
    page.wait_for_timeout(300)
    assert tooltips(page) == [HOSTILE], tooltips(page)
    page.mouse.move(*bare_xy, steps=8)
    page.wait_for_timeout(300)
    assert tooltips(page) == [county["name"]], tooltips(page)
    page.mouse.move(*zone_xy, steps=8)
    page.wait_for_timeout(300)
    assert tooltips(page) == [HOSTILE], tooltips(page)

    # click off the zone: the county's popup
    page.mouse.click(*bare_xy)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert county["name"] in text and HOSTILE not in text, text
    assert page.locator(".leaflet-popup").count() == 1
    page.evaluate("GS_MAP.map.closePopup()")
    # click on the zone, over the same county: the zone's popup, alone
    assert page.evaluate(AT_POINT, list(zone_xy))["under"] == "path"  # no popup in the way
    page.mouse.click(*zone_xy)
    page.locator(".leaflet-popup-content").filter(has_text=HOSTILE).wait_for()
    assert page.locator(".leaflet-popup").count() == 1
    assert not visit.errors, visit.errors
    visit.page.context.close()


def test_measuring_over_a_drawn_zone_takes_the_clicks_not_the_zone(browser, tiled_zones):
    """The drawing tools' layers are above the tiles: measuring across a drawn zone, every
    click is a vertex and no zone popup opens."""
    url, _target, (lat, lon), _county, (bare_lat, bare_lon) = tiled_zones
    visit = open_page(browser, url, "/", "[data-map-ready='1']")
    page = visit.page
    page.evaluate("GS_MAP.map.getPane('markerPane').style.display = 'none'")
    tiles_drawn(page, lat, lon)
    page.evaluate("GS_MAP.map.getPane('markerPane').style.display = ''")
    zone_x, zone_y = screen(page, lat, lon)
    near = (zone_x + 12, zone_y + 6)
    assert page.evaluate(AT_POINT, list(near))["alpha"] > 0  # on the zone too
    page.click("#gs-measure-distance")
    for x, y in ((zone_x, zone_y), screen(page, bare_lat, bare_lon), near, near):
        page.mouse.move(x, y)  # the last point twice: done
        page.mouse.click(x, y)
        page.wait_for_timeout(80)  # Leaflet.draw takes no new vertex for 50 ms after one
    vertices = page.evaluate("GS_TOOLS.measured.getLayers().at(-1)._gsTrue.length")
    assert vertices == 3
    assert page.locator(".leaflet-popup").count() == 0
    assert not visit.errors, visit.errors
    visit.page.context.close()
