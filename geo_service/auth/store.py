"""Users, API tokens and the audit log, in one SQLite file (default instance/data/auth.sqlite).

Passwords are stored as Werkzeug scrypt hashes; API tokens only as their SHA-256 (a token is
shown once, when it is made). The audit log records every write: who, from where, what, when,
and how it ended.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import secrets
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from geo_service.auth import User, valid_role
from geo_service.errors import BadRequest, NotFound

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL DEFAULT '',
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    changed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY,
    user TEXT NOT NULL REFERENCES users(name),
    label TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    last_used_at TEXT
);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    user TEXT NOT NULL,
    address TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    status INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_at ON audit(at);
CREATE TABLE IF NOT EXISTS ended_sessions (
    sid TEXT PRIMARY KEY,
    ended_at TEXT NOT NULL
);
"""
TOKEN_PREFIX = "gs_"
MAX_NAME = 64
MIN_PASSWORD = 10
AUDIT_COLUMNS = ("seq", "at", "user", "address", "action", "target", "status", "outcome", "detail")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def valid_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME or any(c in name for c in "\r\n\t\x00/\\<>\"'"):
        raise BadRequest("auth.bad_user_name", max=MAX_NAME)
    return name


def valid_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise BadRequest("auth.short_password", min=MIN_PASSWORD)
    return password


class AuthStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():  # password hashes: readable by the service's user only
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        with closing(self.connect()) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    def connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        return db

    # users -----------------------------------------------------------------------------

    def user_count(self) -> int:
        with closing(self.connect()) as db:
            return db.execute("SELECT count(*) FROM users").fetchone()[0]

    def add_user(self, name: str, role: str, password: str | None) -> dict:
        """A new user; ``password=None`` makes one who can only come in through the proxy."""
        name, role = valid_name(name), valid_role(role)
        hashed = generate_password_hash(valid_password(password)) if password is not None else ""
        with closing(self.connect()) as db, db:
            if db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                raise BadRequest("auth.user_exists", name=name)
            db.execute(
                "INSERT INTO users VALUES (?, ?, ?, 0, ?, ?)", (name, role, hashed, now(), now())
            )
        return self.get_user(name)

    def get_user(self, name: str) -> dict:
        with closing(self.connect()) as db:
            row = db.execute(
                "SELECT name, role, disabled, created_at, changed_at, password_hash != '' AS "
                "has_password FROM users WHERE name = ?",
                (name,),
            ).fetchone()
        if row is None:
            raise NotFound("auth.no_user", name=str(name)[:MAX_NAME])
        return {
            **dict(row),
            "disabled": bool(row["disabled"]),
            "has_password": bool(row["has_password"]),
        }

    def list_users(self) -> list[dict]:
        with closing(self.connect()) as db:
            names = [r[0] for r in db.execute("SELECT name FROM users ORDER BY name")]
        return [self.get_user(n) for n in names]

    def update_user(
        self,
        name: str,
        *,
        role: str | None = None,
        disabled: bool | None = None,
        password: str | None = None,
    ) -> dict:
        self.get_user(name)  # 404 when unknown
        changes: dict[str, object] = {}
        if role is not None:
            changes["role"] = valid_role(role)
        if disabled is not None:
            changes["disabled"] = int(bool(disabled))
        if password is not None:
            changes["password_hash"] = generate_password_hash(valid_password(password))
        if changes:
            columns = ", ".join(f"{c} = ?" for c in changes)
            with closing(self.connect()) as db, db:
                db.execute(
                    f"UPDATE users SET {columns}, changed_at = ? WHERE name = ?",
                    (*changes.values(), now(), name),
                )
        return self.get_user(name)

    def login(self, name: str, password: str) -> User | None:
        """The user if the name and password match an enabled account, else None."""
        with closing(self.connect()) as db:
            row = db.execute(
                "SELECT name, role, password_hash, disabled FROM users WHERE name = ?", (name,)
            ).fetchone()
        if row is None or row["disabled"] or not row["password_hash"]:
            check_password_hash(dummy_hash(), password or "")  # the same time either way
            return None
        if not check_password_hash(row["password_hash"], password or ""):
            return None
        return User(row["name"], row["role"], "session")

    def session_user(self, name: str, stamp: str, sid: str) -> User | None:
        """The user of a session cookie, while the account is enabled, its password (the
        stamp is taken from its hash) unchanged and the session not logged out."""
        with closing(self.connect()) as db:
            row = db.execute(
                "SELECT name, role, password_hash, disabled FROM users WHERE name = ?", (name,)
            ).fetchone()
            ended = db.execute("SELECT 1 FROM ended_sessions WHERE sid = ?", (sid,)).fetchone()
        if row is None or row["disabled"] or ended:
            return None
        if session_stamp(row["password_hash"]) != stamp:
            return None
        return User(row["name"], row["role"], "session")

    def end_session(self, sid: str, keep_days: float) -> None:
        """Log a session out for good (its signed cookie may still be replayed); entries
        older than the longest session are dropped."""
        cutoff = (datetime.now(UTC) - timedelta(days=keep_days)).isoformat(timespec="seconds")
        with closing(self.connect()) as db, db:
            db.execute("INSERT OR IGNORE INTO ended_sessions VALUES (?, ?)", (sid, now()))
            db.execute("DELETE FROM ended_sessions WHERE ended_at < ?", (cutoff,))

    def stamp_of(self, name: str) -> str:
        with closing(self.connect()) as db:
            row = db.execute("SELECT password_hash FROM users WHERE name = ?", (name,)).fetchone()
        return session_stamp(row["password_hash"] if row else "")

    def proxy_user(self, name: str) -> User | None:
        """A user named by the trusted proxy: their role if known here, else ``viewer``."""
        name = valid_name(name)
        with closing(self.connect()) as db:
            row = db.execute("SELECT role, disabled FROM users WHERE name = ?", (name,)).fetchone()
        if row is not None and row["disabled"]:
            return None
        return User(name, row["role"] if row else "viewer", "proxy")

    # tokens ----------------------------------------------------------------------------

    def create_token(self, user: str, label: str = "") -> tuple[str, dict]:
        """A new API token for ``user``: (the token, shown only now; its record)."""
        self.get_user(user)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token_id = secrets.token_hex(6)
        label = (label or "").strip()[:MAX_NAME]
        with closing(self.connect()) as db, db:
            db.execute(
                "INSERT INTO tokens VALUES (?, ?, ?, ?, ?, NULL, NULL)",
                (token_id, user, label, digest(token), now()),
            )
        return token, self.get_token(token_id)

    def get_token(self, token_id: str) -> dict:
        with closing(self.connect()) as db:
            row = db.execute(
                "SELECT id, user, label, created_at, revoked_at, last_used_at FROM tokens "
                "WHERE id = ?",
                (token_id,),
            ).fetchone()
        if row is None:
            raise NotFound("auth.no_token", token=str(token_id)[:MAX_NAME])
        return dict(row)

    def list_tokens(self) -> list[dict]:
        with closing(self.connect()) as db:
            rows = db.execute(
                "SELECT id, user, label, created_at, revoked_at, last_used_at FROM tokens "
                "ORDER BY created_at, id"
            ).fetchall()
        return [dict(r) for r in rows]

    def revoke_token(self, token_id: str) -> dict:
        self.get_token(token_id)
        with closing(self.connect()) as db, db:
            db.execute(
                "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (now(), token_id),
            )
        return self.get_token(token_id)

    def token_user(self, token: str) -> User | None:
        """The user a bearer token acts for, unless it is revoked or its user disabled."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        with closing(self.connect()) as db, db:
            row = db.execute(
                "SELECT t.id, u.name, u.role FROM tokens t JOIN users u ON u.name = t.user "
                "WHERE t.token_sha256 = ? AND t.revoked_at IS NULL AND u.disabled = 0",
                (digest(token),),
            ).fetchone()
            if row is None:
                return None
            db.execute("UPDATE tokens SET last_used_at = ? WHERE id = ?", (now(), row["id"]))
        return User(row["name"], row["role"], "token")

    # audit -----------------------------------------------------------------------------

    def record(
        self,
        user: str,
        address: str,
        action: str,
        target: str,
        status: int,
        detail: dict | None = None,
    ) -> None:
        outcome = "ok" if status < 400 else ("refused" if status in (401, 403, 429) else "error")
        with closing(self.connect()) as db, db:
            db.execute(
                "INSERT INTO audit (at, user, address, action, target, status, outcome, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    now(),
                    user,
                    address,
                    action[:200],
                    target[:500],
                    status,
                    outcome,
                    json.dumps(bounded(detail or {}), ensure_ascii=False),
                ),
            )

    def audit(self, limit: int = 100, offset: int = 0, user: str | None = None) -> list[dict]:
        where, params = ("WHERE user = ?", (user,)) if user else ("", ())
        with closing(self.connect()) as db:
            rows = db.execute(
                f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit {where} "
                "ORDER BY seq DESC LIMIT ? OFFSET ?",
                (*params, limit, offset),
            ).fetchall()
        return [{**dict(r), "detail": decoded(r["detail"])} for r in rows]

    def audit_count(self, user: str | None = None) -> int:
        where, params = ("WHERE user = ?", (user,)) if user else ("", ())
        with closing(self.connect()) as db:
            return db.execute(f"SELECT count(*) FROM audit {where}", params).fetchone()[0]


MAX_DETAIL_VALUE = 300
MAX_DETAIL_KEYS = 20


def bounded(detail: dict) -> dict:
    """The audit detail with every value cut to a bounded length (the JSON stays whole)."""
    out = {}
    for key, value in list(detail.items())[:MAX_DETAIL_KEYS]:
        if not isinstance(value, int | float | bool) and value is not None:
            value = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            value = value[:MAX_DETAIL_VALUE]
        out[str(key)[:64]] = value
    return out


def decoded(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError:  # rows written before details were bounded
        return {"raw": text[:MAX_DETAIL_VALUE]}
    return value if isinstance(value, dict) else {"raw": str(value)[:MAX_DETAIL_VALUE]}


def session_stamp(password_hash: str) -> str:
    return hashlib.sha256(("stamp:" + password_hash).encode()).hexdigest()[:16]


@functools.cache
def dummy_hash() -> str:
    """A hash to check against when the user is unknown, so both cases take as long."""
    return generate_password_hash("not a password of anyone's")
