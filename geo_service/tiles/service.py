"""Vector tiles of the catalog's layers: which features fall in a tile, their properties as
the map shows them, the tile's MVT bytes and its ETag, and a bounded cache of made tiles.

A tile is a pure function of the layer version served (its content hash), the catalog's
words for it (popup fields, precision labels) and z/y/x: its ETag is computed from those
alone, so a conditional request is answered without making the tile.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import shapely

from geo_service.catalog import Catalog, Layer
from geo_service.render.map_properties import MapProperties
from geo_service.store import tile_boxes as store_boxes
from geo_service.store import tile_overview as store_overview
from geo_service.store import tiles as store_tiles
from geo_service.tiles import mvt, overview
from geo_service.tiles.matrix import BUFFER, EXTENT, Tile, tile_range, tolerance, within

#: Changes when the encoding changes (properties kept, simplification): new ETags for all.
TILE_FORMAT = "mvt-2"
MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
CACHE_BYTES = 64 * 2**20
GZIP_MIN_BYTES = 512
#: Features read per page from the store (a store-served layer on SQLite).
PAGE = 10_000
#: A tile meeting more rows than this is an overview tile (tiles/overview.py); the
#: setting TILE_MAX_FEATURES.
MAX_FEATURES = 20_000
#: A store-served layer version of more rows than the cap (up to this many) has its rows'
#: boxes read once into memory (32 bytes a row: 32 MB for 10^6), so that which tiles are
#: overfull and their overviews are counted in numpy, not by an aggregate over the store's
#: index per tile (SQLite 0.2-0.9 s at z9 on 10^6 rows, PostGIS 0.1-0.4 s); kept in the
#: store once read (store/tile_boxes.py), so a restarted server reads them back in one go.
BOXES_MAX_ROWS = 4_000_000
#: Zooms whose tiles ``warm`` makes for each layer it reads the boxes of, the map's opening
#: zoom first (Ankang's extent fills a 1280-1920 px screen at z9), at most SEED_MAX_TILES a
#: layer: a restarted server's first visitor finds the first view's tiles made (the 10^6
#: layer's 20 z9 tiles 0.37 s, its 9 z8 ones 0.26 s). Not z10: its 56 tiles hold the
#: parcels themselves (8-9 s of work), which would slow the first visitor it is meant for.
SEED_ZOOMS = (9, 8)
SEED_MAX_TILES = 256
#: Seconds a request waits for the same tile being made by another before making it itself.
PENDING_WAIT = 30.0


@dataclass(frozen=True)
class TileBody:
    raw: bytes
    gzipped: bytes | None
    etag: str


@dataclass
class _LayerState:
    """What every tile of one layer version shares: the index and the properties."""

    tree: shapely.STRtree | None  # None: a layer served from the store
    words: MapProperties
    kept: frozenset[str]
    tag: str
    bbox: list[float] | None
    boxes: np.ndarray | None = None  # a store-served version's row boxes, once read
    polygons: np.ndarray | None = None  # and which of its rows are (multi)polygons
    boxes_lock: threading.Lock = field(default_factory=threading.Lock)


def in_store(layer: Layer) -> bool:
    """A layer the store serves a page at a time (its features not held in memory)."""
    return bool(getattr(layer, "in_store", False))


def layer_bbox(layer: Layer) -> list[float] | None:
    """The layer's lon/lat bounds, None when it has no geometry."""
    if in_store(layer):
        return list(layer.bbox) or None
    present = layer.geometries[~shapely.is_missing(layer.geometries)]
    if not len(present):
        return None
    return [float(v) for v in shapely.total_bounds(present)]


class TileService:
    """Tiles of in-memory layers (``Layer.geometries``) with a cache bounded in bytes; a
    tile meeting more than ``max_features`` rows is an overview tile (tiles/overview.py)."""

    def __init__(
        self,
        cache_bytes: int = CACHE_BYTES,
        max_features: int = MAX_FEATURES,
        boxes_max_rows: int = BOXES_MAX_ROWS,
    ):
        self.cache_bytes = cache_bytes
        self.max_features = int(max_features)
        self.boxes_max_rows = int(boxes_max_rows)
        self._tiles: OrderedDict[str, TileBody] = OrderedDict()
        self._held = 0
        self._layers: dict[tuple, _LayerState] = {}
        self._pending: dict[str, threading.Event] = {}  # tiles being made, by ETag
        self._lock = threading.Lock()
        self.warming = threading.Event()  # set while warm_in_background runs

    def _state(self, catalog: Catalog, layer: Layer) -> _LayerState:
        key = (layer.id, layer.version, layer.sha256, id(layer.geometries))
        state = self._layers.get(key)
        if state is None:
            words = MapProperties(catalog, layer)
            config = json.dumps(
                [
                    catalog.version,
                    words.shown,
                    catalog.popup.get(layer.id),
                    catalog.precision_labels,
                ],
                ensure_ascii=False,
                sort_keys=True,
            )
            text = f"{TILE_FORMAT}|{self.max_features}|{layer.id}|{layer.version}|{layer.sha256}"
            text += f"|{config}"
            tag = hashlib.sha256(text.encode()).hexdigest()
            held = layer.geometries is not None and not in_store(layer)
            state = _LayerState(
                shapely.STRtree(layer.geometries) if held else None,
                words,
                frozenset(words.tile_fields()),
                tag,
                layer_bbox(layer),
            )
            with self._lock:
                stale = [k for k in self._layers if k[0] == layer.id]
                for old in stale[:-3]:  # a few versions at most (?version=n asks for old ones)
                    del self._layers[old]
                self._layers[key] = state
        return state

    def within(self, catalog: Catalog, layer: Layer, tile: Tile) -> bool:
        """Whether ``tile`` is inside the layer's tileMatrixSetLimits (its data's bounds)."""
        return within(tile, self._state(catalog, layer).bbox)

    def etag(self, catalog: Catalog, layer: Layer, tile: Tile) -> str:
        state = self._state(catalog, layer)
        text = f"{state.tag}|{tile.z}/{tile.y}/{tile.x}"
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def tile(self, catalog: Catalog, layer: Layer, tile: Tile, store=None) -> TileBody:
        """The tile's body (made once, then from the cache); ``store`` serves the layers not
        held in memory."""
        tag = self.etag(catalog, layer, tile)
        found, pending = self._cached_or_pending(tag)
        if found is None and pending is not None:  # another request is making it: wait
            pending.wait(PENDING_WAIT)
            found, pending = self._cached_or_pending(tag)
        if found is not None:
            return found
        try:
            if in_store(layer):
                raw = self.encode_stored(catalog, layer, tile, store)
            else:
                raw = self.encode(catalog, layer, tile)
            worth_it = len(raw) >= GZIP_MIN_BYTES
            body = TileBody(raw, gzip.compress(raw, 6, mtime=0) if worth_it else None, tag)
            self._keep(body)
        finally:
            with self._lock:
                done = self._pending.pop(tag, None)
            if done is not None:
                done.set()
        return body

    def _cached_or_pending(self, tag: str) -> tuple[TileBody | None, threading.Event | None]:
        """The cached tile; else the event of the request making it, or None after marking
        it as being made by this one (the first of several asking the same cold tile)."""
        with self._lock:
            found = self._tiles.get(tag)
            if found is not None:
                self._tiles.move_to_end(tag)
                return found, None
            pending = self._pending.get(tag)
            if pending is None:
                self._pending[tag] = threading.Event()
            return None, pending

    def encode(self, catalog: Catalog, layer: Layer, tile: Tile) -> bytes:
        """The MVT bytes of ``tile`` of the in-memory ``layer`` (b"" when nothing is in it)."""
        state = self._state(catalog, layer)
        area = shapely.box(*tile.lonlat_bounds(BUFFER / EXTENT))
        if len(state.tree.query(area)) > self.max_features:  # boxes, as the store counts
            return self._overview_held(state, layer, tile)
        hits = np.sort(state.tree.query(area, predicate="intersects"))
        shapes = mvt.tile_shapes(tile, layer.geometries[hits]) if len(hits) else []
        features = []
        for index, shape in zip(hits, shapes):
            if shape.is_empty:  # smaller than a pixel, or outside once clipped
                continue
            properties = self._properties(state, layer.features[index])
            features.append((int(index) + 1, properties, shape))
        return mvt.encode(layer.id, features)

    def encode_stored(self, catalog: Catalog, layer: Layer, tile: Tile, store) -> bytes:
        """The MVT bytes of ``tile`` from the store's rows of the layer version: on PostGIS
        with its geometry made there (store.tiles), else from the store's candidates in the
        tile's box (``feature_candidates``), cut as an in-memory layer's."""
        state = self._state(catalog, layer)
        box = tile.lonlat_bounds(BUFFER / EXTENT)
        cap = self.max_features
        boxes = self._boxes(state, layer, store)
        if boxes is not None:
            hits = overview.meets(boxes, box)
            meeting = boxes[hits]
            if len(meeting) > cap:
                return overview.encode(overview.counts_of_boxes(tile, meeting))
            if not len(meeting) or (
                state.polygons[hits].all() and mvt.all_below_a_pixel(meeting, tile.z)
            ):  # nothing meets it, or only polygons smaller than a pixel: the empty tile
                return b""
        elif layer.count > cap and (
            store_overview.rows_up_to(store.engine, layer.id, layer.version, box, cap) > cap
        ):
            counts = store_overview.cell_counts(
                store.engine, layer.id, layer.version, *overview.grid(tile)
            )
            return overview.encode(counts)
        rows = store_tiles.tile_rows(
            store.engine,
            layer.id,
            layer.version,
            tile.z,
            tile.x,
            tile.y,
            extent=EXTENT,
            buffer=BUFFER,
            tolerance=tolerance(tile.z),
        )
        if rows is None:
            return self._encode_pages(state, layer, tile, store)
        features = []
        for row in rows:
            stored = {"id": row.fid, "properties": json.loads(row.properties)}
            shape = shapely.from_wkb(row.geometry)
            features.append((row.seq + 1, self._properties(state, stored), shape))
        return mvt.encode(layer.id, features, y_down=True)

    def _boxes(self, state: _LayerState, layer: Layer, store) -> np.ndarray | None:
        """The row boxes of a store-served version over the cap (BOXES_MAX_ROWS at most),
        read on its first tile; None when no tile of it can be overfull, or it is too big."""
        if not self.max_features < layer.count <= self.boxes_max_rows:
            return None
        with state.boxes_lock:  # the first tiles of a map arrive together: one read
            if state.boxes is None:
                state.boxes, state.polygons = store_boxes.version_boxes(
                    store.engine, layer.id, layer.version, layer.count
                )
        return state.boxes

    def warm(self, catalog: Catalog, store) -> int:
        """Read the row boxes of every store-served layer that can have overfull tiles and
        make its first view's tiles (``seed``); returns how many layers were read."""
        read = 0
        for layer in list(catalog.layers.values()):
            if (
                in_store(layer)
                and self._boxes(self._state(catalog, layer), layer, store) is not None
            ):
                read += 1
                self.seed(catalog, layer, store)
        return read

    def seed(self, catalog: Catalog, layer: Layer, store) -> int:
        """Make the layer's tiles of SEED_ZOOMS within its limits (SEED_MAX_TILES at most,
        the first zoom first); returns how many were made or found made."""
        bbox = self._state(catalog, layer).bbox
        made = 0
        for z in SEED_ZOOMS if bbox else ():
            min_row, max_row, min_col, max_col = tile_range(bbox, z)
            for y in range(min_row, max_row + 1):
                for x in range(min_col, max_col + 1):
                    if made == SEED_MAX_TILES:
                        return made
                    self.tile(catalog, layer, Tile(z, y, x), store)
                    made += 1
        return made

    def _encode_pages(self, state: _LayerState, layer: Layer, tile: Tile, store) -> bytes:
        """A store-served layer on SQLite: the store's bbox candidates (its R*Tree) a page
        at a time, cut as an in-memory layer's features are."""
        box, after, features = tile.lonlat_bounds(BUFFER / EXTENT), -1, []
        while True:
            rows = store.feature_candidates(layer.id, layer.version, box, after, PAGE)
            if not rows:
                break
            wkb = np.array([row.geometry for row in rows], dtype=object)
            shapes = mvt.tile_shapes(tile, shapely.from_wkb(wkb))
            for row, shape in zip(rows, shapes):
                if shape.is_empty:  # a candidate of the box only, or smaller than a pixel
                    continue
                stored = {"id": row.fid, "properties": json.loads(row.properties)}
                features.append((row.seq + 1, self._properties(state, stored), shape))
            after = rows[-1].seq
            if len(rows) < PAGE:
                break
        return mvt.encode(layer.id, features)

    @staticmethod
    def _overview_held(state: _LayerState, layer: Layer, tile: Tile) -> bytes:
        """The overview tile of an in-memory layer: the boxes of its features in the tile."""
        lons, lats = overview.grid(tile)
        hits = state.tree.query(shapely.box(lons[0], lats[0], lons[-1], lats[-1]))
        boxes = shapely.bounds(layer.geometries[hits]).reshape(-1, 4)
        return overview.encode(overview.counts_of_boxes(tile, boxes))

    @staticmethod
    def _properties(state: _LayerState, feature: dict) -> dict:
        shown = state.words(feature)
        shown["gs_fid"] = feature["id"]
        return {k: v for k, v in shown.items() if k in state.kept}

    def _keep(self, body: TileBody) -> None:
        size = len(body.raw) + len(body.gzipped or b"")
        with self._lock:
            if body.etag in self._tiles or size > self.cache_bytes:
                return
            self._tiles[body.etag] = body
            self._held += size
            while self._held > self.cache_bytes:
                _, old = self._tiles.popitem(last=False)
                self._held -= len(old.raw) + len(old.gzipped or b"")


EXTENSION = "geo_service.tiles"
log = logging.getLogger(__name__)


def of_app(app) -> TileService:
    """The app's tile service (made on first use, its cap TILE_MAX_FEATURES)."""
    found = app.extensions.get(EXTENSION)
    if found is None:
        made = TileService(max_features=app.config["TILE_MAX_FEATURES"])
        found = app.extensions.setdefault(EXTENSION, made)
    return found


def warm(app) -> int:
    """Read the row boxes of every store-served layer that can have overfull tiles and make
    its tiles of SEED_ZOOMS, so the first map after a start does not wait for them
    (``serve`` runs it beside waitress, in each serving process); returns how many layers
    were read."""
    return of_app(app).warm(
        app.extensions["geo_service.catalog"], app.extensions["geo_service.store"]
    )


def warm_in_background(app) -> threading.Thread:
    """``warm`` in a thread beside the server (``serve``, in each serving process): the
    service is ``warming`` until it ends (/api/health/ready says so). A failure is logged:
    the first tiles then read what they need themselves."""
    service = of_app(app)
    service.warming.set()

    def run() -> None:
        try:
            warm(app)
        except Exception:  # noqa: BLE001 - logged; the tiles read on demand instead
            log.exception("warming the big layers' tiles at start failed")
        finally:
            service.warming.clear()

    thread = threading.Thread(target=run, name="geo_service-warm", daemon=True)
    thread.start()
    return thread
