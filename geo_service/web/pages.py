"""HTML pages: the interactive map at ``/`` (which is also the OGC landing page as JSON)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for

from geo_service.feature_edits import map_edit_config
from geo_service.geo.units import GK_AREA_CRS, SQUARE_METRES_PER_HECTARE, SQUARE_METRES_PER_MU
from geo_service.query.params import check_query
from geo_service.render.map import build_map
from geo_service.render.map_tiles import SCRIPTS as TILE_SCRIPTS
from geo_service.render.sheet import zone_of_crs
from geo_service.web.http import HTML, JSON, cached_response, wanted_format
from geo_service.web.ogc import catalog, download_links, landing_payload, page_head_links

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    """The map for browsers; the OGC API landing page for JSON clients (``f=json``). Only
    the JSON landing page refuses unknown parameters: the map is a page people share, and
    messengers append their own (WeChat's ``from=singlemessage``)."""
    if wanted_format() == "json":
        check_query(request.args, "landing")
        return cached_response(landing_payload, JSON)

    # the head keeps the short relations: a URI relation (OGC's tiling-schemes) would put a
    # foreign address in the page, which the map never fetches but a proxy might flag
    return cached_response(
        lambda: render_map_page(
            page_head_links([k for k in landing_payload()["links"] if "://" not in k["rel"]])
        ),
        HTML,
    )


def tile_url(layer_id: str) -> str:
    """The URL template (Leaflet's {z}/{y}/{x}) of a layer's vector tiles, from the page."""
    base = url_for("tiles.tileset", collection_id=layer_id, tms_id="WebMercatorQuad")
    return base + "/{z}/{y}/{x}"


#: What the map page's tools (static/map_tools.js, map_search.js) take from the server's
#: single definitions: the area units and the GK zone of whole-city figures (EPSG:4545, zone 36).
MAP_TOOLS = {
    "mu_m2": SQUARE_METRES_PER_MU,
    "hectare_m2": SQUARE_METRES_PER_HECTARE,
    "gk_default_zone": zone_of_crs(GK_AREA_CRS),
}


def render_map_page(head_links: list[dict] | None = None, offline: bool = False) -> str:
    """The map; ``head_links`` are the landing page's links (none in the offline file, which
    embeds every layer: a file on a desk has no tiles to ask for)."""
    cat = catalog()
    static_url = lambda path: url_for("static", filename=path)  # noqa: E731
    return render_template(
        "map.html",
        page=build_map(cat, current_app.config, static_url, None if offline else tile_url),
        catalog=cat,
        config=current_app.config,
        tools=MAP_TOOLS,
        tile_scripts=TILE_SCRIPTS,
        edit={
            **map_edit_config(cat),
            "me": url_for("accounts.me"),
            "collections": url_for("ogc.collections"),
        },
        # each layer's own: a layer served from the store offers GeoJSON only, with its size
        downloads={layer.id: download_links(layer) for layer in cat.layers.values()},
        head_links=head_links or [],
    )
