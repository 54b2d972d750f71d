"""The /rechecks page in Chromium (zh-CN): start a re-check, follow it to its counts, open the
printable summary with its map; nothing unreadable, no script error."""

from __future__ import annotations

import os

import pytest
from land_fixtures import ZONE_SHAPES
from test_browser import open_page
from test_desk_pages import assert_readable
from test_recheck import V3_SHAPES, check_now, commit_zones

from geo_service import create_app
from geo_service.config import REPO_ROOT
from geo_service.testing import running_service

pytestmark = pytest.mark.browser
#: The README's picture of the summary is refreshed with GEO_SERVICE_SHOTS=1.
README_SHOT = REPO_ROOT / "docs" / "screenshots" / "recheck.png"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A service whose register holds one check made on zones version 2, and a version 3."""
    folder = tmp_path_factory.mktemp("recheck-browser")
    env = {
        "GEO_SERVICE_AUTH_DB": str(folder / "auth.sqlite"),
        "GEO_SERVICE_CHECKS_DB": str(folder / "checks.sqlite"),
        "GEO_SERVICE_ACTUALS_DB": str(folder / "actuals.sqlite"),
    }
    app = create_app(
        {
            "TESTING": True,
            "AUTH": "none",
            **{key.removeprefix("GEO_SERVICE_"): value for key, value in env.items()},
        }
    )
    commit_zones(app, ZONE_SHAPES, "区界 A、B")
    check_now(app)
    commit_zones(app, V3_SHAPES, "A 缩小、B 扩大、新增 C")
    with running_service(env) as url:
        yield url


def test_start_a_recheck_and_read_its_summary(browser, served, tmp_path):
    visit = open_page(browser, served, "/rechecks", "#gs-recheck-form")
    page = visit.page
    try:
        options = page.locator("#gs-recheck-version option").all_inner_texts()
        assert options[0].startswith("第 3 版") and "（当前）" in options[0]
        page.fill("#gs-recheck-since", "2020-01-01")
        page.click("#gs-recheck-start")
        page.wait_for_selector("#gs-recheck-result:not([hidden])", timeout=60_000)
        text = page.locator("#gs-recheck-result").inner_text()
        assert "4 个地块有变化" in text and "区内 → 部分在区内：1 个地块，其中 1 个有变化" in text
        first = page.locator("#gs-recheck-list tbody tr").first.inner_text()
        assert "完成" in first and "第 3 版" in first and "北京时间" in first, first
        assert_readable(page)
        page.screenshot(path=str(tmp_path / "rechecks.png"), full_page=True)
        with page.expect_navigation():
            page.click("text=重新检查汇总（可打印）")
        page.wait_for_selector("svg.gs-recheck-map")
        assert page.locator("svg.gs-recheck-map path.gs-changed").count() == 4
        assert page.locator(".gs-changed-table tbody tr").count() == 4
        assert_readable(page)
        page.screenshot(path=str(tmp_path / "recheck-summary.png"), full_page=True)
        if os.environ.get("GEO_SERVICE_SHOTS") == "1":
            page.set_viewport_size({"width": 900, "height": 900})
            page.locator("svg.gs-recheck-map").scroll_into_view_if_needed()
            page.screenshot(path=str(README_SHOT), clip=section_box(page))
        assert [e for e in visit.errors if "status of 4" not in e] == []
    finally:
        page.context.close()


def section_box(page) -> dict:
    """The summary from its counts to the end of the map (the README's picture)."""
    top = page.locator("h2", has_text="结果统计").bounding_box()
    figure = page.locator("figure.gs-report-figure").bounding_box()
    left = min(top["x"], figure["x"]) - 12
    return {
        "x": left,
        "y": top["y"] - 8,
        "width": max(top["width"], figure["width"]) + 24,
        "height": figure["y"] + figure["height"] - top["y"] + 16,
    }
