"""The map in a real headless Chromium: drawn, self-contained, interactive."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

import pytest

from geo_service.geo.gcj02 import wgs84_to_gcj02
from geo_service.testing import running_service

pytestmark = pytest.mark.browser

# A 1x1 transparent PNG, served for intercepted basemap tiles so no test leaves the machine.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


@dataclass
class Visit:
    """A page opened on the service, with everything that went wrong or left the app."""

    page: object
    base_url: str
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def outside(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(self.base_url)]


def open_map(browser, base_url: str, stub_tiles: bool = False) -> Visit:
    return open_page(browser, base_url, "/", "body[data-map-ready]", stub_tiles)


def open_page(
    browser,
    base_url: str,
    path: str,
    ready: str,
    stub_tiles: bool = False,
    viewport: tuple[int, int] = (1400, 900),
) -> Visit:
    """Open ``path`` in a fresh context and wait for ``ready``, recording what goes wrong."""
    context = browser.new_context(
        viewport={"width": viewport[0], "height": viewport[1]},
        locale="zh-CN",
        accept_downloads=True,
    )
    page = context.new_page()
    visit = Visit(page, base_url)
    page.on("request", lambda request: visit.requests.append(request.url))
    page.on("requestfailed", lambda request: visit.failed.append(request.url))
    page.on("response", lambda r: r.status >= 400 and visit.failed.append(f"{r.status} {r.url}"))
    page.on("pageerror", lambda error: visit.errors.append(str(error)))
    page.on("console", lambda m: m.type == "error" and visit.errors.append(m.text))
    if stub_tiles:
        page.route(
            "**/*autonavi.com/**",
            lambda route: route.fulfill(status=200, content_type="image/png", body=PNG),
        )
    page.goto(f"{base_url}{path}", wait_until="load")
    page.wait_for_selector(ready, timeout=10_000)
    return visit


@pytest.fixture(scope="module")
def visit(browser, live_server):
    visit = open_map(browser, live_server)
    yield visit
    visit.page.context.close()


def test_map_loads_self_contained_without_errors(visit):
    assert visit.errors == []
    assert visit.failed == []
    assert visit.outside == []
    assert any("/static/vendor/leaflet/leaflet.js" in url for url in visit.requests)


def test_county_polygons_and_labels_are_drawn(visit):
    page = visit.page
    assert page.locator("path.leaflet-interactive").count() >= 10 + 16  # counties + zones
    drawn = page.evaluate("""() => {
        return GS_MAP.features("counties").map(l => {
            const box = l._path.getBBox();
            return {name: l.feature.properties.name, w: box.width, h: box.height};
        });
    }""")
    assert len(drawn) == 10
    assert all(c["w"] > 20 and c["h"] > 20 for c in drawn), drawn
    for name in ("汉滨区", "旬阳", "白河县", "宁陕县"):
        assert page.get_by_text(name).first.is_visible(), name


def test_layer_control_groups_and_legend(visit):
    page = visit.page
    control = page.locator(".leaflet-control-layers")
    for group in ("基础", "园区", "集群", "物流", "飞地"):
        assert control.get_by_text(group, exact=True).count() == 1, group
    assert page.locator(".gs-legend .gs-badge").count() >= 3
    assert page.locator(".leaflet-control-scale").count() == 1


def test_popup_shows_attributes_in_chinese(visit):
    page = visit.page
    point = page.evaluate("""() => {
        const target = GS_MAP.features("counties")
            .find(l => l.feature.properties.name === "宁陕县");
        const p = GS_MAP.map.latLngToContainerPoint(target.getCenter());
        const box = GS_MAP.map.getContainer().getBoundingClientRect();
        return {x: box.left + p.x, y: box.top + p.y};
    }""")
    page.mouse.click(point["x"], point["y"])
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    text = popup.inner_text()
    assert "宁陕县" in text and "来源" in text and "精度" in text, text


def test_enclave_links_are_directed_arrows(visit):
    texts = visit.page.locator("svg textPath").all_text_contents()
    arrows = [t for t in texts if "►" in t]  # the other text paths are river names
    assert len(arrows) >= 5


def test_cluster_filter_highlights_the_hosts(visit):
    page = visit.page
    page.select_option("#gs-cluster", "tea")
    info = page.locator("#gs-cluster-info").inner_text()
    assert "安政办发〔2018〕71号" in info and "紫阳县" in info, info
    fills = page.evaluate("""() => {
        const out = {};
        GS_MAP.features("counties").forEach(l => {
            out[l.feature.properties.adcode] = l._path.getAttribute("fill");
        });
        return out;
    }""")
    hosts = {"610924", "610926", "610902", "610925", "610929"}
    assert {code for code, fill in fills.items() if fill == "#fdae61"} == hosts, fills
    page.select_option("#gs-cluster", "")
    assert page.evaluate("GS_MAP.state.cluster") == ""
    assert page.locator("#gs-cluster-info").inner_text() == ""


def choose_layer(page, text: str) -> None:
    """Open the (collapsed) layer control by hovering it, and click the entry ``text``."""
    control = page.locator(".leaflet-control-layers")
    control.hover()
    control.get_by_text(text, exact=False).click()


@pytest.fixture(scope="module")
def gaode_server():
    with running_service({"GEO_SERVICE_BASEMAPS": "gaode"}) as url:
        yield url


def test_gaode_shifts_overlays_to_gcj02(browser, gaode_server):
    visit = open_map(browser, gaode_server, stub_tiles=True)
    page = visit.page
    try:
        assert visit.outside == []  # the basemap is offered, not shown, until chosen
        where = """() => {
            const node = GS_MAP.features("logistics_nodes")
                .find(l => l.feature.id === "hub-central");
            const ll = node.getLatLng();
            return [ll.lng, ll.lat];
        }"""
        assert page.evaluate(where) == pytest.approx([109.027, 32.695], abs=1e-9)
        choose_layer(page, "高德地图")
        page.wait_for_function("() => GS_MAP.state.gcj02 === true", timeout=5000)
        lon, lat = wgs84_to_gcj02(109.027, 32.695)
        assert page.evaluate(where) == pytest.approx([float(lon), float(lat)], abs=1e-7)
        page.wait_for_timeout(300)
        assert any("autonavi.com" in url for url in visit.outside)
        choose_layer(page, "不用在线底图")  # one base at a time: back to none
        page.wait_for_function("() => GS_MAP.state.gcj02 === false", timeout=5000)
        assert page.evaluate(where) == pytest.approx([109.027, 32.695], abs=1e-9)
        assert visit.errors == [] and visit.failed == []
    finally:
        page.context.close()
