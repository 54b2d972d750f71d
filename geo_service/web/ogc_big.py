"""The items answer of a layer served from the store (geo_service.layer_items): parse the
cursor, call ``store_items``, shape the GeoJSON and its links (``next`` with the cursor)."""

from __future__ import annotations

import hashlib

from flask import current_app, request

from geo_service.catalog import Layer
from geo_service.layer_items import start_of, store_items
from geo_service.messages import Msg
from geo_service.query.params import carried
from geo_service.web.http import GEOJSON, HTML, JSON


def cursor_key() -> bytes:
    """The key cursors are signed with (from the app's secret: shared by its servers)."""
    secret = current_app.secret_key
    secret = secret.encode() if isinstance(secret, str) else bytes(secret or b"")
    return hashlib.sha256(b"geo_service items cursor\0" + secret).digest()


def big_items(layer: Layer, query, bbox, limit: int, offset: int, target):
    """The payload function of ``/collections/{id}/items`` for a store-served layer (the
    cursor, offset and sortby are checked at once, before any body is made)."""
    from geo_service.web.ogc import AS_HTML, SELF, layer_title, link

    key = cursor_key()
    start = start_of(layer, query, bbox, offset, request.args.get("cursor"), key)
    store = current_app.extensions["geo_service.store"]
    args = carried(request.args, "items", "offset", "cursor")
    here = carried(request.args, "items")

    def payload() -> dict:
        page = store_items(store, layer, query, bbox, limit, start, target, key)
        values = {"collection_id": layer.id}
        links = [
            link("ogc.items", "self", GEOJSON, SELF, f="json", **values, **here),
            link("ogc.items", "alternate", HTML, AS_HTML, f="html", **values, **here),
            link("ogc.collection", "collection", JSON, layer_title(layer), **values),
        ]
        if page.next_cursor is not None:
            links.append(
                link(
                    "ogc.items",
                    "next",
                    GEOJSON,
                    Msg("ogc.link_next"),
                    f="json",
                    cursor=page.next_cursor,
                    **values,
                    **args,
                )
            )
        answer = {"type": "FeatureCollection", "features": page.features}
        if page.matched is not None:
            answer["numberMatched"] = page.matched
        answer["numberReturned"] = len(page.features)
        answer["links"] = links
        return answer

    return payload
