"""Versions you can see, compare, serve and revert: what the versions pages, ``?version=n``,
revert and ``store import-repo`` ask of the store. No web code here.

- ``history``: every version of a layer with what changed (counts) and whether the deploy's
  layer file differs from every version's source (repo drift);
- ``detail``: one version's metadata and its diff against the previous one (or any other),
  with areas (``layer_diff.compare``);
- ``layer_at``: a past version as a ``Layer`` (checked by ``catalog.check_features``), so the
  items, item, filters and downloads serve it unchanged; versions are immutable, so each is
  read from the database once (bounded cache);
- ``revert`` and ``import_repo``: a new version through ``versions.commit_version``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace

from geo_service.catalog import Catalog, Layer, _read_file, check_features, store_served
from geo_service.errors import BadRequest, Conflict, InputError, NotFound
from geo_service.layer_diff import compare
from geo_service.layer_links import dropped_references
from geo_service.layer_source import past_version
from geo_service.messages import Msg
from geo_service.query.params import is_integer
from geo_service.store import LayerVersion, Store
from geo_service.versions import commit_version

#: Past versions kept read (features and shapes) and diffs kept computed, across layers.
#: A version never changes once written, so neither needs invalidating.
CACHED_VERSIONS = 32
MESSAGE_CHARS = 500
#: Above this many features a diff map draws the changed features only (not the unchanged),
#: and it never draws more than MAP_MAX (the tables below it list every change).
MAP_UNCHANGED_MAX = 5000
MAP_MAX = 20000
#: Versions of more features are not compared or reverted here (both would be read whole).
DIFF_MAX_FEATURES = 50_000

_cache: OrderedDict[tuple, object] = OrderedDict()
_lock = threading.Lock()


def version_tag(version: LayerVersion) -> str:
    """The version's entity tag: what ``If-Match`` on a revert names (``zones-v3-…``)."""
    return f"{version.layer_id}-v{version.number}-{version.content_sha256[:16]}"


def summary(version: LayerVersion, current: int) -> dict:
    """A version as the list shows it."""
    changes = version.changes or {}
    return {
        "number": version.number,
        "current": version.number == current,
        "created_at": version.created_at,
        "user": version.user,
        "message": version.message,
        "source_name": version.source_name,
        "source_sha256": version.source_sha256,
        "feature_count": version.feature_count,
        "content_sha256": version.content_sha256,
        "etag": version_tag(version),
        "counts": {k: len(changes.get(k, [])) for k in ("added", "removed", "changed")},
    }


def drift(layer: Layer, versions: list[LayerVersion]) -> dict | None:
    """When the deploy's layer file (read at start) is none of the versions' sources: its
    hash, for ``store import-repo`` to make it a version; None otherwise."""
    if not layer.file_sha256 or any(v.source_sha256 == layer.file_sha256 for v in versions):
        return None
    return {
        "file": layer.file,
        "file_sha256": layer.file_sha256,
        "message": Msg("versions.drift", file=layer.file, layer=layer.id).text(),
        "command": f"python -m geo_service store import-repo {layer.id}",
    }


def history(store: Store, layer: Layer) -> dict:
    """Every version of ``layer``, newest first, and the repo drift."""
    versions = store.versions(layer.id)
    return {
        "collection": layer.id,
        "title": layer.title,
        "title_en": layer.title_en,
        "current": layer.version,
        "versions": [summary(v, layer.version) for v in reversed(versions)],
        "drift": drift(layer, versions),
    }


def version_number(raw: str, name: str = "version") -> int:
    """A version number from a path or query (ASCII digits, at least 1): 400 otherwise."""
    text = str(raw)[:40]
    if not is_integer(text) or int(text) < 1 or len(text) > 12:
        raise BadRequest("versions.bad_number", name=name, value=text)
    return int(text)


def requested_version(args) -> int | None:
    """``?version=n`` of the items, item and download requests (None: the current one)."""
    return version_number(args["version"]) if "version" in args else None


def detail(
    store: Store,
    layer: Layer,
    number: int,
    against: int | None = None,
    with_map: bool = False,
    memory_max: int | None = None,
) -> dict:
    """Version ``number``'s metadata and its diff against ``against`` (default: the previous
    version; version 1 is compared with an empty layer); with ``with_map`` the features the
    page's map draws. Not for versions served from the store (``memory_max``) or of more
    than DIFF_MAX_FEATURES: 400."""
    version = store.version(layer.id, number)
    base = number - 1 if against is None else against
    older = store.version(layer.id, base) if base else None  # 404 naming the versions there are
    largest = max(version.feature_count, older.feature_count if older else 0)
    if largest > DIFF_MAX_FEATURES or store_served(layer.id, largest, memory_max):
        # both versions would be read whole to compare them
        raise BadRequest(
            "big.no_diff",
            collection=layer.id,
            count=largest,
            maximum=min(DIFF_MAX_FEATURES, memory_max or DIFF_MAX_FEATURES),
        )
    key = ("diff", store.url, layer.id, version.content_sha256, older and older.content_sha256)
    found = _cached(key)
    if found is None or (with_map and "map" not in found):
        before = [] if base == 0 else store.features(layer.id, base)
        after = store.features(layer.id, number)
        found = {"diff": compare(before, after)}
        if with_map:
            found["map"] = diff_map(found["diff"], before, after)
        _keep(key, found)
    payload = {
        "collection": layer.id,
        "title": layer.title,
        **summary(version, layer.version),
        "against": base,
        "diff": found["diff"],
    }
    if with_map:
        payload["map"] = found["map"]
    return payload


def _cached(key: tuple):
    """What was computed for ``key`` (versions are immutable: keyed by their content)."""
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
        return found


def _keep(key: tuple, value) -> None:
    with _lock:
        _cache[key] = value
        while len(_cache) > CACHED_VERSIONS:
            _cache.popitem(last=False)


def diff_map(diff: dict, before: list[dict], after: list[dict]) -> dict:
    """The features the version page's map draws: added, removed, changed (old and new
    outline) and, for layers not too big, the unchanged ones for context."""
    kind = {e["id"]: "added" for e in diff["added"]}
    kind.update({e["id"]: "changed" for e in diff["changed"]})
    removed = {e["id"] for e in diff["removed"]}
    drawn = []
    for feature in after:
        what = kind.get(feature["id"], "unchanged")
        if what == "unchanged" and len(after) > MAP_UNCHANGED_MAX:
            continue
        drawn.append(_drawn(feature, what))
    for feature in before:
        if feature["id"] in removed:
            drawn.append(_drawn(feature, "removed"))
        elif kind.get(feature["id"]) == "changed":
            drawn.append(_drawn(feature, "before"))
    shown = [f for f in drawn if f["geometry"]]
    cut = len(shown) > MAP_MAX
    return {"type": "FeatureCollection", "features": shown[:MAP_MAX], "cut": cut, "max": MAP_MAX}


def _drawn(feature: dict, kind: str) -> dict:
    props = feature.get("properties") or {}
    return {
        "type": "Feature",
        "geometry": feature.get("geometry"),
        "properties": {"id": feature["id"], "name": str(props.get("name", ""))[:200], "kind": kind},
    }


def layer_at(store: Store, catalog: Catalog, layer_id: str, number: int | None) -> Layer:
    """The layer as version ``number`` had it (the served layer when None or current);
    404 naming the versions there are."""
    layer = catalog.get(layer_id)
    if number is None or number == layer.version:
        return layer
    version = store.version(layer_id, number)
    if store_served(layer_id, version.feature_count, catalog.memory_max):
        return past_version(layer, store, version)  # read from the store a page at a time
    key = ("layer", store.url, layer_id, number)
    cached = _cached(key)
    if cached is None:
        cached = check_features(layer, store.features(layer_id, number), f"{layer_id}@{number}")
        cached = replace(cached, version=number, sha256=version.content_sha256)
        _keep(key, cached)
    # the catalog entry (titles, styles) as served now, the features of that version, held
    # (not the current version's store source when the current one is served from the store)
    return replace(
        layer,
        features=cached.features,
        geometries=cached.geometries,
        version=number,
        sha256=cached.sha256,
        provider=None,
        summary=None,
    )


def revert(
    store: Store,
    catalog: Catalog,
    layer_id: str,
    number: int,
    *,
    user: str,
    message: str = "",
    based_on: int | None = None,
) -> LayerVersion:
    """A new version equal to version ``number`` (its features, source name and hash); 422
    when it would drop a feature other layers name (as an edit or an import would)."""
    layer = catalog.get(layer_id)
    old = store.version(layer_id, number)
    if store_served(layer_id, old.feature_count, catalog.memory_max) or (
        old.feature_count > DIFF_MAX_FEATURES
    ):  # read whole, then written again
        raise Conflict("big.not_editable", collection=layer_id, count=old.feature_count)
    features = store.features(layer_id, number)
    dropped = dropped_references(catalog, layer.id, {f["id"] for f in features})
    if dropped:
        raise InputError(
            "versions.revert_referenced",
            number=number,
            first=dropped[0].problem.whole(),
            details={"problems": [d.to_dict() for d in dropped]},
        )
    default = Msg("versions.revert_message", number=number).text()
    note = (message or "").strip()[:MESSAGE_CHARS]
    return commit_version(
        store,
        catalog,
        layer.id,
        features,
        user=user,
        message=f"{default}：{note}" if note else default,
        source_name=old.source_name,
        source_sha256=old.source_sha256,
        based_on=layer.version if based_on is None else based_on,
    )


def parse_if_match(value: str | None, layer_id: str) -> int | None:
    """The version an ``If-Match`` names: a version tag (``zones-v3-…``, quoted or not), a
    bare number, or ``*`` (None: any). 400 for anything else."""
    if value is None or value.strip() in ("", "*"):
        return None
    tag = value.strip().removeprefix("W/").strip('"')
    prefix = f"{layer_id}-v"
    if tag.startswith(prefix):
        tag = tag[len(prefix) :].split("-", 1)[0]
    if not tag.isascii() or not tag.isdigit() or len(tag) > 12:
        raise BadRequest("versions.bad_if_match", value=value[:80], layer=layer_id[:64])
    return int(tag)


def check_tag(store: Store, layer_id: str, value: str | None) -> int | None:
    """``If-Match`` as the version it is based on; a full tag must match that version's
    content too (a tag from another database is not this version)."""
    number = parse_if_match(value, layer_id)
    if number is None:
        return None
    tag = (value or "").strip().removeprefix("W/").strip('"')
    if tag.startswith(f"{layer_id}-v"):
        try:
            known = version_tag(store.version(layer_id, number))
        except NotFound:
            known = ""
        if known != tag:
            raise BadRequest("versions.bad_if_match", value=value[:80], layer=layer_id[:64])
    return number


def import_repo(
    store: Store, catalog: Catalog, layer_id: str, *, user: str, message: str = ""
) -> LayerVersion | None:
    """The deploy's layer file as a new version (None when it already is the current one)."""
    layer = catalog.get(layer_id)
    path = catalog.directory / layer.file
    sha256, features = _read_file(layer, path)
    current = store.current_version(layer_id)
    if current is not None and current.source_sha256 == sha256:
        return None
    default = Msg("versions.import_repo_message", file=layer.file).text()
    note = (message or "").strip()[:MESSAGE_CHARS]
    return commit_version(
        store,
        catalog,
        layer_id,
        features,
        user=user,
        message=f"{default}：{note}" if note else default,
        source_name=layer.file,
        source_sha256=sha256,
        based_on=current.number if current else None,
    )
