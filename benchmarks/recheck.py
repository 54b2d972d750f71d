"""Re-checking a register of 10,000 checked parcels against a new zones version.

Same run, three processes (so that each one's peak RSS is its own):

1. ``build``: 10 real checks of 1,000 generated parcels each (GeoJSON uploads through
   ``run_check`` and ``Register.save``, as the worker does), timed: the original checks' own
   time; then a zones version 2 through ``versions.commit_version`` where every other zone
   shrinks by 150 m and the others grow by 150 m (on the GK plane).
2. ``recheck``: the re-check of every check against version 2 (``recheck_run.prepare`` and
   ``run_recheck``, what the worker runs), timed, with the changed parcels counted.
3. ``idle``: the app started and nothing done (the RSS every process pays anyway).

    PYTHONPATH=. .venv/bin/python benchmarks/recheck.py [--parcels 10000] [--checks 10]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyproj
import shapely
from shapely.geometry import mapping, shape

from geo_service import create_app


def config(folder: Path) -> dict:
    return {
        "TESTING": True,
        "AUTH": "none",
        "AUTH_DB": str(folder / "auth.sqlite"),
        "CHECKS_DB": str(folder / "checks.sqlite"),
        "ACTUALS_DB": str(folder / "actuals.sqlite"),
        "RECHECK_MAX_PARCELS": 1_000_000,
    }


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def moved_zones(features: list[dict]) -> list[dict]:
    """Every other zone 150 m smaller, the others 150 m bigger (buffered on EPSG:4545)."""
    there = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:4545", always_xy=True)
    back = pyproj.Transformer.from_crs("EPSG:4545", "EPSG:4326", always_xy=True)

    def moved(geometry, metres):
        plane = shapely.transform(geometry, lambda xy: np.column_stack(there.transform(*xy.T)))
        changed = plane.buffer(metres)
        return shapely.transform(changed, lambda xy: np.column_stack(back.transform(*xy.T)))

    out = []
    for i, feature in enumerate(features):
        geometry = moved(shape(feature["geometry"]), -150 if i % 2 else 150)
        out.append({**feature, "geometry": json.loads(json.dumps(mapping(geometry)))})
    return out


def build(folder: Path, parcels: int, checks: int) -> dict:
    from benchmarks.land_check import make_parcels
    from geo_service.land.service import CheckRequest, Upload, run_check
    from geo_service.land.zones import zones_from_layer
    from geo_service.versions import commit_version

    app = create_app(config(folder))
    ext = app.extensions
    catalog, register = ext["geo_service.catalog"], ext["geo_service.register"]
    zones = zones_from_layer(catalog.get("zones"), catalog.dataset_hash)
    frame = make_parcels(zones.frame, parcels)
    frame = frame[["parcel_id", "geometry"]].to_crs("EPSG:4326")
    size = -(-len(frame) // checks)
    uploads = [
        Upload(f"parcels-{n}.geojson", frame.iloc[n * size : (n + 1) * size].to_json().encode())
        for n in range(checks)
    ]
    started = time.perf_counter()
    for upload in uploads:
        document, checked, used = run_check(CheckRequest(parcels=upload), zones, catalog.version)
        register.save(document, checked, used.frame)
    checks_s = time.perf_counter() - started
    store = ext["geo_service.store"]
    commit_version(
        store,
        catalog,
        "zones",
        moved_zones(store.features("zones")),
        user="bench",
        message="±150 m",
        source_name="bench",
        source_sha256="0" * 64,
        based_on=store.current_version("zones").number,
    )
    return {"checks_s": checks_s, "parcels": len(frame), "checks": checks, "peak_mb": peak_mb()}


def recheck(folder: Path) -> dict:
    from geo_service.land import recheck_run
    from geo_service.store.rechecks import RecheckRecords

    app = create_app(config(folder))
    ext = app.extensions
    store, register = ext["geo_service.store"], ext["geo_service.register"]
    records = RecheckRecords(store.engine)
    rss_before = peak_mb()
    started = time.perf_counter()
    done = recheck_run.run_in_process(
        store,
        register,
        {"since": None, "checks": None, "version": None},
        ("bench", ""),
        {"time_zone": "Asia/Shanghai", "max_checks": 1000, "max_parcels": 1_000_000},
    )
    assert done["status"] == "done"
    recheck_id = done["id"]
    recheck_s = time.perf_counter() - started
    summary = records.get(recheck_id)["summary"]
    return {
        "recheck_s": recheck_s,
        "parcels": summary["parcels"],
        "changed": summary["changed"],
        "transitions": {
            f"{t['before']}>{t['after']}": [t["parcels"], t["changed"]]
            for t in summary["transitions"]
        },
        "peak_mb_app": rss_before,
        "peak_mb": peak_mb(),
    }


def idle(folder: Path) -> dict:
    create_app(config(folder))
    return {"peak_mb": peak_mb()}


def phase(name: str, folder: Path, *extra: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--phase", name, "--folder", str(folder), *extra],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parcels", type=int, default=10_000)
    parser.add_argument("--checks", type=int, default=10)
    parser.add_argument("--phase", choices=("build", "recheck", "idle"))
    parser.add_argument("--folder")
    args = parser.parse_args()
    if args.phase:
        folder = Path(args.folder)
        result = {
            "build": lambda: build(folder, args.parcels, args.checks),
            "recheck": lambda: recheck(folder),
            "idle": lambda: idle(folder),
        }[args.phase]()
        print(json.dumps(result))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-recheck-") as name:
        folder = Path(name)
        sizes = ("--parcels", str(args.parcels), "--checks", str(args.checks))
        built = phase("build", folder, *sizes)
        rechecked = phase("recheck", folder)
        baseline = phase("idle", folder)
    ratio = rechecked["recheck_s"] / built["checks_s"]
    print(
        f"register: {built['checks']} checks, {built['parcels']} parcels; original checks "
        f"{built['checks_s']:.2f} s (peak RSS {built['peak_mb']:.0f} MB)"
    )
    print(
        f"re-check against version 2: {rechecked['recheck_s']:.2f} s for "
        f"{rechecked['parcels']} parcels ({rechecked['parcels'] / rechecked['recheck_s']:.0f}/s), "
        f"{rechecked['changed']} changed; ratio re-check/original checks {ratio:.2f}"
    )
    print(
        f"peak RSS: re-check process {rechecked['peak_mb']:.0f} MB (app loaded "
        f"{rechecked['peak_mb_app']:.0f} MB), idle app {baseline['peak_mb']:.0f} MB"
    )
    print("transitions (parcels, changed):", json.dumps(rechecked["transitions"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
