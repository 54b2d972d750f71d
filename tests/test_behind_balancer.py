"""AUTH="local" behind a load balancer that terminates TLS (docs/deployment.md §4): with
FORWARDED_HEADERS the browser's https origin, host and address come from the balancer's
X-Forwarded-* headers; from any other peer, or malformed, they are ignored."""

from __future__ import annotations

import io
import re

from geo_service import create_app
from tests.conftest import dbs
from tests.test_auth import PARCEL, PASSWORD

BALANCER = "10.9.9.9"
PUBLIC = "https://geo.example.cn"
#: What nginx sends (docs/deployment.md): the app itself is reached as http://app1.internal:8000.
FORWARDED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "geo.example.cn",
    "X-Forwarded-For": "192.0.2.7",
}


def balanced_app(tmp_path, **config):
    app = create_app(
        {
            "TESTING": True,
            **dbs(tmp_path),
            "AUTH": "local",
            "TRUSTED_PROXIES": [BALANCER],
            "FORWARDED_HEADERS": True,
            **config,
        }
    )
    app.extensions["geo_service.auth"].add_user("li_land", "land", PASSWORD)
    return app


class Browser:
    """A browser on https://geo.example.cn whose requests reach the app through ``peer``."""

    def __init__(self, app, peer: str = BALANCER, headers: dict | None = None):
        self.client = app.test_client()
        self.peer, self.headers, self.cookie = (
            peer,
            dict(FORWARDED if headers is None else headers),
            "",
        )

    def send(self, method: str, path: str, **kwargs):
        headers = {**self.headers, "Origin": PUBLIC, **kwargs.pop("headers", {})}
        if self.cookie:
            headers["Cookie"] = self.cookie
        response = self.client.open(
            path,
            method=method,
            base_url="http://app1.internal:8000",
            headers=headers,
            environ_base={"REMOTE_ADDR": self.peer},
            **kwargs,
        )
        for line in response.headers.getlist("Set-Cookie"):
            self.cookie = line.split(";", 1)[0]
        return response

    def login(self, name="li_land", password=PASSWORD):
        self.client._cookies.clear()  # the cookie goes in by hand: the browser's, not the jar's
        page = self.send("GET", "/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        form = {"name": name, "password": password, "csrf_token": token}
        return self.send("POST", "/login", data=form)

    def check(self):
        return self.send("POST", "/api/checks", data={"file": (io.BytesIO(PARCEL), "p.geojson")})


def test_login_and_a_check_through_a_tls_balancer(tmp_path):
    app = balanced_app(tmp_path)
    browser = Browser(app)
    done = browser.login()
    assert done.status_code in (302, 303), done.get_data(as_text=True)
    cookie = [c for c in done.headers.getlist("Set-Cookie") if "geo_service_session" in c][0]
    assert "Secure" in cookie  # the browser came over https
    assert browser.send("GET", "/api/me").json["user"] == "li_land"
    check = browser.check()
    assert check.status_code == 201, check.get_data(as_text=True)
    assert check.headers["Location"].startswith(f"{PUBLIC}/api/checks/")
    assert check.json["requested_by"] == {"user": "li_land", "address": "192.0.2.7"}
    links = browser.send("GET", "/collections").json["links"]
    assert all(link["href"].startswith(PUBLIC) for link in links)
    audit = app.extensions["geo_service.auth"].audit(limit=5)
    assert any(row["address"] == "192.0.2.7" for row in audit)


def test_without_forwarded_headers_the_same_login_is_cross_site(tmp_path):
    """The behaviour before FORWARDED_HEADERS (and its default): the app compares the
    browser's https Origin with the http request it got, and refuses."""
    app = balanced_app(tmp_path, FORWARDED_HEADERS=False)
    refused = Browser(app).login()
    assert refused.status_code == 403
    assert "跨站" in refused.get_data(as_text=True)


def test_forwarded_headers_from_another_peer_are_ignored(tmp_path):
    app = balanced_app(tmp_path)
    stranger = Browser(app, peer="10.1.1.1")
    assert stranger.login().status_code == 403  # its https Origin is not this http request's
    assert stranger.send("GET", "/api/me").json["user"] is None


def test_the_login_throttle_counts_each_browser_behind_the_balancer(tmp_path):
    app = balanced_app(tmp_path)
    wrong = [Browser(app).login(password="wrong").status_code for _ in range(11)]
    assert wrong[-1] == 429  # one browser, many tries
    other = Browser(app, headers={**FORWARDED, "X-Forwarded-For": "192.0.2.99"})
    assert other.login().status_code in (302, 303)  # another browser is not locked out


def test_malformed_forwarded_values_are_not_taken(tmp_path):
    app = balanced_app(tmp_path)
    bad = {
        "X-Forwarded-Proto": "javascript",
        "X-Forwarded-Host": "evil.example/<script>",
        "X-Forwarded-For": "not-an-address",
    }
    browser = Browser(app, headers=bad)
    me = browser.send("GET", "/collections", headers={"Origin": "http://app1.internal:8000"})
    assert me.json["links"][0]["href"].startswith("http://app1.internal:8000/")
    login = browser.login()
    assert login.status_code == 403  # the page's https Origin: nothing made it https


def test_allowed_hosts_apply_to_the_forwarded_host(tmp_path):
    app = balanced_app(tmp_path, ALLOWED_HOSTS=["geo.example.cn"])
    assert Browser(app).send("GET", "/collections").status_code == 200
    elsewhere = Browser(app, headers={**FORWARDED, "X-Forwarded-Host": "evil.example"})
    assert elsewhere.send("GET", "/collections").status_code == 400


def test_auth_none_never_reads_forwarded_headers(tmp_path):
    """A DNS-rebinding page reaches a loopback-only app under a foreign Host; a forged
    X-Forwarded-Host must not make that Host look local."""
    app = create_app({"TESTING": True, **dbs(tmp_path), "AUTH": "none", "FORWARDED_HEADERS": True})
    rebound = app.test_client().get(
        "/collections",
        headers={"Host": "evil.example", "X-Forwarded-Host": "127.0.0.1"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert rebound.status_code == 400
