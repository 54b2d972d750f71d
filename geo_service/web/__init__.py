"""The web layer: blueprints and the single error handler."""

from __future__ import annotations

from flask import Flask, current_app, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from geo_service.errors import Busy, GeoServiceError, headers_of
from geo_service.land.model import note_text
from geo_service.messages import CATALOGUE, Msg, text_of
from geo_service.web import (
    accounts,
    analysis,
    assets,
    checks,
    edits,
    exports,
    health,
    imports,
    ogc,
    pages,
    queryables,
    rechecks,
    security,
    tiles,
    versions,
)
from geo_service.web.http import HTML, language


def wants_html() -> bool:
    """HTML error pages for f=html, or for browsers on pages and OGC resources; never for the
    JSON API under /api/ (its OpenAPI documents JSON errors there), unless f=html."""
    if request.args.get("f") == "html":
        return True
    if request.args.get("f") or request.path.startswith("/api/"):
        return False
    accept = request.accept_mimetypes
    return accept[HTML] > accept["application/json"]


def error_response(exc: GeoServiceError):
    """The one error shape, as JSON or an HTML page, in the client's language."""
    lang = language()
    body = exc.to_dict(lang)
    headers = {**headers_of(exc), "Vary": "Accept-Language"}
    if wants_html():
        page = render_template(
            "error.html",
            status=exc.status,
            error=body["error"],
            page_lang="en" if lang == "en" else "zh-CN",
            chrome=error_page_chrome(lang, exc.status),
            problems=[problem_line(p, lang) for p in repeated_problems(body["error"])],
        )
        return page, exc.status, headers
    return body, exc.status, headers


#: The error page's own texts (title, site name, navigation, the way back).
ERROR_PAGE_CHROME = {
    "title": "page.error_title",
    "site": "page.site_title",
    "map": "page.nav_map",
    "check": "page.nav_check",
    "analysis": "page.nav_analysis",
    "layers": "page.nav_layers",
    "back": "page.back_to_map",
}


def error_page_chrome(lang: str, status: int) -> dict[str, str]:
    return {name: Msg(key, status=status).text(lang) for name, key in ERROR_PAGE_CHROME.items()}


def problem_line(problem: dict, lang: str) -> str:
    """One listed problem as the catalogue writes it: where, what, and what to do."""
    message = text_of(problem.get("message"))
    if problem.get("where"):
        hint = text_of(problem.get("hint"))
        key = "problem.with_hint" if hint else "problem.plain"
        return Msg(key, where=text_of(problem["where"]), message=message, hint=hint).text(lang)
    return message


def repeated_problems(error: dict) -> list[dict]:
    """The problems an error page lists under its message: those the message does not already
    quote (it quotes the first), so that no problem is shown twice."""
    problems = (error.get("details") or {}).get("problems") or []
    if not isinstance(problems, list):
        return []
    return [
        p
        for p in problems[:50]
        if isinstance(p, dict) and (not p.get("message") or p["message"] not in error["message"])
    ]


def refresh_layers() -> None:
    """Serve the layer versions another process wrote (one small query at most every
    LAYER_REFRESH_SECONDS)."""
    extensions = current_app.extensions
    extensions["geo_service.catalog"].refresh_due(
        extensions["geo_service.store"], float(current_app.config["LAYER_REFRESH_SECONDS"])
    )


def register(app: Flask) -> None:
    assets.register(app)
    # Jinja's ``msg``: a Msg, a stored record or a plain text, as a page shows it.
    app.add_template_filter(note_text, "msg")
    app.before_request(refresh_layers)
    security.register(app)
    app.session_interface = security.SessionInterface()
    app.register_blueprint(accounts.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(ogc.bp)
    app.register_blueprint(edits.bp)
    app.register_blueprint(queryables.bp)
    app.register_blueprint(checks.bp)
    app.register_blueprint(rechecks.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(analysis.bp)
    app.register_blueprint(versions.bp)
    app.register_blueprint(imports.bp)
    app.register_blueprint(tiles.bp)
    app.register_blueprint(health.bp)

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

    @app.errorhandler(OperationalError)
    def store_down(exc: OperationalError):
        """The database went away (or is locked) under a request: a 503 to retry, its reason
        in the log only; the request's transaction was rolled back."""
        app.logger.warning("the store failed a request: %s", str(exc.orig or exc)[:300])
        return error_response(Busy("store.down", retry_after=5))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        app.logger.exception("unhandled error")
        return error_response(GeoServiceError("http.500"))
