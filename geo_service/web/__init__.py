"""The web layer: blueprints and the single error handler."""

from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from geo_service.errors import GeoServiceError, headers_of
from geo_service.messages import CATALOGUE, Msg, negotiate
from geo_service.web import accounts, analysis, assets, checks, exports, ogc, pages, security
from geo_service.web.http import HTML


def wants_html() -> bool:
    """HTML error pages for f=html, or for browsers on pages and OGC resources; never for the
    JSON API under /api/ (its OpenAPI documents JSON errors there), unless f=html."""
    if request.args.get("f") == "html":
        return True
    if request.args.get("f") or request.path.startswith("/api/"):
        return False
    accept = request.accept_mimetypes
    return accept[HTML] > accept["application/json"]


def language() -> str:
    """The answer's language: Chinese unless Accept-Language prefers English."""
    return negotiate(request.accept_languages)


def error_response(exc: GeoServiceError):
    """The one error shape, as JSON or an HTML page, in the client's language."""
    body = exc.to_dict(language())
    headers = headers_of(exc)
    if wants_html():
        return (
            render_template("error.html", status=exc.status, error=body["error"]),
            exc.status,
            headers,
        )
    return body, exc.status, headers


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
        return error_response(exc)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        """Werkzeug's errors in the one shape, keeping their headers (Allow)."""
        status = exc.code or 500
        code = (exc.name or "error").lower().replace(" ", "_")
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        if status == 413:
            code, msg = (
                "too_large",
                Msg("http.413", mb=f"{int(app.config['MAX_CONTENT_LENGTH']) / 2**20:g}"),
            )
        elif status == 405:
            msg = Msg("http.405", method=request.method, allowed=headers.get("Allow", ""))
        elif f"http.{status}" in CATALOGUE:
            msg = Msg(f"http.{status}")
        else:
            msg = Msg("http.other", status=status)
        error = GeoServiceError(msg)
        error.status, error.code, error.headers = status, code, headers
        return error_response(error)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        app.logger.exception("unhandled error")
        return error_response(GeoServiceError("http.500"))
