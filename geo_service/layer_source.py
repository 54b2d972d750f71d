"""Features of one layer version, wherever they are: held in memory or read from the store.

One provider-like interface (pygeoapi's idea of a provider, kept small), ``FeatureSource``,
with two implementations:

- ``MemorySource``: a ``catalog.Layer`` holding its features and shapes (every small layer);
- ``StoreSource``: a version read from the database a page at a time (``store.big``), for a
  layer of more than LAYER_MEMORY_MAX_FEATURES features; the catalog keeps only its summary.

``features_within(store, layer_id, version, bbox, after, limit)`` is the function the items,
the download and the vector tiles of a store-served layer ask: the features of version V
whose geometry intersects bbox B (exactly, with shapely, as the in-memory path tests it), in
stored order, after position C, at most N, and the position to continue after. No web code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

import numpy as np
import shapely

from geo_service.errors import BadRequest, CatalogError, NotFound
from geo_service.store.features import from_row

if TYPE_CHECKING:
    from geo_service.catalog import Layer
    from geo_service.store import LayerVersion, Store

#: Rows one page may examine (bbox candidates that miss, or features a filter refuses)
#: before it answers with what it found and a ``next`` link to go on from there: a
#: selective filter over 10^6 features never makes one request read them all.
SCAN_MAX = 20_000
#: Candidates read per statement when a filter may refuse many.
FILTER_BATCH = 1000
CURSOR_CHARS = 200
#: A test on (properties, shape) -> True when the feature is wanted (a CQL2 predicate).
Test = Callable[[dict, object], object]
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Page:
    """Stored GeoJSON features (CRS84, every property), their shapes, and the position to
    continue after (None: nothing more)."""

    features: list[dict]
    geometries: np.ndarray
    after: int | None
    #: Each feature's position in the version (its ``seq``; an index in memory).
    positions: list[int] = field(default_factory=list)


class FeatureSource(Protocol):
    """The features of one layer version."""

    layer_id: str
    version: int

    def page(self, bbox: Box | None, after: int, limit: int, test: Test | None = None) -> Page:
        """Features meeting ``bbox`` and ``test`` after position ``after`` (-1: from the
        start), at most ``limit``, in stored order."""
        ...

    def feature(self, feature_id: str) -> dict:
        """One feature by id; NotFound (404) otherwise."""
        ...


class MemorySource:
    """A layer held in memory (positions are indices into its features)."""

    def __init__(self, layer: Layer):
        self.layer, self.layer_id, self.version = layer, layer.id, layer.version

    def page(self, bbox: Box | None, after: int, limit: int, test: Test | None = None) -> Page:
        layer, found = self.layer, []
        for index in layer.select(bbox):
            if index <= after:
                continue
            shape = layer.geometries[index]
            if test is None or test(layer.features[index]["properties"], shape) is True:
                found.append(index)
                if len(found) > limit:
                    break
        more = len(found) > limit
        found = found[:limit]
        return Page(
            [layer.features[i] for i in found],
            layer.geometries[found] if found else np.array([], dtype=object),
            found[-1] if more else None,
            found,
        )

    def feature(self, feature_id: str) -> dict:
        return self.layer.feature(feature_id)


class StoreSource:
    """A version read from the store; positions are the rows' ``seq`` (0, 1, ...)."""

    def __init__(self, store: Store, layer_id: str, version: int):
        self.store, self.layer_id, self.version = store, layer_id, version

    def page(self, bbox: Box | None, after: int, limit: int, test: Test | None = None) -> Page:
        box = None if bbox is None else shapely.box(*bbox)
        batch = min(max(limit + 1, FILTER_BATCH if test else 0), 10_001)
        found: list[tuple[int, dict, object]] = []
        position, scanned, exhausted = after, 0, False
        while len(found) <= limit and scanned < SCAN_MAX:
            rows = self.store.feature_candidates(self.layer_id, self.version, bbox, position, batch)
            if not rows:
                exhausted = True
                break
            shapes = shapely.from_wkb(np.array([r.geometry for r in rows], dtype=object))
            hits = np.ones(len(rows), bool) if box is None else shapely.intersects(shapes, box)
            for row, shape, hit in zip(rows, shapes, hits, strict=True):
                scanned += 1
                position = row.seq
                if not hit:
                    continue
                feature = from_row(row.fid, row.geometry, row.properties)
                if test is not None and test(feature["properties"], shape) is not True:
                    continue
                found.append((row.seq, feature, shape))
                if len(found) > limit:
                    break
            if len(rows) < batch and len(found) <= limit:
                exhausted = True
                break
        if len(found) > limit:
            after_next = found[limit - 1][0]
        elif exhausted:
            after_next = None
        else:  # the scan budget ran out: go on from the last row examined
            after_next = position
        kept = found[:limit]
        return Page(
            [f for _, f, _ in kept],
            np.array([s for _, _, s in kept], dtype=object),
            after_next,
            [seq for seq, _, _ in kept],
        )

    def feature(self, feature_id: str) -> dict:
        row = self.store.feature_record(self.layer_id, self.version, str(feature_id)[:200])
        if row is None:
            raise NotFound("catalog.no_feature", collection=self.layer_id, feature=feature_id[:200])
        return from_row(row.fid, row.geometry, row.properties)

    def batches(self, size: int = 5000) -> Iterator[list[dict]]:
        """Every feature in stored order, ``size`` at a time (a download, bounded memory)."""
        after = -1
        while True:
            rows = self.store.feature_candidates(self.layer_id, self.version, None, after, size)
            if not rows:
                return
            yield [from_row(r.fid, r.geometry, r.properties) for r in rows]
            after = rows[-1].seq


def features_within(
    store: Store, layer_id: str, version: int, bbox: Box | None, after: int = -1, limit: int = 100
) -> Page:
    """The features of ``layer_id`` version ``version`` intersecting ``bbox`` (CRS84; all
    when None), in stored order, after position ``after``, at most ``limit`` (vector tiles
    and items of store-served layers)."""
    return StoreSource(store, layer_id, version).page(bbox, after, limit)


def memory_limit(value) -> int:
    """LAYER_MEMORY_MAX_FEATURES as a whole number of features (0: every layer from the
    store), else a ConfigError."""
    from geo_service.errors import ConfigError

    if isinstance(value, bool) or not str(value).strip().isdigit() or len(str(value)) > 12:
        raise ConfigError("big.bad_memory_max", value=str(value)[:40])
    return int(str(value).strip())


def source_of(layer: Layer) -> FeatureSource:
    return layer.provider if layer.in_store else MemorySource(layer)


def serve_from_store(layer: Layer, store: Store, version: LayerVersion) -> None:
    """Make ``layer`` one served from the store: its summary, no features held."""
    summary = store.layer_summary(layer.id, version.number)
    if summary is None:  # cannot happen after migration 5: every version has one
        raise CatalogError("big.no_summary", layer=layer.id, version=version.number)
    layer.summary = summary
    layer.provider = StoreSource(store, layer.id, version.number)
    layer.features = []
    layer.geometries = np.array([], dtype=object)


def past_version(layer: Layer, store: Store, version: LayerVersion) -> Layer:
    """``layer``'s catalog entry with store-served version ``version`` (``?version=n``)."""
    past = replace(layer, version=version.number, sha256=version.content_sha256)
    serve_from_store(past, store, version)
    return past


def shapes_of(layer: Layer, feature: dict) -> np.ndarray:
    """The shape of one of ``layer``'s features, as a one-item array (CRS moves)."""
    if not layer.in_store:
        index = layer.features.index(feature)
        return layer.geometries[index : index + 1]
    geometry = feature.get("geometry")
    shape = None if geometry is None else shapely.from_geojson(json.dumps(geometry))
    return np.array([shape], dtype=object)


# the opaque keyset cursor of ``next`` links ---------------------------------------------


def cursor_token(key: bytes, layer_id: str, version: int, after: int) -> str:
    """An opaque token for "version ``version`` after position ``after``", signed so that a
    forged or altered one is refused."""
    body = f"{version}.{after}"
    tag = _tag(key, layer_id, body)
    return base64.urlsafe_b64encode(f"{body}.{tag}".encode("ascii")).decode("ascii").rstrip("=")


def read_cursor(key: bytes, layer_id: str, raw: str) -> tuple[int, int]:
    """(version, after) of a token ``cursor_token`` made for ``layer_id``; 400 otherwise."""
    shown = raw[:40]
    try:
        if len(raw) > CURSOR_CHARS or not raw.isascii():
            raise ValueError
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
        version, after, tag = text.split(".")
        if not (version.isdigit() and after.isdigit() and len(version) + len(after) < 24):
            raise ValueError
    except ValueError:
        raise BadRequest("big.bad_cursor", cursor=shown, collection=layer_id) from None
    if not hmac.compare_digest(tag, _tag(key, layer_id, f"{version}.{after}")):
        raise BadRequest("big.bad_cursor", cursor=shown, collection=layer_id)
    return int(version), int(after)


def _tag(key: bytes, layer_id: str, body: str) -> str:
    message = f"items-cursor:{layer_id}:{body}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:24]
