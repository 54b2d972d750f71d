"""The web layer: blueprints and the single error handler."""

from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from geo_service.errors import GeoServiceError, headers_of
from geo_service.web import accounts, analysis, assets, checks, exports, ogc, pages, security
from geo_service.web.http import HTML

HTTP_ZH = {
    400: "请求格式有误。",
    404: "找不到该地址（/api 列出全部接口）。",
    406: "不提供所请求的格式。",
    415: "不支持该请求体格式。",
}


def wants_html() -> bool:
    """HTML error pages for f=html, or for browsers on pages and OGC resources; never for the
    JSON API under /api/ (its OpenAPI documents JSON errors there), unless f=html."""
    if request.args.get("f") == "html":
        return True
    if request.args.get("f") or request.path.startswith("/api/"):
        return False
    accept = request.accept_mimetypes
    return accept[HTML] > accept["application/json"]


def error_response(
    status: int, code: str, message: str, details: dict | None = None, headers: dict | None = None
):
    body = {
        "error": {"code": code, "message": message, **({"details": details} if details else {})}
    }
    if wants_html():
        return render_template("error.html", status=status, error=body["error"]), status, headers
    return body, status, headers


def register(app: Flask) -> None:
    assets.register(app)
    security.register(app)
    app.session_interface = security.SessionInterface()
    app.register_blueprint(accounts.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(ogc.bp)
    app.register_blueprint(checks.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(analysis.bp)

    @app.errorhandler(GeoServiceError)
    def service_error(exc: GeoServiceError):
        return error_response(exc.status, exc.code, exc.message, exc.details, headers_of(exc))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        """Werkzeug's errors in the one shape, Chinese first, keeping their headers (Allow)."""
        status = exc.code or 500
        code = (exc.name or "error").lower().replace(" ", "_")
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        if status == 413:
            code, mb = "too_large", int(app.config["MAX_CONTENT_LENGTH"]) / 2**20
            message = (
                f"上传内容超过 {mb:g} MB 的上限（MAX_CONTENT_LENGTH），请压缩或拆分后再上传。"
                f" The upload is over the {mb:g} MB limit."
            )
        elif status == 405:
            allowed = headers.get("Allow", "")
            message = f"此地址不支持 {request.method} 方法，可用：{allowed}。Allowed: {allowed}."
        else:
            zh = HTTP_ZH.get(status, "请求无法处理。")
            message = f"{zh} {exc.description or exc.name}"
        return error_response(status, code, message, headers=headers)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        app.logger.exception("unhandled error")
        return error_response(500, "internal_error", "internal error; the log has the details")
