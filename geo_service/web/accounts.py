"""Logging in and out, and the admin's API for users, tokens and the audit log."""

from __future__ import annotations

import csv
import io
import json
import secrets
import threading
import time
from collections import defaultdict, deque
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, redirect, render_template, request, session

from geo_service import messages
from geo_service.errors import BadRequest, GeoServiceError, NotAcceptable
from geo_service.messages import Msg
from geo_service.query.params import int_param
from geo_service.web.http import file_response
from geo_service.web.security import client_address, csrf_token, current_user, store

bp = Blueprint("accounts", __name__)
MAX_JSON_BYTES = 16 * 1024
MAX_NEXT = 500
LOGIN_FAILURES = 10  # per client address ...
LOGIN_WINDOW_S = 600  # ... in this many seconds, then 429 until the window has passed


class LoginThrottled(GeoServiceError):
    """Too many failed logins from one address (HTTP 429)."""

    status = 429
    code = "too_many_logins"

    def __init__(self, key: str, retry_after: int, **params):
        super().__init__(key, **params)
        self.retry_after = retry_after


class Failures:
    """Failed logins per client address in a sliding window (in memory, per process)."""

    def __init__(self):
        self.seen: dict[str, deque] = defaultdict(deque)
        self.lock = threading.Lock()

    def check(self, address: str) -> None:
        with self.lock:
            times = self.seen[address]
            while times and times[0] < time.monotonic() - LOGIN_WINDOW_S:
                times.popleft()
            if len(times) >= LOGIN_FAILURES:
                wait = int(times[0] + LOGIN_WINDOW_S - time.monotonic()) + 1
                raise LoginThrottled("auth.too_many_logins", wait, seconds=wait)

    def add(self, address: str) -> None:
        with self.lock:
            self.seen[address].append(time.monotonic())


def failures() -> Failures:
    return current_app.extensions.setdefault("geo_service.login_failures", Failures())


def safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no host, no ``//`` once a browser has dropped tabs
    and line breaks, no control characters, bounded length. Never an open redirect."""
    if not target or len(target) > MAX_NEXT or any(ord(c) < 0x21 or ord(c) == 0x7F for c in target):
        return "/"
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith(("//", "/\\"))
    ):
        return "/"
    return "/" if "\\" in target else target


@bp.get("/login")
def login_form():
    return render_template(
        "login.html",
        title="登录",
        next=safe_next(request.args.get("next")),
        mode=current_app.config["AUTH"],
        error=None,
    )


@bp.post("/login")
def login():
    address = client_address()
    failures().check(address)
    name = request.form.get("name", "").strip()[:64]
    password = request.form.get("password", "")[:1024]
    target = safe_next(request.form.get("next"))
    user = store().login(name, password) if current_app.config["AUTH"] != "none" else None
    g.audit_detail = {"name": name}
    if user is None:
        failures().add(address)
        page = render_template(
            "login.html",
            title="登录",
            name=name,
            next=target,
            mode=current_app.config["AUTH"],
            error=Msg("auth.wrong_login"),
        )
        return page, 401
    session.clear()
    session.permanent = True
    session["sid"] = secrets.token_urlsafe(16)
    session["user"] = user.name
    session["stamp"] = store().stamp_of(user.name)
    csrf_token()
    return redirect(target, code=303)


@bp.post("/logout")
def logout():
    if session.get("sid"):  # the signed cookie stays valid until it expires: end it here
        hours = float(current_app.config["SESSION_HOURS"])
        store().end_session(session["sid"], keep_days=hours / 24 + 1)
    session.clear()
    return redirect("/", code=303)


@bp.get("/api/me")
def me():
    user = current_user()
    return {
        "user": user.name or None,
        "role": None if user.anonymous else user.role,
        "via": user.via,
        "auth": current_app.config["AUTH"],
        "public_read": bool(current_app.config["PUBLIC_READ"]),
        # for the pages' fetch calls (map editing); readable by this origin only
        "csrf": csrf_token() if user.via == "session" else None,
    }


def json_body() -> dict:
    if (request.content_length or 0) > MAX_JSON_BYTES:
        raise BadRequest("body.too_large", max=MAX_JSON_BYTES)
    raw = request.get_data(cache=False)
    if not raw.strip():
        raise BadRequest("body.missing")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise BadRequest("body.invalid_json") from None
    if not isinstance(body, dict):
        raise BadRequest("body.not_object")
    return body


def text_field(body: dict, key: str, required: bool = True) -> str | None:
    if key not in body and not required:
        return None
    value = body.get(key)
    if not isinstance(value, str):
        raise BadRequest("body.not_string", field=key)
    return value


@bp.get("/api/users")
def users():
    return {"users": store().list_users()}


@bp.post("/api/users")
def create_user():
    body = json_body()
    user = store().add_user(
        text_field(body, "name"),
        text_field(body, "role"),
        text_field(body, "password", required=False),
    )
    g.audit_detail = {"user": user["name"], "role": user["role"]}
    return user, 201


@bp.patch("/api/users/<name>")
def update_user(name: str):
    body = json_body()
    disabled = body.get("disabled")
    if disabled is not None and not isinstance(disabled, bool):
        raise BadRequest("body.not_boolean", field="disabled")
    user = store().update_user(
        name,
        role=text_field(body, "role", required=False),
        disabled=disabled,
        password=text_field(body, "password", required=False),
    )
    g.audit_detail = {"user": name, "changed": sorted(k for k in body if k != "password")}
    return user


@bp.get("/api/tokens")
def tokens():
    return {"tokens": store().list_tokens()}


@bp.post("/api/tokens")
def create_token():
    body = json_body()
    token, record = store().create_token(
        text_field(body, "user"), text_field(body, "label", required=False) or ""
    )
    g.audit_detail = {"token": record["id"], "user": record["user"]}
    return {**record, "token": token, **messages.record(note=Msg("auth.token_shown_once"))}, 201


@bp.delete("/api/tokens/<token_id>")
def revoke_token(token_id: str):
    g.audit_detail = {"token": token_id}
    return store().revoke_token(token_id)


@bp.get("/api/audit")
def audit():
    """The audit log, newest first; ``f=csv`` exports it (cells safe for spreadsheets)."""
    who = request.args.get("user") or None
    wanted = request.args.get("f", "json")
    if wanted not in ("json", "csv"):
        raise NotAcceptable("format.not_offered", asked=wanted[:40], choices="json, csv")
    limit = int_param(request.args, "limit", 100, 1, 1000)
    offset = int_param(request.args, "offset", 0, 0, 10**9)
    if wanted == "csv":
        rows = store().audit(limit=10**9, offset=0, user=who)
        return file_response(
            audit_csv(rows),
            "text/csv; charset=utf-8",
            "审计日志.csv",
            fallback="geo_service-audit.csv",
        )
    entries = store().audit(limit, offset, who)
    return {
        "entries": entries,
        "numberMatched": store().audit_count(who),
        "numberReturned": len(entries),
    }


ACTION_ZH = {
    "POST checks.create_check": "用地检查",
    "POST analysis.import_actuals": "导入实际数据",
    "POST accounts.login": "登录",
    "POST accounts.logout": "退出登录",
    "POST accounts.create_user": "新建用户",
    "PATCH accounts.update_user": "修改用户",
    "POST accounts.create_token": "创建令牌",
    "DELETE accounts.revoke_token": "吊销令牌",
}


@bp.get("/admin")
def admin_page():
    from geo_service.auth import ROLE_ZH

    return render_template(
        "admin.html",
        title="账户与审计",
        users=store().list_users(),
        tokens=store().list_tokens(),
        entries=store().audit(200),
        total=store().audit_count(),
        role_zh=ROLE_ZH,
        outcome_zh={"ok": "成功", "refused": "拒绝", "error": "失败"},
        action_zh=ACTION_ZH,
    )


AUDIT_HEADER = ("序号", "时间(UTC)", "用户", "地址", "操作", "对象", "状态码", "结果", "详情")


def audit_csv(rows: list[dict]) -> bytes:
    from geo_service.cells import safe_cell

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(AUDIT_HEADER)
    for r in rows:
        values = (r["seq"], r["at"], r["user"], r["address"], r["action"], r["target"])
        detail = json.dumps(r["detail"], ensure_ascii=False)
        writer.writerow([safe_cell(v) for v in (*values, r["status"], r["outcome"], detail)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
