"""The store's geometry column: WKB bytes above the store, on every backend.

``Geometry(srid)`` is ``LargeBinary`` (a BLOB of WKB) on SQLite, byte for byte what the store
always held, and ``geometry(Geometry, srid)`` on PostgreSQL/PostGIS: WKB is bound through
``ST_GeomFromEWKB`` with the SRID set, and read back through
``ST_AsEWKB(ST_SetSRID(g, 0))``: the same extended-WKB flavour shapely writes (a Z geometry
flagged 0x80000000 rather than ISO's +1000; little-endian), so the bytes read back equal the
bytes written and the rows hash alike on both backends (``sql.digest_rows``).

A small type rather than GeoAlchemy2: all the store needs is these two expressions and the
column's DDL, and GeoAlchemy2 would read geometries back as its own ``WKBElement`` objects
(ISO WKB) instead of the bytes the rest of the service handles.
"""

from __future__ import annotations

from sqlalchemy import LargeBinary, func
from sqlalchemy.types import TypeDecorator, UserDefinedType

#: CRS84 (lon/lat): layer features. PostGIS reads 4326 in lon/lat order, as GeoJSON is.
LAYER_SRID = 4326
#: CGCS2000 lon/lat: the check register and the re-checks' parcels.
REGISTER_SRID = 4490


class PostgisGeometry(UserDefinedType):
    """``geometry(Geometry, srid)``: bound as WKB, read as EWKB without SRID."""

    cache_ok = True

    def __init__(self, srid: int):
        self.srid = int(srid)

    def get_col_spec(self, **_kw) -> str:
        # no typmod: geometry(Geometry, srid) would refuse a Z geometry (the store keeps Z);
        # migration 3 adds CHECK (ST_SRID(col) = srid), which geometry_columns reports
        return "geometry"

    def bind_expression(self, bindvalue):
        return func.ST_SetSRID(func.ST_GeomFromEWKB(bindvalue), self.srid, type_=self)

    def column_expression(self, col):
        return func.ST_AsEWKB(func.ST_SetSRID(col, 0), "NDR", type_=LargeBinary)

    def bind_processor(self, dialect):
        return LargeBinary().bind_processor(dialect)

    def result_processor(self, dialect, coltype):
        return LargeBinary().result_processor(dialect, coltype)


class Geometry(TypeDecorator):
    """WKB on SQLite (BLOB), PostGIS ``geometry`` with ``srid`` on PostgreSQL."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, srid: int):
        super().__init__()
        self.srid = int(srid)

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(PostgisGeometry(self.srid))
        return dialect.type_descriptor(LargeBinary())
