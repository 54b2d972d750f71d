"""Re-checks over HTTP: POST /api/rechecks runs in the checks' worker pool (202, Location,
progress), GET gives JSON, CSV, XLSX and the printable summary (escaped, formula-safe), the
page lists them; refused without the land role; bad since/version are 400 in Chinese."""

from __future__ import annotations

import csv
import io
import json
import time
from concurrent.futures import Future

import pytest
from conftest import dbs
from land_fixtures import PARCEL_SHAPES, ZONE_SHAPES, collection
from openpyxl import load_workbook
from test_recheck import V3_SHAPES, check_digest, check_now, commit_zones

from geo_service import create_app
from geo_service.auth import ROLES
from geo_service.store.rechecks import RecheckRecords

HOSTILE_ID = '=HYPERLINK("http://x")<b>'
HOSTILE_NAME = "<script>alert(1)</script>"


def hostile_parcels() -> bytes:
    """The fixture parcels, "in" renamed to an id and a name that attack every output."""
    data = json.loads(collection(PARCEL_SHAPES, 36))
    for feature in data["features"]:
        if feature["id"] == "in":
            feature["id"] = HOSTILE_ID
            feature["properties"] = {"name": HOSTILE_NAME}
    return json.dumps(data, ensure_ascii=False).encode()


def wait_done(client, location: str, headers=None) -> dict:
    for _ in range(300):
        answer = client.get(location, headers=headers or {})
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        if body["status"] not in ("queued", "running"):
            return body
        assert body["progress"]["total"] == 7
        time.sleep(0.1)
    raise AssertionError("the re-check did not finish")


@pytest.fixture(scope="module")
def done(tmp_path_factory):
    """One app: a check through the API on version 2, version 3 committed, a re-check run."""
    folder = tmp_path_factory.mktemp("recheck")
    app = create_app({"TESTING": True, **dbs(folder)})
    commit_zones(app, ZONE_SHAPES, "区界 A、B")
    client = app.test_client()
    checked = client.post(
        "/api/checks", data={"file": (io.BytesIO(hostile_parcels()), "地块.geojson")}
    )
    assert checked.status_code == 201, checked.get_json()
    check_id = checked.get_json()["id"]
    digest = check_digest(app.extensions["geo_service.register"], check_id)
    commit_zones(app, V3_SHAPES, "A 缩小 <i>")
    started = client.post("/api/rechecks", json={"since": "2020-01-01"})
    assert started.status_code == 202, started.get_json()
    assert started.get_json()["status"] in ("queued", "running", "done")
    body = wait_done(client, started.headers["Location"])
    return app, client, check_id, digest, started.headers["Location"], body


def test_the_background_recheck_reports_the_changed_parcels(done):
    app, client, check_id, digest, location, body = done
    assert body["status"] == "done", body
    assert body["zones"]["version"] == 3
    assert body["summary"]["changed"] == 4 and body["numberMatched"] == 4
    got = {p["parcel_id"]: p for p in body["parcels"]}
    assert got[HOSTILE_ID]["name"] == HOSTILE_NAME, "what the user gave comes back intact"
    assert got[HOSTILE_ID]["after"]["inside_m2"] == pytest.approx(5_000, abs=1e-6)
    assert (got["edge"]["before"]["status"], got["edge"]["after"]["status"]) == (
        "partial",
        "outside",
    )
    assert check_digest(app.extensions["geo_service.register"], check_id) == digest
    listing = client.get("/api/rechecks").get_json()
    assert listing["numberMatched"] == 1 and listing["rechecks"][0]["id"] == body["id"]
    paged = client.get(location + "?limit=1&offset=1").get_json()
    assert [p["parcel_id"] for p in paged["parcels"]] == [body["parcels"][1]["parcel_id"]]


def test_csv_and_xlsx_list_the_changed_parcels_formula_safe(done):
    _, client, _, _, location, _ = done
    text = client.get(location + "?f=csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:5] == ["检查编号", "检查时间", "地块文件", "地块编号", "地块名称"]
    ids = [r[3] for r in rows[1:]]
    assert len(ids) == 4 and "'" + HOSTILE_ID in ids, ids
    hostile = rows[1 + ids.index("'" + HOSTILE_ID)]
    assert hostile[7:9] == ["区内", "部分在区内"] and hostile[11] == "-5000.0"
    assert hostile[rows[0].index("原检查所用园区版本")] == "2"  # recorded by the check
    answer = client.get(location + "?f=xlsx")
    assert answer.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(answer.get_data()))
    sheet = book["变化地块"]
    cells = [c for row in sheet.iter_rows(min_row=2, values_only=True) for c in row]
    assert HOSTILE_ID in cells  # a text cell, never a formula
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    about = dict(book["说明"].iter_rows(values_only=True))
    assert about["园区图层版本"] == "zones 第 3 版" and about["有变化的地块"] == "4"


def test_the_printable_summary_counts_lists_and_maps_escaped(done):
    _, client, _, _, location, body = done
    page = client.get(location + "?f=html").get_data(as_text=True)
    assert "园区边界变更重新检查汇总" in page and "园区图层第 3 版" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "=HYPERLINK(&#34;http://x&#34;)&lt;b&gt;" in page
    assert page.count('class="gs-changed"') == 4, "the map draws the four changed parcels"
    assert "第 2 版边界（原检查所用）" in page
    assert "区内</td><td>部分在区内</td><td>1</td><td>1</td>" in page
    overview = client.get("/rechecks").get_data(as_text=True)
    assert body["id"] in overview and "开始重新检查" in overview


def test_recheck_needs_the_land_role(tmp_path):
    app = create_app({"TESTING": True, **dbs(tmp_path), "AUTH": "local"})
    accounts = app.extensions["geo_service.auth"]
    tokens = {}
    for role in ROLES:
        accounts.add_user(f"u_{role}", role, "correct horse battery")
        tokens[role], _ = accounts.create_token(f"u_{role}")
    client = app.test_client()
    for role in (None, *ROLES):
        headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
        answer = client.post("/api/rechecks", json={}, headers=headers)
        if role in (None, "viewer"):
            assert answer.status_code == (401 if role is None else 403), role
            assert answer.get_json()["error"]["message"]
            for url in ("/api/rechecks", "/rechecks"):
                assert client.get(url, headers=headers).status_code in (401, 403, 302)
        else:  # allowed: refused only because the register is empty, in Chinese
            assert answer.status_code == 400, (role, answer.get_json())
            assert "没有可重新检查的检查" in answer.get_json()["error"]["message"]
    audit = accounts.audit(10)
    actions = {(a["action"], a["status"]) for a in audit}
    assert ("POST rechecks.create_recheck", 400) in actions and (
        "POST rechecks.create_recheck",
        403,
    ) in actions


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"since": "上周"}, "since=上周 不是日期或时间"),
        ({"since": 20260101}, "不是日期或时间"),
        ({"version": "0"}, "不是园区图层的版本号"),
        ({"version": 99}, "园区图层没有第 99 版"),
        ({"version": True}, "不是园区图层的版本号"),
        ({"checks": ["x" * 65]}, "检查编号"),
    ],
)
def test_bad_since_and_version_are_400_in_chinese(done, body, words):
    _, client, _, _, _, _ = done
    answer = client.post("/api/rechecks", json=body)
    assert answer.status_code == 400, answer.get_json()
    assert words in answer.get_json()["error"]["message"]


def test_a_form_post_and_a_non_object_body(done):
    _, client, check_id, _, _, _ = done
    answer = client.post("/api/rechecks", data={"checks": check_id, "version": "2"})
    assert answer.status_code == 202
    body = wait_done(client, answer.headers["Location"])
    assert body["summary"]["changed"] == 0 and body["zones"]["version"] == 2
    assert client.post("/api/rechecks", json=[1, 2]).status_code == 400
    assert client.get("/api/rechecks/nope").status_code == 404
    assert client.get(answer.headers["Location"] + "?f=pdf").status_code == 406


def test_a_full_pool_answers_503_and_stores_nothing(tmp_path):
    """The checks' bound holds for re-checks: with the one worker busy (a job in flight) and
    no queue, a re-check is refused with Retry-After and leaves no record."""
    app = create_app({"TESTING": True, **dbs(tmp_path), "CHECK_WORKERS": 1, "MAX_QUEUED_CHECKS": 0})
    check_now(app)
    jobs = app.extensions["geo_service.jobs"]
    jobs.futures["busy"] = Future()  # a job still in flight
    try:
        answer = app.test_client().post("/api/rechecks", json={})
    finally:
        jobs.futures.pop("busy")
    assert answer.status_code == 503 and answer.headers["Retry-After"]
    assert "检查队列已满" in answer.get_json()["error"]["message"]
    assert RecheckRecords(app.extensions["geo_service.store"].engine).count() == 0


def test_errors_and_reasons_in_english_on_request(done):
    _, client, _, _, _, _ = done
    english = {"Accept-Language": "en"}
    answer = client.post("/api/rechecks", json={"since": "soon"}, headers=english)
    assert answer.status_code == 400
    assert answer.get_json()["error"]["message"].startswith("since=soon is not a date or time")
    answer = client.post("/api/rechecks", json={"version": "7"}, headers=english)
    assert (
        "The zones layer has no version 7 (versions 1 to 3 exist)"
        in answer.get_json()["error"]["message"]
    )
