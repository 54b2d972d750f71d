"""The check register (留痕): every check, stored in one SQLite file.

A check is written in a single transaction (the check row, its parcels with their geometry, and
the zones it used when they came from a file), so a crash mid-way leaves no half record. WAL
mode lets the app read while a check is being written. Geometries are stored as WKB in
CGCS2000 lon/lat; ``export_geopackage`` turns the register into a GeoPackage for QGIS.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo_service.errors import ConfigError, NotFound
from geo_service.land.model import notes_text

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
LIST_COLUMNS = (
    "id",
    "created_at",
    "input_name",
    "input_sha256",
    "input_format",
    "zones_source",
    "zones_sha256",
    "user",
    "client_addr",
    "summary",
)
PARCEL_COLUMNS = (
    "check_id",
    "parcel_id",
    "status",
    "area_m2",
    "area_mu",
    "inside_m2",
    "outside_m2",
    "distance_m",
    "crs_used",
    "zones",
    "warnings",
)
#: Checks with more parcels than this keep them out of the stored document (paged instead).
INLINE_PARCELS = 1000
BATCH = 2000


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Register:
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

    def list(self, limit: int = 100, offset: int = 0) -> list[dict]:
        with closing(self.connect()) as db:
            rows = db.execute(
                f"SELECT {', '.join(LIST_COLUMNS)} FROM checks "
                "ORDER BY created_at DESC, id LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        return [{**dict(row), "summary": json.loads(row["summary"])} for row in rows]

    def count(self) -> int:
        with closing(self.connect()) as db:
            return db.execute("SELECT count(*) FROM checks").fetchone()[0]

    def get(self, check_id: str) -> dict:
        """The check document; a big check's has ``parcels_paged`` instead of ``parcels``."""
        with closing(self.connect()) as db:
            row = db.execute("SELECT document FROM checks WHERE id = ?", (check_id,)).fetchone()
            if row is None:
                raise NotFound("check.not_found", id=check_id[:64])
        return json.loads(row["document"])

    def parcels_page(self, check_id: str, limit: int, offset: int) -> tuple[list[dict], int]:
        """Parcel records ``offset`` .. ``offset + limit`` of one check, and how many it has."""
        total = self.get_summary(check_id)["parcels"]
        with closing(self.connect()) as db:
            rows = db.execute(
                "SELECT record FROM check_parcels WHERE check_id = ? AND seq >= ? AND seq < ? "
                "ORDER BY seq",
                (check_id, offset, offset + limit),
            ).fetchall()
        return [json.loads(row["record"]) for row in rows], total

    def get_summary(self, check_id: str) -> dict:
        with closing(self.connect()) as db:
            row = db.execute("SELECT summary FROM checks WHERE id = ?", (check_id,)).fetchone()
        if row is None:
            self.get(check_id)  # raises NotFound
        return json.loads(row["summary"])

    def iter_parcels(self, check_id: str, geometry: bool = False, limit: int | None = None):
        """Yield each parcel's record (with its WKB as ``(record, wkb)`` when ``geometry``),
        read from the database in batches so memory does not grow with the check."""
        columns = "record, geometry" if geometry else "record"
        with closing(self.connect()) as db:
            cursor = db.execute(
                f"SELECT {columns} FROM check_parcels WHERE check_id = ? ORDER BY seq LIMIT ?",
                (check_id, -1 if limit is None else limit),
            )
            while batch := cursor.fetchmany(BATCH):
                for row in batch:
                    record = json.loads(row["record"])
                    yield (record, row["geometry"]) if geometry else record

    def geometries(
        self, check_id: str, limit: int | None = None
    ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
        """(parcels, zones) of one check as frames in CGCS2000 lon/lat (zones may be empty)."""
        with closing(self.connect()) as db:
            parcels = db.execute(
                "SELECT parcel_id, status, geometry FROM check_parcels "
                "WHERE check_id = ? ORDER BY seq LIMIT ?",
                (check_id, -1 if limit is None else limit),
            ).fetchall()
            zones = db.execute(
                "SELECT zone_id, name, geometry FROM check_zones WHERE check_id = ?", (check_id,)
            ).fetchall()
        return frame_of(parcels, ("parcel_id", "status")), frame_of(zones, ("zone_id", "name"))

    def export_geopackage(self, check_ids: list[str] | None = None) -> bytes:
        """The register (or some checks) as a GeoPackage: layers checks, parcels, zones."""
        where = ""
        params: tuple = ()
        if check_ids:
            where = f" WHERE check_id IN ({', '.join('?' * len(check_ids))})"
            params = tuple(check_ids)
        with closing(self.connect()) as db:
            checks = pd.read_sql_query(
                "SELECT id, created_at, input_name, input_sha256, input_format, input_crs, "
                "zones_source, zones_sha256, user, client_addr, parameters, summary FROM checks"
                + where.replace("check_id", "id"),
                db,
                params=params,
            )
            parcels = db.execute(
                f"SELECT {', '.join(PARCEL_COLUMNS)}, geometry FROM check_parcels" + where,
                params,
            ).fetchall()
        frame = frame_of(parcels, PARCEL_COLUMNS)
        with tempfile.TemporaryDirectory(prefix="geo_service-") as folder:
            path = Path(folder) / "checks.gpkg"
            frame.to_file(path, layer="check_parcels", driver="GPKG", engine="pyogrio")
            checks_frame = gpd.GeoDataFrame(checks, geometry=[None] * len(checks), crs="EPSG:4490")
            checks_frame.to_file(path, layer="checks", driver="GPKG", engine="pyogrio")
            return path.read_bytes()


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


def frame_of(rows, columns: tuple[str, ...]) -> gpd.GeoDataFrame:
    data = {c: [row[c] for row in rows] for c in columns}
    geometry = shapely.from_wkb([row["geometry"] for row in rows]) if rows else []
    return gpd.GeoDataFrame(data, geometry=list(geometry), crs="EPSG:4490")
