"""The layer catalog: ``layers/catalog.toml`` plus the features of each layer it describes.

Loaded once per app (in ``create_app``), validated strictly (a broken layer stops start-up with
a message naming the file and feature), then kept in memory. With a store (``geo_service.store``)
the features are its current version of each layer, the repo's file becoming version 1 on
first start; without one (tools, some tests) they are read from the files.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import shapely

from geo_service.errors import CatalogError, NotFound

#: The layers the service's own logic reads whole (land checks, analyses, the map's
#: counties and search): always held in memory, whatever LAYER_MEMORY_MAX_FEATURES says.
HELD_LAYERS = frozenset(
    {
        "counties",
        "reference_rivers",
        "zones",
        "new_materials_bases",
        "clusters",
        "logistics_nodes",
        "logistics_axes",
        "enclave_links",
    }
)
PRECISIONS = ("official", "surveyed", "town", "county-seat", "schematic", "reference")
GROUPS = ("基础", "参考底图", "园区", "集群", "物流", "飞地")
REQUIRED_KEYS = (
    "id",
    "file",
    "title",
    "title_en",
    "group",
    "geometry_type",
    "description",
    "source",
    "licence",
    "precision",
    "date",
    "style",
)


@dataclass
class Layer:
    """One collection: its catalog entry and its features (full precision, WGS84)."""

    id: str
    title: str
    title_en: str
    group: str
    geometry_type: str
    description: str
    source: str
    licence: str
    precision: str
    date: str
    style: dict
    file: str
    method: str = ""
    label_property: str = ""
    #: Credit line shown on the map while the layer is on (data under a licence that asks).
    attribution: str = ""
    features: list[dict] = field(default_factory=list, repr=False)
    geometries: np.ndarray = field(default=None, repr=False)
    sha256: str = ""
    #: The store's version served (0: read from the file, no store), and the SHA-256 of the
    #: deploy's file (differs from version 1's source when the repo's file changed since).
    version: int = 0
    file_sha256: str = ""
    #: A layer only the store holds (no file in layers/: a generated one); listed once the
    #: store has a version of it.
    store_only: bool = False
    #: Served from the store a page at a time (``layer_source.StoreSource``), its features
    #: not held: its version has more than LAYER_MEMORY_MAX_FEATURES. ``summary`` is its
    #: stored ``store.big.LayerSummary`` (count, extent, property types).
    provider: object = field(default=None, repr=False)
    summary: object = field(default=None, repr=False)

    @property
    def in_store(self) -> bool:
        return self.provider is not None

    @property
    def count(self) -> int:
        return self.summary.count if self.in_store else len(self.features)

    @property
    def bbox(self) -> list[float]:
        """[minx, miny, maxx, maxy] of all features."""
        if self.in_store:
            return self.summary.bbox or []
        present = self.geometries[~shapely.is_missing(self.geometries)]
        return [round(v, 7) for v in shapely.total_bounds(present)]

    @property
    def is_schematic(self) -> bool:
        if self.in_store:
            return self.summary.schematic
        return any(f["properties"]["precision"] == "schematic" for f in self.features)

    def feature(self, feature_id: str) -> dict:
        if self.in_store:
            return self.provider.feature(feature_id)
        for candidate in self.features:
            if candidate["id"] == feature_id:
                return candidate
        raise NotFound("catalog.no_feature", collection=self.id, feature=feature_id[:200])

    def select(self, bbox: tuple[float, float, float, float] | None) -> list[int]:
        """Indices of the features whose geometry intersects ``bbox`` (all when None)."""
        if bbox is None:
            return list(range(len(self.features)))
        hits = shapely.intersects(self.geometries, shapely.box(*bbox))
        return [int(i) for i in np.flatnonzero(hits)]


@dataclass
class Catalog:
    """All layers, in catalog order, with the dataset's metadata and version."""

    title: str
    title_en: str
    version: str
    schematic_dash: str
    layers: dict[str, Layer]
    directory: Path
    fields: dict[str, str]
    popup: dict[str, list[str]]
    precision_labels: dict[str, str]
    #: Layers of more features than this are served from the store (None: all in memory).
    memory_max: int | None = None
    #: Store-only catalog entries the store has no version of yet (listed once it has).
    pending: dict[str, Layer] = field(default_factory=dict, repr=False)

    @property
    def dataset_hash(self) -> str:
        """A hash over every layer file: changes whenever any layer changes."""
        digest = hashlib.sha256()
        for layer in self.layers.values():
            digest.update(layer.sha256.encode())
        return digest.hexdigest()

    @property
    def state(self) -> str:
        """Which version of every layer is served: part of every cached body's key, so a
        new version is answered at once with new bodies and ETags."""
        return ",".join(f"{layer.id}:{layer.version}" for layer in self.layers.values())

    #: When ``refresh_due`` last asked the store (time.monotonic()).
    refreshed_at: float = field(default=float("-inf"), repr=False, compare=False)

    def refresh_due(self, store, every: float) -> list[str]:
        """``refresh`` at most once per ``every`` seconds (each call when ``every`` <= 0):
        what each request asks, so that a version written by another process is served
        within ``every`` seconds without a query on every request. A write in this process
        refreshes at once (``versions.commit_version`` calls ``refresh``)."""
        moment = time.monotonic()
        if every > 0 and moment - self.refreshed_at < every:
            return []
        self.refreshed_at = moment
        return self.refresh(store)

    def refresh(self, store) -> list[str]:
        """Serve the store's current version of every layer whose version moved (written by
        this process or another); the ids of the layers reloaded."""
        current = store.current_numbers()
        moved = [
            layer.id
            for layer in self.layers.values()
            if current.get(layer.id, layer.version) != layer.version
        ]
        arrived = [layer_id for layer_id in self.pending if layer_id in current]
        if not moved and not arrived:
            return []
        with _REFRESHING:
            for layer_id in moved:
                old = self.layers[layer_id]
                fresh = replace(old, features=[], geometries=None, provider=None, summary=None)
                version = store.current_version(layer_id)
                _serve_version(fresh, store, version, old.file, self.memory_max)
                self.layers[layer_id] = fresh  # one assignment: readers see old or new
            for layer_id in arrived:
                fresh = self.pending.pop(layer_id)
                version = store.current_version(layer_id)
                _serve_version(fresh, store, version, layer_id, self.memory_max)
                self.layers = {**self.layers, layer_id: fresh}
        return moved + arrived

    def get(self, layer_id: str) -> Layer:
        try:
            return self.layers[layer_id]
        except KeyError:
            known = ", ".join(self.layers)
            raise NotFound(
                "catalog.no_collection", collection=layer_id[:200], known=known
            ) from None


def load_catalog(directory: Path, store=None, memory_max: int | None = None) -> Catalog:
    """Read and validate the catalog and every layer it lists: from ``store`` (a
    ``geo_service.store.Store``) when given, else from the files. A layer whose version has
    more than ``memory_max`` features is served from the store, its features not read."""
    path = directory / "catalog.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError("catalog.missing", file=path.name) from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError("toml.invalid", file=path.name, error=str(exc)) from exc
    layers, pending = {}, {}
    for index, entry in enumerate(raw.get("layers", [])):
        missing = [key for key in REQUIRED_KEYS if key not in entry]
        if missing:
            raise CatalogError("catalog.layer_lacks", number=index + 1, keys=", ".join(missing))
        layer = Layer(**entry)
        if layer.group not in GROUPS:
            raise CatalogError(
                "catalog.unknown_group",
                layer=layer.id,
                group=layer.group,
                choices="、".join(GROUPS),
            )
        if layer.precision not in PRECISIONS:
            raise CatalogError(
                "catalog.unknown_precision",
                layer=layer.id,
                precision=layer.precision,
                choices=", ".join(PRECISIONS),
            )
        if layer.store_only:
            current = None if store is None else store.current_version(layer.id)
            if current is None:
                pending[layer.id] = layer
                continue
            _serve_version(layer, store, current, layer.id, memory_max)
        elif store is None:
            _load_features(layer, directory / layer.file)
        else:
            _load_from_store(layer, directory / layer.file, store, memory_max)
        layers[layer.id] = layer
    meta = raw["catalog"]
    popup = raw.get("popup", {})
    for layer_id, names in popup.items():
        unknown = [n for n in names if n not in raw.get("fields", {})]
        if layer_id not in layers or unknown:
            raise CatalogError("catalog.popup_unknown", layer=layer_id, unknown=", ".join(unknown))
    return Catalog(
        meta["title"],
        meta["title_en"],
        meta["version"],
        meta["schematic_dash"],
        layers,
        directory,
        raw.get("fields", {}),
        popup,
        raw["precision_labels"],
        memory_max,
        pending,
    )


def _read_file(layer: Layer, path: Path) -> tuple[str, list[dict]]:
    """(SHA-256 of the file, its features), the file checked to be a FeatureCollection."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CatalogError("catalog.layer_file_missing", layer=layer.id, file=path.name) from None
    try:
        collection = json.loads(data)
    except json.JSONDecodeError as exc:
        raise CatalogError(
            "catalog.not_json", file=path.name, line=exc.lineno, error=exc.msg
        ) from exc
    if collection.get("type") != "FeatureCollection":
        raise CatalogError("catalog.not_collection", file=path.name)
    return hashlib.sha256(data).hexdigest(), collection["features"]


def _load_features(layer: Layer, path: Path) -> None:
    """Fill ``layer.features`` from its file, checking every feature."""
    layer.sha256, features = _read_file(layer, path)
    _check_features(layer, features, path.name)


def store_served(layer_id: str, count: int, memory_max: int | None) -> bool:
    """Whether a version of ``count`` features is served from the store, not held."""
    return memory_max is not None and layer_id not in HELD_LAYERS and count > memory_max


def _load_from_store(layer: Layer, path: Path, store, memory_max: int | None = None) -> None:
    """Fill ``layer`` with the store's current version. The deploy's file is read and checked
    at every start as before (a missing or broken file stops start-up); on first start it
    becomes version 1. The stored features are checked as a file's are. A version served
    from the store (``store_served``): the file is only hashed (repo drift), not parsed."""
    from geo_service.store.layers import seed

    current = store.current_version(layer.id)
    if current is not None and store_served(layer.id, current.feature_count, memory_max):
        try:
            layer.file_sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        except FileNotFoundError:
            raise CatalogError(
                "catalog.layer_file_missing", layer=layer.id, file=path.name
            ) from None
        _serve_version(layer, store, current, path.name, memory_max)
        return

    layer.file_sha256, features = _read_file(layer, path)
    _check_features(layer, features, path.name)
    if current is None:
        current = seed(store, layer.id, layer.file, layer.file_sha256, features)
    _serve_version(layer, store, current, path.name, memory_max)


def _serve_version(layer: Layer, store, current, name: str, memory_max: int | None) -> None:
    """Fill ``layer`` with the features of the store's version ``current``, or, above
    ``memory_max`` features, with its stored summary only (served from the store; its
    features were checked when the version was written). Version 1 keeps its file's hash as
    the layer's (ETags as without a store); later ones their content's."""
    if store_served(layer.id, current.feature_count, memory_max):
        from geo_service.layer_source import serve_from_store

        serve_from_store(layer, store, current)
    else:
        _check_features(layer, store.features(layer.id, current.number), name)
    layer.sha256 = current.source_sha256 if current.number == 1 else current.content_sha256
    layer.version = current.number


_REFRESHING = threading.Lock()


def check_features(layer: Layer, features: list[dict], name: str) -> Layer:
    """A copy of ``layer`` holding ``features`` once they pass the start-up checks (what a
    new version must pass before it is written)."""
    trial = replace(layer, features=[], geometries=None, provider=None, summary=None)
    _check_features(trial, features, name)
    return trial


def _check_features(layer: Layer, features: list[dict], name: str) -> None:
    """Check every feature (id, source, precision, geometry type and validity), then keep
    them with their shapes on ``layer``."""
    allowed = {
        layer.geometry_type,
        layer.geometry_type.removeprefix("Multi"),
        "Multi" + layer.geometry_type.removeprefix("Multi"),
    }
    geometries, seen = [], set()
    for number, feature in enumerate(features, start=1):
        where = {"file": name, "number": number}
        properties = feature.get("properties") or {}
        if feature.get("id") in seen or not isinstance(feature.get("id"), str):
            raise CatalogError("catalog.feature_id", **where)
        seen.add(feature["id"])
        if not properties.get("source") or properties.get("precision") not in PRECISIONS:
            raise CatalogError("catalog.feature_source", choices=", ".join(PRECISIONS), **where)
        geometry = feature.get("geometry")
        if geometry is None:
            geometries.append(None)
            continue
        if geometry["type"] not in allowed:
            raise CatalogError(
                "catalog.feature_geometry",
                kind=str(geometry["type"])[:40],
                layer_type=layer.geometry_type,
                **where,
            )
        shape = shapely.from_geojson(json.dumps(geometry))
        if not shape.is_valid:
            raise CatalogError(
                "catalog.feature_invalid", reason=shapely.is_valid_reason(shape), **where
            )
        geometries.append(shape)
    layer.features = features
    layer.geometries = np.array(geometries, dtype=object)
