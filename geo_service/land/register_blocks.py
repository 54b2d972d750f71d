"""The register's side of big checks: their parcels in check_parcel_blocks (land.blocks).

Register (land.register) asks here first: a check with blocks is read from them, page by page
or block by block, in the same records and frames as a check stored a row per parcel.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import Engine, select

from geo_service.land import blocks
from geo_service.land.model import notes_text
from geo_service.store import schema as tables

b = tables.check_parcel_blocks


def has_blocks(engine: Engine, check_id: str) -> bool:
    with engine.connect() as db:
        found = db.execute(select(b.c.block).where(b.c.check_id == check_id).limit(1)).first()
    return found is not None


def insert_blocks(db, check_id: str, items: Iterable[tuple[int, int, bytes]]) -> int:
    """Write (first seq, count, data) blocks in ``db``'s transaction; returns the parcels."""
    total = 0
    for number, (first, count, data) in enumerate(items):
        db.execute(
            b.insert().values(
                check_id=check_id, block=number, first_seq=first, count=count, data=data
            )
        )
        total += count
    return total


def iter_blocks(
    engine: Engine, check_id: str, start: int = 0, stop: int | None = None
) -> Iterator[tuple[int, blocks.Block]]:
    """(first seq, decoded block) of the blocks holding parcels ``start`` .. ``stop``, in order,
    read one at a time."""
    query = select(b.c.first_seq, b.c.count, b.c.data).where(b.c.check_id == check_id)
    query = query.where(b.c.first_seq + b.c.count > start)
    if stop is not None:
        query = query.where(b.c.first_seq < stop)
    query = query.order_by(b.c.block)
    with engine.connect() as db:
        keys = db.execute(query.with_only_columns(b.c.block, b.c.first_seq)).all()
        for number, first in keys:
            data = db.execute(
                select(b.c.data).where(b.c.check_id == check_id, b.c.block == number)
            ).scalar()
            yield first, blocks.decode(data)


def page(engine: Engine, check_id: str, limit: int, offset: int) -> list[dict]:
    """Parcel records ``offset`` .. ``offset + limit``."""
    result: list[dict] = []
    for first, block in iter_blocks(engine, check_id, offset, offset + limit):
        records = blocks.records(block)
        low = max(0, offset - first)
        high = min(block.count, offset + limit - first)
        result.extend(records[low:high])
    return result


def iter_parcels(engine: Engine, check_id: str, geometry: bool = False, limit: int | None = None):
    """Each parcel's record, with its WKB when ``geometry``, block by block."""
    left = limit
    for _, block in iter_blocks(engine, check_id, 0, limit):
        records = blocks.records(block)
        pairs = zip(records, block.wkb) if geometry else records
        for item in pairs:
            if left is not None:
                if left <= 0:
                    return
                left -= 1
            yield item


def parcel_rows(engine: Engine, check_id: str, limit: int | None = None):
    """Rows shaped as check_parcels' (the register's GeoPackage and ``Register.geometries``)."""
    for record, wkb in iter_parcels(engine, check_id, geometry=True, limit=limit):
        yield {
            "check_id": check_id,
            "parcel_id": record["parcel_id"],
            "status": record["status"],
            "area_m2": record["area_m2"],
            "area_mu": record["area_mu"],
            "inside_m2": record["inside_m2"],
            "outside_m2": record["outside_m2"],
            "distance_m": record["distance_m"],
            "crs_used": record["crs_used"],
            "zones": "、".join(z["name"] for z in record["zones"]),
            "warnings": notes_text(record["warnings"]),
            "geometry": wkb,
        }


def checks_with_blocks(engine: Engine, check_ids: list[str] | None) -> list[str]:
    query = select(b.c.check_id).distinct().order_by(b.c.check_id)
    if check_ids:
        query = query.where(b.c.check_id.in_(list(check_ids)))
    with engine.connect() as db:
        return list(db.execute(query).scalars())
