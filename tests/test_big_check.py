"""Big checks (land.big_check): the dask path gives what the in-process path gives.

The same generated GeoPackage (parcels across zone edges, inside, outside, multipolygons,
polygons with holes, in both Gauss-Kruger zones, with attributes and declared areas) is
checked by an app that keeps every check in-process and by one that sends anything over 500
parcels down the big path in chunks of 700 on a two-worker LocalCluster; every parcel's
status, overlaps and areas must agree, the downloads must hold every parcel, and the register
must hold less than the upload.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pyogrio
import pytest
import shapely
from conftest import dbs
from sqlalchemy import func, select

from geo_service import create_app
from geo_service.config import REPO_ROOT
from geo_service.store import schema as tables

sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
from land_check import make_parcels  # noqa: E402 - the land benchmark's generator

COUNT = 3000
BIG = {"BIG_CHECK_PARCELS": 500, "BIG_CHECK_CHUNK": 700, "BIG_CHECK_WORKERS": 2}


def mixed_parcels(count: int, seed: int = 7) -> gpd.GeoDataFrame:
    """Generated parcels (labelled so): rectangles near and far from the zones, every 9th a
    two-part multipolygon, every 7th with a hole; lon/lat, so both GK zones occur."""
    from geo_service.catalog import load_catalog
    from geo_service.land.zones import zones_from_layer

    catalog = load_catalog(REPO_ROOT / "layers")
    zones = zones_from_layer(catalog.get("zones"), catalog.dataset_hash).frame
    frame = make_parcels(zones, count, seed=seed)
    planes = frame.to_crs("EPSG:4545").geometry.to_numpy()
    rng = np.random.default_rng(seed)
    shapes = []
    for i, shape in enumerate(planes):
        x0, y0, x1, y1 = shape.bounds
        if i % 9 == 4:
            shape = shapely.MultiPolygon([shape, shapely.box(x1 + 50, y0, x1 + 120, y0 + 60)])
        elif i % 7 == 3:
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            shape = shape.difference(shapely.box(cx - 8, cy - 8, cx + 8, cy + 8))
        shapes.append(shape)
    lonlat = gpd.GeoSeries(shapes, crs="EPSG:4545").to_crs("EPSG:4490")
    declared = np.where(rng.random(len(frame)) < 0.3, np.nan, rng.uniform(0.1, 4, len(frame)))
    return gpd.GeoDataFrame(
        {
            "parcel_id": frame["parcel_id"],
            "名称": [f"生成地块{i}" for i in range(len(frame))],
            "地块面积": declared,
            "用途": rng.choice(["工业", "仓储", None], len(frame)),
            "source": "generated (tests/test_big_check.py)",
        },
        geometry=lonlat.to_numpy(),
        crs="EPSG:4490",
    )


@functools.cache
def upload(count: int = COUNT) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "parcels.gpkg"
        mixed_parcels(count).to_file(path, engine="pyogrio")
        return path.read_bytes()


def post(client, data: bytes, name: str = "生成地块.gpkg"):
    body = {"file": (io.BytesIO(data), name)}
    return client.post("/api/checks", data=body, content_type="multipart/form-data")


def wait_done(client, response, seconds: float = 240) -> dict:
    if response.status_code in (200, 201):  # done, or failed (its state, as GET answers)
        return response.json
    assert response.status_code == 202, response.json
    url = response.headers["Location"]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = client.get(url).json
        if state.get("status") not in ("queued", "running"):
            return state
        time.sleep(0.3)
    raise AssertionError(f"{url} still running after {seconds} s")


def all_parcels(client, check_id: str) -> list[dict]:
    parcels, offset = [], 0
    while True:
        page = client.get(f"/api/checks/{check_id}/parcels?limit=997&offset={offset}").json
        parcels += page["parcels"]
        offset += 997
        if offset >= page["numberMatched"]:
            return parcels


@pytest.fixture(scope="module")
def checks(tmp_path_factory):
    """The same file checked in-process and on the big path: (client, big id, small id)."""
    folder = tmp_path_factory.mktemp("big")
    small_app = create_app({"TESTING": True, **dbs(folder / "small"), "BIG_CHECK_PARCELS": 0})
    big_app = create_app({"TESTING": True, **dbs(folder / "big"), **BIG, "CHECK_SYNC_SECONDS": 120})
    small_client, big_client = small_app.test_client(), big_app.test_client()
    data = upload()
    small = wait_done(small_client, post(small_client, data))
    big = wait_done(big_client, post(big_client, data))
    assert big.get("parcels_paged") is True, big
    return small_client, small, big_client, big, big_app.extensions["geo_service.register"]


def test_big_path_gives_the_in_process_results(checks):
    small_client, small, big_client, big = checks[:4]
    assert big["summary"] == small["summary"]
    assert big["summary"]["parcels"] == COUNT
    assert min(big["summary"][s] for s in ("inside", "partial", "outside")) > 30
    for key in ("name", "sha256", "format", "crs", "crs_note", "notes", "attribute_fields"):
        assert big["input"][key] == small["input"][key], key
    ours, theirs = all_parcels(big_client, big["id"]), all_parcels(small_client, small["id"])
    assert len(ours) == len(theirs) == COUNT
    for a, b in zip(ours, theirs):
        assert a == b, (a, b)
    # what the parcels were: multipolygons, holes, both planes, several zones
    frame = mixed_parcels(COUNT)
    kinds = set(frame.geometry.geom_type)
    assert kinds == {"Polygon", "MultiPolygon"}
    assert (shapely.get_num_interior_rings(frame.geometry.to_numpy()) > 0).any()
    assert {p["crs_used"] for p in ours} == {"EPSG:4545", "EPSG:4546"}
    assert max(len(p["zones"]) for p in ours) >= 1
    assert any(p["warnings"] for p in ours)  # declared areas that differ


def test_big_path_areas_to_a_micro_square_metre(checks):
    """Unrounded: the blocks' areas against check_parcels on the same prepared frame."""
    from geo_service.catalog import load_catalog
    from geo_service.land import blocks
    from geo_service.land.check import check_parcels
    from geo_service.land.prepare import prepare_parcels
    from geo_service.land.readers import read_parcel_file
    from geo_service.land.zones import zones_from_layer

    big, register = checks[3], checks[4]
    catalog = load_catalog(REPO_ROOT / "layers")
    zones = zones_from_layer(catalog.get("zones"), catalog.dataset_hash).frame
    frame = prepare_parcels(read_parcel_file(upload(), "p.gpkg")).frame
    expected = check_parcels(frame, zones)
    b = tables.check_parcel_blocks
    query = select(b.c.data).where(b.c.check_id == big["id"]).order_by(b.c.block)
    with register.engine.connect() as db:
        rows = db.execute(query).all()
    decoded = [blocks.decode(r[0]) for r in rows]
    assert [d.count for d in decoded] == [700, 700, 700, 700, 200]
    for name in ("area_m2", "inside_m2", "ellipsoidal_area_m2", "distance_m"):
        got = np.concatenate([d.floats[name] for d in decoded])
        assert np.abs(got - expected.parcels[name].to_numpy()).max() <= 1e-6, name
    overlaps = np.concatenate([d.overlap_m2 for d in decoded])
    assert np.abs(overlaps - expected.overlaps["overlap_m2"].to_numpy()).max() <= 1e-6
    wkb = [w for d in decoded for w in d.wkb]
    assert wkb == shapely.to_wkb(frame.geometry.to_numpy()).tolist()


def test_register_holds_less_than_the_upload(checks):
    big, register = checks[3], checks[4]
    b, p = tables.check_parcel_blocks, tables.check_parcels
    with register.engine.connect() as db:
        stored = db.execute(
            select(func.sum(func.length(b.c.data))).where(b.c.check_id == big["id"])
        ).scalar()
        rows = db.execute(
            select(func.count()).select_from(p).where(p.c.check_id == big["id"])
        ).scalar()
    assert rows == 0
    assert stored < len(upload()), (stored, len(upload()))


def test_downloads_and_report_of_a_big_check_hold_every_parcel(checks):
    client, big = checks[2], checks[3]
    base = f"/api/checks/{big['id']}"
    text = client.get(f"{base}?f=csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    wanted = {p["parcel_id"] for p in all_parcels(client, big["id"])}
    assert len(wanted) == COUNT
    assert wanted <= {cell for row in rows for cell in row[:3]}
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"{base}?f=xlsx").data), read_only=True)
    cells = {c for sheet in book for row in sheet.iter_rows(values_only=True) for c in row[:3]}
    assert wanted <= cells
    geojson = json.loads(client.get(f"{base}?f=geojson").data)
    assert len(geojson["features"]) == COUNT
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "c.gpkg"
        path.write_bytes(client.get(f"{base}?f=gpkg").data)
        assert set(pyogrio.read_dataframe(path, layer="check_parcels")["parcel_id"]) == wanted
        path.write_bytes(client.get("/api/checks?f=gpkg").data)
        register = pyogrio.read_dataframe(path, layer="check_parcels")
        assert set(register["parcel_id"]) == wanted
        assert set(register["status"]) == {"inside", "partial", "outside"}
    html = client.get(f"{base}?f=html").data.decode()
    assert sorted(wanted)[0] in html and str(COUNT) in html.replace(",", "")


def test_a_problem_in_a_later_chunk_stops_the_check_and_stores_nothing(tmp_path):
    frame = mixed_parcels(1200)
    frame.loc[1000, "geometry"] = shapely.box(116.3, 39.9, 116.31, 39.91)  # Beijing
    path = tmp_path / "bad.gpkg"
    frame.to_file(path, engine="pyogrio")
    app = create_app({"TESTING": True, **dbs(tmp_path), **BIG, "CHECK_SYNC_SECONDS": 120})
    client = app.test_client()
    answer = post(client, path.read_bytes())
    assert answer.status_code == 422, answer.json
    message = answer.json["error"]["message"]
    assert "第 1001 个要素" in message and "安康" in message, message
    assert client.get("/api/checks").json["numberMatched"] == 0


def test_big_caps_name_their_settings(tmp_path):
    app = create_app({"TESTING": True, **dbs(tmp_path), **BIG, "BIG_CHECK_MAX_PARCELS": 1000})
    client = app.test_client()
    answer = post(client, upload())
    assert answer.status_code == 422, answer.json
    assert "BIG_CHECK_MAX_PARCELS=1000" in answer.json["error"]["message"]
    small = create_app(
        {"TESTING": True, **dbs(tmp_path / "b"), **BIG, "MAX_CONTENT_LENGTH": 10_000}
    ).test_client()
    geojson = json.dumps({"type": "FeatureCollection", "features": [], "pad": "x" * 20_000})
    refused = post(small, geojson.encode(), "p.geojson")
    assert refused.status_code == 413, refused.json
    assert "BIG_CHECK_MAX_BYTES" in refused.json["error"]["message"]
    assert "GeoPackage" in refused.json["error"]["message"]


def test_progress_is_reported_chunk_by_chunk(tmp_path):
    # 50 chunks of 60: the check lasts longer than the 0.5 s between progress writes
    config = {**BIG, "BIG_CHECK_CHUNK": 60, "CHECK_SYNC_SECONDS": 0}
    app = create_app({"TESTING": True, **dbs(tmp_path), **config})
    client = app.test_client()
    answer = post(client, upload())
    assert answer.status_code == 202, answer.json
    seen = set()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        state = client.get(answer.headers["Location"]).json
        if state.get("status") not in ("queued", "running"):
            break
        progress = state["progress"]
        seen.add((progress["stage"], progress["done"], progress["total"]))
        time.sleep(0.05)
    assert state["summary"]["parcels"] == COUNT, state
    partway = {done for stage, done, total in seen if stage == "checking" and 0 < done < total}
    assert partway and all(done % 60 == 0 for done in partway), seen  # whole chunks


def test_an_unreachable_scheduler_is_said_and_nothing_is_stored(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            **dbs(tmp_path),
            **BIG,
            "DASK_SCHEDULER_ADDRESS": "tcp://127.0.0.1:9",
            "CHECK_SYNC_SECONDS": 120,
        }
    )
    client = app.test_client()
    state = wait_done(client, post(client, upload()))
    assert state["status"] == "failed", state
    assert "DASK_SCHEDULER_ADDRESS" in state["error"]["message"]
    assert client.get("/api/checks").json["numberMatched"] == 0


def test_the_local_cluster_does_not_profile_its_workers():
    """Dask's workers sample their threads' stacks every 10 ms by default (for a dashboard
    nobody reads here) and keep what they saw after the check: off for our cluster."""
    from types import SimpleNamespace

    from geo_service.land import big_check

    limits = SimpleNamespace(dask_scheduler="", big_workers=1, big_processes=False)
    with big_check.dask_client(limits) as (client, workers):
        worker = next(iter(client.cluster.workers.values()))
        assert workers == 1
        assert worker.profile_recent["count"] == 0
        client.submit(time.sleep, 0.3).result(timeout=30)
        assert worker.profile_recent["count"] == 0


@pytest.mark.browser
def test_check_page_shows_a_big_check(browser, tmp_path):
    """The page follows a big check's progress, lists its first 2000 parcels, maps them and
    says that the downloads have all of them."""
    from test_browser import open_page

    from geo_service.testing import running_service

    path = tmp_path / "生成地块.gpkg"
    path.write_bytes(upload())
    env = {f"GEO_SERVICE_{k}": str(v) for k, v in BIG.items()}
    with running_service({**env, "GEO_SERVICE_CHECK_SYNC_SECONDS": "0"}) as url:
        visit = open_page(browser, url, "/check", "body[data-check-ready]")
        p = visit.page
        p.set_input_files("#gs-file", str(path))
        p.click("#gs-submit")
        p.wait_for_selector("body[data-check-shown]", timeout=240_000)
        assert p.locator("#gs-table tbody tr").count() == 2000
        assert p.evaluate("GS_CHECK_PAGE.parcels().getLayers().length") == 2000
        note = p.locator(".gs-sum-map").inner_text()
        assert "显示前 2000 块（共 3000 块）" in note, note
        assert f"{COUNT} 块" in p.locator("#gs-summary").inner_text()
        p.screenshot(path=str(tmp_path / "big-check.png"))  # to look at: pytest --basetemp
        assert not visit.errors, visit.errors
        visit.page.context.close()
