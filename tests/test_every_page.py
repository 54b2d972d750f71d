"""Every page, in its normal and its error states, as a person sees it (Chromium, zh-CN).

Each visit fails on any JS error, on "null", "undefined" or "NaN" shown to a person, and on
a sentence in English only. A page route nobody visits here fails the test too: a new page
must be added to PAGES (or, if it is not a page, to NOT_PAGES).

The interactive states of /check (a result, a refused file, a second upload) and /analysis
(every tab, a refused import, bad distance bands) are driven in tests/test_desk_pages.py with
the same assert_readable.
"""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from land_fixtures import PARCEL_SHAPES, collection
from test_browser import open_page
from test_desk_pages import assert_readable
from test_jobs import post_file

from geo_service import create_app
from geo_service.testing import running_service

pytestmark = pytest.mark.browser

#: GET routes that answer data, files or redirects, never a page a person reads.
NOT_PAGES = {
    "/static/<path:filename>",
    "/api/me",
    "/api/health",
    "/api/health/ready",
    "/api/users",
    "/api/tokens",
    "/api/audit",
    "/api/checks",
    "/api/checks/<check_id>/parcels",
    "/api/rechecks",
    "/api/snapshot",
    "/collections/<collection_id>/download",
    "/collections/<collection_id>/items/<feature_id>/history",
    "/api/analysis/<kind>",
    "/api/analysis/targets/template",
    "/api/locate",
    # OGC API - Tiles: JSON documents and Mapbox Vector Tiles only (tests/test_tiles.py)
    "/tileMatrixSets",
    "/tileMatrixSets/<tms_id>",
    "/collections/<collection_id>/tiles",
    "/collections/<collection_id>/tiles/<tms_id>",
    "/collections/<collection_id>/tiles/<tms_id>/<z>/<y>/<x>",
}

#: Page routes -> (path, what must be on it when it is ready) for each state visited.
#: "{check}" is a stored check's id, "{item}" the first zone's id.
PAGES = {
    "/": [("/", "body[data-map-ready]")],
    "/check": [("/check", "body[data-check-ready]")],
    "/analysis": [("/analysis", "body[data-analysis-ready]")],
    "/login": [("/login", "body")],
    "/admin": [("/admin", "body")],
    "/conformance": [("/conformance?f=html", "main")],
    "/api": [("/api?f=html", "body")],
    "/collections": [("/collections?f=html", "main")],
    "/collections/<collection_id>": [
        ("/collections/zones?f=html", "main"),
        ("/collections/no-such-layer?f=html", "main"),
    ],
    "/collections/<collection_id>/items": [
        ("/collections/zones/items?f=html", "main"),
        ("/collections/zones/items?f=html&limit=abc", "main"),
        ("/collections/zones/items?f=html&bbox=1,2,3", "main"),
        ("/collections/zones/items?f=html&bbox=200,0,210,10", "main"),
        ("/collections/zones/items?f=html&filter=name%20LIKE%20%27%25%E5%8C%BA%27", "main"),
        ("/collections/zones/items?f=html&filter=name%20%3D", "main"),
    ],
    "/collections/<collection_id>/queryables": [("/collections/zones/queryables?f=html", "main")],
    "/collections/<collection_id>/versions": [
        ("/collections/zones/versions?f=html", "main"),
        ("/collections/no-such-layer/versions?f=html", "main"),
    ],
    "/collections/<collection_id>/versions/<number>": [
        ("/collections/zones/versions/1?f=html", "main"),
        ("/collections/zones/versions/99?f=html", "main"),
    ],
    "/collections/<collection_id>/import": [
        ("/collections/zones/import", "body[data-import-ready]"),
        ("/collections/no-such-layer/import", "main"),
    ],
    "/collections/<collection_id>/items/<feature_id>": [
        ("/collections/zones/items/{item}?f=html", "main"),
        ("/collections/zones/items/no-such-zone?f=html", "main"),
    ],
    "/api/checks/<check_id>": [
        ("/api/checks/{check}?f=html", "body"),
        ("/api/checks/no-such-check?f=html", "main"),
    ],
    "/rechecks": [("/rechecks", "body")],
    "/api/rechecks/<recheck_id>": [("/api/rechecks/no-such-recheck?f=html", "main")],
    # a download: the offline map file, opened from disk as a user opens it
    "/export/map.html": [("/export/map.html", "download")],
    # not a route: the error page of an address that does not exist
    None: [("/no-such-page", "main"), ("/collections/zones/items/x/y?f=html", "main")],
}


def page_rules() -> set[str]:
    app = create_app({"TESTING": True, "AUTH": "none"})
    return {r.rule for r in app.url_map.iter_rules() if "GET" in r.methods}


def test_every_page_route_is_visited():
    rules = page_rules()
    unvisited = rules - NOT_PAGES - set(PAGES)
    assert not unvisited, (
        f"page routes no test visits (add them to PAGES or NOT_PAGES): {unvisited}"
    )
    assert not (set(PAGES) - {None} - rules), "PAGES lists routes the app no longer has"


@pytest.fixture(scope="module")
def served():
    """A service with one stored check (the known-by-construction parcels)."""
    with running_service() as url:
        status, answer = post_file(url, collection(PARCEL_SHAPES, 36), "地块.geojson")
        assert status in (201, 202)
        check = answer["id"]
        deadline = time.monotonic() + 60
        while answer.get("status") not in ("done", None) and time.monotonic() < deadline:
            time.sleep(0.3)
            with urllib.request.urlopen(f"{url}/api/checks/{check}") as response:
                answer = json.load(response)
        with urllib.request.urlopen(f"{url}/collections/zones/items?limit=1") as response:
            item = json.load(response)["features"][0]["id"]
        yield url, {"check": check, "item": item}


VISITS = [(rule, path, ready) for rule, states in PAGES.items() for path, ready in states]


@pytest.mark.parametrize(("rule", "path", "ready"), VISITS, ids=[v[1] for v in VISITS])
def test_page_reads_as_chinese_without_errors(browser, served, tmp_path, rule, path, ready):
    url, ids = served
    if ready == "download":
        saved = tmp_path / "map.html"
        saved.write_bytes(urllib.request.urlopen(url + path).read())
        url, path, ready = saved.parent.as_uri(), "/map.html", "body[data-map-ready]"
    visit = open_page(browser, url, path.format(**ids), ready)
    try:
        visit.page.wait_for_load_state("networkidle")
        assert_readable(visit.page)
        # the document's own 4xx (an error state) is expected; nothing else may fail
        document = url + path.format(**ids)
        errors = [e for e in visit.errors if "status of 4" not in e]
        assert errors == [], f"JS errors on {path}: {errors}"
        failed = [f for f in visit.failed if not f.endswith(document.split(url, 1)[1])]
        assert [f for f in failed if not f.startswith("4")] == [], failed
        title = visit.page.title()
        assert title and any("\u4e00" <= ch <= "\u9fff" for ch in title), title
    finally:
        visit.page.context.close()


@pytest.fixture(scope="module")
def with_accounts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("accounts")
    env = {"GEO_SERVICE_AUTH": "local", "GEO_SERVICE_AUTH_DB": str(folder / "auth.sqlite")}
    with running_service(env) as url:
        yield url


@pytest.mark.parametrize(
    ("path", "ready"), [("/login", "form"), ("/admin", "body"), ("/check", "body")]
)
def test_pages_behind_a_login_read_as_chinese(browser, with_accounts, path, ready):
    visit = open_page(browser, with_accounts, path, ready)
    try:
        assert_readable(visit.page)
        assert [e for e in visit.errors if "status of 4" not in e] == []
    finally:
        visit.page.context.close()


def test_a_wrong_password_is_said_in_chinese(browser, with_accounts):
    visit = open_page(browser, with_accounts, "/login", "form")
    page = visit.page
    try:
        page.fill("input[name=name]", "admin")
        page.fill("input[name=password]", "not-the-password")
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert_readable(page)
        assert "密码" in page.locator("body").inner_text()
        assert [e for e in visit.errors if "status of 4" not in e] == []
    finally:
        page.context.close()
