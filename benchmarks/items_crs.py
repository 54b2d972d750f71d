"""Items request rate with ``crs=EPSG:4545`` (and 4490, and a CQL2 ``filter``) against CRS84.

Baseline **CRS84**: the same ``/collections/{id}/items`` request without ``crs``, same
collections, same run. Each variant is timed twice through the Flask test client (the app's
whole request path: parsing, selection, transform, JSON, gzip, ETag), the variants
interleaved in rounds so a busy neighbour slows them alike:

- cold: every request a new URL (``limit`` varies), so the body cache never answers;
- warm: the same URL again and again, as a map client re-reading a layer gets it.

    PYTHONPATH=. .venv/bin/python benchmarks/items_crs.py [--requests 300]

Prints req/s, p50 and p99 in milliseconds, the ratio of req/s to the baseline, and the
process's resident memory (RSS) after each variant and at its peak.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from urllib.parse import urlencode

from geo_service import create_app

EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
COLLECTIONS = ("counties", "zones", "logistics_nodes")
VARIANTS = {
    "CRS84 (baseline)": {},
    "crs=EPSG:4545": {"crs": f"{EPSG}4545"},
    "crs=EPSG:4490": {"crs": f"{EPSG}4490"},
}
ROUNDS = 5
FILTERED = {
    "zones": "level = '县域工业集中区'",
    "counties": "area_km2 > 2000",
    "logistics_nodes": "name LIKE '%安康%'",
}


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run(client, collection: str, params: dict, count: int, cold: bool, start_at: int) -> dict:
    """``count`` GETs; returns their times, the answer's size and Content-Crs."""
    times = []
    first = None
    for i in range(start_at, start_at + count):
        query = {**params, "limit": 1000 + i if cold else 1000}
        url = f"/collections/{collection}/items?{urlencode(query)}"
        start = time.perf_counter()
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        times.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code} {response.get_data(as_text=True)}")
        first = first or response
    return {
        "times": times,
        "bytes": len(first.get_data()),
        "crs": first.headers.get("Content-Crs", "(none)"),
    }


def measured(client, collection: str, variants: dict, count: int, cold: bool) -> dict:
    """Every variant, interleaved in ``ROUNDS`` rounds so a busy neighbour slows them alike."""
    results = {name: {"times": []} for name in variants}
    for round_ in range(ROUNDS):
        for name, params in variants.items():
            got = run(client, collection, params, count // ROUNDS, cold, round_ * count)
            results[name] = {**got, "times": results[name]["times"] + got["times"]}
    for result in results.values():
        times = sorted(result["times"])
        result["rate"] = len(times) / sum(times)
        result["p50"] = statistics.median(times) * 1000
        result["p99"] = times[min(len(times) - 1, round(0.99 * len(times)))] * 1000
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "AUTH": "none",
                "AUTH_DB": f"{folder}/auth.sqlite",
                "CHECKS_DB": f"{folder}/checks.sqlite",
                "ACTUALS_DB": f"{folder}/a.sqlite",
            }
        )
        client = app.test_client()
        print(f"{args.requests} requests per line, Flask test client, gzip; RSS {rss_mb():.0f} MB")
        header = "  variant                 mode   req/s   p50 ms  p99 ms  ratio   KB gz  RSS MB"
        for collection in COLLECTIONS:
            variants = {**VARIANTS, "filter (CQL2 text)": {"filter": FILTERED[collection]}}
            print(f"\n{collection}\n{header}")
            for mode in ("cold", "warm"):
                results = measured(client, collection, variants, args.requests, mode == "cold")
                baseline = results["CRS84 (baseline)"]["rate"]
                for name, result in results.items():
                    print(
                        f"  {name:22} {mode:5} {result['rate']:7.0f} {result['p50']:8.2f} "
                        f"{result['p99']:7.2f} {result['rate'] / baseline:6.2f} "
                        f"{result['bytes'] / 1024:7.1f} {rss_mb():7.0f}   {result['crs']}"
                    )
                    asked = variants[name].get("crs")
                    if asked and result["crs"] != f"<{asked}>":
                        print(f"  ! {asked} not honoured by this build (Content-Crs missing)")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\npeak RSS {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
