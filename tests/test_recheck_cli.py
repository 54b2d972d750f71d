"""``python -m geo_service recheck``: the same re-check from the command line, recorded too,
with the Chinese summary printed."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import dbs
from land_fixtures import ZONE_SHAPES
from test_recheck import V3_SHAPES, check_now, commit_zones

from geo_service import create_app
from geo_service.config import REPO_ROOT
from geo_service.store.rechecks import RecheckRecords


def run(folder, *args: str):
    env = {
        **os.environ,
        "GEO_SERVICE_AUTH": "none",
        "GEO_SERVICE_AUTH_DB": str(folder / "auth.sqlite"),
        "GEO_SERVICE_CHECKS_DB": str(folder / "checks.sqlite"),
        "GEO_SERVICE_ACTUALS_DB": str(folder / "actuals.sqlite"),
    }
    return subprocess.run(
        [sys.executable, "-m", "geo_service", "recheck", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_recheck_prints_the_transitions_and_records_them(tmp_path):
    app = create_app({"TESTING": True, **dbs(tmp_path)})
    commit_zones(app, ZONE_SHAPES, "v2")
    check_id = check_now(app)
    commit_zones(app, V3_SHAPES, "v3")

    result = run(tmp_path, "--since", "2000-01-01")

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "园区图层第 3 版；重新检查 1 个检查、7 个地块，4 个地块有变化，0 个检查跳过" in out
    assert "区内 → 部分在区内：1 个地块，其中 1 个有变化" in out
    assert "部分在区内 → 区外：1 个地块，其中 1 个有变化" in out
    assert (
        f"地块 in（检查 {check_id}）：区内 → 部分在区内，区内面积 10000.00 → 5000.00 m²"
        "（-5000.00 m²，-7.5000 亩）"
    ) in out
    records = RecheckRecords(app.extensions["geo_service.store"].engine)
    (row,) = records.list()
    assert row["status"] == "done" and row["summary"]["changed"] == 4

    again = run(tmp_path, "--check", check_id, "--version", "2")
    assert again.returncode == 0 and "0 个地块有变化" in again.stdout


def test_cli_recheck_refuses_a_bad_version_in_chinese(tmp_path):
    create_app({"TESTING": True, **dbs(tmp_path)})
    result = run(tmp_path, "--version", "5")
    assert result.returncode == 2
    assert "园区图层没有第 5 版" in result.stderr
