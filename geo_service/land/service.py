"""One land check from uploaded bytes to a stored record; shared by the API and the CLI."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from geo_service.land.check import AREA_METHOD, check_parcels, parcel_records
from geo_service.land.crs import parse_crs
from geo_service.land.model import bounded_attributes, note
from geo_service.land.prepare import prepare_parcels
from geo_service.land.readers import Limits, read_parcel_file
from geo_service.land.zones import Zones, zones_from_file
from geo_service.messages import Msg, record

SCHEMATIC_WARNING = Msg("zones.schematic")


@dataclass
class Upload:
    """A file as received: its name (for messages only) and its bytes."""

    name: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class CheckRequest:
    parcels: Upload
    zones: Upload | None = None
    crs: str | None = None
    zones_crs: str | None = None
    #: The zones file's id and name fields, when not one of the recognised names.
    zones_id_field: str | None = None
    zones_name_field: str | None = None
    zones_fields: tuple[str, ...] = ()
    layer: str | None = None
    limits: Limits = field(default_factory=Limits)
    #: Who asked (user name, "" for the CLI's local user) and from which client address.
    user: str = ""
    client_addr: str = ""

    @property
    def parameters(self) -> dict:
        return {
            "crs": self.crs,
            "zones_crs": self.zones_crs,
            "layer": self.layer,
            "zones_id_field": self.zones_id_field,
            "zones_name_field": self.zones_name_field,
            "zones_fields": list(self.zones_fields),
        }


Progress = Callable[[str, int, int], None]


def zones_for(request: CheckRequest, default_zones: Zones) -> Zones:
    """The zones a check uses: the uploaded boundary file, else the service's layer."""
    if request.zones is None:
        return default_zones
    zones_raw = read_parcel_file(
        request.zones.data,
        request.zones.name,
        crs_given=parse_crs(request.zones_crs),
        limits=request.limits,
    )
    return zones_from_file(
        zones_raw,
        request.zones.sha256,
        parse_crs(request.zones_crs),
        id_field=request.zones_id_field,
        name_field=request.zones_name_field,
        fields=tuple(request.zones_fields),
    )


def run_check(
    request: CheckRequest,
    default_zones: Zones,
    dataset_version: str,
    progress: Progress | None = None,
    check_id: str | None = None,
):
    """Read, validate, check. Returns (result document, checked parcels frame, zones used)."""
    report = progress or (lambda stage, done, total: None)
    report("reading", 0, 1)
    crs_given = parse_crs(request.crs)
    raw = read_parcel_file(
        request.parcels.data,
        request.parcels.name,
        crs_given=crs_given,
        limits=request.limits,
        layer=request.layer,
    )
    parcels = prepare_parcels(raw, crs_given)
    zones = zones_for(request, default_zones)
    total = len(parcels.frame)
    report("checking", 0, total)
    result = check_parcels(
        parcels.frame, zones.frame, progress=lambda done, count: report("checking", done, count)
    )
    records = parcel_records(result)
    frame = result.parcels
    given = {
        "format": raw.format,
        "crs": parcels.source_crs,
        **record(crs_note=parcels.crs_note),
        "notes": parcels.notes,
        "attribute_fields": attribute_fields(records),
        **({"jzd_header": bounded_attributes(raw.header)[0]} if raw.format == "jzd" else {}),
    }
    document = check_document(request, given, zones, dataset_version, summary_of(frame), check_id)
    document["parcels"] = records
    return document, parcels.frame, zones


def summary_of(frame) -> dict:
    """A check's counts and sums from its parcels' status and area columns."""
    sums = {k: float(frame[k].sum()) for k in ("area_m2", "inside_m2", "outside_m2")}
    return {
        "parcels": len(frame),
        **{s: int((frame["status"] == s).sum()) for s in ("inside", "partial", "outside")},
        **{k: round(v, 2) for k, v in sums.items()},
        **{k.replace("_m2", "_mu"): round(v * 15 / 10000, 4) for k, v in sums.items()},
    }


def check_document(
    request: CheckRequest,
    given: dict,
    zones: Zones,
    dataset_version: str,
    summary: dict,
    check_id: str | None = None,
) -> dict:
    """A check's document without its parcels: what was given, the zones, the summary."""
    return {
        "id": check_id or uuid.uuid4().hex[:16],
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "status": "done",
        "input": {"name": request.parcels.name, "sha256": request.parcels.sha256, **given},
        "zones": {
            "source": zones.source,
            "sha256": zones.sha256,
            "count": len(zones.frame),
            "schematic": zones.schematic,
            **record(crs_note=zones.crs_note),
            "id_field": zones.id_field,
            "name_field": zones.name_field,
            "fields": list(zones.fields),
            **layer_used(zones),
        },
        "parameters": request.parameters,
        "requested_by": {"user": request.user, "address": request.client_addr},
        **record(method=AREA_METHOD),
        "dataset_version": dataset_version,
        "summary": summary,
        "warnings": [note(SCHEMATIC_WARNING)] if zones.schematic else [],
    }


def check_and_store(
    request: CheckRequest,
    default_zones: Zones,
    dataset_version: str,
    register,
    progress: Progress | None = None,
    check_id: str | None = None,
    within=None,
) -> str:
    """Run one check and store it in ``register``; returns its id. A GeoPackage of more than
    BIG_CHECK_PARCELS parcels takes the big path (land.big_check); the rest, this process.
    Either way the process gives back what the check used (``land.memory.give_back``).
    ``within(db)`` runs in the register's transaction first (a queued job's end)."""
    from geo_service.land import big_check, memory

    report = progress or (lambda stage, done, total: None)
    with big_check.plan(request) as big:
        if big is not None:
            stored = big_check.run(
                big, request, default_zones, dataset_version, register, report, check_id, within
            )["id"]
            memory.give_back()
            return stored
    document, parcels, zones = run_check(request, default_zones, dataset_version, report, check_id)
    report("storing", len(parcels), len(parcels))
    register.save(document, parcels, zones.frame, within=within)
    stored = document["id"]
    del document, parcels, zones
    memory.give_back()  # a check worker holds nothing after a check
    return stored


def layer_used(zones: Zones) -> dict:
    """Which layer and store version a check used, when it used the service's layer."""
    if not zones.layer_version or not zones.source.startswith("layer:"):
        return {}
    return {"layer": zones.source.removeprefix("layer:"), "layer_version": zones.layer_version}


def attribute_fields(records: list[dict]) -> list[str]:
    """Every attribute name the parcels carry, in the order the file first gives them."""
    names: dict[str, None] = {}
    for parcel in records:
        names.update(dict.fromkeys(parcel["attributes"]))
    return list(names)
