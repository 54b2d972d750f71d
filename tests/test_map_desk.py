"""The map page as a planner reads it, in a real Chromium at 1366x768 (issue 11).

Every test fails on any JS error and on "null", "undefined" or "NaN" shown in a popup or in
the cluster info panel.
"""

from __future__ import annotations

import re

import pytest
from test_browser import open_page

pytestmark = pytest.mark.browser

JUNK = re.compile(r"\b(null|undefined|NaN)\b")


@pytest.fixture(scope="module")
def desk(browser, live_server):
    visit = open_page(browser, live_server, "/", "body[data-map-ready]", viewport=(1366, 768))
    yield visit
    visit.page.context.close()


@pytest.fixture()
def page(desk):
    """The shared page, reset to its opening state; fails the test on any JS error."""
    desk.page.evaluate("""() => {
        GS_MAP.map.closePopup();
        document.getElementById("gs-cluster").value = "";
        GS_MAP.applyFilter("");
    }""")
    before = len(desk.errors)
    yield desk.page
    assert desk.errors[before:] == [], desk.errors[before:]


def assert_readable(text: str) -> None:
    assert text.strip(), "nothing shown"
    assert not JUNK.search(text), text


def click_marker(page, layer: str, feature_id: str) -> str:
    """Click the marker of ``feature_id`` in ``layer`` with the mouse; the popup's text."""
    page.evaluate(
        """([layer, id]) => {
            const marker = GS_MAP.features(layer).find(l => l.feature.id === id);
            GS_MAP.map.setView(marker.getLatLng(), 11, {animate: false});
            marker.setZIndexOffset(100000);  // cluster anchors share places: this one on top
        }""",
        [layer, feature_id],
    )
    box = page.evaluate(
        """([layer, id]) => {
            const marker = GS_MAP.features(layer).find(l => l.feature.id === id);
            const r = marker._icon.getBoundingClientRect();
            return {x: r.left + r.width / 2, y: r.top + r.height / 2};
        }""",
        [layer, feature_id],
    )
    page.mouse.click(box["x"], box["y"])
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    return popup.inner_text()


def test_cluster_markers_open_after_the_filter_is_reset(page):
    """Bug: pick a cluster, reset, click a cluster marker: TypeError and no popup."""
    page.select_option("#gs-cluster", "new-materials")
    assert page.evaluate("GS_MAP.map.hasLayer(GS_MAP.layers.clusters)")
    assert_readable(page.locator("#gs-cluster-info").inner_text())
    page.select_option("#gs-cluster", "")
    # the filter showed the cluster layer, so the reset hides it again
    assert not page.evaluate("GS_MAP.map.hasLayer(GS_MAP.layers.clusters)")
    # shown by hand, every cluster's markers open that cluster's popup
    page.evaluate("GS_MAP.map.addLayer(GS_MAP.layers.clusters)")
    try:
        for cluster_id, name in (("new-materials", "新型材料"), ("tea", "茶产业")):
            text = click_marker(page, "clusters", cluster_id)
            assert name in text, text
            assert_readable(text)
    finally:
        page.evaluate("GS_MAP.map.removeLayer(GS_MAP.layers.clusters)")


def test_filter_dims_the_other_clusters_markers(page):
    page.select_option("#gs-cluster", "tea")
    opacity = page.evaluate("""() => {
        const out = {};
        GS_MAP.features("clusters").forEach(m => {
            out[m.feature.id] = Math.max(out[m.feature.id] || 0, m.options.opacity);
        });
        return out;
    }""")
    assert opacity["tea"] == 1 and opacity["new-materials"] == 0, opacity
    caught = page.evaluate("""() => GS_MAP.features("clusters")
        .filter(m => m.feature.id === "new-materials")
        .map(m => m._icon.style.pointerEvents)""")
    assert set(caught) == {"none"}, caught


def test_popups_show_values_in_words_without_empty_rows(page):
    page.select_option("#gs-cluster", "")
    text = click_marker(page, "new_materials_bases", "nm-pingli-barite")
    assert_readable(text)
    assert "近似位置" in text and "(domain.md" not in text, text
    rows = page.locator(".leaflet-popup-content tr")
    for i in range(rows.count()):
        assert rows.nth(i).locator("td").inner_text().strip(), rows.nth(i).inner_text()


def test_zone_popup_location_precision_and_citation(page):
    page.evaluate("GS_MAP.map.closePopup()")
    text = page.evaluate("""() => {
        const zone = GS_MAP.features("zones").find(l => l.feature.id === "ankang-hitech");
        zone.fire("click", {latlng: zone.getCenter()}, true);  // as a click on it
        return document.querySelector(".leaflet-popup-content").innerText;
    }""")
    assert_readable(text)
    assert "位置精度\t近似位置（乡镇级）" in text, text
    assert "town" not in text and "(domain.md" not in text, text
    assert "安政办发〔2018〕72号" in text and "资料说明 docs/domain.md §6" in text, text
    assert "所属园区" not in text  # empty parent: no row


def test_scale_bar_is_metric_only(page):
    lines = page.locator(".leaflet-control-scale-line")
    assert lines.count() == 1
    text = lines.first.inner_text()
    assert re.fullmatch(r"\d+ (m|km)", text), text


def test_layer_control_is_collapsed_and_opens(page):
    control = page.locator(".leaflet-control-layers")
    box = control.bounding_box()
    assert box["width"] < 60 and box["height"] < 60, box  # a button, not a panel over the map
    assert "图层" in control.locator(".leaflet-control-layers-toggle").get_attribute("title")
    control.hover()
    assert control.get_by_text("园区", exact=True).is_visible()
    page.mouse.move(700, 700)
    page.mouse.click(700, 700)
    page.wait_for_function(
        "() => !document.querySelector('.leaflet-control-layers-expanded')", timeout=3000
    )


def test_county_labels_lie_above_the_markers(page):
    z = page.evaluate("""() => {
        const label = document.querySelector(".gs-county-label");
        const pane = label.closest(".leaflet-pane");
        return {
            labels: Number(getComputedStyle(pane).zIndex),
            markers: Number(getComputedStyle(GS_MAP.map.getPane("markerPane")).zIndex),
            events: getComputedStyle(pane).pointerEvents,
        };
    }""")
    assert z["labels"] > z["markers"] and z["events"] == "none", z


def visible_labels(page) -> list[dict]:
    return page.evaluate("""() => Array.from(
        document.querySelectorAll(".gs-zone-label, .gs-county-label")
    ).filter(el => getComputedStyle(el).visibility === "visible" && el.offsetParent !== null)
     .map(el => {
        const r = el.getBoundingClientRect();
        return {text: el.textContent, zone: el.classList.contains("gs-zone-label"),
                left: r.left, right: r.right, top: r.top, bottom: r.bottom};
    })""")


def test_zone_names_from_zoom_10_and_never_overlapping(page):
    page.evaluate("GS_MAP.map.setView([32.70, 108.95], 9, {animate: false})")
    assert [label for label in visible_labels(page) if label["zone"]] == []
    for zoom in (10, 11, 12):
        page.evaluate(f"GS_MAP.map.setView([32.70, 108.95], {zoom}, {{animate: false}})")
        labels = visible_labels(page)
        zones = [label for label in labels if label["zone"]]
        assert zones, zoom
        assert "安康高新区" in {label["text"] for label in zones}, zoom
        assert "试验区" not in {label["text"] for label in zones}, zoom
        for i, a in enumerate(labels):
            assert_readable(a["text"])
            for b in labels[i + 1 :]:
                apart = (
                    a["right"] <= b["left"]
                    or b["right"] <= a["left"]
                    or a["bottom"] <= b["top"]
                    or b["bottom"] <= a["top"]
                )
                assert apart, (zoom, a, b)
    counts = page.evaluate("GS_MAP.state.zoneLabels")
    assert counts["shown"] + counts["hidden"] == 16, counts
    page.evaluate("GS_MAP.map.removeLayer(GS_MAP.layers.zones)")
    try:
        assert [label for label in visible_labels(page) if label["zone"]] == []
    finally:
        page.evaluate("GS_MAP.map.addLayer(GS_MAP.layers.zones)")


def test_cluster_hosts_agree_with_the_analysis_and_say_so(page, catalog):
    """One definition: the map's host counties are the analysis's coverage counties."""
    from geo_service.analysis.coverage import coverage

    expected = {
        c["id"]: {x["adcode"] for x in c["counties"]} for c in coverage(catalog)["clusters"]
    }
    assert len(expected["new-materials"]) == 6  # not 平利县 only
    for cluster_id in ("new-materials", "biopharma", "tea"):
        page.select_option("#gs-cluster", cluster_id)
        fills = page.evaluate("""() => GS_MAP.features("counties")
            .filter(l => l._path.getAttribute("fill") === "#fdae61")
            .map(l => l.feature.properties.adcode)""")
        assert set(fills) == expected[cluster_id], cluster_id
    page.select_option("#gs-cluster", "new-materials")
    info = page.locator("#gs-cluster-info").inner_text()
    assert_readable(info)
    assert "集群覆盖分析口径" in info and "与规划分析页" in info, info
    assert "旬阳市" in info and "石泉县" in info and "直接点名的县区（粗边框）：平利县" in info, (
        info
    )
    page.select_option("#gs-cluster", "")
    page.evaluate("GS_MAP.map.addLayer(GS_MAP.layers.clusters)")
    try:
        text = click_marker(page, "clusters", "new-materials")
        assert "集群覆盖分析口径" in text and "平利县" in text and "旬阳市" in text, text
    finally:
        page.evaluate("GS_MAP.map.removeLayer(GS_MAP.layers.clusters)")


#: Two English words in a row: an English sentence where a Chinese one belongs.
ENGLISH = re.compile(r"[A-Za-z]{3,}[ ,]+[A-Za-z]{3,}")
RAW = ("town", "county-seat", "schematic", "official", "(domain.md", "undefined")


def test_every_popup_and_cluster_panel_reads_well(page):
    """Each feature's popup, as a click opens it, and each cluster's info panel."""
    popups = page.evaluate("""() => {
        GS_MAP.map.addLayer(GS_MAP.layers.clusters);
        const out = [];
        Object.keys(GS_MAP.layers).forEach(id => {
            const seen = new Set();
            GS_MAP.features(id).forEach(leaf => {
                if (seen.has(leaf.feature.id)) { return; }
                seen.add(leaf.feature.id);
                const at = leaf.getLatLng ? leaf.getLatLng() : leaf.getBounds().getCenter();
                leaf.fire("click", {latlng: at}, true);
                const box = document.querySelector(".leaflet-popup-content");
                out.push({
                    layer: id, id: leaf.feature.id, text: box ? box.innerText : "",
                    empty: box ? Array.from(box.querySelectorAll("td"))
                        .filter(td => !td.textContent.trim()).length : -1,
                });
                GS_MAP.map.closePopup();
            });
        });
        GS_MAP.map.removeLayer(GS_MAP.layers.clusters);
        return out;
    }""")
    assert len(popups) >= 10 + 16 + 7 + 9 + 14 + 3 + 5
    for popup in popups:
        assert_readable(popup["text"])
        assert popup["empty"] == 0, popup
        for raw in RAW:
            assert raw not in popup["text"], (raw, popup)
        for line in popup["text"].splitlines():
            label, _, value = line.partition("\t")
            if label not in ("英文名", "名称"):  # names may be English by nature
                assert not ENGLISH.search(value), (popup["layer"], popup["id"], line)
    for value in page.eval_on_selector_all("#gs-cluster option", "els => els.map(e => e.value)"):
        page.select_option("#gs-cluster", value)
        info = page.locator("#gs-cluster-info").inner_text()
        if value:
            assert_readable(info)
        else:
            assert info == ""
