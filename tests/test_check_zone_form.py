"""The check page's 官方边界文件 part in Chromium: the zone file's id, name and carried fields
are offered once a zones file is chosen, sent with the check, and the summary says which id
and name fields the result used (chosen or recognised)."""

from __future__ import annotations

import pytest
from land_fixtures import PARCEL_SHAPES, collection
from test_browser import open_page
from test_desk_pages import assert_readable
from test_zone_fields import zones_file

from geo_service.testing import running_service

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server():
    with running_service() as url:
        yield url


@pytest.fixture()
def visit(browser, server):
    visit = open_page(browser, server, "/check", "body[data-check-ready]")
    yield visit
    visit.page.context.close()


def options_shown(page) -> bool:
    return page.locator("#gs-zones-options").is_visible()


def upload(page, tmp_path, zones: bytes | None, **fields) -> None:
    parcels = tmp_path / "地块.geojson"
    parcels.write_bytes(collection(PARCEL_SHAPES, 36))
    page.set_input_files("#gs-file", str(parcels))
    if zones is None:
        page.set_input_files("#gs-zones", [])
    else:
        path = tmp_path / "区界.geojson"
        path.write_bytes(zones)
        page.set_input_files("#gs-zones", str(path))
    for name, value in fields.items():
        page.fill(f"#gs-zones-{name}", value)
    page.click("#gs-submit")


def test_zone_fields_are_offered_with_a_zones_file_and_cleared_without(visit, tmp_path):
    p = visit.page
    assert not options_shown(p) and not p.locator("#gs-zones-id-field").is_visible()
    legend = p.locator("#gs-zones-part legend").inner_text()
    assert legend.startswith("官方边界文件（可选）")
    path = tmp_path / "区界.geojson"
    path.write_bytes(zones_file(lambda key: {"ZBH": key, "园区": f"园区{key}"}))
    p.set_input_files("#gs-zones", str(path))
    assert options_shown(p)
    labels = p.locator("#gs-zones-options label").all_inner_texts()
    assert [label.split()[0] for label in labels] == [
        "区界坐标系",
        "园区编号字段",
        "园区名称字段",
        "随结果带出的字段",
    ]
    assert "自动识别" in p.get_attribute("#gs-zones-id-field", "placeholder")
    assert "自动识别" in p.get_attribute("#gs-zones-name-field", "placeholder")
    p.fill("#gs-zones-id-field", "ZBH")
    p.set_input_files("#gs-zones", [])  # the file taken away: its fields go with it
    assert not options_shown(p) and p.input_value("#gs-zones-id-field") == ""
    assert visit.errors == []


def test_chosen_fields_are_sent_and_named_in_the_summary(visit, tmp_path):
    p = visit.page
    zones = zones_file(
        lambda key: {"ZBH": f"Z-{key}", "园区": f"园区{key}", "批准文号": f"批{key}"}
    )
    upload(p, tmp_path, zones, **{"id-field": "zbh", "name-field": "园区", "fields": "批准文号"})
    p.wait_for_selector("body[data-check-shown]", timeout=20_000)
    summary = p.locator("#gs-summary .gs-sum-zone-fields").inner_text()
    assert summary == "区界字段：编号 ZBH（指定），名称 园区（指定）；随结果带出：批准文号"
    check = p.evaluate("() => GS_CHECK_PAGE.state.check")
    assert check["zones"]["fields"] == ["批准文号"]
    zones_column = set(p.locator("#gs-table td.gs-col-zones").all_inner_texts()) - {""}
    assert zones_column and zones_column <= {"园区A", "园区B", "园区A、园区B", "园区B、园区A"}
    overlaps = [z for parcel in check["parcels"] for z in parcel["zones"]]
    assert {z["zone_id"] for z in overlaps} <= {"Z-A", "Z-B"}
    assert all(z["attributes"] == {"批准文号": "批" + z["zone_id"][-1]} for z in overlaps)
    assert_readable(p)
    assert visit.errors == []


def test_recognised_fields_are_said_to_be_recognised(visit, tmp_path):
    p = visit.page
    upload(p, tmp_path, zones_file(lambda key: {"KFQDM": key, "区名": f"{key}区"}))
    p.wait_for_selector("body[data-check-shown]", timeout=20_000)
    summary = p.locator("#gs-summary .gs-sum-zone-fields").inner_text()
    assert summary == "区界字段：编号 KFQDM（自动识别），名称 区名（自动识别）"
    # without a zones file the service's own layer is used: no such row
    upload(p, tmp_path, None)
    p.wait_for_function(
        "() => (GS_CHECK_PAGE.state.check || {zones: {}}).zones.source === 'layer:zones'"
    )
    p.wait_for_selector("body[data-check-shown]", timeout=20_000)
    assert p.locator("#gs-summary .gs-sum-zone-fields").count() == 0
    assert visit.errors == []


def test_a_field_the_zones_file_lacks_is_a_chinese_error_listing_its_fields(visit, tmp_path):
    p = visit.page
    upload(p, tmp_path, zones_file(lambda key: {"ZBH": key, "园区": key}), **{"name-field": "区名"})
    p.wait_for_selector("#gs-message .gs-error-text", timeout=20_000)
    message = p.locator("#gs-message").inner_text()
    assert "没有字段" in message and "区名" in message and "ZBH、园区" in message
    assert p.locator("#gs-result").is_hidden()
