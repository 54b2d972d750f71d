"""The map page's search box in a real Chromium at 1366x768 (issue 11): by name (counties,
zones, bases, logistics nodes, clusters; keyboard; hostile names) and by coordinates (lon/lat,
DMS, CGCS2000 Gauss-Krüger X/Y with and without the zone prefix), checked against pyproj.
Every test fails on any JS error.
"""

from __future__ import annotations

import pytest
from map_tools_fixtures import fresh, located, map_page, popup_text, results, to_gk
from pyproj import Transformer

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def tools(browser, live_server):
    with map_page(browser, live_server) as visit:
        yield visit


@pytest.fixture()
def page(tools):
    with fresh(tools) as page:
        yield page


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
