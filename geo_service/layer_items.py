"""The items of a layer served from the store (``layer_source.StoreSource``): keyset pages.

What differs from a layer held in memory, and why (README, 大图层):

- pages go on with an opaque ``cursor`` (the ``next`` link's; signed, so a forged or altered
  one is a 400), read with ``seq > :after ORDER BY seq LIMIT``, never OFFSET;
- ``offset`` without ``bbox`` or ``filter`` is mapped to the same keyset (a version's rows are
  numbered 0, 1, ... in order); with either, it is refused (400 saying to follow ``next``);
- ``numberMatched`` is the version's feature count without ``bbox`` and ``filter``, and is
  left out with either (OGC API - Features allows it: counting would read every match);
- ``filter`` (CQL2) is tested page by page on the rows read (at most ``SCAN_MAX`` per
  request: a page may then hold fewer features, with a ``next`` link); ``sortby`` is refused
  (400): sorting 10^6 features by a property has no index here;
- no ``prev`` link (keyset pages go forward).
No web code here.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo_service.catalog import Layer
from geo_service.errors import BadRequest
from geo_service.layer_source import StoreSource, cursor_token, read_cursor
from geo_service.query import crs as part2
from geo_service.query.selection import ItemQuery
from geo_service.store import Store


@dataclass(frozen=True)
class ItemsPage:
    features: list[dict]
    #: The version's feature count when no bbox or filter applies; None: not counted.
    matched: int | None
    #: The ``cursor`` of the next page, None on the last one.
    next_cursor: str | None


def start_of(layer: Layer, query: ItemQuery, bbox, offset: int, cursor: str | None, key: bytes):
    """(version, after) where the page starts; the 400s of a bad cursor, offset or sortby."""
    if query.sortby:
        raise BadRequest("big.no_sortby", collection=layer.id, count=layer.count)
    if cursor is not None:
        if offset:
            raise BadRequest("big.cursor_and_offset", collection=layer.id)
        return read_cursor(key, layer.id, cursor)
    if offset and (bbox is not None or query.predicate is not None):
        raise BadRequest("big.no_offset", collection=layer.id, offset=offset)
    return layer.version, offset - 1


def store_items(
    store: Store,
    layer: Layer,
    query: ItemQuery,
    bbox,
    limit: int,
    start: tuple[int, int],
    target,
    key: bytes,
) -> ItemsPage:
    """One page of a store-served layer from ``start`` (``start_of``), moved to ``target``.
    A cursor of an older version goes on in that version (versions never change)."""
    version, after = start
    if layer.in_store and version == layer.version:
        source = layer.provider
    else:  # a cursor of another version (or of a layer now small enough to hold)
        source = StoreSource(store, layer.id, version)
    page = source.page(bbox, after, limit, query.predicate)
    moved = part2.features_in(page.features, page.geometries, target)
    plain = bbox is None and query.predicate is None and source is layer.provider
    token = None if page.after is None else cursor_token(key, layer.id, version, page.after)
    return ItemsPage([query.feature(f) for f in moved], layer.count if plain else None, token)
