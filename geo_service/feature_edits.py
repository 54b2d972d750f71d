"""Editing one feature of a layer (OGC API - Features Part 4): create, replace, update, delete.

Every write is one new layer version through ``versions.commit_version`` (checked as a layer
file is, written atomically, served at once). Optimistic concurrency per feature: the item's
ETag starts with ``feature_tag`` (a hash of the stored feature), so ``If-Match`` is checked
against the feature itself, whichever representation it was read from; the version is written
``based_on`` the version that feature was read in. When another feature of the layer changed
meanwhile the edit is tried again on the new version (nothing is lost, the other edit is
kept); when this feature changed, 412. No web code here.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass

import numpy as np
import shapely

from geo_service.catalog import PRECISIONS, Catalog, Layer
from geo_service.edit_body import FeatureBody
from geo_service.errors import Busy, Conflict, Forbidden, InputError, NotFound, PreconditionFailed
from geo_service.layer_checks import validate
from geo_service.layer_links import dropped_references, fill_counties
from geo_service.messages import Msg
from geo_service.store import LayerVersion, Store
from geo_service.store.features import feature_hash
from geo_service.versions import commit_version

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags",
]
#: Reference layers rebuilt from their sources (build-layers), never edited online.
NOT_EDITABLE = frozenset({"counties", "reference_rivers"})
#: Tries when other features of the layer change while an edit is written.
TRIES = 3
TAG_CHARS = 16
REQUIRED = ("source", "precision")
#: Precision of a geometry drawn or moved by hand, unless the editor states another.
DRAWN_PRECISION = "schematic"


def feature_tag(feature: dict) -> str:
    """The head of the item's ETag: a hash of the stored feature."""
    return feature_hash(feature)[:TAG_CHARS]


@dataclass(frozen=True)
class Editor:
    """Who edits, when (the date in the bureau's time zone) and why (None: the default)."""

    user: str
    date: str
    message: str | None = None


@dataclass(frozen=True)
class Edited:
    layer: Layer
    feature: dict | None  # as served now; None after a delete
    version: LayerVersion


def editable(catalog: Catalog, layer_id: str) -> Layer:
    layer = catalog.get(layer_id)
    if layer.in_store:  # its features are not held: an edit would write a whole version
        raise Conflict("big.not_editable", collection=layer.id, count=layer.count)
    if layer.id in NOT_EDITABLE:
        names = ", ".join(i for i in catalog.layers if i not in NOT_EDITABLE)
        raise Forbidden("edit.not_editable", collection=layer.id, editable=names)
    return layer


def map_edit_config(catalog: Catalog) -> dict:
    """What the map page's editing (static/map_edit.js) needs: the editable layers, the
    fields' labels and the precisions in words."""
    return {
        "layers": [layer_id for layer_id in catalog.layers if layer_id not in NOT_EDITABLE],
        "fields": catalog.fields,
        "precisions": [{"value": p, "label": catalog.precision_labels[p]} for p in PRECISIONS],
    }


def check_if_match(layer: Layer, fid: str, if_match: tuple[str, ...]) -> dict:
    """The current feature ``fid`` when ``if_match`` names it (``*``: any), else 412 (with
    the current feature on the error, for its ETag) or 404."""
    feature = layer.feature(fid)
    tags = {tag.split("-", 1)[0] for tag in if_match}
    if "*" not in tags and feature_tag(feature) not in tags:
        error = PreconditionFailed("edit.stale", feature=fid)
        error.feature = feature
        raise error
    return feature


def create(store: Store, catalog: Catalog, layer_id: str, body: FeatureBody, raw: bytes, who):
    """POST: a new feature (its id from the body, else the next free ``<layer>-<n>``)."""

    def change(layer: Layer, counties) -> tuple[list[dict], str]:
        ids = {f["id"] for f in layer.features}
        fid = body.id or next_id(layer.id, ids)
        if fid in ids:
            raise Conflict("edit.id_taken", collection=layer.id, feature=fid)
        properties = dict(body.properties or {})
        feature = finished(
            layer, fid, None, body.geometry, properties, set(properties), who, counties
        )
        return [*layer.features, feature], fid

    return _write(store, catalog, layer_id, change, "edit.message_create", raw, who)


def replace(store, catalog, layer_id: str, fid: str, body: FeatureBody, raw, who, if_match):
    """PUT: the feature ``fid`` replaced by the body's (same id)."""
    same_id(body, fid)

    def change(layer: Layer, counties) -> tuple[list[dict], str]:
        old = check_if_match(layer, fid, if_match)
        properties = dict(body.properties or {})
        new = finished(layer, fid, old, body.geometry, properties, set(properties), who, counties)
        return [new if f["id"] == fid else f for f in layer.features], fid

    return _write(store, catalog, layer_id, change, "edit.message_replace", raw, who)


def update(store, catalog, layer_id: str, fid: str, body: FeatureBody, raw, who, if_match):
    """PATCH: a JSON merge patch (RFC 7396) of the properties and/or a new geometry."""
    same_id(body, fid)

    def change(layer: Layer, counties) -> tuple[list[dict], str]:
        old = check_if_match(layer, fid, if_match)
        patch = body.properties or {}
        properties = merge_patch(old["properties"], patch)
        given = {name for name, value in patch.items() if value is not None}
        geometry = body.geometry if body.has_geometry else old["geometry"]
        new = finished(layer, fid, old, geometry, properties, given, who, counties)
        return [new if f["id"] == fid else f for f in layer.features], fid

    return _write(store, catalog, layer_id, change, "edit.message_update", raw, who)


def delete(store, catalog, layer_id: str, fid: str, who, if_match) -> Edited:
    """DELETE: the layer's next version without ``fid``."""

    def change(layer: Layer, counties) -> tuple[list[dict], str]:
        check_if_match(layer, fid, if_match)
        return [f for f in layer.features if f["id"] != fid], fid

    return _write(store, catalog, layer_id, change, "edit.message_delete", b"", who)


def _write(store, catalog, layer_id, change, message_key, raw: bytes, who: Editor) -> Edited:
    """Apply ``change`` to the layer's current version and commit it based on that version;
    tried again (on the new version) when another write came first."""
    for _ in range(TRIES):
        catalog.refresh(store)
        layer = editable(catalog, layer_id)
        features, fid = change(layer, catalog.layers.get("counties"))
        dropped = dropped_references(catalog, layer.id, {f["id"] for f in features})
        if dropped:  # the ids other layers name stay (as an import keeps them)
            raise InputError(
                "edit.still_referenced",
                feature=fid[:200],
                first=dropped[0].problem.whole(),
                details={"problems": [d.to_dict() for d in dropped]},
            )
        message = who.message or Msg(message_key, feature=fid).text()
        try:
            version = commit_version(
                store,
                catalog,
                layer.id,
                features,
                user=who.user,
                message=message,
                source_name=Msg("edit.source_name", feature=fid).text(),
                source_sha256=hashlib.sha256(raw).hexdigest(),
                based_on=layer.version,
            )
        except Conflict as exc:
            if exc.msg.key != "store.version_moved":
                raise
            continue
        served = catalog.get(layer.id)
        kept = [f for f in served.features if f["id"] == fid]
        return Edited(served, kept[0] if kept else None, version)
    raise Busy("edit.busy", collection=layer_id, retry_after=1)


def same_id(body: FeatureBody, fid: str) -> None:
    if body.id is not None and body.id != fid:
        raise InputError("edit.id_mismatch", given=body.id, feature=fid)
    given = (body.properties or {}).get("id")
    if given is not None and str(given) != fid:
        raise InputError("edit.id_mismatch", given=str(given)[:64], feature=fid)


def next_id(layer_id: str, taken: set[str]) -> str:
    number = len(taken) + 1
    while f"{layer_id}-{number}" in taken:
        number += 1
    return f"{layer_id}-{number}"


def merge_patch(target, patch):
    """RFC 7396: objects merge member by member, ``null`` removes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    merged = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = merge_patch(merged.get(name), value)
    return merged


def finished(layer, fid, old, geometry, properties: dict, given: set[str], who, counties) -> dict:
    """The feature as it will be stored: the id kept in its properties as the layer keeps
    it, ``source``/``precision`` the editor's when given, else the edit noted in ``source``
    and the old precision (``schematic`` for a geometry drawn anew); ``county`` from where
    it lies when the layer's features have one and it has none (as an import fills it);
    then checked."""
    if any("id" in f["properties"] for f in layer.features) or "id" in properties:
        properties["id"] = fid
    moved = old is None or not same_geometry(old["geometry"], geometry)
    if "source" not in given:
        properties["source"] = source_note(old["properties"].get("source") if old else "", who)
    if "precision" not in given:
        kept = old["properties"].get("precision") if old else None
        properties["precision"] = DRAWN_PRECISION if moved or not kept else kept
    feature = {"type": "Feature", "id": fid, "geometry": geometry, "properties": properties}
    if geometry is not None and properties.get("county") in (None, ""):  # as an import does
        shapes = np.array([shapely.from_geojson(json.dumps(geometry))], dtype=object)
        fill_counties(layer, counties, [feature], shapes)
    check_feature(layer, feature, counties)
    return feature


def same_geometry(a: dict | None, b: dict | None) -> bool:
    if a is None or b is None:
        return a is b
    shapes = [shapely.from_geojson(json.dumps(g)) for g in (a, b)]
    return bool(shapely.equals_exact(shapes[0], shapes[1], tolerance=1e-9))


def source_note(previous: str, who: Editor) -> str:
    """The source with this edit noted: ``<the source it had>；编辑：<user> <date>`` (only the
    latest edit; the versions keep every one)."""
    note = Msg("edit.source_note", user=who.user, date=who.date).text()
    head = Msg("edit.source_note", user="", date="").text().strip()
    joiner = Msg("edit.source_join", source="", note="").text()
    base = (previous or "").split(joiner)[0].strip()[:400]
    if not base or base.startswith(head):
        return note
    return Msg("edit.source_join", source=base, note=note).text()


def check_feature(layer: Layer, feature: dict, counties: Layer | None) -> None:
    """The checks an edited feature passes before its version is written (422 otherwise):
    ``name`` (in layers that have names), ``source`` and a known ``precision``; then the
    import's checks (layer_checks.validate: geometry type, validity, inside Ankang)."""
    fid, properties = feature["id"], feature["properties"]
    named = any("name" in f["properties"] for f in layer.features)
    required = ["name", *REQUIRED] if named else list(REQUIRED)
    missing = [n for n in required if properties.get(n) in (None, "")]
    if missing:
        raise InputError("edit.missing", feature=fid, names=", ".join(missing))
    if properties["precision"] not in PRECISIONS:
        given = str(properties["precision"])[:40]
        choices = ", ".join(PRECISIONS)
        raise InputError("edit.bad_precision", feature=fid, given=given, choices=choices)
    if feature["geometry"] is None:  # kept as it was (a PATCH of a place-less feature)
        return
    shape = shapely.from_geojson(json.dumps(feature["geometry"]))
    label = properties.get("name") if named else fid
    shapes = np.array([shape], dtype=object)
    found = validate(layer.geometry_type, [fid], [label], shapes, counties)
    errors = [f for f in found if f.severity == "error"]
    if errors:
        raise InputError(
            "edit.refused",
            feature=fid,
            first=errors[0].problem.whole(),
            details={"problems": [f.to_dict() for f in errors]},
        )


CHANGE_WORDS = {
    "added": "history.added",
    "changed": "history.changed",
    "removed": "history.removed",
}


def history(store: Store, catalog: Catalog, layer_id: str, fid: str, lang: str = "zh") -> list:
    """The versions in which feature ``fid`` was created, changed or deleted, oldest first:
    number, time, user, message and what happened (404 if it never existed)."""
    layer = catalog.get(layer_id)
    found = []
    for version in store.versions(layer.id):
        changes = version.changes or {}
        for what in ("added", "changed", "removed"):
            if fid in changes.get(what, ()):
                found.append(
                    {
                        "version": version.number,
                        "created_at": version.created_at,
                        "user": version.user,
                        "message": version.message,
                        "change": what,
                        "change_text": Msg(CHANGE_WORDS[what]).text(lang),
                    }
                )
    if not found and not any(f["id"] == fid for f in layer.features):
        raise NotFound("catalog.no_feature", collection=layer.id, feature=fid[:200])
    return found
