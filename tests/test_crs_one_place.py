"""One place moves geometries between lon/lat and the GK planes: ``query/crs.py``'s
``transform`` (with its cached ``transformer``), beside the one table of offered CRSs."""

from __future__ import annotations

import ast
import threading

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from geo_service.config import REPO_ROOT
from geo_service.land import crs as land_crs
from geo_service.query import crs as part2

PACKAGE = REPO_ROOT / "geo_service"
THE_PLACE = PACKAGE / "query" / "crs.py"


def transforms_outside(path) -> list[str]:
    """Each ``Transformer`` built and each ``.to_crs(`` called in ``path``, with its line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Attribute) and node.attr in ("Transformer", "to_crs"):
            found.append(f"{node.lineno}: .{node.attr}")
        elif (
            isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith("pyproj")
            and any(alias.name == "Transformer" for alias in node.names)
        ):
            found.append(f"{node.lineno}: from {node.module} import Transformer")
    return found


@pytest.mark.parametrize(
    "path",
    [p for p in sorted(PACKAGE.rglob("*.py")) if p != THE_PLACE],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_no_module_builds_its_own_transformer(path):
    assert transforms_outside(path) == [], "use geo_service.query.crs.transform"


def test_the_check_catches_each_form(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import pyproj\nfrom pyproj import Transformer\n"
        "t = pyproj.Transformer.from_crs(4326, 4545)\nframe.to_crs(4545)\n",
        encoding="utf-8",
    )
    assert len(transforms_outside(sample)) == 3


def test_transform_agrees_with_pyproj_to_the_millimetre():
    points = shapely.points([[108.5, 32.7], [109.9, 33.1], [110.1, 31.9]])
    moved = shapely.get_coordinates(part2.transform(points, "EPSG:4326", "EPSG:4545"))
    independent = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:4545", always_xy=True)
    x, y = independent.transform([108.5, 109.9, 110.1], [32.7, 33.1, 31.9])
    assert np.abs(moved - np.column_stack([x, y])).max() < 1e-3
    back = part2.transform(part2.transform(points, "EPSG:4490", "EPSG:4546"), "EPSG:4546", 4490)
    assert np.abs(shapely.get_coordinates(back) - shapely.get_coordinates(points)).max() < 1e-9


def test_frame_to_is_what_to_crs_gives():
    polygon = shapely.box(109.0, 32.6, 109.01, 32.61)
    frame = gpd.GeoDataFrame({"id": ["a"], "名称": ["园区"]}, geometry=[polygon], crs=4326)
    ours = part2.frame_to(frame, "EPSG:4545")
    theirs = frame.to_crs("EPSG:4545")
    assert ours.crs.to_epsg() == 4545 and list(ours.columns) == list(frame.columns)
    assert ours["名称"].tolist() == ["园区"] and frame.crs.to_epsg() == 4326  # not changed
    assert shapely.equals_exact(ours.geometry.iloc[0], theirs.geometry.iloc[0], tolerance=1e-6)


def test_one_transformer_per_pair_shared_by_threads():
    first = part2.transformer("EPSG:4490", "EPSG:4545")
    seen, results = [], []

    def work():
        seen.append(part2.transformer("EPSG:4490", "EPSG:4545"))
        results.append(first.transform(109.0, 32.7))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(t is first for t in seen) and len(set(results)) == 1


def test_the_offered_table_and_the_readers_table_name_the_same_planes():
    offered = {c.code for c in part2.OFFERED}
    cgcs = {f"EPSG:{code}" for code in land_crs.GK_EPSG["CGCS2000"].values()}
    assert cgcs <= offered
    assert set(land_crs.AREA_PLANES.values()) <= cgcs
    assert [c.code for c in part2.OFFERED] == [
        *("OGC:CRS84", "EPSG:4326", "EPSG:4490", "EPSG:4545", "EPSG:4546"),
        *("EPSG:4524", "EPSG:4525"),
    ]
