"""The OpenAPI 3.0 description of the service: every operation, every status, the real bounds.

To document a new path, add one call to a ``*_paths`` function of ``openapi_paths`` (OGC API)
or ``openapi_services`` (checks, exports, analysis)::

    api.add("/api/users", "post", "create an account", ok={"201": ok("created", {JSON: OBJECT})},
            errors=("400", *WRITE, "422"), body=form({"name": STRING}, required=("name",)))

``errors`` lists the statuses besides the success ones; each refers to one reusable response in
``components/responses`` (one error schema for all of them). ``WRITE`` and ``GUARDED`` add the
401/403 that accounts bring; every operation gets a 401 for ``PUBLIC_READ = false``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app

from geo_service.catalog import Catalog

JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GPKG = "application/geopackage+sqlite3"
CSV = "text/csv"
HTML_F = "html"  # the f= value of an HTML page
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
MAX_OFFSET = 10**9  # geo_service.query.params.int_param bound for every offset
CHECKS_MAX_LIMIT = 1000  # GET /api/checks
PARCELS_MAX_LIMIT = 10000  # GET /api/checks/{checkId}/parcels

STRING = {"type": "string"}
OBJECT = {"type": "object"}
BINARY = {"type": "string", "format": "binary"}
LINKS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["href"],
        "properties": {"href": STRING, "rel": STRING, "type": STRING, "title": STRING},
    },
}
#: What every answer says about its language (info.description, and the schemas below).
LANGUAGES = (
    "Messages follow Accept-Language: Chinese (zh) by default, English with "
    "`Accept-Language: en`; answers say `Vary: Accept-Language`. 说明文字默认中文，"
    "Accept-Language: en 时为英文。"
)
#: A text a person reads, kept so that it can be shown in either language (messages.record).
RECORD_SCHEMA = {
    "type": "object",
    "description": "Text fields (message, where, hint, note …) hold the text in the answer's "
    "language (stored in Chinese); `i18n` names, for each of them, the catalogue key and its "
    "parameters, from which the service writes it again for `Accept-Language: en`. "
    "文字字段为中文；i18n 记录消息键与参数。",
    "properties": {
        "message": STRING,
        "i18n": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["key", "params"],
                "properties": {"key": STRING, "params": OBJECT},
            },
        },
    },
}
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {
                    "type": "string",
                    "description": "stable code, the same in every language (e.g. "
                    "invalid_input): match on it, never on the message",
                },
                "message": {
                    "type": "string",
                    "description": "what is wrong, where and what to do: Chinese by default, "
                    "English with Accept-Language: en（默认中文）",
                },
                "details": {
                    "type": "object",
                    "description": "422: problems[] by file and feature or line, each a "
                    "Record (where, message, hint, a stable code, severity)",
                    "properties": {
                        "problems": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Record"},
                        }
                    },
                },
            },
        }
    },
}
PAGE = {
    "numberMatched": {"type": "integer", "minimum": 0},
    "numberReturned": {"type": "integer", "minimum": 0},
}
FEATURE = {"type": "object", "required": ["type"], "properties": {"type": {"enum": ["Feature"]}}}
FEATURES = {
    "type": "object",
    "required": ["type", "features", "numberMatched", "numberReturned", "links"],
    "properties": {
        "type": {"enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": FEATURE},
        **PAGE,
        "links": LINKS,
    },
}
#: A warning or note kept with a check (document warnings, each parcel's warnings, input.notes):
#: its text in the answer's language (Accept-Language), a stable code, and the i18n record.
NOTE = {
    "allOf": [
        {"$ref": "#/components/schemas/Record"},
        {
            "type": "object",
            "required": ["message", "code"],
            "properties": {
                "code": {"type": "string", "description": "stable code, e.g. zones.schematic"}
            },
        },
    ]
}
CHECK = {
    "type": "object",
    "required": ["id"],
    "properties": {
        "id": STRING,
        "warnings": {
            "type": "array",
            "items": {"oneOf": [NOTE, STRING]},
            "description": "notes on the whole check (a plain string in checks stored before "
            "notes had codes); each parcel's warnings have the same shape",
        },
        "status": {
            "type": "string",
            "enum": ["done", "queued", "running", "interrupted"],
            "description": "interrupted: cut off by a restart of the service; submit again",
        },
        "links": LINKS,
    },
}
RUNNING = {
    "type": "object",
    "required": ["id", "status", "progress"],
    "properties": {"id": STRING, "status": {"enum": ["queued", "running"]}, "progress": OBJECT},
}

# Every error the service answers, as a reusable response: (description, extra headers).
RETRY_AFTER = {
    "Retry-After": {"description": "seconds to wait (when busy)", "schema": {"type": "integer"}}
}
ERRORS = {
    "400": (
        "BadRequest",
        "参数有误（消息指明哪个参数、允许的范围），或有本操作未列出的查询参数、同一参数给了两次"
        "（OGC API - Features /req/core/query-param-unknown）。A parameter is malformed or out of "
        "range, or the query has a parameter this operation does not list, or one twice.",
        None,
    ),
    "401": (
        "Unauthorized",
        "需要登录或令牌（PUBLIC_READ = false 时读取也需要）。Login or token needed.",
        None,
    ),
    "403": (
        "Forbidden",
        "角色无权操作，或跨站请求。The role does not allow it, or a cross-site request.",
        None,
    ),
    "404": (
        "NotFound",
        "没有该图层、要素、检查或分析。No such collection, feature, check or analysis.",
        None,
    ),
    "406": ("NotAcceptable", "不提供该格式（f=）。The requested format is not offered.", None),
    "409": (
        "Conflict",
        "图层已有更新的版本（based_on / If-Match 不是当前版本），或编号已存在，未保存。"
        "The layer moved on, or the id exists.",
        None,
    ),
    "413": (
        "TooLarge",
        "上传或解压后超过上限（MAX_CONTENT_LENGTH、MAX_UNPACKED_BYTES）。Too large.",
        None,
    ),
    "412": (
        "PreconditionFailed",
        "If-Match 不是要素当前的 ETag（他人已修改）；响应头 ETag 为当前值。If-Match is stale; "
        "the ETag header is the current one.",
        {"ETag": {"description": "the feature's current ETag", "schema": STRING}},
    ),
    "415": ("UnsupportedFormat", "文件格式无法识别。Not a format the service reads.", None),
    "422": (
        "InvalidInput",
        "文件内容无法使用，details.problems 指明文件、要素或行。Unusable content.",
        None,
    ),
    "428": (
        "PreconditionRequired",
        "修改要素需要 If-Match（先 GET 取 ETag）。If-Match is required (GET the ETag first).",
        None,
    ),
    "429": (
        "TooManyRequests",
        "登录失败次数过多，请按 Retry-After 稍后重试。Too many failed logins.",
        RETRY_AFTER,
    ),
    "503": (
        "Busy",
        "服务繁忙或渲染器不可用，请按 Retry-After 稍后重试。Busy: retry later.",
        RETRY_AFTER,
    ),
}
READ = ("401",)
GUARDED = ("401", "403")  # register reads
WRITE = ("401", "403", "413")  # state-changing operations (every body counts for 413)


def param(name, schema, description, where="query", required=False, **extra) -> dict:
    return {
        "name": name,
        "in": where,
        "required": required or where == "path",
        "schema": schema,
        "description": description,
        **extra,
    }


def comma_list(name, items, description, min_items=1, max_items=None) -> dict:
    """A comma-separated query array (style form, explode false), as OGC API uses."""
    schema = {"type": "array", "minItems": min_items, "items": items}
    if max_items:
        schema["maxItems"] = max_items
    return param(name, schema, description, style="form", explode=False)


def format_param(values, description="output format (f=; the Accept header where HTML is offered)"):
    return param("f", {"type": "string", "enum": list(values)}, description)


def paging(default: int, maximum: int, what: str) -> list[dict]:
    return [
        param(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": maximum, "default": default},
            f"page size (1-{maximum})",
        ),
        param(
            "offset",
            {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
            f"{what} to skip",
        ),
    ]


def content(types: dict) -> dict:
    """``{media type: schema}`` to an OpenAPI content map."""
    return {media: {"schema": schema} for media, schema in types.items()}


def ok(description: str, types: dict, headers: dict | None = None) -> dict:
    response = {"description": description, "content": content(types)}
    if headers:
        response["headers"] = headers
    return response


def json_ok(description: str, schema: dict = OBJECT) -> dict:
    return {"200": ok(description, {JSON: schema})}


def files_ok(description: str, types: list[str]) -> dict:
    return {"200": ok(description, {media: body_schema(media) for media in types})}


def body_schema(media: str) -> dict:
    """What a download is to a client: JSON parses to an object, text is a string."""
    if media.endswith("json"):
        return OBJECT
    return STRING if media.startswith("text/") else BINARY


def negotiated(description: str, schema: dict, media: str = JSON) -> dict:
    """200 as JSON (or GeoJSON) or HTML, with ETag, and 304 for a matching If-None-Match."""
    etag = {"ETag": {"description": "strong entity tag", "schema": STRING}}
    return {
        "200": ok(description, {media: schema, HTML: STRING}, etag),
        "304": {"description": "not modified (If-None-Match matched the ETag)"},
    }


def form(properties: dict, required: tuple[str, ...] = ("file",)) -> dict:
    """A required multipart/form-data body."""
    schema = {"type": "object", "required": list(required), "properties": properties}
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


class Paths:
    """Collects operations; ``add`` is the one call a new path needs."""

    def __init__(self):
        self.paths: dict[str, dict] = {}

    def add(self, path, method, summary, *, ok, errors=(), params=(), body=None) -> None:
        """Document ``method path``: its success responses ``ok`` and its error statuses."""
        statuses = sorted({*errors, *READ})
        responses = dict(ok)
        for status in statuses:
            responses[status] = {"$ref": f"#/components/responses/{ERRORS[status][0]}"}
        if not path.startswith("/api/") or any(  # errors as JSON or HTML: see wants_html
            p["name"] == "f" and HTML_F in p["schema"].get("enum", ()) for p in params
        ):
            responses = {k: self._with_html(k, v) for k, v in responses.items()}
        operation = {"summary": summary, "parameters": list(params), "responses": responses}
        if body:
            operation["requestBody"] = body
        self.paths.setdefault(path, {})[method] = operation

    @staticmethod
    def _with_html(status: str, response: dict) -> dict:
        if "$ref" not in response:
            return response
        name = ERRORS[status][0]
        return {"$ref": f"#/components/responses/{name}OrPage"}


def components() -> dict:
    responses = {}
    for name, description, headers in ERRORS.values():
        for suffix, types in (
            ("", {JSON: {"$ref": "#/components/schemas/Error"}}),
            ("OrPage", {JSON: {"$ref": "#/components/schemas/Error"}, HTML: STRING}),
        ):
            response = {"description": description, "content": content(types)}
            if headers:
                response["headers"] = headers
            responses[name + suffix] = response
    responses["MethodNotAllowed"] = {
        "description": "此地址不支持该方法。Method not allowed; Allow lists the methods.",
        "headers": {"Allow": {"required": True, "schema": STRING}},
        "content": content({JSON: {"$ref": "#/components/schemas/Error"}}),
    }
    security = {
        "bearer": {"type": "http", "scheme": "bearer", "description": "API token (gs_…)"},
        "session": {"type": "apiKey", "in": "cookie", "name": "geo_service_session"},
    }
    return {
        "schemas": {"Error": ERROR_SCHEMA, "Record": RECORD_SCHEMA},
        "responses": responses,
        "securitySchemes": security,
    }


def blueprint_paths() -> tuple[tuple[tuple[str, ...], Callable[[Paths, Catalog, Any], None]], ...]:
    """Which function writes the paths of which blueprints, each next to its routes' kind:
    ``tests/test_api.py`` checks each writes exactly its blueprints' routes and that every
    blueprint is listed. A new blueprint adds its line here."""
    from geo_service.web import openapi_services as services
    from geo_service.web.openapi_accounts import account_paths
    from geo_service.web.openapi_edits import edit_paths
    from geo_service.web.openapi_imports import import_paths
    from geo_service.web.openapi_paths import ogc_paths
    from geo_service.web.openapi_rechecks import recheck_paths
    from geo_service.web.openapi_tiles import tile_paths
    from geo_service.web.openapi_versions import version_paths

    def body(config) -> int:
        return int(config["MAX_CONTENT_LENGTH"])

    return (
        (("pages", "ogc", "queryables"), ogc_paths),
        (("checks",), lambda api, catalog, config: services.check_paths(api, body(config))),
        (("exports",), services.export_paths),
        (("analysis",), lambda api, catalog, config: services.analysis_paths(api, body(config))),
        (("rechecks",), lambda api, catalog, config: recheck_paths(api)),
        (("accounts",), lambda api, catalog, config: account_paths(api)),
        (("versions",), lambda api, catalog, config: version_paths(api, catalog)),
        (("imports",), lambda api, catalog, config: import_paths(api, catalog, body(config))),
        (("edits",), lambda api, catalog, config: edit_paths(api, catalog)),
        (("tiles",), lambda api, catalog, config: tile_paths(api, catalog)),
        (("health",), lambda api, catalog, config: services.health_paths(api)),
    )


def openapi_document(catalog: Catalog, config=None) -> dict:
    """The whole document for this catalog and configuration."""
    config = config if config is not None else current_app.config
    max_body = int(config["MAX_CONTENT_LENGTH"])
    api = Paths()
    for _, write in blueprint_paths():
        write(api, catalog, config)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": catalog.title,
            "version": catalog.version,
            "description": f"{catalog.title_en} - OGC API - Features Part 1. Uploads are "
            f"limited to {max_body} bytes (MAX_CONTENT_LENGTH); errors are "
            '{"error": {"code", "message", "details"}}, whose code is stable. ' + LANGUAGES,
        },
        "paths": api.paths,
        "components": components(),
    }
