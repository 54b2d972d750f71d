"""The /check page in headless Chromium: upload, draw, progress, errors, downloads."""

from __future__ import annotations

import pytest
from land_fixtures import PARCEL_SHAPES, ZONE_SHAPES, collection
from test_browser import open_page

from geo_service.testing import running_service

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def slow_server():
    """CHECK_SYNC_SECONDS=0: every check answers 202 first, so the page must follow progress."""
    with running_service({"GEO_SERVICE_CHECK_SYNC_SECONDS": "0"}) as url:
        yield url


@pytest.fixture()
def page(browser, slow_server):
    visit = open_page(browser, slow_server, "/check", "body[data-check-ready]")
    yield visit
    visit.page.context.close()


def test_upload_follows_progress_and_shows_results(page, tmp_path):
    parcels = tmp_path / "地块.geojson"
    parcels.write_bytes(collection(PARCEL_SHAPES, 36))
    zones = tmp_path / "区界.geojson"
    zones.write_bytes(collection(ZONE_SHAPES, 36))
    p = page.page
    p.set_input_files("#gs-file", str(parcels))
    p.set_input_files("#gs-zones", str(zones))
    p.click("#gs-submit")
    p.wait_for_selector("body[data-check-shown]", timeout=15_000)
    assert p.evaluate("GS_CHECK_PAGE.state.progressSeen.length") >= 1
    rows = p.locator("#gs-table tbody tr")
    assert rows.count() == 7
    statuses = dict(
        zip(
            rows.locator("td.gs-col-id").all_inner_texts(),
            rows.locator("td.gs-col-status").all_inner_texts(),
        )
    )
    assert statuses["edge"] == "部分在区内" and statuses["hole"] == "区外"
    assert statuses["in"] == "区内"
    fills = p.evaluate("""() => Array.from(document.querySelectorAll('path.leaflet-interactive'))
                          .map(e => e.getAttribute('fill'))""")
    assert fills.count("#d73027") == 2 and fills.count("#fdae61") == 2  # no speck markers here
    assert fills.count("#08519c") == 2  # the uploaded boundaries, drawn under the parcels
    links = p.locator("#gs-downloads a")
    assert links.all_inner_texts() == [
        "CSV",
        "Excel",
        "报告（HTML）",
        "报告（PDF）",
        "GeoPackage",
        "Shapefile",
        "KML",
        "界址点坐标 txt",
        "地图 PNG",
        "地图 PDF",
    ]
    with p.expect_download() as download:
        links.first.click()
    assert download.value.suggested_filename.endswith(".csv")
    assert download.value.failure() is None
    assert p.locator("#gs-register li").count() >= 1
    # a download ends its request as "aborted" for the page: that one is not a failure
    failed = [url for url in page.failed if url != download.value.url]
    assert page.errors == [] and failed == [] and page.outside == []


def test_drawn_parcel_is_checked_against_the_zones_layer(page):
    p = page.page
    p.locator(".leaflet-draw-draw-rectangle").click()
    box = p.locator("#gs-check-map").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    p.mouse.move(x, y)
    p.mouse.down()
    p.mouse.move(x + 60, y + 40, steps=5)
    p.mouse.up()
    assert p.locator("#gs-check-drawn").is_enabled()
    p.click("#gs-check-drawn")
    p.wait_for_selector("body[data-check-shown]", timeout=15_000)
    assert p.locator("#gs-table tbody tr").count() == 1
    assert p.locator("#gs-table tbody td").first.inner_text() == "绘制地块1"
    assert "示意" in p.locator("#gs-summary").inner_text()
    warning = p.locator("#gs-summary p.gs-warning").inner_text()
    assert warning.startswith("区界为示意范围：72号文未公布园区边界")
    assert page.errors == [] and page.failed == []


def test_bad_file_shows_the_problems(page, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,wkt\nA,POLYGON((1 2, 3 4))\n", encoding="utf-8")
    p = page.page
    p.set_input_files("#gs-file", str(bad))
    p.fill("#gs-crs", "EPSG:4545")
    p.click("#gs-submit")
    p.wait_for_function("() => GS_CHECK_PAGE.state.error !== null", timeout=15_000)
    message = p.locator("#gs-message").inner_text()
    assert message.startswith("bad.csv：第 2 行（A）：无法解析的 WKT"), message
    # the 422 itself is the only failed request, and Chromium's console notes it
    assert [e for e in page.errors if "422" not in e] == []
    assert len(page.failed) == 1 and page.failed[0].startswith("422 ")


def test_downloads_in_a_chosen_crs(page, tmp_path):
    parcels = tmp_path / "地块.geojson"
    parcels.write_bytes(collection(PARCEL_SHAPES, 36))
    p = page.page
    p.set_input_files("#gs-file", str(parcels))
    p.click("#gs-submit")
    p.wait_for_selector("body[data-check-shown]", timeout=15_000)
    options = p.locator("#gs-export-crs option").all_inner_texts()
    assert options[0] == "与上传文件相同（默认）"
    assert any(o.startswith("EPSG:4545（CGCS2000 3度带高斯-克吕格投影") for o in options)
    p.select_option("#gs-export-crs", "EPSG:4545")
    hrefs = dict(
        zip(
            p.locator("#gs-downloads a").all_inner_texts(),
            [a.get_attribute("href") for a in p.locator("#gs-downloads a").all()],
        )
    )
    assert "crs=EPSG%3A4545" in hrefs["GeoPackage"] and "crs=EPSG%3A4545" in hrefs["Shapefile"]
    assert "crs=" not in hrefs["CSV"] and "crs=" not in hrefs["KML"]
    with p.expect_download() as download:
        p.locator("#gs-downloads a", has_text="GeoPackage").click()
    saved = tmp_path / "parcels.gpkg"
    download.value.save_as(saved)
    import pyogrio

    assert pyogrio.read_info(saved, layer="check_parcels")["crs"] == "EPSG:4545"
    p.select_option("#gs-export-crs", "")
    assert "crs=" not in p.locator("#gs-downloads a", has_text="GeoPackage").get_attribute("href")
    failed = [url for url in page.failed if url != download.value.url]
    assert page.errors == [] and failed == [] and page.outside == []
