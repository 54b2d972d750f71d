"""HTML pages: the interactive map at ``/`` (which is also the OGC landing page as JSON)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from geo_service.geo.units import GK_AREA_CRS, SQUARE_METRES_PER_HECTARE, SQUARE_METRES_PER_MU
from geo_service.render.map import build_map
from geo_service.web.http import HTML, JSON, cached_response, wanted_format
from geo_service.web.ogc import catalog, landing_payload

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    """The map for browsers; the OGC API landing page for JSON clients (``f=json``)."""
    if wanted_format() == "json":
        return cached_response(landing_payload, JSON)

    return cached_response(render_map_page, HTML)


#: What the map page's tools (static/map_tools.js, map_search.js) take from the server's
#: single definitions: the area units and the GK zone of whole-city figures (EPSG:4545, zone 36).
MAP_TOOLS = {
    "mu_m2": SQUARE_METRES_PER_MU,
    "hectare_m2": SQUARE_METRES_PER_HECTARE,
    "gk_default_zone": int(GK_AREA_CRS.removeprefix("EPSG:")) - 4534 + 25,
}


def render_map_page() -> str:
    cat = catalog()
    return render_template(
        "map.html",
        page=build_map(cat, current_app.config),
        catalog=cat,
        config=current_app.config,
        tools=MAP_TOOLS,
    )
