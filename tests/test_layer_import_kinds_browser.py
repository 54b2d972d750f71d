"""The import page for a point layer in a real headless Chromium (zh-CN): a planner uploads
the logistics nodes with one moved 100 m and one new, sees the move in metres in the table
and the points drawn as circles (moved orange, new green), confirms, and items serve them."""

from __future__ import annotations

import json
import os
import tempfile
import urllib.request
from pathlib import Path

import pytest
from conftest import dbs
from test_layer_import_browser import PASSWORD, log_in
from test_layer_import_kinds import as_geojson, nodes_moved

from geo_service import create_app
from geo_service.config import REPO_ROOT
from geo_service.testing import running_service

pytestmark = pytest.mark.browser
SHOT = REPO_ROOT / "docs" / "screenshots" / "import_points.png"


@pytest.fixture(scope="module")
def server():
    with tempfile.TemporaryDirectory(prefix="geo_service-import-points-") as folder:
        config = {**dbs(Path(folder)), "AUTH": "local"}
        app = create_app({"TESTING": True, **config})
        app.extensions["geo_service.auth"].add_user("planner1", "planner", PASSWORD)
        env = {f"GEO_SERVICE_{k}": v for k, v in config.items()}
        with running_service(env) as url:
            yield url


def test_a_planner_imports_moved_logistics_nodes_from_the_page(browser, server, tmp_path):
    url = server
    upload = tmp_path / "物流节点.geojson"
    upload.write_bytes(as_geojson(nodes_moved()))
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        log_in(page, url, "planner1")
        page.goto(url + "/collections/logistics_nodes?f=html")
        link = page.get_by_role("link", name="导入官方数据（规划）")
        link.wait_for(state="visible")
        link.click()
        page.wait_for_selector("body[data-import-ready]")
        assert page.inner_text("h1").startswith("导入点位")
        assert "移动距离(米)" in page.inner_text("#gs-import-table thead")
        page.set_input_files("#gs-import-file", str(upload))
        page.click("#gs-import-dry")
        page.wait_for_selector("#gs-import-result:not([hidden])")
        summary = page.inner_text("#gs-import-summary")
        assert "新增 1，删除 0，移动 1" in summary and "km²" not in summary
        rows = page.locator("#gs-import-table tbody tr").all_inner_texts()
        moved = [r for r in rows if "hub-central" in r]
        assert len(moved) == 1 and "100.0" in moved[0] and moved[0].startswith("移动\t"), rows
        # every node a circle: 15 new (1 added green, 1 moved orange) + the moved one's old place
        assert page.locator("path.leaflet-interactive").count() >= 16
        assert page.locator('path[stroke="#1a9850"]').count() == 1
        assert page.locator('path[stroke="#e08214"]').count() == 2  # new place, old dashed
        page.locator("#gs-import-table tbody tr", has_text="hub-central").first.click()
        page.wait_for_timeout(400)
        if os.environ.get("GEO_SERVICE_SHOTS") == "1":  # the README's picture
            page.screenshot(path=str(SHOT))
        page.click("#gs-import-commit")
        page.wait_for_selector("#gs-import-done:not([hidden])")
        assert "已写入第 2 版（15 个要素，planner1" in page.inner_text("#gs-import-done")
        assert errors == [], errors
    finally:
        context.close()
    with urllib.request.urlopen(url + "/collections/logistics_nodes/items?f=json") as answer:
        served = {f["id"]: f["properties"] for f in json.load(answer)["features"]}
    assert served["node-new"]["name"] == "新建物流园（恒口）"
