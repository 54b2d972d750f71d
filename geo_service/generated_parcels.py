"""``python -m geo_service layers generate-parcels --count 1000000 [--seed N]``: the generated
parcels layer ``parcels_generated`` (issue 14 §3), written into the store.

Rectangles of 30-200 m drawn on the CGCS2000 3° Gauss-Krüger plane of CM 108°E (EPSG:4545),
half near a zone (so many overlap the zones), half anywhere in Ankang, kept when their centre
lies in a county (the land-check benchmark's recipe, benchmarks/land_check.py), moved to
lon/lat (7 decimals). Every feature says what it is: ``source`` "generated for benchmarks/
生成的测试地块", ``precision`` "schematic", ``generated`` true and the seed; the catalog entry
is titled 生成的示意地块 (layers/catalog.toml): never to be taken for 三调 or any real data.
Written batch by batch (``store.bulk.write_version``): memory stays bounded.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections.abc import Iterator

import numpy as np
import shapely

from geo_service.catalog import Catalog
from geo_service.errors import BadRequest
from geo_service.messages import Msg
from geo_service.query import crs
from geo_service.store.features import FeatureRow, canonical

LAYER_ID = "parcels_generated"
SOURCE = "generated for benchmarks/生成的测试地块"
MAX_COUNT = 5_000_000
BATCH = 10_000
GK = "EPSG:4545"


def parcels(catalog: Catalog, count: int, seed: int) -> Iterator[list[tuple[FeatureRow, dict]]]:
    """``count`` generated parcels, ``BATCH`` at a time, as stored rows and properties."""
    rng = np.random.default_rng(seed)
    counties = catalog.get("counties")
    county_ids = [f["id"] for f in counties.features]
    county_shapes = crs.transform(counties.geometries, "OGC:CRS84", GK)
    shapely.prepare(county_shapes)
    zones = catalog.get("zones")
    anchors = crs.transform(shapely.centroid(zones.geometries), "OGC:CRS84", GK)
    made = 0
    while made < count:
        wanted = min(BATCH, count - made)
        drawn = int(wanted * 3) + 16
        near = drawn // 2
        chosen = anchors[rng.integers(0, len(anchors), near)]
        x = np.concatenate(
            [
                shapely.get_x(chosen) + rng.normal(0, 2500, near),
                rng.uniform(420e3, 690e3, drawn - near),
            ]
        )
        y = np.concatenate(
            [
                shapely.get_y(chosen) + rng.normal(0, 2500, near),
                rng.uniform(3_515e3, 3_745e3, drawn - near),
            ]
        )
        width, height = rng.uniform(30, 200, drawn), rng.uniform(30, 200, drawn)
        county = np.full(drawn, -1)
        for index, shape in enumerate(county_shapes):
            inside = shapely.contains_xy(shape, x + width / 2, y + height / 2)
            county[(county < 0) & inside] = index
        inside = county >= 0  # half near a zone, half anywhere (then in stored order)
        around = np.flatnonzero(inside[:near])[: wanted // 2]
        anywhere = np.flatnonzero(inside[near:])[: wanted - len(around)] + near
        keep = np.sort(np.concatenate([around, anywhere]))
        rng.shuffle(keep)
        boxes = shapely.box(x[keep], y[keep], x[keep] + width[keep], y[keep] + height[keep])
        areas = shapely.area(boxes)
        lonlat = shapely.transform(
            crs.transform(boxes, GK, "OGC:CRS84"), lambda xy: np.round(xy, 7)
        )
        wkbs = shapely.to_wkb(lonlat, output_dimension=3)
        bounds = shapely.bounds(lonlat)
        # a box's one ring of 5 positions, as store.features.geometry_of reads the WKB back
        rings = shapely.get_coordinates(lonlat).reshape(len(keep), 5, 2).tolist()
        batch = []
        for j, wkb in enumerate(wkbs):
            number = made + j + 1
            properties = {
                "name": f"生成的示意地块 {number}",
                "parcel_id": f"GEN{number:07d}",
                "county": county_ids[county[keep[j]]],
                "area_m2": round(float(areas[j]), 2),
                "generated": True,
                "seed": seed,
                "source": SOURCE,
                "precision": "schematic",
            }
            fid = f"gen-{number:07d}"
            feature = {
                "type": "Feature",
                "id": fid,
                "geometry": {"type": "Polygon", "coordinates": [rings[j]]},
                "properties": properties,
            }
            text = json.dumps(properties, ensure_ascii=False)
            sha = hashlib.sha256(canonical(feature)).hexdigest()
            box = tuple(float(v) for v in bounds[j])
            batch.append((FeatureRow(fid, wkb, text, sha, box), properties))
        made += len(batch)
        yield batch


def generate(store, catalog: Catalog, count: int, seed: int) -> tuple[int, float]:
    """Write ``count`` generated parcels as the next version of ``parcels_generated``:
    (version, seconds)."""
    from geo_service.store.bulk import write_version

    if not 1 <= count <= MAX_COUNT:
        raise BadRequest("big.bad_count", count=count, maximum=MAX_COUNT)
    started = time.perf_counter()
    number = write_version(
        store.engine,
        LAYER_ID,
        parcels(catalog, count, seed),
        user="system",
        message=f"生成的示意地块：{count} 个，种子 {seed}（测试数据，非真实地块）",
        source_name=f"generate-parcels --count {count} --seed {seed}",
        source_sha256=hashlib.sha256(f"{LAYER_ID}:{count}:{seed}".encode()).hexdigest(),
    )
    return number, time.perf_counter() - started


def generate_command(args: argparse.Namespace) -> int:
    from geo_service import create_app

    app = create_app()
    store, catalog = app.extensions["geo_service.store"], app.extensions["geo_service.catalog"]
    number, seconds = generate(store, catalog, int(args.count), int(args.seed))
    message = Msg(
        "big.generated",
        layer=LAYER_ID,
        count=args.count,
        version=number,
        seed=args.seed,
        seconds=f"{seconds:.1f}",
    )
    print(message.text(), flush=True)
    return 0
