"""The versions pages in a real headless Chromium: the diff map of two versions, drawn offline
with added green, removed red dashed, changed orange; names shown as text; revert from the page."""

from __future__ import annotations

import copy
import os
import tempfile
from pathlib import Path

import pytest
import shapely
from shapely.geometry import mapping, shape

from geo_service import create_app
from geo_service.config import REPO_ROOT
from geo_service.testing import running_service
from geo_service.versions import commit_version

pytestmark = pytest.mark.browser
#: The README's picture is refreshed with GEO_SERVICE_SHOTS=1; otherwise a scratch file.
SHOT = (
    REPO_ROOT / "docs" / "screenshots" / "versions.png"
    if os.environ.get("GEO_SERVICE_SHOTS") == "1"
    else Path(tempfile.gettempdir()) / "geo_service-versions.png"
)
LIST_SHOT = Path(tempfile.gettempdir()) / "geo_service-versions-list.png"
EVIL = "扩区后 <img src=x onerror=alert(1)>"


def lists(geometry) -> dict:
    import json

    return json.loads(json.dumps(mapping(geometry)))


@pytest.fixture(scope="module")
def server():
    """A served install whose zones have a version 2: one zone grown, one renamed, one
    removed, one added."""
    with tempfile.TemporaryDirectory(prefix="geo_service-versions-") as folder:
        config = {
            "AUTH": "none",
            "AUTH_DB": f"{folder}/auth.sqlite",
            "CHECKS_DB": f"{folder}/checks.sqlite",
            "ACTUALS_DB": f"{folder}/actuals.sqlite",
        }
        app = create_app({"TESTING": True, **config})
        catalog = app.extensions["geo_service.catalog"]
        features = copy.deepcopy(catalog.get("zones").features)
        grown = next(f for f in features if f["id"] == "ankang-hitech")
        grown["geometry"] = lists(shape(grown["geometry"]).buffer(0.02))
        grown["properties"]["name"] = EVIL
        removed = features.pop(3)
        added = copy.deepcopy(features[1])
        added["id"] = "zone-new"
        added["properties"]["name"] = "新增园区"
        added["geometry"] = lists(shapely.Point(109.35, 32.6).buffer(0.03))
        features.append(added)
        commit_version(
            app.extensions["geo_service.store"],
            catalog,
            "zones",
            features,
            user="规划科",
            message="2026 年边界调整",
            source_name="边界.geojson",
            source_sha256="c" * 64,
            based_on=1,
        )
        env = {f"GEO_SERVICE_{k}": v for k, v in config.items()}
        with running_service(env) as url:
            yield url, removed


def test_the_diff_map_draws_two_versions_offline_and_reverts(browser, server):
    url, removed = server
    context = browser.new_context(viewport={"width": 1300, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    try:
        page.goto(f"{url}/collections/zones/versions?f=html")
        rows = page.locator("#gs-versions tbody tr")
        assert rows.count() == 2
        assert "2026 年边界调整" in rows.first.inner_text() and "规划科" in rows.first.inner_text()
        page.select_option("#gs-against", "1")
        page.select_option("#gs-number", "2")
        page.click("#gs-compare button")
        page.wait_for_selector("#gs-version-map[data-ready]", timeout=15_000)
        assert "/collections/zones/versions/2?" in page.url and "against=1" in page.url
        counts = page.locator("#gs-diff-counts").inner_text()
        assert "新增 1 个、删除 1 个、修改 1 个" in counts
        # the names are text: the markup in a zone's name is shown, never run
        changed = page.locator("#gs-changed tbody tr").first.inner_text()
        assert EVIL in changed and page.locator("#gs-changed img").count() == 0
        paths = page.evaluate(
            """() => Array.from(
                  document.querySelectorAll('#gs-version-map path.leaflet-interactive'))
                .map(p => [p.getAttribute('stroke'), p.getAttribute('stroke-dasharray')])"""
        )
        strokes = [p[0] for p in paths]
        assert "#1a9850" in strokes  # added, green
        assert ["#d73027", "8 6"] in paths  # removed, red dashed
        assert strokes.count("#f46d43") == 2  # changed: the new outline and the old (dashed)
        assert strokes.count("#888888") == 16 - 2  # the unchanged zones
        # a popup of the changed zone shows its name as text
        page.evaluate(
            """() => { const map = window.gsVersionMap; let done = false;
                map.eachLayer(l => {
                  if (!done && l.feature && l.feature.properties.kind === 'changed') {
                    l.openPopup(); done = true; } }); }"""
        )
        popup = page.locator(".leaflet-popup-content")
        assert EVIL in popup.inner_text() and popup.locator("img").count() == 0
        page.wait_for_timeout(400)  # the popup's fade-in
        SHOT.parent.mkdir(parents=True, exist_ok=True)
        page.locator("#gs-diff-title").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOT), full_page=False)
        assert removed["properties"]["name"] in page.locator("#gs-removed").inner_text()

        # revert to version 1 from the list
        page.goto(f"{url}/collections/zones/versions?f=html")
        page.screenshot(path=str(LIST_SHOT))
        form = page.locator("#gs-versions tr[data-number='1'] form.gs-revert")
        form.locator("input[name=message]").fill("撤销调整")
        form.locator("button").click()
        page.wait_for_selector("#gs-version-map[data-ready]", timeout=15_000)
        assert page.url.endswith("/collections/zones/versions/3?f=html")
        heading = page.locator("h1").inner_text()
        assert "第 3 版" in heading and "当前" in heading
        assert "恢复为第 1 版：撤销调整" in page.locator("#gs-version-meta").inner_text()
        assert not errors, errors
        assert all(r.startswith(url) for r in requests), [
            r for r in requests if not r.startswith(url)
        ]
    finally:
        context.close()
    assert Path(SHOT).stat().st_size > 10_000
