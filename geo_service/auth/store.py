"""Users, API tokens and the audit log, in the one store (``DATABASE_URL``).

Passwords are stored as Werkzeug scrypt hashes; API tokens only as their SHA-256 (a token is
shown once, when it is made). The audit log records every write: who, from where, what, when,
and how it ended.
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from geo_service.auth import User, valid_role
from geo_service.errors import BadRequest, NotFound
from geo_service.store import Store
from geo_service.store.schema import audit, ended_sessions, tokens, users

TOKEN_PREFIX = "gs_"
MAX_NAME = 64
MIN_PASSWORD = 10
#: A token's last use is written again after this many seconds, not on every request.
TOKEN_USE_EVERY_S = 60
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


def audit_text(value: str, size: int) -> str:
    """A value as the audit log keeps it: within its column, a NUL shown as ␀ (PostgreSQL's
    text cannot hold NUL, and a refused request must still be recorded)."""
    return value.replace("\x00", "\u2400")[:size]


class AuthStore:
    """Accounts, tokens, ended sessions and the audit log in ``store`` (SQLAlchemy Core on
    ``store.schema``'s tables; the store's SQLite file is made readable by its owner only)."""

    def __init__(self, store: Store):
        self.store = store
        self.engine = store.engine

    def _row(self, query):
        with self.engine.connect() as db:
            row = db.execute(query).mappings().first()
        return None if row is None else dict(row)

    # users -----------------------------------------------------------------------------

    def user_count(self) -> int:
        with self.engine.connect() as db:
            return db.execute(select(func.count()).select_from(users)).scalar()

    def add_user(self, name: str, role: str, password: str | None) -> dict:
        """A new user; ``password=None`` makes one who can only come in through the proxy."""
        name, role = valid_name(name), valid_role(role)
        hashed = generate_password_hash(valid_password(password)) if password is not None else ""
        try:
            with self.engine.begin() as db:
                if db.execute(select(users.c.name).where(users.c.name == name)).first():
                    raise BadRequest("auth.user_exists", name=name)
                db.execute(
                    insert(users).values(
                        name=name,
                        role=role,
                        password_hash=hashed,
                        disabled=0,
                        created_at=now(),
                        changed_at=now(),
                    )
                )
        except IntegrityError:  # made by another process at the same moment
            raise BadRequest("auth.user_exists", name=name) from None
        return self.get_user(name)

    def get_user(self, name: str) -> dict:
        row = self._row(
            select(
                users.c.name,
                users.c.role,
                users.c.disabled,
                users.c.created_at,
                users.c.changed_at,
                users.c.password_hash,
            ).where(users.c.name == name)
        )
        if row is None:
            raise NotFound("auth.no_user", name=str(name)[:MAX_NAME])
        hashed = row.pop("password_hash")
        return {**row, "disabled": bool(row["disabled"]), "has_password": bool(hashed)}

    def list_users(self) -> list[dict]:
        with self.engine.connect() as db:
            names = list(db.execute(select(users.c.name).order_by(users.c.name)).scalars())
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
            with self.engine.begin() as db:
                db.execute(
                    update(users).where(users.c.name == name).values(**changes, changed_at=now())
                )
        return self.get_user(name)

    def _account(self, name: str):
        return self._row(
            select(users.c.name, users.c.role, users.c.password_hash, users.c.disabled).where(
                users.c.name == name
            )
        )

    def login(self, name: str, password: str) -> User | None:
        """The user if the name and password match an enabled account, else None."""
        row = self._account(name)
        if row is None or row["disabled"] or not row["password_hash"]:
            check_password_hash(dummy_hash(), password or "")  # the same time either way
            return None
        if not check_password_hash(row["password_hash"], password or ""):
            return None
        return User(row["name"], row["role"], "session")

    def session_user(self, name: str, stamp: str, sid: str) -> User | None:
        """The user of a session cookie, while the account is enabled, its password (the
        stamp is taken from its hash) unchanged and the session not logged out."""
        ended = ended_sessions
        with self.engine.connect() as db:
            row = db.execute(
                select(users.c.name, users.c.role, users.c.password_hash, users.c.disabled).where(
                    users.c.name == name
                )
            ).first()
            gone = db.execute(select(ended.c.sid).where(ended.c.sid == sid)).first()
        if row is None or row.disabled or gone:
            return None
        if session_stamp(row.password_hash) != stamp:
            return None
        return User(row.name, row.role, "session")

    def end_session(self, sid: str, keep_days: float) -> None:
        """Log a session out for good (its signed cookie may still be replayed); entries
        older than the longest session are dropped."""
        cutoff = (datetime.now(UTC) - timedelta(days=keep_days)).isoformat(timespec="seconds")
        ended = ended_sessions
        try:
            with self.engine.begin() as db:
                if not db.execute(select(ended.c.sid).where(ended.c.sid == sid)).first():
                    db.execute(insert(ended).values(sid=sid, ended_at=now()))
        except IntegrityError:  # ended by another request at the same moment: ended
            pass
        with self.engine.begin() as db:
            db.execute(delete(ended).where(ended.c.ended_at < cutoff))

    def stamp_of(self, name: str) -> str:
        row = self._account(name)
        return session_stamp(row["password_hash"] if row else "")

    def proxy_user(self, name: str) -> User | None:
        """A user named by the trusted proxy: their role if known here, else ``viewer``."""
        name = valid_name(name)
        row = self._account(name)
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
        with self.engine.begin() as db:
            db.execute(
                insert(tokens).values(
                    id=token_id,
                    user=user,
                    label=label,
                    token_sha256=digest(token),
                    created_at=now(),
                    revoked_at=None,
                    last_used_at=None,
                )
            )
        return token, self.get_token(token_id)

    def get_token(self, token_id: str) -> dict:
        row = self._row(select(*TOKEN_COLUMNS).where(tokens.c.id == token_id))
        if row is None:
            raise NotFound("auth.no_token", token=str(token_id)[:MAX_NAME])
        return row

    def list_tokens(self) -> list[dict]:
        with self.engine.connect() as db:
            found = db.execute(select(*TOKEN_COLUMNS).order_by(tokens.c.created_at, tokens.c.id))
            return [dict(row) for row in found.mappings()]

    def revoke_token(self, token_id: str) -> dict:
        self.get_token(token_id)
        with self.engine.begin() as db:
            db.execute(
                update(tokens)
                .where(tokens.c.id == token_id, tokens.c.revoked_at.is_(None))
                .values(revoked_at=now())
            )
        return self.get_token(token_id)

    def token_user(self, token: str) -> User | None:
        """The user a bearer token acts for, unless it is revoked or its user disabled.

        Asked on every request that carries a token: one read, and a write of
        ``last_used_at`` only when the one stored is older than ``TOKEN_USE_EVERY_S``
        (a client polling many times a second does not make every request a write)."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        query = (
            select(tokens.c.id, tokens.c.last_used_at, users.c.name, users.c.role)
            .join(users, users.c.name == tokens.c.user)
            .where(
                tokens.c.token_sha256 == digest(token),
                tokens.c.revoked_at.is_(None),
                users.c.disabled == 0,
            )
        )
        with self.engine.connect() as db:
            row = db.execute(query).first()
        if row is None:
            return None
        moment = datetime.now(UTC)
        if stale(row.last_used_at, moment):
            with self.engine.begin() as db:
                db.execute(
                    update(tokens)
                    .where(tokens.c.id == row.id)
                    .values(last_used_at=moment.isoformat(timespec="seconds"))
                )
        return User(row.name, row.role, "token")

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
        with self.engine.begin() as db:
            db.execute(
                insert(audit).values(
                    at=now(),
                    user=audit_text(user, 64),  # a refused login's "（尝试 tried）name" too
                    address=audit_text(address, 64),
                    action=audit_text(action, 200),
                    target=audit_text(target, 500),
                    status=status,
                    outcome=outcome,
                    detail=json.dumps(bounded(detail or {}), ensure_ascii=False),
                )
            )

    def audit(self, limit: int = 100, offset: int = 0, user: str | None = None) -> list[dict]:
        query = select(*(audit.c[c] for c in AUDIT_COLUMNS))
        if user:
            query = query.where(audit.c.user == user)
        query = query.order_by(audit.c.seq.desc()).limit(int(limit)).offset(int(offset))
        with self.engine.connect() as db:
            rows = db.execute(query).mappings().all()
        return [{**row, "detail": decoded(row["detail"])} for row in rows]

    def audit_count(self, user: str | None = None) -> int:
        query = select(func.count()).select_from(audit)
        if user:
            query = query.where(audit.c.user == user)
        with self.engine.connect() as db:
            return db.execute(query).scalar()


def stale(last_used_at: str | None, moment: datetime) -> bool:
    """Whether a token's ``last_used_at`` is worth writing again at ``moment``."""
    if not last_used_at:
        return True
    try:
        last = datetime.fromisoformat(last_used_at)
    except ValueError:
        return True
    return (moment - last).total_seconds() >= TOKEN_USE_EVERY_S


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


TOKEN_COLUMNS = (
    tokens.c.id,
    tokens.c.user,
    tokens.c.label,
    tokens.c.created_at,
    tokens.c.revoked_at,
    tokens.c.last_used_at,
)
