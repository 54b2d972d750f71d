"""Importing a layer's boundaries over HTTP: ``POST /collections/{id}/imports`` (dry run or
commit) and the planners' page ``/collections/{id}/import``. Thin: parse, call
geo_service.layer_import, shape the answer."""

from __future__ import annotations

from flask import Blueprint, current_app, g, render_template, request, url_for

from geo_service.catalog import PRECISIONS
from geo_service.errors import BadRequest
from geo_service.land.prepare import geometry_kind
from geo_service.land.readers import FORMATS, Limits
from geo_service.layer_import import ImportRequest, commit, dry_run
from geo_service.messages import localise
from geo_service.web.http import language
from geo_service.web.ogc import catalog
from geo_service.web.security import current_user

bp = Blueprint("imports", __name__)


def flag(name: str, default: bool) -> bool:
    value = (request.form.get(name) or request.args.get(name) or "").strip()
    if not value:
        return default
    if value not in ("1", "0", "true", "false"):
        raise BadRequest("import.bad_flag", name=name, value=value[:20])
    return value in ("1", "true")


def text(name: str, limit: int = 200) -> str | None:
    return (request.form.get(name) or "").strip()[:limit] or None


def import_request(collection_id: str) -> ImportRequest:
    file = request.files.get("file")
    if file is None:
        raise BadRequest("import.no_file")
    data = file.read()
    if not data:
        raise BadRequest("upload.file_empty", file=(file.filename or "file")[:200])
    based_on = text("based_on", 12)
    if based_on is not None and not (based_on.isascii() and based_on.isdigit()):
        raise BadRequest("import.bad_based_on", value=based_on[:20])
    return ImportRequest(
        layer_id=collection_id,
        filename=(file.filename or "file")[:200],
        data=data,
        id_field=text("id_field"),
        name_field=text("name_field"),
        crs=text("crs"),
        precision=text("precision", 40),
        message=text("message", 500),
        keep_attributes=flag("keep_attributes", True),
        based_on=int(based_on) if based_on else None,
        user=current_user().name,
        limits=Limits.from_config(current_app.config),
    )


@bp.post("/collections/<collection_id>/imports")
def create_import(collection_id: str):
    """dry_run=1 (the default): what the file would change and every problem; dry_run=0:
    the new version (201, Location: its items)."""
    cat = catalog()
    cat.get(collection_id)  # 404 before reading the file
    wanted = import_request(collection_id)
    g.audit_detail = {"layer": collection_id, "file": wanted.filename}
    if flag("dry_run", True):
        g.audit_detail["dry_run"] = True
        return localise(dry_run(cat, wanted, preview=flag("preview", False)), language())
    store = current_app.extensions["geo_service.store"]
    result, version = commit(store, cat, wanted)
    g.audit_detail["version"] = version.number
    location = url_for(
        "versions.version", collection_id=collection_id, number=version.number, _external=True
    )
    return localise(result, language()), 201, {"Location": location}


@bp.get("/collections/<collection_id>/import")
def import_page(collection_id: str):
    """The planners' page: upload, see the fields chosen and the diff on a map, confirm."""
    cat = catalog()
    layer = cat.get(collection_id)
    return render_template(
        "import.html",
        catalog=cat,
        layer=layer,
        kind=geometry_kind(layer.geometry_type),
        formats=FORMATS,
        precisions=PRECISIONS,
        api=url_for("imports.create_import", collection_id=collection_id),
        counties=url_for("ogc.items", collection_id="counties", limit=100),
    )
