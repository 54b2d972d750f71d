"""A check of 10^6 parcels: in-process vs the big path (dask) vs a plain PostGIS query.

The parcels are generated (``land_check.make_parcels``: 30-200 m rectangles, half near a zone,
half anywhere in Ankang; labelled ``source = generated``) and written once to a GeoPackage in
CGCS2000 GK zone 36 (EPSG:4545), as the 100k benchmark does. Each variant runs in its own
process and is measured from outside: wall time, peak RSS summed over the process and all its
children (web process, check worker, dask scheduler and workers; for PostGIS the server's
processes too), the RSS still held after the check, and the bytes the register grew by.

- ``inprocess``: POST /api/checks with big checks off (today's path: one document, a row per
  parcel), MAX_PARCELS raised to the file's size;
- ``big``: POST /api/checks on the big path (chunks on a dask LocalCluster of 2 threads in the
  check worker, blocks); ``big-processes``: the same on 2 dask worker processes;
- ``postgis``: a throwaway PostgreSQL 15 + PostGIS 3.3 cluster; the parcels COPYed (WKB, already
  on their GK plane) into an unlogged table, then one INSERT ... SELECT with ST_Intersects /
  ST_Intersection / ST_Area against the zones (GiST): the bare query, none of the service's
  validation, records or register (its overlap areas are compared with ours).

    PYTHONPATH=. .venv/bin/python benchmarks/big_check.py --parcels 1000000 \
        [--variants inprocess,big,big-processes,postgis] [--compare]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import select
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
CACHE = Path(tempfile.gettempdir()) / "geo_service-bench-big"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
#: Earlier figures of a 100k-parcel POST /api/checks on this build (issue 14).
EARLIER_100K = {"peak_mb": (640, 730), "held_mb": (100, 200), "register_mb": 58}


def parcels_file(count: int) -> Path:
    """The generated GeoPackage of ``count`` parcels (made once, then reused)."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"parcels-{count}.gpkg"
    if not path.exists():
        sys.path.insert(0, str(HERE))
        from land_check import make_parcels

        from geo_service.catalog import load_catalog
        from geo_service.config import REPO_ROOT
        from geo_service.land.zones import zones_from_layer

        catalog = load_catalog(REPO_ROOT / "layers")
        zones = zones_from_layer(catalog.get("zones"), catalog.dataset_hash).frame
        frame = make_parcels(zones, count)
        frame["source"] = "generated (benchmarks/big_check.py)"
        frame["precision"] = "generated"
        part = path.with_name(f"making-{path.name}")
        frame.to_crs("EPSG:4545").to_file(part, driver="GPKG", engine="pyogrio")
        part.rename(path)
    return path


def tree_rss(process: psutil.Process) -> int:
    return sum(rss_by_pid(process).values())


def settled_rss(process: psutil.Process, seconds: float = 30) -> dict[int, int]:
    """RSS by pid once the tree's total stops moving (a replaced check worker starting up)."""
    last = rss_by_pid(process)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(1)
        now = rss_by_pid(process)
        if now.keys() == last.keys() and abs(sum(now.values()) - sum(last.values())) < 2**20:
            return now
        last = now
    return last


def rss_by_pid(process: psutil.Process) -> dict[int, int]:
    """RSS of ``process`` and each of its descendants, by pid."""
    try:
        family = [process, *process.children(recursive=True)]
    except psutil.Error:
        return {}
    sizes = {}
    for p in family:
        with contextlib.suppress(psutil.Error):
            sizes[p.pid] = p.memory_info().rss
    return sizes


class Sampler:
    """Peak of the RSS summed over process trees, every 50 ms; and the CPU seconds they used
    meanwhile (a figure the other sessions on a shared machine do not inflate)."""

    def __init__(self, roots):
        self.roots, self.peak, self.running = roots, 0, True
        self.cpu: dict[int, tuple[float, float]] = {}  # pid -> (at start, last seen)
        self.sample(first=True)
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def sample(self, first: bool = False) -> None:
        total = 0
        for root in self.roots():
            try:
                family = [root, *root.children(recursive=True)]
            except psutil.Error:
                continue
            for p in family:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
                    times = p.cpu_times()
                    used = times.user + times.system
                    start = self.cpu.get(p.pid, (used if first else 0.0, 0.0))[0]
                    self.cpu[p.pid] = (start, used)
        self.peak = max(self.peak, total)

    def run(self) -> None:
        while self.running:
            self.sample()
            time.sleep(0.05)

    def stop(self) -> int:
        self.running = False
        self.thread.join()
        return self.peak

    @property
    def cpu_s(self) -> float:
        return sum(last - start for start, last in self.cpu.values())


# ---- one API variant, in a child process --------------------------------------------------


def api_child(variant: str, path: str, folder: str) -> None:
    """POST the file to a fresh app; print the wall time, the register's growth, the result."""
    from geo_service import create_app

    size = os.path.getsize(path)
    config = {
        "CHECKS_DB": f"{folder}/checks.sqlite",
        "ACTUALS_DB": f"{folder}/actuals.sqlite",
        "AUTH": "none",
        "TESTING": True,
        "CHECK_WORKERS": 1,
        "CHECK_SYNC_SECONDS": 3600,
        "MAX_CONTENT_LENGTH": size + 2**20,
        "BIG_CHECK_MAX_BYTES": size + 2**20,
    }
    if variant == "inprocess":
        config.update(BIG_CHECK_PARCELS=0, MAX_PARCELS=10**7, MAX_VERTICES=10**9)
    else:
        config.update(BIG_CHECK_PARCELS=1000)  # the big path for any size benchmarked
        config.update(BIG_CHECK_PROCESSES=variant == "big-processes")  # big, big-direct: threads
    app = create_app(config)
    client = app.test_client()
    db = Path(folder) / "geo_service.sqlite"
    ring = [[109.0, 32.7], [109.001, 32.7], [109.001, 32.701], [109.0, 32.701], [109.0, 32.7]]
    warm = {"type": "Polygon", "coordinates": [ring]}
    warm = {"type": "Feature", "properties": {"parcel_id": "warm"}, "geometry": warm}
    warm = json.dumps({"type": "FeatureCollection", "features": [warm]}).encode()
    client.post(  # start the check worker before measuring (as a running server has)
        "/api/checks",
        data={"file": (io.BytesIO(warm), "warm.geojson")},
        content_type="multipart/form-data",
    )
    before = register_bytes(db)
    print(json.dumps({"ready": True}), flush=True)
    sys.stdin.readline()
    started = time.perf_counter()
    if variant == "big-direct":  # the engine alone: this process, no check worker (nice 10)
        summary, status = direct_check(app, Path(path).read_bytes()), 201
    else:
        # the file streamed from disk, as a real client sends it: the test client spools
        # the request body to a temporary file past 500 KB, so this process holds no copy
        # of the upload that a server's would not (waitress spools bodies alike)
        with open(path, "rb") as upload:
            answer = client.post(
                "/api/checks",
                data={"file": (upload, "生成地块.gpkg")},
                content_type="multipart/form-data",
            )
        document, status = answer.json, answer.status_code
        summary = document.get("summary") or document
    wall = time.perf_counter() - started
    print(
        json.dumps(
            {
                "status": status,
                "wall_s": wall,
                "summary": summary,
                "register_bytes": register_bytes(db) - before,
                "upload_bytes": size,
            }
        ),
        flush=True,
    )
    sys.stdin.readline()  # stay alive while the parent measures what is held


def direct_check(app, data: bytes) -> dict:
    """``check_and_store`` as the check worker calls it, in this process."""
    from geo_service.land.readers import Limits
    from geo_service.land.service import CheckRequest, Upload, check_and_store
    from geo_service.land.zones import zones_from_layer

    catalog = app.extensions["geo_service.catalog"]
    register = app.extensions["geo_service.register"]
    zones = zones_from_layer(catalog.get("zones"), catalog.dataset_hash)
    request = CheckRequest(Upload("生成地块.gpkg", data), limits=Limits.from_config(app.config))
    check_id = check_and_store(request, zones, catalog.version, register)
    return register.get_summary(check_id)


def register_bytes(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (pages,) = connection.execute("PRAGMA page_count").fetchone()
        (size,) = connection.execute("PRAGMA page_size").fetchone()
        (free,) = connection.execute("PRAGMA freelist_count").fetchone()
    return (pages - free) * size


def run_api(variant: str, path: Path, limit_s: float, limit_mb: float) -> dict:
    """One variant; stopped (and said so) past ``limit_s`` seconds or ``limit_mb`` of RSS."""
    with tempfile.TemporaryDirectory(prefix="bench-big-") as folder:
        child = subprocess.Popen(
            [sys.executable, __file__, "--child", variant, str(path), folder],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(HERE.parent)},
        )
        process = psutil.Process(child.pid)
        json.loads(child.stdout.readline())
        idle = settled_rss(process)
        sampler = Sampler(lambda: [process])
        child.stdin.write("\n")
        child.stdin.flush()
        started = time.perf_counter()
        while not select.select([child.stdout], [], [], 1)[0]:
            spent = time.perf_counter() - started
            if spent > limit_s or sampler.peak > limit_mb * 2**20:
                for p in [*process.children(recursive=True), process]:
                    with contextlib.suppress(psutil.Error):
                        p.kill()
                child.wait()
                return {"stopped": True, "wall_s": spent, "peak_mb": sampler.stop() / 2**20}
        result = json.loads(child.stdout.readline())
        result["peak_mb"] = sampler.stop() / 2**20
        result["cpu_s"] = sampler.cpu_s
        after = settled_rss(process)
        result["idle_mb"] = sum(idle.values()) / 2**20
        result["held_mb"] = (sum(after.values()) - sum(idle.values())) / 2**20
        # the web process first, then its children (the check worker): who holds what;
        # a worker replaced after the check (CHECK_WORKER_MAX_HELD_MB) is a new pid
        result["held_by_mb"] = [(after[pid] - idle.get(pid, 0)) / 2**20 for pid in after]
        result["replaced"] = len(set(idle) - set(after))
        child.stdin.write("\n")
        child.stdin.flush()
        child.wait(timeout=60)
    return result


# ---- PostGIS: the bare query ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_postgres(*command: str) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*prefix, *command], check=True, capture_output=True)


def run_postgis(path: Path) -> dict:
    import psycopg
    import pyogrio
    import shapely

    from geo_service.catalog import load_catalog
    from geo_service.config import REPO_ROOT
    from geo_service.land.zones import zones_from_layer
    from geo_service.query.crs import transform

    folder = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    data = folder / "data"
    port = free_port()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres")
    as_postgres(
        str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "start",
        "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1",
    )  # fmt: skip
    postmaster = psutil.Process(int((data / "postmaster.pid").read_text().split()[0]))
    try:
        catalog = load_catalog(REPO_ROOT / "layers")
        zones = zones_from_layer(catalog.get("zones"), catalog.dataset_hash).frame
        zone_plane = transform(zones.geometry.to_numpy(), zones.crs.to_string(), "EPSG:4545")
        me = psutil.Process()
        sampler = Sampler(lambda: [me, postmaster])
        started = time.perf_counter()
        frame = pyogrio.read_dataframe(path)  # EPSG:4545: already on the GK plane
        geometries = shapely.set_srid(frame.geometry.to_numpy(), 4545)
        wkb = shapely.to_wkb(geometries, hex=True, include_srid=True)
        del frame
        read_s = time.perf_counter() - started
        url = f"host=127.0.0.1 port={port} user=postgres dbname=postgres"
        with psycopg.connect(url, autocommit=True) as db:
            db.execute("CREATE EXTENSION postgis")
            db.execute("CREATE UNLOGGED TABLE zones (id int, geom geometry(MultiPolygon, 4545))")
            for i, g in enumerate(zone_plane):
                db.execute(
                    "INSERT INTO zones VALUES (%s, ST_Multi(ST_SetSRID(ST_GeomFromWKB(%s), 4545)))",
                    (i, shapely.to_wkb(g)),
                )
            db.execute("CREATE INDEX ON zones USING gist (geom)")
            db.execute("CREATE UNLOGGED TABLE parcels (seq int, geom geometry(Geometry, 4545))")
            with db.cursor().copy("COPY parcels (seq, geom) FROM STDIN") as copy:
                for seq, blob in enumerate(wkb):
                    copy.write_row((seq, blob))
            loaded_s = time.perf_counter() - started
            db.execute("CREATE INDEX ON parcels USING gist (geom)")
            db.execute("ANALYZE parcels; ANALYZE zones")
            db.execute("CREATE UNLOGGED TABLE pairs (seq int, zone int, area double precision)")
            query_started = time.perf_counter()
            db.execute(
                "INSERT INTO pairs SELECT p.seq, z.id, CASE WHEN ST_Within(p.geom, z.geom) "
                "THEN ST_Area(p.geom) ELSE ST_Area(ST_Intersection(p.geom, z.geom)) END "
                "FROM parcels p JOIN zones z ON ST_Intersects(p.geom, z.geom)"
            )
            query_s = time.perf_counter() - query_started
            rows = db.execute("SELECT seq, zone, area FROM pairs ORDER BY seq, zone").fetchall()
        wall = time.perf_counter() - started
        peak = sampler.stop()
        cpu = sampler.cpu_s
    finally:
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "wall_s": wall,
        "read_s": read_s,
        "load_s": loaded_s - read_s,
        "query_s": query_s,
        "overlaps": [r for r in rows if r[2] > 0.01],
        "peak_mb": peak / 2**20,
        "cpu_s": cpu,
    }


def compare_postgis(path: Path, rows: list) -> float:
    """Largest |overlap m² (PostGIS) - overlap m² (check_parcels)| over the same pairs."""
    import numpy as np

    from geo_service.catalog import load_catalog
    from geo_service.config import REPO_ROOT
    from geo_service.land.check import check_parcels
    from geo_service.land.prepare import prepare_parcels
    from geo_service.land.readers import Limits, read_parcel_file
    from geo_service.land.zones import zones_from_layer

    catalog = load_catalog(REPO_ROOT / "layers")
    zones = zones_from_layer(catalog.get("zones"), catalog.dataset_hash).frame
    limits = Limits(max_parcels=10**7, max_vertices=10**9)
    frame = prepare_parcels(read_parcel_file(path.read_bytes(), "p.gpkg", limits=limits)).frame
    ours = check_parcels(frame, zones).overlaps
    mine = dict(zip(zip(ours["parcel"].astype(int), ours["zone_id"]), ours["overlap_m2"]))
    ids = zones["zone_id"].to_numpy()
    theirs = {(seq, ids[zone]): area for seq, zone, area in rows}
    if set(mine) != set(theirs):
        return float("inf")
    return float(np.max(np.abs([mine[k] - theirs[k] for k in mine]))) if mine else 0.0


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        api_child(*sys.argv[2:5])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--variants", default="inprocess,big,big-processes,postgis")
    parser.add_argument("--compare", action="store_true", help="PostGIS areas against ours")
    parser.add_argument("--limit-s", type=float, default=1200, help="stop a variant after")
    parser.add_argument("--limit-mb", type=float, default=12000, help="stop a variant above")
    args = parser.parse_args()
    started = time.perf_counter()
    path = parcels_file(args.parcels)
    print(
        f"{args.parcels:,} generated parcels, GeoPackage {path.stat().st_size / 2**20:.1f} MB "
        f"({time.perf_counter() - started:.0f} s to make or find); 2 cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GB"
    )
    results = {}
    for variant in args.variants.split(","):
        if variant == "postgis":
            result = run_postgis(path)
            pairs = result.pop("overlaps")
            print(
                f"  postgis      : {result['wall_s']:7.1f} s  CPU {result['cpu_s']:6.1f} s  "
                f"peak {result['peak_mb']:6.0f} MB "
                f"(read {result['read_s']:.1f} s, COPY {result['load_s']:.1f} s, "
                f"INSERT..SELECT {result['query_s']:.1f} s; {len(pairs):,} overlaps)"
            )
            if args.compare:
                print(f"    max |overlap diff| vs ours: {compare_postgis(path, pairs):.2e} m2")
        else:
            result = run_api(variant, path, args.limit_s, args.limit_mb)
            if result.get("stopped"):
                print(
                    f"  {variant:13s}: STOPPED after {result['wall_s']:.0f} s, peak "
                    f"{result['peak_mb']:.0f} MB (limits {args.limit_s:.0f} s, "
                    f"{args.limit_mb:.0f} MB)"
                )
                continue
            print(
                f"  {variant:13s}: {result['wall_s']:7.1f} s  CPU {result['cpu_s']:6.1f} s  "
                f"peak {result['peak_mb']:6.0f} MB  "
                f"held after {result['held_mb']:+6.0f} MB "
                f"({' / '.join(f'{mb:+.0f}' for mb in result['held_by_mb'])}; "
                f"{result['replaced']} replaced)  register "
                f"{result['register_bytes'] / 2**20:+6.1f} MB "
                f"({result['register_bytes'] / args.parcels:.0f} B/parcel; upload "
                f"{result['upload_bytes'] / 2**20:.1f} MB)  HTTP {result['status']}"
            )
        results[variant] = result
    if "inprocess" in results and "big" in results:
        a, b = results["inprocess"], results["big"]
        print(
            f"  big / in-process: time {b['wall_s'] / a['wall_s']:.2f}, peak "
            f"{b['peak_mb'] / a['peak_mb']:.2f}, register "
            f"{b['register_bytes'] / max(a['register_bytes'], 1):.2f}"
        )
    if "postgis" in results and "big" in results:
        print(
            f"  big / postgis time: {results['big']['wall_s'] / results['postgis']['wall_s']:.2f}"
        )
    if args.parcels == 100_000:
        print(f"  earlier 100k figures (issue 14): {EARLIER_100K}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
