"""Items throughput with one app server vs two on one database: PostGIS and a SQLite file.

Baseline **one server**: one ``python -m geo_service serve`` process (waitress, 32 threads).
Against it: **two servers**, two ``serve`` processes on two ports, each client thread
alternating between them; and **--workers 2**, one ``serve --workers 2`` (one port, two forked
processes) when this build has it. Each configuration is started alone, measured, stopped;
the configurations rotate round by round. Requests: the generated parcels layer
(``benchmarks/bench_http.py``): ``items?limit=100`` at random offsets and z14-sized
``bbox`` pages around random parcels, alternating, a fresh URL each time.

This machine has 2 cores, and the client (Python threads), the servers and PostgreSQL share
them: a second server can only win what one server leaves idle (Python's GIL within one
process, waits on the database); it cannot double anything here. On real hosts the servers
would each have their own cores.

    PYTHONPATH=. .venv/bin/python benchmarks/two_servers.py [--count 1000000] [--keep DIR]
        [--seconds 10] [--rounds 2] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import bench_http as b


def configurations(url: str, folder: Path, backend: str, workers: bool) -> dict:
    def one():
        return [b.app_server(f"{backend}_one", url, folder)]

    def two():
        return [b.app_server(f"{backend}_two_{i}", url, folder) for i in (1, 2)]

    def forked():
        return [b.app_server(f"{backend}_workers2", url, folder, workers=2)]

    found = {"one server": one, "two servers": two}
    if workers:
        found["serve --workers 2"] = forked
    return found


def measure(make, paths: list[str], seconds: float, concurrency: int) -> dict:
    servers = make()
    try:
        for server in servers:
            server.start()
        bases = [s.base for s in servers]
        b.load(bases, paths[-40:], 2, concurrency)  # warm-up
        with b.RssSampler(servers):
            got = b.load(bases, paths, seconds, concurrency)
        return {"load": got, "rss": sum(s.peak_rss_mb for s in servers)}
    finally:
        for server in servers:
            server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--keep", help="a folder kept between runs (cluster, SQLite file)")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    b.exit_on_sigterm()
    folder = Path(args.keep or tempfile.mkdtemp(prefix="two_servers_"))
    folder.mkdir(parents=True, exist_ok=True)
    cluster, pg_url = b.start_cluster(folder)
    sqlite_url = f"sqlite:///{folder / 'bench.sqlite'}"
    try:
        b.ensure_parcels(pg_url, args.count)
        b.ensure_parcels(sqlite_url, args.count)
        corners = b.parcel_corners(b.psycopg_dsn(pg_url), args.count, 3000, 2)
        mix = b.request_mix(args.count, corners, seed=2)
        tails = [t for pair in zip(mix["page"], mix["bbox"], strict=True) for t in pair]
        paths = [f"/collections/{b.LAYER}/{t}" for t in tails]
        workers = b.serve_has_workers()
        report: dict = {
            "count": args.count,
            "cores": os.cpu_count(),
            "concurrency": args.concurrency,
            "baseline": "one server",
            "serve_workers_available": workers,
            "backends": {},
        }
        for backend, url in (("postgis", pg_url), ("sqlite", sqlite_url)):
            configs = configurations(url, folder, backend, workers)
            merged: dict = {name: {"load": b.Load(), "rss": 0.0} for name in configs}
            names = list(configs)
            for round_ in range(args.rounds):
                turn = round_ % len(names)
                for name in names[turn:] + names[:turn]:
                    shift = (round_ * 1009) % len(paths)
                    got = measure(
                        configs[name], paths[shift:] + paths[:shift], args.seconds,
                        args.concurrency,
                    )  # fmt: skip
                    slot = merged[name]
                    slot["load"].latencies += got["load"].latencies
                    slot["load"].wall += got["load"].wall
                    slot["load"].bytes += got["load"].bytes
                    for status, n in got["load"].statuses.items():
                        slot["load"].statuses[status] = slot["load"].statuses.get(status, 0) + n
                    slot["rss"] = max(slot["rss"], got["rss"])
                    print(f"{backend} round {round_ + 1}: {name} done", flush=True)
            rows = {}
            for name, slot in merged.items():
                rows[name] = {**slot["load"].summary(), "peak_rss_mb": round(slot["rss"], 1)}
            base = rows["one server"]
            for row in rows.values():
                row["req_per_s_ratio"] = b.ratio(row.get("req_per_s", 0), base.get("req_per_s", 0))
                row["p99_ratio"] = b.ratio(row.get("p99_ms", 0), base.get("p99_ms", 0))
            report["backends"][backend] = rows
        report["client_peak_rss_mb"] = b.peak_rss_self_mb()
        print(json.dumps(report, indent=1))
        print("\n| database | servers | req/s | ratio | p50 ms | p99 ms | p99 ratio | RSS MB |")
        print("|---|---|---|---|---|---|---|---|")
        for backend, rows in report["backends"].items():
            for name, row in rows.items():
                print(
                    f"| {backend} | {name} | {row.get('req_per_s')} | {row.get('req_per_s_ratio')}"
                    f" | {row.get('p50_ms')} | {row.get('p99_ms')} | {row.get('p99_ratio')} |"
                    f" {row.get('peak_rss_mb')} |"
                )
    finally:
        if not args.keep:
            cluster.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
