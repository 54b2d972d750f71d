"""Big layers: start-up and RSS with a generated parcels layer held in memory (today's
behaviour, the baseline) vs served from the store; items and random bbox requests on it.

1. start-up: a fresh process runs ``create_app`` on a database holding ``--startup`` (100k)
   generated parcels, with LAYER_MEMORY_MAX_FEATURES above the count (memory, baseline) and
   at its default 20,000 (store); seconds and peak RSS of each, and the ratios;
2. requests on ``--big`` (10^6) parcels served from the store: ``items?limit=100`` (first
   pages and pages reached by their cursors) and ``items?limit=100&bbox=`` random boxes of
   ``--box`` degrees inside the layer's extent (a fresh URL each request, so the body
   cache does not answer): requests per second and p50/p99 in ms
   (Flask's test client in one process, no HTTP: the database's share is what differs),
   against the same requests on the 100k layer held in memory in the same run.

    PYTHONPATH=. .venv/bin/python benchmarks/big_layer.py [--startup 100000] [--big 1000000]
        [--url postgresql+psycopg://...]  [--keep DIR]  [--seconds 10]

Without ``--url`` both databases are SQLite files in a temporary folder (or ``--keep DIR``,
reused when already generated).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

LAYER = "parcels_generated"
#: Servers on one database share this (required with a PostgreSQL URL).
SECRET = "big-layer-benchmark-secret-0123456789abcdef"

STARTUP = """
import json, resource, sys, time
started = time.perf_counter()
from geo_service import create_app
app = create_app({"AUTH": "none", "DATABASE_URL": sys.argv[1], "SECRET_KEY": "x" * 40,
                  "LAYER_MEMORY_MAX_FEATURES": int(sys.argv[2])})
layer = app.extensions["geo_service.catalog"].get("parcels_generated")
print(json.dumps({"seconds": time.perf_counter() - started,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "in_store": layer.in_store, "count": layer.count}))
"""


def ensure_layer(url: str, count: int) -> None:
    """Generate ``count`` parcels into ``url`` unless its current version has them."""
    from geo_service import create_app
    from geo_service.generated_parcels import generate

    app = create_app(
        {"AUTH": "none", "DATABASE_URL": url, "LAYER_MEMORY_MAX_FEATURES": 0, "SECRET_KEY": SECRET}
    )
    store = app.extensions["geo_service.store"]
    current = store.current_version(LAYER)
    if current is not None and current.feature_count == count:
        return
    number, seconds = generate(store, app.extensions["geo_service.catalog"], count, 20181)
    print(f"generated {count} parcels (version {number}) in {seconds:.1f} s", flush=True)


def startup(url: str, memory_max: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", STARTUP, url, str(memory_max)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def timed(client, urls, seconds: float) -> dict:
    """Requests from ``urls`` (cycled) for ``seconds``: rate and latencies."""
    latencies, ended, index = [], time.perf_counter() + seconds, 0
    while time.perf_counter() < ended:
        url = urls[index % len(urls)]
        index += 1
        started = time.perf_counter()
        answer = client.get(url)
        latencies.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    latencies.sort()
    total = sum(latencies)
    return {
        "requests": len(latencies),
        "req_per_s": round(len(latencies) / total, 1),
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 2),
        "p99_ms": round(1000 * latencies[int(len(latencies) * 0.99)], 2),
    }


def request_rates(url: str, memory_max: int, box: float, seconds: float, seed: int) -> dict:
    from geo_service import create_app

    app = create_app(
        {
            "AUTH": "none",
            "DATABASE_URL": url,
            "LAYER_MEMORY_MAX_FEATURES": memory_max,
            "SECRET_KEY": SECRET,
        }
    )
    layer = app.extensions["geo_service.catalog"].get(LAYER)
    client = app.test_client()
    rng = random.Random(seed)
    minx, miny, maxx, maxy = layer.bbox
    boxes = []
    for _ in range(2000):  # a fresh box each request: no body cache helps
        x, y = rng.uniform(minx, maxx - box), rng.uniform(miny, maxy - box)
        boxes.append(
            f"/collections/{LAYER}/items?limit=100&bbox={x:.5f},{y:.5f},{x + box:.5f},{y + box:.5f}"
        )
    offsets = [
        f"/collections/{LAYER}/items?limit=100&offset={rng.randrange(0, layer.count - 100)}"
        for _ in range(5000)
    ]  # random places (keyset on the store: seq >= offset), a fresh body each request
    first = timed(client, offsets, seconds)
    bbox = timed(client, boxes, seconds)
    return {
        "in_store": layer.in_store,
        "count": layer.count,
        "items_limit_100_random_offset": first,
        "bbox_random": bbox,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--startup", type=int, default=100_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--url", help="a PostgreSQL URL for the big layer (default SQLite)")
    parser.add_argument("--keep", help="a folder for the SQLite files (kept, reused)")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--box", type=float, default=0.02, help="bbox size in degrees")
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument(
        "--skip-memory", action="store_true", help="no 100k in-memory request baseline"
    )
    args = parser.parse_args()
    folder = Path(args.keep or tempfile.mkdtemp(prefix="big_layer_"))
    folder.mkdir(parents=True, exist_ok=True)
    small_url = f"sqlite:///{folder / 'startup.sqlite'}"
    big_url = args.url or f"sqlite:///{folder / 'big.sqlite'}"
    report: dict = {
        "startup_count": args.startup,
        "big_count": args.big,
        "backend": big_url.split(":")[0],
    }
    if not (args.skip_startup and args.skip_memory):
        ensure_layer(small_url, args.startup)
    if not args.skip_startup:
        memory = startup(small_url, 10**9)
        store = startup(small_url, 20_000)
        report["startup"] = {
            "memory_baseline": memory,
            "store": store,
            "time_ratio_store_to_memory": round(store["seconds"] / memory["seconds"], 3),
            "rss_ratio_store_to_memory": round(store["peak_rss_mb"] / memory["peak_rss_mb"], 3),
        }
    print(json.dumps(report, indent=1), flush=True)
    if not args.skip_memory:
        report["memory_100k"] = request_rates(small_url, 10**9, args.box, args.seconds, 1)
        print(json.dumps(report["memory_100k"], indent=1), flush=True)
    ensure_layer(big_url, args.big)
    report["store_big"] = request_rates(big_url, 20_000, args.box, args.seconds, 1)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report["bench_peak_rss_mb"] = round(peak, 1)
    print(json.dumps(report, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
