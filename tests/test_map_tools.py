"""The map page's measuring tools and cursor readout in a real Chromium at 1366x768 (issue 11),
also over a GCJ-02 basemap and in the offline map file. Positions and figures are checked
against pyproj (Transformer for CGCS2000 GK zones, Geod on the GRS 1980 ellipsoid of
CGCS2000). Every test fails on any JS error. The search box: test_map_search.py.
"""

from __future__ import annotations

import re

import pytest
import shapely
from map_tools_fixtures import (
    AREA,
    GEOD,
    LINE,
    assert_clicked_where_meant,
    click_map,
    fresh,
    located,
    map_page,
    measured_vertices,
    number,
    panel_rows,
    popup_text,
    screen_point,
    to_gk,
)
from pyproj import Transformer
from test_browser import open_page

from geo_service.geo.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02
from geo_service.geo.units import SQUARE_METRES_PER_HECTARE, SQUARE_METRES_PER_MU
from geo_service.testing import running_service

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def tools(browser, live_server):
    with map_page(browser, live_server) as visit:
        yield visit


@pytest.fixture()
def page(tools):
    with fresh(tools) as page:
        yield page


def test_the_tools_libraries_are_vendored_with_their_licences():
    from test_map_page import VENDOR_DIR

    manifest = (VENDOR_DIR / "VENDOR.md").read_text(encoding="utf-8")
    for package, licence in (("proj4", "LICENSE.md"), ("geographiclib-geodesic", "LICENSE.txt")):
        assert "Permission is hereby granted" in (VENDOR_DIR / package / licence).read_text()
        assert f"| {package} |" in manifest and "MIT" in manifest


# ---- measuring -----------------------------------------------------------------------------


def test_measure_a_distance_by_clicking(page):
    page.evaluate("GS_MAP.map.setView([32.70, 108.98], 13, {animate: false})")
    page.click("#gs-measure-distance")
    assert "gs-on" in page.get_attribute("#gs-measure-distance", "class")
    for lat, lon in LINE:
        click_map(page, lat, lon)
    assert "进行中" in page.inner_text("#gs-measure-panel")
    click_map(page, *LINE[-1])  # the last point again: done
    rows = panel_rows(page)
    vertices = measured_vertices(page)
    assert_clicked_where_meant(page, LINE, vertices)
    expected = GEOD.line_length([v[0] for v in vertices], [v[1] for v in vertices])
    shown = number(rows["总长"], "m")
    assert shown == pytest.approx(expected, rel=1e-3)
    assert shown == pytest.approx(expected, abs=0.006)  # in fact to the centimetre shown
    assert number(rows["总长"], "km") == pytest.approx(expected / 1000, abs=0.0006)
    assert rows["段数"] == "3"
    assert "椭球面测地线" in page.inner_text("#gs-measure-panel")
    assert page.inner_text(".gs-measure-label") == rows["总长"]
    assert page.evaluate("GS_TOOLS.state.mode") is None
    assert "gs-on" not in page.get_attribute("#gs-measure-distance", "class")


def test_measure_an_area_by_clicking(page):
    page.evaluate("GS_MAP.map.setView([32.70, 108.98], 13, {animate: false})")
    page.click("#gs-measure-area")
    for lat, lon in AREA:
        click_map(page, lat, lon)
    click_map(page, *AREA[0])  # the first point: closed
    rows = panel_rows(page)
    vertices = measured_vertices(page)
    assert_clicked_where_meant(page, AREA, vertices)
    lons, lats = [v[0] for v in vertices], [v[1] for v in vertices]
    area, perimeter = GEOD.polygon_area_perimeter(lons, lats)
    area = abs(area)
    m2 = number(rows["面积"], "m²")
    assert m2 == pytest.approx(area, rel=1e-3) and m2 == pytest.approx(area, abs=0.006)
    assert number(rows["公顷"], "公顷") == pytest.approx(area / SQUARE_METRES_PER_HECTARE, abs=6e-5)
    assert number(rows["亩"], "亩") == pytest.approx(area / SQUARE_METRES_PER_MU, abs=0.006)
    assert number(rows["平方公里"], "km²") == pytest.approx(area / 1e6, abs=6e-7)
    assert number(rows["周长"], "m") == pytest.approx(perimeter, rel=1e-3)
    east, north = to_gk(4545).transform(lons, lats)
    plane = shapely.Polygon(list(zip(east, north))).area
    assert number(rows["高斯平面面积"], "m²") == pytest.approx(plane, rel=1e-3)
    assert number(rows["高斯平面面积"], "m²") == pytest.approx(plane, abs=0.01)
    note = page.inner_text("#gs-measure-panel .gs-measure-hint")
    assert "椭球面面积" in note and "第36带" in note and "EPSG:4545" in note, note
    assert page.inner_text(".gs-measure-label").startswith(rows["面积"])


def test_escape_cancels_and_clear_removes(page):
    page.evaluate("GS_MAP.map.setView([32.70, 108.98], 13, {animate: false})")
    page.click("#gs-measure-distance")
    click_map(page, *LINE[0])
    click_map(page, *LINE[1])
    page.keyboard.press("Escape")
    assert page.evaluate("GS_TOOLS.state.mode") is None
    assert page.evaluate("GS_TOOLS.measured.getLayers().length") == 0
    assert "已取消" in page.inner_text("#gs-measure-panel")
    assert page.locator(".leaflet-draw-tooltip").count() == 0
    # a click on the map after Esc measures nothing and opens what is there as usual
    page.click("#gs-measure-distance")
    for lat, lon in LINE[:2]:
        click_map(page, lat, lon)
    click_map(page, *LINE[1])
    assert page.evaluate("GS_TOOLS.measured.getLayers().length") == 1
    page.click("#gs-measure-clear")
    assert page.evaluate("GS_TOOLS.measured.getLayers().length") == 0
    assert page.locator("#gs-measure-panel").is_hidden()
    page.wait_for_function("() => !document.querySelector('.gs-measure-label')", timeout=3000)


# ---- cursor readout ------------------------------------------------------------------------


@pytest.mark.parametrize(("centre", "zone"), [((32.70, 108.97), 36), ((32.75, 109.95), 37)])
def test_cursor_readout_agrees_with_pyproj(page, centre, zone):
    page.evaluate(f"GS_MAP.map.setView([{centre[0]}, {centre[1]}], 12, {{animate: false}})")
    x, y = screen_point(page, *centre)
    page.mouse.move(x + 37, y - 23)
    under = page.evaluate(
        """([x, y]) => {
            const box = GS_MAP.map.getContainer().getBoundingClientRect();
            const ll = GS_MAP.map.containerPointToLatLng([x - box.left, y - box.top]);
            return [ll.lng, ll.lat];
        }""",
        [x + 37, y - 23],
    )
    cursor = page.evaluate("GS_TOOLS.cursor()")
    assert (cursor["lon"], cursor["lat"]) == pytest.approx(under, abs=1e-9)
    text = page.inner_text("#gs-readout")
    east, north = to_gk(4513 + zone - 25).transform(cursor["lon"], cursor["lat"])  # prefixed
    assert cursor["zone"] == zone
    assert (cursor["x"], cursor["y"] + zone * 1e6) == pytest.approx((north, east), abs=0.001)
    assert f"经度 {cursor['lon']:.6f}°" in text and f"纬度 {cursor['lat']:.6f}°" in text, text
    lon_shown = float(re.search(r"经度 ([\d.]+)°", text).group(1))
    assert lon_shown == pytest.approx(under[0], abs=5.1e-7)
    assert f"第{zone}带" in text
    x_shown = number(re.search(r"X [\d.]+ m", text).group(0), "m")
    y_shown = re.search(r"Y (\d\d) ([\d.]+) m", text)
    assert x_shown == pytest.approx(north, abs=0.0051)
    assert int(y_shown.group(1)) * 1e6 + float(y_shown.group(2)) == pytest.approx(east, abs=0.0051)


def test_cursor_readout_copies_on_click(page, tools):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=tools.base_url)
    page.evaluate("GS_MAP.map.setView([32.70, 108.97], 12, {animate: false})")
    x, y = screen_point(page, 32.70, 108.97)
    page.mouse.move(x, y)
    before = page.evaluate("GS_TOOLS.cursor()")
    page.click("#gs-readout")
    assert page.evaluate("GS_TOOLS.cursor()") == before  # moving onto it changed nothing
    page.wait_for_function(
        "() => document.querySelector('.gs-readout-copied').textContent === '已复制'"
    )
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == before["text"] and copied.startswith(f"{before['lon']:.6f}, "), copied


# ---- on a GCJ-02 basemap, and offline ------------------------------------------------------


@pytest.fixture(scope="module")
def gaode_server():
    with running_service({"GEO_SERVICE_BASEMAPS": "gaode"}) as url:
        yield url


def test_on_a_gcj02_basemap_the_tools_give_true_coordinates(browser, gaode_server):
    """Overlays are shifted onto Gaode's GCJ-02 tiles: the tools shift with them and still
    read, place and measure WGS 84 / CGCS2000 positions."""
    visit = open_page(browser, gaode_server, "/", "body[data-map-ready]", stub_tiles=True)
    page = visit.page
    try:
        page.wait_for_function("() => window.GS_TOOLS && !GS_MAP.map._animatingZoom")
        page.evaluate("GS_MAP.map.addLayer(window[GS_CONFIG.basemaps.gaode.var])")
        page.wait_for_function("() => GS_MAP.state.gcj02 === true", timeout=5000)
        where = located(page, "108.97, 32.70")
        gcj = [float(v) for v in wgs84_to_gcj02(108.97, 32.70)]
        assert (where["lon"], where["lat"]) == pytest.approx(gcj, abs=1e-9)  # drawn on GCJ-02
        assert page.evaluate("[GS_SEARCH.state.location.lon, GS_SEARCH.state.location.lat]") == [
            108.97,
            32.70,
        ]
        page.evaluate("GS_MAP.map.closePopup()")
        x, y = screen_point(page, gcj[1], gcj[0])
        page.mouse.move(x, y)
        under = page.evaluate(
            """([x, y]) => {
                const box = GS_MAP.map.getContainer().getBoundingClientRect();
                const ll = GS_MAP.map.containerPointToLatLng([x - box.left, y - box.top]);
                return [ll.lng, ll.lat];
            }""",
            [x, y],
        )
        cursor = page.evaluate("GS_TOOLS.cursor()")
        true = [float(v) for v in gcj02_to_wgs84(*under)]
        assert (cursor["lon"], cursor["lat"]) == pytest.approx(true, abs=1e-8)
        # the marker goes back to its true place with the basemap
        page.evaluate("GS_MAP.map.removeLayer(window[GS_CONFIG.basemaps.gaode.var])")
        page.wait_for_function("() => GS_MAP.state.gcj02 === false", timeout=5000)
        ll = page.evaluate(
            "(() => { const p = GS_SEARCH.state.marker.getLatLng(); return [p.lng, p.lat]; })()"
        )
        assert ll == pytest.approx([108.97, 32.70], abs=1e-12)
        assert visit.errors == []
    finally:
        page.context.close()


def test_the_offline_map_file_has_the_tools(client, browser, tmp_path):
    path = tmp_path / "ankang-map.html"
    path.write_text(client.get("/export/map.html").get_data(as_text=True), encoding="utf-8")
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    context.set_offline(True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    try:
        page.goto(path.as_uri())
        page.wait_for_function("() => window.GS_TOOLS && !GS_MAP.map._animatingZoom")
        page.fill("#gs-search-input", "岚皋")
        page.press("#gs-search-input", "Enter")
        assert "岚皋县" in popup_text(page)
        where = located(page, "3619000 590000.6")
        lon, lat = Transformer.from_crs("EPSG:4545", "EPSG:4490", always_xy=True).transform(
            590000.6, 3619000
        )
        assert (where["lon"], where["lat"]) == pytest.approx((lon, lat), abs=1e-7)
        page.evaluate(
            "GS_MAP.map.closePopup(); GS_MAP.map.setView([32.70, 108.98], 13, {animate: false})"
        )
        page.click("#gs-measure-distance")
        for point in LINE[:2]:
            click_map(page, *point)
        click_map(page, *LINE[1])
        vertices = measured_vertices(page)
        expected = GEOD.line_length([v[0] for v in vertices], [v[1] for v in vertices])
        assert number(panel_rows(page)["总长"], "m") == pytest.approx(expected, abs=0.006)
        assert errors == []
    finally:
        context.close()
