"""An install from before the store upgrades in place at start-up: its register, actual
figures, accounts and audit log (three SQLite files written by the classes of that time,
tests/legacy_files.py) are imported into the store, proven, and set aside as *.imported;
everything reads back through the app. Real files, the real app, no mocks."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import sys
from contextlib import closing

import pyogrio
import pytest
from sqlalchemy import select

from geo_service import create_app
from geo_service.config import REPO_ROOT
from geo_service.errors import ConfigError
from geo_service.store import default_url, open_store, schema
from geo_service.store.engine import open_engine
from geo_service.store.legacy import LEGACY_TABLES

sys.path[:0] = [str(REPO_ROOT / "tests")]
from legacy_files import (  # noqa: E402
    ADMIN_PASSWORD,
    FILES,
    fill_legacy_files,
    legacy_facts,
    rows_digest,
)


def config(folder, **more) -> dict:
    return {
        "TESTING": True,
        "AUTH": "local",
        "AUTH_DB": str(folder / "auth.sqlite"),
        "CHECKS_DB": str(folder / "checks.sqlite"),
        "ACTUALS_DB": str(folder / "actuals.sqlite"),
        **more,
    }


def store_facts(folder) -> dict[str, tuple[int, str]]:
    """The same facts as legacy_facts, read from the store with plain sqlite3 (on the
    PostGIS pass: every column of every row through SQLAlchemy, hashed the same way)."""
    url = default_url(folder)
    targets = [target for pairs in LEGACY_TABLES.values() for _, target in pairs]
    if url.startswith("sqlite"):
        with closing(sqlite3.connect(folder / "geo_service.sqlite")) as raw:
            return {target: rows_digest(raw, target) for target in targets}
    engine = open_engine(url)
    try:
        with engine.connect() as db:
            return {target: engine_rows_digest(db, target) for target in targets}
    finally:
        engine.dispose()


def engine_rows_digest(db, name: str) -> tuple[int, str]:
    """rows_digest's hash over a table read with SQLAlchemy (geometries as their WKB)."""
    table = schema.metadata.tables[name]
    texts = sorted(
        json.dumps(
            {k: v.hex() if isinstance(v, bytes) else v for k, v in row._mapping.items()},
            sort_keys=True,
            ensure_ascii=False,
        )
        for row in db.execute(select(table))
    )
    return len(texts), hashlib.sha256("\n".join(texts).encode()).hexdigest()


def login(client, name: str, password: str):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token})


def test_an_old_install_starts_with_everything_there_and_nothing_lost(tmp_path):
    written = fill_legacy_files(tmp_path)
    before = legacy_facts(tmp_path)
    assert before["checks"][0] == 3 and before["check_parcels"][0] == 21
    assert before["actuals"][0] == written["actuals"] > 50 and before["audit"][0] == 3
    app = create_app(config(tmp_path))
    # every row of every table, compared with sqlite3 only (not with the store's own digest)
    assert store_facts(tmp_path) == before
    # the old files are set aside, never deleted, and hold what they held
    for name in FILES.values():
        assert not (tmp_path / name).exists()
        assert (tmp_path / f"{name}.imported").is_file()
    kept = {kind: f"{name}.imported" for kind, name in FILES.items()}
    assert legacy_facts(tmp_path, kept) == before
    assert [r["kind"] for r in app.extensions["geo_service.legacy"]] == list(FILES)

    client = app.test_client()
    token = {"Authorization": f"Bearer {written['token']}"}
    # checks: listed, readable, exported
    listed = client.get("/api/checks", headers=token)
    assert listed.status_code == 200 and listed.json["numberMatched"] == 3
    for document in written["checks"]:
        answer = client.get(f"/api/checks/{document['id']}", headers=token)
        assert answer.status_code == 200, answer.json
        assert answer.json["summary"] == document["summary"]
        assert answer.json["parcels"] == document["parcels"]
        assert answer.json["requested_by"] == {"user": "规划员", "address": "10.0.0.8"}
        csv_text = client.get(f"/api/checks/{document['id']}?f=csv", headers=token)
        assert csv_text.status_code == 200
        assert all(p["parcel_id"] in csv_text.get_data(as_text=True) for p in document["parcels"])
    gpkg = client.get("/api/checks?f=gpkg", headers=token)
    assert gpkg.status_code == 200
    (tmp_path / "register.gpkg").write_bytes(gpkg.data)
    parcels = pyogrio.read_dataframe(tmp_path / "register.gpkg", layer="check_parcels")
    assert len(parcels) == 21
    # actual figures: on the analysis API, the year imported
    targets = client.get("/api/analysis/targets").json
    assert targets["years"] == [2020]
    # accounts: the old passwords log in, the old token acts for its user
    assert login(client, "admin", "a wrong password").status_code == 401
    assert login(client, "admin", ADMIN_PASSWORD).status_code == 303
    assert client.get("/api/me").json["user"] == "admin"
    me = app.test_client().get("/api/me", headers=token).json
    assert (me["user"], me["role"], me["via"]) == ("规划员", "planner", "token")
    # the audit log: the old rows are listed (with the login's own rows after them)
    entries = client.get("/api/audit?limit=1000").json["entries"]
    old = [e for e in entries if e["action"] == "POST /api/checks"]
    assert sorted(e["status"] for e in old) == [200, 403, 500]
    assert {e["detail"]["n"] for e in old} == {200, 403, 500}
    # a second start imports nothing and changes nothing
    counts = app.extensions["geo_service.store"].counts()
    again = create_app(config(tmp_path))
    assert again.extensions["geo_service.legacy"] == []
    assert again.extensions["geo_service.store"].counts() == counts


def test_the_store_holding_password_hashes_is_private(tmp_path):
    fill_legacy_files(tmp_path)
    app = create_app(config(tmp_path))
    app.extensions["geo_service.auth"].record("admin", "::1", "POST /x", "x", 200)  # WAL files
    if default_url(tmp_path).startswith("sqlite"):  # PostgreSQL: see test_auth's privacy
        for name in ("geo_service.sqlite", "geo_service.sqlite-wal", "geo_service.sqlite-shm"):
            path = tmp_path / name
            assert path.stat().st_mode & 0o777 == 0o600, name
    assert (tmp_path / "auth.sqlite.imported").stat().st_mode & 0o777 == 0o600


def test_a_refused_old_file_stops_start_up_naming_it_and_stays(tmp_path):
    fill_legacy_files(tmp_path)
    (tmp_path / "actuals.sqlite").write_bytes(b"not a database " * 200)
    with pytest.raises(ConfigError) as caught:
        create_app(config(tmp_path))
    message = caught.value.message
    assert str(tmp_path / "actuals.sqlite") in message and "不是 SQLite 数据库" in message
    assert message.startswith("旧数据文件") and "均未导入" in message
    assert (tmp_path / "actuals.sqlite").read_bytes().startswith(b"not a database")
    assert not (tmp_path / "actuals.sqlite.imported").exists()
    assert open_store(default_url(tmp_path)).counts()["actuals"] == 0
    # the register was imported before the refusal and is not imported twice
    (tmp_path / "actuals.sqlite").unlink()
    app = create_app(config(tmp_path))
    assert [r["kind"] for r in app.extensions["geo_service.legacy"]] == ["auth"]
    assert app.extensions["geo_service.register"].count() == 3


def test_a_register_of_an_unknown_version_stops_start_up_untouched(tmp_path):
    db = tmp_path / "checks.sqlite"
    with closing(sqlite3.connect(db)) as raw, raw:
        raw.execute("CREATE TABLE checks (id TEXT)")
        raw.execute("PRAGMA user_version=7")
    with pytest.raises(ConfigError, match="的结构版本为 7，本版 geo_service 写入版本 2"):
        create_app(config(tmp_path))
    with closing(sqlite3.connect(db)) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 7


def test_an_old_file_beside_a_store_with_data_of_its_kind_is_left_alone(tmp_path, caplog):
    first = tmp_path / "first"
    first.mkdir()
    fill_legacy_files(first)
    (first / "checks.sqlite").rename(tmp_path / "later.sqlite")
    started = create_app(config(tmp_path))  # a new install: its first admin, no checks yet
    started.extensions["geo_service.auth"].add_user("admin", "admin", ADMIN_PASSWORD)
    (first / "auth.sqlite").rename(tmp_path / "auth.sqlite")  # an accounts file comes back
    (tmp_path / "later.sqlite").rename(tmp_path / "checks.sqlite")
    app = create_app(config(tmp_path))
    reports = {r["kind"]: r for r in app.extensions["geo_service.legacy"]}
    assert reports["auth"]["left"] is True  # the store has accounts already: not merged
    assert reports["checks"]["skipped"] is False  # the register was still empty: imported
    assert (tmp_path / "auth.sqlite").is_file() and (tmp_path / "checks.sqlite.imported").exists()
    assert any("未导入：数据库中已有同类数据" in r.getMessage() for r in caplog.records)
