"""OGC API - Features Part 4 over the layers: POST, PUT, PATCH, DELETE of one feature, and
its change history. Parse, call geo_service.feature_edits, shape the answer; one view per
method so that auth.ENDPOINT_ROLES names the role each needs (planner)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime
from urllib.parse import unquote

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from werkzeug.http import parse_etags

from geo_service import edit_body, feature_edits
from geo_service.clock import local_date, local_time
from geo_service.errors import BadRequest, PreconditionFailed, PreconditionRequired, TooLarge
from geo_service.feature_edits import Editor
from geo_service.query import crs as part2
from geo_service.query.params import check_query
from geo_service.web.http import GEOJSON, language
from geo_service.web.ogc import catalog, item_etag, item_payload
from geo_service.web.security import current_user

bp = Blueprint("edits", __name__)

ITEMS = "/collections/<collection_id>/items"
ITEM = "/collections/<collection_id>/items/<feature_id>"
#: Longest X-Change-Message kept (the version's message).
MESSAGE_CHARS = 200


def store():
    return current_app.extensions["geo_service.store"]


@bp.post(ITEMS)
def create_item(collection_id: str):
    check_query(request.args, "edit")
    layer = feature_edits.editable(catalog(), collection_id)
    raw = body_bytes()
    data = edit_body.read_json(raw, request.mimetype)
    body = edit_body.parse_feature(data, content_crs())
    done = feature_edits.create(store(), catalog(), layer.id, body, raw, editor())
    answer = feature_answer(done, 201)
    answer.headers["Location"] = url_for(
        "ogc.item", collection_id=layer.id, feature_id=done.feature["id"], _external=True
    )
    return answer


@bp.put(ITEM)
def replace_item(collection_id: str, feature_id: str):
    check_query(request.args, "edit")
    layer = feature_edits.editable(catalog(), collection_id)
    condition = if_match(feature_id)
    raw = body_bytes()
    body = edit_body.parse_feature(edit_body.read_json(raw, request.mimetype), content_crs())
    with current_etag_on_412(layer.id):
        done = feature_edits.replace(
            store(), catalog(), layer.id, feature_id, body, raw, editor(), condition
        )
    return feature_answer(done, 200)


@bp.patch(ITEM)
def update_item(collection_id: str, feature_id: str):
    check_query(request.args, "edit")
    layer = feature_edits.editable(catalog(), collection_id)
    condition = if_match(feature_id)
    raw = body_bytes()
    data = edit_body.read_json(raw, request.mimetype, patch=True)
    body = edit_body.parse_feature(data, content_crs(), partial=True)
    with current_etag_on_412(layer.id):
        done = feature_edits.update(
            store(), catalog(), layer.id, feature_id, body, raw, editor(), condition
        )
    return feature_answer(done, 200)


@bp.delete(ITEM)
def delete_item(collection_id: str, feature_id: str):
    check_query(request.args, "edit")
    layer = feature_edits.editable(catalog(), collection_id)
    condition = if_match(feature_id)
    with current_etag_on_412(layer.id):
        done = feature_edits.delete(store(), catalog(), layer.id, feature_id, editor(), condition)
    g.audit_detail = audit_detail(done, feature_id)
    return Response(status=204, headers={"X-Layer-Version": str(done.version.number)})


@bp.get(ITEM + "/history")
def item_history(collection_id: str, feature_id: str):
    """The versions in which the feature changed (number, time, user, message), oldest first."""
    check_query(request.args, "edit")
    zone = current_app.config["TIME_ZONE"]
    found = feature_edits.history(store(), catalog(), collection_id, feature_id, language())
    for entry in found:
        entry["time"] = local_time(entry["created_at"], zone, with_zone=False)
    return jsonify(
        {
            "collection": collection_id,
            "feature": feature_id,
            "history": found,
            "links": [
                {
                    "href": url_for(
                        "ogc.item",
                        collection_id=collection_id,
                        feature_id=feature_id,
                        _external=True,
                    ),
                    "rel": "about",
                    "type": GEOJSON,
                }
            ],
        }
    )


def body_bytes() -> bytes:
    """The request body, read no further than the edit bound (413 beyond it)."""
    limit = edit_body.MAX_BODY_BYTES
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge("edit.too_large", size=request.content_length, limit=limit)
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise TooLarge("edit.too_large", size=f">{limit}", limit=limit)
    return raw


def content_crs() -> part2.OfferedCrs:
    """The body's CRS (``Content-Crs: <uri>``, Part 4 with Part 2); CRS84 when absent."""
    header = request.headers.get("Content-Crs")
    if header is None:
        return part2.DEFAULT
    text = header.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    return part2.parse_crs(text, "Content-Crs")


def if_match(feature_id: str) -> tuple[str, ...]:
    """The strong entity tags of If-Match (``*`` kept); 428 when there is none."""
    header = request.headers.get("If-Match")
    if header is None or not header.strip():
        raise PreconditionRequired("edit.if_match_required", feature=feature_id[:64])
    tags = parse_etags(header[:2000])
    named = (tag for tag in tags if tag)  # an empty tag ("") names no feature
    return (*named, *(("*",) if tags.star_tag else ()))


@contextmanager
def current_etag_on_412(layer_id: str):
    """A 412 carries the feature's current ETag (header and details), as GET would send it."""
    try:
        yield
    except PreconditionFailed as error:
        if getattr(error, "feature", None):
            etag = f'"{item_etag(catalog().get(layer_id), error.feature)}"'
            error.headers = {"ETag": etag}
            error.details = {"etag": etag}
        raise


def editor() -> Editor:
    zone = current_app.config["TIME_ZONE"]
    today = local_date(datetime.now(UTC).isoformat(), zone)
    user = current_user()
    return Editor(user.name or user.via, today, change_message())


def change_message() -> str | None:
    """``X-Change-Message``: UTF-8, raw or percent-encoded (what a browser's fetch can send)."""
    raw = request.headers.get("X-Change-Message")
    if raw is None:
        return None
    try:
        text = raw.encode("latin-1").decode("utf-8")
    except UnicodeError:
        text = raw
    text = "".join(c for c in unquote(text) if c.isprintable()).strip()
    if len(text) > MESSAGE_CHARS:
        raise BadRequest("edit.message_too_long", limit=MESSAGE_CHARS)
    return text or None


def audit_detail(done: feature_edits.Edited, feature_id: str) -> dict:
    return {"collection": done.layer.id, "feature": feature_id, "version": done.version.number}


def feature_answer(done: feature_edits.Edited, status: int) -> Response:
    """The feature as GET serves it now, with the ETag GET sends (If-Match for the next edit)."""
    g.audit_detail = audit_detail(done, done.feature["id"])
    payload = item_payload(done.layer, done.feature, part2.DEFAULT, {})
    answer = jsonify(payload)
    answer.status_code = status
    answer.mimetype = GEOJSON
    answer.headers["ETag"] = f'"{item_etag(done.layer, done.feature)}"'
    answer.headers["Content-Crs"] = part2.content_crs(part2.DEFAULT)
    answer.headers["X-Layer-Version"] = str(done.version.number)
    return answer
