"""Layer versions over HTTP: the list, one version with its diff, and revert (planner).

Thin: parse, call geo_service.layer_versions, shape the answer (JSON or the HTML pages).
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for

from geo_service import formats
from geo_service import layer_versions as lv
from geo_service.catalog import Layer, store_served
from geo_service.clock import local_time
from geo_service.errors import BadRequest
from geo_service.messages import Msg, text_of
from geo_service.query.params import check_query
from geo_service.web.http import GEOJSON, HTML, JSON, cached_response, wanted_format
from geo_service.web.ogc import (
    AS_HTML,
    SELF,
    catalog,
    download_offers,
    layer_title,
    link,
    page_head_links,
)
from geo_service.web.security import current_user

bp = Blueprint("versions", __name__)


@bp.app_template_filter("version_time")
def version_time(iso: str) -> str:
    """A version's time in the service's time zone, as the register's pages show times."""
    return local_time(iso, current_app.config["TIME_ZONE"])


def store():
    return current_app.extensions["geo_service.store"]


@bp.get("/collections/<collection_id>/versions")
def versions(collection_id: str):
    check_query(request.args, "versions")
    layer = catalog().get(collection_id)

    def payload() -> dict:
        data = lv.history(store(), layer)
        values = {"collection_id": layer.id}
        data["links"] = [
            link("versions.versions", "self", JSON, SELF, f="json", **values),
            link("versions.versions", "alternate", HTML, AS_HTML, f="html", **values),
            link("ogc.collection", "collection", JSON, layer_title(layer), **values),
        ]
        for entry in data["versions"]:
            entry["links"] = version_links(layer.id, entry["number"])
        return data

    return respond(
        payload,
        "versions.html",
        title=f"{layer.title} · 版本",
        may_revert=current_user().may("planner"),
        download=lambda v: version_download(layer, v["number"], v["feature_count"]),
    )


def version_download(layer: Layer, number: int, feature_count: int) -> dict:
    """A version row's download: the default of the formats its download answers, the test
    layer_versions.layer_at makes (a version of more than LAYER_MEMORY_MAX_FEATURES is served
    from the store: GeoJSON only), with its note; ``href``, ``title``, ``note``."""
    if number == layer.version:
        in_store = layer.in_store
    else:
        in_store = store_served(layer.id, feature_count, catalog().memory_max)
    key = formats.default_layer_download(in_store)
    notes = {fmt.key: note for fmt, note in download_offers(in_store, feature_count)}
    return {
        "href": url_for("exports.layer_download", collection_id=layer.id, version=number, f=key),
        "title": formats.LAYER_DOWNLOADS[key].title(),
        "note": text_of(notes[key]),
    }


def respond(payload_fn, template: str, **context):
    """JSON (cached, with ETag) or the HTML page. The pages are not cached: they show the
    revert form to planners only, with the session's CSRF token."""
    if wanted_format() == "html":
        data = payload_fn()
        links = page_head_links(data.get("links", []))
        return render_template(template, data=data, head_links=links, **context)
    return cached_response(payload_fn, JSON)


def version_links(layer_id: str, number: int) -> list[dict]:
    values = {"collection_id": layer_id}
    return [
        link(
            "versions.version",
            "version",
            JSON,
            Msg("versions.link_version", number=number),
            number=number,
            **values,
        ),
        link(
            "ogc.items",
            "items",
            GEOJSON,
            Msg("ogc.link_items_geojson"),
            f="json",
            version=number,
            **values,
        ),
    ]


@bp.get("/collections/<collection_id>/versions/<number>")
def version(collection_id: str, number: str):
    check_query(request.args, "layer_version")
    layer = catalog().get(collection_id)
    wanted = lv.version_number(number)
    against = (
        lv.version_number(request.args["against"], "against") if "against" in request.args else None
    )
    html = wanted_format() == "html"

    def payload() -> dict:
        data = lv.detail(store(), layer, wanted, against, html, catalog().memory_max)
        values = {"collection_id": layer.id}
        data["links"] = [
            link("versions.version", "self", JSON, SELF, f="json", number=wanted, **values),
            link("versions.version", "alternate", HTML, AS_HTML, f="html", number=wanted, **values),
            link("versions.versions", "versions", JSON, Msg("versions.link_list"), **values),
            *version_links(layer.id, wanted)[1:],
            link(
                "exports.layer_download",
                "enclosure",
                "application/geopackage+sqlite3",
                Msg("versions.link_download"),
                f="gpkg",
                version=wanted,
                **values,
            ),
        ]
        return data

    return respond(
        payload,
        "version.html",
        title=f"{layer.title} · 第 {wanted} 版",
        layer=layer,
        may_revert=current_user().may("planner"),
    )


@bp.post("/collections/<collection_id>/versions/<number>/revert")
def revert_version(collection_id: str, number: str):
    """A new version equal to version ``number`` (planner)."""
    layer = catalog().get(collection_id)
    wanted = lv.version_number(number)
    message, based_on = revert_body()
    tagged = lv.check_tag(store(), layer.id, request.headers.get("If-Match"))
    based_on = tagged if tagged is not None else based_on
    g.audit_detail = {"layer": layer.id, "from": layer.version, "to": wanted}
    store().version(layer.id, wanted)  # 404 naming the versions there are
    if wanted == layer.version:
        raise BadRequest("versions.revert_current", number=wanted, layer=layer.id)
    made = lv.revert(
        store(),
        catalog(),
        layer.id,
        wanted,
        user=current_user().name or "anonymous",
        message=message,
        based_on=based_on,
    )
    g.audit_detail["version"] = made.number
    location = url_for(
        "versions.version", collection_id=layer.id, number=made.number, _external=True
    )
    if not request.is_json and wanted_format() == "html":
        return redirect(
            url_for("versions.version", collection_id=layer.id, number=made.number, f="html"), 303
        )
    answer = lv.summary(made, made.number)
    answer["links"] = version_links(layer.id, made.number)
    return answer, 201, {"Location": location}


def revert_body() -> tuple[str, int | None]:
    """``message`` and ``based_on`` from a JSON object or a form (both optional)."""
    if request.is_json:
        body = request.get_json(silent=True)
        if body is None and request.get_data(cache=True):
            raise BadRequest("versions.bad_body")
        body = body if body is not None else {}
        if not isinstance(body, dict):
            raise BadRequest("versions.bad_body")
    else:
        body = request.form
    message = body.get("message") or ""
    if not isinstance(message, str):
        raise BadRequest("versions.bad_body")
    raw = body.get("based_on")
    if raw in (None, ""):
        return message, None
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise BadRequest("versions.bad_number", name="based_on", value=str(raw)[:40])
    return message, lv.version_number(str(raw), "based_on")
