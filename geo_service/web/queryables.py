"""OGC API - Features Part 3: ``/collections/{id}/queryables`` (JSON Schema or HTML)."""

from __future__ import annotations

from flask import Blueprint, request, url_for

from geo_service.query.params import check_query
from geo_service.query.selection import SCHEMA_JSON, queryables_schema
from geo_service.web.http import HTML, JSON
from geo_service.web.ogc import AS_HTML, SELF, catalog, link, respond

bp = Blueprint("queryables", __name__)


@bp.get("/collections/<collection_id>/queryables")
def queryables(collection_id: str):
    check_query(request.args, "queryables")
    layer = catalog().get(collection_id)
    values = {"collection_id": layer.id}

    def payload() -> dict:
        schema_id = url_for("queryables.queryables", _external=True, **values)
        schema = queryables_schema(layer, catalog().fields, schema_id)
        schema["links"] = [
            link("queryables.queryables", "self", SCHEMA_JSON, SELF, f="json", **values),
            link("queryables.queryables", "alternate", HTML, AS_HTML, f="html", **values),
            link("ogc.collection", "collection", JSON, layer.title, **values),
        ]
        return schema

    # a client that asks for plain JSON (GDAL: "application/geo+json, application/json") gets
    # the same document as application/json; everyone else JSON Schema's own media type
    accept = request.accept_mimetypes
    json_type = JSON if accept[JSON] > accept[SCHEMA_JSON] else SCHEMA_JSON
    return respond(payload, "queryables.html", json_type=json_type, layer=layer, title=layer.title)
