"""Editing on the map in a real browser: a planner moves a point and drags a polygon's vertex,
saves, and the API serves the new geometry with the edit in the history; a stale edit says so
in Chinese and offers to reload; a viewer sees the history but no edit tools."""

from __future__ import annotations

import json
import os
import urllib.request

from geo_service.auth.store import AuthStore
from geo_service.config import REPO_ROOT
from geo_service.store import default_url, open_store
from geo_service.testing import running_service

PASSWORD = "correct horse battery"
NODE = ("logistics_nodes", "hub-central")
ZONE = ("zones", "ankang-hitech")


def get(url: str, headers: dict | None = None):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=20) as response:
        return json.load(response), response.headers


def patch(url: str, body: dict, headers: dict) -> int:
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="PATCH", headers=headers)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=20) as response:
        return response.status


def log_in(context, url: str, name: str):
    page = context.new_page()
    page.goto(f"{url}/login")
    page.fill("#gs-name", name)
    page.fill("#gs-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    page.wait_for_selector("body[data-gs-edit-ready]")
    return page


def pick(page, layer_id: str, fid: str) -> None:
    assert page.evaluate(f"GS_EDIT.open({layer_id!r}, {fid!r})")
    page.wait_for_selector(f"#gs-edit[data-picked='{layer_id}/{fid}'] .gs-edit-history-list li")


def drag(page, box: dict, dx: float, dy: float) -> None:
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y + dy / 2, steps=5)
    page.mouse.move(x + dx, y + dy, steps=5)
    page.mouse.up()


def save(page) -> None:
    page.evaluate("document.body.removeAttribute('data-gs-saved')")
    page.click(".gs-edit-save")
    page.wait_for_selector("body[data-gs-saved]")


def test_a_planner_edits_on_the_map_and_a_viewer_only_reads(browser, tmp_path):
    accounts = AuthStore(open_store(default_url(tmp_path)))  # the store the service opens
    accounts.add_user("planner1", "planner", PASSWORD)
    accounts.add_user("viewer1", "viewer", PASSWORD)
    token, _ = accounts.create_token("planner1", "test")
    env = {"GEO_SERVICE_AUTH": "local", "GEO_SERVICE_AUTH_DB": str(tmp_path / "auth.sqlite")}
    with running_service(env) as url:
        item = f"{url}/collections/{NODE[0]}/items/{NODE[1]}"
        before, _ = get(item)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 800})
        page = log_in(context, url, "planner1")
        assert page.get_attribute("body", "data-gs-planner") == "1"

        # a point: drag it, rename it, save
        pick(page, *NODE)
        page.click(".gs-edit-start")
        page.wait_for_selector(".gs-edit-point")
        page.wait_for_timeout(1000)  # the map zooms to the point
        drag(page, page.locator(".gs-edit-point").bounding_box(), 60, -40)
        page.fill(".gs-edit-form input[name=name]", "安康物流中心 <b>新</b>")
        page.fill(".gs-edit-form input[placeholder^='编辑要素']", "移到新址")
        save(page)
        assert "已保存为图层第 2 版" in page.inner_text("#gs-edit")
        after, headers = get(item)
        assert after["geometry"]["coordinates"] != before["geometry"]["coordinates"]
        assert after["properties"]["name"] == "安康物流中心 <b>新</b>"
        assert after["properties"]["precision"] == "schematic"  # moved by hand
        assert headers["ETag"].strip('"') == page.get_attribute("body", "data-gs-saved").strip('"')
        history, _ = get(item + "/history")
        last = history["history"][-1]
        assert (last["version"], last["user"], last["message"]) == (2, "planner1", "移到新址")
        panel = page.inner_text("#gs-edit")
        assert "第 2 版 修改" in panel and "planner1" in panel and "移到新址" in panel
        # the name is shown as text, never as markup
        assert "安康物流中心 <b>新</b>" in page.inner_text("#gs-edit h2")

        # a polygon: drag one of its vertices
        zone_url = f"{url}/collections/{ZONE[0]}/items/{ZONE[1]}"
        zone_before, _ = get(zone_url)
        pick(page, *ZONE)
        page.click(".gs-edit-start")
        page.wait_for_selector(".leaflet-editing-icon")
        page.wait_for_timeout(1000)  # the map zooms to the zone
        vertex = page.locator(".leaflet-editing-icon").first
        drag(page, vertex.bounding_box(), 40, 30)
        assert page.evaluate("GS_EDIT.state.edit.changed")
        if os.environ.get("GEO_SERVICE_SHOTS"):
            page.screenshot(path=str(REPO_ROOT / "docs" / "screenshots" / "map-edit.png"))
        save(page)
        zone_after, _ = get(zone_url)
        assert zone_after["geometry"] != zone_before["geometry"]
        assert zone_after["geometry"]["type"] == "MultiPolygon"
        assert zone_after["properties"]["name"] == zone_before["properties"]["name"]

        # someone else saves first: the map's save is a 412, said in Chinese, with a reload
        pick(page, *NODE)
        page.click(".gs-edit-start")
        page.wait_for_selector(".gs-edit-point")
        _, current = get(item)
        bearer = {"Authorization": f"Bearer {token}", "If-Match": current["ETag"]}
        assert patch(item, {"properties": {"tier": "他人修改"}}, bearer) == 200
        page.fill(".gs-edit-form input[name=name]", "我的修改")
        page.click(".gs-edit-save")
        page.wait_for_selector(".gs-edit-reload")
        assert "已被他人修改" in page.inner_text(".gs-edit-status")
        served, _ = get(item)
        assert served["properties"]["tier"] == "他人修改"
        assert served["properties"]["name"] != "我的修改"
        page.click(".gs-edit-reload")
        # polled from here: the page's CSP forbids the eval a string wait_for_function uses
        tier = page.locator(".gs-edit-form input[name=tier]")
        for _ in range(100):
            if tier.count() and tier.input_value() == "他人修改":
                break
            page.wait_for_timeout(200)
        assert tier.input_value() == "他人修改"
        assert page.input_value(".gs-edit-form input[name=name]") != "我的修改"

        # a viewer: the history, no edit tools
        viewer = log_in(browser.new_context(locale="zh-CN"), url, "viewer1")
        assert viewer.get_attribute("body", "data-gs-planner") is None
        pick(viewer, *NODE)
        assert viewer.locator(".gs-edit-start").count() == 0
        assert "planner1" in viewer.inner_text("#gs-edit .gs-edit-history-list")
        context.close()
