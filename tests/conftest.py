"""Fixtures, one per concern: the app, its test client, a real server, the catalog, a browser."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import waitress

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


def start_server(app) -> tuple[str, waitress.server.BaseWSGIServer]:
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    return f"http://127.0.0.1:{server.effective_port}", server


@pytest.fixture(scope="session")
def live_server(app):
    """The app on waitress (the production server) on a free loopback port."""
    url, server = start_server(app)
    yield url
    server.close()


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

