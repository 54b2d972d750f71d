"""The three SQLite files an install kept before the store, written by the classes that
wrote them then (copied from geo_service at 4d7c57f, the last commit before the move, with
only their names changed): what the upgrade-in-place tests start from. Test helper, not a
test module."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import geopandas as gpd
import shapely
from werkzeug.security import check_password_hash, generate_password_hash

from geo_service.analysis.actuals import rows_of, validate
from geo_service.auth import User, valid_role
from geo_service.auth.store import (
    MAX_NAME,
    TOKEN_PREFIX,
    bounded,
    digest,
    dummy_hash,
    now,
    session_stamp,
    valid_name,
    valid_password,
)
from geo_service.catalog import Catalog
from geo_service.errors import BadRequest, ConfigError, NotFound
from geo_service.land.model import notes_text

INLINE_PARCELS = 1000

# ---- land/register.py ----------------------------------------------------------------------

SCHEMA_VERSION = 2
SCHEMA = """
CREATE TABLE IF NOT EXISTS checks (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    input_name TEXT NOT NULL,
    input_sha256 TEXT NOT NULL,
    input_format TEXT NOT NULL,
    input_crs TEXT NOT NULL,
    zones_source TEXT NOT NULL,
    zones_sha256 TEXT NOT NULL,
    parameters TEXT NOT NULL,
    summary TEXT NOT NULL,
    document TEXT NOT NULL,
    user TEXT NOT NULL DEFAULT '',
    client_addr TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS check_parcels (
    check_id TEXT NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    parcel_id TEXT NOT NULL,
    status TEXT NOT NULL,
    area_m2 REAL, area_mu REAL, inside_m2 REAL, outside_m2 REAL, distance_m REAL,
    crs_used TEXT,
    zones TEXT NOT NULL,
    warnings TEXT NOT NULL,
    geometry BLOB NOT NULL,
    record TEXT,
    PRIMARY KEY (check_id, seq)
);
CREATE TABLE IF NOT EXISTS check_zones (
    check_id TEXT NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
    zone_id TEXT NOT NULL,
    name TEXT,
    geometry BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    stage TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    user TEXT NOT NULL DEFAULT '',
    client_addr TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS checks_created ON checks(created_at);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status);
"""
#: Version 1 -> 2: who asked (user, client address), each parcel's record, the jobs table.
MIGRATE_1_TO_2 = """
ALTER TABLE checks ADD COLUMN user TEXT NOT NULL DEFAULT '';
ALTER TABLE checks ADD COLUMN client_addr TEXT NOT NULL DEFAULT '';
ALTER TABLE check_parcels ADD COLUMN record TEXT;
"""


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class OldRegister:
    """The register in ``path`` (created on first use, a version-1 file migrated in place)."""

    def __init__(self, path: Path, inline_parcels: int = INLINE_PARCELS):
        self.path = Path(path)
        self.inline_parcels = int(inline_parcels)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self.connect()) as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables and version not in (1, SCHEMA_VERSION):
                raise ConfigError(
                    "register.schema_version",
                    path=str(self.path),
                    version=version,
                    expected=SCHEMA_VERSION,
                )
            db.execute("PRAGMA journal_mode=WAL")
            if tables and version == 1:
                migrate_v1(db)
            db.executescript(SCHEMA)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA foreign_keys=ON")
        return db

    def save(self, document: dict, parcels: gpd.GeoDataFrame, zones: gpd.GeoDataFrame | None):
        """Store one finished check, all or nothing.

        A check of more than ``inline_parcels`` parcels is stored without its parcel list in
        the document: the parcels are read page by page from check_parcels.
        """
        results = document["parcels"]
        wkb = shapely.to_wkb(parcels.geometry.to_numpy())
        rows = [
            (
                document["id"],
                seq,
                r["parcel_id"],
                r["status"],
                r["area_m2"],
                r["area_mu"],
                r["inside_m2"],
                r["outside_m2"],
                r["distance_m"],
                r["crs_used"],
                "、".join(z["name"] for z in r["zones"]),
                notes_text(r["warnings"]),
                blob,
                dumps(r),
            )
            for seq, (r, blob) in enumerate(zip(results, wkb))
        ]
        stored = document
        if len(results) > self.inline_parcels:
            stored = {k: v for k, v in document.items() if k != "parcels"}
            stored["parcels_paged"] = True
        whole = dumps(stored)
        who = document.get("requested_by") or {}
        with closing(self.connect()) as db, db:
            db.execute(
                "INSERT INTO checks (id, created_at, input_name, input_sha256, input_format, "
                "input_crs, zones_source, zones_sha256, parameters, summary, document, user, "
                "client_addr) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    document["id"],
                    document["created_at"],
                    document["input"]["name"],
                    document["input"]["sha256"],
                    document["input"]["format"],
                    document["input"]["crs"],
                    document["zones"]["source"],
                    document["zones"]["sha256"],
                    json.dumps(document["parameters"], ensure_ascii=False),
                    json.dumps(document["summary"], ensure_ascii=False),
                    whole,
                    who.get("user") or "",
                    who.get("address") or "",
                ),
            )
            db.executemany(
                "INSERT INTO check_parcels VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
            if zones is not None:
                db.executemany(
                    "INSERT INTO check_zones VALUES (?, ?, ?, ?)",
                    [
                        (document["id"], z, n, shapely.to_wkb(g))
                        for z, n, g in zip(zones["zone_id"], zones["name"], zones.geometry)
                    ],
                )


def migrate_v1(db: sqlite3.Connection) -> None:
    """Version 1 -> 2 in place, in one transaction: new columns, then each stored parcel's
    record copied from its check's document (version 1 always embedded them)."""
    with db:
        for statement in filter(str.strip, MIGRATE_1_TO_2.split(";")):
            db.execute(statement)
        for row in db.execute("SELECT id, document FROM checks").fetchall():
            records = json.loads(row["document"]).get("parcels", [])
            db.executemany(
                "UPDATE check_parcels SET record = ? WHERE check_id = ? AND seq = ?",
                [(dumps(r), row["id"], seq) for seq, r in enumerate(records)],
            )
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


# ---- analysis/actuals.py -------------------------------------------------------------------

ACTUALS_SCHEMA = """
CREATE TABLE IF NOT EXISTS actuals (
    year INTEGER NOT NULL, subject TEXT NOT NULL, id TEXT NOT NULL, indicator TEXT NOT NULL,
    value REAL NOT NULL, source TEXT NOT NULL, sample INTEGER NOT NULL,
    file_name TEXT NOT NULL, imported_at TEXT NOT NULL,
    PRIMARY KEY (year, subject, id, indicator)
);
CREATE TABLE IF NOT EXISTS imports (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    imported_at TEXT NOT NULL, user TEXT NOT NULL, address TEXT NOT NULL,
    file_name TEXT NOT NULL, file_sha256 TEXT NOT NULL, rows INTEGER NOT NULL
);
"""


class OldActualsStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path)) as db:
            db.executescript(ACTUALS_SCHEMA)
            columns = {r[1] for r in db.execute("PRAGMA table_info(actuals)")}
            if "imported_by" not in columns:  # files from before accounts existed
                db.execute("ALTER TABLE actuals ADD COLUMN imported_by TEXT NOT NULL DEFAULT ''")

    def import_file(
        self, data: bytes, filename: str, catalog: Catalog, user: str = "", address: str = ""
    ) -> dict:
        """Import every row or none; the import is recorded with who made it and from where."""
        rows = validate(rows_of(data, filename), catalog, filename)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with closing(sqlite3.connect(self.path)) as db, db:
            db.execute(
                "INSERT INTO imports (imported_at, user, address, file_name, file_sha256, rows) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (now, user, address, filename, hashlib.sha256(data).hexdigest(), len(rows)),
            )
            db.executemany(
                "INSERT OR REPLACE INTO actuals (year, subject, id, indicator, value, source, "
                "sample, file_name, imported_at, imported_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        r["year"],
                        r["subject"],
                        r["id"],
                        r["indicator"],
                        r["value"],
                        r["source"],
                        int(r["sample"]),
                        filename,
                        now,
                        user,
                    )
                    for r in rows
                ],
            )
        return {
            "imported": len(rows),
            "file": filename,
            "years": sorted({r["year"] for r in rows}),
            "sample_rows": sum(r["sample"] for r in rows),
            "imported_by": {"user": user, "address": address},
        }


# ---- auth/store.py ---------------------------------------------------------------------------

AUTH_SCHEMA = """
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


class OldAuthStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():  # password hashes: readable by the service's user only
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        with closing(self.connect()) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(AUTH_SCHEMA)

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


# ---- an install with data in all three files -------------------------------------------------

#: The old files' names in an install's data folder.
FILES = {"checks": "checks.sqlite", "actuals": "actuals.sqlite", "auth": "auth.sqlite"}
ADMIN_PASSWORD = "a long enough password"
PLANNER_PASSWORD = "another long password"


def fill_legacy_files(folder: Path) -> dict:
    """The three files of an install before the store, with real data in them, written by
    the classes above: 3 checks of 7 parcels, a full actuals CSV import for 2020, 2 users,
    a token, 3 audit rows, an ended session. What was written: {"checks": [documents],
    "token": the planner's bearer token, "actuals": rows imported}."""
    import csv
    import io

    from land_fixtures import PARCEL_SHAPES, ZONE_SHAPES, collection

    from geo_service.analysis.actuals import template_rows
    from geo_service.catalog import load_catalog
    from geo_service.config import REPO_ROOT
    from geo_service.land.readers import read_parcel_file
    from geo_service.land.service import CheckRequest, Upload, run_check
    from geo_service.land.zones import zones_from_file

    folder = Path(folder)
    register = OldRegister(folder / FILES["checks"])
    zones = zones_from_file(read_parcel_file(collection(ZONE_SHAPES, 36), "z.geojson"), "sha")
    documents = []
    for n in range(3):
        request = CheckRequest(
            Upload(f"地块{n}.geojson", collection(PARCEL_SHAPES, 36)),
            user="规划员",
            client_addr="10.0.0.8",
        )
        document, parcels, used = run_check(request, zones, "test")
        register.save(document, parcels, used.frame)
        documents.append(document)
    catalog = load_catalog(REPO_ROOT / "layers")
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(["年份", "类型", "编号", "名称", "指标", "数值", "来源", "样例"])
    for number, row in enumerate(template_rows(catalog, 2020)):
        row[5] = str(number * 1.5)
        writer.writerow(row)
    actuals = OldActualsStore(folder / FILES["actuals"])
    imported = actuals.import_file(
        table.getvalue().encode(), "实际值.csv", catalog, "planner1", "10.0.0.9"
    )
    auth = OldAuthStore(folder / FILES["auth"])
    auth.add_user("admin", "admin", ADMIN_PASSWORD)
    auth.add_user("规划员", "planner", PLANNER_PASSWORD)
    token, _ = auth.create_token("规划员", "QGIS")
    for status in (200, 403, 500):
        auth.record("admin", "127.0.0.1", "POST /api/checks", "check", status, {"n": status})
    auth.end_session("sid-1", 1)
    return {"checks": documents, "token": token, "actuals": imported["imported"]}


def legacy_facts(folder: Path, names: dict[str, str] = FILES) -> dict[str, tuple[int, str]]:
    """(rows, SHA-256 of the rows) of every table of the old files, read with sqlite3."""
    from geo_service.store.legacy import LEGACY_TABLES

    facts = {}
    for kind, pairs in LEGACY_TABLES.items():
        with closing(sqlite3.connect(Path(folder) / names[kind])) as raw:
            for name, target in pairs:
                facts[target] = rows_digest(raw, name)
    return facts


def rows_digest(raw: sqlite3.Connection, table: str) -> tuple[int, str]:
    """Independent of the store's code: every column of every row, sorted, as JSON."""
    rows = raw.execute(f"SELECT * FROM {table}").fetchall()  # noqa: S608 - fixed test names
    columns = [c[0] for c in raw.execute(f"SELECT * FROM {table} LIMIT 0").description]
    texts = sorted(
        json.dumps(
            dict(zip(columns, [v.hex() if isinstance(v, bytes) else v for v in row], strict=True)),
            sort_keys=True,
            ensure_ascii=False,
        )
        for row in rows
    )
    return len(rows), hashlib.sha256("\n".join(texts).encode()).hexdigest()
