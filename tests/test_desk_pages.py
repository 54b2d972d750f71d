"""Issue 11 at the desk: /analysis and /check as a planner and a clerk read them (Chromium).

Every visit fails on a JS error and on "null", "undefined" or "NaN" shown to a person.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import shapely
from conftest import LAYERS_DIR
from land_fixtures import PARCEL_SHAPES, collection, named_crs_collection, shifted
from shapely.geometry import box
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


#: Text nodes with two Latin words and no Chinese, neither in them nor around them.
ENGLISH_ONLY = r"""() => {
    const cjk = /[\u4e00-\u9fff]/, out = [];
    const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walk.nextNode())) {
        const text = node.textContent.trim(), parent = node.parentElement;
        if (!text || parent.closest("script, style, [hidden]") || !parent.offsetParent) continue;
        // code, commands and JSON are literals, and text marked as English (an English name) is
        // English by intent: neither is a sentence left untranslated
        if (parent.closest("code, pre, kbd, samp, [lang^=en], [translate=no]")) continue;
        if (cjk.test(text) || !/[A-Za-z]{2,}\S*\s+\S*[A-Za-z]{2,}/.test(text)) continue;
        if (cjk.test(parent.textContent)) continue;  // an English gloss after the Chinese
        const inline = /^(SMALL|SPAN|B|I|EM)$/.test(parent.tagName) && parent.parentElement;
        if (inline && cjk.test(inline.textContent)) continue;  // <h1>中文 <small>English</small>
        out.push(text);
    }
    return out;
}"""


def assert_readable(page):
    text = shown_text(page)
    found = NOT_FOR_PEOPLE.findall(text)
    assert not found, f"shown to a person: {found}"
    english = page.evaluate(ENGLISH_ONLY)
    assert english == [], f"English only: {english}"


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
        page.fill("#gs-an-bands", "10,abc")
        page.click("#gs-an-bands-go")
        page.wait_for_function("() => GS_ANALYSIS_PAGE.state.reachError")
        note = page.locator("#gs-an-reach-note").inner_text()
        assert note.startswith("距离带有误：bands=10,abc：请写公里数，用逗号分隔")
        assert page.locator("#gs-an-reach tr").count() == 0
        assert_readable(page)
        page.fill("#gs-an-bands", "20,50")
        page.click("#gs-an-bands-go")
        page.wait_for_function("() => GS_ANALYSIS_PAGE.state.reachError === null")
        assert "20–50 km" in legend_text(page) and page.locator("#gs-an-reach tr").count() == 24

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
        assert result.startswith("坏数据.csv：共 1 处问题，未导入任何数据")
        assert result.count("第 2 行：年份“20x1”不是年份") == 1, "each problem is shown once"
        two = bad + "2021,zone,nope,revenue_yi,5\n"
        page.set_input_files(
            "#gs-an-file",
            files=[{"name": "坏数据.csv", "mimeType": "text/csv", "buffer": two.encode()}],
        )
        page.evaluate("() => { GS_ANALYSIS_PAGE.state.importError = undefined; }")
        page.click("#gs-an-import button")
        page.wait_for_function("() => GS_ANALYSIS_PAGE.state.importError !== undefined")
        result = page.locator("#gs-an-import-result").inner_text()
        assert result.count("第 2 行：年份“20x1”不是年份") == 1
        assert result.count("第 3 行：地图上没有编号为“nope”的集中区") == 1

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
        # the refused imports (422) and band lists (400) are the only failed requests
        assert [e for e in visit.errors if "422" not in e and "400" not in e] == []
        assert [f for f in visit.failed if not f.startswith(("422 ", "400 "))] == []
        assert visit.outside == []
    finally:
        page.context.close()


# ---- /check ------------------------------------------------------------------------------------


def attributed_parcels() -> bytes:
    """A 1 ha parcel with the bureau's fields, and a 1 m² one 4 km away (a speck when fitted)."""
    big, speck = box(100, 100, 200, 200), box(4000, 3000, 4001, 3001)
    features = [
        {
            "type": "Feature",
            "properties": {"地块编号": key, "地块名称": name, "地块用途": use, "图幅号": "I-49"},
            "geometry": json.loads(shapely.to_geojson(shifted(shape, 36))),
        }
        for key, name, use, shape in (
            ("HY-1", "恒口一号地块", "工业用地", big),
            ("HY-2", "恒口二号地块", "仓储用地", speck),
        )
    ]
    return named_crs_collection(features)


def column(page, cls: str) -> list[str]:
    return page.locator(f"#gs-table tbody td.{cls}").all_inner_texts()


def summary_of(page) -> str:
    return page.locator("#gs-summary").inner_text()


def test_check_page_names_its_file_leads_to_parcels_and_clears_on_error(
    browser, own_server, tmp_path
):
    visit = open_page(browser, own_server, "/check", "body[data-check-ready]")
    page = visit.page
    try:
        tools = page.locator(".leaflet-draw a").evaluate_all("els => els.map(e => e.title)")
        assert tools == ["绘制多边形地块", "绘制矩形地块", "没有可编辑的地块", "没有可删除的地块"]
        first = tmp_path / "恒口地块.geojson"
        first.write_bytes(attributed_parcels())
        page.set_input_files("#gs-file", str(first))
        page.click("#gs-submit")
        page.wait_for_selector("body[data-check-shown]", timeout=15_000)
        check = page.evaluate("GS_CHECK_PAGE.state.check")
        summary = summary_of(page)
        digest = hashlib.sha256(first.read_bytes()).hexdigest()
        assert "文件：恒口地块.geojson" in summary
        assert f"文件 SHA-256：{digest[:12]}…" in summary
        assert check["zones"]["sha256"][:12] in summary and "本服务园区图层" in summary
        assert f"园区数据版本：{check['dataset_version']}" in summary
        beijing = datetime.fromisoformat(check["created_at"]).astimezone(ZoneInfo("Asia/Shanghai"))
        assert f"检查时间：{beijing:%Y-%m-%d %H:%M:%S}（北京时间 UTC+8）" in summary
        shown = f"{beijing:%Y-%m-%d %H:%M:%S}（北京时间 UTC+8）"
        page.locator("#gs-register li", has_text=shown).first.wait_for()
        assert column(page, "gs-col-id") == ["HY-1", "HY-2"]
        if check["parcels"][0].get("name"):  # records with name and attributes (issue 11)
            assert column(page, "gs-col-name") == ["恒口一号地块", "恒口二号地块"]
        else:
            assert page.locator("#gs-table th.gs-col-name").count() == 0
        if check["parcels"][0].get("attributes", {}).get("地块用途"):
            assert column(page, "gs-col-use") == ["工业用地", "仓储用地"]
        assert column(page, "gs-col-status") == ["区外", "区外"]
        # fitted to the parcels; the 1 m² one is a speck there, so it has a circle marker
        fitted = page.evaluate("""() => {
            const m = GS_CHECK_PAGE.map, p = GS_CHECK_PAGE.parcels();
            return { inside: m.getBounds().contains(p.getBounds()), zoom: m.getZoom(),
                     markers: GS_CHECK_PAGE.markers.getLayers().length };
        }""")
        assert fitted["inside"] and fitted["zoom"] >= 12 and fitted["markers"] == 1
        assert page.locator("path.gs-small-parcel").count() == 1
        assert_readable(page)

        # a row leads to its parcel: zoomed in, its popup open
        page.locator("#gs-table tbody tr").nth(1).click()
        assert page.evaluate("GS_CHECK_PAGE.state.zoomedTo") == "HY-2"
        assert page.evaluate("GS_CHECK_PAGE.map.getZoom()") > fitted["zoom"]
        popup = page.locator(".leaflet-popup-content").inner_text()
        assert popup.startswith("HY-2：区外") and "null" not in popup
        page.locator("#gs-table tbody tr").nth(0).click()
        page.wait_for_function("() => document.querySelectorAll('.leaflet-popup').length === 1")
        assert page.locator(".leaflet-popup-content").inner_text().startswith("HY-1：区外")
        assert_readable(page)

        # an error: the old result is gone, the problem is said once
        bad = tmp_path / "坏文件.csv"
        bad.write_text("id,wkt\nA,POLYGON((1 2, 3 4))\n", encoding="utf-8")
        page.set_input_files("#gs-file", str(bad))
        page.fill("#gs-crs", "EPSG:4545")
        page.click("#gs-submit")
        page.wait_for_function("() => GS_CHECK_PAGE.state.error !== null", timeout=15_000)
        assert page.locator("#gs-result").is_hidden() and page.locator("#gs-table").is_hidden()
        assert page.locator("#gs-table tbody tr").count() == 0
        assert page.locator("#gs-downloads a").count() == 0 and summary_of(page) == ""
        assert page.evaluate("GS_CHECK_PAGE.parcels()") is None
        assert page.locator("path.gs-small-parcel").count() == 0
        page.wait_for_function("() => document.querySelectorAll('.leaflet-popup').length === 0")
        message = page.locator("#gs-message").inner_text()
        error = page.evaluate("GS_CHECK_PAGE.state.error")
        for problem in error["details"]["problems"]:
            assert message.count(problem["message"]) == 1
        assert "恒口" not in page.locator("#gs-summary, #gs-table").all_inner_texts()[0]
        assert_readable(page)

        # a second upload: only the second file's result
        page.fill("#gs-crs", "")
        second = tmp_path / "第二批.geojson"
        second.write_bytes(collection(PARCEL_SHAPES, 36))
        page.set_input_files("#gs-file", str(second))
        page.click("#gs-submit")
        page.wait_for_selector("body[data-check-shown]", timeout=15_000)
        summary = summary_of(page)
        assert "文件：第二批.geojson" in summary and "恒口" not in summary
        assert page.locator("#gs-message").inner_text() == ""
        assert sorted(column(page, "gs-col-id")) == sorted(PARCEL_SHAPES)
        assert page.locator("path.gs-small-parcel").count() == 0
        assert_readable(page)
        assert [e for e in visit.errors if "422" not in e] == [] and visit.outside == []
        assert [f for f in visit.failed if not f.startswith("422 ")] == []
    finally:
        page.context.close()
