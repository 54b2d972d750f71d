"""Fixtures, one per concern: the app, its test client, a real server, the catalog, a browser."""

from __future__ import annotations

import contextlib
import json
import os

import pytest

from geo_service import create_app
from geo_service.config import REPO_ROOT
from geo_service.store import pg_local
from geo_service.testing import CHROMIUM, CHROMIUM_ARGS, chromium_available, running_service

LAYERS_DIR = REPO_ROOT / "layers"
SEEDS_DIR = LAYERS_DIR / "src" / "seeds"
# The collection ids issue 2 fixes, in catalog order.
COLLECTION_IDS = [
    "counties",
    "reference_rivers",
    "zones",
    "new_materials_bases",
    "clusters",
    "logistics_nodes",
    "logistics_axes",
    "enclave_links",
]


#: The PostGIS pass (GEO_SERVICE_TEST_BACKEND=postgis): the cluster and databases it made.
_postgis = contextlib.ExitStack()


def pytest_configure(config):
    """GEO_SERVICE_TEST_BACKEND=postgis: every app's default store is its own database on a
    throwaway PostGIS cluster (or GEO_SERVICE_TEST_PG_ADMIN_URL's), see store/pg_local.py."""
    if os.environ.get(pg_local.BACKEND_VAR) == "postgis":
        _postgis.enter_context(pg_local.test_backend())


def pytest_unconfigure(config):
    _postgis.close()


def pytest_report_header(config):
    backend = os.environ.get(pg_local.BACKEND_VAR) or "sqlite"
    return f"geo_service store backend: {backend}"


def pytest_sessionfinish(session, exitstatus):
    """Under CI, a skipped test is a failure: CI must run everything, browser and GDAL included."""
    if os.environ.get("GEO_SERVICE_CI") != "1" or exitstatus != 0:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        print(f"\nGEO_SERVICE_CI=1: {len(skipped)} test(s) skipped; CI must run every test")
        session.exitstatus = 1


#: A check answers 201 when it ends within CHECK_SYNC_SECONDS (20 s in production). CI runs
#: the SQLite and PostGIS passes at once on 2 cores, where a worker's start alone can take
#: longer: tests that expect 201 wait up to 120 s; tests of the 202 path set 0 themselves.
SLOW_MACHINE = {"CHECK_SYNC_SECONDS": 120}


def dbs(folder) -> dict:
    """Config putting the check register, the actual figures and the accounts in ``folder``."""
    return {
        "AUTH": "none",
        "AUTH_DB": str(folder / "auth.sqlite"),
        "CHECKS_DB": str(folder / "checks.sqlite"),
        "ACTUALS_DB": str(folder / "actuals.sqlite"),
        **SLOW_MACHINE,
    }


def store_sql(engine, statement: str, **params) -> list | None:
    """One SQL statement (named :params) on a store's engine, committed: the rows it returns.
    For tests that read or plant rows behind the app's back, on SQLite and PostgreSQL alike."""
    from sqlalchemy import text

    with engine.begin() as db:
        result = db.execute(text(statement), params)
        return [tuple(row) for row in result] if result.returns_rows else None


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("register")
    # most tests exercise features, not accounts: test_auth*.py use AUTH="local"
    return create_app({"TESTING": True, **dbs(folder)})


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


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright.

    Skipped on a workstation without Chromium; under CI (GEO_SERVICE_CI=1) every skip fails
    the run (see pytest_sessionfinish), so the page tests cannot silently not run.
    """
    if not chromium_available():
        pytest.skip(
            f"Chromium not found at {CHROMIUM} (apt-get install chromium fonts-wqy-microhei)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
