"""Shared by the issue-14 comparisons (pygeoapi_compare, tiles_compare, two_servers): a
throwaway PostGIS cluster, the generated parcels layer on both backends, app servers and
pygeoapi as real processes on free loopback ports, one HTTP load client, and peak RSS.

Nothing here is a test fixture or a dependency of the service: it is benchmark plumbing.
The parcels are the ``big`` benchmark's (``benchmarks/big_layer.py`` → ``layers
generate-parcels``): generated, labelled as such, never real 三调 data.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

LAYER = "parcels_generated"
#: A z14 WebMercatorQuad tile's size at Ankang's latitude (≈32.7°N): 360°/2^14 wide,
#: about 0.0185° tall.
Z14_BOX = (360 / 2**14, 0.0185)


# databases --------------------------------------------------------------------------------


def start_cluster(folder: Path):
    """A throwaway PostGIS cluster in ``folder/pg`` (made once, reused) with a ``bench``
    database; (cluster, SQLAlchemy URL of ``bench``)."""
    from geo_service.store import pg_local

    cluster = pg_local.Cluster(
        folder / "pg", settings={"shared_buffers": "256MB", "work_mem": "16MB"}
    ).start()
    pg_local.create_database(cluster.url(), "bench")
    return cluster, pg_local.database_url(cluster.url(), "bench")


def ensure_parcels(url: str, count: int) -> None:
    """``count`` generated parcels as the current version of ``parcels_generated`` in
    ``url`` (generated once; big_layer.ensure_layer keeps an equal one)."""
    import big_layer

    started = time.perf_counter()
    big_layer.ensure_layer(url, count)
    print(f"  {url.split(':')[0]}: {count} parcels ready ({time.perf_counter() - started:.0f} s)")


def psycopg_dsn(url: str) -> str:
    """A libpq connection string from a SQLAlchemy ``postgresql+psycopg://`` URL."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return f"host={u.host} port={u.port} dbname={u.database} user={u.username}"


def current_version(dsn: str, layer: str = LAYER) -> int:
    import psycopg

    with psycopg.connect(dsn) as db:
        return db.execute("SELECT current FROM layers WHERE id = %s", (layer,)).fetchone()[0]


def layer_bbox(dsn: str, layer: str = LAYER) -> tuple[float, float, float, float]:
    """The current version's extent, read from the stored feature boxes."""
    import psycopg

    with psycopg.connect(dsn) as db:
        return db.execute(
            "SELECT min(minx), min(miny), max(maxx), max(maxy) FROM layer_features"
            " WHERE layer_id = %s AND version = (SELECT current FROM layers WHERE id = %s)",
            (layer, layer),
        ).fetchone()


# processes ------------------------------------------------------------------------------


def free_port() -> int:
    from geo_service.store.pg_local import free_port as port

    return port()


@dataclass
class Server:
    """A server process (its own process group) on 127.0.0.1:``port``."""

    name: str
    argv: list[str]
    env: dict
    port: int
    ready_path: str
    log: Path
    proc: subprocess.Popen | None = None
    peak_rss_mb: float = 0.0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180) -> Server:
        out = open(self.log, "wb")  # noqa: SIM115 (kept open for the child's life)
        self.proc = subprocess.Popen(
            self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        ended = time.monotonic() + timeout
        while time.monotonic() < ended:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-3000:]}")
            try:
                status, _ = fetch(self.base, self.ready_path)
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} not ready in {timeout} s: {self.log.read_text()[-3000:]}")

    def rss_mb(self) -> float:
        """Resident memory of the server's whole process tree now."""
        import psutil

        try:
            root = psutil.Process(self.proc.pid)
            tree = [root, *root.children(recursive=True)]
        except psutil.Error:
            return 0.0
        total = 0
        for proc in tree:
            with contextlib.suppress(psutil.Error):
                total += proc.memory_info().rss
        return total / 2**20

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


def app_server(name: str, url: str, folder: Path, workers: int = 1) -> Server:
    """``python -m geo_service serve`` (waitress) on ``url``, no accounts (loopback)."""
    port = free_port()
    argv = [sys.executable, "-m", "geo_service", "serve", "--port", str(port)]
    if workers > 1:
        argv += ["--workers", str(workers)]
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "GEO_SERVICE_DATABASE_URL": url,
        "GEO_SERVICE_AUTH": "none",
        "GEO_SERVICE_HOST": "127.0.0.1",
        "GEO_SERVICE_SECRET_KEY": "bench-only-shared-secret-0123456789abcdef",
    }
    ready = f"/collections/{LAYER}/items?limit=1"
    return Server(name, argv, env, port, ready, folder / f"{name}.log")


def serve_has_workers() -> bool:
    """Whether ``serve --workers N`` exists in this build (the queue increment)."""
    done = subprocess.run(
        [sys.executable, "-m", "geo_service", "serve", "--help"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    return "--workers" in done.stdout


class RssSampler:
    """Samples each server's process-tree RSS every 0.2 s and keeps the peak."""

    def __init__(self, servers: list[Server]):
        self.servers, self.stopped = servers, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stopped.wait(0.2):
            for server in self.servers:
                server.peak_rss_mb = max(server.peak_rss_mb, server.rss_mb())

    def __enter__(self) -> RssSampler:
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stopped.set()
        self.thread.join()


# the client -------------------------------------------------------------------------------

HEADERS = {"Accept": "application/geo+json", "Accept-Encoding": "gzip"}


def fetch(base: str, path: str, conn=None) -> tuple[int, bytes]:
    """One GET; the body as sent (gzip is not undone: the client's cost stays small)."""
    own = conn is None
    if own:
        conn = http.client.HTTPConnection(urlsplit(base).netloc, timeout=60)
    try:
        conn.request("GET", path, headers=HEADERS)
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        if own:
            conn.close()


@dataclass
class Load:
    """What one load run measured."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict = field(default_factory=dict)
    bytes: int = 0
    wall: float = 0.0

    def summary(self) -> dict:
        got = sorted(self.latencies)
        if not got:
            return {"requests": 0}
        return {
            "requests": len(got),
            "req_per_s": round(len(got) / self.wall, 1),
            "p50_ms": round(1000 * got[len(got) // 2], 1),
            "p99_ms": round(1000 * got[min(len(got) - 1, int(len(got) * 0.99))], 1),
            "statuses": dict(sorted(self.statuses.items())),
            "kb_per_answer": round(self.bytes / len(got) / 1024, 1),
        }


def load(
    bases: list[str], paths: list[str], seconds: float, concurrency: int, max_requests: int = 10**6
) -> Load:
    """``concurrency`` threads, each with one keep-alive connection per base, taking the next
    path from ``paths`` (cycled) and the bases in turn, for ``seconds`` (bounded by
    ``max_requests``)."""
    done, lock, counter = Load(), threading.Lock(), iter(range(max_requests))
    ended = time.perf_counter() + seconds

    def worker(offset: int) -> None:
        conns = [http.client.HTTPConnection(urlsplit(b).netloc, timeout=60) for b in bases]
        turn = offset
        try:
            while time.perf_counter() < ended:
                with lock:
                    number = next(counter, None)
                if number is None:
                    return
                conn = conns[turn % len(conns)]
                turn += 1
                path = paths[number % len(paths)]
                started = time.perf_counter()
                try:
                    status, body = fetch("", path, conn)
                except (OSError, http.client.HTTPException):
                    status, body = 599, b""
                    conn.close()
                took = time.perf_counter() - started
                with lock:
                    done.latencies.append(took)
                    done.statuses[status] = done.statuses.get(status, 0) + 1
                    done.bytes += len(body)
        finally:
            for conn in conns:
                conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.wall = time.perf_counter() - started
    return done


# request mixes ------------------------------------------------------------------------------


def parcel_corners(dsn: str, count: int, n: int, seed: int) -> list[tuple[float, float]]:
    """The south-west corners of ``n`` random parcels of the current version (where a map
    user looks: the generated parcels crowd around the zones, most random boxes over the
    whole extent are empty)."""
    import psycopg

    rng = random.Random(seed)
    seqs = [rng.randrange(0, count) for _ in range(n)]
    with psycopg.connect(dsn) as db:
        rows = db.execute(
            "SELECT minx, miny FROM layer_features WHERE layer_id = %s"
            " AND version = (SELECT current FROM layers WHERE id = %s) AND seq = ANY(%s)",
            (LAYER, LAYER, seqs),
        ).fetchall()
    rng.shuffle(rows)
    return [(float(x), float(y)) for x, y in rows]


def request_mix(count: int, corners: list[tuple[float, float]], seed: int) -> dict[str, list[str]]:
    """The same requests for every server, by kind, as (collection-relative) paths:
    ``page``: items?limit=100 at a random offset; ``bbox``: items?limit=100&bbox= a box the
    size of a z14 tile around a random parcel (``corners``, moved by up to a box); ``item``:
    one random feature."""
    rng = random.Random(seed)
    width, height = Z14_BOX
    pages, boxes, items = [], [], []
    for cx, cy in corners:
        pages.append(f"items?limit=100&offset={rng.randrange(0, max(1, count - 100))}")
        x, y = cx - rng.uniform(0, width), cy - rng.uniform(0, height)
        boxes.append(f"items?limit=100&bbox={x:.5f},{y:.5f},{x + width:.5f},{y + height:.5f}")
        items.append(f"items/gen-{rng.randrange(1, count + 1):07d}")
    return {"page": pages, "bbox": boxes, "item": items}


def features_in(body: bytes) -> int | None:
    """The number of features in a (gzipped) GeoJSON answer, None when it is not one."""
    import gzip

    try:
        text = gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body
        document = json.loads(text)
    except (OSError, ValueError):
        return None
    if document.get("type") == "Feature":
        return 1
    return len(document.get("features", [])) if "features" in document else None


def exit_on_sigterm() -> None:
    """SIGTERM ends the benchmark through its ``finally`` (its servers stopped), not at once."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


def peak_rss_self_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
