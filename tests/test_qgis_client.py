"""QGIS's OAPIF provider (Debian's python3-qgis, run headless) reads the served collections.

Debian 12's QGIS is 3.22: its OAPIF provider predates OGC API - Features Part 2 support
(QGIS 3.28+), so it ignores ``srsname`` and never sends ``crs``; its subset strings are
evaluated by QGIS on the features it fetched. These tests record what QGIS sent and check the
answers are right for what it asked, so a newer QGIS that sends ``crs=`` is held to metres.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from client_fixtures import recording_fixture

pytestmark = pytest.mark.qgis

SYSTEM_PYTHON = "/usr/bin/python3"
READER = Path(__file__).with_name("qgis_reader.py")
EPSG_4545 = "http://www.opengis.net/def/crs/EPSG/0/4545"

recorded = recording_fixture()


def qgis_available() -> bool:
    if not Path(SYSTEM_PYTHON).exists():
        return False
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True)
    return probe.returncode == 0


@pytest.fixture(scope="module")
def qgis(recorded, tmp_path_factory):
    """Run QGIS on one collection; a fresh HOME so QGIS's network cache starts empty."""
    if not qgis_available():
        pytest.skip("QGIS not found (apt-get install python3-qgis qgis-providers)")
    home = tmp_path_factory.mktemp("qgis-home")

    def read(collection: str, srs: str = "", subset: str = "") -> dict:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(home)}
        env.pop("PYTHONPATH", None)
        done = subprocess.run(
            [SYSTEM_PYTHON, str(READER), recorded.url, collection, srs, subset],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return json.loads(done.stdout)

    return read


def test_qgis_reads_the_zones(qgis, catalog):
    got = qgis("zones")
    assert got["valid"] and got["crs"] in ("EPSG:4326", "OGC:CRS84")
    layer = catalog.get("zones")
    assert [f["id"] for f in got["features"]] == [f["id"] for f in layer.features]
    for feature, expected in zip(got["features"], layer.geometries):
        assert feature["properties"]["precision"] and feature["properties"]["source"]
        got_geometry = shapely.from_wkt(feature["wkt"])
        assert shapely.equals_exact(got_geometry, expected, tolerance=1e-7), feature["id"]


def test_qgis_srsname_4545(qgis, recorded, catalog):
    recorded.start()
    got = qgis("zones", srs="EPSG:4545")
    asked = [q.get("crs", [None])[0] for q in recorded.items_queries("zones")]
    layer = catalog.get("zones")
    if got["crs"] == "EPSG:4545":  # a QGIS with Part 2: it must have asked, and got metres
        assert asked and all(crs == EPSG_4545 for crs in asked), asked
        to_plane = pyproj.Transformer.from_crs("OGC:CRS84", "EPSG:4545", always_xy=True)
        for feature, expected in zip(got["features"], layer.geometries):
            want = shapely.transform(
                expected, lambda xy: np.column_stack(to_plane.transform(*xy.T))
            )
            got_geometry = shapely.from_wkt(feature["wkt"])
            assert shapely.equals_exact(got_geometry, want, tolerance=0.01), feature["id"]
    else:  # QGIS 3.22 (Debian 12): srsname ignored, CRS84 asked for and answered
        assert got["crs"] in ("EPSG:4326", "OGC:CRS84")
        assert all(crs in (None, "http://www.opengis.net/def/crs/OGC/1.3/CRS84") for crs in asked)
        assert len(got["features"]) == len(layer.features)


def test_qgis_subset_string_matches_pandas(qgis, catalog):
    got = qgis("zones", subset="level = '县域工业集中区' AND drawn_area_km2 > 2")
    assert got["subset_accepted"]
    table = pd.DataFrame([f["properties"] for f in catalog.get("zones").features])
    expected = table[(table["level"] == "县域工业集中区") & (table["drawn_area_km2"] > 2)]
    assert [f["id"] for f in got["features"]] == list(expected["id"]) and len(expected)


@pytest.mark.parametrize("collection", ["counties", "logistics_nodes", "enclave_links"])
def test_qgis_reads_each_geometry_type(qgis, catalog, collection):
    got = qgis(collection)
    layer = catalog.get(collection)
    assert got["valid"] and len(got["features"]) == len(layer.features)
