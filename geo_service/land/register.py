"""The check register (留痕): every check, stored in the one store (``DATABASE_URL``).

A check is written in a single transaction (the check row, its parcels with their geometry, and
the zones it used when they came from a file), so a crash mid-way leaves no half record.
Geometries are stored as WKB in CGCS2000 lon/lat; ``export_geopackage`` turns the register into
a GeoPackage for QGIS. Only SQLAlchemy Core on ``store.schema``'s tables: the same code runs on
any database the store runs on. Registers kept in their own SQLite file (``CHECKS_DB``) before
the store are imported at start-up (``store.legacy``).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import Connection, func, insert, select

from geo_service.errors import NotFound
from geo_service.land import register_blocks
from geo_service.land.model import notes_text
from geo_service.store import Store, shared_store
from geo_service.store import schema as tables

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
EXPORT_COLUMNS = (
    "id",
    "created_at",
    "input_name",
    "input_sha256",
    "input_format",
    "input_crs",
    "zones_source",
    "zones_sha256",
    "user",
    "client_addr",
    "parameters",
    "summary",
)
#: Checks with more parcels than this keep them out of the stored document (paged instead).
INLINE_PARCELS = 1000
BATCH = 2000


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Register:
    """The register in ``store`` (its tables are made by the store's migrations)."""

    def __init__(self, store: Store, inline_parcels: int = INLINE_PARCELS):
        self.store = store
        self.engine = store.engine
        self.inline_parcels = int(inline_parcels)

    def __reduce__(self):
        """Sent to a worker process as its URL: the worker opens its own store there."""
        return (register_at, (self.store.url, self.inline_parcels))

    def save(
        self,
        document: dict,
        parcels: gpd.GeoDataFrame,
        zones: gpd.GeoDataFrame | None,
        within: Callable[[Connection], None] | None = None,
    ):
        """Store one finished check, all or nothing.

        A check of more than ``inline_parcels`` parcels is stored without its parcel list in
        the document: the parcels are read page by page from check_parcels. ``within(db)``
        runs first in the same transaction (a queued job's end: raising rolls all back).
        """
        results = document["parcels"]
        wkb = shapely.to_wkb(parcels.geometry.to_numpy())
        rows = [
            {
                "check_id": document["id"],
                "seq": seq,
                "parcel_id": r["parcel_id"],
                "status": r["status"],
                "area_m2": r["area_m2"],
                "area_mu": r["area_mu"],
                "inside_m2": r["inside_m2"],
                "outside_m2": r["outside_m2"],
                "distance_m": r["distance_m"],
                "crs_used": r["crs_used"],
                "zones": "、".join(z["name"] for z in r["zones"]),
                "warnings": notes_text(r["warnings"]),
                "geometry": blob,
                "record": dumps(r),
            }
            for seq, (r, blob) in enumerate(zip(results, wkb))
        ]
        stored = document
        if len(results) > self.inline_parcels:
            stored = {k: v for k, v in document.items() if k != "parcels"}
            stored["parcels_paged"] = True
        with self.engine.begin() as db:
            if within is not None:
                within(db)
            self._insert_check(db, document, stored)
            for start in range(0, len(rows), BATCH):
                db.execute(insert(tables.check_parcels), rows[start : start + BATCH])
            self._insert_zones(db, document["id"], zones)

    def save_blocks(
        self,
        document: dict,
        items,
        zones: gpd.GeoDataFrame | None,
        within: Callable[[Connection], None] | None = None,
    ) -> None:
        """Store a big check (land.big_check) all or nothing: its document (summary, no
        parcels), its parcels as (first seq, count, data) blocks, the zones it used;
        ``within(db)`` first, as in ``save``."""
        with self.engine.begin() as db:
            if within is not None:
                within(db)
            self._insert_check(db, document, document)
            register_blocks.insert_blocks(db, document["id"], items)
            self._insert_zones(db, document["id"], zones)

    def _insert_check(self, db, document: dict, stored: dict) -> None:
        who = document.get("requested_by") or {}
        db.execute(
            insert(tables.checks).values(
                id=document["id"],
                created_at=document["created_at"],
                input_name=document["input"]["name"],
                input_sha256=document["input"]["sha256"],
                input_format=document["input"]["format"],
                input_crs=document["input"]["crs"],
                zones_source=document["zones"]["source"],
                zones_sha256=document["zones"]["sha256"],
                parameters=json.dumps(document["parameters"], ensure_ascii=False),
                summary=json.dumps(document["summary"], ensure_ascii=False),
                document=dumps(stored),
                user=who.get("user") or "",
                client_addr=who.get("address") or "",
            )
        )

    def _insert_zones(self, db, check_id: str, zones: gpd.GeoDataFrame | None) -> None:
        if zones is not None and len(zones):
            db.execute(
                insert(tables.check_zones),
                [
                    {"check_id": check_id, "zone_id": z, "name": n, "geometry": g}
                    for z, n, g in zip(
                        zones["zone_id"], zones["name"], shapely.to_wkb(zones.geometry)
                    )
                ],
            )

    def list(self, limit: int = 100, offset: int = 0) -> list[dict]:
        c = tables.checks
        query = (
            select(*(c.c[name] for name in LIST_COLUMNS))
            .order_by(c.c.created_at.desc(), c.c.id)
            .limit(int(limit))
            .offset(int(offset))
        )
        with self.engine.connect() as db:
            rows = db.execute(query).mappings().all()
        return [{**row, "summary": json.loads(row["summary"])} for row in rows]

    def count(self) -> int:
        with self.engine.connect() as db:
            return db.execute(select(func.count()).select_from(tables.checks)).scalar()

    def _one(self, column, check_id: str):
        c = tables.checks
        with self.engine.connect() as db:
            value = db.execute(select(c.c[column]).where(c.c.id == check_id)).scalar()
        if value is None:
            raise NotFound("check.not_found", id=str(check_id)[:64])
        return json.loads(value)

    def get(self, check_id: str) -> dict:
        """The check document; a big check's has ``parcels_paged`` instead of ``parcels``."""
        return self._one("document", check_id)

    def get_summary(self, check_id: str) -> dict:
        return self._one("summary", check_id)

    def parcels_page(self, check_id: str, limit: int, offset: int) -> tuple[list[dict], int]:
        """Parcel records ``offset`` .. ``offset + limit`` of one check, and how many it has."""
        total = self.get_summary(check_id)["parcels"]
        if register_blocks.has_blocks(self.engine, check_id):
            return register_blocks.page(self.engine, check_id, limit, offset), total
        p = tables.check_parcels
        query = (
            select(p.c.record)
            .where(p.c.check_id == check_id, p.c.seq >= offset, p.c.seq < offset + limit)
            .order_by(p.c.seq)
        )
        with self.engine.connect() as db:
            return [json.loads(record) for record in db.execute(query).scalars()], total

    def iter_parcels(self, check_id: str, geometry: bool = False, limit: int | None = None):
        """Yield each parcel's record (with its WKB as ``(record, wkb)`` when ``geometry``),
        read from the database in batches so memory does not grow with the check."""
        if register_blocks.has_blocks(self.engine, check_id):
            yield from register_blocks.iter_parcels(self.engine, check_id, geometry, limit)
            return
        p = tables.check_parcels
        columns = (p.c.record, p.c.geometry) if geometry else (p.c.record,)
        query = select(*columns).where(p.c.check_id == check_id).order_by(p.c.seq)
        if limit is not None:
            query = query.limit(int(limit))
        with self.engine.connect() as db:
            result = db.execution_options(yield_per=BATCH).execute(query)
            for row in result:
                record = json.loads(row[0])
                yield (record, row[1]) if geometry else record

    def geometries(
        self, check_id: str, limit: int | None = None
    ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
        """(parcels, zones) of one check as frames in CGCS2000 lon/lat (zones may be empty)."""
        p, z = tables.check_parcels, tables.check_zones
        if register_blocks.has_blocks(self.engine, check_id):
            rows = list(register_blocks.parcel_rows(self.engine, check_id, limit))
            zones = select(z.c.zone_id, z.c.name, z.c.geometry).where(z.c.check_id == check_id)
            with self.engine.connect() as db:
                zone_rows = db.execute(zones).mappings().all()
            return (
                frame_of(rows, ("parcel_id", "status")),
                frame_of(zone_rows, ("zone_id", "name")),
            )
        parcels = (
            select(p.c.parcel_id, p.c.status, p.c.geometry)
            .where(p.c.check_id == check_id)
            .order_by(p.c.seq)
        )
        if limit is not None:
            parcels = parcels.limit(int(limit))
        zones = select(z.c.zone_id, z.c.name, z.c.geometry).where(z.c.check_id == check_id)
        with self.engine.connect() as db:
            parcel_rows = db.execute(parcels).mappings().all()
            zone_rows = db.execute(zones).mappings().all()
        return (
            frame_of(parcel_rows, ("parcel_id", "status")),
            frame_of(zone_rows, ("zone_id", "name")),
        )

    def export_geopackage(self, check_ids: list[str] | None = None) -> bytes:
        """The register (or some checks) as a GeoPackage: layers checks, parcels, zones."""
        c, p = tables.checks, tables.check_parcels
        checks = select(*(c.c[name] for name in EXPORT_COLUMNS)).order_by(c.c.created_at, c.c.id)
        parcels = select(*(p.c[name] for name in PARCEL_COLUMNS), p.c.geometry).order_by(
            p.c.check_id, p.c.seq
        )
        if check_ids:
            checks = checks.where(c.c.id.in_(list(check_ids)))
            parcels = parcels.where(p.c.check_id.in_(list(check_ids)))
        with self.engine.connect() as db:
            frame_rows = db.execute(parcels).mappings().all()
            checks_table = pd.read_sql_query(checks, db)
        frame = frame_of(frame_rows, PARCEL_COLUMNS)
        with tempfile.TemporaryDirectory(prefix="geo_service-") as folder:
            path = Path(folder) / "checks.gpkg"
            big = register_blocks.checks_with_blocks(self.engine, check_ids)
            written = len(frame) > 0 or not big  # an empty layer would fix its fields as Real
            if written:
                frame.to_file(path, layer="check_parcels", driver="GPKG", engine="pyogrio")
            for check_id in big:
                batch = []
                for row in register_blocks.parcel_rows(self.engine, check_id):
                    batch.append(row)
                    if len(batch) >= BLOCK_EXPORT:
                        written = append_parcels(path, batch, written)
                        batch = []
                written = append_parcels(path, batch, written)
            checks_frame = gpd.GeoDataFrame(
                checks_table, geometry=[None] * len(checks_table), crs="EPSG:4490"
            )
            checks_frame.to_file(path, layer="checks", driver="GPKG", engine="pyogrio")
            return path.read_bytes()


BLOCK_EXPORT = 20_000


def append_parcels(path: Path, rows: list[dict], exists: bool) -> bool:
    """Rows of a big check added to the register GeoPackage's check_parcels layer (made by
    the first rows when it does not exist yet); returns whether the layer exists now."""
    if rows:
        frame_of(rows, PARCEL_COLUMNS).to_file(
            path,
            layer="check_parcels",
            driver="GPKG",
            engine="pyogrio",
            mode="a" if exists else "w",
        )
    return exists or bool(rows)


def register_at(url: str, inline_parcels: int = INLINE_PARCELS) -> Register:
    """The register in this process's store at ``url`` (``store.shared_store``)."""
    return Register(shared_store(url), inline_parcels)


def frame_of(rows, columns: tuple[str, ...]) -> gpd.GeoDataFrame:
    data = {c: [row[c] for row in rows] for c in columns}
    geometry = shapely.from_wkb([row["geometry"] for row in rows]) if rows else []
    return gpd.GeoDataFrame(data, geometry=list(geometry), crs="EPSG:4490")
