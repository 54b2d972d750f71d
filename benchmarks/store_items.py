"""Items request rate before the store (main at fd2f0ce, layers read from files into memory)
against the current build (layers served from the store), in the same run: with
``Catalog.refresh`` asked on every request (``LAYER_REFRESH_SECONDS=0``) and throttled (the
default, at most once a second); and the cost of one refresh.

Baseline **before the store**: a worktree of fd2f0ce (``git -C /work/main worktree add
/tmp/prestore fd2f0ce``, or ``--before PATH``). Each build runs in its own subprocess (its own
``geo_service`` imported from its own tree, a scratch instance), through the Flask test client
(the app's whole request path: parsing, selection, JSON, gzip, ETag, body cache); the builds
alternate round by round so a busy neighbour slows them alike; best of ``--rounds``.

Requests: ``/collections/zones/items?limit=100``, ``/collections/counties/items``, one zone
item, a bbox query on zones. Each *warm* (the same URL again: the body cache answers, so the
per-request work around it shows most) and, for the item lists, *cold* (the limit varies, so
every answer is built).

    PYTHONPATH=. .venv/bin/python benchmarks/store_items.py [--seconds 1.5] [--rounds 3]

Prints req/s per request and build, the ratio current/before, each build's peak RSS, and the
time of one ``Catalog.refresh`` (one ``SELECT id, current FROM layers``) against one request.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
BBOX = "108.6,32.4,109.4,33.0"
REQUESTS = {
    "zones?limit=100": "/collections/zones/items?limit=100",
    "counties": "/collections/counties/items",
    "one zone": None,  # /collections/zones/items/<first id>, found at start
    "zones bbox": f"/collections/zones/items?bbox={BBOX}",
}
COLD = {"zones?limit=100", "counties", "zones bbox"}


# ---- in a build's subprocess ---------------------------------------------------------------


def rate(client, url_of, seconds: float) -> float:
    """Requests per second for ``seconds`` (``url_of(i)`` gives the i-th URL)."""
    count, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        response = client.get(url_of(count), headers={"Accept-Encoding": "gzip"})
        if response.status_code != 200:
            raise SystemExit(f"{url_of(count)}: {response.status_code}")
        count += 1
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def cold_url(url: str):
    """The URL with a different limit each time (same features: the layers are small)."""
    base, _, query = url.partition("?")
    rest = "&".join(p for p in query.split("&") if p and not p.startswith("limit="))

    def url_of(i: int) -> str:
        return f"{base}?limit={1000 + i}" + (f"&{rest}" if rest else "")

    return url_of


def measure(seconds: float, refresh: float | None) -> dict:
    """One round in this build: every request warm (and cold), the refresh cost."""
    from geo_service import create_app

    scratch = tempfile.mkdtemp(prefix="bench-store-")
    config = {
        "TESTING": True,
        "AUTH": "none",
        "AUTH_DB": f"{scratch}/auth.sqlite",
        "CHECKS_DB": f"{scratch}/checks.sqlite",
        "ACTUALS_DB": f"{scratch}/actuals.sqlite",
    }
    if refresh is not None:
        config["LAYER_REFRESH_SECONDS"] = refresh
    app = create_app(config)
    client = app.test_client()
    first = client.get("/collections/zones/items?limit=1").get_json()["features"][0]["id"]
    urls = {**REQUESTS, "one zone": f"/collections/zones/items/{first}"}
    out: dict = {"warm": {}, "cold": {}}
    for name, url in urls.items():
        client.get(url)  # warm the body cache and the code paths
        out["warm"][name] = rate(client, lambda _i, u=url: u, seconds)
        if name in COLD:
            out["cold"][name] = rate(client, cold_url(url), seconds)
    store = app.extensions.get("geo_service.store")
    if store is not None:  # the current build: one refresh, alone, many times
        catalog = app.extensions["geo_service.catalog"]
        n, start = 2000, time.perf_counter()
        for _ in range(n):
            catalog.refresh(store)
        out["refresh_s"] = (time.perf_counter() - start) / n
    out["rss_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


# ---- the driver ----------------------------------------------------------------------------


def run_build(tree: Path, seconds: float, refresh: float | None) -> dict:
    more = [] if refresh is None else ["--refresh", str(refresh)]
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--one-round", str(seconds), *more],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise SystemExit(f"{tree}: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def best(rounds: list[dict], mode: str, name: str) -> float:
    return max(r[mode][name] for r in rounds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="/tmp/prestore", help="worktree of fd2f0ce")
    parser.add_argument("--seconds", type=float, default=1.5, help="per request and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--one-round", type=float, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--refresh", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_round is not None:
        print(json.dumps(measure(args.one_round, args.refresh)))
        return 0
    if not (Path(args.before) / "geo_service" / "__init__.py").is_file():
        raise SystemExit(f"no geo_service in {args.before}: git worktree add it (see above)")
    #: name -> (tree, LAYER_REFRESH_SECONDS or None for the build's own default)
    builds = {
        "before": (Path(args.before), None),
        "every": (HERE, 0.0),  # the store, Catalog.refresh on every request
        "throttled": (HERE, None),  # the store, LAYER_REFRESH_SECONDS as configured (1 s)
    }
    rounds: dict[str, list[dict]] = {name: [] for name in builds}
    for _ in range(args.rounds):
        for name, (tree, refresh) in builds.items():
            rounds[name].append(run_build(tree, args.seconds, refresh))
    print(f"items request rate, req/s, best of {args.rounds} × {args.seconds} s, same run")
    print("before = fd2f0ce (no store); every = store, refresh per request; throttled = store,")
    print("refresh at most once per LAYER_REFRESH_SECONDS (default 1 s)")
    print(f"{'request':<24}{'before':>8}{'every':>8}{'ratio':>7}{'throttled':>10}{'ratio':>7}")
    for mode in ("warm", "cold"):
        for name in rounds["before"][0][mode]:
            b, e, t = (best(rounds[k], mode, name) for k in ("before", "every", "throttled"))
            print(f"{mode + ' ' + name:<24}{b:>8.0f}{e:>8.0f}{e / b:>7.2f}{t:>10.0f}{t / b:>7.2f}")
    for name, results in rounds.items():
        print(f"peak RSS {name}: {max(r['rss_peak_mb'] for r in results):.0f} MB")
    refresh = min(r["refresh_s"] for r in rounds["every"])
    warm = best(rounds["throttled"], "warm", "zones?limit=100")
    print(
        f"one Catalog.refresh (SELECT id, current FROM layers): {refresh * 1e6:.0f} µs = "
        f"{refresh * warm * 100:.1f} % of a warm zones?limit=100 request ({1e6 / warm:.0f} µs)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
