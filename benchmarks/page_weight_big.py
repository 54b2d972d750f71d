"""``page_weight.py --big-parcels N``: the map with N generated parcels in the store (drawn
from vector tiles) against the baseline **default map** (an empty store); its variants,
report and screenshot. The measuring is page_weight.py's (``measure``, ``poll``)."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

import big_layer
from page_weight import BIG_GOAL_KB, BIG_GOAL_MS, ZOOM_IN, measure, poll
from playwright.sync_api import sync_playwright

from geo_service.testing import CHROMIUM, CHROMIUM_ARGS, running_service


def ready(url: str, count: int) -> None:
    started = time.perf_counter()
    big_layer.ensure_layer(url, count)  # generated unless its current version has them
    print(f"{count} parcels ready in {url} ({time.perf_counter() - started:.0f} s)", flush=True)


def variants(folder: Path, count: int, stack: contextlib.ExitStack, postgis: bool) -> dict:
    """The baseline (an empty SQLite store, made afresh) and the stores holding ``count``
    generated parcels: a SQLite file in ``folder`` and, with ``postgis``, a throwaway
    cluster in ``folder/pg`` (bench_http.start_cluster; stopped with ``stack``)."""
    folder.mkdir(parents=True, exist_ok=True)
    name = "big.sqlite" if count == 1_000_000 else f"big-{count}.sqlite"
    sqlite = f"sqlite:///{folder / name}"
    ready(sqlite, count)
    empty = folder / "empty.sqlite"
    empty.unlink(missing_ok=True)
    out = {
        "baseline: default map": {"GEO_SERVICE_DATABASE_URL": f"sqlite:///{empty}"},
        f"{count:,} parcels, SQLite": {"GEO_SERVICE_DATABASE_URL": sqlite},
    }
    if postgis:
        import bench_http

        cluster, url = bench_http.start_cluster(folder)
        stack.callback(cluster.stop)
        ready(url, count)
        out[f"{count:,} parcels, PostGIS"] = {
            "GEO_SERVICE_DATABASE_URL": url,
            "GEO_SERVICE_SECRET_KEY": big_layer.SECRET,  # shared by servers on one database
        }
    return out


def met(r: dict) -> str:
    kb = "met" if r["wire_kb"] < BIG_GOAL_KB else "MISSED"
    ms = "met" if r["painted_ms"] < BIG_GOAL_MS else "MISSED"
    first = "met" if r["first_load_painted_ms"] < BIG_GOAL_MS else "MISSED"
    return f"< {BIG_GOAL_KB} KB {kb}; < {BIG_GOAL_MS} ms {ms} (first load on a cold server {first})"


def report(results: dict, runs: int) -> str:
    (name0, baseline), *bigs = results.items()
    lines = [
        f"map page at /, headless Chromium, zh-CN, 1400x900, {runs} cold browser contexts "
        "each (median; warm server)",
        "",
        f"{'variant':28} {'wire KB':>8} {'raw KB':>8} {'req':>4} {'tiles':>5} {'ovw':>4} "
        f"{'tile KB':>8} {'painted':>8} {'max':>6} {'1st load':>8} {'heap MB':>7} "
        f"{'nodes':>6} {'srv MB':>7}",
    ]
    for name, r in results.items():
        lines.append(
            f"{name:28} {r['wire_kb']:8.1f} {r['raw_kb']:8.1f} {r['requests']:4d} "
            f"{r['tiles']:5d} {r['tiles_overview']:4d} {r['tile_wire_kb']:8.1f} "
            f"{r['painted_ms']:8.0f} {r['painted_ms_max']:6.0f} "
            f"{r['first_load_painted_ms']:8.0f} {r['js_heap_mb']:7.1f} {r['dom_nodes']:6.0f} "
            f"{r['server_peak_rss_mb']:7.0f}"
        )
    lines += [
        "",
        "painted: ms from navigation start to the first frame after the layers and every "
        "tile of the first view are drawn; 1st load: the warm-up load on a cold server",
    ]
    for name, big in bigs:
        ratio = {k: big[k] / baseline[k] for k in ("wire_kb", "raw_kb", "painted_ms", "js_heap_mb")}
        lines += [
            "",
            f"{name} / {name0}: wire {ratio['wire_kb']:.2f}, raw {ratio['raw_kb']:.2f}, "
            f"painted {ratio['painted_ms']:.2f}, JS heap {ratio['js_heap_mb']:.2f}, server RSS "
            f"{big['server_peak_rss_mb'] / baseline['server_peak_rss_mb']:.2f}",
            f"  map layers painted at {big['map_painted_ms']:.0f} ms; tiles {big['tiles']} "
            f"({big['tiles_overview']} overview, {big['tiles_empty']} empty), "
            f"{big['tile_features']} features drawn in them ({big['tile_paths']} SVG paths); "
            f"{big['refetched']} bodies asked again for raw KB",
            f"  goal: {met(big)}",
        ]
        if "zoom" in big:
            z = big["zoom"]
            lines.append(
                f"  then zoomed in to z{z['zoom']} (first zone, no animation): {z['ms']:.0f} ms "
                f"median, {z['ms_max']:.0f} max (first load on a cold server "
                f"{z['first_load_ms']:.0f}) to the tiles drawn; {z['tiles']} more tiles "
                f"({z['overview']} overview), {z['wire_kb']:.1f} KB wire, {z['raw_kb']:.1f} KB "
                f"raw, {z['features']} features drawn ({z['paths']} SVG paths)"
            )
        lines.append(
            f"  failed requests: {big['failed'] or 'none'}; "
            f"requests leaving the app: {big['outside'] or 'none'}"
        )
    return "\n".join(lines)


def screenshot(env: dict, path: str, zoom: int | None = None) -> None:
    """One zh-CN view of the map as the big variant shows it, tiles drawn and faded in (with
    ``zoom``: zoomed into the first zone as the timing does, that view's tiles drawn)."""
    with sync_playwright() as playwright, running_service(env, timeout=180) as url:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{url}/", wait_until="load")
        poll(page, "performance.getEntriesByName('gs-tiles-painted').length > 0", 300)
        if zoom is not None:
            page.evaluate(ZOOM_IN, zoom)
            poll(page, "performance.getEntriesByName('bench-zoom-painted').length > 0", 300)
        page.wait_for_timeout(800)  # the tiles' fade-in
        page.screenshot(path=path)
        browser.close()


def run(args) -> int:
    """page_weight.py's main with --big-parcels: exit 1 when a big variant misses a goal."""
    with contextlib.ExitStack() as stack:
        chosen = variants(Path(args.keep), args.big_parcels, stack, args.postgis)
        results = measure(
            args.runs, chosen, locale="zh-CN", zoom=args.zoom, first_after=args.first_after
        )
        print(report(results, args.runs))
        if args.screenshot:
            screenshot(list(chosen.values())[1], args.screenshot, args.zoom)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(results, out, ensure_ascii=False, indent=2)
    bigs = list(results.values())[1:]
    ok = all(r["wire_kb"] < BIG_GOAL_KB and r["painted_ms"] < BIG_GOAL_MS for r in bigs)
    return 0 if ok else 1
