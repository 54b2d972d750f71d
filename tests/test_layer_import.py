"""Importing official boundaries into a layer: every format the check reads with each
recognised id/name field, the diff against the current version with areas known by
construction, validation per feature, dry run vs commit, roles, hostile files, the CLI."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from conftest import dbs
from layer_import_files import (
    MU,
    NAMES,
    csv_wkt,
    frame,
    geojson,
    geopackage,
    gk_features,
    jzd,
    kml,
    polygon_geojson,
    shapefile_zip,
)
from shapely.geometry import box

from geo_service import create_app

IMPORTS = "/collections/zones/imports"


@pytest.fixture()
def app(tmp_path):
    return create_app({"TESTING": True, **dbs(tmp_path)})


def post(client, data: bytes, name: str, url: str = IMPORTS, **form):
    fields = {"file": (io.BytesIO(data), name), **{k: str(v) for k, v in form.items()}}
    return client.post(url, data=fields, content_type="multipart/form-data")


def store(app):
    return app.extensions["geo_service.store"]


def served(app, layer="zones"):
    return app.extensions["geo_service.catalog"].get(layer)


@pytest.mark.parametrize(
    ("kind", "id_field", "name_field", "form"),
    [
        ("shapefile", "YQDM", "YQMC", {}),
        ("gpkg", "KFQDM", "KFQMC", {}),
        ("geojson", "zone_id", "名称", {}),
        ("kml", "代码", "区名", {}),
        ("csv", "编号", "name", {"crs": "EPSG:4545"}),
    ],
)
def test_each_format_and_recognised_field_imports_with_names_and_attributes_intact(
    app, tmp_path, kind, id_field, name_field, form
):
    data, name = {
        "shapefile": lambda: (shapefile_zip(tmp_path), "园区边界.zip"),
        "gpkg": lambda: (geopackage(tmp_path), "园区边界.gpkg"),
        "geojson": lambda: (geojson(), "园区边界.geojson"),
        "kml": lambda: (kml(), "园区边界.kml"),
        "csv": lambda: (csv_wkt(), "园区边界.csv"),
    }[kind]()
    client = app.test_client()
    dry = post(client, data, name, **form)
    assert dry.status_code == 200, dry.json
    body = dry.json
    assert body["dry_run"] and body["committable"], body["problems"]
    assert (body["fields"]["id"], body["fields"]["name"]) == (id_field, name_field)
    assert body["diff"]["counts"]["added"] == 2 and body["diff"]["counts"]["removed"] == 0
    added = [c for c in body["diff"]["changes"] if c["kind"] == "added"]
    assert sum(c["change_m2"] for c in added) == pytest.approx(2_000_000, abs=20)
    assert not [c for c in body["diff"]["changes"] if c["kind"] in ("moved", "grown", "shrunk")]
    assert store(app).current_version("zones").number == 1

    done = post(client, data, name, dry_run=0, message="2024 年批复边界", **form)
    assert done.status_code == 201, done.json
    assert done.json["version"]["number"] == 2
    assert done.headers["Location"].endswith("/collections/zones/versions/2")
    assert client.get(done.headers["Location"] + "?f=json").json["number"] == 2
    items = client.get("/collections/zones/items?f=json").json["features"]
    assert [f["id"] for f in items][:2] == ["Z-1", "Z-2"] and len(items) == 18
    props = items[1]["properties"]
    assert props["name"] == NAMES["Z-2"], "markup in a name comes back as given"
    assert props[name_field] == NAMES["Z-2"] and props[id_field] == "Z-2"
    assert props["precision"] == "surveyed" and name in props["source"]
    if kind not in ("csv", "kml"):
        assert props["批准文号"] == "陕政函〔2019〕1号", "GBK attributes read intact"
    version = store(app).current_version("zones")
    assert (version.message, version.source_name) == ("2024 年批复边界", name)


def test_jzd_file_takes_ids_from_the_file_and_the_name_field_given(app):
    client = app.test_client()
    answer = post(client, jzd(), "界址点.txt", name_field="地块名称").json
    # the file holds two zones: the 16 the other layers name would go
    cat = app.extensions["geo_service.catalog"]
    named = {
        z
        for layer, key in (("clusters", "host_zones"), ("new_materials_bases", "host_zone"))
        for f in cat.get(layer).features
        for z in str(f["properties"].get(key) or "").split(",")
        if z
    } | {f["properties"]["host_zone"] for f in cat.get("enclave_links").features}
    referenced = {p["id"]: p for p in answer["problems"] if p["code"] == "import.referenced"}
    assert not answer["committable"] and set(referenced) == named
    assert "当前版本的要素 ankang-hitech" in referenced["ankang-hitech"]["where"]
    assert "clusters/" in referenced["ankang-hitech"]["message"]
    assert (answer["fields"]["id"], answer["fields"]["name"]) == (None, "地块名称")
    assert "import.ids_from_file" in [n["code"] for n in answer["notes"]]
    ids = sorted(c["id"] for c in answer["diff"]["changes"] if c["kind"] == "added")
    assert ids == ["Z-1", "Z-2"]
    chosen = post(client, jzd(), "界址点.txt", id_field="地块编号", name_field="地块名称").json
    assert chosen["fields"]["id"] == "地块编号"


def test_chosen_fields_win_and_an_unknown_field_lists_the_fields(app):
    client = app.test_client()
    answer = post(client, geojson(), "z.geojson", id_field="批准文号", name_field="zone_id")
    assert answer.json["fields"]["id"] == "批准文号"
    assert answer.json["committable"] is False, "two zones share the 批准文号: duplicate ids"
    codes = {p["code"] for p in answer.json["problems"]}
    assert "import.duplicate_id" in codes
    wrong = post(client, geojson(), "z.geojson", id_field="没有这个字段")
    assert wrong.status_code == 422
    message = wrong.json["error"]["message"]
    assert "没有这个字段" in message and "zone_id" in message and "名称" in message


def versions_of(app) -> list[int]:
    return [v.number for v in store(app).versions("zones")]


def test_a_dry_run_changes_nothing_and_the_diff_has_the_areas_by_construction(app):
    client = app.test_client()
    first = {
        "Z-1": box(0, 0, 1000, 1000),
        "Z-2": box(1500, 0, 2500, 1000),
        "Z-4": box(0, 3000, 500, 3500),
    }
    props = {k: {"id": k, "name": f"园区{k}", "备注": "原"} for k in ("Z-1", "Z-2", "Z-3", "Z-4")}
    assert post(client, gk_features(first, props), "v2.geojson", dry_run=0).status_code == 201
    etag = client.get("/collections/zones/items").headers["ETag"]
    second = {
        "Z-1": box(0, 0, 1000, 1200),  # grown by 200,000 m² = 300 亩
        "Z-2": box(1600, 0, 2600, 1000),  # moved 100 m east, same area
        "Z-3": box(3000, 0, 3100, 100),  # new
    }
    props["Z-1"] = {**props["Z-1"], "备注": "扩区"}
    answer = post(client, gk_features(second, props), "v3.geojson", preview=1).json
    assert versions_of(app) == [1, 2]
    assert client.get("/collections/zones/items").headers["ETag"] == etag
    assert answer["based_on"] == 2
    counts = answer["diff"]["counts"]
    assert {k: counts[k] for k in ("added", "removed", "grown", "moved", "shrunk")} == {
        "added": 1,
        "removed": 1,
        "grown": 1,
        "moved": 1,
        "shrunk": 0,
    }
    change = {c["id"]: c for c in answer["diff"]["changes"]}
    # stored lon/lat keep 7 decimals (~1 cm): areas agree to 0.01 %
    assert change["Z-1"]["change_m2"] == pytest.approx(200_000, abs=20)
    assert change["Z-1"]["change_mu"] == pytest.approx(300, abs=0.03)
    assert "备注" in change["Z-1"]["attributes"]
    assert change["Z-2"]["change_m2"] == pytest.approx(0, abs=20)
    assert change["Z-2"]["moved_m"] == pytest.approx(100, abs=0.5)
    assert change["Z-3"]["kind"] == "added" and change["Z-4"]["kind"] == "removed"
    assert change["Z-4"]["change_m2"] == pytest.approx(-250_000, abs=20)
    preview = answer["preview"]
    kinds = {f["id"]: f["properties"]["kind"] for f in preview["new"]["features"]}
    # the other zones only change their source (another file names them)
    assert change["baihe-zone"]["attributes"] == ["source"]
    assert {k: v for k, v in kinds.items() if v != "attributes"} == {
        "Z-1": "grown",
        "Z-2": "moved",
        "Z-3": "added",
    }
    assert {f["id"] for f in preview["old"]["features"]} == {"Z-1", "Z-2", "Z-4"}

    stale = post(client, gk_features(second, props), "v3.geojson", dry_run=0, based_on=1)
    assert stale.status_code == 409 and versions_of(app) == [1, 2]
    done = post(client, gk_features(second, props), "v3.geojson", dry_run=0, based_on=2)
    assert done.status_code == 201 and versions_of(app) == [1, 2, 3]
    assert client.get("/collections/zones/items").headers["ETag"] != etag


def test_same_ids_keep_the_layers_other_attributes(app):
    client = app.test_client()
    hitech = served(app).feature("ankang-hitech")
    data = gk_features(
        {"ankang-hitech": box(0, 0, 1000, 1000)},
        {"ankang-hitech": {"id": "ankang-hitech", "name": "新名"}},
    )
    answer = post(client, data, "one.geojson").json
    assert "county_name" in answer["fields"]["kept_from_layer"]
    post(client, data, "one.geojson", dry_run=0)
    props = served(app).feature("ankang-hitech")["properties"]
    assert props["county_name"] == hitech["properties"]["county_name"]
    assert props["name"] == "新名" and props["precision"] == "surveyed"
    again = post(client, data, "one.geojson", keep_attributes=0).json
    assert again["fields"]["kept_from_layer"] == []


def test_english_is_answered_on_request_and_errors_come_first(app):
    client = app.test_client()
    shapes = {"A": box(0, 0, 1000, 1000), "B": box(900, 0, 1900, 1000)}
    props = {"A": {"id": "A", "name": "甲"}, "B": {"id": "B", "name": ""}}
    data = gk_features(shapes, props)
    answer = client.post(
        IMPORTS,
        data={"file": (io.BytesIO(data), "e.geojson")},
        headers={"Accept-Language": "en"},
    ).json
    severities = [p["severity"] for p in answer["problems"]]
    assert severities == sorted(severities, key=lambda s: s != "error")
    first = answer["problems"][0]
    assert first["code"] == "import.no_name" and first["message"] == "it has no name"
    assert first["where"] == "feature 2 (B)"


def test_precision_stated_by_the_user_and_a_wrong_one_refused(app):
    client = app.test_client()
    assert (
        post(client, geojson(), "z.geojson", precision="official").json["precision"] == "official"
    )
    refused = post(client, geojson(), "z.geojson", precision="精确")
    assert refused.status_code == 400 and "surveyed" in refused.json["error"]["message"]


def problems_of(answer: dict) -> dict:
    return {p["code"]: p for p in answer["problems"]}


def test_validation_is_reported_per_feature(app):
    client = app.test_client()
    shapes = {
        "A": box(0, 0, 1000, 1000),
        "B": box(900, 0, 1900, 1000),  # overlaps A by 100,000 m²
        "C": box(3000, 0, 4000, 1000),
    }
    props = {
        "A": {"id": "A", "name": "甲"},
        "B": {"id": "B", "name": "乙"},
        "C": {"id": "A", "name": ""},
    }
    answer = post(client, gk_features(shapes, props, current=False), "bad.geojson").json
    found = problems_of(answer)
    overlap = found["import.overlap"]
    assert overlap["severity"] == "warning" and overlap["id"] == "A"
    assert overlap["area_m2"] == pytest.approx(100_000, abs=2)
    assert overlap["area_mu"] == pytest.approx(150, abs=0.01)
    assert "与第 2 个要素（B）重叠" in overlap["message"]
    duplicate = found["import.duplicate_id"]
    assert duplicate["feature"] == 3 and "第 1 个要素" in duplicate["message"]
    assert found["import.no_name"]["feature"] == 3
    assert answer["committable"] is False
    refused = post(client, gk_features(shapes, props), "bad.geojson", dry_run=0)
    assert refused.status_code == 422 and versions_of(app) == [1]
    assert refused.json["error"]["message"].startswith("bad.geojson：有 2 个问题，未导入")
    assert "第 3 个要素（A）" in refused.json["error"]["message"]
    problems = refused.json["error"]["details"]["problems"]
    assert {p["code"] for p in problems} >= {"import.duplicate_id", "import.no_name"}


def test_invalid_geometry_repaired_or_refused_by_the_area_it_would_change(app):
    client = app.test_client()
    spike = [
        [108.64, 32.70],
        [108.65, 32.70],
        [108.65, 32.71],
        [108.645, 32.71],
        [108.645, 32.715],
        [108.645, 32.71],
        [108.64, 32.71],
        [108.64, 32.70],
    ]
    answer = post(client, polygon_geojson([spike], {"id": "S", "name": "尖角"}), "s.geojson").json
    repaired = problems_of(answer)["import.repaired"]
    assert repaired["severity"] == "warning" and answer["committable"], answer["problems"]
    bowtie = [[108.64, 32.70], [108.65, 32.71], [108.65, 32.70], [108.64, 32.71], [108.64, 32.70]]
    answer = post(client, polygon_geojson([bowtie], {"id": "B", "name": "8字"}), "b.geojson").json
    refused = problems_of(answer)["import.repair_refused"]
    assert refused["severity"] == "error" and "1%" in refused["message"]
    assert not answer["committable"]


def test_parts_outside_ankang_are_an_error_with_their_area(app):
    client = app.test_client()
    # from 33.5°N to 33.93°N: the north end lies beyond Ankang's northern boundary (33.84°N)
    ring = [[108.5, 33.5], [108.6, 33.5], [108.6, 33.93], [108.5, 33.93], [108.5, 33.5]]
    answer = post(client, polygon_geojson([ring], {"id": "N", "name": "北"}), "n.geojson").json
    outside = problems_of(answer)["import.outside_ankang"]
    assert outside["severity"] == "error" and outside["area_m2"] > 1_000_000
    assert "在安康市界以外" in outside["message"]


def test_zones_into_a_point_layer_are_refused_and_unknown_layers_are_404(app):
    client = app.test_client()
    answer = post(client, geojson(), "z.geojson", url="/collections/new_materials_bases/imports")
    assert answer.status_code == 422
    assert "本图层只收点（Point 或 MultiPoint）" in json.dumps(answer.json, ensure_ascii=False)
    assert post(client, geojson(), "z.geojson", url="/collections/nope/imports").status_code == 404
    assert client.post(IMPORTS, data={}).status_code == 400


def test_hostile_files_are_4xx_and_write_nothing(app, tmp_path):
    client = app.test_client()
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.shp", b"\0" * 50_000_000)
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as archive:
        for member in ("../../etc/x.shp", "/abs/x.dbf"):
            archive.writestr(member, b"x")
    many = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {"id": str(i), "name": "x"}, "geometry": None}
                for i in range(10_001)
            ],
        }
    ).encode()
    deep = b"[" * 5000 + b"]" * 5000
    for data, name in (
        (bomb.getvalue(), "bomb.zip"),
        (evil.getvalue(), "evil.zip"),
        (many, "many.geojson"),
        (deep, "deep.geojson"),
        (b"\x00\x01binary", "x.bin"),
        (b"<kml><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>&e;</kml>", "x.kml"),
        (shapefile_zip(tmp_path, frame().iloc[:0]), "empty.zip"),
    ):
        for dry in (1, 0):
            answer = post(client, data, name, dry_run=dry)
            assert 400 <= answer.status_code < 500, (name, answer.status_code, answer.json)
            assert answer.json["error"]["message"]
    assert versions_of(app) == [1]


def test_imports_and_the_page_need_the_planner_role(tmp_path):
    from test_auth import PASSWORD, ROLES, bearer, login

    app = create_app({"TESTING": True, **dbs(tmp_path), "AUTH": "local"})
    accounts = app.extensions["geo_service.auth"]
    app.tokens = {}
    for role in ROLES:
        accounts.add_user(f"u_{role}", role, PASSWORD)
        app.tokens[role], _ = accounts.create_token(f"u_{role}", role)
    client = app.test_client()
    assert post(client, geojson(), "z.geojson").status_code == 401
    assert client.get("/collections/zones/import").status_code == 401
    for role in ROLES:
        headers = bearer(app, role)
        fields = {"file": (io.BytesIO(geojson()), "z.geojson")}
        answer = client.post(IMPORTS, data=fields, headers=headers)
        page = client.get("/collections/zones/import", headers=headers)
        allowed = ROLES.index(role) >= ROLES.index("planner")
        assert answer.status_code == (200 if allowed else 403), (role, answer.json)
        assert page.status_code == (200 if allowed else 403), role
    fields = {"file": (io.BytesIO(geojson()), "z.geojson"), "dry_run": "0"}
    assert client.post(IMPORTS, data=fields, headers=bearer(app, "planner")).status_code == 201
    again = {"file": (io.BytesIO(geojson()), "z.geojson"), "dry_run": "0"}
    unchanged = client.post(IMPORTS, data=again, headers=bearer(app, "admin"))
    assert unchanged.status_code == 422 and "相同" in unchanged.json["error"]["message"]
    assert versions_of(app) == [1, 2]
    logged = [a for a in accounts.audit() if a["action"] == "POST imports.create_import"]
    assert [a["status"] for a in logged[:2]] == [422, 201] and len(logged) == 7
    assert logged[1]["detail"]["layer"] == "zones" and logged[1]["detail"]["version"] == 2
    assert logged[1]["user"] == "u_planner"
    session = app.test_client()
    login(session, "u_planner")
    page = session.get("/collections/zones/import").get_data(as_text=True)
    token = page.split('"csrf": "')[1].split('"')[0] if '"csrf": "' in page else ""
    assert token, "the page carries the CSRF token for its fetch"
    no_token = post(session, geojson(), "z.geojson")
    assert no_token.status_code == 403
    with_token = session.post(
        IMPORTS,
        data={"file": (io.BytesIO(geojson()), "z.geojson")},
        headers={"X-CSRF-Token": token},
    )
    assert with_token.status_code == 200


def test_a_file_of_stacked_copies_is_refused_without_checking_every_pair(app):
    """2,000 copies of one square touch in 2 million pairs: the overlap test stops early."""
    import time

    shapes = {f"S{i}": box(0, 0, 100, 100) for i in range(2000)}
    props = {k: {"id": k, "name": ""} for k in shapes}
    started = time.monotonic()
    answer = post(app.test_client(), gk_features(shapes, props), "stack.geojson").json
    assert time.monotonic() - started < 60
    codes = [p["code"] for p in answer["problems"]]
    assert "import.too_many_overlaps" in codes and not answer["committable"]
    assert len(answer["problems"]) == 1000 and answer["counts"]["errors"] > 2000


def test_an_edit_may_not_delete_a_zone_other_layers_name_either(app):
    """The same rule as an import's (layer_links.dropped_references): the map and the
    analyses read the zones the clusters name."""
    client = app.test_client()
    etag = client.get("/collections/zones/items/ankang-hitech").headers["ETag"]
    refused = client.delete("/collections/zones/items/ankang-hitech", headers={"If-Match": etag})
    assert refused.status_code == 422, refused.get_data(as_text=True)[:300]
    assert "不能删除 ankang-hitech" in refused.json["error"]["message"]
    assert "clusters/" in refused.json["error"]["message"]
    assert versions_of(app) == [1]
    assert client.get("/api/analysis/coverage").status_code == 200
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 200


def test_the_cli_prints_the_summary_and_exits_by_outcome(tmp_path, monkeypatch, capsys):
    from geo_service.__main__ import main

    for key, value in dbs(tmp_path).items():
        monkeypatch.setenv(f"GEO_SERVICE_{key}", value)
    path = tmp_path / "园区边界.zip"
    path.write_bytes(shapefile_zip(tmp_path))
    assert main(["layers", "import", "zones", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "编号字段 YQDM，名称字段 YQMC" in out and "新增 2，删除 0" in out
    assert "试导入：未写入任何内容" in out
    assert main(["layers", "import", "zones", str(path), "--message", "批复"]) == 0
    assert "已写入 zones 第 2 版（18 个要素）" in capsys.readouterr().out
    bad = tmp_path / "bad.geojson"
    bad.write_bytes(gk_features({"A": box(0, 0, 10, 10)}, {"A": {"id": "A", "name": ""}}))
    assert main(["layers", "import", "zones", str(bad), "--dry-run"]) == 1
    assert "错误 第 1 个要素（A）：没有名称" in capsys.readouterr().out
    assert main(["layers", "import", "zones", str(bad)]) == 2
    assert "有 1 个问题，未导入" in capsys.readouterr().err
    assert MU  # the 亩 of the fixtures is the service's (10000/15)
