"""The import page in a real headless Chromium (zh-CN), as a planner uses it: log in, upload
a GBK Shapefile zip, see the fields chosen, the problems and the diff on the offline map
(added green), confirm, and the map and the API then serve the new zones."""

from __future__ import annotations

import json
import tempfile
import urllib.request
from pathlib import Path

import pytest
from conftest import dbs
from layer_import_files import NAMES, shapefile_zip

from geo_service import create_app
from geo_service.config import REPO_ROOT
from geo_service.testing import running_service

pytestmark = pytest.mark.browser
SHOT = REPO_ROOT / "docs" / "screenshots" / "import.png"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def server():
    with tempfile.TemporaryDirectory(prefix="geo_service-import-") as folder:
        config = {**dbs(Path(folder)), "AUTH": "local"}
        app = create_app({"TESTING": True, **config})
        app.extensions["geo_service.auth"].add_user("planner1", "planner", PASSWORD)
        app.extensions["geo_service.auth"].add_user("viewer1", "viewer", PASSWORD)
        env = {f"GEO_SERVICE_{k}": v for k, v in config.items()}
        with running_service(env) as url:
            yield url, Path(folder)


def log_in(page, url: str, name: str) -> None:
    page.goto(url + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state("networkidle")


def test_a_planner_imports_a_gbk_shapefile_from_the_page(browser, server, tmp_path):
    url, _ = server
    upload = tmp_path / "园区边界.zip"
    upload.write_bytes(shapefile_zip(tmp_path))
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    errors, outside = [], []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(url) else None)
    try:
        log_in(page, url, "planner1")
        page.goto(url + "/")
        page.wait_for_selector("#gs-import-link", state="visible")
        page.click("#gs-import-link")
        page.wait_for_selector("body[data-import-ready]")
        page.set_input_files("#gs-import-file", str(upload))
        page.fill("input[name=message]", "2024 年批复边界 <b>")
        page.click("#gs-import-dry")
        page.wait_for_selector("#gs-import-result:not([hidden])")
        summary = page.inner_text("#gs-import-summary")
        assert "YQDM（自动识别）" in summary and "YQMC（自动识别）" in summary
        assert "新增 2，删除 0" in summary and "园区边界.zip" in summary
        rows = page.locator("#gs-import-table tbody tr")
        added = [r for r in rows.all_inner_texts() if r.startswith("新增")]
        assert len(added) == 2 and any(NAMES["Z-2"] in r for r in added), added
        # drawn in green on the map; the name with markup stays text
        assert page.locator('path[stroke="#1a9850"]').count() == 2
        assert page.locator("#gs-import-table b").count() == 0
        assert page.locator("#gs-import-problems li").count() >= 1
        assert page.is_enabled("#gs-import-commit")
        page.locator("#gs-import-table tbody tr", has_text="Z-1").first.click()
        page.wait_for_timeout(400)
        page.screenshot(path=str(SHOT))
        page.click("#gs-import-commit")
        page.wait_for_selector("#gs-import-done:not([hidden])")
        assert "已写入第 2 版（18 个要素，planner1" in page.inner_text("#gs-import-done")
        assert errors == [], errors
        assert outside == [], f"the page loads nothing from outside: {outside}"
    finally:
        context.close()
    with urllib.request.urlopen(url + "/collections/zones/items?f=json&limit=100") as answer:
        items = json.load(answer)["features"]
    served = {f["id"]: f["properties"] for f in items}
    assert served["Z-2"]["name"] == NAMES["Z-2"] and served["Z-2"]["precision"] == "surveyed"
    assert served["Z-1"]["批准文号"] == "陕政函〔2019〕1号"
    request = urllib.request.Request(url + "/", headers={"Accept": "text/html"})
    with urllib.request.urlopen(request) as answer:
        html = answer.read().decode()
    assert json.dumps(NAMES["Z-1"])[1:-1] in html, "the map draws the new zone"


def test_a_viewer_gets_no_link_and_no_page(browser, server):
    url, _ = server
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    try:
        log_in(page, url, "viewer1")
        page.goto(url + "/")
        page.wait_for_load_state("networkidle")
        assert page.locator("#gs-import-link").is_hidden()
        answer = page.goto(url + "/collections/zones/import")
        assert answer.status == 403 and "planner" in page.inner_text("body")
    finally:
        context.close()
