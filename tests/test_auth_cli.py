"""``python -m geo_service users|tokens`` and the first start's admin, as an operator runs them."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request

from geo_service.config import REPO_ROOT
from geo_service.testing import free_port


def cli(tmp_path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "GEO_SERVICE_AUTH_DB": str(tmp_path / "auth.sqlite"),
        "GEO_SERVICE_CHECKS_DB": str(tmp_path / "checks.sqlite"),
        "GEO_SERVICE_ACTUALS_DB": str(tmp_path / "actuals.sqlite"),
    }
    return subprocess.run(
        [sys.executable, "-m", "geo_service", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        timeout=60,
    )


def test_users_and_tokens(tmp_path):
    added = cli(
        tmp_path,
        "users",
        "add",
        "wang",
        "--role",
        "land",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["role"] == "land"
    short = cli(tmp_path, "users", "add", "li", "--role", "land", "--password-stdin", stdin="x\n")
    assert short.returncode == 2 and "密码至少" in short.stderr
    again = cli(
        tmp_path,
        "users",
        "add",
        "wang",
        "--role",
        "viewer",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert again.returncode == 2 and "已存在" in again.stderr
    assert cli(tmp_path, "users", "disable", "wang").returncode == 0
    listed = cli(tmp_path, "users", "list").stdout
    assert re.search(r"^wang\tland\t停用", listed, re.M)
    assert cli(tmp_path, "users", "enable", "wang").returncode == 0
    changed = cli(
        tmp_path, "users", "passwd", "wang", "--password-stdin", stdin="the new long password\n"
    )
    assert changed.returncode == 0

    created = cli(tmp_path, "tokens", "create", "wang", "--label", "QGIS")
    assert created.returncode == 0 and "只显示这一次" in created.stderr
    token = created.stdout.strip()
    assert token.startswith("gs_") and len(token) > 40
    tokens = cli(tmp_path, "tokens", "list").stdout
    token_id = tokens.split("\t")[0]
    assert "QGIS" in tokens and token not in tokens  # the token itself is never listed
    assert cli(tmp_path, "tokens", "revoke", token_id).returncode == 0
    assert "吊销" in cli(tmp_path, "tokens", "list").stdout
    missing = cli(tmp_path, "tokens", "create", "nobody")
    assert missing.returncode == 2 and "没有用户" in missing.stderr


def serve_once(tmp_path, name: str) -> str:
    """Start ``serve`` on AUTH="local", wait until it answers, stop it; return what it printed."""
    port = free_port()
    log_path = tmp_path / f"{name}.log"
    env = {
        **os.environ,
        "GEO_SERVICE_AUTH": "local",
        "GEO_SERVICE_AUTH_DB": str(tmp_path / "auth.sqlite"),
        "GEO_SERVICE_CHECKS_DB": str(tmp_path / "checks.sqlite"),
        "GEO_SERVICE_ACTUALS_DB": str(tmp_path / "actuals.sqlite"),
    }
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "geo_service", "serve", "--port", str(port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/conformance", timeout=2)
                    break
                except OSError:
                    assert process.poll() is None, log_path.read_text()
                    assert time.monotonic() < deadline
                    time.sleep(0.2)
            if name == "first":
                printed = log_path.read_text()
                password = re.search(r"密码 (\S+)（只显示这一次）", printed).group(1)
                assert log_in(f"http://127.0.0.1:{port}", "admin", password) == "admin"
        finally:
            process.terminate()
            process.wait(timeout=10)
    return log_path.read_text()


def log_in(url: str, name: str, password: str) -> str | None:
    """Log in through the real login form (CSRF token, cookie) and ask who we are."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{url}/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"name": name, "password": password, "csrf_token": token})
    opener.open(f"{url}/login", data=form.encode())
    return json.load(opener.open(f"{url}/api/me"))["user"]


def test_first_start_creates_an_admin_once(tmp_path):
    first = serve_once(tmp_path, "first")
    assert "已创建管理员 admin" in first and "/login" in first
    second = serve_once(tmp_path, "second")
    assert "管理员" not in second  # printed once, never again
