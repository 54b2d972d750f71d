"""The repo's layer files as version 1 of each layer, written once, on first start."""

from __future__ import annotations

from geo_service.errors import CatalogError, Conflict
from geo_service.store.features import feature_hash
from geo_service.store.interface import LayerVersion, Store

#: Who and why, for the versions made from the repo's files.
SEED_USER = "system"
SEED_MESSAGE = "初版：仓库图层文件 {file}"


def seed(store: Store, layer_id: str, file_name: str, sha256: str, features: list[dict]):
    """Version 1 of ``layer_id`` from its file's features (already validated); checks that
    every feature reads back with the hash it was written with. Another process seeding
    the same layer at the same moment is not an error: its version 1 is used."""
    try:
        version = store.add_version(
            layer_id,
            features,
            user=SEED_USER,
            message=SEED_MESSAGE.format(file=file_name),
            source_name=file_name,
            source_sha256=sha256,
        )
    except Conflict:
        version = store.current_version(layer_id)
    check_roundtrip(store, layer_id, version, features)
    return version


def check_roundtrip(store: Store, layer_id: str, version: LayerVersion, features: list[dict]):
    stored = store.features(layer_id, version.number)
    for number, (wrote, read) in enumerate(zip(features, stored, strict=False), start=1):
        if feature_hash(wrote) != feature_hash(read):
            raise CatalogError(
                "store.feature_roundtrip",
                layer=layer_id,
                number=number,
                feature=str(wrote.get("id"))[:100],
            )
    if len(stored) != len(features):
        raise CatalogError(
            "store.feature_roundtrip", layer=layer_id, number=len(stored) + 1, feature="?"
        )
