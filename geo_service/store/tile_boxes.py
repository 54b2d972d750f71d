"""The row boxes of a big layer version, kept in the store once read (schema.tile_boxes,
migration 7), so that a server's first overfull tile after a start reads a few blobs (SQLite
~0.1 s, PostGIS ~0.2 s for 10^6 rows) instead of every row of the version (1-2 s).

The cache is derived from layer_features and never trusted blindly: a version's parts are
used only when they are all there, of this ``FORMAT``, and hold exactly the version's row
count (its summary); otherwise the rows are read (tile_overview.version_boxes) and the
cache is written again. A version's rows never change once written, so nothing else can
make it stale. Failing to write it (a read-only store, a race with another server writing
the same rows) only costs the next start its speed: it is logged, never raised.
"""

from __future__ import annotations

import logging

import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from geo_service.store import schema
from geo_service.store import tile_overview as store_overview

log = logging.getLogger(__name__)

#: Changes when the packing below changes: parts of another format are rebuilt.
FORMAT = 1
#: Rows per part (32 MB of boxes): each blob stays well inside what both backends take.
PART_ROWS = 1 << 20
BOX_DTYPE = np.dtype("<f8")  # minx, miny, maxx, maxy per row, NaN for no geometry


def version_boxes(
    engine: Engine, layer_id: str, version: int, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """The version's row boxes (n x 4 float64) and polygon flags (n bool), as
    tile_overview.version_boxes gives them: from the cache when it holds them, else read from
    the rows and cached."""
    found = cached(engine, layer_id, version, count)
    if found is not None:
        return found
    boxes, polygons = store_overview.version_boxes(engine, layer_id, version, count)
    if len(boxes) == count:
        try:
            keep(engine, layer_id, version, boxes, polygons)
        except SQLAlchemyError as error:
            log.warning("tile boxes of %s v%s not cached: %s", layer_id, version, error)
    return boxes, polygons


def cached(
    engine: Engine, layer_id: str, version: int, count: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """The cached boxes and flags of the version, None unless every part is there, of
    FORMAT, and together they hold ``count`` rows."""
    t = schema.tile_boxes
    query = (
        select(t.c.part, t.c.format, t.c.row_count, t.c.boxes, t.c.polygons)
        .where(t.c.layer_id == layer_id, t.c.version == int(version))
        .order_by(t.c.part)
    )
    boxes = np.empty((max(0, int(count)), 4), dtype=np.float64)
    polygons = np.zeros(len(boxes), dtype=bool)
    filled = 0
    with engine.connect() as db:
        rows = db.execution_options(stream_results=True).execute(query)
        for expected, (part, format_, row_count, packed, flags) in enumerate(rows):
            size = int(row_count)
            if (
                part != expected
                or format_ != FORMAT
                or filled + size > len(boxes)
                or len(packed) != size * 4 * BOX_DTYPE.itemsize
                or len(flags) != size
            ):
                return None
            boxes[filled : filled + size] = np.frombuffer(packed, BOX_DTYPE).reshape(size, 4)
            polygons[filled : filled + size] = np.frombuffer(flags, np.uint8) != 0
            filled += size
    return (boxes, polygons) if filled == len(boxes) else None


def keep(
    engine: Engine, layer_id: str, version: int, boxes: np.ndarray, polygons: np.ndarray
) -> None:
    """Write the version's boxes and flags as its cache (replacing any parts there), in one
    transaction."""
    t = schema.tile_boxes
    with engine.begin() as db:
        db.execute(t.delete().where(t.c.layer_id == layer_id, t.c.version == int(version)))
        for part, start in enumerate(range(0, max(1, len(boxes)), PART_ROWS)):
            chunk = boxes[start : start + PART_ROWS]
            db.execute(
                t.insert().values(
                    layer_id=layer_id,
                    version=int(version),
                    part=part,
                    format=FORMAT,
                    row_count=len(chunk),
                    boxes=np.ascontiguousarray(chunk, dtype=BOX_DTYPE).tobytes(),
                    polygons=polygons[start : start + PART_ROWS].astype(np.uint8).tobytes(),
                )
            )
