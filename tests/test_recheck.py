"""Re-checks known by construction (tests/land_fixtures.py): parcels checked against one zones
version, a new version where zone A shrank past two parcels, B grew and C appeared; the
re-check reports exactly those parcels, with the areas the drawing gives, and the original
checks read back unchanged.

Zones layer versions (Gauss-Kruger metres, zone 36, see land_fixtures' drawing):
  v2: A (1000 m square with a hole), B (the square east of it)   -- the checks use this
  v3: A less its lower-left corner box(0, 0, 150, 500); B from x = 900; C = box(-400, 0, -300,
      1000), so that "in" keeps 50 x 100 m inside (inside -> partial), "edge" loses all of its
      6000 m² (partial -> outside), "two" overlaps B by 10000 instead of 5000 m² (still
      inside), "out" gets 5000 m² in C (outside -> partial); hole, hole-part, ring unchanged.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pyproj
import pytest
import shapely
from conftest import dbs
from land_fixtures import MU, PARCEL_SHAPES, ZONE_SHAPES, collection, shifted
from shapely.geometry import box, mapping

from geo_service import create_app
from geo_service.errors import BadRequest, TooLarge
from geo_service.land import recheck, recheck_run
from geo_service.land.readers import read_parcel_file
from geo_service.land.service import CheckRequest, Upload, run_check
from geo_service.land.zones import zones_from_file, zones_from_layer
from geo_service.store.rechecks import RecheckRecords
from geo_service.versions import commit_version

V3_SHAPES = {
    "A": ZONE_SHAPES["A"].difference(box(0, 0, 150, 500)),
    "B": box(900, 0, 2000, 1000),
    "C": box(-400, 0, -300, 1000),
}
#: parcel -> (status before, after, inside before, inside after, {zone: overlap after})
CHANGED = {
    "in": ("inside", "partial", 10_000, 5_000, {"A": 5_000}),
    "edge": ("partial", "outside", 6_000, 0, {}),
    "two": ("inside", "inside", 10_000, 10_000, {"A": 5_000, "B": 10_000}),
    "out": ("outside", "partial", 0, 5_000, {"C": 5_000}),
}
TO_LONLAT = pyproj.Transformer.from_crs("EPSG:4545", "EPSG:4326", always_xy=True)


def zone_features(shapes: dict) -> list[dict]:
    """The shapes as zones layer features (lon/lat, with source and precision)."""
    features = []
    for key, shape in shapes.items():
        lonlat = shapely.transform(
            shifted(shape, 36), lambda xy: np.column_stack(TO_LONLAT.transform(xy[:, 0], xy[:, 1]))
        )
        geometry = json.loads(json.dumps(mapping(lonlat)))
        properties = {"name": f"园区{key}", "source": "测试区界", "precision": "surveyed"}
        features.append(
            {"type": "Feature", "id": key, "properties": properties, "geometry": geometry}
        )
    return features


def commit_zones(app, shapes: dict, message: str):
    """A new zones version through versions.commit_version (as imports and edits make them)."""
    ext = app.extensions
    return commit_version(
        ext["geo_service.store"],
        ext["geo_service.catalog"],
        "zones",
        zone_features(shapes),
        user="tester",
        message=message,
        source_name="test",
        source_sha256="0" * 64,
        based_on=ext["geo_service.store"].current_version("zones").number,
    )


def check_now(app, zones_file: bool = False, name: str = "parcels.geojson") -> str:
    """A check of the fixture parcels, made and stored as the worker does."""
    catalog = app.extensions["geo_service.catalog"]
    request = CheckRequest(parcels=Upload(name, collection(PARCEL_SHAPES, 36)), user="land1")
    if zones_file:
        request.zones = Upload("bureau_zones.geojson", collection(ZONE_SHAPES, 36))
    document, parcels, zones = run_check(
        request, zones_from_layer(catalog.get("zones"), catalog.dataset_hash), catalog.version
    )
    app.extensions["geo_service.register"].save(document, parcels, zones.frame)
    return document["id"]


def check_digest(register, check_id: str) -> str:
    """SHA-256 over a check as the register gives it back: document, parcel records, WKB."""
    digest = hashlib.sha256(json.dumps(register.get(check_id), sort_keys=True).encode())
    for record, wkb in register.iter_parcels(check_id, geometry=True):
        digest.update(json.dumps(record, sort_keys=True).encode())
        digest.update(wkb)
    return digest.hexdigest()


def run_here(app, since=None, checks=None, version=None, tolerance_m2=0.01) -> dict:
    """Plan and run a re-check in this process (what the worker does), return its record."""
    ext = app.extensions
    store = ext["geo_service.store"]
    row = recheck_run.run_in_process(
        store,
        ext["geo_service.register"],
        {"since": since, "checks": checks, "version": version},
        ("t", ""),
        {
            "time_zone": "Asia/Shanghai",
            "max_checks": 100,
            "max_parcels": 10_000,
            "tolerance_m2": tolerance_m2,
        },
    )
    assert row["status"] == "done", row
    row["parcels"] = list(RecheckRecords(store.engine).iter_parcels(row["id"]))
    return row


@pytest.fixture()
def app(tmp_path):
    app = create_app({"TESTING": True, **dbs(tmp_path)})
    commit_zones(app, ZONE_SHAPES, "区界 A、B")  # version 2
    return app


def test_a_new_version_flips_exactly_the_parcels_it_moves_with_their_areas(app):
    check_id = check_now(app)
    register = app.extensions["geo_service.register"]
    before = check_digest(register, check_id)
    version = commit_zones(app, V3_SHAPES, "A 缩小、B 扩大、新增 C")
    assert version.number == 3

    row = run_here(app)

    assert row["status"] == "done" and row["zones_version"] == 3
    by_id = {p["parcel_id"]: p for p in row["parcels"]}
    assert set(by_id) == set(CHANGED), "unchanged parcels are not listed"
    for parcel_id, (old, new, inside_old, inside_new, zones) in CHANGED.items():
        got = by_id[parcel_id]
        assert (got["before"]["status"], got["after"]["status"]) == (old, new), parcel_id
        assert got["check_id"] == check_id
        assert got["before"]["inside_m2"] == pytest.approx(inside_old, abs=1e-6), parcel_id
        assert got["after"]["inside_m2"] == pytest.approx(inside_new, abs=1e-6), parcel_id
        assert got["change_m2"] == pytest.approx(inside_new - inside_old, abs=1e-6), parcel_id
        assert got["after"]["inside_mu"] == pytest.approx(inside_new / MU, abs=1e-8)
        assert got["change_mu"] == pytest.approx((inside_new - inside_old) / MU, abs=1e-8)
        after = {z["zone_id"]: z["overlap_m2"] for z in got["after"]["zones"]}
        assert after == pytest.approx(zones, abs=1e-6), parcel_id
        assert got["area_m2"] == pytest.approx(PARCEL_SHAPES[parcel_id].area, abs=1e-6)
    summary = row["summary"]
    assert (summary["checks"], summary["parcels"], summary["changed"]) == (1, 7, 4)
    pairs = {
        (t["before"], t["after"]): (t["parcels"], t["changed"]) for t in summary["transitions"]
    }
    assert pairs == {
        ("inside", "partial"): (1, 1),
        ("inside", "inside"): (2, 1),  # two (B's overlap doubled) and ring (unchanged)
        ("partial", "outside"): (1, 1),
        ("partial", "partial"): (1, 0),  # hole-part
        ("outside", "partial"): (1, 1),
        ("outside", "outside"): (1, 0),  # hole
    }
    assert check_digest(register, check_id) == before, "the original check must not change"


def test_against_the_version_the_checks_used_nothing_changes(app):
    check_now(app)
    commit_zones(app, V3_SHAPES, "v3")
    row = run_here(app, version="2")
    assert row["zones_version"] == 2
    assert row["parcels"] == [] and row["summary"]["changed"] == 0
    assert row["summary"]["unchanged"] == 7


def test_checks_against_an_uploaded_zones_file_are_skipped_and_say_why(app):
    layer_check = check_now(app)
    file_check = check_now(app, zones_file=True)
    commit_zones(app, V3_SHAPES, "v3")
    row = run_here(app, checks=f"{layer_check}, {file_check}")
    assert row["summary"]["checks"] == 1 and row["summary"]["skipped"] == 1
    (skipped,) = row["summary"]["skipped_checks"]
    assert skipped["id"] == file_check and "bureau_zones.geojson" in skipped["reason"]
    assert "上传的园区边界文件" in skipped["reason"]
    assert {p["check_id"] for p in row["parcels"]} == {layer_check}


def test_since_selects_by_the_check_time(app):
    check_now(app)
    commit_zones(app, V3_SHAPES, "v3")
    assert run_here(app, since="2000-01-01")["summary"]["checks"] == 1
    with pytest.raises(BadRequest) as none:
        run_here(app, since="2999年1月1日")
    assert "没有可重新检查的检查" in none.value.message


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"since": "昨天"}, "since=昨天 不是日期或时间"),
        ({"since": "2026-13-01"}, "不是日期或时间"),
        ({"version": "9"}, "园区图层没有第 9 版（现有第 1 至第 2 版）"),
        ({"version": "二"}, "version=二 不是园区图层的版本号"),
        ({"version": "-1"}, "不是园区图层的版本号"),
        ({"checks": "abc'; drop table checks"}, "检查编号"),
        ({"checks": "0123456789abcdef"}, "登记簿中没有这些检查：0123456789abcdef"),
    ],
)
def test_bad_requests_are_refused_in_chinese(app, values, words):
    check_now(app)
    with pytest.raises(BadRequest) as refused:
        run_here(app, **values)
    assert refused.value.status == 400 and words in refused.value.message


def test_bounds_on_checks_and_parcels(app):
    ids = [check_now(app) for _ in range(3)]
    ext = app.extensions
    with pytest.raises(TooLarge) as many:
        recheck_run.prepare(
            ext["geo_service.store"], ext["geo_service.register"], since=None, checks=None,
            version=None, time_zone="Asia/Shanghai", max_checks=2, max_parcels=1000,
        )  # fmt: skip
    assert many.value.status == 413 and "RECHECK_MAX_CHECKS" in many.value.message
    with pytest.raises(TooLarge) as parcels:
        recheck_run.prepare(
            ext["geo_service.store"], ext["geo_service.register"], since=None, checks=ids,
            version=None, time_zone="Asia/Shanghai", max_checks=10, max_parcels=20,
        )  # fmt: skip
    assert "21 个地块" in parcels.value.message and "RECHECK_MAX_PARCELS" in parcels.value.message


def test_zones_frame_matches_the_layer_the_check_reads(app):
    catalog = app.extensions["geo_service.catalog"]
    store = app.extensions["geo_service.store"]
    frame = recheck.zones_frame(store.features("zones"))
    layer = zones_from_layer(catalog.get("zones"), catalog.dataset_hash).frame
    assert list(frame["zone_id"]) == list(layer["zone_id"])
    assert all(a.equals_exact(b, 0) for a, b in zip(frame.geometry, layer.geometry))
    # the uploaded file's reading is not involved: a zones file gives other ids
    raw = read_parcel_file(collection(ZONE_SHAPES, 36), "z.geojson")
    assert list(zones_from_file(raw, "sha").frame["zone_id"]) == ["A", "B"]


def test_the_register_tables_are_only_read(app):
    """The store's own digests of the register tables (where the register lives once it is
    on the store) are the same before and after a re-check."""
    check_now(app)
    commit_zones(app, V3_SHAPES, "v3")
    store = app.extensions["geo_service.store"]
    tables = ("checks", "check_parcels", "check_zones", "layer_versions", "layer_features")
    before = {t: store.table_digest(t) for t in tables}
    row = run_here(app)
    assert row["summary"]["changed"] == 4
    assert {t: store.table_digest(t) for t in tables} == before


def test_a_recheck_left_by_a_dead_server_reads_interrupted(app):
    import socket

    from geo_service.messages import localise

    check_now(app)
    ext = app.extensions
    store = ext["geo_service.store"]
    selection, version, plan = recheck_run.prepare(
        store, ext["geo_service.register"], since=None, checks=None, version=None,
        time_zone="Asia/Shanghai", max_checks=10, max_parcels=100,
    )  # fmt: skip
    records = RecheckRecords(store.engine)
    row = recheck_run.new_record("deadbeef00000000", selection, version, plan, ("t", ""))
    row["owner"] = f"{socket.gethostname()}:999999999:00000000"  # no such process
    records.create(row)
    state = recheck_run.state(records, "deadbeef00000000")
    assert state["status"] == "interrupted" and state["message"]
    assert localise(state, "en")["message"] != state["message"]
    # a finished record is never rewritten by a late worker
    assert not records.update("deadbeef00000000", status="done")


def test_a_skipped_check_says_why_in_english_too(app):
    from geo_service.messages import localise

    check_now(app, zones_file=True)
    plan = recheck_run.prepare(
        app.extensions["geo_service.store"], app.extensions["geo_service.register"],
        since=None, checks=None, version=None, time_zone="Asia/Shanghai",
        max_checks=10, max_parcels=100,
    )[2]  # fmt: skip
    (skipped,) = plan.skipped
    assert "uploaded zones file bureau_zones.geojson" in localise(skipped, "en")["reason"]


def test_a_tolerance_hides_area_changes_but_never_a_status_change(app):
    check_now(app)
    commit_zones(app, V3_SHAPES, "v3")
    row = run_here(app, tolerance_m2=6_000)  # "two" gains 5000 m² in B: within it
    listed = {p["parcel_id"]: (p["before"]["status"], p["after"]["status"]) for p in row["parcels"]}
    assert listed == {k: v[:2] for k, v in CHANGED.items() if k != "two"}
    assert row["selection"]["tolerance_m2"] == 6_000
    assert run_here(app, tolerance_m2=0)["selection"]["tolerance_m2"] == 0.01  # the rounding
