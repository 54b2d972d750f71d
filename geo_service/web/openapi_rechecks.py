"""The OpenAPI paths of the re-checks (web.rechecks): one ``api.add`` per operation."""

from __future__ import annotations

from geo_service.formats import RECHECK_EXPORTS
from geo_service.web.openapi import (
    GUARDED,
    HTML,
    JSON,
    LINKS,
    OBJECT,
    PAGE,
    STRING,
    WRITE,
    Paths,
    body_schema,
    format_param,
    ok,
    paging,
    param,
)

STATUS = {"enum": ["queued", "running", "done", "failed", "interrupted"]}
RECHECK = {
    "type": "object",
    "required": ["id", "status", "zones", "selection", "summary", "links"],
    "properties": {
        "id": STRING,
        "status": STATUS,
        "zones": {
            "type": "object",
            "description": "the zones layer version re-checked against",
            "properties": {"layer": STRING, "version": {"type": "integer"}, "sha256": STRING},
        },
        "selection": OBJECT,
        "progress": {"type": "object", "description": "while queued or running"},
        "summary": {
            "type": "object",
            "description": "checks, skipped (with skipped_checks and each reason), parcels, "
            "changed, unchanged, transitions: [{before, after, parcels, changed}]",
        },
        "parcels": {
            "type": "array",
            "items": OBJECT,
            "description": "changed parcels (when done): before/after status, inside m² and "
            "亩, zones; change_m2, change_mu",
        },
        **PAGE,
        "links": LINKS,
    },
}
BODY = {
    "type": "object",
    "properties": {
        "since": {
            "type": "string",
            "description": "re-check the checks made since this date or time (2026-03-01, "
            "2026-03-01T08:00, 2026年3月1日; local time unless an offset is given)",
        },
        "checks": {
            "description": "check ids (a list, or text separated by commas)",
            "oneOf": [{"type": "array", "items": STRING}, STRING],
        },
        "version": {
            "description": "zones layer version (default: the current one)",
            "oneOf": [{"type": "integer", "minimum": 1}, STRING],
        },
    },
}


def recheck_paths(api: Paths) -> None:
    recheck_id = param("recheckId", STRING, "re-check id", "path")
    location = {"Location": {"required": True, "description": "the re-check", "schema": STRING}}
    api.add(
        "/api/rechecks",
        "post",
        "re-check checks of the register against a zones layer version, in the background",
        ok={"202": ok("queued: its progress, and the URL to poll", {JSON: RECHECK}, location)},
        errors=("400", *WRITE, "503"),
        body={
            "required": False,
            "content": {
                "application/json": {"schema": BODY},
                "application/x-www-form-urlencoded": {"schema": BODY},
                "multipart/form-data": {"schema": BODY},
            },
        },
    )
    listing = {
        "type": "object",
        "required": ["rechecks", *PAGE],
        "properties": {"rechecks": {"type": "array", "items": OBJECT}, **PAGE},
    }
    api.add(
        "/api/rechecks",
        "get",
        "the re-checks, newest first",
        ok={"200": ok("the re-checks", {JSON: listing})},
        errors=("400", *GUARDED),
        params=paging(100, 1000, "re-checks"),
    )
    api.add(
        "/api/rechecks/{recheckId}",
        "get",
        "one re-check: its progress, then its counts and changed parcels (JSON, paged by "
        "limit/offset), CSV, XLSX or the printable HTML summary with a map",
        ok={
            "200": ok(
                "the re-check or a file of it",
                {
                    f.media_type: RECHECK if f.key == "json" else body_schema(f.media_type)
                    for f in RECHECK_EXPORTS.values()
                },
            )
        },
        errors=("400", *GUARDED, "404", "406"),
        params=[
            recheck_id,
            format_param(RECHECK_EXPORTS),
            *paging(1000, 10_000, "changed parcels"),
        ],
    )
    api.add("/rechecks", "get", "重新检查 page", ok={"200": ok("the page", {HTML: STRING})})
