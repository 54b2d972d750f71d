"""Vector tiles of the generated parcels layer through HTTP on both backends vs a bare
``ST_AsMVT`` query on the same table (psycopg, no HTTP): ms per tile at z8, z10, z12, z14 and
z16, and how many of our tiles were overview tiles (more rows than TILE_MAX_FEATURES meet
them: tiles/overview.py), with each server's peak RSS.

Baseline **bare ST_AsMVT**: one SQL statement per tile on the PostGIS database our store
writes, over ``layer_features`` of the layer's current version: the rows touching the tile
(with the 64-unit buffer) through the GiST index, ``ST_AsMVTGeom`` of
``ST_SimplifyPreserveTopology(ST_Transform(geometry, 3857), ~1 px)`` on a 4096 grid, the MVT
id and ``gs_fid`` only, no words, no gzip, no HTTP. Against it, our tile endpoint
``/collections/parcels_generated/tiles/WebMercatorQuad/{z}/{y}/{x}`` answered by
``python -m geo_service serve`` (waitress) on that database and on a SQLite file with the same
parcels (same seed), gzip asked for. The same tiles for all three (distinct tiles holding
random parcels), one request at a time, the three interleaved tile by tile (each tile asked once per
path: no ETag or body cache helps). The bare query has no cap: a z8 or z10 tile round the
zones holds up to ~780,000 parcels, so it runs under ``statement_timeout`` (``--bare-timeout``)
and a cancelled one counts as that long ("timeout").

(``benchmarks/tiles.py`` compares the tile code in-process with the library alone; this one
measures what a client sees from a server on the 10^6-parcel layer.)

    PYTHONPATH=. .venv/bin/python benchmarks/tiles_compare.py [--count 1000000] [--tiles 40]
        [--keep DIR] [--zooms 8,10,12,14,16] [--low-tiles N] [--bare-timeout S]
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import bench_http as b

HALF_WORLD = 20037508.3427892
BARE = """
WITH q AS (
  SELECT f.seq + 1 AS id, f.fid AS gs_fid,
         ST_AsMVTGeom(
           ST_SimplifyPreserveTopology(ST_Transform(f.geometry, 3857), %(tolerance)s),
           ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4096, 64, true) AS geom
    FROM layer_features f
   WHERE f.layer_id = %(layer)s AND f.version = %(version)s
     AND f.geometry && ST_Transform(
           ST_TileEnvelope(%(z)s, %(x)s, %(y)s,
             ST_MakeEnvelope(-%(half)s, -%(half)s, %(half)s, %(half)s, 3857), 64.0 / 4096),
           4326)
)
SELECT ST_AsMVT(q, %(layer)s, 4096, 'geom', 'id') FROM q WHERE geom IS NOT NULL
"""


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """(x, y) of the WebMercatorQuad tile holding lon/lat at zoom ``z``."""
    n = 2**z
    phi = math.radians(lat)
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.log(math.tan(phi) + 1 / math.cos(phi)) / math.pi) / 2 * n)
    return min(n - 1, x), min(n - 1, y)


def random_tiles(corners, z: int, count: int) -> list[tuple[int, int, int]]:
    """Up to ``count`` distinct tiles at ``z`` holding the given random parcels (where a map
    user looks: most tiles over the whole extent are empty, the parcels crowd round the
    zones)."""
    seen: dict = {}
    for lon, lat in corners:
        x, y = tile_of(lon, lat, z)
        seen.setdefault((z, x, y), None)
        if len(seen) == count:
            break
    return list(seen)


def tolerance(z: int) -> float:
    """About one pixel of a 256-pixel tile at ``z``, in metres (as the tile code simplifies)."""
    return 2 * HALF_WORLD / 256 / 2**z


def bare_ms(db, layer: str, version: int, tile) -> tuple[float, int, str | int]:
    """ms, bytes and outcome (200, or "timeout" past the statement_timeout) of one tile."""
    import psycopg

    z, x, y = tile
    params = {
        "z": z, "x": x, "y": y, "layer": layer, "version": version,
        "tolerance": tolerance(z), "half": HALF_WORLD,
    }  # fmt: skip
    started = time.perf_counter()
    try:
        body = db.execute(BARE, params).fetchone()[0]
    except psycopg.errors.QueryCanceled:
        return 1000 * (time.perf_counter() - started), 0, "timeout"
    return 1000 * (time.perf_counter() - started), len(body or b""), 200


def is_overview(body: bytes) -> bool:
    """Whether our tile (gzip or not) is an overview tile: its one MVT layer gs_overview."""
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    return b"gs_overview" in body


def http_ms(server: b.Server, conn, tile) -> tuple[float, int, int | str, bool]:
    """ms, bytes and status of one tile; a request past the connection's timeout counts as
    that long (status "timeout") and its connection is opened again."""
    z, x, y = tile
    path = f"/collections/{b.LAYER}/tiles/WebMercatorQuad/{z}/{y}/{x}"
    started = time.perf_counter()
    try:
        status, body = b.fetch(server.base, path, conn)
    except TimeoutError:
        conn.close()
        return 1000 * (time.perf_counter() - started), 0, "timeout", False
    return 1000 * (time.perf_counter() - started), len(body), status, is_overview(body)


def stats(values: list[float]) -> dict:
    got = sorted(values)
    if not got:
        return {}
    return {
        "median_ms": round(got[len(got) // 2], 1),
        "p95_ms": round(got[min(len(got) - 1, int(len(got) * 0.95))], 1),
        "max_ms": round(got[-1], 1),
    }


def main() -> int:
    import http.client

    import psycopg

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--tiles", type=int, default=40, help="tiles per zoom")
    parser.add_argument("--keep", help="a folder kept between runs (cluster, SQLite file)")
    parser.add_argument("--zooms", default="8,10,12,14,16", help="comma-separated zooms")
    parser.add_argument(
        "--low-tiles", type=int, help="tiles at z <= 10 (dense: up to ~780k parcels each)"
    )
    parser.add_argument("--timeout", type=float, default=120, help="seconds per HTTP request")
    parser.add_argument(
        "--bare-timeout", type=float, default=60, help="statement_timeout of the bare query (s)"
    )
    args = parser.parse_args()
    b.exit_on_sigterm()
    folder = Path(args.keep or tempfile.mkdtemp(prefix="tiles_compare_"))
    folder.mkdir(parents=True, exist_ok=True)
    cluster, pg_url = b.start_cluster(folder)
    sqlite_url = f"sqlite:///{folder / 'bench.sqlite'}"
    servers: list[b.Server] = []
    try:
        b.ensure_parcels(pg_url, args.count)
        b.ensure_parcels(sqlite_url, args.count)
        dsn = b.psycopg_dsn(pg_url)
        version = b.current_version(dsn)
        corners = b.parcel_corners(dsn, args.count, 3000, 14)
        servers = [
            b.app_server("ours_postgis", pg_url, folder),
            b.app_server("ours_sqlite", sqlite_url, folder),
        ]
        for server in servers:
            server.start()
        conns = {
            s.name: http.client.HTTPConnection(f"127.0.0.1:{s.port}", timeout=args.timeout)
            for s in servers
        }
        results: dict = {}
        with b.RssSampler(servers), psycopg.connect(dsn, autocommit=True) as db:
            db.execute(f"SET statement_timeout = {int(args.bare_timeout * 1000)}")
            # first use (imports, pools, plans) on z17 tiles no zoom below measures; then at
            # each zoom distinct tiles of random parcels, so the densest (where most parcels
            # are) is among them
            for tile in random_tiles(corners[:5], 17, 5):
                bare_ms(db, b.LAYER, version, tile)
                for server in servers:
                    http_ms(server, conns[server.name], tile)
            for z in [int(v) for v in args.zooms.split(",")]:
                low = z <= 10
                wanted = args.low_tiles if low and args.low_tiles else args.tiles
                tiles = random_tiles(corners[5:], z, wanted)
                row = results.setdefault(
                    z,
                    {"tiles": len(tiles), "bare": [], "bare_bytes": 0, "empty": 0, "bare_st": {}},
                )
                for index, tile in enumerate(tiles):
                    order = ["bare", *[s.name for s in servers]]
                    order = order[index % 3 :] + order[: index % 3]
                    for name in order:
                        if name == "bare":
                            ms, size, status = bare_ms(db, b.LAYER, version, tile)
                            row["bare"].append(ms)
                            row["bare_bytes"] += size
                            row["empty"] += size == 0 and status == 200
                            row["bare_st"][status] = row["bare_st"].get(status, 0) + 1
                            continue
                        server = next(s for s in servers if s.name == name)
                        ms, size, status, overview = http_ms(server, conns[name], tile)
                        row.setdefault(name, []).append(ms)
                        row[f"{name}_bytes"] = row.get(f"{name}_bytes", 0) + size
                        row[f"{name}_overview"] = row.get(f"{name}_overview", 0) + overview
                        statuses = row.setdefault(f"{name}_statuses", {})
                        statuses[status] = statuses.get(status, 0) + 1
                    if (index + 1) % 2 == 0:
                        print(f"  z{z}: {index + 1} of {len(tiles)} tiles", flush=True)
                print(f"z{z}: {len(tiles)} tiles done", flush=True)
        report = report_of(args, results, servers)
        print(json.dumps(report, indent=1))
        print_table(report)
    finally:
        for server in servers:
            server.stop()
        if not args.keep:
            cluster.destroy()
    return 0


def report_of(args, results: dict, servers: list[b.Server]) -> dict:
    report: dict = {"count": args.count, "baseline": "bare ST_AsMVT (psycopg)", "zooms": {}}
    for z, row in results.items():
        n = row["tiles"]
        out = {
            "tiles": n,
            "empty_tiles": row["empty"],
            "bare": {
                **stats(row["bare"]),
                "kb_per_tile": round(row["bare_bytes"] / n / 1024, 1),
                "statuses": row["bare_st"],
            },
        }
        base = out["bare"]["median_ms"]
        for server in servers:
            got = stats(row.get(server.name, []))
            got["median_ratio"] = b.ratio(got.get("median_ms", 0), base)
            got["p95_ratio"] = b.ratio(got.get("p95_ms", 0), out["bare"]["p95_ms"])
            got["kb_gz_per_tile"] = round(row.get(f"{server.name}_bytes", 0) / n / 1024, 1)
            got["statuses"] = row.get(f"{server.name}_statuses")
            got["overview_tiles"] = row.get(f"{server.name}_overview", 0)
            out[server.name] = got
        report["zooms"][f"z{z}"] = out
    report["peak_rss_mb"] = {s.name: round(s.peak_rss_mb, 1) for s in servers}
    report["client_peak_rss_mb"] = b.peak_rss_self_mb()
    return report


def print_table(report: dict) -> None:
    print(
        "\n| zoom | path | median ms | p95 ms | max ms | ratio (median) | ratio (p95) | KB"
        " | overview tiles | answers |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for z, out in report["zooms"].items():
        for name, got in out.items():
            if not isinstance(got, dict):
                continue
            size = got.get("kb_per_tile", got.get("kb_gz_per_tile"))
            print(
                f"| {z} | {name} | {got.get('median_ms')} | {got.get('p95_ms')} |"
                f" {got.get('max_ms')} | {got.get('median_ratio', 1)} |"
                f" {got.get('p95_ratio', 1)} | {size} | {got.get('overview_tiles', '')} |"
                f" {got.get('statuses', '')} |"
            )
    print("peak RSS MB:", report["peak_rss_mb"], "client:", report["client_peak_rss_mb"])


if __name__ == "__main__":
    sys.exit(main())
