"""The check register in the store: a real SQLite file, all-or-nothing writes, readable after
a crash; a register file from before the store upgrades at start."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from contextlib import closing

from conftest import dbs

from geo_service import create_app
from geo_service.config import REPO_ROOT
from geo_service.land.register import Register
from geo_service.store import open_store

CRASH = textwrap.dedent("""
    import os, sys
    sys.path[:0] = ["tests"]
    from sqlalchemy import event
    from land_fixtures import PARCEL_SHAPES, ZONE_SHAPES, collection
    from geo_service.land.register import Register
    from geo_service.land.service import CheckRequest, Upload, run_check
    from geo_service.land.readers import read_parcel_file
    from geo_service.land.zones import zones_from_file
    from geo_service.store import open_store

    zones = zones_from_file(read_parcel_file(collection(ZONE_SHAPES, 36), "z.geojson"), "sha")
    register = Register(open_store(sys.argv[1]))

    def check():
        request = CheckRequest(Upload("p.geojson", collection(PARCEL_SHAPES, 36)))
        return run_check(request, zones, "test")

    document, parcels, used = check()
    register.save(document, parcels, used.frame)  # the first check is stored whole

    @event.listens_for(register.engine, "before_cursor_execute")
    def die(conn, cursor, statement, *args):
        # dies, like a killed process, after the check row is written, mid-transaction
        if statement.startswith("INSERT INTO check_parcels"):
            os._exit(9)

    document, parcels, used = check()
    register.save(document, parcels, used.frame)
""")


def store_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'geo_service.sqlite'}"


def test_a_crash_mid_write_leaves_no_half_record(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", CRASH, store_url(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 9, result.stderr.decode()
    register = Register(open_store(store_url(tmp_path)))
    checks = register.list()
    assert len(checks) == 1  # the first, whole; nothing of the second
    with closing(sqlite3.connect(tmp_path / "geo_service.sqlite")) as raw:
        assert raw.execute("SELECT count(*) FROM checks").fetchone()[0] == 1
        assert raw.execute("SELECT count(*) FROM check_parcels").fetchone()[0] == 7
        assert raw.execute("SELECT count(DISTINCT check_id) FROM check_parcels").fetchone()[0] == 1
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert len(register.get(checks[0]["id"])["parcels"]) == 7


#: The version-1 schema exactly as geo_service wrote it before issue 10.
V1_SCHEMA = """
CREATE TABLE checks (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    input_name TEXT NOT NULL,
    input_sha256 TEXT NOT NULL,
    input_format TEXT NOT NULL,
    input_crs TEXT NOT NULL,
    zones_source TEXT NOT NULL,
    zones_sha256 TEXT NOT NULL,
    parameters TEXT NOT NULL,
    summary TEXT NOT NULL,
    document TEXT NOT NULL
);
CREATE TABLE check_parcels (
    check_id TEXT NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    parcel_id TEXT NOT NULL,
    status TEXT NOT NULL,
    area_m2 REAL, area_mu REAL, inside_m2 REAL, outside_m2 REAL, distance_m REAL,
    crs_used TEXT,
    zones TEXT NOT NULL,
    warnings TEXT NOT NULL,
    geometry BLOB NOT NULL,
    PRIMARY KEY (check_id, seq)
);
CREATE TABLE check_zones (
    check_id TEXT NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
    zone_id TEXT NOT NULL,
    name TEXT,
    geometry BLOB NOT NULL
);
CREATE INDEX checks_created ON checks(created_at);
PRAGMA user_version=1;
"""


def v1_register(path, document, parcels) -> None:
    """A register as version 1 wrote it: the document with every parcel, no record column."""
    import json

    import shapely

    rows = [
        (
            document["id"],
            seq,
            r["parcel_id"],
            r["status"],
            r["area_m2"],
            r["area_mu"],
            r["inside_m2"],
            r["outside_m2"],
            r["distance_m"],
            r["crs_used"],
            "、".join(z["name"] for z in r["zones"]),
            "；".join(r["warnings"]),
            blob,
        )
        for seq, (r, blob) in enumerate(
            zip(document["parcels"], shapely.to_wkb(parcels.geometry.to_numpy()))
        )
    ]
    v1 = {k: v for k, v in document.items() if k != "requested_by"}
    with sqlite3.connect(path) as db:
        db.executescript(V1_SCHEMA)
        db.execute(
            "INSERT INTO checks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                v1["id"],
                v1["created_at"],
                v1["input"]["name"],
                v1["input"]["sha256"],
                v1["input"]["format"],
                v1["input"]["crs"],
                v1["zones"]["source"],
                v1["zones"]["sha256"],
                json.dumps(v1["parameters"]),
                json.dumps(v1["summary"]),
                json.dumps(v1, ensure_ascii=False),
            ),
        )
        db.executemany("INSERT INTO check_parcels VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)


def checked(user="", address=""):
    from land_fixtures import PARCEL_SHAPES, ZONE_SHAPES, collection

    from geo_service.land.readers import read_parcel_file
    from geo_service.land.service import CheckRequest, Upload, run_check
    from geo_service.land.zones import zones_from_file

    zones = zones_from_file(read_parcel_file(collection(ZONE_SHAPES, 36), "z.geojson"), "sha")
    request = CheckRequest(
        Upload("p.geojson", collection(PARCEL_SHAPES, 36)), user=user, client_addr=address
    )
    return run_check(request, zones, "test")


def test_a_version_1_register_is_upgraded_and_imported_at_start(tmp_path):
    """A register file of version 1 (before issue 10) still upgrades: start-up brings it to
    version 2 in place, as its own class did, then imports it into the store."""
    import pyogrio

    db = tmp_path / "checks.sqlite"
    document, parcels, _ = checked()
    v1_register(db, document, parcels)
    app = create_app({"TESTING": True, **dbs(tmp_path)})
    register = app.extensions["geo_service.register"]
    kept = tmp_path / "checks.sqlite.imported"
    assert not db.exists() and kept.is_file()
    with closing(sqlite3.connect(kept)) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 2
        columns = {row[1] for row in raw.execute("PRAGMA table_info(checks)")}
        assert {"user", "client_addr"} <= columns
        assert (
            raw.execute("SELECT count(*) FROM check_parcels WHERE record IS NULL").fetchone()[0]
            == 0
        )
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    (old,) = register.list()
    assert old["id"] == document["id"] and old["user"] == "" and old["client_addr"] == ""
    stored = register.get(document["id"])
    assert stored["parcels"] == document["parcels"]
    page, total = register.parcels_page(document["id"], 3, 3)
    assert total == 7 and page == document["parcels"][3:6]
    # the upgraded register takes new checks, with who asked
    new, new_parcels, used = checked("land-clerk", "10.0.0.7")
    register.save(new, new_parcels, used.frame)
    again = create_app({"TESTING": True, **dbs(tmp_path)}).extensions["geo_service.register"]
    by_id = {c["id"]: c for c in again.list()}
    assert by_id[new["id"]]["user"] == "land-clerk"
    assert by_id[new["id"]]["client_addr"] == "10.0.0.7"
    assert again.get(new["id"])["requested_by"] == {"user": "land-clerk", "address": "10.0.0.7"}
    gpkg = tmp_path / "register.gpkg"
    gpkg.write_bytes(again.export_geopackage())
    checks = pyogrio.read_dataframe(gpkg, layer="checks", read_geometry=False)
    assert dict(zip(checks["id"], checks["user"])) == {document["id"]: "", new["id"]: "land-clerk"}
    assert set(checks["client_addr"]) == {"", "10.0.0.7"}
    only_new = tmp_path / "new.gpkg"
    only_new.write_bytes(again.export_geopackage([new["id"]]))
    frame = pyogrio.read_dataframe(only_new, layer="check_parcels")
    assert set(frame["check_id"]) == {new["id"]} and len(frame) == 7


def test_big_checks_are_stored_without_the_parcel_list(tmp_path):
    register = Register(open_store(store_url(tmp_path)), inline_parcels=5)
    document, parcels, used = checked()
    register.save(document, parcels, used.frame)
    stored = register.get(document["id"])
    assert "parcels" not in stored and stored["parcels_paged"] is True
    assert list(register.iter_parcels(document["id"])) == document["parcels"]
    assert [r for r, _ in register.iter_parcels(document["id"], geometry=True, limit=2)] == (
        document["parcels"][:2]
    )
