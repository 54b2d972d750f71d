"""Two app servers behind nginx from Debian's packages, with TLS at nginx (docs/deployment.md
§4): the page's own nginx example is what runs here, only its addresses and certificate are
filled in. A browser logs in over https with AUTH="local" and FORWARDED_HEADERS, posts a check
through the balancer, and both servers serve it.

Real nginx, real ``serve`` processes on one database (SQLite here, PostGIS in the PostGIS
pass), real Chromium."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from land_fixtures import PARCEL_SHAPES, collection
from test_two_servers import PASSWORD, SECRET, bearer, call, shared_database_url

from geo_service.auth.store import AuthStore
from geo_service.config import REPO_ROOT
from geo_service.store import open_store
from geo_service.testing import free_port, running_service

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def doc_config() -> str:
    """The nginx example of docs/deployment.md, as written there."""
    text = (REPO_ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    return re.search(r"```nginx\n(.*?)```", text, re.S).group(1)


def nginx_config(folder: Path, port: int, upstreams: list[str]) -> str:
    """The page's example with this test's servers, port, certificate and scratch paths."""
    server = doc_config()
    server, found = re.subn(r"server app\d\.internal:8000", "server @", server)
    assert found == 2, "the example names its two app servers as app1/app2.internal:8000"
    for upstream in upstreams:
        server = server.replace("server @", f"server {upstream.removeprefix('http://')}", 1)
    server = server.replace("listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;")
    server = server.replace("server_name geo.example.cn;", "server_name localhost;")
    server = server.replace(
        "# ssl_certificate …; ssl_certificate_key …;",
        f"ssl_certificate {folder}/cert.pem; ssl_certificate_key {folder}/key.pem;",
    )
    temp = "\n".join(
        f"{kind}_temp_path {folder}/{kind};" for kind in ("client_body", "proxy", "fastcgi")
    )
    return (
        f"user root;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n"
        f"daemon off;\nevents {{ worker_connections 64; }}\n"
        f"http {{\naccess_log {folder}/access.log;\n{temp}\n"
        f"uwsgi_temp_path {folder}/uwsgi;\nscgi_temp_path {folder}/scgi;\n{server}\n}}\n"
    )


def self_signed(folder: Path) -> None:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-subj", "/CN=localhost", "-keyout", f"{folder}/key.pem", "-out", f"{folder}/cert.pem"],
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def balanced(tmp_path_factory):
    """nginx with TLS on a spare port in front of two servers on one database: its https URL,
    the two servers' URLs and the land user's token."""
    if not Path(NGINX).exists():
        pytest.skip("nginx not found (apt-get install nginx-light)")
    folder = tmp_path_factory.mktemp("nginx")
    url = shared_database_url(folder)
    accounts = AuthStore(open_store(url))
    accounts.add_user("n_land", "land", PASSWORD)
    token, _ = accounts.create_token("n_land", "land")
    env = {
        "GEO_SERVICE_DATABASE_URL": url,
        "GEO_SERVICE_SECRET_KEY": SECRET,
        "GEO_SERVICE_AUTH": "local",
        "GEO_SERVICE_FORWARDED_HEADERS": "true",
        "GEO_SERVICE_TRUSTED_PROXIES": "127.0.0.1",
        "GEO_SERVICE_ALLOWED_HOSTS": "localhost,127.0.0.1",  # the balancer, the servers
        "GEO_SERVICE_CHECK_WORKERS": "1",
        "GEO_SERVICE_LAYER_REFRESH_SECONDS": "0.2",
    }
    self_signed(folder)
    port = free_port()
    with running_service(env) as a, running_service(env) as b:
        (folder / "nginx.conf").write_text(nginx_config(folder, port, [a, b]), encoding="utf-8")
        log = open(folder / "nginx.out", "w+")  # noqa: SIM115 - a file, not a pipe that fills
        nginx = subprocess.Popen(
            [NGINX, "-c", str(folder / "nginx.conf"), "-p", str(folder)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            public = f"https://localhost:{port}"
            wait_for_nginx(public, nginx, log)
            yield public, a, b, token
        finally:
            nginx.send_signal(signal.SIGQUIT)
            nginx.wait(timeout=10)
            log.close()


def wait_for_nginx(public: str, nginx: subprocess.Popen, log) -> None:
    import ssl

    unchecked = ssl._create_unverified_context()  # our own self-signed certificate
    deadline = time.monotonic() + 30
    while True:
        if nginx.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"nginx exited: {log.read()}")
        try:
            urllib.request.urlopen(f"{public}/conformance", timeout=2, context=unchecked).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_a_browser_logs_in_over_https_and_a_check_through_nginx_is_on_both_servers(
    browser, balanced
):
    public, a, b, token = balanced
    context = browser.new_context(locale="zh-CN", ignore_https_errors=True)
    try:
        page = context.new_page()
        page.goto(f"{public}/login")
        page.fill("#gs-name", "n_land")
        page.fill("#gs-password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        assert "跨站" not in page.content()
        page.goto(f"{public}/login")
        assert "已登录：n_land" in page.inner_text("main, body")
        cookie = [c for c in context.cookies() if c["name"] == "geo_service_session"][0]
        assert cookie["secure"] and cookie["httpOnly"]
        posted = context.request.post(
            f"{public}/api/checks",
            multipart={
                "file": {
                    "name": "parcels.geojson",
                    "mimeType": "application/geo+json",
                    "buffer": collection(PARCEL_SHAPES, 36),
                }
            },
            headers={"Origin": public},  # what the page's own fetch sends
        )
        assert posted.status in (201, 202), posted.text()
        check = posted.json()
        assert posted.headers["location"].startswith(f"{public}/api/checks/")
        assert check["requested_by"]["user"] == "n_land"
        foreign = context.request.post(
            f"{public}/api/checks",
            multipart={
                "file": {
                    "name": "p.geojson",
                    "mimeType": "application/geo+json",
                    "buffer": collection(PARCEL_SHAPES, 36),
                }
            },
            headers={"Origin": "https://evil.example"},
        )
        assert foreign.status == 403
    finally:
        context.close()
    for server in (a, b):
        seen = call(f"{server}/api/checks/{check['id']}", headers=bearer(token))
        assert seen.status == 200 and seen.json["id"] == check["id"]
