"""OGC API - Features Part 1 (core, GeoJSON, HTML) over the layer catalog."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, current_app, render_template, request, url_for

from geo_service import formats
from geo_service.catalog import Catalog, Layer
from geo_service.feature_edits import CONFORMANCE as PART4
from geo_service.feature_edits import feature_tag
from geo_service.layer_source import shapes_of
from geo_service.messages import Msg, text_of
from geo_service.query import crs as part2
from geo_service.query import selection
from geo_service.query.params import carried, check_query, datetime_param, int_param, limit_param
from geo_service.render.styles import display_value
from geo_service.tiles import metadata as tiles
from geo_service.web.http import (
    GEOJSON,
    HTML,
    JSON,
    OPENAPI,
    cached_response,
    language,
    payload_body,
    wanted_format,
)
from geo_service.web.openapi import openapi_document

bp = Blueprint("ogc", __name__)

#: The conformance classes in words, for the HTML page.
CONFORMANCE_ZH = {
    "core": "核心（要素集合、要素、分页）",
    "geojson": "GeoJSON 输出",
    "html": "HTML 网页",
    "oas30": "OpenAPI 3.0 接口说明",
    **selection.CONFORMANCE_ZH,
    "crs": "按引用指定坐标参考系（crs、bbox-crs）",
    "create-replace-delete": "新建、替换、删除要素（POST、PUT、DELETE）",
    "update": "修改要素（PATCH）",
    "features": "要素的编辑（GeoJSON 要素）",
    "optimistic-locking-etags": "乐观锁（If-Match 与 ETag）",
}


@bp.app_template_filter("field_label")
def field_label(field: str) -> str:
    """A property's Chinese label from the catalog's [fields], or the field name itself."""
    return catalog().fields.get(field, field)


@bp.app_template_filter("in_words")
def in_words(value, field: str):
    """A property value as the map's popups show it (precision and citations in words)."""
    shown = display_value(field, value, catalog().precision_labels)
    return "" if shown is None else shown


@bp.app_template_filter("conformance_words")
def conformance_words(uri: str) -> str:
    return tiles.CONFORMANCE_ZH.get(uri) or CONFORMANCE_ZH.get(uri.rsplit("/", 1)[-1], "")


CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    *selection.CONFORMANCE,
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    *PART4,
    *tiles.CONFORMANCE,
]


CRS84 = part2.CRS84
SELF = Msg("ogc.link_self")
AS_HTML = Msg("ogc.link_html")


def catalog() -> Catalog:
    return current_app.extensions["geo_service.catalog"]


def served_layer(collection_id: str) -> Layer:
    """The layer an items, item or download request serves: ``?version=n`` or the current."""
    from geo_service.layer_versions import layer_at, requested_version

    store = current_app.extensions["geo_service.store"]
    return layer_at(store, catalog(), collection_id, requested_version(request.args))


def link(endpoint: str, rel: str, mimetype: str, title: str | Msg, **values) -> dict:
    """A link; a title from the catalogue is written in the client's language."""
    return {
        "href": url_for(endpoint, _external=True, **values),
        "rel": rel,
        "type": mimetype,
        "title": text_of(title, language()),
    }


def download_offers(in_store: bool, count: int) -> list[tuple[formats.OutputFormat, Msg | None]]:
    """The downloads a layer (or a version) offers: exactly the formats its download answers
    (formats.layer_downloads), each with a note for people: a layer served from the store
    says its feature count (from its stored summary: no feature is read) and that it is big."""
    note = Msg("big.download_note", count=f"{count:,}") if in_store else None
    return [(fmt, note) for fmt in formats.layer_downloads(in_store).values()]


def download_links(layer: Layer, **values) -> list[dict]:
    """The layer's downloads for a page (the legend, the collection page): ``href`` (relative),
    ``title`` (the format), ``note`` (Chinese, or empty); ``values``: e.g. ``version=n``."""
    return [
        {
            "key": fmt.key,
            "href": url_for("exports.layer_download", collection_id=layer.id, f=fmt.key, **values),
            "title": fmt.title(),
            "note": text_of(note),
        }
        for fmt, note in download_offers(layer.in_store, layer.count)
    ]


def enclosure_links(layer: Layer) -> list[dict]:
    """The collection's ``enclosure`` links (OGC API - Features: the whole collection as a
    file), one per format its download answers."""
    return [
        link(
            "exports.layer_download",
            "enclosure",
            fmt.media,
            Msg("ogc.link_download_note", format=fmt.title(language()), note=note)
            if note
            else Msg("ogc.link_download", format=fmt.title(language())),
            collection_id=layer.id,
            f=fmt.key,
        )
        for fmt, note in download_offers(layer.in_store, layer.count)
    ]


def respond(payload_fn, template: str, json_type: str = JSON, tag=None, **context):
    """JSON (or GeoJSON) by default, the HTML page when asked for (with the same links as
    ``<link rel>`` in its head, seen from the page: the page is ``self``, JSON ``alternate``).
    ``tag``: the ETag prefix (a single feature's, for If-Match on edits)."""
    if wanted_format() == "html":

        def page() -> str:
            data = payload_fn()
            links = page_head_links(data.get("links", []))
            return render_template(template, data=data, head_links=links, **context)

        return cached_response(page, HTML, tag)
    return cached_response(payload_fn, json_type, tag)


def page_head_links(links: list[dict]) -> list[dict]:
    """A JSON answer's links as its HTML page's: rel self and alternate swapped, the paging
    links (next, prev) to the HTML pages, every href relative (the page's own server)."""
    swapped = {"self": "alternate", "alternate": "self"}
    head = []
    for entry in links:
        rel, href = entry["rel"], entry["href"]
        if rel in swapped and (rel == "self") != (entry["type"] == HTML):
            entry = {**entry, "rel": swapped[rel]}
        elif rel in ("next", "prev"):
            entry = {**entry, "type": HTML}
            href = with_format(href, "html")
        head.append({**entry, "href": urlunsplit(urlsplit(href)._replace(scheme="", netloc=""))})
    return head


def with_format(href: str, fmt: str) -> str:
    """``href`` with its ``f`` parameter set to ``fmt``."""
    parts = urlsplit(href)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "f"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("f", fmt)])))


def landing_payload() -> dict:
    cat = catalog()
    lang = language()
    return {
        "title": cat.title,
        "description": Msg("ogc.landing", title=cat.title_en if lang == "en" else cat.title).text(
            lang
        ),
        "links": [
            link("pages.index", "self", JSON, SELF, f="json"),
            link("pages.index", "alternate", HTML, Msg("ogc.link_map")),
            link("ogc.openapi", "service-desc", OPENAPI, Msg("ogc.link_openapi"), f="json"),
            link("ogc.openapi", "service-doc", HTML, Msg("ogc.link_service_doc"), f="html"),
            link("ogc.conformance", "conformance", JSON, Msg("ogc.link_conformance")),
            link("ogc.collections", "data", JSON, Msg("ogc.link_collections")),
            link(
                "tiles.tile_matrix_sets",
                tiles.REL_TILING_SCHEMES,
                JSON,
                Msg("tiles.link_tiling_schemes"),
            ),
        ],
    }


@bp.get("/conformance")
def conformance():
    check_query(request.args, "conformance")

    def payload() -> dict:
        return {
            "conformsTo": CONFORMANCE,
            "links": [
                link("ogc.conformance", "self", JSON, SELF, f="json"),
                link("ogc.conformance", "alternate", HTML, AS_HTML, f="html"),
            ],
        }

    return respond(payload, "ogc.html", title="符合的标准 Conformance")


@bp.get("/api")
def openapi():
    check_query(request.args, "api")
    fmt = wanted_format(("json", "html"))
    if fmt == "html":
        return cached_response(
            lambda: render_template(
                "ogc.html", data=openapi_document(catalog()), title="接口说明 API (OpenAPI 3.0)"
            ),
            HTML,
        )
    return cached_response(lambda: openapi_document(catalog()), OPENAPI)


@bp.get("/collections")
def collections():
    check_query(request.args, "collections")

    def payload():
        return {
            "links": [
                link("ogc.collections", "self", JSON, SELF, f="json"),
                link("ogc.collections", "alternate", HTML, AS_HTML, f="html"),
            ],
            "collections": [collection_metadata(layer) for layer in catalog().layers.values()],
        }

    return respond(payload, "collections.html", title="图层 Collections")


@bp.get("/collections/<collection_id>")
def collection(collection_id: str):
    check_query(request.args, "collection")
    layer = catalog().get(collection_id)
    return respond(
        lambda: collection_metadata(layer),
        "collection.html",
        title=layer.title,
        offered_crs=part2.OFFERED,
        in_store=layer.in_store,
        downloads=download_links(layer),
    )


def collection_metadata(layer: Layer) -> dict:
    values = {"collection_id": layer.id}
    return {
        "id": layer.id,
        "title": layer.title,
        "title_en": layer.title_en,
        "description": layer.description,
        "itemType": "feature",
        "crs": [c.uri for c in part2.OFFERED],
        "storageCrs": part2.STORAGE.uri,
        "extent": {"spatial": {"bbox": [layer.bbox], "crs": CRS84}},
        "geometry_type": layer.geometry_type,
        "group": layer.group,
        "source": layer.source,
        "licence": layer.licence,
        "precision": layer.precision,
        "schematic": layer.is_schematic,
        "date": layer.date,
        "method": layer.method,
        "style": layer.style,
        "numberOfFeatures": layer.count,
        "links": [
            link("ogc.collection", "self", JSON, SELF, f="json", **values),
            link("ogc.collection", "alternate", HTML, AS_HTML, f="html", **values),
            link("ogc.items", "items", GEOJSON, Msg("ogc.link_items_geojson"), f="json", **values),
            link("ogc.items", "items", HTML, Msg("ogc.link_items_html"), f="html", **values),
            link(
                "versions.versions",
                "version-history",
                JSON,
                Msg("versions.link_list"),
                f="json",
                **values,
            ),
            link(
                "tiles.tilesets",
                tiles.REL_TILESETS_VECTOR,
                JSON,
                Msg("tiles.link_tilesets"),
                **values,
            ),
            link(
                "queryables.queryables",
                selection.QUERYABLES_REL,
                selection.SCHEMA_JSON,
                Msg("cql.link_queryables"),
                **values,
            ),
            # the same document under the drafts' relation, as GDAL's OAPIF driver looks for it
            link(
                "queryables.queryables",
                selection.DRAFT_QUERYABLES_REL,
                JSON,
                Msg("cql.link_queryables"),
                f="json",
                **values,
            ),
            *enclosure_links(layer),
        ],
    }


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str):
    check_query(request.args, "items")
    layer = served_layer(collection_id)
    config = current_app.config
    limit = limit_param(request.args, config["ITEMS_DEFAULT_LIMIT"], config["ITEMS_MAX_LIMIT"])
    offset = int_param(request.args, "offset", 0, 0, 10**9)
    datetime_param(request.args.get("datetime"))  # checked; no layer carries time
    target = part2.parse_crs(request.args.get("crs"))
    bbox_crs = part2.parse_crs(request.args.get("bbox-crs"), "bbox-crs")
    bbox = part2.parse_bbox(request.args.get("bbox"), bbox_crs)
    query = selection.item_query(layer, request.args)
    if layer.in_store or "cursor" in request.args:  # pages from the store (layer_items)
        from geo_service.web.ogc_big import big_items

        payload = big_items(layer, query, bbox, limit, offset, target)
    else:
        payload = memory_items(layer, query, bbox, limit, offset, target)
    answer = respond(
        payload,
        "items.html",
        json_type=GEOJSON,
        layer=layer,
        title=layer.title,
        target=target,
        asked=in_force(request.args),
    )
    return with_content_crs(answer, target)


def memory_items(layer: Layer, query, bbox, limit: int, offset: int, target):
    """The payload function of the items of a layer held in memory."""

    def payload() -> dict:
        matched = query.select(layer, layer.select(bbox))
        page = matched[offset : offset + limit]
        stored = [layer.features[i] for i in page]
        moved = part2.features_in(stored, layer.geometries[page], target)
        features = [query.feature(f) for f in moved]
        return {
            "type": "FeatureCollection",
            "features": features,
            "numberMatched": len(matched),
            "numberReturned": len(features),
            "links": page_links(layer, limit, offset, len(matched)),
        }

    return payload


def in_force(args) -> dict[str, str]:
    """What the items page shows of its query (filter, its language, bbox, bbox-crs, sortby);
    the template escapes them."""
    shown = {name: args[name] for name in ("filter", "bbox", "bbox-crs", "sortby") if name in args}
    if "filter" in shown:
        shown["filter-lang"] = args.get("filter-lang") or "cql2-text"
    return shown


def layer_title(layer: Layer) -> str:
    """The layer's title in the client's language (the ``collection`` links)."""
    return layer.title_en if language() == "en" and layer.title_en else layer.title


def with_content_crs(answer, target):
    """Every GeoJSON answer (and its 304) says its CRS in ``Content-Crs`` (Part 2)."""
    if wanted_format() != "html":
        answer.headers["Content-Crs"] = part2.content_crs(target)
    return answer


def page_links(layer: Layer, limit: int, offset: int, matched: int) -> list[dict]:
    # only the item query's own parameters go into the links (never url_for's keywords)
    args = carried(request.args, "items", "offset")
    values = {"collection_id": layer.id, **args}
    links = [
        link("ogc.items", "self", GEOJSON, Msg("ogc.link_page"), f="json", offset=offset, **values),
        link("ogc.items", "alternate", HTML, AS_HTML, f="html", offset=offset, **values),
        link("ogc.collection", "collection", JSON, layer_title(layer), collection_id=layer.id),
    ]
    if offset + limit < matched:
        links.append(
            link(
                "ogc.items",
                "next",
                GEOJSON,
                Msg("ogc.link_next"),
                f="json",
                offset=offset + limit,
                **values,
            )
        )
    if offset > 0:
        links.append(
            link(
                "ogc.items",
                "prev",
                GEOJSON,
                Msg("ogc.link_prev"),
                f="json",
                offset=max(0, offset - limit),
                **values,
            )
        )
    return links


@bp.get("/collections/<collection_id>/items/<feature_id>")
def item(collection_id: str, feature_id: str):
    check_query(request.args, "item")
    layer = served_layer(collection_id)
    feature = layer.feature(feature_id)
    target = part2.parse_crs(request.args.get("crs"))
    carried_args = carried(request.args, "item")
    answer = respond(
        lambda: item_payload(layer, feature, target, carried_args),
        "item.html",
        json_type=GEOJSON,
        tag=lambda: feature_tag(feature),
        layer=layer,
        title=layer.title,
    )
    return with_content_crs(answer, target)


def item_payload(layer: Layer, feature: dict, target, carried_args: dict) -> dict:
    """One feature as GET /collections/{id}/items/{fid} answers it (in ``target``)."""
    values = {"collection_id": layer.id, "feature_id": feature["id"], **carried_args}
    (moved,) = part2.features_in([feature], shapes_of(layer, feature), target)
    return {
        **moved,
        "links": [
            link("ogc.item", "self", GEOJSON, Msg("ogc.link_feature"), f="json", **values),
            link("ogc.item", "alternate", HTML, AS_HTML, f="html", **values),
            link("ogc.collection", "collection", JSON, layer_title(layer), collection_id=layer.id),
        ],
    }


def item_etag(layer: Layer, feature: dict) -> str:
    """The ETag GET /collections/{id}/items/{fid} (JSON, no query) sends for ``feature`` in
    the client's language: what a write answers with and a 412 names as current."""
    payload = item_payload(layer, feature, part2.DEFAULT, {})
    return payload_body(payload, GEOJSON, feature_tag(feature)).etag
