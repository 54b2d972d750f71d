"""The WebMercatorQuad tile matrix set (OGC 17-083r4, Annex D.1) in plain arithmetic.

Tiles are numbered as OGC API - Tiles and XYZ maps number them: ``z`` the tile matrix (zoom),
``y`` the row counted from the top (north), ``x`` the column from the west. Geometry is in
EPSG:3857 metres once projected; the tile's own grid is ``EXTENT`` units a side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

from geo_service.errors import BadRequest, NotFound

TMS_ID = "WebMercatorQuad"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
CRS_3857 = "http://www.opengis.net/def/crs/EPSG/0/3857"
WKSS = "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible"
#: Half the side of the square world in EPSG:3857 metres (pi * 6378137).
HALF_WORLD = 20037508.3427892
#: The scale denominator and metres per pixel of tile matrix 0 (256-pixel tiles, 0.28 mm pixels).
SCALE_0 = 559082264.028717
CELL_0 = 156543.033928041
#: Matrices in the set (0-24) and those the tilesets offer (0-22, enough for parcels).
SET_MAX_ZOOM = 24
MAX_ZOOM = 22
TILE_PIXELS = 256
#: The MVT grid (4096 units a side) and the buffer kept around a tile (as ST_AsMVTGeom's 64).
EXTENT = 4096
BUFFER = 64
MAX_LAT = 85.0511287798066
EARTH_RADIUS = 6378137.0
#: Digits a z, y or x may have (2**22 has 7): longer input is refused without being read.
INDEX_DIGITS = 10


def definition() -> dict:
    """The tile matrix set as OGC 17-083r4's JSON encoding (2.0) describes it."""
    return {
        "id": TMS_ID,
        "title": "Google Maps Compatible for the World",
        "uri": TMS_URI,
        "crs": CRS_3857,
        "orderedAxes": ["X", "Y"],
        "wellKnownScaleSet": WKSS,
        "tileMatrices": [
            {
                "id": str(z),
                "scaleDenominator": SCALE_0 / 2**z,
                "cellSize": CELL_0 / 2**z,
                "cornerOfOrigin": "topLeft",
                "pointOfOrigin": [-HALF_WORLD, HALF_WORLD],
                "tileWidth": TILE_PIXELS,
                "tileHeight": TILE_PIXELS,
                "matrixWidth": 2**z,
                "matrixHeight": 2**z,
            }
            for z in range(SET_MAX_ZOOM + 1)
        ],
    }


@dataclass(frozen=True)
class Tile:
    z: int
    y: int
    x: int

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) in EPSG:3857 metres."""
        size = 2 * HALF_WORLD / 2**self.z
        minx = -HALF_WORLD + self.x * size
        maxy = HALF_WORLD - self.y * size
        return (minx, maxy - size, minx + size, maxy)

    def lonlat_bounds(self, buffer: float = 0.0) -> tuple[float, float, float, float]:
        """(west, south, east, north) in degrees, grown by ``buffer`` of the tile's side."""
        n = 2**self.z
        x0, x1 = self.x - buffer, self.x + 1 + buffer
        y0, y1 = self.y - buffer, self.y + 1 + buffer
        return (_lon(x0, n), _lat(y1, n), _lon(x1, n), _lat(y0, n))


def _lon(x: float, n: int) -> float:
    return max(-180.0, min(180.0, x / n * 360.0 - 180.0))


def _lat(y: float, n: int) -> float:
    y = max(0.0, min(float(n), y))
    return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))


def tolerance(z: int) -> float:
    """Simplification at zoom ``z``: about one screen pixel of a 256-pixel tile, in metres."""
    return CELL_0 / 2**z


def to_mercator(geometries: np.ndarray) -> np.ndarray:
    """WGS84 lon/lat shapes to EPSG:3857 (latitudes clamped to the square world)."""

    def project(coords: np.ndarray) -> np.ndarray:
        lon = np.radians(coords[:, 0])
        lat = np.radians(np.clip(coords[:, 1], -MAX_LAT, MAX_LAT))
        return np.column_stack(
            (EARTH_RADIUS * lon, EARTH_RADIUS * np.log(np.tan(np.pi / 4 + lat / 2)))
        )

    return shapely.transform(geometries, project)


def index_of(value: str, name: str) -> int:
    """A z, y or x of a tile URL: ASCII digits only (not '1.5', '-1', '１' or 'Ｘ')."""
    if not value.isascii() or not value.isdigit() or len(value) > INDEX_DIGITS:
        raise BadRequest("tiles.bad_index", name=name, value=value[:40])
    return int(value)


def parse_tile(z: str, y: str, x: str) -> Tile:
    """The tile a URL names, or a 400 (not integers) / 404 (beyond the set or its zooms)."""
    zoom, row, col = index_of(z, "z"), index_of(y, "y"), index_of(x, "x")
    if zoom > MAX_ZOOM:
        raise NotFound("tiles.zoom_beyond", z=zoom, max=MAX_ZOOM)
    last = 2**zoom - 1
    if row > last or col > last:
        raise NotFound("tiles.outside_matrix", z=zoom, y=row, x=col, last=last)
    return Tile(zoom, row, col)


def tile_range(bbox: list[float] | tuple[float, ...], z: int) -> tuple[int, int, int, int]:
    """(minTileRow, maxTileRow, minTileCol, maxTileCol) of the tiles ``bbox`` (lon/lat) touches."""
    n = 2**z
    west, south, east, north = bbox

    def col(lon: float) -> int:
        return min(n - 1, max(0, math.floor((lon + 180.0) / 360.0 * n)))

    def row(lat: float) -> int:
        phi = math.radians(max(-MAX_LAT, min(MAX_LAT, lat)))
        value = (1 - math.log(math.tan(phi) + 1 / math.cos(phi)) / math.pi) / 2 * n
        return min(n - 1, max(0, math.floor(value)))

    return row(north), row(south), col(west), col(east)


def limits(bbox: list[float] | None) -> list[dict]:
    """The tileMatrixSetLimits of data within ``bbox``: every zoom of the tileset."""
    if bbox is None:
        return []
    out = []
    for z in range(MAX_ZOOM + 1):
        min_row, max_row, min_col, max_col = tile_range(bbox, z)
        out.append(
            {
                "tileMatrix": str(z),
                "minTileRow": min_row,
                "maxTileRow": max_row,
                "minTileCol": min_col,
                "maxTileCol": max_col,
            }
        )
    return out


def within(tile: Tile, bbox: list[float] | None) -> bool:
    """Whether ``tile`` is inside the limits of data within ``bbox`` (None: no data)."""
    if bbox is None:
        return True
    min_row, max_row, min_col, max_col = tile_range(bbox, tile.z)
    return min_row <= tile.y <= max_row and min_col <= tile.x <= max_col
