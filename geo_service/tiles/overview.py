"""The overview tile (issue 14 §3): what a tile holds when more rows meet it than the
configured cap (``TILE_MAX_FEATURES``), instead of every feature or a partial subset.

The tile is cut into ``CELLS`` x ``CELLS`` square cells (``CELL`` tile units, 16 screen
pixels each); each cell holding at least one row is one square polygon of the MVT layer
``LAYER`` with the property ``count``: how many rows of the layer version have the centre of
their box (lon/lat) in that cell. A row whose centre is outside the tile is counted by the
tile holding it, so the counts of a zoom's tiles add up to the rows of the layer. The map
shades each cell by its count and says in Chinese how many features are there and to zoom in.
"""

from __future__ import annotations

import numpy as np
import shapely

from geo_service.tiles import mvt
from geo_service.tiles.matrix import EXTENT, Tile

#: The MVT layer of an overview tile (``gs_`` like the ``gs_fid`` property: never a layer id
#: of the catalog, whose tiles name their one layer after the layer).
LAYER = "gs_overview"
#: Cells per side: the tile's children 4 zooms further down (2**4 = 16 per side).
FINER = 4
CELLS = 2**FINER
CELL = EXTENT // CELLS


def grid(tile: Tile) -> tuple[list[float], list[float]]:
    """The cells' edges in lon/lat, ascending: (CELLS + 1 longitudes west to east, CELLS + 1
    latitudes south to north); the latitudes are those of equal steps on the map (EPSG:3857),
    so every cell is a square of CELL units on the tile."""
    west, _, east, _ = tile.lonlat_bounds()
    return [west + (east - west) * k / CELLS for k in range(CELLS + 1)], _lats(tile)


def _lats(tile: Tile) -> list[float]:
    """CELLS + 1 latitudes from the tile's south edge to its north edge (the row edges of the
    tile's 16 x 16 children: tiles of zoom z + 4 are exactly its cells)."""
    finer = tile.z + FINER
    top = tile.y * CELLS
    # the north edge of child row top + k, for k = CELLS (the tile's south edge) down to 0
    return [Tile(finer, top + k, 0).lonlat_bounds()[3] for k in range(CELLS, -1, -1)]


def meets(boxes: np.ndarray, box) -> np.ndarray:
    """Which of ``boxes`` (n x 4 lon/lat) meet ``box`` (west, south, east, north), edges
    included, as the store's spatial indexes answer."""
    west, south, east, north = box
    return (
        (boxes[:, 0] <= east)
        & (boxes[:, 2] >= west)
        & (boxes[:, 1] <= north)
        & (boxes[:, 3] >= south)
    )


def counts_of_boxes(tile: Tile, boxes: np.ndarray) -> dict[tuple[int, int], int]:
    """{(column, row from the south): rows} of ``boxes`` (n x 4: minx, miny, maxx, maxy in
    lon/lat) whose centre is in the tile: the in-memory layers' counterpart of
    store.tile_overview.cell_counts."""
    lons, lats = grid(tile)
    if not len(boxes):
        return {}
    cx = (boxes[:, 0] + boxes[:, 2]) / 2
    cy = (boxes[:, 1] + boxes[:, 3]) / 2
    inside = (cx >= lons[0]) & (cx < lons[-1]) & (cy >= lats[0]) & (cy < lats[-1])
    columns = np.searchsorted(lons, cx[inside], side="right") - 1
    rows = np.searchsorted(lats, cy[inside], side="right") - 1
    cells = columns.clip(0, CELLS - 1) * CELLS + rows.clip(0, CELLS - 1)
    tally = np.bincount(cells, minlength=CELLS * CELLS)
    return {(int(c) // CELLS, int(c) % CELLS): int(tally[c]) for c in np.flatnonzero(tally)}


def encode(counts: dict[tuple[int, int], int]) -> bytes:
    """The overview tile's MVT bytes: a square per counted cell (y up on the tile's grid, as
    mvt.encode takes it), MVT id row * CELLS + column + 1, property ``count``."""
    features = [
        (row * CELLS + column + 1, {"count": int(count)}, _square(column, row))
        for (column, row), count in sorted(counts.items())
        if count > 0
    ]
    return mvt.encode(LAYER, features)


def _square(column: int, row: int):
    return shapely.box(column * CELL, row * CELL, (column + 1) * CELL, (row + 1) * CELL)
