"""The planner's tools on the map page, in a real Chromium at 1366x768 (issue 11): the search
box (names and coordinates), distance and area measuring, the cursor readout.

Positions and figures are checked against pyproj (Transformer for CGCS2000 GK zones, Geod on
the GRS 1980 ellipsoid of CGCS2000). Every test fails on any JS error.
"""

from __future__ import annotations

import re

import pytest
import shapely
from pyproj import Geod, Transformer
from test_browser import open_page

from geo_service.geo.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02
from geo_service.geo.units import SQUARE_METRES_PER_HECTARE, SQUARE_METRES_PER_MU
from geo_service.testing import running_service

pytestmark = pytest.mark.browser

GEOD = Geod(ellps="GRS80")  # the CGCS2000 ellipsoid
JUNK = re.compile(r"\b(null|undefined|NaN)\b")


def to_gk(epsg: int) -> Transformer:
    return Transformer.from_crs("EPSG:4490", f"EPSG:{epsg}", always_xy=True)


@pytest.fixture(scope="module")
def tools(browser, live_server):
    visit = open_page(browser, live_server, "/", "body[data-map-ready]", viewport=(1366, 768))
    visit.page.wait_for_function("() => window.GS_TOOLS && !GS_MAP.map._animatingZoom")
    yield visit
    visit.page.context.close()


@pytest.fixture()
def page(tools):
    """The shared page, reset; fails the test on any JS error."""
    tools.page.evaluate("""() => {
        GS_SEARCH.reset(); GS_SEARCH.zone.value = "36"; GS_TOOLS.clear(); GS_MAP.map.closePopup();
        document.getElementById("gs-cluster").value = ""; GS_MAP.applyFilter("");
    }""")
    before = len(tools.errors)
    yield tools.page
    assert tools.errors[before:] == [], tools.errors[before:]


def results(page) -> list[dict]:
    return page.evaluate("""() => Array.from(document.querySelectorAll(".gs-search-result"))
        .map(li => ({
            name: li.querySelector(".gs-sr-name").textContent,
            kind: li.querySelector(".gs-sr-kind").textContent,
            active: li.classList.contains("gs-active"),
        }))""")


def popup_text(page) -> str:
    popup = page.locator(".leaflet-popup-content").last  # an older one may still be fading out
    popup.wait_for(timeout=5000)
    text = popup.inner_text()
    assert text.strip() and not JUNK.search(text), text
    return text


def view_fits(page, layer: str, feature_id: str) -> dict:
    """How the view the search chose (before the popup panned it clear of the tools) holds
    the feature's extent; and whether the popup's place is in the view now."""
    return page.evaluate(
        """([layer, id]) => {
            const bounds = L.latLngBounds([]);
            GS_MAP.features(layer).filter(l => String(l.feature.id) === id).forEach(l =>
                bounds.extend(l.getBounds ? l.getBounds() : l.getLatLng()));
            const view = GS_SEARCH.state.fitted;
            const popup = GS_MAP.map._popup;
            return {
                inside: view.contains(bounds),
                popupInView: !!popup && GS_MAP.map.getBounds().contains(popup.getLatLng()),
                share: Math.max(
                    (bounds.getEast() - bounds.getWest()) / (view.getEast() - view.getWest()),
                    (bounds.getNorth() - bounds.getSouth()) / (view.getNorth() - view.getSouth())),
                zoom: GS_MAP.map.getZoom(),
            };
        }""",
        [layer, feature_id],
    )


def test_the_tools_libraries_are_vendored_with_their_licences():
    from test_map_page import VENDOR_DIR

    manifest = (VENDOR_DIR / "VENDOR.md").read_text(encoding="utf-8")
    for package, licence in (("proj4", "LICENSE.md"), ("geographiclib-geodesic", "LICENSE.txt")):
        assert "Permission is hereby granted" in (VENDOR_DIR / package / licence).read_text()
        assert f"| {package} |" in manifest and "MIT" in manifest


# ---- search by name ------------------------------------------------------------------------


def test_search_a_county_fits_it_and_opens_its_popup(page):
    page.fill("#gs-search-input", "汉阴")
    assert results(page)[0] == {"name": "汉阴县", "kind": "县区", "active": True}
    assert page.get_attribute("#gs-search-input", "aria-expanded") == "true"
    page.press("#gs-search-input", "Enter")
    assert "汉阴县" in popup_text(page)
    fit = view_fits(page, "counties", "610921")
    assert fit["inside"] and fit["share"] > 0.5 and fit["popupInView"], fit
    assert page.locator("#gs-search-results").is_hidden()
    # the popup, not also the hover label a click opens (it fades out)
    page.wait_for_function("() => !document.querySelector('.leaflet-tooltip')", timeout=3000)
    # the county is outlined while its popup is open
    assert page.evaluate("GS_SEARCH.outlineLayer.getLayers().length") == 1
    page.evaluate("GS_MAP.map.closePopup()")
    assert page.evaluate("GS_SEARCH.outlineLayer.getLayers().length") == 0


def test_search_a_zone_by_part_of_its_name(page):
    page.fill("#gs-search-input", "五里")
    assert results(page) == [{"name": "汉滨区五里工业集中区", "kind": "工业集中区", "active": True}]
    page.press("#gs-search-input", "Enter")
    text = popup_text(page)
    assert "汉滨区五里工业集中区" in text and "所在县区" in text, text
    fit = view_fits(page, "zones", "hanbin-wuli")
    assert fit["inside"] and fit["share"] > 0.25 and fit["popupInView"], fit


def test_search_a_cluster_shows_its_layer_fits_and_opens_its_popup(page):
    page.evaluate("GS_MAP.map.removeLayer(GS_MAP.layers.clusters)")
    page.fill("#gs-search-input", "茶产业")
    assert results(page)[0]["kind"] == "产业集群"
    page.press("#gs-search-input", "Enter")
    try:
        assert page.evaluate("GS_MAP.map.hasLayer(GS_MAP.layers.clusters)")
        assert "茶产业集群" in popup_text(page)
        fit = view_fits(page, "clusters", "tea")
        assert fit["inside"] and fit["popupInView"], fit
    finally:
        page.evaluate("GS_MAP.map.removeLayer(GS_MAP.layers.clusters)")


def test_a_cluster_without_a_place_is_chosen_in_the_filter(page):
    page.fill("#gs-search-input", "包装饮用水")
    assert results(page)[0]["kind"] == "产业集群"
    page.press("#gs-search-input", "Enter")
    assert page.input_value("#gs-cluster") == "packaged-water"
    assert "规划未点名地点" in page.inner_text(".gs-search-status")
    assert page.inner_text("#gs-cluster-info").strip()


def test_search_keyboard_arrows_enter_and_escape(page):
    page.fill("#gs-search-input", "县域工业集中区")
    listed = results(page)
    assert len(listed) == 6 and {r["kind"] for r in listed} == {"工业集中区"}, listed
    page.press("#gs-search-input", "ArrowDown")
    page.press("#gs-search-input", "ArrowDown")
    assert [r["active"] for r in results(page)] == [False, False, True, False, False, False]
    page.press("#gs-search-input", "ArrowUp")
    page.press("#gs-search-input", "ArrowUp")
    page.press("#gs-search-input", "ArrowUp")  # from the first, up wraps to the last
    assert results(page)[-1]["active"]
    page.press("#gs-search-input", "ArrowUp")
    chosen = [r for r in results(page) if r["active"]][0]["name"]
    page.press("#gs-search-input", "Enter")
    assert chosen in popup_text(page)
    page.evaluate("GS_MAP.map.closePopup()")
    page.fill("#gs-search-input", "石泉")
    assert page.locator("#gs-search-results").is_visible()
    page.press("#gs-search-input", "Escape")
    assert page.locator("#gs-search-results").is_hidden()
    assert page.get_attribute("#gs-search-input", "aria-expanded") == "false"
    assert page.locator(".leaflet-popup-content").count() == 0


def test_no_match_is_said_in_chinese(page):
    page.fill("#gs-search-input", "北京")
    assert results(page) == []
    assert page.inner_text("#gs-search-results") == "没有名称包含“北京”的要素"


def test_hostile_names_are_shown_as_text(page):
    """Names come from layers, later from user imports: never parsed as HTML."""
    evil = '<img src=x id=gs-evil onerror="window.GS_PWNED=1">&amp;</li><b>园区'
    page.evaluate(
        """(name) => {
            window.GS_TEST_LAYER = L.geoJSON({type: "Feature", id: "evil", properties:
                {name: name, layer: "zones", kind: "<b>x</b>", county_name: "<i>县</i>"},
                geometry: {type: "Point", coordinates: [108.9, 32.7]}});
            GS_MAP.layers.zones.addLayer(window.GS_TEST_LAYER);
        }""",
        evil,
    )
    try:
        page.fill("#gs-search-input", "<img")
        listed = results(page)
        assert listed == [{"name": evil, "kind": "工业集中区", "active": True}], listed
        assert page.locator("#gs-search-results .gs-sr-sub").inner_text() == "<i>县</i>"
        assert page.locator("#gs-search-results img, #gs-search-results b, #gs-evil").count() == 0
        page.fill("#gs-search-input", '"><svg onload=alert`x`>')
        assert page.locator("#gs-search-results svg").count() == 0
        assert '"><svg onload=alert`x`>' in page.inner_text("#gs-search-results")
        assert page.evaluate("window.GS_PWNED") is None
    finally:
        page.evaluate("GS_MAP.layers.zones.removeLayer(window.GS_TEST_LAYER)")


# ---- search by coordinates -----------------------------------------------------------------


def located(page, text: str, zone: str | None = None) -> dict:
    page.fill("#gs-search-input", text)
    if zone:
        page.select_option("#gs-search-zone", zone)
    first = results(page)[0]
    assert first["name"].startswith("定位 "), first
    page.press("#gs-search-input", "Enter")
    popup = popup_text(page)
    where = page.evaluate("""() => {
        const ll = GS_SEARCH.state.marker.getLatLng();
        return {lon: ll.lng, lat: ll.lat, county: GS_SEARCH.state.location.county,
                inView: GS_MAP.map.getBounds().contains(ll)};
    }""")
    assert where["inView"]
    return {
        **where,
        "popup": popup,
        "kind": first["kind"],
        "status": page.inner_text(".gs-search-status"),
    }


@pytest.mark.parametrize(
    ("text", "lon", "lat", "kind"),
    [
        ("108.97, 32.70", 108.97, 32.70, "经纬度"),
        ("108.97 32.70", 108.97, 32.70, "经纬度"),
        ("E108.97 N32.70", 108.97, 32.70, "经纬度"),
        ("108.97E, 32.70N", 108.97, 32.70, "经纬度"),
        ("108.97E32.70N", 108.97, 32.70, "经纬度"),
        ("108.97 N 32.70", 108.97, 32.70, "经纬度"),  # N belongs to 32.70
        ("lat 32.70 lon 108.97", 108.97, 32.70, "经纬度"),
        ("１０８．９７，３２．７０", 108.97, 32.70, "经纬度"),  # full-width, as an IME types it
        ("32°42′36″N 108°58′12″E", 108.97, 32.71, "度分秒"),
        ("108°58′12″E, 32°42′36″N", 108 + 58 / 60 + 12 / 3600, 32 + 42 / 60 + 36 / 3600, "度分秒"),
        ("东经108度58分12秒，北纬32度42分36秒", 108.97, 32 + 42 / 60 + 36 / 3600, "度分秒"),
        ("108°58.2', 32°42.6'", 108.97, 32.71, "度分秒"),
    ],
)
def test_locate_lon_lat_and_dms(page, text, lon, lat, kind):
    where = located(page, text)
    assert where["kind"] == kind
    assert where["lon"] == pytest.approx(lon, abs=1e-9) and where["lat"] == pytest.approx(
        lat, abs=1e-9
    )
    assert where["county"] == "汉滨区", where
    east, north = to_gk(4545).transform(lon, lat)
    assert f"X {north:.2f} m, Y 36 {east:.2f} m" in where["popup"], where["popup"]
    assert "汉滨区" in where["popup"]


def test_lat_lon_order_is_taken_when_only_it_makes_sense_and_said(page):
    where = located(page, "32.70, 108.97")
    assert (where["lon"], where["lat"]) == pytest.approx((108.97, 32.70), abs=1e-12)
    assert "已按“纬度, 经度”理解" in where["popup"]


@pytest.mark.parametrize(
    ("text", "zone", "epsg", "x", "y"),
    [
        ("X 3619000.00, Y 36 590000.60", None, 4524, 3619000.00, 36590000.60),
        ("3619000，36590000.6", None, 4524, 3619000.0, 36590000.6),
        ("36590000.6 3619000", None, 4524, 3619000.0, 36590000.6),  # by size, X is the northing
        ("3619000 590000.6", None, 4545, 3619000.0, 590000.6),  # no prefix: zone 36 by default
        ("3630000.5, 37 389000.25", None, 4525, 3630000.5, 37389000.25),
        ("3630000.5, 389000.25", "37", 4546, 3630000.5, 389000.25),  # zone 37 chosen in the box
    ],
)
def test_locate_gauss_kruger_with_and_without_the_zone_prefix(page, text, zone, epsg, x, y):
    where = located(page, text, zone)
    lon, lat = Transformer.from_crs(f"EPSG:{epsg}", "EPSG:4490", always_xy=True).transform(y, x)
    assert where["kind"] == "高斯坐标"
    assert where["lon"] == pytest.approx(lon, abs=1e-7) and where["lat"] == pytest.approx(
        lat, abs=1e-7
    )
    assert f"EPSG:{epsg}" in where["popup"], where["popup"]
    assert where["county"], where  # these points are in Ankang
    # the popup gives the point back in its own zone: the same X/Y as typed
    plain = y % 1e6
    assert (
        f"X {x:.2f} m, Y {int(y // 1e6) if y > 1e7 else zone or 36} {plain:.2f} m" in where["popup"]
    )


def test_a_point_outside_ankang_is_shown_with_a_warning(page):
    where = located(page, "116.397, 39.909")
    assert (where["lon"], where["lat"]) == pytest.approx((116.397, 39.909), abs=1e-12)
    assert where["county"] is None
    assert "不在安康市范围内" in where["popup"] and "不在安康市范围内" in where["status"]
    assert "gs-search-warning" in page.get_attribute(".gs-search-status", "class")
    # a GK point whose zone prefix does not fit the place is placed too, with its zone named
    where = located(page, "3620000, 38 512345.6")
    assert where["county"] is None and "第38带" in where["popup"]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("3620000", "两个数"),
        ("108.97, 32.70, 5", "两个数"),
        ("3620000, 99512345.6", "带号 99"),
        ("3620000, 3620001", "高斯坐标需要 X"),
        ("108°75′, 32°", "分、秒应小于 60"),
        ("1200, 32.7", "既不像经纬度"),
        ("108.97 abc 32.7", "无法识别的内容"),
        ("E108.97, E32.7", "两个数都标为经度"),
    ],
)
def test_bad_coordinates_say_what_is_wrong_in_chinese(page, text, says):
    page.fill("#gs-search-input", text)
    assert results(page) == []
    message = page.inner_text("#gs-search-results")
    assert message.startswith("无法识别为坐标：") and says in message, message
    page.press("#gs-search-input", "Enter")
    assert page.evaluate("GS_SEARCH.locateLayer.getLayers().length") == 0


# ---- measuring -----------------------------------------------------------------------------


def screen_point(page, lat: float, lon: float) -> tuple[float, float]:
    return tuple(
        page.evaluate(
            """([lat, lon]) => {
                const p = GS_MAP.map.latLngToContainerPoint([lat, lon]);
                const box = GS_MAP.map.getContainer().getBoundingClientRect();
                return [box.left + p.x, box.top + p.y];
            }""",
            [lat, lon],
        )
    )


def click_map(page, lat: float, lon: float) -> None:
    x, y = screen_point(page, lat, lon)
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    page.wait_for_timeout(80)  # Leaflet.draw takes no new vertex for 50 ms after one


def measured_vertices(page) -> list[tuple[float, float]]:
    """The measured shape's vertices as the tool recorded them (lon, lat)."""
    return [
        (p["lng"], p["lat"])
        for p in page.evaluate("() => GS_TOOLS.measured.getLayers().at(-1)._gsTrue")
    ]


def panel_rows(page) -> dict[str, str]:
    return dict(
        page.evaluate("""() => Array.from(document.querySelectorAll("#gs-measure-panel tr"))
            .map(tr => [tr.querySelector("th").textContent, tr.querySelector("td").textContent])""")
    )


def number(text: str, unit: str) -> float:
    """The figure before ``unit`` in ``text``: "1,234.56 m²" → 1234.56."""
    match = re.search(r"([\d,]+(?:\.\d+)?) " + re.escape(unit) + r"(?![\w²])", text)
    assert match, (text, unit)
    return float(match.group(1).replace(",", ""))


def assert_clicked_where_meant(page, points, vertices) -> None:
    assert len(vertices) == len(points)
    for (lat, lon), (vlon, vlat) in zip(points, vertices):
        a, b = screen_point(page, lat, lon), screen_point(page, vlat, vlon)
        assert abs(a[0] - b[0]) <= 1.5 and abs(a[1] - b[1]) <= 1.5, (a, b)


LINE = [(32.690, 108.950), (32.705, 108.962), (32.700, 108.985), (32.712, 109.010)]
AREA = [(32.688, 108.950), (32.690, 108.992), (32.712, 108.996), (32.709, 108.955)]


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
