"""Heavy work must not starve the map: latency of GET /collections/counties/items under load.

Load: 8 concurrent PNG snapshots at 300 dpi and 8 concurrent checks of 50,000 parcels (the
land benchmark's generator, as a GeoPackage). Meanwhile one client requests
``/collections/counties/items`` in a loop (bounded by count and time) and the resident memory
of the server's whole process tree (server, check workers, Chromium) is sampled. Run against
the build before issue 10 (a ``git worktree`` of 6ce9c2c in /tmp/before) and the current
tree, in the same run, on loopback only.

    git worktree add /tmp/before 6ce9c2c     # once
    PYTHONPATH=. .venv/bin/python benchmarks/isolation.py [--before /tmp/before] [--parcels 50000]
    PYTHONPATH=. .venv/bin/python benchmarks/isolation.py --exports 100000   # export memory
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from geo_service.config import REPO_ROOT
from geo_service.testing import free_port

sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
from land_check import make_parcels  # noqa: E402

HOST = "127.0.0.1"  # loopback only
GOAL_P99_S = 1.0
SNAPSHOTS = 8
CHECKS = 8
MAX_PROBES = 6000
MAX_SECONDS = 300
PROBE_EVERY_S = 0.05  # a client clicking about, not a flood


@contextlib.contextmanager
def serve(tree: Path, folder: Path):
    """``python -m geo_service serve`` from ``tree`` on a free loopback port; yields
    (url, pid)."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "GEO_SERVICE_AUTH": "none",
        "GEO_SERVICE_CHECKS_DB": str(folder / "checks.sqlite"),
        "GEO_SERVICE_ACTUALS_DB": str(folder / "actuals.sqlite"),
    }
    log = open(folder / "serve.log", "w+")  # noqa: SIM115 - a file, not a pipe that fills
    process = subprocess.Popen(
        [sys.executable, "-m", "geo_service", "serve", "--host", HOST, "--port", str(port)],
        cwd=tree,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"serve exited: {log.read()}")
            try:
                urllib.request.urlopen(f"{url}/conformance", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def tree_rss_mb(pid: int, descendants: bool = True) -> float:
    """Resident memory of ``pid`` and (by default) all its descendants (from /proc), in MB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        child = int(entry.name)
        children.setdefault(int(fields.get("PPid", "0")), []).append(child)
        rss[child] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        if descendants:
            stack.extend(children.get(current, []))
    return total / 1024


def multipart(data: bytes, name: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), boundary


def call(url: str, body: bytes | None = None, boundary: str = "", timeout: float = 180):
    """(status, seconds, Location) of one request; errors are statuses, not exceptions."""
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"} if body else {}
    request = urllib.request.Request(url, data=body, headers=headers)
    start = time.perf_counter()
    location = None
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            status, location = response.status, response.headers.get("Location")
    except urllib.error.HTTPError as error:
        error.read()
        status = error.code
    except OSError:
        status = 0  # timed out or refused
    return status, time.perf_counter() - start, location


def still_running(location: str) -> bool:
    try:
        with urllib.request.urlopen(location, timeout=30) as response:
            return json.load(response).get("status") in ("queued", "running")
    except (OSError, ValueError):
        return False


def measure(url: str, pid: int, parcels: bytes) -> dict:
    items = f"{url}/collections/counties/items"
    call(items)  # warm caches, as a running service has them
    idle = [call(items)[1] for _ in range(30)]
    results: dict[str, list] = {"snapshot": [], "check": []}
    body, boundary = multipart(parcels, "parcels.gpkg")
    snapshot = f"{url}/api/snapshot?format=png&dpi=300&layers=counties,zones,clusters"

    def heavy(kind: str) -> None:
        if kind == "snapshot":
            results[kind].append(call(snapshot))
        else:
            results[kind].append(call(f"{url}/api/checks", body, boundary))

    threads = [threading.Thread(target=heavy, args=("snapshot",)) for _ in range(SNAPSHOTS)]
    threads += [threading.Thread(target=heavy, args=("check",)) for _ in range(CHECKS)]
    peak = [tree_rss_mb(pid)]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.25):
            peak.append(tree_rss_mb(pid))

    sampler = threading.Thread(target=sample)
    sampler.start()
    for thread in threads:
        thread.start()
    latencies, start, checked_at = [], time.monotonic(), 0.0
    # probe while the heavy requests are open, then while checks answered 202 still run
    while len(latencies) < MAX_PROBES and time.monotonic() - start < MAX_SECONDS:
        status, seconds, _ = call(items, timeout=60)
        latencies.append(seconds if status == 200 else float("inf"))
        time.sleep(max(0.0, PROBE_EVERY_S - seconds))
        if any(t.is_alive() for t in threads) or time.monotonic() - checked_at < 1:
            continue
        checked_at = time.monotonic()
        pending = [loc for status, _, loc in results["check"] if status == 202 and loc]
        if not any(still_running(loc) for loc in pending):
            break
    for thread in threads:
        thread.join(timeout=MAX_SECONDS)
    stop.set()
    sampler.join()
    latencies.sort()
    return {
        "idle_p50": statistics.median(idle),
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "max": latencies[-1],
        "probes": len(latencies),
        "seconds": time.monotonic() - start,
        "peak_mb": max(peak),
        "snapshots": sorted(status for status, _, _ in results["snapshot"]),
        "checks": sorted(status for status, _, _ in results["check"]),
        "slowest_snapshot": max(seconds for _, seconds, _ in results["snapshot"]),
        "slowest_check_answer": max(seconds for _, seconds, _ in results["check"]),
    }


def exports(url: str, pid: int, parcels: bytes) -> dict:
    """One check of ``parcels`` stored, then its CSV and XLSX downloaded one after the other:
    the server process's peak resident memory above what it held before each download."""
    body, boundary = multipart(parcels, "parcels.gpkg")
    status, _, location = call(f"{url}/api/checks", body, boundary, timeout=300)
    deadline = time.monotonic() + MAX_SECONDS
    while status == 202 and still_running(location) and time.monotonic() < deadline:
        time.sleep(1)
    figures = {}
    for kind in ("csv", "xlsx"):
        base = tree_rss_mb(pid, descendants=False)  # the server alone (workers are apart)
        peak = [base]
        stop = threading.Event()

        def sample(stop=stop, peak=peak) -> None:
            while not stop.wait(0.05):
                peak.append(tree_rss_mb(pid, descendants=False))

        sampler = threading.Thread(target=sample)
        sampler.start()
        status, seconds, _ = call(f"{location}?f={kind}", timeout=300)
        stop.set()
        sampler.join()
        figures[kind] = {
            "status": status,
            "seconds": seconds,
            "base_mb": base,
            "peak_mb": max(peak),
        }
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, default=Path("/tmp/before"))
    parser.add_argument("--parcels", type=int, default=50_000)
    parser.add_argument("--only", choices=("before", "after"), help="measure one build only")
    parser.add_argument(
        "--exports",
        type=int,
        metavar="PARCELS",
        help="instead: peak RSS of the server while it sends one PARCELS-parcel check's "
        "CSV and XLSX (e.g. 100000)",
    )
    args = parser.parse_args()

    from geo_service.catalog import load_catalog
    from geo_service.land.zones import zones_from_layer

    catalog = load_catalog(REPO_ROOT / "layers")
    zones = zones_from_layer(catalog.get("zones"), catalog.dataset_hash).frame
    runs = {}
    with tempfile.TemporaryDirectory(prefix="geo_service-isolation-") as scratch:
        path = Path(scratch) / "parcels.gpkg"
        count = args.exports or args.parcels
        make_parcels(zones, count).to_crs("EPSG:4545").to_file(path, engine="pyogrio")
        parcels = path.read_bytes()
        trees = [("before", args.before), ("after", REPO_ROOT)]
        for name, tree in trees:
            if args.only and name != args.only:
                continue
            if not (tree / "geo_service").is_dir():
                print(f"{name}: no checkout at {tree} (git worktree add {tree} 6ce9c2c)")
                continue
            folder = Path(scratch) / name
            folder.mkdir()
            with serve(tree, folder) as (url, pid):
                if args.exports:
                    for kind, f in exports(url, pid, parcels).items():
                        print(
                            f"{name:6}: {count} parcels {kind:4}: HTTP {f['status']} in "
                            f"{f['seconds']:.1f} s, server RSS {f['base_mb']:.0f} -> peak "
                            f"{f['peak_mb']:.0f} MB (+{f['peak_mb'] - f['base_mb']:.0f} MB)"
                        )
                    continue
                runs[name] = measure(url, pid, parcels)
            result = runs[name]
            print(
                f"{name:6}: items p50 {result['p50'] * 1000:7.1f} ms, p99 "
                f"{result['p99'] * 1000:7.1f} ms, max {result['max'] * 1000:7.1f} ms "
                f"({result['probes']} probes in {result['seconds']:.0f} s; idle p50 "
                f"{result['idle_p50'] * 1000:.1f} ms); peak RSS of the process tree "
                f"{result['peak_mb']:.0f} MB; snapshots {result['snapshots']}; "
                f"checks {result['checks']} (slowest answers: snapshot "
                f"{result['slowest_snapshot']:.1f} s, check {result['slowest_check_answer']:.1f} s)"
            )
            if 0 in result["snapshots"] + result["checks"]:
                print((folder / "serve.log").read_text()[-3000:])
    if args.exports:
        return 0
    if "before" in runs and "after" in runs:
        before, after = runs["before"], runs["after"]
        print(
            f"p99 before/after: {before['p99'] / after['p99']:.1f}x; "
            f"max before/after: {before['max'] / after['max']:.1f}x"
        )
    if "after" in runs:
        ok = runs["after"]["p99"] < GOAL_P99_S
        print(f"goal p99 < {GOAL_P99_S} s under load: {'met' if ok else 'NOT met'}")
        return 0 if ok else 1
    return 1


if __name__ == "__main__":
    sys.exit(main())
