"""HTML pages: the interactive map at ``/`` (which is also the OGC landing page as JSON)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

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


def render_map_page() -> str:
    cat = catalog()
    return render_template(
        "map.html", page=build_map(cat, current_app.config), catalog=cat, config=current_app.config
    )
