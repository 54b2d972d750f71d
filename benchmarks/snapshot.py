"""Snapshot speed: an A4 200-dpi PNG and a PDF of all layers, as ``GET /api/snapshot`` makes them.

Baseline, same run: a screenshot of the interactive map page (``/``, Leaflet drawing every
layer) by the same headless Chromium at the same pixel size, i.e. "print the web map".

    PYTHONPATH=. .venv/bin/python benchmarks/snapshot.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time

from geo_service import create_app
from geo_service.render import chromium
from geo_service.render.snapshot import parse_request, render
from geo_service.testing import running_service

GOAL_S = 2.0
ALL_LAYERS = (
    "counties,zones,new_materials_bases,clusters,logistics_nodes,logistics_axes,enclave_links"
)


def timed(function, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    browser = chromium.find_chromium()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {"CHECKS_DB": f"{folder}/checks.sqlite", "ACTUALS_DB": f"{folder}/a.sqlite"}
        )
        catalog = app.extensions["geo_service.catalog"]
        requests = {
            fmt: parse_request(
                {"format": fmt, "layers": ALL_LAYERS, "dpi": "200", "paper": "A4-landscape"},
                catalog,
            )
            for fmt in ("png", "pdf", "svg")
        }
        render(requests["svg"], catalog)  # project the layers once, as a running service has
        results = {
            fmt: timed(lambda f=fmt: render(requests[f], catalog, browser), args.runs)
            for fmt in ("png", "pdf", "svg")
        }
        width, height = requests["png"].page_px
        scale = requests["png"].scale
        with running_service() as url:

            def web_map() -> None:
                subprocess.run(
                    [
                        browser,
                        *chromium.FLAGS,
                        f"--user-data-dir={folder}/profile",
                        f"--window-size={round(width)},{round(height)}",
                        f"--force-device-scale-factor={scale:.6f}",
                        "--virtual-time-budget=3000",
                        f"--screenshot={folder}/web.png",
                        f"{url}/",
                    ],
                    capture_output=True,
                    timeout=120,
                    check=True,
                )

            baseline = timed(web_map, args.runs)

    print(
        f"A4 landscape, 200 dpi ({width * scale:.0f}x{height * scale:.0f} px), all layers, "
        f"median of {args.runs} (max)"
    )
    print(
        f"  baseline: Chromium screenshot of the web map  {baseline[0]:6.2f} s ({baseline[1]:.2f})"
    )
    for fmt, (median, worst) in results.items():
        print(
            f"  snapshot {fmt.upper():3}                              {median:6.2f} s "
            f"({worst:.2f})   ratio to baseline {median / baseline[0]:.2f}"
        )
    met = results["png"][0] < GOAL_S and results["pdf"][0] < GOAL_S
    print(f"  goal: PNG and PDF under {GOAL_S:.0f} s each -> {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
