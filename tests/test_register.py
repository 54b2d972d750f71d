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
    with pytest.raises(ConfigError, match="schema version 7"):
        Register(db)
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 7
