"""OGC API - Tiles over HTTP: the tile matrix sets, each collection's vector tileset, and its
tiles as Mapbox Vector Tiles. Thin: parse, ask geo_service.tiles, shape the answer."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request, url_for

from geo_service.errors import NotFound
from geo_service.messages import Msg
from geo_service.query.params import check_query
from geo_service.tiles import matrix, metadata
from geo_service.tiles.service import MEDIA_TYPE, TileService, of_app
from geo_service.web.http import JSON, cached_response, takes_gzip, wanted_format
from geo_service.web.ogc import SELF, catalog, layer_title, link, served_layer

bp = Blueprint("tiles", __name__)
TEMPLATE = "/{tileMatrix}/{tileRow}/{tileCol}"


def service() -> TileService:
    return of_app(current_app)


def tile_link(rel: str, target) -> dict:
    """The links of the tiles documents (``target``: a layer, a tile matrix set id or None)."""
    if rel == "tiling-scheme":
        found = link("tiles.tile_matrix_set", rel, JSON, Msg("tiles.link_tms"), tms_id=target)
    elif rel == "self" and target is None:
        found = link("tiles.tile_matrix_sets", rel, JSON, SELF)
    elif rel == "collection":
        found = link("ogc.collection", rel, JSON, layer_title(target), collection_id=target.id)
    elif rel == "item":
        values = {"collection_id": target.id, "tms_id": matrix.TMS_ID}
        href = url_for("tiles.tileset", _external=True, **values) + TEMPLATE
        title = Msg("tiles.link_tile").text()
        return {"href": href, "rel": rel, "type": MEDIA_TYPE, "title": title, "templated": True}
    else:
        found = link(
            "tiles.tileset",
            rel,
            JSON,
            Msg("tiles.link_tileset"),
            collection_id=target.id,
            tms_id=matrix.TMS_ID,
        )
    return found


@bp.get("/tileMatrixSets")
def tile_matrix_sets():
    check_query(request.args, "tile_matrix_sets")
    wanted_format(("json",))
    return cached_response(lambda: metadata.tile_matrix_sets(tile_link), JSON)


@bp.get("/tileMatrixSets/<tms_id>")
def tile_matrix_set(tms_id: str):
    check_query(request.args, "tile_matrix_set")
    wanted_format(("json",))
    known_tms(tms_id)
    return cached_response(matrix.definition, JSON)


def known_tms(tms_id: str) -> None:
    if tms_id != matrix.TMS_ID:
        raise NotFound("tiles.no_tms", tms=tms_id[:80], known=matrix.TMS_ID)


@bp.get("/collections/<collection_id>/tiles")
def tilesets(collection_id: str):
    check_query(request.args, "tilesets")
    wanted_format(("json",))
    layer = catalog().get(collection_id)

    def payload() -> dict:
        values = {"collection_id": layer.id}
        return {
            "tilesets": [metadata.tileset_summary(layer, tile_link)],
            "links": [
                link("tiles.tilesets", "self", JSON, SELF, **values),
                link("ogc.collection", "collection", JSON, layer_title(layer), **values),
            ],
        }

    return cached_response(payload, JSON)


@bp.get("/collections/<collection_id>/tiles/<tms_id>")
def tileset(collection_id: str, tms_id: str):
    check_query(request.args, "tileset")
    wanted_format(("json",))
    known_tms(tms_id)
    layer = served_layer(collection_id)
    cap = current_app.config["TILE_MAX_FEATURES"]
    return cached_response(lambda: metadata.tileset(catalog(), layer, tile_link, cap), JSON)


@bp.get("/collections/<collection_id>/tiles/<tms_id>/<z>/<y>/<x>")
def tile(collection_id: str, tms_id: str, z: str, y: str, x: str):
    check_query(request.args, "tile")
    wanted_format(("mvt",))
    known_tms(tms_id)
    layer = served_layer(collection_id)
    wanted = matrix.parse_tile(z, y, x)
    tiles = service()
    if not tiles.within(catalog(), layer, wanted):
        raise NotFound("tiles.outside_data", layer=layer.id, z=wanted.z, y=wanted.y, x=wanted.x)
    private = current_app.config.get("AUTH", "none") != "none"
    past = "version" in request.args
    headers = {
        "ETag": f'"{tiles.etag(catalog(), layer, wanted)}"',
        "Vary": "Accept-Encoding",
        # a past version never changes; the current one is revalidated (a new version: new tag)
        "Cache-Control": ("private, " if private else "")
        + ("max-age=86400" if past else "no-cache"),
    }
    if request.if_none_match.contains_weak(headers["ETag"].strip('"')):
        return Response(status=304, headers=headers)
    body = tiles.tile(catalog(), layer, wanted, current_app.extensions["geo_service.store"])
    data = body.raw
    if body.gzipped is not None and takes_gzip():
        data, headers["Content-Encoding"] = body.gzipped, "gzip"
    return Response(data, mimetype=MEDIA_TYPE, headers=headers)
