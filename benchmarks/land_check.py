"""100,000 parcels against the zones layer: the check step and end to end from a file.

Baseline, in the same run: a straightforward ``geopandas.overlay`` implementation (parcels and
zones projected to the same Gauss-Kruger plane, ``overlay(how="intersection")`` for the overlap
with each zone and with the dissolved zones, areas grouped by parcel). The two must agree on
every overlap area; the figures are parcels per second and the ratio.

    PYTHONPATH=. .venv/bin/python benchmarks/land_check.py [--parcels 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_service import create_app
from geo_service.land.check import check_parcels, parcel_records
from geo_service.land.prepare import prepare_parcels
from geo_service.land.readers import read_parcel_file
from geo_service.land.service import CheckRequest, Upload, run_check
from geo_service.land.zones import zones_from_layer

GOAL_RATIO = 3.0
GOAL_END_TO_END_S = 3.0


def make_parcels(zones: gpd.GeoDataFrame, count: int, seed: int = 20181) -> gpd.GeoDataFrame:
    """Rectangles of 30-200 m, half near a zone (so many overlap), half anywhere in Ankang's
    bounding box; drawn with a margin and cut to exactly ``count`` inside Ankang."""
    wanted, count = count, int(count * 1.4)
    rng = np.random.default_rng(seed)
    planes = zones.to_crs("EPSG:4545")
    near = count // 2
    anchors = planes.geometry.centroid.to_numpy()
    chosen = rng.integers(0, len(anchors), near)
    x = np.concatenate(
        [
            shapely.get_x(anchors[chosen]) + rng.normal(0, 2500, near),
            rng.uniform(420_000, 690_000, count - near),
        ]
    )
    y = np.concatenate(
        [
            shapely.get_y(anchors[chosen]) + rng.normal(0, 2500, near),
            rng.uniform(3_515_000, 3_745_000, count - near),
        ]
    )
    width, height = rng.uniform(30, 200, count), rng.uniform(30, 200, count)
    boxes = shapely.box(x, y, x + width, y + height)
    lonlat = gpd.GeoSeries(boxes, crs="EPSG:4545").to_crs("EPSG:4490")
    inside_ankang = lonlat.within(shapely.box(108.02, 31.71, 110.2, 33.84))
    frame = gpd.GeoDataFrame(
        {"parcel_id": [f"P{i:06d}" for i in range(count)]}, geometry=lonlat, crs="EPSG:4490"
    )
    return frame[inside_ankang.to_numpy()].iloc[:wanted].reset_index(drop=True)


def overlay_baseline(parcels: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, planes: np.ndarray):
    """Per plane: overlay with each zone and with the dissolved zones."""
    pairs, inside = [], pd.Series(0.0, index=parcels.index)
    for plane in np.unique(planes):
        subset = parcels[planes == plane].to_crs(plane)
        subset["parcel"] = subset.index
        zones_plane = zones.to_crs(plane)
        hits = gpd.overlay(
            subset, zones_plane[["zone_id", "geometry"]], how="intersection", keep_geom_type=True
        )
        hits["overlap_m2"] = hits.area
        pairs.append(hits[["parcel", "zone_id", "overlap_m2"]])
        dissolved = zones_plane.dissolve()[["geometry"]]
        merged = gpd.overlay(subset, dissolved, how="intersection", keep_geom_type=True)
        inside = inside.add(merged.groupby("parcel").apply(lambda g: g.area.sum()), fill_value=0)
    return pd.concat(pairs, ignore_index=True), inside


def best_of(repeat: int, function):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {"CHECKS_DB": f"{folder}/checks.sqlite", "ACTUALS_DB": f"{folder}/a.sqlite"}
        )
        catalog = app.extensions["geo_service.catalog"]
        zones = zones_from_layer(catalog.get("zones"), catalog.dataset_hash).frame
        parcels = make_parcels(zones, args.parcels)
        count = len(parcels)
        path = Path(folder) / "parcels.gpkg"
        parcels.to_crs("EPSG:4545").to_file(path, engine="pyogrio")
        data = path.read_bytes()

        def end_to_end():
            raw = read_parcel_file(data, "parcels.gpkg")
            prepared = prepare_parcels(raw)
            return parcel_records(check_parcels(prepared.frame, zones))

        prepared = prepare_parcels(read_parcel_file(data, "parcels.gpkg")).frame
        check_s, result = best_of(args.repeat, lambda: check_parcels(prepared, zones))
        overlay_s, (pairs, inside) = best_of(
            args.repeat,
            lambda: overlay_baseline(prepared, zones, result.parcels["crs_used"].to_numpy()),
        )
        e2e_s, records = best_of(args.repeat, end_to_end)

        register = app.extensions["geo_service.register"]
        default_zones = zones_from_layer(catalog.get("zones"), catalog.dataset_hash)

        def stored():
            request = CheckRequest(Upload("parcels.gpkg", data))
            document, frame, used = run_check(request, default_zones, catalog.version)
            register.save(document, frame, used.frame)
            return document

        stored_s, _ = best_of(args.repeat, stored)

    ours = result.overlaps.assign(parcel=result.overlaps["parcel"].astype(int))
    joined = ours.merge(
        pairs[pairs["overlap_m2"] > 0.01],
        on=["parcel", "zone_id"],
        how="outer",
        suffixes=("", "_overlay"),
    )
    worst_pair = np.nanmax(np.abs(joined["overlap_m2"] - joined["overlap_m2_overlay"]))
    inside_overlay = inside.reindex(range(count), fill_value=0).to_numpy()
    worst_inside = np.max(np.abs(result.parcels["inside_m2"].to_numpy() - inside_overlay))
    same_pairs = joined[["overlap_m2", "overlap_m2_overlay"]].notna().all(axis=1).all()
    statuses = result.parcels["status"].value_counts().to_dict()

    ratio = overlay_s / check_s
    print(f"{count:,} parcels ({statuses}) against {len(zones)} zones; best of {args.repeat}")
    print(
        f"  baseline geopandas.overlay : {overlay_s:7.3f} s  {count / overlay_s:10,.0f} parcels/s"
    )
    print(
        f"  check step (check_parcels) : {check_s:7.3f} s  {count / check_s:10,.0f} parcels/s"
        f"   ratio {ratio:.1f}x"
    )
    print(
        f"  end to end from GeoPackage : {e2e_s:7.3f} s  {count / e2e_s:10,.0f} parcels/s"
        f"   (read, validate, check, per-parcel JSON records: {len(records):,})"
    )
    print(
        f"  as the API does it         : {stored_s:7.3f} s  {count / stored_s:10,.0f} parcels/s"
        "   (the same + result document + SQLite register write)"
    )
    print(
        f"  agreement: same (parcel, zone) pairs: {same_pairs}; max |overlap diff| "
        f"{worst_pair:.2e} m2; max |inside diff| {worst_inside:.2e} m2"
    )
    met = ratio >= GOAL_RATIO and e2e_s < GOAL_END_TO_END_S and same_pairs and worst_pair < 1e-3
    print(
        f"  goals: check >= {GOAL_RATIO:.0f}x overlay, end to end < {GOAL_END_TO_END_S:.0f} s, "
        f"identical areas -> {'met' if met else 'MISSED'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
