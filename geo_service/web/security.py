"""Every request: who makes it, whether it may, whether it came from our own pages; every
response: the security headers; every write: a line in the audit log.

Identity comes from an API token (``Authorization: Bearer``), a trusted proxy's user header
(AUTH="proxy", only from TRUSTED_PROXIES), or the session cookie of a local login. CSRF: a
state-changing request carried by a cookie or proxy identity must come from this origin
(Origin, else Referer; ``Sec-Fetch-Site`` cross-site is refused), and without either header it
needs the session's CSRF token; bearer-token requests carry no ambient credential and are exempt.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy.exc import OperationalError

from geo_service.auth import ANONYMOUS, OPEN_ENDPOINTS, SAFE_METHODS, User, required_role
from geo_service.auth.store import AuthStore
from geo_service.errors import BadRequest, Forbidden, Unauthorized
from geo_service.messages import Msg
from geo_service.web.http import script_hashes
from geo_service.web.proxy import PEER_KEY, TrustedProxy

LOOPBACK = ("127.0.0.1", "::1", "localhost")
#: HTML forms of ours: they always carry the session's CSRF token.
FORM_ENDPOINTS = frozenset({"accounts.login", "accounts.logout"})


def store() -> AuthStore:
    return current_app.extensions["geo_service.auth"]


def current_user() -> User:
    return g.get("user", ANONYMOUS)


def from_trusted_proxy() -> bool:
    """Whether AUTH="proxy" and the request's peer (the balancer) is in TRUSTED_PROXIES: only
    then does the proxy's user header name the user."""
    config = current_app.config
    peer = request.environ.get(PEER_KEY, request.remote_addr)
    return config["AUTH"] == "proxy" and peer in config["TRUSTED_PROXIES"]


def client_address() -> str:
    """The client's address (behind a trusted proxy, from X-Forwarded-For: web.proxy)."""
    return (request.remote_addr or "")[:64]


def own_origin() -> str:
    """scheme://host[:port] of this service as the browser sees it (web.proxy)."""
    return origin(request.scheme, request.host)


def origin(scheme: str, host: str) -> str:
    """scheme://host[:port], lower case, without the scheme's default port (a browser's
    Origin never names :443 or :80; a Host header may)."""
    scheme, host = scheme.lower(), host.lower()
    default = {"https": ":443", "http": ":80"}.get(scheme)
    if default and host.endswith(default):
        host = host[: -len(default)]
    return f"{scheme}://{host}"


def csrf_token() -> str:
    """The session's CSRF token (made on first use), for forms and the pages' fetch calls."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def identify() -> User:
    config = current_app.config
    if config["AUTH"] == "none":
        return User("local", "admin", "none")
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("auth.bearer_only")
        user = store().token_user(token.strip())
        if user is None:
            raise Unauthorized("auth.token_revoked")
        return user
    if config["AUTH"] == "proxy" and from_trusted_proxy():
        name = request.headers.get(config["PROXY_USER_HEADER"], "").strip()
        if name:
            user = store().proxy_user(name)
            if user is None:
                raise Forbidden("auth.user_disabled", name=name[:64])
            return user
    name, stamp, sid = session.get("user"), session.get("stamp"), session.get("sid")
    if name and stamp and sid:
        user = store().session_user(name, stamp, sid)
        if user is not None:
            return user
        session.clear()
    return ANONYMOUS


def same_origin(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme and parts.netloc) and (
        origin(parts.scheme, parts.netloc) == own_origin()
    )


def check_csrf(user: User) -> None:
    if request.method in SAFE_METHODS or user.via == "token":
        return
    if request.headers.get("Sec-Fetch-Site") in ("cross-site", "same-site"):
        raise Forbidden("auth.cross_site", details={"reason": "Sec-Fetch-Site"})
    if request.endpoint in FORM_ENDPOINTS:
        require_token()
    origin = request.headers.get("Origin")
    referer = request.headers.get("Referer")
    if origin is not None:
        if not same_origin(origin):
            raise Forbidden("auth.cross_site", details={"reason": "Origin"})
    elif referer:
        if not same_origin(referer):
            raise Forbidden("auth.cross_site", details={"reason": "Referer"})
    elif user.via in ("session", "proxy"):  # ambient credentials: a token or nothing
        require_token()


def require_token() -> None:
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    expected = session.get("csrf", "")
    if not sent or not expected or not secrets.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden("auth.csrf_token", details={"reason": "token"})


def authorise(user: User) -> None:
    """Refuse what the user's role does not allow (401 to log in, 403 for the wrong role)."""
    if request.url_rule is None:
        return  # a 404 or 405 from routing: nothing to authorise
    if request.endpoint in OPEN_ENDPOINTS:
        return
    role = required_role(request.endpoint, request.method, request.args)
    if role is None and (current_app.config["PUBLIC_READ"] or not user.anonymous):
        return
    if role == "forbidden":
        raise Forbidden("auth.no_role_may")
    if user.anonymous:
        raise Unauthorized(
            Msg("auth.login_first_role", role=role) if role else Msg("auth.login_first"),
            details={"login": url_for("accounts.login_form", _external=True)},
        )
    if role and not user.may(role):
        raise Forbidden("auth.role_needed", name=user.name, role=user.role, needed=role)


def check_host() -> None:
    """Answer only to the names this service is known by: with AUTH="none" loopback names
    (a DNS-rebinding page gets nothing), and ALLOWED_HOSTS when it is set."""
    config = current_app.config
    host = request.host.rsplit(":", 1)[0].strip("[]").lower() if request.host else ""
    allowed = [h.lower() for h in config["ALLOWED_HOSTS"]]
    if config["AUTH"] == "none":
        allowed = allowed or list(LOOPBACK)
    if allowed and host not in allowed:
        raise BadRequest("auth.host_not_allowed", host=host[:64])


def before_request():
    g.user = ANONYMOUS
    check_host()
    try:
        g.user = identify()
        check_csrf(g.user)
        authorise(g.user)
    except Unauthorized:
        if request.method == "GET" and wants_page():
            return redirect(url_for("accounts.login_form", next=request.full_path.rstrip("?")))
        raise


def wants_page() -> bool:
    accept = request.accept_mimetypes
    return (
        request.args.get("f") in (None, "html") and accept["text/html"] > accept["application/json"]
    )


def content_security_policy(response) -> str:
    hashes = g.get("csp_script_hashes")
    plain = not response.is_streamed and "Content-Encoding" not in response.headers
    if hashes is None and response.mimetype == "text/html" and plain:
        hashes = script_hashes(response.get_data())
    tiles = current_app.extensions.get("geo_service.tile_origins", ())
    directives = (
        ("default-src", ["'self'"]),
        ("script-src", ["'self'", *(hashes or [])]),
        ("style-src", ["'self'", "'unsafe-inline'"]),
        ("img-src", ["'self'", "data:", "blob:", *tiles]),
        ("font-src", ["'self'", "data:"]),
        ("connect-src", ["'self'"]),
        ("object-src", ["'none'"]),
        ("base-uri", ["'none'"]),
        ("form-action", ["'self'"]),
        ("frame-ancestors", [current_app.config["FRAME_ANCESTORS"]]),
    )
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives)


def after_request(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(response))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config["FRAME_ANCESTORS"].strip() == "'none'":
        headers.setdefault("X-Frame-Options", "DENY")
    if response.mimetype == "text/html" or "user" in session:
        response.vary.add("Cookie")  # one Vary header, merged with the others
    if request.method not in SAFE_METHODS and request.url_rule is not None:
        audit(response)  # every write to a real endpoint; routing 404/405s are not writes
    return response


def audit(response) -> None:
    """One line in the audit log for every write, whatever its outcome."""
    user = current_user()
    detail = dict(g.get("audit_detail", {}))
    if response.headers.get("Location") and response.status_code < 400:
        detail.setdefault("location", response.headers["Location"])
    if response.status_code >= 400 and response.is_json:
        error = (response.get_json(silent=True) or {}).get("error", {})
        detail.setdefault("error", error.get("code", ""))
    name = user.name
    if request.endpoint == "accounts.login":  # who logged in, or whose name was tried
        tried = request.form.get("name", "").strip()[:64]
        name = tried if response.status_code < 400 else f"（尝试 tried）{tried}"
    line = (
        name or "（匿名 anonymous）",
        client_address(),
        f"{request.method} {request.endpoint or request.path}",
        request.path,
        response.status_code,
        detail,
    )
    try:
        store().record(*line)
    except OperationalError:  # the database is gone (the answer is a 503): the line is logged
        current_app.logger.error("audit line not stored, the store does not answer: %r", line)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure whenever the browser came over HTTPS."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or own_origin().startswith("https:")


def register(app: Flask) -> None:
    from geo_service.render.basemaps import tile_templates

    origins = []  # only the configured basemaps' tile hosts, each once
    for key in app.config["BASEMAPS"]:
        for template in tile_templates(key):
            parts = urlsplit(template)
            labels = parts.netloc.split(".")
            if "{s}" in labels[0]:
                labels[0] = "*"  # subdomain rotation: CSP allows a wildcard leftmost label
            origin = f"{parts.scheme}://{'.'.join(labels)}"
            if origin not in origins:
                origins.append(origin)
    app.extensions["geo_service.tile_origins"] = tuple(origins)
    app.wsgi_app = TrustedProxy(app.wsgi_app, app.config)
    app.before_request(before_request)
    app.after_request(after_request)

    @app.context_processor
    def account_context():
        return {"current_user": current_user, "csrf_token": csrf_token}
