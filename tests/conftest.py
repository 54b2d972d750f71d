"""Fixtures, one per concern: the app, its test client, a real server, the catalog, a browser."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from geo_service import create_app
from geo_service.config import REPO_ROOT

LAYERS_DIR = REPO_ROOT / "layers"
SEEDS_DIR = LAYERS_DIR / "src" / "seeds"


@pytest.fixture(scope="session")
def app():
    return create_app({"TESTING": True})


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def catalog(app):
    return app.extensions["geo_service.catalog"]


@pytest.fixture(scope="session")
def layer_files() -> dict[str, dict]:
    """Every committed layer file, parsed."""
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in LAYERS_DIR.glob("*.geojson")}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_service(env: dict[str, str] | None = None):
    """``python -m geo_service serve`` in its own process, as a user runs it.

    A separate process, not a thread: GDAL holds the GIL while it reads, which would
    deadlock a server thread in the same interpreter.
    """
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "geo_service", "serve", "--port", str(port)],
        cwd=REPO_ROOT, env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"geo_service serve exited: {process.stdout.read()}")
            try:
                urllib.request.urlopen(f"{url}/conformance", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def live_server():
    """The service on waitress (its production server) on a free loopback port."""
    with running_service() as url:
        yield url


@pytest.fixture(scope="session")
def seed_text() -> dict[str, str]:
    """The two plans' text with all white space removed (the PDF text breaks lines anywhere)."""
    texts = {}
    for number, name in (("71", "71hao_chanye_jiqun.txt"), ("72", "72hao_gongye_jizhongqu.txt")):
        raw = (SEEDS_DIR / name).read_text(encoding="utf-8")
        texts[number] = "".join(raw.split())
    return texts


def squash(text: str) -> str:
    return "".join(text.split())



CHROMIUM = os.environ.get("GEO_SERVICE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright.

    Skipped only on a workstation without Chromium; CI sets GEO_SERVICE_REQUIRE_BROWSER=1 so a
    missing browser fails the run instead of silently skipping the page tests.
    """
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium fonts-wqy-microhei)"
        if os.environ.get("GEO_SERVICE_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
