"""Page weight and draw time of the map at ``/`` in headless Chromium.

Compares, in the same run, the map as served (counties simplified as one coverage, 5 decimals,
gzip) against a named baseline: **full-precision** (the same Folium map embedding the layer
files as they are, 7 decimals, no simplification: what a naive ``folium.GeoJson(file)`` gives).

    PYTHONPATH=. .venv/bin/python benchmarks/page_weight.py [--runs 7] [--json out.json]

Weight = bytes on the wire for the page and everything it loads (Chromium's encoded body
sizes, so gzip counts), plus the uncompressed size. Draw time = navigation start to the first
frame painted after every layer is on the map (performance marks set by map.js), median of the
runs, each in a fresh browser context (cold cache).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

from playwright.sync_api import sync_playwright

from geo_service.testing import CHROMIUM, CHROMIUM_ARGS, chromium_available, running_service

VARIANTS = {
    "served (display-simplified)": {},
    "baseline: full-precision": {
        "GEO_SERVICE_DISPLAY_TOLERANCE_DEG": "0",
        "GEO_SERVICE_DISPLAY_DECIMALS": "7",
    },
}
GOAL_GZIP_KB = 300
GOAL_DRAW_MS = 1000


def measure_once(browser, url: str) -> dict:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    responses = []
    page.on("requestfinished", lambda request: responses.append(request))
    page.goto(f"{url}/", wait_until="load")
    page.wait_for_selector("body[data-map-ready]")
    page.wait_for_function("performance.getEntriesByName('gs-map-painted').length > 0")
    timing = page.evaluate("""() => ({
        ready: performance.getEntriesByName('gs-map-ready')[0].startTime,
        painted: performance.getEntriesByName('gs-map-painted')[0].startTime,
        paths: document.querySelectorAll('path.leaflet-interactive').length,
    })""")
    wire = raw = 0
    outside = []
    for request in responses:
        if not request.url.startswith(url):
            outside.append(request.url)
        response = request.response()
        wire += request.sizes()["responseBodySize"]
        raw += len(response.body()) if response else 0
    page_bytes = len(page.content().encode())
    context.close()
    return {
        "wire_bytes": wire,
        "raw_bytes": raw,
        "requests": len(responses),
        "outside": outside,
        "ready_ms": timing["ready"],
        "painted_ms": timing["painted"],
        "paths": timing["paths"],
        "dom_bytes": page_bytes,
    }


def measure(runs: int) -> dict:
    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, env in VARIANTS.items():
            with running_service(env) as url:
                measure_once(browser, url)  # warm the server's body cache, not the browser's
                samples = [measure_once(browser, url) for _ in range(runs)]
            results[name] = {
                "wire_kb": samples[0]["wire_bytes"] / 1024,
                "raw_kb": samples[0]["raw_bytes"] / 1024,
                "requests": samples[0]["requests"],
                "outside": samples[0]["outside"],
                "paths": samples[0]["paths"],
                "ready_ms": statistics.median(s["ready_ms"] for s in samples),
                "painted_ms": statistics.median(s["painted_ms"] for s in samples),
                "painted_ms_max": max(s["painted_ms"] for s in samples),
            }
        browser.close()
    return results


def report(results: dict, runs: int) -> str:
    served, baseline = results.values()
    lines = [f"map page at /, headless Chromium, {runs} cold runs each (median)", ""]
    lines.append(
        f"{'variant':32} {'wire KB':>8} {'raw KB':>8} {'req':>4} {'ready ms':>9} "
        f"{'painted ms':>10} {'max ms':>7}"
    )
    for name, r in results.items():
        lines.append(
            f"{name:32} {r['wire_kb']:8.1f} {r['raw_kb']:8.1f} {r['requests']:4d} "
            f"{r['ready_ms']:9.0f} {r['painted_ms']:10.0f} {r['painted_ms_max']:7.0f}"
        )
    lines += [
        "",
        f"ratio served/baseline: wire {served['wire_kb'] / baseline['wire_kb']:.2f}, "
        f"raw {served['raw_kb'] / baseline['raw_kb']:.2f}, "
        f"painted {served['painted_ms'] / baseline['painted_ms']:.2f}",
        f"goal: <= {GOAL_GZIP_KB} KB on the wire -> "
        f"{'met' if served['wire_kb'] <= GOAL_GZIP_KB else 'MISSED'}; "
        f"< {GOAL_DRAW_MS} ms painted -> "
        f"{'met' if served['painted_ms'] < GOAL_DRAW_MS else 'MISSED'}",
        f"requests leaving the app: {served['outside'] or 'none'}",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if not chromium_available():
        print(f"Chromium not found at {CHROMIUM}", file=sys.stderr)
        return 2
    results = measure(args.runs)
    print(report(results, args.runs))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(results, out, ensure_ascii=False, indent=2)
    served = results["served (display-simplified)"]
    return 0 if served["wire_kb"] <= GOAL_GZIP_KB and served["painted_ms"] < GOAL_DRAW_MS else 1


if __name__ == "__main__":
    sys.exit(main())
