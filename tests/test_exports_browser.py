"""Exports seen from a browser: the offline map file, and "export what I see"."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

pytestmark = pytest.mark.browser


def without_scripts(html: str) -> str:
    return re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S)


def test_standalone_map_works_offline_from_disk(client, browser, tmp_path):
    response = client.get("/export/map.html")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=\"ankang-map.html\"; filename*=UTF-8''")
    assert "%E5%9C%B0%E5%9B%BE.html" in disposition  # …地图.html (RFC 6266 filename*)
    html = response.get_data(as_text=True)
    references = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", without_scripts(html))
    outside = [r for r in references if not r.startswith(("data:", "#"))]
    assert outside == [], outside
    assert "url(/" not in html and "/static/" not in without_scripts(html)
    path = tmp_path / "ankang-map.html"
    path.write_text(html, encoding="utf-8")

    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_offline(True)
    requests, errors = [], []
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(("file:", "data:"))
            else (requests.append(route.request.url), route.abort())
        ),
    )
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    try:
        page.goto(path.as_uri())
        page.wait_for_selector("body[data-map-ready]", timeout=10_000)
        assert requests == [] and errors == []
        assert page.evaluate("GS_MAP.features('counties').length") == 10
        assert page.locator("path.leaflet-interactive").count() >= 26
        assert page.locator(".gs-legend .gs-legend-layer").count() >= 7
        assert page.locator(".gs-export").count() == 0  # needs the service: removed offline
        assert "离线版地图" in page.locator(".gs-offline-note").inner_text()
        point = page.evaluate("""() => {
            const l = GS_MAP.features("counties").find(f => f.feature.properties.name === "宁陕县");
            const p = GS_MAP.map.latLngToContainerPoint(l.getCenter());
            const box = GS_MAP.map.getContainer().getBoundingClientRect();
            return {x: box.left + p.x, y: box.top + p.y};
        }""")
        page.mouse.click(point["x"], point["y"])
        page.locator(".leaflet-popup-content").wait_for(timeout=5000)
        assert "宁陕县" in page.locator(".leaflet-popup-content").inner_text()
        page.select_option("#gs-cluster", "tea")
        assert "紫阳县" in page.locator("#gs-cluster-info").inner_text()
    finally:
        context.close()


def test_export_what_i_see(browser, live_server):
    from test_browser import open_map

    visit = open_map(browser, live_server)
    page = visit.page
    try:
        # Leaflet ignores setView while the opening fitBounds is still animating
        page.wait_for_function("() => !GS_MAP.map._animatingZoom")
        page.evaluate("GS_MAP.map.setView([32.72, 109.0], 11, {animate: false})")
        page.evaluate("GS_MAP.map.removeLayer(GS_MAP.layers.enclave_links)")
        page.fill("#gs-export-title", "恒口示范区周边")
        with page.expect_popup() as popup:
            page.click("#gs-export-png")
        snapshot = popup.value
        snapshot.wait_for_load_state()
        url = urlparse(snapshot.url)
        query = parse_qs(url.query)
        assert url.path == "/api/snapshot" and query["format"] == ["png"]
        layers = query["layers"][0].split(",")
        assert "enclave_links" not in layers and "counties" in layers
        assert "clusters" not in layers  # off on the map, so off in the snapshot
        bounds = page.evaluate("GS_MAP.map.getBounds().toBBoxString()").split(",")
        asked = [float(v) for v in query["bbox"][0].split(",")]
        assert asked == pytest.approx([float(v) for v in bounds], abs=1e-5)
        assert asked[2] - asked[0] < 1.0  # the zoomed view, not the whole city (3.5°)
        assert query["title"] == ["恒口示范区周边"]
        response = page.request.get(snapshot.url)
        assert response.status == 200 and response.headers["content-type"] == "image/png"
        assert visit.errors == []
    finally:
        page.context.close()
