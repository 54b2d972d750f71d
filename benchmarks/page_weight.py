"""Page weight and draw time of the map at ``/`` in headless Chromium.

Compares, in the same run, the map as served (counties simplified as one coverage, 5 decimals,
gzip) against a named baseline: **full-precision** (the same Folium map embedding the layer
files as they are, 7 decimals, no simplification: what a naive ``folium.GeoJson(file)`` gives).

    PYTHONPATH=. .venv/bin/python benchmarks/page_weight.py [--runs 7] [--json out.json]

Weight = bytes on the wire for the page and everything it loads (Chromium's encoded body
sizes, so gzip counts), plus the uncompressed size. Draw time = navigation start to the first
frame painted after every layer is on the map (performance marks set by map.js), median of the
runs, each in a fresh browser context (cold cache).

With ``--big-parcels N`` (issue 14: a 10^6-feature parcels layer under 500 KB on the wire and
painted in under 1.5 s) it compares instead the map with N generated parcels in the store
(``layers generate-parcels``, a SQLite file in ``--keep DIR``, generated once and reused),
drawn from vector tiles, against the baseline **default map** (the same service on an empty
store: no big layer), both in zh-CN. Draw time then also waits for the tiles of the first
view: navigation start to the first frame after every tiled layer's GridLayer ``load`` (all
its tiles of the initial view fetched and their paths added; mark ``gs-tiles-painted`` in
map_tiles.js), or ``gs-map-painted`` if later. The warm-up load (a cold server: no tile
made yet) is reported apart; memory: the serve process's peak RSS (VmHWM), the page's JS
heap and DOM nodes. ``--zoom Z`` then zooms into the first zone and times its tiles alike.

    PYTHONPATH=. .venv/bin/python benchmarks/page_weight.py --big-parcels 1000000 \
        --keep /tmp/bench-data-page [--runs 7] [--zoom 14] [--screenshot /tmp/page-big.png]
        [--postgis]

(``--postgis``: also on a throwaway PostGIS cluster in ``--keep``/pg; page_weight_big.py.)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.request
from pathlib import Path

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
BIG_GOAL_KB = 500
BIG_GOAL_MS = 1500
TILE_PATH = "/tiles/WebMercatorQuad/"
TILE_PATHS = "document.querySelectorAll('.leaflet-gs-tiles-pane path').length"
#: Features drawn in the tiles of the grids' current zoom, whatever draws them: the records
#: of map_tiles.js's canvas tiles (grid._drawn) or, drawn as SVG (before 2026-12-02), the
#: layers of each tile's VectorGrid renderer (kept with getFeatureId).
TILE_FEATURES = """(() => {
    let n = 0;
    for (const grid of Object.values(window.GS_TILES.layers)) {
        const tiles = grid._drawn || grid._vectorTiles || {};
        for (const [key, tile] of Object.entries(tiles)) {
            if (Number(key.split(':')[2]) !== grid._tileZoom) continue;
            n += grid._drawn ? tile.length : Object.keys(tile._layers).length;
        }
    }
    return n;
})()"""
TIMING = """() => {
    const mark = (name) => (performance.getEntriesByName(name)[0] || {}).startTime ?? null;
    return {
        ready: mark('gs-map-ready'), painted: mark('gs-map-painted'),
        tiles: mark('gs-tiles-painted'), tiled: (window.GS_CONFIG.tiles || []).length,
        paths: document.querySelectorAll('path.leaflet-interactive').length,
        tile_paths: document.querySelectorAll('.leaflet-gs-tiles-pane path').length,
        tile_features: window.GS_TILES ? TILE_FEATURES : 0,
    };
}""".replace("TILE_FEATURES", TILE_FEATURES)


def poll(page, expression: str, seconds: float) -> None:
    """Until ``expression`` is true, asked from Python (the page's CSP forbids the eval a
    string wait_for_function would use); the marks keep the page's own times."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{expression} not true after {seconds} s")
        page.wait_for_timeout(50)


#: After the first view: into the first zone at a zoom (no animation), timed from the call to
#: the first frame after the tiled layer's next ``load`` (its tiles of that view drawn).
ZOOM_IN = """(zoom) => {
    const grid = Object.values(window.GS_TILES.layers)[0];
    const centre = window.GS_MAP.features('zones')[0].getBounds().getCenter();
    grid.once('load', () => requestAnimationFrame(() => requestAnimationFrame(
        () => performance.mark('bench-zoom-painted'))));
    performance.mark('bench-zoom-start');
    window.GS_MAP.map.setView(centre, zoom, {animate: false});
}"""
ZOOM_MS = """performance.getEntriesByName('bench-zoom-painted')[0].startTime
    - performance.getEntriesByName('bench-zoom-start')[0].startTime"""


def weigh(requests, url: str) -> dict:
    """Bytes of these finished requests: encoded on the wire, uncompressed, the tiles'."""
    out = dict.fromkeys(("wire", "raw", "tile_wire", "tiles", "overview", "empty", "again"), 0)
    out["outside"] = []
    for request in requests:
        if not request.url.startswith(url):
            out["outside"].append(request.url)
        response = request.response()
        body = response.body() if response else b""
        size = request.sizes()["responseBodySize"]
        if size and not body and request.method == "GET":
            body = plain_body(request.url)  # Chromium keeps no body of the tiles' fetch()
            out["again"] += 1
        out["wire"] += size
        out["raw"] += len(body)
        if TILE_PATH in request.url:
            out["tiles"] += 1
            out["tile_wire"] += size
            out["overview"] += b"gs_overview" in body
            out["empty"] += not body
    return out


def measure_once(
    browser, url: str, locale: str | None = None, zoom: int | None = None, timeout: float = 180
) -> dict:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale=locale)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    responses, failed = [], []
    page.on("requestfinished", lambda request: responses.append(request))
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto(f"{url}/", wait_until="load")
    page.wait_for_selector("body[data-map-ready]")
    poll(page, "performance.getEntriesByName('gs-map-painted').length > 0", 60)
    tiled = page.evaluate("(window.GS_CONFIG.tiles || []).length")
    if tiled:
        poll(page, "performance.getEntriesByName('gs-tiles-painted').length > 0", timeout)
        page.wait_for_timeout(200)  # Playwright's last requestfinished events
    timing = page.evaluate(TIMING)
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    first = list(responses)
    got = weigh(first, url)
    sample = {
        "wire_bytes": got["wire"],
        "raw_bytes": got["raw"],
        "requests": len(first),
        "outside": got["outside"],
        "ready_ms": timing["ready"],
        # with tiled layers: the later of the two marks (the tiles of the first view drawn)
        "painted_ms": max(timing["painted"], timing["tiles"] or 0),
        "map_painted_ms": timing["painted"],
        "paths": timing["paths"],
        "tile_paths": timing["tile_paths"],
        "tile_features": timing["tile_features"],
        "tiles": got["tiles"],
        "tiles_overview": got["overview"],
        "tiles_empty": got["empty"],
        "refetched": got["again"],
        "tile_wire_bytes": got["tile_wire"],
        "js_heap_mb": metrics.get("JSHeapUsedSize", 0) / 2**20,
        "dom_nodes": metrics.get("Nodes", 0),
        "dom_bytes": len(page.content().encode()),
    }
    if zoom is not None and tiled:
        page.evaluate(ZOOM_IN, zoom)
        poll(page, "performance.getEntriesByName('bench-zoom-painted').length > 0", timeout)
        page.wait_for_timeout(200)
        more = weigh(responses[len(first) :], url)
        sample["zoom"] = {
            "zoom": zoom,
            "ms": page.evaluate(ZOOM_MS),
            "wire_kb": more["wire"] / 1024,
            "raw_kb": more["raw"] / 1024,
            "tiles": more["tiles"],
            "overview": more["overview"],
            "paths": page.evaluate(TILE_PATHS),
            "features": page.evaluate(TILE_FEATURES),
        }
    sample["failed"] = failed
    context.close()
    return sample


def plain_body(url: str) -> bytes:
    """The uncompressed body of ``url`` asked again (no gzip asked, not timed)."""
    with urllib.request.urlopen(url, timeout=120) as answer:
        return answer.read()


def server_peak_rss_mb(url: str) -> float:
    """Peak RSS (VmHWM) of the ``serve`` process running_service started on ``url``'s port."""
    import psutil

    port = url.rsplit(":", 1)[1]
    for child in psutil.Process().children():
        if port in child.cmdline():
            status = Path(f"/proc/{child.pid}/status").read_text()
            line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
            return int(line.split()[1]) / 1024
    return 0.0


def summary(samples: list[dict], first: dict) -> dict:
    """The figures of one variant: weights of the first measured run (they do not vary),
    times as median and max, the warm-up (cold server) load apart."""
    one = samples[0]
    out = {
        "wire_kb": one["wire_bytes"] / 1024,
        "raw_kb": one["raw_bytes"] / 1024,
        "requests": one["requests"],
        "failed": sorted({u for s in samples for u in s["failed"]}),
        "outside": one["outside"],
        "paths": one["paths"],
        "tile_paths": one["tile_paths"],
        "tile_features": one["tile_features"],
        "tiles": one["tiles"],
        "tiles_overview": one["tiles_overview"],
        "tiles_empty": one["tiles_empty"],
        "refetched": one["refetched"],
        "tile_wire_kb": one["tile_wire_bytes"] / 1024,
        "ready_ms": statistics.median(s["ready_ms"] for s in samples),
        "map_painted_ms": statistics.median(s["map_painted_ms"] for s in samples),
        "painted_ms": statistics.median(s["painted_ms"] for s in samples),
        "painted_ms_max": max(s["painted_ms"] for s in samples),
        "js_heap_mb": statistics.median(s["js_heap_mb"] for s in samples),
        "dom_nodes": one["dom_nodes"],
        "first_load_painted_ms": first["painted_ms"],
        "first_load_wire_kb": first["wire_bytes"] / 1024,
        "first_load_tiles": first["tiles"],
    }
    if "zoom" in one:
        zooms = [s["zoom"] for s in samples]
        out["zoom"] = {
            **zooms[0],
            "ms": statistics.median(z["ms"] for z in zooms),
            "ms_max": max(z["ms"] for z in zooms),
            "first_load_ms": first["zoom"]["ms"],
        }
    return out


def measure(
    runs: int,
    variants: dict = VARIANTS,
    locale: str | None = None,
    zoom: int | None = None,
    first_after: float = 0.0,
) -> dict:
    results = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, env in variants.items():
            with running_service(env, timeout=180) as url:
                time.sleep(first_after)  # the server up so long before its first visitor
                # warm the server's body cache (and make the tiles), not the browser's
                first = measure_once(browser, url, locale, zoom)
                samples = [measure_once(browser, url, locale, zoom) for _ in range(runs)]
                results[name] = summary(samples, first)
                results[name]["server_peak_rss_mb"] = server_peak_rss_mb(url)
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
    parser.add_argument("--big-parcels", type=int, help="N generated parcels in the store")
    parser.add_argument("--keep", default="/tmp/bench-data-page", help="their SQLite folder")
    parser.add_argument("--postgis", action="store_true", help="also on a PostGIS store")
    parser.add_argument("--zoom", type=int, help="with --big-parcels: then zoom in to a zone")
    parser.add_argument("--screenshot", help="with --big-parcels: a zh-CN screenshot here")
    parser.add_argument(
        "--first-after", type=float, default=0.0, help="seconds a server is up before its 1st load"
    )
    args = parser.parse_args()
    if not chromium_available():
        print(f"Chromium not found at {CHROMIUM}", file=sys.stderr)
        return 2
    if args.big_parcels:
        import page_weight_big as big

        return big.run(args)
    results = measure(args.runs)
    print(report(results, args.runs))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(results, out, ensure_ascii=False, indent=2)
    served = results["served (display-simplified)"]
    return 0 if served["wire_kb"] <= GOAL_GZIP_KB and served["painted_ms"] < GOAL_DRAW_MS else 1


if __name__ == "__main__":
    sys.exit(main())
