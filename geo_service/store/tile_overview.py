"""What an overfull vector tile needs from the store (issue 14 §3): how many rows of a layer
version meet a tile, counted only up to a cap (a bounded query on the spatial index, never
a full count), and the overview of a tile over the cap: its rows counted per cell of a grid,
from the rows' box columns (migration 5: minx/miny/maxx/maxy) alone, no geometry decoded.

A row belongs to the cell holding the centre of its box (lon/lat); a row whose centre lies
outside the tile is left to the tile that holds it, so every row is counted in exactly one
tile of a zoom. On PostGIS one aggregate statement (``width_bucket``) over the GiST index's
candidates (or a sequential scan, when the planner finds most rows meet the tile); on SQLite
one aggregate over the R*Tree's candidates (store/big.py), or over the version's rows with
the box columns as the filter when the R*Tree finds more than ``RTREE_DENSE`` entries (then
a scan in stored order is faster than a lookup per entry).

Every value is a bound parameter; the statements are the same whatever the layer holds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import Engine, text

#: Above this many R*Tree entries in a tile's box, SQLite counts the version's rows in
#: stored order (4 µs a row) rather than looking each entry up (9 µs a row).
RTREE_DENSE = 200_000

_PG_COUNT = text(
    "SELECT count(*) FROM (SELECT 1 FROM layer_features"
    " WHERE layer_id = :layer AND version = :version"
    " AND geometry && ST_MakeEnvelope(:w, :s, :e, :n, 4326) LIMIT :limit) AS q"
)
_SQLITE_COUNT = text(
    "SELECT count(*) FROM (SELECT 1 FROM layer_features_rtree AS r"
    " CROSS JOIN layer_features AS f ON f.rowid = r.id"
    " WHERE r.minx <= :e AND r.maxx >= :w AND r.miny <= :n AND r.maxy >= :s"
    " AND f.layer_id = :layer AND f.version = :version LIMIT :limit) AS q"
)
_SQLITE_RTREE_HITS = text(
    "SELECT count(*) FROM (SELECT 1 FROM layer_features_rtree AS r"
    " WHERE r.minx <= :e AND r.maxx >= :w AND r.miny <= :n AND r.maxy >= :s"
    " LIMIT :limit) AS q"
)
_CENTRE_INSIDE = (
    " AND (f.minx + f.maxx) / 2 >= :w AND (f.minx + f.maxx) / 2 < :e"
    " AND (f.miny + f.maxy) / 2 >= :s AND (f.miny + f.maxy) / 2 < :n"
)


def rows_up_to(engine: Engine, layer_id: str, version: int, box: Sequence[float], cap: int) -> int:
    """How many rows of the version have a box meeting ``box`` (west, south, east, north),
    counted up to ``cap + 1`` only (more than ``cap``: the answer is ``cap + 1``)."""
    params = _box(box) | {"layer": layer_id, "version": int(version), "limit": int(cap) + 1}
    query = _PG_COUNT if engine.dialect.name == "postgresql" else _SQLITE_COUNT
    with engine.connect() as db:
        return int(db.execute(query, params).scalar_one())


def cell_counts(
    engine: Engine,
    layer_id: str,
    version: int,
    lon_edges: Sequence[float],
    lat_edges: Sequence[float],
) -> dict[tuple[int, int], int]:
    """{(column, row from the south): rows} of the version whose box centre falls in each
    cell of the grid ``lon_edges`` x ``lat_edges`` (ascending, n + 1 edges each: n cells)."""
    cells = len(lon_edges) - 1
    if cells < 1 or len(lat_edges) != cells + 1:
        raise ValueError("a grid needs n + 1 edges on each axis")
    west, east = float(lon_edges[0]), float(lon_edges[-1])
    south, north = float(lat_edges[0]), float(lat_edges[-1])
    params = {
        "layer": layer_id,
        "version": int(version),
        **_box((west, south, east, north)),
        "cells": cells,
    }
    with engine.connect() as db:
        if engine.dialect.name == "postgresql":
            query = text(
                "SELECT width_bucket((f.minx + f.maxx) / 2, :w, :e, :cells) - 1,"
                " width_bucket((f.miny + f.maxy) / 2, CAST(:lats AS float8[])) - 1, count(*)"
                " FROM layer_features AS f WHERE f.layer_id = :layer AND f.version = :version"
                " AND f.geometry && ST_MakeEnvelope(:w, :s, :e, :n, 4326)"
                + _CENTRE_INSIDE
                + " GROUP BY 1, 2"
            )
            rows = db.execute(query, params | {"lats": [float(v) for v in lat_edges]})
        else:
            rows = db.execute(_sqlite_cells(db, params, lat_edges), params)
        found = {}
        for column, row, count in rows:
            key = (min(cells - 1, max(0, int(column))), min(cells - 1, max(0, int(row))))
            found[key] = found.get(key, 0) + int(count)
        return found


def _sqlite_cells(db, params: dict, lat_edges: Sequence[float]):
    """SQLite's statement: the row of a cell as the number of inner edges at or below the
    centre (SQLite has no width_bucket), from the R*Tree's candidates unless they are many."""
    inner = list(lat_edges[1:-1])
    row = " + ".join(f"((f.miny + f.maxy) / 2 >= :lat{k})" for k in range(len(inner))) or "0"
    params.update({f"lat{k}": float(v) for k, v in enumerate(inner)})
    params["dlon"] = (params["e"] - params["w"]) / params["cells"]
    hits = db.execute(_SQLITE_RTREE_HITS, params | {"limit": RTREE_DENSE + 1}).scalar_one()
    if hits > RTREE_DENSE:  # most of the version: its rows in stored order
        source = "layer_features AS f WHERE f.minx <= :e AND f.maxx >= :w"
        source += " AND f.miny <= :n AND f.maxy >= :s AND"
    else:  # the R*Tree leads (CROSS JOIN: SQLite would otherwise walk the version first)
        source = "layer_features_rtree AS r CROSS JOIN layer_features AS f ON f.rowid = r.id"
        source += " WHERE r.minx <= :e AND r.maxx >= :w AND r.miny <= :n AND r.maxy >= :s AND"
    query = (
        f"SELECT CAST(((f.minx + f.maxx) / 2 - :w) / :dlon AS INTEGER), {row}, count(*)"
        f" FROM {source} f.layer_id = :layer AND f.version = :version"
        + _CENTRE_INSIDE
        + " GROUP BY 1, 2"
    )
    return text(query)


#: The box columns and whether the row is a (multi)polygon (1): on SQLite the WKB's head
#: (byte order and type word) is a polygon's or multipolygon's, 2D or EWKB Z (what the store
#: writes, store/features.py), either byte order (any other head reads as "not a polygon",
#: which only costs speed); on PostGIS ST_Dimension.
_BOXES = {
    "sqlite": "SELECT minx, miny, maxx, maxy, substr(geometry, 1, 5) IN"
    " (x'0103000000', x'0106000000', x'0000000003', x'0000000006', x'0103000080',"
    " x'0106000080', x'0080000003', x'0080000006') FROM layer_features"
    " WHERE layer_id = ? AND version = ?",
    "postgresql": "SELECT minx, miny, maxx, maxy, ST_Dimension(geometry) = 2 FROM layer_features"
    " WHERE layer_id = %s AND version = %s",
}
BOXES_PER_FETCH = 50_000


def version_boxes(
    engine: Engine, layer_id: str, version: int, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """The box columns of every row of the version as an n x 4 float64 array (minx, miny,
    maxx, maxy; NaN for a row without geometry) and which rows are (multi)polygons (an n
    bool array: what a tile may drop as smaller than a pixel), read ``BOXES_PER_FETCH`` rows
    at a time into arrays of ``count`` rows (the version's summary: nothing bigger is built). The
    driver's own cursor (plain tuples: SQLAlchemy's rows cost 9x the read); on PostgreSQL a
    server-side one, so the client never holds the whole result."""
    boxes = np.full((max(0, int(count)), 4), np.nan)
    polygons = np.zeros(len(boxes), dtype=bool)
    filled = 0
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as db:
        raw = db.connection.dbapi_connection
        cursor = raw.cursor(name="gs_version_boxes") if postgres else raw.cursor()
        try:
            cursor.execute(_BOXES[engine.dialect.name], (layer_id, int(version)))
            while rows := cursor.fetchmany(BOXES_PER_FETCH):
                if filled + len(rows) > len(boxes):
                    raise ValueError("the version holds more rows than its summary says")
                part = np.array(rows, dtype=float)  # None: nan
                boxes[filled : filled + len(rows)] = part[:, :4]
                polygons[filled : filled + len(rows)] = part[:, 4] == 1
                filled += len(rows)
        finally:
            cursor.close()
    return boxes[:filled], polygons[:filled]


def _box(box: Sequence[float]) -> dict:
    west, south, east, north = (float(v) for v in box)
    return {"w": west, "s": south, "e": east, "n": north}
