"""Vector tile geometry from PostGIS (issue 14 §3): the features of one layer version in one
WebMercatorQuad tile, projected, simplified, clipped and put on the tile's grid by PostGIS
(``ST_AsMVTGeom(ST_SimplifyPreserveTopology(ST_Transform(geometry, 3857), tolerance),
ST_TileEnvelope(z, x, y), 4096, 64)``), found through the GiST index of
``layer_features.geometry``; and the bare ``ST_AsMVT`` of the same rows (the benchmarks'
baseline). PostgreSQL only: on SQLite ``tile_rows`` answers None and the caller makes the
tile itself (geo_service.tiles).

The tile's properties are the catalog's words for each feature (precision and citations in
Chinese, the label, the popup fields), written in Python for every backend alike, so a tile
reads the same whichever backend made its geometry.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, and_, func, literal, literal_column, or_, select

from geo_service.store.geometry import LAYER_SRID
from geo_service.store.schema import layer_features

WEB_MERCATOR = 3857
#: The square world of EPSG:3857 (ST_TileEnvelope's default bounds, given for the margin).
HALF_WORLD = 20037508.3427892
MAX_LAT = 85.0511287798066


@dataclass(frozen=True)
class TileRow:
    """One feature in a tile: its position, id, stored properties (JSON text) and its shape
    on the tile's grid (WKB, y down as MVT writes it)."""

    seq: int
    fid: str
    properties: str
    geometry: bytes


def postgis(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def _in_tile(layer_id: str, version: int, z: int, x: int, y: int, extent, buffer, tolerance):
    f = layer_features.c
    world = func.ST_MakeEnvelope(-HALF_WORLD, -HALF_WORLD, HALF_WORLD, HALF_WORLD, WEB_MERCATOR)
    envelope = func.ST_TileEnvelope(z, x, y)
    grown = func.ST_TileEnvelope(z, x, y, world, literal(buffer / extent))
    projected = func.ST_Transform(f.geometry, WEB_MERCATOR)
    shape = projected
    if tolerance > 0:
        shape = func.ST_SimplifyPreserveTopology(projected, tolerance)
    on_grid = func.ST_AsMVTGeom(shape, envelope, extent, buffer, True)
    where = and_(
        f.layer_id == layer_id,
        f.version == version,
        f.geometry.op("&&")(func.ST_Transform(grown, LAYER_SRID)),
    )
    if tolerance > 0:  # what a tile draws: see geo_service.tiles.mvt.visible
        kind = func.ST_Dimension(f.geometry)
        pixel_area = tolerance * tolerance
        where = and_(
            where,
            # first the row's box (migration 5): a polygon whose box is smaller than a pixel
            # is smaller too, found without projecting it (most parcels at low zooms)
            or_(f.minx.is_(None), kind != 2, _box_area(f) >= pixel_area),
            or_(
                kind == 0,
                and_(kind == 1, func.ST_Length(projected) >= tolerance),
                and_(kind == 2, func.ST_Area(projected) >= pixel_area),
            ),
        )
    return on_grid, where


def _box_area(f):
    """The EPSG:3857 area of a row's lon/lat box (the box of its projected shape: the
    projection is monotonic in each axis), in square metres."""
    radius = 6378137.0

    def north(lat):  # clamped to the square world, as the tiles' projection is
        lat = func.greatest(func.least(lat, MAX_LAT), -MAX_LAT)
        return func.ln(func.tan(func.radians(45 + lat / 2)))

    width = func.radians(f.maxx - f.minx) * radius
    return width * (north(f.maxy) - north(f.miny)) * radius


def tile_rows(
    engine: Engine,
    layer_id: str,
    version: int,
    z: int,
    x: int,
    y: int,
    *,
    extent: int = 4096,
    buffer: int = 64,
    tolerance: float = 0.0,
) -> list[TileRow] | None:
    """The features of the tile (z, x, y) with their shapes on its grid, in stored order;
    None when the database is not PostGIS."""
    if not postgis(engine):
        return None
    f = layer_features.c
    on_grid, where = _in_tile(layer_id, version, z, x, y, extent, buffer, tolerance)
    inner = select(f.seq, f.fid, f.properties, on_grid.label("shape")).where(where).subquery()
    query = (
        select(inner.c.seq, inner.c.fid, inner.c.properties, func.ST_AsBinary(inner.c.shape))
        .where(inner.c.shape.is_not(None))
        .order_by(inner.c.seq)
    )
    with engine.connect() as db:
        return [TileRow(int(s), fid, props, bytes(g)) for s, fid, props, g in db.execute(query)]


def bare_mvt(
    engine: Engine,
    layer_id: str,
    version: int,
    z: int,
    x: int,
    y: int,
    *,
    extent: int = 4096,
    buffer: int = 64,
    tolerance: float = 0.0,
) -> bytes:
    """``ST_AsMVT`` of the same rows with only the id and ``gs_fid`` (no words): what PostGIS
    alone answers, for the benchmarks."""
    f = layer_features.c
    on_grid, where = _in_tile(layer_id, version, z, x, y, extent, buffer, tolerance)
    rows = (
        select((f.seq + 1).label("id"), f.fid.label("gs_fid"), on_grid.label("geom"))
        .where(where)
        .subquery("q")
    )
    row = literal_column(rows.name)  # the whole row: ST_AsMVT(q, ...)
    query = select(func.ST_AsMVT(row, layer_id, extent, "geom", "id")).select_from(rows)
    with engine.connect() as db:
        return bytes(db.execute(query).scalar_one() or b"")
