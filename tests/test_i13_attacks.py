"""An attacker's and a careful user's pass over issue 13 (store, versions, imports, edits):
each test is a finding that was a 500 or let stored data break a page, fixed since."""

from __future__ import annotations

import json
import re

import pytest
from conftest import dbs

from geo_service import create_app

PASSWORD = "correct horse battery"
CJK = re.compile(r"[\u4e00-\u9fff]")
ZONES = "/collections/zones/items"
PAGES = ("/?f=html", "/api/analysis/coverage", "/export/map.html")


@pytest.fixture()
def app(tmp_path):
    app = create_app({"TESTING": True, **dbs(tmp_path), "AUTH": "local"})
    accounts = app.extensions["geo_service.auth"]
    accounts.add_user("u_planner", "planner", PASSWORD)
    app.token, _ = accounts.create_token("u_planner", "planner")
    return app


def bearer(app, **extra) -> dict:
    return {"Authorization": f"Bearer {app.token}", **extra}


def store(app):
    return app.extensions["geo_service.store"]


def square(lon=109.02, lat=32.69, d=0.01) -> dict:
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return {"type": "MultiPolygon", "coordinates": [[ring]]}


def refused(answer, status: int) -> str:
    assert answer.status_code == status, answer.get_data(as_text=True)[:400]
    message = answer.get_json()["error"]["message"]
    assert CJK.search(message), message
    return message


def unchanged(app, client, before: int, etag: str) -> None:
    """After a refused write: no new version, the same ETag served."""
    assert store(app).current_version("zones").number == before
    assert client.get(ZONES).headers["ETag"] == etag


@pytest.mark.parametrize("header", ['""', 'W/"x", ""', '"", *'])
def test_an_empty_entity_tag_in_if_match_is_a_412_not_a_500(app, header):
    client = app.test_client()
    before = store(app).current_version("zones").number
    etag = client.get(ZONES).headers["ETag"]
    url = f"{ZONES}/ankang-hitech"
    patch = json.dumps({"properties": {"name": "改名"}})
    answer = client.patch(
        url, headers=bearer(app, **{"If-Match": header}), data=patch,
        content_type="application/merge-patch+json",
    )  # fmt: skip
    if "*" in header:
        assert answer.status_code == 200
        return
    refused(answer, 412)
    unchanged(app, client, before, etag)
    refused(client.delete(url, headers=bearer(app, **{"If-Match": header})), 412)
    unchanged(app, client, before, etag)


@pytest.mark.parametrize(
    "number",
    ["1" + "0" * 400, "9" * 5000, "-" + "9" * 30],
    ids=["coordinate-1e400", "5000-digits", "beyond-int64"],
)
def test_a_huge_integer_in_an_edit_is_a_400(app, number):
    client = app.test_client()
    before = store(app).current_version("zones").number
    etag = client.get(ZONES).headers["ETag"]
    point = '{"type":"Point","coordinates":[NUMBER,32.7]}'
    in_coordinate = '{"type":"Feature","geometry":POINT,"properties":{"name":"x"}}'.replace(
        "POINT", point
    ).replace("NUMBER", number)
    in_property = '{"type":"Feature","geometry":SQUARE,"properties":{"name":"x","v":NUMBER}}'
    in_property = in_property.replace("SQUARE", json.dumps(square())).replace("NUMBER", number)
    for body in (in_coordinate, in_property):
        answer = client.post(
            ZONES, headers=bearer(app), data=body, content_type="application/geo+json"
        )
        assert "整数" in refused(answer, 400)
        unchanged(app, client, before, etag)


@pytest.mark.parametrize("where", ["value", "name"])
def test_a_lone_surrogate_in_an_edit_is_a_400(app, where):
    client = app.test_client()
    before = store(app).current_version("zones").number
    etag = client.get(ZONES).headers["ETag"]
    properties = {"name": "\ud800园区"} if where == "value" else {"name": "园区", "\udc00": 1}
    body = json.dumps({"type": "Feature", "geometry": square(), "properties": properties})
    answer = client.post(
        ZONES, headers=bearer(app), data=body.encode(), content_type="application/geo+json"
    )
    assert "Unicode" in refused(answer, 400)
    unchanged(app, client, before, etag)


@pytest.mark.parametrize("fid", [".", "..", "..."])
def test_a_feature_id_of_dots_only_is_refused(app, fid):
    """``/items/..`` is not an address a client keeps: the feature could never be read,
    edited or deleted again."""
    client = app.test_client()
    before = store(app).current_version("zones").number
    etag = client.get(ZONES).headers["ETag"]
    body = {"type": "Feature", "id": fid, "geometry": square(), "properties": {"name": "点"}}
    refused(client.post(ZONES, headers=bearer(app), json=body), 400)
    unchanged(app, client, before, etag)


def patched(app, client, layer: str, fid: str, properties: dict):
    answer = client.patch(
        f"/collections/{layer}/items/{fid}",
        headers=bearer(app, **{"If-Match": "*"}),
        data=json.dumps({"properties": properties}),
        content_type="application/merge-patch+json",
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)[:400]


def pages_work(client) -> None:
    for url in PAGES:
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.get_data(as_text=True)[:300])


@pytest.mark.parametrize(
    ("layer", "fid", "properties"),
    [
        ("zones", "ankang-hitech", {"county": None}),
        ("zones", "ankang-hitech", {"county": "999999"}),
        ("new_materials_bases", "nm-hitech-alloy", {"county": None}),
        ("clusters", "selenium-food", {"host_zones": None}),
        ("clusters", "selenium-food", {"host_zones": "nope,ankang-hitech"}),
        ("clusters", "selenium-food", {"host_counties": "000000", "host_bases": "zz"}),
    ],
    ids=[
        "zone-without-county",
        "zone-in-unknown-county",
        "base-without-county",
        "cluster-without-host-zones",
        "cluster-naming-unknown-zone",
        "cluster-naming-unknown-county-and-base",
    ],
)
def test_one_attribute_edit_does_not_take_the_map_page_down(app, layer, fid, properties):
    """A planner's PATCH of one attribute (a valid edit, a new version) made the map page,
    the offline map and the coverage analysis a 500 for everyone."""
    client = app.test_client()
    patched(app, client, layer, fid, properties)
    pages_work(client)


def test_a_new_zone_drawn_without_county_gets_it_as_an_imported_one_does(app):
    client = app.test_client()
    body = {
        "type": "Feature",
        "id": "new-park",
        "geometry": square(),
        "properties": {"name": "新园区"},
    }
    answer = client.post(ZONES, headers=bearer(app), json=body)
    assert answer.status_code == 201, answer.get_data(as_text=True)[:300]
    assert answer.get_json()["properties"]["county"] == "610902"  # 汉滨区
    pages_work(client)


ANALYSES = (
    "/analysis",
    "/api/analysis/coverage",
    "/api/analysis/enclaves",
    "/api/analysis/reach",
    "/api/analysis/targets",
    "/api/analysis/reach?f=csv",
    "/api/analysis/targets?f=xlsx",
)


@pytest.mark.parametrize(
    ("layer", "fid", "properties"),
    [
        ("enclave_links", "enclave-ningshan", {"origin": None}),
        ("enclave_links", "enclave-ningshan", {"host_zone": None, "industries": None}),
        ("logistics_nodes", "hub-central", {"role": None}),
        ("logistics_nodes", "hub-central", {"role": "多点"}),
        ("clusters", "selenium-food", {"target_2020_yi": None, "target_wording": None}),
        ("clusters", "selenium-food", {"target_2020_yi": "约一百亿"}),
    ],
    ids=[
        "link-without-origin",
        "link-without-park",
        "node-without-role",
        "no-hub-left",
        "cluster-without-target",
        "target-in-words",
    ],
)
def test_one_attribute_edit_does_not_take_an_analysis_down(app, layer, fid, properties):
    client = app.test_client()
    patched(app, client, layer, fid, properties)
    for url in ANALYSES:
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.get_data(as_text=True)[:300])


def test_sorting_by_a_property_an_edit_gave_a_list_or_object_is_not_a_500(app):
    client = app.test_client()
    for number, value in enumerate([["甲", "乙"], {"级": 1}, 7]):
        properties = {"name": f"园区{number}", "grade": value}
        body = {
            "type": "Feature",
            "geometry": square(109.02 + number * 0.02),
            "properties": properties,
        }
        assert client.post(ZONES, headers=bearer(app), json=body).status_code == 201
    patched(app, client, "zones", "ankang-hitech", {"name": ["列表", "名"], "grade": "A"})
    for sortby in ("name", "-name", "grade", "-grade"):
        answer = client.get(f"{ZONES}?sortby={sortby}&limit=100")
        assert answer.status_code == 200, (sortby, answer.get_data(as_text=True)[:300])
        grades = [f["properties"].get("grade") for f in answer.get_json()["features"]]
        present = [g for g in grades if g is not None]
        order = [7, "A", ["甲", "乙"], {"级": 1}]  # numbers, text, then by JSON text
        assert present == (order if not sortby.startswith("-") else order[::-1]) or "name" in sortby
    pages_work(client)  # a list as a zone's name still draws (map labels, popups, search)


def zones_file(client) -> str:
    """The current zones as a GeoJSON file, as a planner would download and import them."""
    data = client.get(f"{ZONES}?limit=100").get_json()
    features = [
        {k: f[k] for k in ("type", "id", "geometry", "properties")} for f in data["features"]
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


@pytest.mark.parametrize(
    ("what", "words"),
    [('"\\ud800甲"', "Unicode"), ("1" + "0" * 5000, "整数")],
    ids=["lone-surrogate", "5000-digit-integer"],
)
@pytest.mark.parametrize("dry_run", ["1", "0"])
def test_a_hostile_value_in_an_imported_geojson_is_a_422(app, what, words, dry_run):
    import io

    client = app.test_client()
    before = store(app).current_version("zones").number
    etag = client.get(ZONES).headers["ETag"]
    text = zones_file(client).replace('"properties": {', '"properties": {"v": ' + what + ", ", 1)
    form = {"file": (io.BytesIO(text.encode()), "zones.geojson"), "dry_run": dry_run}
    answer = client.post("/collections/zones/imports", headers=bearer(app), data=form)
    assert words in refused(answer, 422)
    assert "zones.geojson" in answer.get_data(as_text=True)
    unchanged(app, client, before, etag)


def test_a_revert_may_not_drop_a_feature_other_layers_name(app):
    """Edits and imports keep the ids other layers name; a revert to a version before the
    feature existed dropped it (a cluster then named a zone that is not there)."""
    client = app.test_client()
    body = {"type": "Feature", "id": "newz", "geometry": square(), "properties": {"name": "新"}}
    assert client.post(ZONES, headers=bearer(app), json=body).status_code == 201
    patched(app, client, "clusters", "selenium-food", {"host_zones": "newz,ankang-hitech"})
    before = store(app).current_version("zones").number
    etag = client.get(ZONES).headers["ETag"]
    answer = client.post("/collections/zones/versions/1/revert", headers=bearer(app))
    message = refused(answer, 422)
    assert "newz" in message and "selenium-food" in answer.get_data(as_text=True)
    unchanged(app, client, before, etag)
    assert client.get(f"{ZONES}/newz").status_code == 200
