"""The basemaps in a real headless Chromium: the offline reference layer drawn under the plan
layers, and 天地图 矢量/影像 each with its 注记, with every tile request intercepted (a 1-px PNG)
so no test leaves the machine."""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from geo_service.testing import running_service

pytestmark = pytest.mark.browser

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
KEY = "k\"ey'</script>{x}"


def open_map(browser, url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = context.new_page()
    seen = {"tiles": [], "errors": []}
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    page.on("console", lambda m: m.type == "error" and seen["errors"].append(m.text))

    def tile(route):
        seen["tiles"].append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=PNG)

    page.route(lambda target: not target.startswith(url), tile)
    page.goto(f"{url}/", wait_until="load")
    page.wait_for_selector("body[data-map-ready]", timeout=10_000)
    return page, seen


def choose(page, text: str) -> None:
    control = page.locator(".leaflet-control-layers")
    control.hover()
    control.get_by_text(text, exact=True).click()
    page.mouse.move(700, 450)  # leave the control so it folds up again


def test_reference_layer_drawn_under_the_plan_layers_with_its_credit(browser, live_server):
    page, seen = open_map(browser, live_server)
    try:
        assert seen["tiles"] == []  # offline by default: nothing from outside the app
        drawn = page.evaluate("""() => GS_MAP.features("reference_rivers").map(l => {
            const box = l._path.getBBox();
            return {name: l.feature.properties.name, w: box.width, h: box.height,
                    stroke: l._path.getAttribute("stroke")};
        })""")
        han = [r for r in drawn if r["name"] == "汉江"]
        assert len(han) == 1 and han[0]["w"] > 300, drawn  # across the city at zoom ~8
        assert all(r["stroke"] == "#5b8fc7" for r in drawn)
        labels = page.locator("textPath").evaluate_all(
            "nodes => nodes.map(n => n.textContent).filter(t => t.includes('汉江'))"
        )
        assert labels, "no 汉江 label along the river"
        assert page.evaluate("() => GS_MAP.reference.labelled") == ["汉江"]
        credit = page.locator(".leaflet-control-attribution")
        assert "河流 © GSHHG 2.3.6（LGPL-3.0）" in credit.inner_text()
        assert page.locator(".leaflet-control-scale").is_visible()

        def order() -> dict:
            return page.evaluate("""() => {
                const paths = [...document.querySelectorAll("path.leaflet-interactive")];
                const at = id => GS_MAP.features(id).map(l => paths.indexOf(l._path));
                const c = at("counties"), r = at("reference_rivers"), z = at("zones");
                return {counties: Math.max(...c), riversMin: Math.min(...r),
                        riversMax: Math.max(...r), zones: Math.min(...z)};
            }""")

        def below_plan(o: dict) -> bool:
            return o["counties"] < o["riversMin"] and o["riversMax"] < o["zones"]

        assert below_plan(order()), order()
        # switched off and on again (rivers, then the counties): still county fill < rivers <
        # plan layers, and the credit goes and comes with the layer
        choose(page, "参考底图·主要河流")
        assert "GSHHG" not in credit.inner_text()
        choose(page, "参考底图·主要河流")
        choose(page, "县级行政区")
        choose(page, "县级行政区")
        assert below_plan(order()), order()
        assert "GSHHG" in credit.inner_text()
        assert seen["errors"] == [] and seen["tiles"] == []
    finally:
        page.context.close()


@pytest.fixture(scope="module")
def tianditu_server():
    env = {"GEO_SERVICE_BASEMAPS": "tianditu", "GEO_SERVICE_TIANDITU_KEY": KEY}
    with running_service(env) as url:
        yield url


def tile_layers(urls: list[str]) -> set[str]:
    """The 天地图 layers (vec, cva, img, cia) of the tile requests, checking each URL."""
    found = set()
    for url in urls:
        parts = urlsplit(url)
        assert re.fullmatch(r"t[0-7]\.tianditu\.gov\.cn", parts.netloc), url
        query = parse_qs(parts.query)
        layer = query["LAYER"][0]
        assert parts.path == f"/{layer}_w/wmts", url
        assert query["TILEMATRIXSET"] == ["w"] and query["SERVICE"] == ["WMTS"], url
        assert query["tk"] == [KEY], url  # the key arrives whole, as one value
        assert {"TILEMATRIX", "TILEROW", "TILECOL"} <= set(query), url
        found.add(layer)
    return found


def test_tianditu_vector_and_imagery_switch_with_their_annotation(browser, tianditu_server):
    page, seen = open_map(browser, tianditu_server)
    try:
        assert seen["errors"] == []  # a key with quotes and </script> broke nothing
        assert seen["tiles"] == []  # offered, not loaded, until chosen
        credit = page.locator(".leaflet-control-attribution")
        choose(page, "天地图·矢量（含注记）")
        page.wait_for_function("() => document.querySelectorAll('img.leaflet-tile').length > 0")
        page.wait_for_timeout(300)
        assert tile_layers(seen["tiles"]) == {"vec", "cva"}
        hosts = {urlsplit(u).netloc for u in seen["tiles"]}
        assert len(hosts) > 1  # rotating over t0 … t7
        assert "© 天地图 / 国家地理信息公共服务平台" in credit.inner_text()
        # the annotation is drawn over its base
        z = page.evaluate("""() => [...document.querySelectorAll(".leaflet-tile-container")]
            .map(c => [c.parentElement.style.zIndex,
                       (c.querySelector("img") || {}).src || ""])
            .filter(([_, src]) => src).map(([z, src]) => [Number(z), /LAYER=(\\w+)/.exec(src)[1]])
        """)
        assert max(zi for zi, layer in z if layer == "cva") > max(zi for zi, la in z if la == "vec")

        seen["tiles"].clear()
        choose(page, "天地图·影像（含注记）")
        page.wait_for_timeout(500)
        assert tile_layers(seen["tiles"]) == {"img", "cia"}
        shown = page.evaluate("""() => [...document.querySelectorAll("img.leaflet-tile")]
            .map(i => /LAYER=(\\w+)/.exec(i.src)[1])""")
        assert set(shown) == {"img", "cia"}  # 矢量 and its 注记 went off together

        seen["tiles"].clear()
        choose(page, "不用在线底图（离线）")
        page.wait_for_timeout(300)
        assert page.locator("img.leaflet-tile").count() == 0 and seen["tiles"] == []
        assert "天地图" not in credit.inner_text()
        # the reference layer stays on whatever the base
        assert page.evaluate("() => GS_MAP.features('reference_rivers').length") >= 1
        assert seen["errors"] == []
    finally:
        page.context.close()
