"""Import time for a 1,000-zone GeoPackage: dry run and commit, against a plain pyogrio read
of the same file in the same run.

    PYTHONPATH=. .venv/bin/python benchmarks/layer_import.py

The file: the 16 zones of version 1 (their ids are named by other layers, so an import keeps
them) plus 984 squares of 300 m on a 1 km grid around Ankang's centre, on EPSG:4545 with
YQDM/YQMC fields in Chinese. Best of 3 for each step; the commit is timed on a fresh store
each round (creating the app is not timed).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import pyogrio
from shapely.geometry import box

from geo_service import create_app
from geo_service.config import REPO_ROOT
from geo_service.land.readers import Limits
from geo_service.layer_import import ImportRequest, commit, dry_run

ROUNDS = 3
CENTRE = (590_000.0, 3_618_000.0)  # EPSG:4545, near 汉滨区 (109.0°E, 32.7°N)


def thousand_zones(path: Path) -> None:
    zones = gpd.read_file(REPO_ROOT / "layers" / "zones.geojson", engine="pyogrio")
    zones = zones[["id", "name", "geometry"]].to_crs("EPSG:4545")
    rows, shapes = [], []
    for i, n, g in zip(zones["id"], zones["name"], zones.geometry):
        rows.append({"YQDM": i, "YQMC": n, "批准文号": "陕政函〔2019〕1号"})
        shapes.append(g)
    x0, y0 = CENTRE[0] - 16_000, CENTRE[1] - 15_000
    k = 0
    while len(rows) < 1000:
        x, y = x0 + (k % 32) * 1000.0, y0 + (k // 32) * 1000.0
        rows.append({"YQDM": f"G{k:04d}", "YQMC": f"规划地块{k}", "批准文号": ""})
        shapes.append(box(x, y, x + 300, y + 300))
        k += 1
    frame = gpd.GeoDataFrame(rows, geometry=shapes, crs="EPSG:4545")
    frame.to_file(path, layer="zones", driver="GPKG", engine="pyogrio")


def config(folder: Path) -> dict:
    return {
        "TESTING": True,
        "AUTH": "none",
        "AUTH_DB": str(folder / "auth.sqlite"),
        "CHECKS_DB": str(folder / "checks.sqlite"),
        "ACTUALS_DB": str(folder / "actuals.sqlite"),
    }


def best(fn, rounds: int = ROUNDS) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="geo_service-bench-import-") as folder:
        folder = Path(folder)
        path = folder / "园区边界_1000.gpkg"
        thousand_zones(path)
        data = path.read_bytes()
        app = create_app(config(folder / "dry"))
        catalog = app.extensions["geo_service.catalog"]
        limits = Limits.from_config(app.config)

        def request() -> ImportRequest:
            return ImportRequest("zones", path.name, data, user="bench", limits=limits)

        read = best(lambda: pyogrio.read_dataframe(path))
        answer = dry_run(catalog, request())
        assert answer["committable"], answer["problems"][:3]
        dry = best(lambda: dry_run(catalog, request()))
        preview = best(lambda: dry_run(catalog, request(), preview=True))
        commits = []
        for round_ in range(ROUNDS):
            fresh = create_app(config(folder / f"commit{round_}"))
            ext = fresh.extensions
            start = time.perf_counter()
            _, version = commit(ext["geo_service.store"], ext["geo_service.catalog"], request())
            commits.append(time.perf_counter() - start)
            assert version.number == 2 and version.feature_count == 1000
        committed = min(commits)
        counts = answer["diff"]["counts"]
        print(f"file: {path.name}, {len(data) / 1024:.0f} KB, {answer['counts']['features']} zones")
        print(f"diff: {counts}; problems: {answer['counts']}")
        print("| step | seconds (best of 3) | ratio to the plain read |")
        print("|---|---|---|")
        for label, value in (
            ("baseline: pyogrio.read_dataframe", read),
            ("dry run (read, check, validate, diff)", dry),
            ("dry run with the page's preview shapes", preview),
            ("commit (dry run + write version 2 + serve it)", committed),
        ):
            print(f"| {label} | {value:.3f} | {value / read:.1f}x |")
        print(
            f"commit rounds: {', '.join(f'{c:.3f}' for c in commits)}; "
            f"median {statistics.median(commits):.3f}"
        )


if __name__ == "__main__":
    main()
