"""A load balancer in front (issue 14): the browser's scheme, host and address, read from the
``X-Forwarded-Proto/-Host/-For`` headers of a request whose peer is in TRUSTED_PROXIES.

Applied under AUTH="proxy", and under AUTH="local" when FORWARDED_HEADERS is true (a balancer
that terminates TLS and talks plain HTTP to the app). It rewrites the WSGI environ before Flask
sees the request, as werkzeug's ProxyFix does, so links, the CSRF origin check, the Secure
cookie, ALLOWED_HOSTS, the audit log and the login throttle all see what the browser sees. Only
the last hop is taken (the one the trusted balancer wrote), only well-formed values are taken;
anything else leaves the request as it arrived. Never under AUTH="none", whose loopback-only
Host check is its defence against DNS rebinding.
"""

from __future__ import annotations

import ipaddress
import re

from geo_service.config import reads_forwarded

#: The peer the request really came from (the balancer), kept when the environ is rewritten.
PEER_KEY = "geo_service.peer"
HOST_NAME = re.compile(
    r"^(?:[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$"
)


def last_value(header: str) -> str:
    return header.rsplit(",", 1)[-1].strip()


def first_value(header: str) -> str:
    return header.split(",", 1)[0].strip()


def forwarded_environ(environ: dict, trusted) -> dict:
    """``environ`` as the browser's request when its peer is a trusted proxy (a copy; the
    original peer under PEER_KEY), else ``environ`` itself."""
    peer = environ.get("REMOTE_ADDR", "")
    if peer not in trusted:
        return environ
    environ = dict(environ, **{PEER_KEY: peer})
    client = last_value(environ.get("HTTP_X_FORWARDED_FOR", ""))
    if address(client):
        environ["REMOTE_ADDR"] = address(client)
    scheme = first_value(environ.get("HTTP_X_FORWARDED_PROTO", "")).lower()
    if scheme in ("http", "https"):
        environ["wsgi.url_scheme"] = scheme
    host = first_value(environ.get("HTTP_X_FORWARDED_HOST", ""))
    if len(host) <= 255 and HOST_NAME.match(host):
        environ["HTTP_HOST"] = host
    return environ


def address(text: str) -> str:
    """``text`` as an IP address, or "" when it is not one."""
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return ""


class TrustedProxy:
    """WSGI middleware: ``forwarded_environ`` on every request when the config reads them."""

    def __init__(self, app, config):
        self.app, self.config = app, config

    def __call__(self, environ, start_response):
        if reads_forwarded(self.config):
            environ = forwarded_environ(environ, self.config["TRUSTED_PROXIES"])
        return self.app(environ, start_response)
