"""Writing a new version of a layer: imports, edits and reverts all end here.

The features are checked exactly as a layer file is at start-up (ids, source, precision,
geometry type and validity), written atomically as the next version (``based_on`` makes it
fail with 409 if another version was written meanwhile), and served at once: the catalog
reloads the layer, so every cached body and ETag of it changes. No web code here.
"""

from __future__ import annotations

from geo_service.catalog import Catalog, check_features
from geo_service.errors import CatalogError, InputError
from geo_service.store import LayerVersion, Store


def commit_version(
    store: Store,
    catalog: Catalog,
    layer_id: str,
    features: list[dict],
    *,
    user: str,
    message: str,
    source_name: str,
    source_sha256: str,
    based_on: int | None,
) -> LayerVersion:
    """Check ``features`` as the next version of ``layer_id``, write it, serve it."""
    layer = catalog.get(layer_id)
    try:
        check_features(layer, features, source_name[:200])
    except CatalogError as exc:
        raise InputError("store.features_refused", collection=layer_id, reason=exc.msg) from None
    version = store.add_version(
        layer_id,
        features,
        user=user,
        message=message,
        source_name=source_name,
        source_sha256=source_sha256,
        based_on=based_on,
    )
    catalog.refresh(store)
    return version
