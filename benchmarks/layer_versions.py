"""Layer versions with 1,000 zones: writing a version, its diff with areas, the version pages,
and the items request rate of a past version (?version=1) against the current one (same run).

    PYTHONPATH=. .venv/bin/python benchmarks/layer_versions.py

Baseline for the diff: a plain id/hash comparison of the same two versions (what the store
already stores in ``changes``); for ?version=: the current version's items, same client.
"""

from __future__ import annotations

import copy
import os
import tempfile
import time
from pathlib import Path

import shapely
from shapely.geometry import mapping

from geo_service import create_app
from geo_service.layer_diff import compare
from geo_service.query.crs import transform
from geo_service.store.features import feature_hash
from geo_service.versions import commit_version

ZONES = int(os.environ.get("ZONES", "1000"))


def squares(count: int, side_m: float = 800.0) -> list[dict]:
    """``count`` squares on the GK planes spread over Ankang (both zones 36 and 37)."""
    features = []
    for i in range(count):
        lon, lat = 108.2 + (i % 40) * 0.045, 32.0 + (i // 40) * 0.06
        plane = "EPSG:4545" if lon < 109.5 else "EPSG:4546"
        centre = transform(shapely.Point(lon, lat), "EPSG:4326", plane)
        box = shapely.box(
            centre.x - side_m / 2,
            centre.y - side_m / 2,
            centre.x + side_m / 2,
            centre.y + side_m / 2,
        )
        ring = [list(xy) for xy in transform(box, plane, "EPSG:4326").exterior.coords]
        features.append(
            {
                "type": "Feature",
                "id": f"z{i:04d}",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {"name": f"园区{i}", "source": "bench", "precision": "surveyed"},
            }
        )
    return features


def best(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def rate(client, url: str, seconds: float = 1.5) -> float:
    client.get(url)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        assert client.get(url).status_code == 200
        count += 1
    return count / (time.perf_counter() - start)


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-versions-"))
    app = create_app(
        {
            "TESTING": True,
            "AUTH": "none",
            "AUTH_DB": str(folder / "auth.sqlite"),
            "CHECKS_DB": str(folder / "checks.sqlite"),
            "ACTUALS_DB": str(folder / "actuals.sqlite"),
        }
    )
    store, catalog = app.extensions["geo_service.store"], app.extensions["geo_service.catalog"]

    def commit(features, based_on):
        return commit_version(
            store,
            catalog,
            "zones",
            features,
            user="bench",
            message="bench",
            source_name="bench",
            source_sha256="0" * 64,
            based_on=based_on,
        )

    first = squares(ZONES)
    start = time.perf_counter()
    commit(first, 1)
    write_s = time.perf_counter() - start
    second = copy.deepcopy(first)
    for f in second[:100]:  # 100 grown by 10 %
        shape = shapely.geometry.shape(f["geometry"])
        f["geometry"] = mapping(shapely.affinity.scale(shape, 1.1, 1.1))
        f["geometry"] = {
            "type": "Polygon",
            "coordinates": [[list(c) for c in f["geometry"]["coordinates"][0]]],
        }
    for f in second[100:200]:
        f["properties"]["name"] += "（改名）"
    del second[200:250]
    second.extend(squares(ZONES + 50)[ZONES:])
    commit(second, 2)

    before, after = store.features("zones", 2), store.features("zones", 3)
    baseline = best(
        lambda: (
            {f["id"]: feature_hash(f) for f in before} != {f["id"]: feature_hash(f) for f in after}
        )
    )
    diff_s = best(lambda: compare(before, after))
    diff = compare(before, after)
    client = app.test_client()

    def timed(url: str) -> float:
        start = time.perf_counter()
        assert client.get(url).status_code == 200
        return time.perf_counter() - start

    json_s = timed("/collections/zones/versions/3")  # diff computed
    page_first = timed("/collections/zones/versions/3?f=html")  # + the map's features
    page_again = best(lambda: timed("/collections/zones/versions/3?f=html"))
    current = past = 0.0
    for _ in range(3):  # interleaved, best of 3 each: the machine is shared
        current = max(current, rate(client, "/collections/zones/items?limit=100"))
        past = max(past, rate(client, "/collections/zones/items?limit=100&version=2"))
    print(f"zones per version: {len(before)} -> {len(after)}; counts {diff['counts']}")
    print(
        f"write a {ZONES}-zone version (commit_version, check + store + refresh): {write_s:.2f} s"
    )
    print(
        f"diff with GK-plane areas: {diff_s * 1000:.0f} ms "
        f"(id/hash only: {baseline * 1000:.0f} ms, ratio {diff_s / baseline:.1f}x)"
    )
    print(f"version JSON, first request (two versions read, diff): {json_s * 1000:.0f} ms")
    print(
        f"version page HTML: first {page_first * 1000:.0f} ms (diff + map data), "
        f"again {page_again * 1000:.0f} ms (diff kept: versions are immutable)"
    )
    print(
        f"items?limit=100: current {current:.0f} req/s, ?version=2 {past:.0f} req/s "
        f"(ratio {past / current:.2f})"
    )


if __name__ == "__main__":
    main()
