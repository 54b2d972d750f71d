"""Importing official boundaries into a layer: a file read as the land check reads it, its id
and name fields recognised as a check's zones file's are, checked feature by feature, compared
with the current version (dry run), then written as the next version (commit).

Shared by the API (``POST /collections/{id}/imports``), the page and the CLI
(``python -m geo_service layers import``). No web code here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from geo_service.catalog import PRECISIONS, Catalog, Layer
from geo_service.errors import BadRequest, Conflict, InputError
from geo_service.geo.geojson import clean_geometries, geometry_mapping
from geo_service.land.crs import parse_crs
from geo_service.land.model import note
from geo_service.land.prepare import geometry_kind, prepare_parcels, table_of
from geo_service.land.readers import Limits, read_parcel_file
from geo_service.land.zones import field_names, recognise_fields
from geo_service.layer_checks import (
    MAX_FEATURES,
    Finding,
    plane_areas,
    repair_findings,
    validate,
)
from geo_service.layer_diff import by_kind, compare
from geo_service.layer_links import dropped_references, fill_counties
from geo_service.messages import Msg, record
from geo_service.store import LayerVersion, Store
from geo_service.versions import commit_version

DEFAULT_PRECISION = "surveyed"
#: Properties the service sets on every imported feature; a file's own are kept as 原<name>.
RESERVED = ("name", "source", "precision")
MAX_ID_CHARS = 200
#: Problems an answer lists (counts give them all).
MAX_SHOWN = 1000
FORMS = ("id_field", "name_field")


@dataclass
class ImportRequest:
    """One import: the layer, the file and the user's choices."""

    layer_id: str
    filename: str
    data: bytes
    id_field: str | None = None
    name_field: str | None = None
    crs: str | None = None
    precision: str | None = None
    message: str | None = None
    #: Keep the current version's attributes the file does not give, for ids it keeps.
    keep_attributes: bool = True
    #: The version the dry run saw: a commit on another one is refused (409).
    based_on: int | None = None
    user: str = ""
    limits: Limits = field(default_factory=Limits)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Prepared:
    """A file's features as the next version would hold them, and how they were made."""

    features: list[dict]
    findings: list[Finding]
    id_field: str | None
    name_field: str | None
    fields: list[str]
    kept: list[str]
    file: dict
    notes: list[dict]
    #: The features' total area (m², each on its GK plane).
    area_m2: float = 0.0

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]


def check_choices(layer: Layer, request: ImportRequest) -> str:
    """The precision to stamp (400 for another word)."""
    precision = (request.precision or DEFAULT_PRECISION).strip()
    if precision not in PRECISIONS:
        raise BadRequest(
            "import.bad_precision", precision=precision[:40], choices=", ".join(PRECISIONS)
        )
    return precision


def prepare(layer: Layer, counties: Layer | None, request: ImportRequest) -> Prepared:
    """Read, recognise, build and check the file's features (nothing written): read as the
    layer's kind (polygons, points or lines), the other kinds refused feature by feature."""
    if layer.in_store:  # not held in memory: an import's diff and checks need its features
        raise Conflict("big.not_editable", collection=layer.id, count=layer.count)
    precision = check_choices(layer, request)
    limits = request.limits
    if limits.max_parcels > MAX_FEATURES:
        limits = Limits(**{**limits.__dict__, "max_parcels": MAX_FEATURES})
    crs_given = parse_crs(request.crs)
    kind = geometry_kind(layer.geometry_type)
    raw = read_parcel_file(
        request.data, request.filename, crs_given=crs_given, limits=limits, kind=kind
    )
    drawn = raw.table.geometry if raw.table is not None else table_of(raw.parcels, []).geometry
    parcels = prepare_parcels(raw, crs_given, kind)
    frame = parcels.frame
    attributes = list(frame["attributes"])
    names = field_names(attributes)
    id_used, name_used = recognise_fields(
        raw.filename, names, request.id_field, request.name_field, FORMS
    )
    named_by_layer = name_used is None and request.name_field is None
    if named_by_layer:  # a layer without `name` (the enclave links): its own label field
        name_used = next((k for k in (layer.label_property, "origin_name") if k in names), None)
    ids = [
        _text(a.get(id_used)) if id_used else str(p) for a, p in zip(attributes, frame["parcel_id"])
    ]
    labels = [_text(a.get(name_used)) if name_used else "" for a in attributes]
    numbers = list(range(1, len(ids) + 1))
    geometries = clean_geometries(frame.geometry.to_numpy(), 7)
    findings = repair_findings(np.asarray(drawn, dtype=object), numbers, ids)
    findings += [_long_id(n, i) for n, i in zip(numbers, ids) if len(i) > MAX_ID_CHARS]
    findings += validate(layer.geometry_type, ids, labels, geometries, counties, numbers)
    source = Msg("import.source", file=raw.filename[:200], date=date.today().isoformat()).text()
    current = {f["id"]: f["properties"] for f in layer.features}
    features, kept = [], set()
    for fid, label, values, geometry in zip(ids, labels, attributes, geometries):
        properties = {}
        if request.keep_attributes and fid in current:
            carried = {k: v for k, v in current[fid].items() if k not in RESERVED}
            kept.update(k for k in carried if k not in values)
            properties.update(carried)
        for key, value in values.items():
            clash = key in RESERVED and not (key == "name" and key == name_used)
            properties[f"原{key}" if clash else key] = value
        properties.update(name=label, source=source, precision=precision)
        features.append(
            {
                "type": "Feature",
                "id": fid,
                "properties": properties,
                "geometry": geometry_mapping(geometry),
            }
        )
    filled = fill_counties(layer, counties, features, geometries)
    crs_note = record(crs_note=parcels.crs_note)
    return Prepared(
        features,
        findings,
        id_used,
        name_used,
        names[:100],
        sorted(kept),
        {
            "name": raw.filename,
            "sha256": request.sha256,
            "format": raw.format,
            "crs": parcels.source_crs,
            **crs_note,
        },
        parcels.notes
        + ([] if id_used else [note(Msg("import.ids_from_file"))])
        + (
            [note(Msg("import.name_from_layer", field=name_used))]
            if named_by_layer and name_used
            else []
        )
        + ([note(Msg("import.counties_filled", count=filled))] if filled else []),
        float(plane_areas(geometries).sum()) if len(geometries) else 0.0,
    )


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _long_id(number: int, fid: str) -> Finding:
    from geo_service.layer_checks import finding

    return finding(
        number,
        fid[:40] + "…",
        Msg("import.id_too_long", chars=len(fid), limit=MAX_ID_CHARS),
        Msg("import.give_id"),
    )


def answer(layer: Layer, prepared: Prepared, *, preview: bool = False) -> dict:
    """The dry run's answer: file, fields chosen, counts, diff, problems (and the map's
    preview: the new features and the old shapes of what changed or went)."""
    diff = by_kind(compare(layer.features, prepared.features))
    errors = len(prepared.errors)
    out = {
        "layer": layer.id,
        "geometry_type": layer.geometry_type,
        "based_on": layer.version,
        "file": prepared.file,
        "fields": {
            "id": prepared.id_field,
            "name": prepared.name_field,
            "available": prepared.fields,
            "kept_from_layer": prepared.kept,
        },
        "precision": prepared.features[0]["properties"]["precision"] if prepared.features else "",
        "counts": {
            "features": len(prepared.features),
            "current": len(layer.features),
            "errors": errors,
            "warnings": len(prepared.findings) - errors,
        },
        "area_m2": round(prepared.area_m2, 2),
        "diff": diff,
        "problems": [f.to_dict() for f in sorted(prepared.findings, key=_errors_first)[:MAX_SHOWN]],
        "notes": prepared.notes,
        "committable": errors == 0,
    }
    if preview:
        out["preview"] = preview_collections(layer, prepared.features, diff)
    return out


def _errors_first(found: Finding) -> tuple[int, int]:
    """Errors before warnings; in each, what concerns the whole file or the current version
    first, then the file's order."""
    return (found.severity != "error", found.number if found.number is not None else -1)


def preview_collections(layer: Layer, features: list[dict], diff: dict) -> dict:
    """What the page draws: ``new`` (every new feature, its change kind) and ``old`` (the
    current shapes of the features removed or whose boundary changed)."""
    kinds = {c["id"]: c["kind"] for c in diff["changes"]}

    def slim(feature: dict, kind: str) -> dict:
        return {
            "type": "Feature",
            "id": feature["id"],
            "properties": {"name": feature["properties"].get("name"), "kind": kind},
            "geometry": feature["geometry"],
        }

    new = [slim(f, kinds.get(f["id"], "unchanged")) for f in features]
    old = [
        slim(f, kinds[f["id"]])
        for f in layer.features
        if kinds.get(f["id"], "attributes") != "attributes"
    ]
    return {
        "new": {"type": "FeatureCollection", "features": new},
        "old": {"type": "FeatureCollection", "features": old},
    }


def dry_run(catalog: Catalog, request: ImportRequest, *, preview: bool = False) -> dict:
    """What the import would write, and every problem; nothing is written."""
    layer = catalog.get(request.layer_id)
    prepared = prepare(layer, _counties(catalog), request)
    new_ids = {f["id"] for f in prepared.features}
    prepared.findings += dropped_references(catalog, layer.id, new_ids)
    return {**answer(layer, prepared, preview=preview), "dry_run": True}


def commit(store: Store, catalog: Catalog, request: ImportRequest) -> tuple[dict, LayerVersion]:
    """Check as the dry run does, then write the next version atomically (based on the
    version the dry run saw: 409 if another was written since). 422 with every problem
    when any error is found; nothing is written then."""
    layer = catalog.get(request.layer_id)
    prepared = prepare(layer, _counties(catalog), request)
    new_ids = {f["id"] for f in prepared.features}
    prepared.findings += dropped_references(catalog, layer.id, new_ids)
    result = answer(layer, prepared)
    if prepared.errors:
        first = prepared.errors[0].problem.whole()
        raise InputError(
            "import.refused",
            file=request.filename[:200],
            count=len(prepared.errors),
            first=first,
            details={"file": request.filename[:200], "problems": result["problems"][:200]},
        )
    if not result["diff"]["changes"]:
        raise InputError(
            "import.unchanged", file=request.filename[:200], layer=layer.id, number=layer.version
        )
    message = (request.message or "").strip()[:500] or Msg(
        "import.default_message", file=request.filename[:200]
    ).text()
    version = commit_version(
        store,
        catalog,
        layer.id,
        prepared.features,
        user=request.user,
        message=message,
        source_name=request.filename[:200],
        source_sha256=request.sha256,
        based_on=request.based_on if request.based_on is not None else layer.version,
    )
    return {**result, "dry_run": False, "version": version.to_dict()}, version


def _counties(catalog: Catalog) -> Layer | None:
    return catalog.layers.get("counties")
