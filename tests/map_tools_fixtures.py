"""Helpers shared by the map tools' browser tests (test_map_search.py, test_map_tools.py): the
map page opened at 1366x768 and reset between tests, reading the search results and popups,
clicking the map at a lon/lat, reading the measuring panel.
"""

from __future__ import annotations

import contextlib
import re

from pyproj import Geod, Transformer
from test_browser import open_page

GEOD = Geod(ellps="GRS80")  # the CGCS2000 ellipsoid
JUNK = re.compile(r"\b(null|undefined|NaN)\b")


def to_gk(epsg: int) -> Transformer:
    return Transformer.from_crs("EPSG:4490", f"EPSG:{epsg}", always_xy=True)


@contextlib.contextmanager
def map_page(browser, base_url: str):
    """The map page with its tools ready (a Visit: page and the JS errors seen)."""
    visit = open_page(browser, base_url, "/", "body[data-map-ready]", viewport=(1366, 768))
    visit.page.wait_for_function("() => window.GS_TOOLS && !GS_MAP.map._animatingZoom")
    try:
        yield visit
    finally:
        visit.page.context.close()


@contextlib.contextmanager
def fresh(visit):
    """The shared page reset to its opening state; fails on any JS error meanwhile."""
    visit.page.evaluate("""() => {
        GS_SEARCH.reset(); GS_SEARCH.zone.value = "36"; GS_TOOLS.clear(); GS_MAP.map.closePopup();
        document.getElementById("gs-cluster").value = ""; GS_MAP.applyFilter("");
    }""")
    before = len(visit.errors)
    yield visit.page
    assert visit.errors[before:] == [], visit.errors[before:]


def results(page) -> list[dict]:
    return page.evaluate("""() => Array.from(document.querySelectorAll(".gs-search-result"))
        .map(li => ({
            name: li.querySelector(".gs-sr-name").textContent,
            kind: li.querySelector(".gs-sr-kind").textContent,
            active: li.classList.contains("gs-active"),
        }))""")


def popup_text(page) -> str:
    popup = page.locator(".leaflet-popup-content").last  # an older one may still be fading out
    popup.wait_for(timeout=5000)
    text = popup.inner_text()
    assert text.strip() and not JUNK.search(text), text
    return text


def located(page, text: str, zone: str | None = None) -> dict:
    page.fill("#gs-search-input", text)
    if zone:
        page.select_option("#gs-search-zone", zone)
    first = results(page)[0]
    assert first["name"].startswith("定位 "), first
    page.press("#gs-search-input", "Enter")
    popup = popup_text(page)
    where = page.evaluate("""() => {
        const ll = GS_SEARCH.state.marker.getLatLng();
        return {lon: ll.lng, lat: ll.lat, county: GS_SEARCH.state.location.county,
                inView: GS_MAP.map.getBounds().contains(ll)};
    }""")
    assert where["inView"]
    return {
        **where,
        "popup": popup,
        "kind": first["kind"],
        "status": page.inner_text(".gs-search-status"),
    }


def screen_point(page, lat: float, lon: float) -> tuple[float, float]:
    return tuple(
        page.evaluate(
            """([lat, lon]) => {
                const p = GS_MAP.map.latLngToContainerPoint([lat, lon]);
                const box = GS_MAP.map.getContainer().getBoundingClientRect();
                return [box.left + p.x, box.top + p.y];
            }""",
            [lat, lon],
        )
    )


def click_map(page, lat: float, lon: float) -> None:
    x, y = screen_point(page, lat, lon)
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    page.wait_for_timeout(80)  # Leaflet.draw takes no new vertex for 50 ms after one


def measured_vertices(page) -> list[tuple[float, float]]:
    """The measured shape's vertices as the tool recorded them (lon, lat)."""
    return [
        (p["lng"], p["lat"])
        for p in page.evaluate("() => GS_TOOLS.measured.getLayers().at(-1)._gsTrue")
    ]


def panel_rows(page) -> dict[str, str]:
    return dict(
        page.evaluate("""() => Array.from(document.querySelectorAll("#gs-measure-panel tr"))
            .map(tr => [tr.querySelector("th").textContent, tr.querySelector("td").textContent])""")
    )


def number(text: str, unit: str) -> float:
    """The figure before ``unit`` in ``text``: "1,234.56 m²" → 1234.56."""
    match = re.search(r"([\d,]+(?:\.\d+)?) " + re.escape(unit) + r"(?![\w²])", text)
    assert match, (text, unit)
    return float(match.group(1).replace(",", ""))


def assert_clicked_where_meant(page, points, vertices) -> None:
    assert len(vertices) == len(points)
    for (lat, lon), (vlon, vlat) in zip(points, vertices):
        a, b = screen_point(page, lat, lon), screen_point(page, vlat, vlon)
        assert abs(a[0] - b[0]) <= 1.5 and abs(a[1] - b[1]) <= 1.5, (a, b)


LINE = [(32.690, 108.950), (32.705, 108.962), (32.700, 108.985), (32.712, 109.010)]
AREA = [(32.688, 108.950), (32.690, 108.992), (32.712, 108.996), (32.709, 108.955)]
