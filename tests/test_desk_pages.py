"""Issue 11 at the desk: /analysis and /check as a planner and a clerk read them (Chromium).

Every visit fails on a JS error and on "null", "undefined" or "NaN" shown to a person.
"""

from __future__ import annotations

import re

import pytest
from conftest import LAYERS_DIR
from test_browser import open_page

from geo_service.testing import running_service

pytestmark = pytest.mark.browser

NOT_FOR_PEOPLE = re.compile(r"\b(null|undefined|NaN)\b|（null）")


@pytest.fixture(scope="module")
def own_server():
    """A service of this module's own: the imports here must not reach other tests' pages."""
    with running_service() as url:
        yield url


def shown_text(page) -> str:
    """What a person sees: the side panel, the table and the map's controls and popups."""
    return page.evaluate("() => document.body.innerText")


def assert_readable(page):
    text = shown_text(page)
    found = NOT_FOR_PEOPLE.findall(text)
    assert not found, f"shown to a person: {found}"


def legend_text(page) -> str:
    return page.evaluate("() => GS_ANALYSIS_PAGE.legend.innerText")


def test_analysis_tabs_read_as_a_planner_reads_them(browser, own_server):
    visit = open_page(browser, own_server, "/analysis", "body[data-analysis-ready]")
    page = visit.page
    try:
        # coverage: a legend for the county colours, a matrix with columns wider than a glyph
        assert "县区承载的集群数" in legend_text(page) and "园区" in legend_text(page)
        widths = page.evaluate(
            "() => Array.from(document.querySelectorAll('#gs-an-matrix th'))"
            ".map(th => th.offsetWidth)"
        )
        assert len(widths) == 12 and min(widths[2:]) >= 40  # four characters, not one
        assert (
            page.evaluate(
                "() => getComputedStyle("
                "document.querySelector('#gs-an-matrix').parentNode).overflowX"
            )
            == "auto"
        )
        assert "县区承载某集群" in page.locator("#gs-an-coverage-none").inner_text()
        assert page.locator("#gs-an-matrix th").nth(2).get_attribute("title") == "富硒食品产业集群"
        page.select_option("#gs-an-cluster", "tea")
        assert "承载该集群的县区" in legend_text(page)
        assert_readable(page)

        page.click("button[data-tab=reach]")
        assert "0–10 km" in legend_text(page) and "30–60 km" in legend_text(page)
        note = page.locator("#gs-an-reach-note").inner_text()
        assert note.startswith("方法：在 EPSG:4545") and "有参考意义的是到一心的距离" in note
        assert_readable(page)

        page.click("button[data-tab=enclaves]")
        assert "检查通过" in legend_text(page)
        assert "飞地联系为示意" in page.locator("#gs-an-enclave-model").inner_text()
        assert_readable(page)

        # targets before any figures: no "（null）", a year list, 无数据 in grey, not a red 否
        page.click("button[data-tab=targets]")
        targets = page.locator("#gs-an-targets").inner_text()
        assert "null" not in targets and "否" not in targets
        flags = page.locator("#gs-an-targets tr td:nth-child(4) span")
        assert set(flags.all_inner_texts()) == {"无数据"}
        assert page.locator("#gs-an-targets .gs-unmet").count() == 0
        assert page.locator("#gs-an-targets .gs-nodata").count() == flags.count()
        years = page.locator("#gs-an-year option").all_inner_texts()
        assert years[0] == "（尚无实际数据）" and "2021 年（无数据）" in years
        assert "尚未导入实际数据" in legend_text(page)
        assert "集中区合计只加总有数据的集中区" in page.locator("#gs-an-targets-note").inner_text()
        assert_readable(page)

        # a bad import: problems by line, in Chinese
        bad = "年份,类型,编号,指标,数值\n20x1,zone,ankang-hitech,revenue_yi,5\n"
        page.set_input_files(
            "#gs-an-file",
            files=[{"name": "坏数据.csv", "mimeType": "text/csv", "buffer": bad.encode()}],
        )
        page.click("#gs-an-import button")
        page.wait_for_function("() => GS_ANALYSIS_PAGE.state.importError !== undefined")
        result = page.locator("#gs-an-import-result").inner_text()
        assert "有 1 处问题，未导入任何数据" in result and "第 2 行：年份 '20x1' 不是年份" in result

        page.set_input_files(
            "#gs-an-file", str(LAYERS_DIR / "src" / "samples" / "actuals_sample.csv")
        )
        page.click("#gs-an-import button")
        page.wait_for_function("() => GS_ANALYSIS_PAGE.state.imported !== undefined")
        page.wait_for_selector("#gs-an-sample:not([hidden])")
        first = page.locator("#gs-an-targets tr").nth(1).inner_text()
        assert "（2020 年数据）" in first
        assert "2021 年" in page.locator("#gs-an-year option").all_inner_texts()
        assert "前五名" in legend_text(page) and "尚未导入" not in legend_text(page)
        assert_readable(page)
        assert [e for e in visit.errors if "422" not in e] == [] and visit.outside == []
        assert [f for f in visit.failed if not f.startswith("422 ")] == []
    finally:
        page.context.close()
