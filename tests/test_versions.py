"""Layer versions you can see, compare, serve and revert (issue 13 §2).

Versions are made with versions.commit_version (as imports and edits make them); the areas are
known by construction: a square drawn on the GK plane of its zone, grown by a known amount.
"""

from __future__ import annotations

import copy
import io
import json
import re

import pyogrio
import pyproj
import pytest
from conftest import dbs

from geo_service import create_app
from geo_service.auth import ROLES
from geo_service.versions import commit_version

PASSWORD = "correct horse battery"
#: A point in zone 36 (CM 108°E, EPSG:4545) and one in zone 37 (CM 111°E, EPSG:4546).
WEST = (108.95, 32.70)
EAST = (109.95, 32.70)


def square(centre: tuple[float, float], side_m: float, plane: str) -> dict:
    """A square of ``side_m`` metres on ``plane`` around ``centre``, as lon/lat GeoJSON."""
    there = pyproj.Transformer.from_crs("EPSG:4326", plane, always_xy=True)
    back = pyproj.Transformer.from_crs(plane, "EPSG:4326", always_xy=True)
    x, y = there.transform(*centre)
    h = side_m / 2
    corners = [(x - h, y - h), (x + h, y - h), (x + h, y + h), (x - h, y + h), (x - h, y - h)]
    return {"type": "Polygon", "coordinates": [[list(back.transform(*c)) for c in corners]]}


@pytest.fixture()
def app(tmp_path):
    return create_app({"TESTING": True, **dbs(tmp_path)})


def zones(app) -> list[dict]:
    return copy.deepcopy(app.extensions["geo_service.catalog"].get("zones").features)


def commit(app, features, message="测试", based_on=None, user="planner_a"):
    ext = app.extensions
    return commit_version(
        ext["geo_service.store"],
        ext["geo_service.catalog"],
        "zones",
        features,
        user=user,
        message=message,
        source_name="边界.geojson",
        source_sha256="a" * 64,
        based_on=based_on,
    )


def three_versions(app):
    """v2: zone 0 a 1000 m square (zone 36), zone 1 a 400 m square (zone 37); v3: zone 0
    grown to 1100 m, zone 1 renamed only, zone 2 removed, one zone added (a 300 m square)."""
    features = zones(app)
    features[0]["geometry"] = square(WEST, 1000, "EPSG:4545")
    features[1]["geometry"] = square(EAST, 400, "EPSG:4546")
    commit(app, features, "方形边界", based_on=1)
    grown = copy.deepcopy(features)
    grown[0]["geometry"] = square(WEST, 1100, "EPSG:4545")
    grown[1]["properties"]["name"] = "新名称 <b>粗</b>"
    removed = grown.pop(2)
    added = copy.deepcopy(grown[0])
    added["id"] = "zone-new"
    added["properties"]["name"] = "新园区"
    added["geometry"] = square((109.2, 32.5), 300, "EPSG:4545")
    grown.append(added)
    commit(app, grown, "扩区 <script>alert(1)</script>", based_on=2)
    return features, grown, removed


def test_the_diff_has_areas_known_by_construction(app):
    features, grown, removed = three_versions(app)
    answer = app.test_client().get("/collections/zones/versions/3")
    assert answer.status_code == 200
    data = answer.get_json()
    assert data["number"] == 3 and data["against"] == 2 and data["user"] == "planner_a"
    diff = data["diff"]
    assert diff["counts"] == {
        "added": 1,
        "removed": 1,
        "changed": 2,
        "geometry_changed": 1,
        "attributes_changed": 1,
        "unchanged": len(grown) - 3,
    }
    changed = {c["id"]: c for c in diff["changed"]}
    grew = changed[features[0]["id"]]
    assert grew["geometry_changed"] and not grew["attributes_changed"]
    assert grew["plane"] == "EPSG:4545"
    assert grew["area_before_m2"] == pytest.approx(1_000_000, abs=0.01)
    assert grew["area_after_m2"] == pytest.approx(1_210_000, abs=0.01)
    assert grew["area_change_m2"] == pytest.approx(210_000, abs=0.01)
    assert grew["area_change_mu"] == pytest.approx(315.0, abs=1e-4)  # 210000 × 15 / 10000
    assert grew["moved_m"] == pytest.approx(0, abs=0.01)  # grown in place
    renamed = changed[features[1]["id"]]
    assert not renamed["geometry_changed"] and renamed["attributes_changed"]
    assert renamed["fields"] == ["name"] and renamed["name"] == "新名称 <b>粗</b>"
    assert renamed["area_change_m2"] == 0 and renamed["plane"] == "EPSG:4546"
    assert renamed["area_after_m2"] == pytest.approx(160_000, abs=0.01)
    (new,) = diff["added"]
    assert new["id"] == "zone-new" and new["name"] == "新园区"
    assert new["area_m2"] == pytest.approx(90_000, abs=0.01)
    (gone,) = diff["removed"]
    assert gone["id"] == removed["id"] and gone["name"] == removed["properties"]["name"]
    assert diff["area_change_m2"] == pytest.approx(210_000 + 90_000 - gone["area_m2"], abs=0.02)

    against_1 = app.test_client().get("/collections/zones/versions/3?against=1").get_json()
    assert against_1["against"] == 1
    assert {c["id"] for c in against_1["diff"]["changed"]} == {f["id"] for f in features[:2]}


def test_the_list_shows_every_version_with_its_counts(app):
    three_versions(app)
    data = app.test_client().get("/collections/zones/versions").get_json()
    assert data["current"] == 3 and [v["number"] for v in data["versions"]] == [3, 2, 1]
    newest = data["versions"][0]
    assert newest["counts"] == {"added": 1, "removed": 1, "changed": 2}
    assert newest["message"] == "扩区 <script>alert(1)</script>"
    assert newest["source_name"] == "边界.geojson" and newest["source_sha256"] == "a" * 64
    assert newest["current"] and not data["versions"][1]["current"]
    assert data["versions"][2]["user"] == "system" and data["drift"] is None
    assert newest["etag"].startswith("zones-v3-")
    items = next(x for x in newest["links"] if x["rel"] == "items")
    assert "version=3" in items["href"]

    page = app.test_client().get("/collections/zones/versions?f=html").get_data(as_text=True)
    assert "第 3 版" in page and "当前" in page and "扩区" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "恢复为此版本" in page  # AUTH="none": everyone is admin
    detail = app.test_client().get("/collections/zones/versions/3?f=html").get_data(as_text=True)
    assert "新名称 &lt;b&gt;粗&lt;/b&gt;" in detail and "<b>粗</b>" not in detail
    assert "<td>+210000.00</td>" in detail and "<td>+315.0000</td>" in detail
    # the map's data is JSON in a script element, with <, > and & escaped
    blob = re.search(r'id="gs-version-data">(.*?)</script>', detail, re.S).group(1)
    assert "<b>" not in blob
    kinds = {f["properties"]["kind"] for f in json.loads(blob)["features"]}
    assert kinds == {"added", "removed", "changed", "before", "unchanged"}


def test_version_on_items_item_and_download_serves_that_version(app):
    features, grown, removed = three_versions(app)
    client = app.test_client()
    first_id = features[0]["id"]
    old = client.get(f"/collections/zones/items/{first_id}?version=2")
    new = client.get(f"/collections/zones/items/{first_id}")
    assert old.get_json()["geometry"]["coordinates"] == features[0]["geometry"]["coordinates"]
    assert new.get_json()["geometry"]["coordinates"] == grown[0]["geometry"]["coordinates"]
    assert old.headers["ETag"] != new.headers["ETag"]
    again = client.get(old.request.full_path, headers={"If-None-Match": old.headers["ETag"]})
    assert again.status_code == 304
    assert client.get(f"/collections/zones/items/{removed['id']}?version=2").status_code == 200
    gone = client.get(f"/collections/zones/items/{removed['id']}")
    assert gone.status_code == 404

    page = client.get("/collections/zones/items?version=1&limit=5").get_json()
    assert page["numberMatched"] == 16
    assert all("version=1" in x["href"] for x in page["links"] if x["rel"] in ("self", "next"))
    one = client.get("/collections/zones/items?version=1").get_json()["features"]
    assert one == app.extensions["geo_service.store"].features("zones", 1)
    three = client.get("/collections/zones/items?version=3&limit=1000").get_json()
    assert "zone-new" in {f["id"] for f in three["features"]}
    filtered = client.get("/collections/zones/items?version=3&filter=name='新园区'").get_json()
    assert [f["id"] for f in filtered["features"]] == ["zone-new"]

    download = client.get("/collections/zones/download?version=1&f=geojson")
    assert download.status_code == 200
    assert "%E7%AC%AC1%E7%89%88" in download.headers["Content-Disposition"]  # 第1版
    assert len(json.loads(download.data)["features"]) == 16
    gpkg = client.get("/collections/zones/download?version=2&f=gpkg")
    frame = pyogrio.read_dataframe(io.BytesIO(gpkg.data))
    assert removed["id"] in set(frame["id"]) and len(frame) == 16


def test_missing_and_malformed_versions_are_4xx_in_chinese(app):
    commit(app, zones(app), based_on=1)
    client = app.test_client()
    for url in (
        "/collections/zones/items?version=9",
        "/collections/zones/items/x?version=9",
        "/collections/zones/download?version=9",
        "/collections/zones/versions/9",
        "/collections/zones/versions/2?against=7",
    ):
        answer = client.get(url)
        assert answer.status_code == 404, url
        assert "没有第" in answer.get_json()["error"]["message"]
        assert "1–2" in answer.get_json()["error"]["message"], url
    for url in (
        "/collections/zones/items?version=abc",
        "/collections/zones/items?version=0",
        "/collections/zones/items?version=-1",
        "/collections/zones/items?version=１",
        "/collections/zones/versions/x%3Cb%3E",
        "/collections/zones/versions/1?against=0",
        "/collections/zones/versions/1?bogus=1",
        "/collections/zones/items?version=1&version=2",
    ):
        answer = client.get(url)
        assert answer.status_code == 400, url
        message = answer.get_json()["error"]["message"]
        assert re.search(r"[\u4e00-\u9fff]", message), url
    page = client.get("/collections/zones/versions/x%3Cb%3E?f=html").get_data(as_text=True)
    assert "x&lt;b&gt;" in page and "x<b>" not in page
    assert client.get("/collections/nope/versions").status_code == 404
    english = client.get("/collections/zones/versions/9", headers={"Accept-Language": "en"})
    assert "has no version 9" in english.get_json()["error"]["message"]


def test_revert_makes_a_new_version_equal_to_the_old_one(app):
    three_versions(app)
    store = app.extensions["geo_service.store"]
    client = app.test_client()
    before = client.get("/collections/zones/items?limit=1000")
    answer = client.post("/collections/zones/versions/1/revert", json={"message": "撤销扩区"})
    assert answer.status_code == 201, answer.get_json()
    assert answer.headers["Location"].endswith("/collections/zones/versions/4")
    made = answer.get_json()
    assert made["number"] == 4 and made["message"] == "恢复为第 1 版：撤销扩区"
    assert store.version("zones", 4).content_sha256 == store.version("zones", 1).content_sha256
    assert store.features("zones", 4) == store.features("zones", 1)
    assert made["source_sha256"] == store.version("zones", 1).source_sha256
    after = client.get("/collections/zones/items?limit=1000")
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.get_json()["features"] == store.features("zones", 1)
    diff = client.get("/collections/zones/versions/4?against=1").get_json()["diff"]
    assert diff["counts"]["added"] == diff["counts"]["removed"] == diff["counts"]["changed"] == 0

    again = client.post("/collections/zones/versions/4/revert", json={})
    assert again.status_code == 400 and "已是" in again.get_json()["error"]["message"]
    assert client.post("/collections/zones/versions/8/revert").status_code == 404


def test_revert_honours_if_match_and_based_on(app):
    three_versions(app)
    client = app.test_client()
    listing = client.get("/collections/zones/versions").get_json()["versions"]
    tag = {v["number"]: v["etag"] for v in listing}
    stale = client.post(
        "/collections/zones/versions/1/revert", headers={"If-Match": f'"{tag[2]}"'}, json={}
    )
    assert stale.status_code == 409 and "第 3 版" in stale.get_json()["error"]["message"]
    forged = client.post(
        "/collections/zones/versions/1/revert", headers={"If-Match": '"zones-v3-0000"'}, json={}
    )
    assert forged.status_code == 400
    junk = client.post("/collections/zones/versions/1/revert", headers={"If-Match": "<x>"})
    assert junk.status_code == 400 and "If-Match" in junk.get_json()["error"]["message"]
    old_based = client.post("/collections/zones/versions/1/revert", data={"based_on": "2"})
    assert old_based.status_code == 409
    bad_body = client.post(
        "/collections/zones/versions/1/revert", data="[1]", content_type="application/json"
    )
    assert bad_body.status_code == 400
    assert app.extensions["geo_service.store"].current_version("zones").number == 3
    ok = client.post(
        "/collections/zones/versions/1/revert", headers={"If-Match": f'"{tag[3]}"'}, json={}
    )
    assert ok.status_code == 201 and ok.get_json()["message"] == "恢复为第 1 版"


def test_revert_from_the_page_form_redirects_to_the_new_version(app):
    three_versions(app)
    client = app.test_client()
    answer = client.post(
        "/collections/zones/versions/2/revert",
        data={"message": "表单", "based_on": "3"},
        headers={"Accept": "text/html", "Origin": "http://localhost"},
    )
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/collections/zones/versions/4?f=html")


@pytest.fixture()
def local_app(tmp_path):
    app = create_app({"TESTING": True, **dbs(tmp_path), "AUTH": "local"})
    accounts = app.extensions["geo_service.auth"]
    app.tokens = {}
    for role in ROLES:
        accounts.add_user(f"u_{role}", role, PASSWORD)
        app.tokens[role], _ = accounts.create_token(f"u_{role}", f"{role} test")
    return app


@pytest.mark.parametrize("role", [None, *ROLES])
def test_revert_needs_the_planner_role_and_is_audited(local_app, role):
    commit(local_app, zones(local_app)[1:], based_on=1)
    client = local_app.test_client()
    headers = {"Authorization": f"Bearer {local_app.tokens[role]}"} if role else {}
    answer = client.post("/collections/zones/versions/1/revert", headers=headers, json={})
    allowed = role in ("planner", "admin")
    store = local_app.extensions["geo_service.store"]
    if not allowed:
        assert answer.status_code == (401 if role is None else 403)
        assert re.search(r"[\u4e00-\u9fff]", answer.get_json()["error"]["message"])
        assert store.current_version("zones").number == 2
        return
    assert answer.status_code == 201
    assert store.current_version("zones").user == f"u_{role}"
    audit = local_app.extensions["geo_service.auth"].audit(limit=5)
    entry = next(a for a in audit if a["action"] == "POST versions.revert_version")
    detail = entry["detail"] if isinstance(entry["detail"], dict) else json.loads(entry["detail"])
    assert detail["layer"] == "zones" and detail["from"] == 2 and detail["to"] == 1
    assert detail["version"] == 3 and entry["user"] == f"u_{role}"
    page = client.get("/collections/zones/versions?f=html", headers=headers)
    assert "恢复为此版本" in page.get_data(as_text=True)


def test_the_versions_page_offers_revert_only_to_planners(local_app):
    commit(local_app, zones(local_app)[1:], based_on=1)
    client = local_app.test_client()
    for role, offered in (("viewer", False), ("land", False), ("planner", True)):
        headers = {"Authorization": f"Bearer {local_app.tokens[role]}"}
        page = client.get("/collections/zones/versions?f=html", headers=headers)
        assert page.status_code == 200
        assert ("恢复为此版本" in page.get_data(as_text=True)) == offered, role


def test_repo_drift_is_reported_and_import_repo_makes_the_file_a_version(tmp_path):
    """A deploy brings a changed zones.geojson: the store keeps serving its version, store
    status and the versions page say so, and store import-repo makes the file version 2."""
    import os
    import shutil
    import subprocess
    import sys

    from geo_service.config import REPO_ROOT

    layers = tmp_path / "layers"
    shutil.copytree(REPO_ROOT / "layers", layers)
    config = {"TESTING": True, **dbs(tmp_path), "LAYERS_DIR": str(layers)}
    create_app(config)  # first start: the files become version 1
    changed = json.loads((layers / "zones.geojson").read_text(encoding="utf-8"))
    changed["features"][0]["properties"]["name"] = "仓库里改过的名字"
    (layers / "zones.geojson").write_text(json.dumps(changed, ensure_ascii=False), "utf-8")

    app = create_app(config)
    served = app.extensions["geo_service.catalog"].get("zones")
    assert served.version == 1 and served.features[0]["properties"]["name"] != "仓库里改过的名字"
    listing = app.test_client().get("/collections/zones/versions").get_json()
    assert listing["drift"]["file"] == "zones.geojson"
    assert "store import-repo zones" in listing["drift"]["command"]
    page = app.test_client().get("/collections/zones/versions?f=html").get_data(as_text=True)
    assert "与图层 zones 的任何版本都不同" in page
    assert app.test_client().get("/collections/counties/versions").get_json()["drift"] is None

    env = {
        **os.environ,
        **{f"GEO_SERVICE_{k}": str(v) for k, v in config.items() if k != "TESTING"},
    }

    def cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "geo_service", "store", *args],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    status = cli("status")
    assert status.returncode == 0, status.stderr
    assert "zones.geojson 与图层 zones 的任何版本都不同" in status.stdout
    assert "counties.geojson 与" not in status.stdout
    made = cli("import-repo", "zones", "--message", "采用仓库文件")
    assert made.returncode == 0, made.stderr
    assert "第 2 版" in made.stdout and "修改 1" in made.stdout
    again = cli("import-repo", "zones")
    assert again.returncode == 0 and "未生成新版本" in again.stdout
    unknown = cli("import-repo", "nope")
    assert unknown.returncode == 1 and "nope" in unknown.stdout

    store = app.extensions["geo_service.store"]
    version = store.current_version("zones")
    assert (
        version.number == 2
        and version.message == "导入部署中的图层文件 zones.geojson：采用仓库文件"
    )
    assert version.user.startswith("cli:") and version.changes["changed"] == [
        changed["features"][0]["id"]
    ]
    assert app.test_client().get("/collections/zones/versions").get_json()["drift"] is None
    name = app.test_client().get(f"/collections/zones/items/{changed['features'][0]['id']}")
    assert name.get_json()["properties"]["name"] == "仓库里改过的名字"
    assert "不同" not in cli("status").stdout


def test_the_pages_link_to_the_versions_and_say_which_version_they_show(app):
    features, grown, removed = three_versions(app)
    client = app.test_client()
    meta = client.get("/collections/zones").get_json()
    history = next(x for x in meta["links"] if x["rel"] == "version-history")
    assert history["href"].endswith("/collections/zones/versions?f=json")
    assert "版本历史" in client.get("/collections/zones?f=html").get_data(as_text=True)
    page = client.get("/collections/zones/items?version=2&f=html").get_data(as_text=True)
    assert "图层第 2 版的要素" in page
    assert f"/collections/zones/items/{removed['id']}?f=html&amp;version=2" in page
    current = client.get("/collections/zones/items?f=html").get_data(as_text=True)
    assert "图层第" not in current
    item = client.get(f"/collections/zones/items/{removed['id']}?version=2&f=html")
    assert "图层第 2 版" in item.get_data(as_text=True)


def test_the_diff_map_is_bounded(app, monkeypatch):
    from geo_service import layer_versions

    three_versions(app)
    monkeypatch.setattr(layer_versions, "MAP_MAX", 3)
    page = app.test_client().get("/collections/zones/versions/2?against=1&f=html")
    text = page.get_data(as_text=True)
    blob = re.search(r'id="gs-version-data">(.*?)</script>', text, re.S).group(1)
    assert len(json.loads(blob)["features"]) == 3 and "地图只画出前 3 个要素" in text
