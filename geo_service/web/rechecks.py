"""Re-checks over HTTP: POST/GET /api/rechecks, GET /api/rechecks/{id} (JSON, CSV, XLSX, the
printable HTML summary with its map) and the /rechecks page. The work is in land.recheck."""

from __future__ import annotations

from flask import Blueprint, current_app, g, render_template, request, url_for
from shapely.geometry import shape

from geo_service.clock import local_time, zone_label
from geo_service.errors import BadRequest
from geo_service.formats import RECHECK_EXPORTS, choose
from geo_service.land import recheck, recheck_export, recheck_run
from geo_service.land.check_files import spooled
from geo_service.land.jobs import StoredError
from geo_service.messages import Msg, localise
from geo_service.query.params import int_param
from geo_service.store.rechecks import ACTIVE, RecheckRecords
from geo_service.web.http import file_response, language
from geo_service.web.security import client_address, current_user

bp = Blueprint("rechecks", __name__)
#: Changed parcels listed in the HTML summary (all of them in CSV/XLSX).
MAX_HTML_ROWS = 2000
#: Zones versions offered on the page, newest first (any other by number over the API).
MAX_VERSIONS_LISTED = 200


def store():
    return current_app.extensions["geo_service.store"]


def records() -> RecheckRecords:
    return RecheckRecords(store().engine)


def limits() -> dict:
    config = current_app.config
    return {
        "time_zone": config["TIME_ZONE"],
        "max_checks": int(config["RECHECK_MAX_CHECKS"]),
        "max_parcels": int(config["RECHECK_MAX_PARCELS"]),
        "tolerance_m2": float(config["RECHECK_TOLERANCE_M2"]),
    }


def body_values() -> dict:
    """since, checks, version from a JSON object or form fields (checks may repeat)."""
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise BadRequest("recheck.bad_body")
        return data
    form = request.form
    checks = form.getlist("checks")
    return {
        "since": form.get("since"),
        "checks": ",".join(checks) if checks else None,
        "version": form.get("version"),
    }


@bp.post("/api/rechecks")
def create_recheck():
    """Queue a re-check of the register against a zones version: 202 with its Location."""
    values = body_values()
    recheck_id, g.audit_detail = recheck_run.start(
        store(),
        current_app.extensions["geo_service.register"],
        current_app.extensions["geo_service.jobs"],
        {k: values.get(k) for k in ("since", "checks", "version")},
        (current_user().name, client_address()),
        limits(),
    )
    location = url_for("rechecks.get_recheck", recheck_id=recheck_id, _external=True)
    state = recheck_run.state(records(), recheck_id)
    return answer(state), 202, {"Location": location}


def links(recheck_id: str) -> list[dict]:
    lang = language()
    out = [
        {
            "rel": "self",
            "type": "application/json",
            "href": url_for("rechecks.get_recheck", recheck_id=recheck_id, _external=True),
        }
    ]
    for f in RECHECK_EXPORTS.values():
        if f.linked:
            href = url_for("rechecks.get_recheck", recheck_id=recheck_id, f=f.key, _external=True)
            out.append(
                {"rel": "alternate", "type": f.media_type, "title": f.title(lang), "href": href}
            )
    return out


def answer(row: dict, parcels: list[dict] | None = None) -> dict:
    """A re-check as JSON: its progress while it runs, its counts and changed parcels after."""
    out = {
        "id": row["id"],
        "status": row["status"],
        "created_at": row["created_at"],
        "finished_at": row.get("finished_at"),
        "user": row.get("user", ""),
        "zones": {
            "layer": row["zones_layer"],
            "version": row["zones_version"],
            "sha256": row.get("zones_sha256", ""),
        },
        "selection": row["selection"],
    }
    if row["status"] in ACTIVE:
        total = row["total"] or 0
        out["progress"] = {
            "stage": row["stage"],
            "done": row["done"],
            "total": total,
            "share": round(row["done"] / total, 3) if total else 0.0,
        }
    elif row["status"] == "interrupted":
        out.update({k: row[k] for k in ("message", "i18n") if k in row})
    elif row["status"] == "failed":
        out["error"] = row.get("error")
    out["summary"] = row["summary"]
    if parcels is not None:
        out["parcels"] = parcels
        out["numberMatched"] = row["summary"].get("changed", 0)
        out["numberReturned"] = len(parcels)
    out["links"] = links(row["id"])
    return localise(out, language())


def listed(row: dict) -> dict:
    """A re-check as a listing shows it: counts, not the lists of checks run or skipped."""
    row["summary"].pop("skipped_checks", None)
    row["selection"].pop("checks_run", None)
    if len(row["selection"].get("checks", [])) > 20:
        row["selection"]["checks"] = row["selection"]["checks"][:20] + ["…"]
    return row


@bp.get("/api/rechecks")
def list_rechecks():
    """The re-checks, newest first."""
    limit = int_param(request.args, "limit", 100, 1, 1000)
    offset = int_param(request.args, "offset", 0, 0, 10**9)
    found = [listed(row) for row in records().list(limit, offset)]
    for row in found:
        row["href"] = url_for("rechecks.get_recheck", recheck_id=row["id"], _external=True)
    total = records().count()
    return {"rechecks": found, "numberMatched": total, "numberReturned": len(found)}


@bp.get("/api/rechecks/<recheck_id>")
def get_recheck(recheck_id: str):
    """One re-check: progress, then the result (f=json, csv, xlsx, html)."""
    chosen = choose(RECHECK_EXPORTS, request.args.get("f", "json"))
    limit = int_param(request.args, "limit", 1000, 1, 10_000)
    offset = int_param(request.args, "offset", 0, 0, 10**9)
    row = recheck_run.state(records(), recheck_id[:64])
    if row["status"] == "failed" and (row.get("error") or {}).get("status", 500) < 500:
        raise StoredError(row["error"])
    if row["status"] != "done":
        return answer(row)
    zone = current_app.config["TIME_ZONE"]
    if chosen.key == "json":
        parcels = list(records().iter_parcels(recheck_id, limit=limit, offset=offset))
        return answer(row, parcels)
    if chosen.key == "html":
        return summary_page(row, zone)
    if chosen.key == "csv":
        data = recheck_export.csv_chunks(records().iter_parcels(recheck_id), zone)
    else:
        data = xlsx_chunks(row, zone)
    return file_response(
        data,
        chosen.media,
        f"重新检查_{recheck_id}.{chosen.extension}",
        fallback=f"recheck-{recheck_id}.{chosen.extension}",
    )


def xlsx_chunks(row: dict, zone: str):
    parcels = records().iter_parcels(row["id"])
    return spooled(lambda out: recheck_export.write_xlsx(row, parcels, out, zone))


def summary_page(row: dict, zone: str):
    """The printable summary: counts per transition, the changed parcels, the map."""
    shown = list(records().iter_parcels(row["id"], geometry=True, limit=MAX_HTML_ROWS))
    changed = row["summary"].get("changed", 0)
    before_version = recheck.before_version(row)
    before = after = None
    if shown:
        after = zone_geometries(row["zones_version"])
        before = zone_geometries(before_version) if before_version else None
    svg = recheck_export.change_map(shown, before, after, "重新检查变化地块图")
    return render_template(
        "recheck_report.html",
        recheck=row,
        about=recheck_export.about_rows(row, zone),
        rows=[recheck_export.row_of(parcel, zone) for parcel, _ in shown],
        changed=changed,
        more=Msg("recheck.too_many_rows", count=changed, max=MAX_HTML_ROWS)
        if changed > len(shown)
        else None,
        svg=svg,
        before_version=before_version,
        created=local_time(row["created_at"], zone),
    )


def zone_geometries(version: int) -> list[tuple[str, object]]:
    """(name, lon/lat geometry) of each zone of a version."""
    features = store().features(recheck.LAYER, version)
    return [
        (str(f["properties"].get("name") or f["id"]), shape(f["geometry"]))
        for f in features
        if f.get("geometry")
    ]


@bp.get("/rechecks")
def recheck_page():
    """Start a re-check and see the results (land and planner users)."""
    versions = store().versions(recheck.LAYER)
    zone = current_app.config["TIME_ZONE"]
    rows = [listed(row) for row in records().list(50, 0)]
    return render_template(
        "rechecks.html",
        versions=[
            {"number": v.number, "created": local_time(v.created_at, zone), "message": v.message}
            for v in list(reversed(versions))[:MAX_VERSIONS_LISTED]
        ],
        rechecks=[{**r, "created": local_time(r["created_at"], zone)} for r in rows],
        time_zone_label=zone_label(zone),
    )
