"""The check register: a real SQLite file, all-or-nothing writes, readable after a crash."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

import pytest

from geo_service.config import REPO_ROOT
from geo_service.errors import ConfigError
from geo_service.land.register import Register

CRASH = textwrap.dedent("""
    import os, sys
    sys.path[:0] = ["tests"]
    from land_fixtures import PARCEL_SHAPES, ZONE_SHAPES, collection
    from geo_service.land.register import Register
    from geo_service.land.service import CheckRequest, Upload, run_check
    from geo_service.land.readers import read_parcel_file
    from geo_service.land.zones import zones_from_file

    zones = zones_from_file(read_parcel_file(collection(ZONE_SHAPES, 36), "z.geojson"), "sha")
    register = Register(sys.argv[1])

    def check():
        request = CheckRequest(Upload("p.geojson", collection(PARCEL_SHAPES, 36)))
        return run_check(request, zones, "test")

    document, parcels, used = check()
    register.save(document, parcels, used.frame)  # the first check is stored whole

    class CrashingConnection:
        '''Dies, like a killed process, after the check row is written, mid-transaction.'''
        def __init__(self, db): self.db = db
        def __getattr__(self, name): return getattr(self.db, name)
        def __enter__(self): return self.db.__enter__()
        def __exit__(self, *exc): return self.db.__exit__(*exc)
        def executemany(self, *args): os._exit(9)

    connect = register.connect
    register.connect = lambda: CrashingConnection(connect())
    document, parcels, used = check()
    register.save(document, parcels, used.frame)
""")


def test_a_crash_mid_write_leaves_no_half_record(tmp_path):
    db = tmp_path / "checks.sqlite"
    result = subprocess.run(
        [sys.executable, "-c", CRASH, str(db)], cwd=REPO_ROOT, capture_output=True, timeout=120
    )
    assert result.returncode == 9, result.stderr.decode()
    register = Register(db)
    checks = register.list()
    assert len(checks) == 1  # the first, whole; nothing of the second
    with sqlite3.connect(db) as raw:
        assert raw.execute("SELECT count(*) FROM check_parcels").fetchone()[0] == 7
        assert raw.execute("SELECT count(DISTINCT check_id) FROM check_parcels").fetchone()[0] == 1
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert len(register.get(checks[0]["id"])["parcels"]) == 7


def test_a_register_of_another_schema_is_not_touched(tmp_path):
    db = tmp_path / "old.sqlite"
    with sqlite3.connect(db) as raw:
        raw.execute("CREATE TABLE checks (id TEXT)")
        raw.execute("PRAGMA user_version=7")
    with pytest.raises(ConfigError, match="的结构版本为 7，本版 geo_service 写入版本 2"):
        Register(db)
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 7


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


def test_a_version_1_register_is_migrated_in_place(tmp_path):
    import pyogrio

    db = tmp_path / "v1.sqlite"
    document, parcels, _ = checked()
    v1_register(db, document, parcels)
    register = Register(db)
    with sqlite3.connect(db) as raw:
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
    # the migrated register takes new checks, with who asked
    new, new_parcels, used = checked("land-clerk", "10.0.0.7")
    register.save(new, new_parcels, used.frame)
    again = Register(db)  # opening a version-2 file changes nothing
    by_id = {c["id"]: c for c in again.list()}
    assert by_id[new["id"]]["user"] == "land-clerk"
    assert by_id[new["id"]]["client_addr"] == "10.0.0.7"
    assert again.get(new["id"])["requested_by"] == {"user": "land-clerk", "address": "10.0.0.7"}
    gpkg = tmp_path / "register.gpkg"
    gpkg.write_bytes(again.export_geopackage())
    checks = pyogrio.read_dataframe(gpkg, layer="checks", read_geometry=False)
    assert dict(zip(checks["id"], checks["user"])) == {document["id"]: "", new["id"]: "land-clerk"}
    assert set(checks["client_addr"]) == {"", "10.0.0.7"}


def test_big_checks_are_stored_without_the_parcel_list(tmp_path):
    register = Register(tmp_path / "checks.sqlite", inline_parcels=5)
    document, parcels, used = checked()
    register.save(document, parcels, used.frame)
    stored = register.get(document["id"])
    assert "parcels" not in stored and stored["parcels_paged"] is True
    assert list(register.iter_parcels(document["id"])) == document["parcels"]
    assert [r for r, _ in register.iter_parcels(document["id"], geometry=True, limit=2)] == (
        document["parcels"][:2]
    )
