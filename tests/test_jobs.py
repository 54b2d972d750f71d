"""Heavy work has bounds: the check queue, the renders, durable job state, paged results."""

from __future__ import annotations

import functools
import io
import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import openpyxl
import pytest
from conftest import dbs, store_sql
from land_fixtures import PARCEL_SHAPES, ZONE_SHAPES, collection

from geo_service import create_app
from geo_service.config import REPO_ROOT
from geo_service.errors import Busy
from geo_service.render import report as report_doc
from geo_service.store import default_url
from geo_service.store.engine import open_engine
from geo_service.testing import chromium_available, running_service

sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
from land_check import make_parcels  # noqa: E402 - the land benchmark's generator


@functools.cache
def big_file(count: int) -> bytes:
    """``count`` parcels (30-200 m rectangles around and between the zones), GeoPackage."""
    import tempfile

    from geo_service.catalog import load_catalog
    from geo_service.land.zones import zones_from_layer

    catalog = load_catalog(REPO_ROOT / "layers")
    zones = zones_from_layer(catalog.get("zones"), catalog.dataset_hash).frame
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "parcels.gpkg"
        make_parcels(zones, count).to_crs("EPSG:4545").to_file(path, engine="pyogrio")
        return path.read_bytes()


def post(client, data: bytes, name: str = "parcels.gpkg", **form):
    body = {"file": (io.BytesIO(data), name), **form}
    return client.post("/api/checks", data=body, content_type="multipart/form-data")


def small() -> bytes:
    return collection(PARCEL_SHAPES, 36)


def wait_done(client, url: str, seconds: float = 120) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = client.get(url).json
        if state["status"] not in ("queued", "running"):
            return state
        time.sleep(0.2)
    raise AssertionError(f"{url} still {state['status']} after {seconds} s")


def test_queue_full_is_503_with_retry_after_and_stores_nothing(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            **dbs(tmp_path),
            "CHECK_WORKERS": 1,
            "MAX_QUEUED_CHECKS": 1,
            "CHECK_SYNC_SECONDS": 0,
        }
    )
    client = app.test_client()
    data = big_file(30_000)
    first, second = post(client, data), post(client, data)
    assert first.status_code == 202 and second.status_code == 202, (first.json, second.json)
    assert second.json["status"] in ("queued", "running")
    refused = post(client, small(), "small.geojson")
    assert refused.status_code == 503, refused.json
    assert int(refused.headers["Retry-After"]) > 0
    assert (
        refused.json["error"]["code"] == "busy" and "队列已满" in refused.json["error"]["message"]
    )
    engine = app.extensions["geo_service.store"].engine
    assert store_sql(engine, "SELECT count(*) FROM jobs") == [(2,)]
    # the two uploads (and their default zones) wait in the shared queue, no third
    assert store_sql(engine, "SELECT count(DISTINCT job_id) FROM job_inputs") == [(2,)]
    for response in (first, second):
        assert wait_done(client, response.headers["Location"])["status"] == "done"
    assert client.get("/api/checks").json["numberMatched"] == 2
    assert store_sql(engine, "SELECT count(*) FROM job_inputs") == [(0,)]  # gone with their jobs
    states = store_sql(engine, "SELECT state, attempts FROM job_queue")
    assert sorted(states) == [("done", 1), ("done", 1)]
    # with the queue free again the same small file is accepted
    assert post(client, small(), "small.geojson").status_code in (201, 202)


def test_renders_full_is_503_with_retry_after(tmp_path):
    app = create_app({"TESTING": True, **dbs(tmp_path), "MAX_RENDERS": 1, "MAX_RENDER_WAITING": 0})
    client = app.test_client()
    check = post(client, small(), "p.geojson").json
    slots = app.extensions["geo_service.renders"]
    started = time.monotonic()
    with slots.hold():  # one render in progress, as another request would hold it
        snap = client.get("/api/snapshot?format=png&dpi=300&layers=counties")
        pdf = client.get(f"/api/checks/{check['id']}?f=pdf")
        svg = client.get("/api/snapshot?format=svg&layers=counties")  # no Chromium: no bound
    assert time.monotonic() - started < 15, "a bounded wait, not a hang"
    for response in (snap, pdf):
        assert response.status_code == 503, response.data[:300]
        assert int(response.headers["Retry-After"]) > 0
        assert "PNG/PDF" in response.json["error"]["message"]
    assert svg.status_code == 200


@pytest.mark.skipif(not chromium_available(), reason="needs Chromium")
def test_a_render_waits_in_line_then_gets_the_slot():
    """Within the waiting line a render waits for the slot instead of failing; a second
    waiter past the line is refused at once."""
    from geo_service.land.jobs import Slots

    slots = Slots(1, waiting=1, wait=10)
    got = []
    with slots.hold():
        waiter = threading.Thread(target=lambda: got.append(slots.hold().__enter__() or "ok"))
        waiter.start()
        time.sleep(0.3)
        started = time.monotonic()
        with pytest.raises(Busy), slots.hold():
            pass
        assert time.monotonic() - started < 0.5  # refused at once, not after a wait
    waiter.join(timeout=5)
    assert got == ["ok"]


def test_concurrent_renders_past_the_bound_are_refused_not_queued():
    """Six real 300 dpi PNGs at once on a server allowing one: every answer is a PNG or a
    quick 503 with Retry-After, and at least one PNG is made."""
    with running_service(
        {"GEO_SERVICE_MAX_RENDERS": "1", "GEO_SERVICE_MAX_RENDER_WAITING": "2"}
    ) as url:
        answers = []

        def fetch():
            request = f"{url}/api/snapshot?format=png&dpi=300&layers=counties,zones"
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    answers.append((response.status, response.read()[:8], None))
            except urllib.error.HTTPError as error:
                answers.append((error.code, b"", error.headers.get("Retry-After")))

        threads = [threading.Thread(target=fetch) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
    assert len(answers) == 6
    assert {status for status, _, _ in answers} <= {200, 503}
    assert any(status == 200 and head == b"\x89PNG\r\n\x1a\n" for status, head, _ in answers)
    assert all(int(retry) > 0 for status, _, retry in answers if status == 503)


def test_big_checks_are_paged(tmp_path, monkeypatch):
    app = create_app({"TESTING": True, **dbs(tmp_path), "CHECK_INLINE_PARCELS": 5})
    client = app.test_client()
    response = post(
        client, small(), "p.geojson", zones=(io.BytesIO(collection(ZONE_SHAPES, 36)), "z.geojson")
    )
    assert response.status_code == 201, response.json
    check = response.json
    assert "parcels" not in check and check["parcels_paged"] is True
    assert check["summary"]["parcels"] == 7
    items = next(link["href"] for link in check["links"] if link["rel"] == "items")
    assert client.get(f"/api/checks/{check['id']}").json == check

    page = client.get(f"{items}?limit=3").json
    assert page["numberMatched"] == 7 and page["numberReturned"] == 3
    rels = {link["rel"]: link["href"] for link in page["links"]}
    assert "prev" not in rels and "offset=3" in rels["next"]
    seen = page["parcels"]
    while "next" in rels:
        page = client.get(rels["next"]).json
        rels = {link["rel"]: link["href"] for link in page["links"]}
        seen += page["parcels"]
    assert page["numberReturned"] == 1 and "prev" in rels and "next" not in rels
    assert [p["parcel_id"] for p in seen] == list(PARCEL_SHAPES)
    assert seen[0]["status"] == "inside" and seen[0]["area_m2"] == pytest.approx(10_000, abs=0.5)

    # the same file as a small check: identical per-parcel records
    inline = create_app({"TESTING": True, **dbs(tmp_path / "inline")}).test_client()
    whole = post(
        inline, small(), "p.geojson", zones=(io.BytesIO(collection(ZONE_SHAPES, 36)), "z.geojson")
    ).json
    assert seen == whole["parcels"]

    for bad in ("limit=0", "limit=10001", "offset=-1", "limit=x"):
        assert client.get(f"{items}?{bad}").status_code == 400
    assert client.get("/api/checks/nosuchcheck/parcels").status_code == 404

    # downloads are read from the register, all parcels
    url = f"/api/checks/{check['id']}"
    text = client.get(f"{url}?f=csv").data.decode("utf-8")
    assert text.startswith("\ufeff地块编号") and len(text.strip().splitlines()) == 8
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"{url}?f=xlsx").data))
    assert book["地块检查结果"].max_row == 8
    features = json.loads(client.get(f"{url}?f=geojson").data)["features"]
    assert [f["id"] for f in features] == list(PARCEL_SHAPES)

    # the report lists the first parcels and says where the rest are
    monkeypatch.setattr(report_doc, "REPORT_PARCELS", 3)
    report = client.get(f"{url}?f=html").get_data(as_text=True)
    assert "“逐块结果一览”列出前 3 块" in report and "Excel（XLSX）或 CSV" in report
    assert report.count('<tr class="gs-status-') == 3
    monkeypatch.setattr(report_doc, "MAX_PDF_PARCELS", 5)
    pdf = client.get(f"{url}?f=pdf")
    assert pdf.status_code == 413 and "xlsx" in pdf.json["error"]["message"]


def test_a_failed_check_keeps_answering_its_error(tmp_path):
    app = create_app({"TESTING": True, **dbs(tmp_path), "CHECK_SYNC_SECONDS": 0})
    client = app.test_client()
    response = post(
        client,
        b'{"type": "FeatureCollection", "features": [{"type": "Feature"}]}',
        "bad.geojson",
        crs="EPSG:4545",
    )
    location = response.headers.get("Location")
    if response.status_code == 202:
        deadline = time.monotonic() + 60
        while (answer := client.get(location)).status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        response = answer
    assert response.status_code == 422, response.json
    again = client.get(location)
    assert again.status_code == 422 and again.json == response.json
    assert client.get("/api/checks").json["numberMatched"] == 0


def server_pid(port: str) -> int:
    """The pid of the ``serve`` process we started on ``port`` (our own child)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        ours = f"PPid:\t{os.getpid()}\n" in (entry / "status").read_text()
        if ours and b"serve" in command and port.encode() in command:
            return int(entry.name)
    raise AssertionError(f"no serve process of ours on port {port}")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and f"PPid:\t{pid}\n" in (entry / "status").read_text():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def gone(pids: list[int], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(Path(f"/proc/{pid}").exists() for pid in pids):
            return True
        time.sleep(0.2)
    return False


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def post_file(url: str, data: bytes, name: str) -> tuple[int, dict]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        f"{url}/api/checks",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, json.load(response)


def test_running_and_queued_checks_are_run_again_after_kill_9(tmp_path):
    """The queue outlives its server: killed with kill -9 while one check runs and one waits,
    the server restarted takes both up once the lease ran out (JOB_LEASE_SECONDS) and
    completes each once; its worker processes went with the killed server."""
    env = {  # the store (beside AUTH_DB) kept across the two servers
        "GEO_SERVICE_AUTH_DB": str(tmp_path / "auth.sqlite"),
        "GEO_SERVICE_CHECKS_DB": str(tmp_path / "checks.sqlite"),
        "GEO_SERVICE_CHECK_WORKERS": "1",
        "GEO_SERVICE_CHECK_SYNC_SECONDS": "0",
        "GEO_SERVICE_JOB_LEASE_SECONDS": "3",
        "GEO_SERVICE_JOB_POLL_SECONDS": "0.3",
    }
    data = big_file(50_000)
    with running_service(env) as url:
        status, done = post_file(url, small(), "small.geojson")  # one finished check
        while done["status"] != "done":
            time.sleep(0.2)
            status, done = get_json(f"{url}/api/checks/{done['id']}")
        status, first = post_file(url, data, "first.gpkg")
        assert status == 202
        status, second = post_file(url, data, "second.gpkg")
        assert status == 202 and second["status"] == "queued"
        deadline = time.monotonic() + 60
        while get_json(f"{url}/api/checks/{first['id']}")[1]["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        server = server_pid(url.rsplit(":", 1)[1])
        workers = children(server)  # the check worker and multiprocessing's resource tracker
        assert workers
        os.kill(server, signal.SIGKILL)
        assert gone(workers), "worker processes outlived their server"
    with running_service(env) as url:
        for job in (first, second):
            deadline = time.monotonic() + 240
            status, answer = get_json(f"{url}/api/checks/{job['id']}")
            while answer["status"] in ("queued", "running"):
                assert time.monotonic() < deadline, answer
                time.sleep(0.3)
                status, answer = get_json(f"{url}/api/checks/{job['id']}")
            assert status == 200 and answer["status"] == "done", answer
            assert answer["summary"]["parcels"] == 50_000
        status, kept = get_json(f"{url}/api/checks/{done['id']}")
        assert status == 200 and kept["summary"] == done["summary"]
        listed = get_json(f"{url}/api/checks")[1]
        assert sorted(c["id"] for c in listed["checks"]) == sorted(
            [done["id"], first["id"], second["id"]]
        )
        workers = children(server_pid(url.rsplit(":", 1)[1]))
        assert workers
    assert gone(workers), "worker processes outlived a server stopped with SIGTERM"
    engine = open_engine(default_url(tmp_path))
    if engine.dialect.name == "sqlite":
        assert store_sql(engine, "PRAGMA integrity_check") == [("ok",)]
    assert store_sql(engine, "SELECT count(*) FROM checks") == [(3,)]  # each once
    attempts = dict(store_sql(engine, "SELECT id, attempts FROM job_queue WHERE state = 'done'"))
    assert attempts == {done["id"]: 1, first["id"]: 2, second["id"]: 1}
    assert store_sql(engine, "SELECT count(*) FROM job_inputs") == [(0,)]


@pytest.mark.browser
def test_check_page_pages_through_a_big_check(browser, tmp_path):
    """A check above CHECK_INLINE_PARCELS has no parcel list in its document: the page's
    table is filled from the paged parcels link, and the map still shows every parcel."""
    from test_browser import open_page

    parcels = tmp_path / "地块.geojson"
    parcels.write_bytes(small())
    zones = tmp_path / "区界.geojson"
    zones.write_bytes(collection(ZONE_SHAPES, 36))
    with running_service({"GEO_SERVICE_CHECK_INLINE_PARCELS": "3"}) as url:
        visit = open_page(browser, url, "/check", "body[data-check-ready]")
        p = visit.page
        p.set_input_files("#gs-file", str(parcels))
        p.set_input_files("#gs-zones", str(zones))
        p.click("#gs-submit")
        p.wait_for_selector("body[data-check-shown]", timeout=30_000)
        assert p.evaluate("GS_CHECK_PAGE.state.check.parcels_paged") is True
        p.wait_for_function("document.querySelectorAll('#gs-table tbody tr').length === 7")
        ids = p.locator("#gs-table tbody tr td:nth-child(1)").all_inner_texts()
        assert ids == list(PARCEL_SHAPES)
        assert visit.errors == [] and visit.failed == [] and visit.outside == []
        visit.page.context.close()


def test_check_workers_give_memory_back_in_their_own_process():
    """A worker started by jobs.pool is a real process, where give_back runs (land.memory)."""
    from geo_service.land import jobs, memory

    executor = jobs.pool(3)  # a size no other test uses: a pool started after the change
    assert executor.submit(os.getpid).result(timeout=60) != os.getpid()
    assert executor.submit(memory.give_back).result(timeout=60) is None
