"""Land checks over HTTP: POST /api/checks, GET /api/checks[/{id}], the /check page, downloads."""

from __future__ import annotations

import re

from flask import Blueprint, current_app, render_template, request, url_for

from geo_service import formats
from geo_service.clock import zone_label
from geo_service.errors import BadRequest
from geo_service.land import big_check
from geo_service.land.check_files import CheckOutput
from geo_service.land.jobs import ACTIVE, StoredError
from geo_service.land.readers import FORMATS, Limits
from geo_service.land.service import CheckRequest, Upload
from geo_service.land.zones import zones_from_layer
from geo_service.messages import Msg
from geo_service.query import crs as part2
from geo_service.query.params import int_param
from geo_service.web.check_files import check_file
from geo_service.web.http import file_response, language
from geo_service.web.ogc import catalog
from geo_service.web.security import client_address, current_user

bp = Blueprint("checks", __name__)


def allow_big_uploads() -> None:
    """POST /api/checks may read up to BIG_CHECK_MAX_BYTES (a big check's GeoPackage); runs
    before every other hook, so that none reads the body under the smaller cap first."""
    if request.endpoint == "checks.create_check":
        request.max_content_length = big_check.upload_cap(current_app.config)


bp.record_once(
    lambda state: state.app.before_request_funcs.setdefault(None, []).insert(0, allow_big_uploads)
)


def register():
    return current_app.extensions["geo_service.register"]


def jobs():
    return current_app.extensions["geo_service.jobs"]


def upload(field: str, required: bool) -> Upload | None:
    file = request.files.get(field)
    if file is None or not file.filename and not required:
        if required:
            raise BadRequest("upload.file_required", field=field)
        return None
    data = file.read()
    if not data:
        raise BadRequest("upload.file_empty", file=(file.filename or field)[:200])
    return Upload(file.filename or field, data)


def check_request() -> CheckRequest:
    values = request.form
    config = current_app.config
    return CheckRequest(
        parcels=upload("file", required=True),
        zones=upload("zones", required=False),
        crs=values.get("crs") or None,
        zones_crs=values.get("zones_crs") or None,
        zones_id_field=(values.get("zones_id_field") or "").strip()[:200] or None,
        zones_name_field=(values.get("zones_name_field") or "").strip()[:200] or None,
        zones_fields=split_fields(values.get("zones_fields")),
        layer=values.get("layer") or None,
        limits=Limits.from_config(config),
        user=current_user().name,
        client_addr=client_address(),
    )


def split_fields(text: str | None) -> tuple[str, ...]:
    """zones_fields: field names separated by commas (either width) or 、, at most 20."""
    names = (n.strip()[:200] for n in re.split(r"[,，、]", text or ""))
    return tuple(n for n in names if n)[:20]


@bp.post("/api/checks")
def create_check():
    """Queue a check; answer with the result (201) or, if it takes longer, its progress (202).

    The queue is bounded: past CHECK_WORKERS running and MAX_QUEUED_CHECKS waiting the answer
    is 503 with Retry-After and nothing is stored.
    """
    check = check_request()
    big_check.admit(check, current_app.config)
    cat = catalog()
    default_zones = zones_from_layer(cat.get("zones"), cat.dataset_hash)
    job_id = jobs().submit(check, default_zones, cat.version)
    del check  # the upload is spooled: do not hold its bytes while the check runs
    state = jobs().wait(job_id, float(current_app.config["CHECK_SYNC_SECONDS"]))
    location = url_for("checks.get_check", check_id=job_id, _external=True)
    if state["status"] == "done":
        return with_links(register().get(job_id)), 201, {"Location": location}
    answer = job_answer(state)
    if state["status"] in ACTIVE:
        return answer, 202, {"Location": location}
    return answer


def job_answer(state: dict) -> dict:
    """A job that is not done: its progress, its error (raised) or its interruption."""
    if state["status"] in ACTIVE:
        return running(state)
    if state["status"] == "interrupted":
        said = {k: state[k] for k in ("message", "i18n")}  # a record: shown in any language
        return {"id": state["id"], "status": "interrupted", **said}
    error = state["error"] or {}
    if error.get("status", 500) < 500:
        raise StoredError(error)
    # an internal error: answered as the job's state, not as a 500
    return {"id": state["id"], "status": "failed", "error": error}


def running(state: dict) -> dict:
    share = state["done"] / state["total"] if state["total"] else 0.0
    return {
        "id": state["id"],
        "status": state["status"],
        "progress": {
            "stage": state["stage"],
            "done": state["done"],
            "total": state["total"],
            "share": round(share, 3),
        },
        "links": [
            {
                "rel": "monitor",
                "type": "application/json",
                "href": url_for("checks.get_check", check_id=state["id"], _external=True),
            }
        ],
    }


def with_links(document: dict) -> dict:
    check_id = document["id"]
    links = [
        {
            "rel": "self",
            "type": "application/json",
            "href": url_for("checks.get_check", check_id=check_id, _external=True),
        },
        {
            "rel": "items",
            "title": Msg("link.parcels").text(language()),
            "type": "application/json",
            "href": url_for("checks.check_parcels", check_id=check_id, _external=True),
        },
    ]
    lang = language()
    for fmt in formats.CHECK_EXPORTS.values():
        if fmt.linked:
            links.append(
                {
                    "rel": "alternate",
                    "title": fmt.title(lang),
                    "href": url_for(
                        "checks.get_check", check_id=check_id, f=fmt.key, _external=True
                    ),
                }
            )
    for f in ("png", "pdf"):
        links.append(
            {
                "rel": "preview",
                "title": Msg("link.map", format=f.upper()).text(lang),
                "href": url_for("exports.snapshot_view", check=check_id, format=f, _external=True),
            }
        )
    return {**document, "links": links}


@bp.get("/api/checks")
def list_checks():
    """The register, newest first; ``f=gpkg`` exports all of it as a GeoPackage."""
    limit = int_param(
        request.args, "limit", 100, 1, 1000
    )  # checked for f=gpkg too (engineer H4: OpenAPI)
    offset = int_param(request.args, "offset", 0, 0, 10**9)
    fmt = formats.choose(formats.REGISTER_EXPORTS, request.args.get("f", "json"))
    if fmt.writer is not None:
        name, fallback = f"用地检查登记簿.{fmt.extension}", f"geo_service-checks.{fmt.extension}"
        return file_response(fmt.writer(check_output()), fmt.media, name, fallback=fallback)
    checks = register().list(limit, offset)
    for check in checks:
        check["href"] = url_for("checks.get_check", check_id=check["id"], _external=True)
    return {"checks": checks, "numberMatched": register().count(), "numberReturned": len(checks)}


@bp.get("/api/checks/<check_id>")
def get_check(check_id: str):
    state = jobs().state(check_id)
    if state and state["status"] != "done":
        return job_answer(state)
    fmt = formats.check_format(request.args.get("f", "json"), request.args.get("part"))
    crs = request.args.get("crs")
    if crs is not None and not fmt.takes_crs:
        raise BadRequest("crs.check_format", format=fmt.key, crs=crs[:80])
    limit = int_param(request.args, "limit", 0, 0, 10**7) or None  # f=geojson: the first n
    document = register().get(check_id)  # 404 when unknown
    if fmt.writer is None:
        return with_links(document)
    return check_file(document, fmt, fmt.writer(check_output(crs, limit), document))


def check_output(crs: str | None = None, limit: int | None = None) -> CheckOutput:
    """What the check's writers need from the app: the register, the settings, the template
    renderer and the Chromium slots."""
    config = current_app.config
    return CheckOutput(
        register=register(),
        time_zone=config["TIME_ZONE"],
        crs=crs,
        render_template=render_template,
        chromium_path=config["CHROMIUM_PATH"],
        renders=current_app.extensions["geo_service.renders"],
        org=config["REPORT_ORG"],
        signatures=tuple(config["REPORT_SIGNATURES"]),
        limit=limit,
    )


@bp.get("/api/checks/<check_id>/parcels")
def check_parcels(check_id: str):
    """One page of a check's per-parcel results (``limit`` 1-10000, default 100; ``offset``)."""
    limit = int_param(request.args, "limit", 100, 1, 10_000)
    offset = int_param(request.args, "offset", 0, 0, 10**9)
    parcels, total = register().parcels_page(check_id, limit, offset)

    def page(at: int) -> str:
        return url_for(
            "checks.check_parcels", check_id=check_id, limit=limit, offset=at, _external=True
        )

    links = [{"rel": "self", "type": "application/json", "href": page(offset)}]
    if offset + len(parcels) < total:
        links.append({"rel": "next", "type": "application/json", "href": page(offset + limit)})
    if offset > 0:
        links.append(
            {"rel": "prev", "type": "application/json", "href": page(max(0, offset - limit))}
        )
    links.append(
        {
            "rel": "collection",
            "type": "application/json",
            "href": url_for("checks.get_check", check_id=check_id, _external=True),
        }
    )
    return {
        "id": check_id,
        "parcels": parcels,
        "numberMatched": total,
        "numberReturned": len(parcels),
        "links": links,
    }


@bp.get("/check")
def check_page():
    """Upload a file or draw a parcel; see it coloured by status over the zones."""
    return render_template(
        "check.html",
        catalog=catalog(),
        formats=FORMATS,
        offered_crs=part2.OFFERED,
        crs_formats=[f for f in formats.CHECK_EXPORTS.values() if f.takes_crs],
        time_zone_label=zone_label(current_app.config["TIME_ZONE"]),
    )
