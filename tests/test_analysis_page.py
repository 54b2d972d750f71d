"""The /analysis page in headless Chromium."""

from __future__ import annotations

import pytest
from conftest import LAYERS_DIR
from test_browser import open_page

pytestmark = pytest.mark.browser


def test_analysis_page(browser, live_server):
    visit = open_page(browser, live_server, "/analysis", "body[data-analysis-ready]")
    page = visit.page
    try:
        fills = page.evaluate("""() => {
            const out = {};
            GS_ANALYSIS_PAGE.map.eachLayer(l => { if (l.feature && l.feature.properties.adcode) {
                out[l.feature.properties.name] = l.options.fillColor; } });
            return out;
        }""")
        assert fills["汉滨区"] == "#08306b" and fills["宁陕县"] == "#deebf7"  # 9 and 1 clusters
        assert page.locator("#gs-an-matrix tr").count() == 11
        page.select_option("#gs-an-cluster", "tea")
        hosts = page.evaluate("""() => {
            const out = [];
            GS_ANALYSIS_PAGE.map.eachLayer(l => { if (l.feature && l.feature.properties.adcode &&
                l.options.fillColor === "#fdae61") { out.push(l.feature.properties.name); } });
            return out.sort();
        }""")
        assert hosts == sorted(["紫阳县", "平利县", "汉滨区", "岚皋县", "白河县"])

        page.click("button[data-tab=reach]")
        assert page.locator("#gs-an-reach tr").count() == 1 + 16 + 7
        assert "镇坪县县域工业集中区" in page.locator("#gs-an-reach-out").inner_text()

        page.click("button[data-tab=enclaves]")
        assert page.locator("svg textPath").count() >= 5
        assert "白河县" in page.locator("#gs-an-enclaves").inner_text()

        page.click("button[data-tab=targets]")
        assert page.locator("#gs-an-sample").is_hidden()
        page.set_input_files(
            "#gs-an-file", str(LAYERS_DIR / "src" / "samples" / "actuals_sample.csv")
        )
        page.click("#gs-an-import button")
        page.wait_for_function("() => GS_ANALYSIS_PAGE.state.imported !== undefined")
        page.wait_for_selector("#gs-an-sample:not([hidden])")
        assert "样例数据" in page.locator("#gs-an-sample").inner_text()
        assert page.locator("#gs-an-ranking li.gs-met").count() == 5
        links = page.locator("#gs-an-downloads a").all_inner_texts()
        assert links == ["CSV", "XLSX"]
        assert visit.errors == [] and visit.failed == [] and visit.outside == []
    finally:
        page.context.close()
