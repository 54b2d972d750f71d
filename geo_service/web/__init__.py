"""The web layer: blueprints and the single error handler."""

from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from geo_service.errors import GeoServiceError, headers_of
from geo_service.web import analysis, assets, checks, exports, ogc, pages
from geo_service.web.http import HTML


def wants_html() -> bool:
    if request.args.get("f") == "html":
        return True
    if request.args.get("f"):
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
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_response(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        app.logger.exception("unhandled error")
        return error_response(500, "internal_error", "internal error; the log has the details")
