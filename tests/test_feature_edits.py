"""OGC API - Features Part 4 on the layers: each write a new version, If-Match/ETag (412, 428),
the planner role (tokens, sessions with CSRF), hostile bodies refused in Chinese."""

from __future__ import annotations

import json
import re
import threading
from urllib.parse import quote

import pyproj
import pytest
from conftest import dbs

from geo_service import create_app
from geo_service.edit_body import MAX_BODY_BYTES

PASSWORD = "correct horse battery"
CJK = re.compile(r"[\u4e00-\u9fff]")
NODE = "/collections/logistics_nodes/items/hub-central"
ZONE_ITEMS = "/collections/zones/items"


@pytest.fixture()
def app(tmp_path):
    """Local accounts, one user and one bearer token per role."""
    app = create_app({"TESTING": True, **dbs(tmp_path), "AUTH": "local"})
    accounts = app.extensions["geo_service.auth"]
    app.tokens = {}
    for role in ("viewer", "land", "planner", "admin"):
        accounts.add_user(f"u_{role}", role, PASSWORD)
        app.tokens[role], _ = accounts.create_token(f"u_{role}", role)
    return app


def bearer(app, role="planner", **extra) -> dict:
    return {"Authorization": f"Bearer {app.tokens[role]}", **extra}


def store(app):
    return app.extensions["geo_service.store"]


def etag_of(client, url, **headers) -> str:
    answer = client.get(url, headers=headers)
    assert answer.status_code == 200
    return answer.headers["ETag"]


def square(lon=109.02, lat=32.69, d=0.01) -> dict:
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return {"type": "MultiPolygon", "coordinates": [[ring]]}


def zone(fid=None, **properties) -> dict:
    feature = {
        "type": "Feature",
        "geometry": square(),
        "properties": {"name": "新园区", **properties},
    }
    if fid:
        feature["id"] = fid
    return feature


def chinese_error(answer, status: int, code: str | None = None) -> str:
    assert answer.status_code == status, answer.get_data(as_text=True)[:400]
    error = answer.get_json()["error"]
    assert CJK.search(error["message"]), error
    if code:
        assert error["code"] == code
    return error["message"]


def test_create_replace_update_delete_each_write_a_version(app):
    client = app.test_client()
    before = store(app).current_version("zones").number
    created = client.post(ZONE_ITEMS, json=zone("new-park"), headers=bearer(app))
    assert created.status_code == 201
    url = "/collections/zones/items/new-park"
    assert created.headers["Location"].endswith(url)
    assert created.headers["ETag"] == etag_of(client, url)
    stored = created.get_json()["properties"]
    assert stored["precision"] == "schematic" and stored["source"].startswith("编辑：u_planner ")
    assert stored["id"] == "new-park"

    replaced = zone("new-park", source="规划局 2026 图", precision="surveyed", level="县级")
    put = client.put(
        url, json=replaced, headers=bearer(app, **{"If-Match": created.headers["ETag"]})
    )
    assert put.status_code == 200 and put.headers["ETag"] == etag_of(client, url)
    assert put.get_json()["properties"]["precision"] == "surveyed"

    message = "扩大园区范围（规委会 12 月决议）"
    headers = bearer(app, **{"If-Match": put.headers["ETag"], "X-Change-Message": quote(message)})
    patch = {"properties": {"level": None, "kind": "产业园"}, "geometry": square(d=0.02)}
    patched = client.patch(url, json=patch, headers=headers)
    assert patched.status_code == 200 and patched.headers["ETag"] == etag_of(client, url)
    properties = patched.get_json()["properties"]
    assert "level" not in properties and properties["kind"] == "产业园"
    # the geometry was drawn anew and the editor stated no precision: no longer "surveyed"
    assert properties["precision"] == "schematic"
    assert properties["source"].startswith("规划局 2026 图；编辑：u_planner ")

    gone = client.delete(url, headers=bearer(app, **{"If-Match": patched.headers["ETag"]}))
    assert gone.status_code == 204
    assert client.get(url).status_code == 404

    versions = store(app).versions("zones")[before:]
    assert [v.number for v in versions] == [before + 1, before + 2, before + 3, before + 4]
    assert {v.user for v in versions} == {"u_planner"}
    assert [v.message for v in versions] == [
        "新建要素 new-park",
        "替换要素 new-park",
        message,
        "删除要素 new-park",
    ]
    assert versions[0].changes["added"] == ["new-park"]
    assert versions[-1].changes["removed"] == ["new-park"]
    history = client.get(url + "/history").get_json()["history"]
    assert [(h["version"], h["change"], h["user"]) for h in history] == [
        (before + 1, "added", "u_planner"),
        (before + 2, "changed", "u_planner"),
        (before + 3, "changed", "u_planner"),
        (before + 4, "removed", "u_planner"),
    ]
    assert history[2]["message"] == message and history[0]["change_text"] == "新建"


def test_attributes_come_back_intact_and_an_unchanged_geometry_keeps_its_precision(app):
    client = app.test_client()
    old = client.get(NODE).get_json()
    name = '<img src=x onerror="alert(1)"> 中心 & “枢纽”'
    answer = client.patch(
        NODE,
        json={"properties": {"name": name, "note": {"a": [1, 2.5, None, "=1+1"]}}},
        headers=bearer(app, **{"If-Match": etag_of(client, NODE)}),
    )
    assert answer.status_code == 200
    served = client.get(NODE).get_json()
    assert served["properties"]["name"] == name
    assert served["properties"]["note"] == {"a": [1, 2.5, None, "=1+1"]}
    assert served["properties"]["precision"] == old["properties"]["precision"] == "county-seat"
    assert served["geometry"] == old["geometry"]
    assert served["properties"]["source"].startswith(old["properties"]["source"] + "；编辑：")


def test_a_stale_etag_is_412_with_the_current_one_and_nothing_is_lost(app):
    """Two editors read the same version; the second to save loses, then redoes it."""
    first, second = app.test_client(), app.test_client()
    seen = etag_of(first, NODE)
    assert etag_of(second, NODE) == seen
    won = first.patch(
        NODE, json={"properties": {"name": "甲"}}, headers=bearer(app, **{"If-Match": seen})
    )
    assert won.status_code == 200
    lost = second.patch(
        NODE, json={"properties": {"tier": "乙"}}, headers=bearer(app, **{"If-Match": seen})
    )
    chinese_error(lost, 412, "precondition_failed")
    assert lost.headers["ETag"] == won.headers["ETag"] == etag_of(second, NODE)
    assert lost.get_json()["error"]["details"]["etag"] == won.headers["ETag"]
    served = second.get(NODE).get_json()["properties"]
    assert served["name"] == "甲" and served["tier"] != "乙"
    again = second.patch(
        NODE,
        json={"properties": {"tier": "乙"}},
        headers=bearer(app, **{"If-Match": lost.headers["ETag"]}),
    )
    assert again.status_code == 200
    assert again.get_json()["properties"]["name"] == "甲"  # the first editor's change kept
    for method in ("put", "delete"):
        stale = getattr(second, method)(
            NODE, json=zone(), headers=bearer(app, **{"If-Match": seen})
        )
        assert stale.status_code == 412


def test_an_etag_from_any_representation_names_the_feature(app):
    """If-Match is checked against the feature: its HTML page's or English ETag works too,
    and editing another feature of the layer does not make it stale."""
    client = app.test_client()
    html = etag_of(client, NODE + "?f=html")
    english = etag_of(client, NODE, **{"Accept-Language": "en"})
    assert len({html, english, etag_of(client, NODE)}) == 3
    other = "/collections/logistics_nodes/items/" + _ids(app, "logistics_nodes")[1]
    moved = client.patch(
        other,
        json={"properties": {"name": "别处"}},
        headers=bearer(app, **{"If-Match": etag_of(client, other)}),
    )
    assert moved.status_code == 200
    by_page = client.patch(
        NODE, json={"properties": {"name": "页"}}, headers=bearer(app, **{"If-Match": html})
    )
    assert by_page.status_code == 200
    stale = client.patch(NODE, json={}, headers=bearer(app, **{"If-Match": english}))
    assert stale.status_code == 412
    fresh = etag_of(client, NODE, **{"Accept-Language": "en"})
    assert fresh != english and fresh.split("-")[0] == by_page.headers["ETag"].split("-")[0]
    by_english = client.patch(
        NODE, json={"properties": {"name": "英"}}, headers=bearer(app, **{"If-Match": fresh})
    )
    assert by_english.status_code == 200


def test_concurrent_edits_of_different_features_all_land(app):
    """Editors saving at the same moment: each edit is retried on the version another wrote
    first; every 200 is in the final version (busy, 503, at worst; never lost)."""
    ids = _ids(app, "logistics_nodes")[:6]
    tags = {
        fid: etag_of(app.test_client(), f"/collections/logistics_nodes/items/{fid}") for fid in ids
    }
    results = {}
    start = threading.Barrier(len(ids))

    def edit(fid):
        client = app.test_client()
        start.wait()
        answer = client.patch(
            f"/collections/logistics_nodes/items/{fid}",
            json={"properties": {"name": f"并发 {fid}"}},
            headers=bearer(app, **{"If-Match": tags[fid]}),
        )
        results[fid] = answer.status_code

    threads = [threading.Thread(target=edit, args=(fid,)) for fid in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(results.values()) <= {200, 503} and 200 in results.values()
    final = {f["id"]: f for f in store(app).features("logistics_nodes")}
    for fid, status in results.items():
        if status == 200:
            assert final[fid]["properties"]["name"] == f"并发 {fid}"


def test_a_change_message_in_raw_utf8_is_kept(app):
    """curl sends UTF-8 header bytes as they are (WSGI reads them as latin-1)."""
    client = app.test_client()
    raw = "调整边界 10%".encode().decode("latin-1")
    answer = client.patch(
        NODE,
        json={"properties": {"name": "改"}},
        headers=bearer(app, **{"If-Match": etag_of(client, NODE), "X-Change-Message": raw}),
    )
    assert answer.status_code == 200
    assert store(app).current_version("logistics_nodes").message == "调整边界 10%"


def test_without_if_match_428_and_create_needs_none(app):
    client = app.test_client()
    for method in ("put", "patch", "delete"):
        answer = getattr(client, method)(NODE, json=zone(), headers=bearer(app))
        assert "If-Match" in chinese_error(answer, 428, "precondition_required")
    assert store(app).current_version("logistics_nodes").number == 1
    assert client.post(ZONE_ITEMS, json=zone(), headers=bearer(app)).status_code == 201


def test_refused_without_the_planner_role(app):
    client = app.test_client()
    tag = etag_of(client, NODE)
    for headers, status in (
        ({}, 401),
        (bearer(app, "viewer"), 403),
        (bearer(app, "land"), 403),
        ({"Authorization": "Bearer gs_not_a_token"}, 401),
    ):
        for method, url, body in (
            ("post", ZONE_ITEMS, zone()),
            ("put", NODE, zone()),
            ("patch", NODE, {"properties": {"name": "x"}}),
            ("delete", NODE, None),
        ):
            answer = getattr(client, method)(url, json=body, headers={**headers, "If-Match": tag})
            chinese_error(answer, status)
    assert store(app).current_version("zones").number == 1
    assert store(app).current_version("logistics_nodes").number == 1
    admin = client.patch(
        NODE,
        json={"properties": {"name": "管理员改"}},
        headers=bearer(app, "admin", **{"If-Match": tag}),
    )
    assert admin.status_code == 200


def test_a_session_needs_the_csrf_token_or_our_origin(app):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"name": "u_planner", "password": PASSWORD, "csrf_token": token})
    tag = etag_of(client, NODE)
    body = {"properties": {"name": "会话"}}
    for headers in (
        {"Origin": "http://evil.example"},
        {"Referer": "http://evil.example/map"},
        {"Sec-Fetch-Site": "cross-site"},
        {"X-CSRF-Token": "wrong"},
        {},
    ):
        answer = client.patch(NODE, json=body, headers={**headers, "If-Match": tag})
        chinese_error(answer, 403, "forbidden")
    with client.session_transaction() as session:
        csrf = session["csrf"]
    done = client.patch(NODE, json=body, headers={"X-CSRF-Token": csrf, "If-Match": tag})
    assert done.status_code == 200
    assert store(app).current_version("logistics_nodes").user == "u_planner"
    audit = app.extensions["geo_service.auth"]
    assert "logistics_nodes" in json.dumps(audit.audit(limit=5), ensure_ascii=False)


@pytest.mark.parametrize(
    ("name", "raw", "media", "status"),
    [
        (
            "huge",
            b'{"type":"Feature","properties":{"x":"' + b"a" * MAX_BODY_BYTES + b'"}}',
            None,
            413,
        ),
        (
            "deep",
            b'{"type":"Feature","properties":{"x":' + b"[" * 5000 + b"]" * 5000 + b"}}",
            None,
            400,
        ),
        (
            "NaN",
            b'{"type":"Feature","geometry":{"type":"Point","coordinates":[NaN,32.7]}}',
            None,
            400,
        ),
        (
            "1e999",
            b'{"type":"Feature","geometry":{"type":"Point","coordinates":[1e999,32.7]}}',
            None,
            400,
        ),
        ("not json", b'{"type":"Feature",', None, 400),
        ("not utf-8", '{"type":"Feature","properties":{"name":"安康"}}'.encode("gbk"), None, 400),
        ("array", b"[1,2]", None, 400),
        ("collection", b'{"type":"FeatureCollection","features":[]}', None, 400),
        ("text/plain", b'{"type":"Feature"}', "text/plain", 415),
        ("form", b"a=b", "application/x-www-form-urlencoded", 415),
    ],
)
def test_hostile_bodies_are_4xx_in_chinese(app, name, raw, media, status):
    client = app.test_client()
    answer = client.post(
        ZONE_ITEMS, data=raw, content_type=media or "application/geo+json", headers=bearer(app)
    )
    chinese_error(answer, status)
    assert store(app).current_version("zones").number == 1


def bowtie() -> dict:
    ring = [[109.0, 32.7], [109.01, 32.71], [109.01, 32.7], [109.0, 32.71], [109.0, 32.7]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.mark.parametrize(
    ("feature", "headers", "status", "words"),
    [
        (zone("<script>x</script>"), {}, 400, "编号"),
        (zone("a b"), {}, 400, "编号"),
        (zone("x" * 65), {}, 400, "编号"),
        (
            {
                **zone(),
                "geometry": {"type": "LineString", "coordinates": [[109, 32.7], [109.1, 32.8]]},
            },
            {},
            422,
            "LineString",
        ),
        ({**zone(), "geometry": bowtie()}, {}, 422, "几何无效"),
        ({**zone(), "geometry": square(lon=116.4, lat=39.9)}, {}, 422, "安康"),
        ({**zone(), "geometry": {"type": "Point", "coordinates": [109, "32"]}}, {}, 400, "坐标"),
        (
            {
                **zone(),
                "geometry": {"type": "Polygon", "coordinates": [[[109, 32.7], [109.1, 32.7]]]},
            },
            {},
            400,
            "至少",
        ),
        (
            {**zone(), "geometry": {"type": "GeometryCollection", "geometries": []}},
            {},
            400,
            "几何类型",
        ),
        ({**zone(), "geometry": None}, {}, 400, "几何"),
        (
            zone(),
            {"Content-Crs": "<http://www.opengis.net/def/crs/EPSG/0/3857>"},
            400,
            "坐标参考系",
        ),
        (zone(), {"Content-Crs": "<http://www.opengis.net/def/crs/EPSG/0/4545>"}, 422, "安康"),
        ({**zone(), "properties": {"source": "x", "precision": "schematic"}}, {}, 422, "name"),
        (zone(precision="exact"), {}, 422, "precision"),
        ({**zone(), "properties": [1]}, {}, 400, "properties"),
        ({**zone(), "style": {}}, {}, 400, "style"),
        (zone("counties-x"), {"X-Change-Message": "x" * 201}, 400, "X-Change-Message"),
    ],
)
def test_features_the_layer_cannot_take_are_refused(app, feature, headers, status, words):
    client = app.test_client()
    answer = client.post(ZONE_ITEMS, json=feature, headers=bearer(app, **headers))
    assert words in chinese_error(answer, status)
    assert store(app).current_version("zones").number == 1


def test_coordinates_in_a_gk_plane_are_moved_to_crs84(app):
    """Content-Crs EPSG:4545: northing (X) first, then easting, as query/crs.py offers it."""
    client = app.test_client()
    x, y = 3_619_000.0, 590_000.0
    feature = {
        "type": "Feature",
        "id": "node-gk",
        "geometry": {"type": "Point", "coordinates": [x, y]},
        "properties": {"name": "高斯坐标节点"},
    }
    headers = bearer(app, **{"Content-Crs": "<http://www.opengis.net/def/crs/EPSG/0/4545>"})
    answer = client.post("/collections/logistics_nodes/items", json=feature, headers=headers)
    assert answer.status_code == 201
    lon, lat = pyproj.Transformer.from_crs("EPSG:4545", "OGC:CRS84", always_xy=True).transform(y, x)
    served = client.get("/collections/logistics_nodes/items/node-gk").get_json()["geometry"]
    assert served["coordinates"] == pytest.approx([lon, lat], abs=2e-7)
    again = client.get("/collections/logistics_nodes/items/node-gk?crs=EPSG:4545").get_json()
    assert again["geometry"]["coordinates"] == pytest.approx([x, y], abs=0.05)


def test_ids_ids_in_the_body_and_reference_layers(app):
    client = app.test_client()
    tag = etag_of(client, NODE)
    other = client.put(
        NODE,
        json={**zone("another"), "geometry": {"type": "Point", "coordinates": [109.03, 32.69]}},
        headers=bearer(app, **{"If-Match": tag}),
    )
    chinese_error(other, 422)
    taken = client.post(
        "/collections/logistics_nodes/items",
        json={**zone("hub-central"), "geometry": {"type": "Point", "coordinates": [109.03, 32.69]}},
        headers=bearer(app),
    )
    chinese_error(taken, 409, "conflict")
    county = _ids(app, "counties")[0]
    url = f"/collections/counties/items/{county}"
    refused = client.patch(
        url,
        json={"properties": {"name": "x"}},
        headers=bearer(app, **{"If-Match": etag_of(client, url)}),
    )
    assert "counties" in chinese_error(refused, 403)
    assert client.get("/collections/zones/items/nothing/history").status_code == 404
    assert (
        client.patch(
            "/collections/zones/items/nothing", json={}, headers=bearer(app, **{"If-Match": "*"})
        ).status_code
        == 404
    )


def test_part4_is_declared_and_documented(app):
    client = app.test_client()
    conforms = client.get("/conformance").get_json()["conformsTo"]
    for name in ("create-replace-delete", "update", "features", "optimistic-locking-etags"):
        assert f"http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/{name}" in conforms
    paths = client.get("/api?f=json").get_json()["paths"]
    item = paths["/collections/{collectionId}/items/{featureId}"]
    assert {"get", "put", "patch", "delete"} <= set(item)
    assert "412" in item["put"]["responses"] and "428" in item["patch"]["responses"]
    assert "201" in paths["/collections/{collectionId}/items"]["post"]["responses"]
    assert "get" in paths["/collections/{collectionId}/items/{featureId}/history"]


def _ids(app, layer_id: str) -> list[str]:
    return [f["id"] for f in app.extensions["geo_service.catalog"].get(layer_id).features]
