"""Items and bbox requests on the generated parcels layer: our PostGIS backend vs our SQLite
backend vs pygeoapi's PostgreSQL provider on the same features (req/s, p50, p99, peak RSS).

Baseline **pygeoapi 0.21.0** (PostgreSQL provider, its Flask app under waitress): a plain
table ``pygeoapi_parcels`` (``id`` text primary key = our feature id, ``geom``
geometry(Polygon, 4326) with a GiST index, the same properties as columns) made by SQL from our
store's rows in the same database, and a config written to a temporary folder. Ours: two
``python -m geo_service serve`` processes (waitress), one on that PostGIS database and one on a
SQLite file holding the same generated parcels (same seed). All three run at once on free
loopback ports; the same client (threads with keep-alive connections, gzip asked for) sends the
same requests to each, the servers interleaved round by round:

* ``page``: ``items?limit=100&offset=`` a random offset (keyset on our store, OFFSET in pygeoapi);
* ``bbox``: ``items?limit=100&bbox=`` a box of a z14 tile's size around a random parcel (the
  generated parcels crowd around the zones: most boxes drawn over the whole extent are empty);
* ``item``: ``items/{id}``, a random feature.

pygeoapi never becomes a dependency of ours and none of its code is committed; it lives in its
own virtual environment, made once with::

    python3 -m venv /tmp/pygeoapi-venv
    /tmp/pygeoapi-venv/bin/pip install pygeoapi==0.21.0 'waitress>=3.0,<3.1'

Run::

    PYTHONPATH=. .venv/bin/python benchmarks/pygeoapi_compare.py [--count 1000000]
        [--pygeoapi-venv /tmp/pygeoapi-venv] [--keep DIR] [--seconds 8] [--rounds 3]
        [--concurrency 4]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import bench_http as b

TABLE = "pygeoapi_parcels"
PROPERTIES = [  # (column, SQL type) for each generated parcel property
    ("name", "text"),
    ("parcel_id", "text"),
    ("county", "text"),
    ("area_m2", "double precision"),
    ("generated", "boolean"),
    ("seed", "integer"),
    ("source", "text"),
    ("precision", "text"),
]


def make_table(dsn: str) -> int:
    """``pygeoapi_parcels`` from the current version's rows (remade each run); its count."""
    import psycopg

    columns = ", ".join(f"(p ->> '{name}')::{kind} AS \"{name}\"" for name, kind in PROPERTIES)
    with psycopg.connect(dsn) as db:
        version = b.current_version(dsn)
        db.execute(f"DROP TABLE IF EXISTS {TABLE}")
        db.execute(
            f"CREATE TABLE {TABLE} AS SELECT f.fid AS id, {columns},"
            " ST_SetSRID(f.geometry, 4326)::geometry(Polygon, 4326) AS geom"
            " FROM layer_features f, LATERAL (SELECT f.properties::jsonb AS p) j"
            " WHERE f.layer_id = %s AND f.version = %s ORDER BY f.seq",
            (b.LAYER, version),
        )
        db.execute(f"ALTER TABLE {TABLE} ADD PRIMARY KEY (id)")
        db.execute(f"CREATE INDEX {TABLE}_geom ON {TABLE} USING gist (geom)")
        db.execute(f"ANALYZE {TABLE}")
        return db.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]


def pygeoapi_config(dsn: str, port: int, bbox, folder: Path) -> Path:
    """A pygeoapi config (JSON is YAML) with the one collection ``parcels``."""
    from sqlalchemy.engine import make_url

    url = make_url(dsn)
    base = f"http://127.0.0.1:{port}"
    config = {
        "server": {
            "bind": {"host": "127.0.0.1", "port": port},
            "url": base,
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "gzip": True,
            "languages": ["en-US"],
            "cors": False,
            "pretty_print": False,
            "limits": {"default_items": 100, "max_items": 10000},
            "map": {"url": "https://tile.invalid/{z}/{x}/{y}.png", "attribution": "none"},
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                "title": "bench",
                "description": "benchmark baseline",
                "keywords": ["bench"],
                "keywords_type": "theme",
                "terms_of_service": "none",
                "url": base,
            },
            "license": {"name": "none", "url": base},
            "provider": {"name": "bench", "url": base},
            "contact": {"name": "bench", "email": "bench@example.invalid"},
        },
        "resources": {
            "parcels": {
                "type": "collection",
                "title": "generated parcels",
                "description": "generated for benchmarks (not real data)",
                "keywords": ["parcels"],
                "links": [],
                "extents": {
                    "spatial": {
                        "bbox": list(bbox),
                        "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
                    }
                },
                "providers": [
                    {
                        "type": "feature",
                        "name": "PostgreSQL",
                        "data": {
                            "host": url.host,
                            "port": url.port,
                            "dbname": url.database,
                            "user": url.username,
                            "password": "",
                            "search_path": ["public"],
                        },
                        "id_field": "id",
                        "table": TABLE,
                        "geom_field": "geom",
                    }
                ],
            }
        },
    }
    path = folder / "pygeoapi-config.yml"
    path.write_text(json.dumps(config, indent=1))
    return path


def pygeoapi_server(venv: Path, dsn_url: str, bbox, folder: Path) -> b.Server:
    port = b.free_port()
    config = pygeoapi_config(dsn_url, port, bbox, folder)
    openapi = folder / "pygeoapi-openapi.yml"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(PYGEOAPI_CONFIG=str(config), PYGEOAPI_OPENAPI=str(openapi))
    subprocess.run(
        [str(venv / "bin" / "pygeoapi"), "openapi", "generate", str(config), "-of", str(openapi)],
        check=True,
        env=env,
        capture_output=True,
    )
    code = (
        "import sys, waitress; from pygeoapi.flask_app import APP;"
        "waitress.serve(APP, host='127.0.0.1', port=int(sys.argv[1]), threads=32,"
        " ident='pygeoapi')"
    )
    argv = [str(venv / "bin" / "python"), "-c", code, str(port)]
    return b.Server(
        "pygeoapi", argv, env, port, "/collections/parcels/items?limit=1&f=json", folder / "pyg.log"
    )


def paths_for(server: b.Server, tails: list[str]) -> list[str]:
    if server.name == "pygeoapi":
        return [f"/collections/parcels/{t}{'&' if '?' in t else '?'}f=json" for t in tails]
    return [f"/collections/{b.LAYER}/{t}" for t in tails]


def check_same_answers(servers: list[b.Server], mix: dict) -> dict:
    """The first few requests of each kind give the same number of features everywhere."""
    seen = {}
    for kind, tails in mix.items():
        for server in servers:
            counts = []
            for path in paths_for(server, tails[:20]):
                status, body = b.fetch(server.base, path)
                counts.append(b.features_in(body) if status == 200 else f"HTTP {status}")
            seen.setdefault(kind, {})[server.name] = counts
    return seen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--pygeoapi-venv", default="/tmp/pygeoapi-venv")
    parser.add_argument("--keep", help="a folder kept between runs (cluster, SQLite file)")
    parser.add_argument("--seconds", type=float, default=8, help="per kind, server and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    b.exit_on_sigterm()
    venv = Path(args.pygeoapi_venv)
    if not (venv / "bin" / "pygeoapi").exists():
        sys.exit(f"no pygeoapi in {venv}: make it as this script's docstring says")
    folder = Path(args.keep or tempfile.mkdtemp(prefix="pygeoapi_compare_"))
    folder.mkdir(parents=True, exist_ok=True)
    cluster, pg_url = b.start_cluster(folder)
    sqlite_url = f"sqlite:///{folder / 'bench.sqlite'}"
    servers: list[b.Server] = []
    try:
        print(f"data: {args.count} generated parcels on both backends", flush=True)
        b.ensure_parcels(pg_url, args.count)
        b.ensure_parcels(sqlite_url, args.count)
        dsn = b.psycopg_dsn(pg_url)
        print(f"  {TABLE}: {make_table(dsn)} rows", flush=True)
        bbox = b.layer_bbox(dsn)
        servers = [
            pygeoapi_server(venv, pg_url, bbox, folder),
            b.app_server("ours_postgis", pg_url, folder),
            b.app_server("ours_sqlite", sqlite_url, folder),
        ]
        for server in servers:
            server.start()
        mix = b.request_mix(args.count, b.parcel_corners(dsn, args.count, 3000, 14), seed=14)
        agreement = check_same_answers(servers, mix)
        print("features in the first answers:", json.dumps(agreement), flush=True)
        for server in servers:  # warm-up: imports, pools, first plans
            b.load([server.base], paths_for(server, mix["page"][-50:]), 2, args.concurrency)
        results: dict = {}
        with b.RssSampler(servers):
            for round_ in range(args.rounds):
                for kind, tails in mix.items():
                    for server in servers[round_ % 3 :] + servers[: round_ % 3]:
                        paths = paths_for(server, tails)
                        shift = (round_ * 997) % len(paths)  # fresh URLs each round
                        got = b.load(
                            [server.base], paths[shift:] + paths[:shift], args.seconds,
                            args.concurrency,
                        )  # fmt: skip
                        slot = results.setdefault(kind, {}).setdefault(server.name, b.Load())
                        slot.latencies += got.latencies
                        slot.wall += got.wall
                        slot.bytes += got.bytes
                        for status, n in got.statuses.items():
                            slot.statuses[status] = slot.statuses.get(status, 0) + n
                print(f"round {round_ + 1} done", flush=True)
        report = report_of(args, results, servers)
        print(json.dumps(report, indent=1, ensure_ascii=False))
        print_table(report)
    finally:
        for server in servers:
            server.stop()
        if not args.keep:
            cluster.destroy()
    return 0


def report_of(args, results: dict, servers: list[b.Server]) -> dict:
    report: dict = {
        "count": args.count,
        "concurrency": args.concurrency,
        "seconds_per_kind_and_server": args.seconds * args.rounds,
        "baseline": "pygeoapi",
        "kinds": {},
        "peak_rss_mb": {s.name: round(s.peak_rss_mb, 1) for s in servers},
        "client_peak_rss_mb": b.peak_rss_self_mb(),
    }
    for kind, by_server in results.items():
        rows = {name: load.summary() for name, load in by_server.items()}
        base = rows["pygeoapi"]
        for row in rows.values():
            row["req_per_s_ratio"] = b.ratio(row.get("req_per_s", 0), base.get("req_per_s", 0))
            row["p99_ratio"] = b.ratio(row.get("p99_ms", 0), base.get("p99_ms", 0))
        report["kinds"][kind] = rows
    return report


def print_table(report: dict) -> None:
    print("\n| request | server | req/s | ratio | p50 ms | p99 ms | p99 ratio | KB gz | answers |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind, rows in report["kinds"].items():
        for name, row in rows.items():
            print(
                f"| {kind} | {name} | {row.get('req_per_s')} | {row.get('req_per_s_ratio')} |"
                f" {row.get('p50_ms')} | {row.get('p99_ms')} | {row.get('p99_ratio')} |"
                f" {row.get('kb_per_answer')} | {row.get('statuses')} |"
            )
    print("peak RSS MB:", report["peak_rss_mb"], "client:", report["client_peak_rss_mb"])


if __name__ == "__main__":
    sys.exit(main())
