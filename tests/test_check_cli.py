"""``python -m geo_service check``: the same check from the command line, recorded too."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import openpyxl
from land_fixtures import EXPECTED, PARCEL_SHAPES, ZONE_SHAPES, collection

from geo_service.config import REPO_ROOT


def run(tmp_path, *args: str):
    env = {
        **os.environ,
        "GEO_SERVICE_CHECKS_DB": str(tmp_path / "checks.sqlite"),
        "GEO_SERVICE_ACTUALS_DB": str(tmp_path / "actuals.sqlite"),
    }
    return subprocess.run(
        [sys.executable, "-m", "geo_service", "check", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )


def test_cli_check_json_and_xlsx(tmp_path):
    parcels = tmp_path / "地块.geojson"
    parcels.write_bytes(collection(PARCEL_SHAPES, 37, prefixed=True))
    zones = tmp_path / "区界.geojson"
    zones.write_bytes(collection(ZONE_SHAPES, 37))
    result = run(tmp_path, str(parcels), "--zones", str(zones))
    assert result.returncode == 0, result.stderr.decode()
    document = json.loads(result.stdout)
    statuses = {p["parcel_id"]: p["status"] for p in document["parcels"]}
    assert statuses == {key: e.status for key, e in EXPECTED.items()}
    assert "区内 3，部分在区内 2，区外 2" in result.stderr.decode()

    out = tmp_path / "result.xlsx"
    result = run(
        tmp_path, str(parcels), "--zones", str(zones), "--format", "xlsx", "--out", str(out)
    )
    assert result.returncode == 0
    assert openpyxl.load_workbook(out)["地块检查结果"].max_row == 8


def test_cli_reports_bad_input_and_exits_non_zero(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,wkt\nA,POLYGON((1 2, 3 4))\nB,\n", encoding="utf-8")
    result = run(tmp_path, str(bad), "--crs", "EPSG:4545")
    assert result.returncode == 2
    stderr = result.stderr.decode()
    assert stderr.splitlines()[:2] == [
        "错误：bad.csv：共 2 处问题，第一处：第 2 行（A）：无法解析的 WKT"
        "（多边形写作 POLYGON((x y, ...))，末点重复首点）",
        "  第 3 行（B）：几何为空（请填写 WKT 列）",
    ]
    missing = run(tmp_path, str(tmp_path / "nope.geojson"))
    assert missing.returncode == 2 and "找不到文件" in missing.stderr.decode()
