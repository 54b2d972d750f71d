"""Accounts and roles (AUTH="local"): the role matrix, sessions, tokens, CSRF, proxy, audit."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from conftest import dbs
from sqlalchemy import text

from geo_service import create_app
from geo_service.auth import ENDPOINT_ROLES, ROLELESS_WRITES, ROLES, SAFE_METHODS
from geo_service.config import REPO_ROOT
from geo_service.errors import ConfigError

PASSWORD = "correct horse battery"
SAMPLE_ACTUALS = (REPO_ROOT / "layers" / "src" / "samples" / "actuals_sample.csv").read_bytes()
PARCEL = json.dumps(
    {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": "HY-1",
                "properties": {},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[109.0, 32.7], [109.001, 32.7], [109.001, 32.701], [109.0, 32.7]]
                    ],
                },
            }
        ],
    }
).encode()


def local_app(tmp_path, **config):
    return create_app({"TESTING": True, **dbs(tmp_path), "AUTH": "local", **config})


@pytest.fixture()
def app(tmp_path):
    """A local-accounts app with one user per role and a bearer token for each."""
    app = local_app(tmp_path)
    accounts = app.extensions["geo_service.auth"]
    app.tokens = {}
    for role in ROLES:
        accounts.add_user(f"u_{role}", role, PASSWORD)
        app.tokens[role], _ = accounts.create_token(f"u_{role}", f"{role} test")
    return app


def bearer(app, role: str | None) -> dict:
    return {"Authorization": f"Bearer {app.tokens[role]}"} if role else {}


def login(client, name: str, password: str = PASSWORD):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token})


# Each write, with a request that succeeds when the role allows it.
def write_requests(suffix: str):
    return {
        "POST /api/checks": (
            "post",
            "/api/checks",
            {"data": {"file": (io.BytesIO(PARCEL), "p.geojson")}},
            "land",
        ),
        "POST /api/analysis/targets/actuals": (
            "post",
            "/api/analysis/targets/actuals",
            {"data": {"file": (io.BytesIO(SAMPLE_ACTUALS), "actuals.csv")}},
            "planner",
        ),
        "POST /api/users": (
            "post",
            "/api/users",
            {"json": {"name": f"new_{suffix}", "role": "viewer", "password": PASSWORD}},
            "admin",
        ),
        "PATCH /api/users/u_viewer": (
            "patch",
            "/api/users/u_viewer",
            {"json": {"role": "viewer"}},
            "admin",
        ),
        "POST /api/tokens": ("post", "/api/tokens", {"json": {"user": "u_viewer"}}, "admin"),
    }


@pytest.mark.parametrize("role", [None, *ROLES])
def test_role_matrix(app, role):
    """Each role × each write: allowed ones succeed, the others are 401 (no login) or 403."""
    client = app.test_client()
    for label, (method, url, kwargs, needed) in write_requests(role or "anon").items():
        response = getattr(client, method)(url, headers=bearer(app, role), **kwargs)
        allowed = role is not None and ROLES.index(role) >= ROLES.index(needed)
        if allowed:
            assert response.status_code in (200, 201), (label, role, response.json)
        else:
            assert response.status_code == (401 if role is None else 403), (label, role)
            assert response.json["error"]["message"]
    revoke = client.delete("/api/tokens/nonexistent", headers=bearer(app, role))
    assert revoke.status_code == (404 if role == "admin" else 401 if role is None else 403)


@pytest.mark.parametrize("role", [None, *ROLES])
def test_register_and_audit_reads_need_their_role(app, role):
    client = app.test_client()
    for url, needed in (("/api/checks", "land"), ("/api/audit", "admin"), ("/api/users", "admin")):
        response = client.get(url, headers=bearer(app, role))
        allowed = role is not None and ROLES.index(role) >= ROLES.index(needed)
        assert response.status_code == (200 if allowed else 401 if role is None else 403), url
    # maps, layers, downloads and analyses are for everyone under PUBLIC_READ
    for url in ("/collections/counties/items", "/api/analysis/coverage", "/conformance"):
        assert client.get(url, headers=bearer(app, role)).status_code == 200


def test_every_write_endpoint_has_a_rule(app):
    """A new POST/PUT/PATCH/DELETE route must say which role may use it (else it is refused)."""
    for rule in app.url_map.iter_rules():
        if set(rule.methods or ()) - SAFE_METHODS:
            assert rule.endpoint in ENDPOINT_ROLES or rule.endpoint in ROLELESS_WRITES, rule


def test_session_login_records_the_user_in_the_register(app):
    client = app.test_client()
    assert login(client, "u_land", "wrong password!").status_code == 401
    response = login(client, "u_land")
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    origin = {"Origin": "http://localhost"}
    check = client.post(
        "/api/checks", data={"file": (io.BytesIO(PARCEL), "p.geojson")}, headers=origin
    )
    assert check.status_code == 201, check.json
    assert check.json["requested_by"]["user"] == "u_land"
    assert check.json["requested_by"]["address"] == "127.0.0.1"
    listed = client.get("/api/checks").json["checks"][0]
    assert listed["user"] == "u_land"
    audit = app.extensions["geo_service.auth"].audit()
    assert [a["action"] for a in audit[:2]] == ["POST checks.create_check", "POST accounts.login"]
    assert audit[0]["user"] == "u_land" and audit[0]["outcome"] == "ok"
    assert audit[2]["outcome"] == "refused" and audit[2]["detail"]["name"] == "u_land"
    # logging out ends the session
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/api/checks").status_code == 401


def test_secure_cookie_under_https(app):
    client = app.test_client()
    page = client.get("/login", base_url="https://gis.example").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login",
        base_url="https://gis.example",
        data={"name": "u_admin", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 303 and "Secure" in response.headers["Set-Cookie"]


def test_disabling_or_a_new_password_ends_sessions_and_tokens(app):
    accounts = app.extensions["geo_service.auth"]
    client = app.test_client()
    login(client, "u_land")
    assert client.get("/api/checks").status_code == 200
    accounts.update_user("u_land", password="another long password")
    assert client.get("/api/checks").status_code == 401
    login(client, "u_land", "another long password")
    accounts.update_user("u_land", disabled=True)
    assert client.get("/api/checks").status_code == 401
    assert client.get("/api/checks", headers=bearer(app, "land")).status_code == 401
    assert login(client, "u_land", "another long password").status_code == 401


def test_revoked_token_is_refused(app):
    accounts = app.extensions["geo_service.auth"]
    client = app.test_client()
    headers = bearer(app, "planner")
    assert client.get("/api/me", headers=headers).json["user"] == "u_planner"
    token_id = next(t["id"] for t in accounts.list_tokens() if t["user"] == "u_planner")
    admin = bearer(app, "admin")
    assert client.delete(f"/api/tokens/{token_id}", headers=admin).json["revoked_at"]
    refused = client.get("/api/me", headers=headers)
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    # tokens are stored as hashes only
    raw = stored_accounts(app.extensions["geo_service.store"].engine)
    assert b"u_planner" in raw  # the bytes looked at hold the accounts
    assert app.tokens["planner"].encode() not in raw


def test_csrf_cross_origin_posts_refused_with_a_session(app):
    client = app.test_client()
    login(client, "u_planner")
    url = "/api/analysis/targets/actuals"

    def form():
        return {"file": (io.BytesIO(SAMPLE_ACTUALS), "a.csv")}

    for headers in (
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Referer": "http://evil.example/page"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"},
        {},  # no Origin, no Referer, no token: a cookie alone is not enough
    ):
        response = client.post(url, data=form(), headers=headers)
        assert response.status_code == 403, headers
        assert response.json["error"]["code"] == "forbidden"
    assert app.extensions["geo_service.actuals"].rows() == []
    with client.session_transaction() as session:
        token = session["csrf"]
    ok = client.post(url, data=form(), headers={"X-CSRF-Token": token})
    assert ok.status_code == 201
    same = client.post(url, data=form(), headers={"Origin": "http://localhost"})
    assert same.status_code == 201


def test_csrf_applies_without_accounts_too(tmp_path):
    """AUTH="none": no login, but a foreign page still cannot post through the browser."""
    client = create_app({"TESTING": True, **dbs(tmp_path)}).test_client()
    form = {"file": (io.BytesIO(PARCEL), "p.geojson")}
    refused = client.post("/api/checks", data=form, headers={"Origin": "http://evil.example"})
    assert refused.status_code == 403
    ok = client.post("/api/checks", data={"file": (io.BytesIO(PARCEL), "p.geojson")})
    assert ok.status_code == 201 and ok.json["requested_by"]["user"] == "local"


def test_login_form_needs_its_token_and_redirects_only_locally(app):
    client = app.test_client()
    no_token = client.post("/login", data={"name": "u_admin", "password": PASSWORD})
    assert no_token.status_code == 403
    page = client.get("/login?next=//evil.example/x").get_data(as_text=True)
    assert 'value="/"' in page
    for target, expected in (("https://evil.example/", "/"), ("/check", "/check")):
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = client.post(
            "/login",
            data={"name": "u_admin", "password": PASSWORD, "csrf_token": token, "next": target},
        )
        assert response.headers["Location"] == expected


def test_failed_logins_are_throttled(app):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    statuses = [
        client.post("/login", data={"name": "u_admin", "password": "x", "csrf_token": token})
        for _ in range(11)
    ]
    assert [r.status_code for r in statuses[:10]] == [401] * 10
    assert statuses[10].status_code == 429 and int(statuses[10].headers["Retry-After"]) > 0
    assert "用户名或密码错误，或账户已停用。" in statuses[0].get_data(as_text=True)
    zh = statuses[10].json["error"]
    assert zh["code"] == "too_many_logins" and "登录失败次数过多，请" in zh["message"]
    en = client.post(
        "/login",
        data={"name": "u_admin", "password": "x", "csrf_token": token},
        headers={"Accept-Language": "en"},
    ).json["error"]
    assert en["code"] == "too_many_logins" and en["message"].startswith("Too many failed logins")


def test_private_read(tmp_path):
    app = local_app(tmp_path, PUBLIC_READ=False)
    app.extensions["geo_service.auth"].add_user("reader", "viewer", PASSWORD)
    client = app.test_client()
    assert client.get("/collections").status_code == 401
    page = client.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    assert client.get("/login").status_code == 200
    assert client.get("/static/site.css").status_code == 200
    login(client, "reader")
    assert client.get("/collections").status_code == 200


def test_proxy_mode_trusts_only_its_proxies(tmp_path):
    app = create_app(
        {"TESTING": True, **dbs(tmp_path), "AUTH": "proxy", "TRUSTED_PROXIES": ["10.9.9.9"]}
    )
    app.extensions["geo_service.auth"].add_user("zhang", "land", None)
    client = app.test_client()
    header = {"X-Remote-User": "zhang"}
    from_proxy = {"REMOTE_ADDR": "10.9.9.9"}
    me = client.get("/api/me", headers=header, environ_base=from_proxy).json
    assert (me["user"], me["role"], me["via"]) == ("zhang", "land", "proxy")
    forged = client.get("/api/me", headers=header, environ_base={"REMOTE_ADDR": "10.1.1.1"})
    assert forged.json["user"] is None
    stranger = client.get("/api/me", headers={"X-Remote-User": "li"}, environ_base=from_proxy)
    assert stranger.json["role"] == "viewer"
    check = client.post(
        "/api/checks",
        data={"file": (io.BytesIO(PARCEL), "p.geojson")},
        headers={**header, "X-Forwarded-For": "192.0.2.7", "Origin": "http://localhost"},
        environ_base=from_proxy,
    )
    assert check.status_code == 201
    assert check.json["requested_by"] == {"user": "zhang", "address": "192.0.2.7"}


def test_auth_none_only_on_loopback(tmp_path):
    with pytest.raises(ConfigError, match="只允许在本机地址上运行") as raised:
        create_app({"TESTING": True, **dbs(tmp_path), "HOST": "0.0.0.0"})
    assert "allowed only on loopback" in raised.value.to_dict("en")["error"]["message"]
    with pytest.raises(ConfigError, match="AUTH='open' 不是可用的方式") as raised:
        create_app({"TESTING": True, **dbs(tmp_path), "AUTH": "open"})
    assert raised.value.code == "config_error"


def test_security_headers_on_every_response(app):
    client = app.test_client()
    for url, headers in (
        ("/", {"Accept": "text/html"}),
        ("/collections", {}),
        ("/login", {}),
        ("/no/such/page", {}),
        ("/static/site.css", {}),
    ):
        response = client.get(url, headers=headers)
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        assert response.headers["Referrer-Policy"] == "same-origin"
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert "'unsafe-eval'" not in csp and "script-src 'self'" in csp
    page = client.get("/", headers={"Accept": "text/html"})
    scripts = re.findall(r"<script(?![^>]*src=)[^>]*>", page.get_data(as_text=True))
    assert scripts  # Folium's inline scripts run by their hashes, nothing else inline does
    assert page.headers["Content-Security-Policy"].count("'sha256-") == len(scripts)
    framed = create_app(
        {
            **{k: app.config[k] for k in ("CHECKS_DB", "ACTUALS_DB", "AUTH_DB")},
            "TESTING": True,
            "FRAME_ANCESTORS": "'self' https://portal.example",
        }
    )
    csp = framed.test_client().get("/login").headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://portal.example" in csp


def test_audit_log_export(app):
    client = app.test_client()
    client.post("/api/tokens", json={"user": "=cmd|' /C calc'!A0"}, headers=bearer(app, "admin"))
    client.post("/api/users", json={"name": "x"}, headers=bearer(app, "viewer"))
    listed = client.get("/api/audit", headers=bearer(app, "admin")).json
    assert listed["numberMatched"] == 2
    refused, failed = listed["entries"]
    assert (refused["user"], refused["outcome"], refused["status"]) == ("u_viewer", "refused", 403)
    assert (failed["user"], failed["outcome"]) == ("u_admin", "error")
    exported = client.get("/api/audit?f=csv", headers=bearer(app, "admin"))
    text = exported.get_data(as_text=True)
    assert exported.mimetype == "text/csv" and "u_viewer" in text and "\n=" not in text


def test_admin_page_lists_users_tokens_and_audit_escaped(app):
    client = app.test_client()
    hostile = '<img src=x onerror="alert(1)">'
    app.extensions["geo_service.auth"].create_token("u_land", hostile)
    client.post(
        "/api/tokens", json={"user": "u_land", "label": hostile}, headers=bearer(app, "admin")
    )
    assert client.get("/admin", headers=bearer(app, "land")).status_code == 403
    page = client.get("/admin", headers=bearer(app, "admin")).get_data(as_text=True)
    assert "u_planner" in page and "创建令牌" in page and "管理员（admin）" in page
    assert hostile not in page and "&lt;img src=x onerror=" in page


# Found by an attacker's review of this issue; each was reproduced before its fix.


def test_long_values_never_break_the_audit_log(app):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post(
        "/login",
        data={
            "name": "u_viewer",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "/" + "a" * 2100,
        },
    )
    planner = app.test_client()
    planner.post(
        "/api/analysis/targets/actuals",
        data={"file": (io.BytesIO(SAMPLE_ACTUALS), "x" * 2100 + ".csv")},
        headers=bearer(app, "planner"),
    )
    admin = bearer(app, "admin")
    for url in ("/admin", "/api/audit", "/api/audit?f=csv"):
        assert client.get(url, headers=admin).status_code == 200, url
    entries = client.get("/api/audit", headers=admin).json["entries"]
    assert all(len(json.dumps(e["detail"])) < 2000 for e in entries)


@pytest.mark.parametrize(
    "target", ["/\t/evil.example", "/\n/evil.example", "/%09/x\t", "\t//evil.example", "/" * 600]
)
def test_login_next_never_leaves_the_site(app, target):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login",
        data={"name": "u_viewer", "password": PASSWORD, "csrf_token": token, "next": target},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_logout_ends_the_session_even_for_a_replayed_cookie(app):
    client = app.test_client()
    login(client, "u_admin")
    cookie = client.get_cookie("geo_service_session").value
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    replay = app.test_client()
    replay.set_cookie("geo_service_session", cookie)
    assert replay.get("/api/users").status_code == 401


def test_no_accounts_means_loopback_host_names_only(tmp_path):
    """AUTH="none": a DNS-rebinding page (a foreign name resolving to 127.0.0.1) gets 400."""
    client = create_app({"TESTING": True, **dbs(tmp_path)}).test_client()
    rebound = {"Host": "rebind.attacker.example:8000"}
    origin = {**rebound, "Origin": "http://rebind.attacker.example:8000"}
    assert client.get("/api/checks", headers=rebound).status_code == 400
    form = {"file": (io.BytesIO(PARCEL), "p.geojson")}
    assert client.post("/api/checks", headers=origin, data=form).status_code == 400
    assert client.get("/api/checks", headers={"Host": "127.0.0.1:8000"}).status_code == 200
    assert client.get("/api/checks", headers={"Host": "localhost"}).status_code == 200


def test_allowed_hosts(tmp_path):
    app = local_app(tmp_path, ALLOWED_HOSTS="gis.ankang.example, 10.0.0.5")
    client = app.test_client()
    assert client.get("/collections", headers={"Host": "gis.ankang.example"}).status_code == 200
    assert client.get("/collections", headers={"Host": "evil.example"}).status_code == 400


def test_forwarded_headers_count_only_behind_the_proxy(app):
    """AUTH="local": X-Forwarded-For from loopback does not dodge the login throttle, and
    X-Forwarded-Host does not make a foreign Origin our own."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    statuses = [
        client.post(
            "/login",
            data={"name": "u_admin", "password": "wrong", "csrf_token": token},
            headers={"X-Forwarded-For": f"192.0.2.{i}"},
        ).status_code
        for i in range(11)
    ]
    assert statuses[-1] == 429
    login(client, "u_land")
    forged = client.post(
        "/api/checks",
        data={"file": (io.BytesIO(PARCEL), "p.geojson")},
        headers={"X-Forwarded-Host": "evil.example", "Origin": "http://evil.example"},
    )
    assert forged.status_code == 403


def test_cached_pages_do_not_show_who_viewed_them_first(app):
    admin = app.test_client()
    login(admin, "u_admin")
    assert admin.get("/collections?f=html").status_code == 200
    page = app.test_client().get("/collections?f=html").get_data(as_text=True)
    assert "u_admin" not in page and "登录 / 账户" in page


def test_routing_errors_are_not_audited(app):
    client = app.test_client()
    for i in range(20):
        assert client.post(f"/no/such/write/{i}").status_code == 404
    assert app.extensions["geo_service.auth"].audit_count() == 0


def test_accounts_database_is_private(app):
    engine = app.extensions["geo_service.store"].engine
    if engine.dialect.name == "postgresql":  # no other role may read the accounts' tables
        with engine.connect() as db:
            for table in ("users", "tokens", "audit"):
                query = text("SELECT has_table_privilege('public', :t, 'SELECT')")
                assert db.execute(query, {"t": table}).scalar() is False, table
        return
    store = Path(engine.url.database)
    for path in (store, store.with_name(store.name + "-wal")):  # the store holds the hashes
        assert (path.stat().st_mode & 0o777) == 0o600, path


def stored_accounts(engine) -> bytes:
    """What the store holds of the accounts, as bytes: the SQLite file and its WAL, or the
    PostgreSQL tables' rows as text."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as db:
            rows = [
                db.execute(text(f"SELECT t::text FROM {t} t")).scalars()
                for t in ("users", "tokens")
            ]
            return "\n".join(r for found in rows for r in found).encode()
    store = Path(engine.url.database)
    return b"".join(p.read_bytes() for p in (store, store.with_name(store.name + "-wal")))
