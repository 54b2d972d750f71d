"""Two app servers against one on the items endpoint, in the same run (issue 14).

Baseline **one server**: ``python -m geo_service serve`` (one process, waitress, 32 threads).
Against it: **two servers** (two ``serve`` processes on two ports, one database, the client's
connections split between them as a load balancer would) and **serve --workers 2** (one port,
two pre-forked processes). Each variant gets its own scratch data folder and runs alone.

The client: ``--clients`` threads in one process, each with its own keep-alive connection,
asking ``/collections/zones/items?limit=N`` with N varying per request (every answer is built:
no body cache hit) for ``--seconds``; best of ``--rounds``, the variants alternating round by
round. On this 2-core machine the client shares the cores with the servers, so the ratio says
what a second process buys here, not what a second machine would.

    PYTHONPATH=. .venv/bin/python benchmarks/servers.py [--seconds 5] [--rounds 3] [--clients 8]

Prints req/s, p50/p99 latency (ms), the ratio to one server and the servers' peak RSS (the sum
of each serving process's VmHWM).
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))

from geo_service.testing import free_port, wait_until_up  # noqa: E402

VARIANTS = ("one server", "two servers", "serve --workers 2")


def start(args: list[str], env: dict, log) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "geo_service", "serve", *args],
        cwd=HERE,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def family(pid: int) -> list[int]:
    """``pid`` and its children (the pre-forked servers)."""
    found = [pid]
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and f"PPid:\t{pid}\n" in (entry / "status").read_text():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def peak_rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def drive(ports: list[int], clients: int, seconds: float) -> tuple[float, list[float]]:
    """Requests per second and each request's latency (s), ``clients`` connections spread
    over ``ports``."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    start_gate = threading.Barrier(clients + 1)
    stop = [0.0]

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", ports[i % len(ports)], timeout=30)
        start_gate.wait()
        n = 0
        while time.perf_counter() < stop[0]:
            began = time.perf_counter()
            conn.request("GET", f"/collections/zones/items?limit={1000 + (i * 7919 + n) % 9000}")
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"status {response.status}")
            latencies[i].append(time.perf_counter() - began)
            n += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    stop[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    start_gate.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    flat = [x for per in latencies for x in per]
    return len(flat) / elapsed, flat


def run_variant(name: str, seconds: float, clients: int) -> dict:
    scratch = tempfile.mkdtemp(prefix="bench-servers-")
    env = {
        "GEO_SERVICE_AUTH": "none",
        "GEO_SERVICE_DATABASE_URL": f"sqlite:///{scratch}/shared.sqlite",
        "GEO_SERVICE_AUTH_DB": f"{scratch}/auth.sqlite",
    }
    log = open(f"{scratch}/serve.log", "w+")  # noqa: SIM115 - closed below
    ports = [free_port()] if name != "two servers" else [free_port(), free_port()]
    processes = []
    try:
        for port in ports:
            extra = ["--workers", "2"] if name == "serve --workers 2" else []
            process = start(["--port", str(port), *extra], env, log)
            processes.append(process)
            wait_until_up(f"http://127.0.0.1:{port}", process, log, 120, name)
        drive(ports, clients, 1.0)  # warm up: every process has read its layers
        rate, latencies = drive(ports, clients, seconds)
        pids = [pid for p in processes for pid in family(p.pid)]
        servers = [pid for pid in pids if b"serve" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        rss = peak_rss_mb(servers)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        log.close()
    ordered = sorted(latencies)
    return {
        "rate": rate,
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[int(len(ordered) * 0.99) - 1] * 1000,
        "rss": rss,
        "processes": len(servers),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    options = parser.parse_args()
    best: dict[str, dict] = {}
    for round_ in range(options.rounds):
        for name in VARIANTS:
            result = run_variant(name, options.seconds, options.clients)
            print(f"round {round_ + 1} {name}: {result['rate']:.0f} req/s", flush=True)
            if name not in best or result["rate"] > best[name]["rate"]:
                best[name] = result
    base = best["one server"]["rate"]
    print(
        f"\n{os.cpu_count()} cores, {options.clients} client connections, best of {options.rounds}"
    )
    print("| variant | processes | req/s | p50 ms | p99 ms | ratio | peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    for name in VARIANTS:
        r = best[name]
        print(
            f"| {name} | {r['processes']} | {r['rate']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} "
            f"| {r['rate'] / base:.2f} | {r['rss']:.0f} |"
        )


if __name__ == "__main__":
    main()
