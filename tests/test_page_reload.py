"""A page served again as 304 Not Modified keeps working: the browser keeps its cached body but
takes the 304's Content-Security-Policy, which must allow the same inline scripts (found when a
reload, or the map after logging in, left the map blank: GS_CONFIG blocked by the CSP)."""

from __future__ import annotations

import pytest
from test_browser import open_page


def script_sources(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    return next(d for d in policy.split(";") if d.strip().startswith("script-src"))


@pytest.mark.parametrize("path", ["/", "/check", "/analysis"])
def test_a_304_carries_the_pages_script_hashes(client, path):
    first = client.get(path, headers={"Accept": "text/html"})
    assert first.status_code == 200
    etag = first.headers.get("ETag")
    if etag is None:  # a page rendered every time is never a 304
        return
    again = client.get(path, headers={"Accept": "text/html", "If-None-Match": etag})
    assert again.status_code == 304
    assert script_sources(again) == script_sources(first)
    if path == "/":
        assert "'sha256-" in script_sources(first)  # the map page has inline scripts


@pytest.mark.browser
def test_the_map_works_after_a_reload(browser, live_server):
    visit = open_page(browser, live_server, "/", "body[data-map-ready]")
    try:
        page = visit.page
        page.reload(wait_until="load")
        page.wait_for_selector("body[data-map-ready]", timeout=10_000)
        assert page.evaluate("() => GS_MAP.features('counties').length") == 10
        assert visit.errors == []
    finally:
        visit.page.context.close()
