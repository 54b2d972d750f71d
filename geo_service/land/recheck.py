"""What a new zones version changes for land already checked: the re-check, pure.

A re-check takes checks from the register (all, chosen ids, or those made since a date),
re-runs each check's stored parcels against one version of the zones layer with the check's
own code (``land.check.check_parcels``) on the plane the check used (each parcel's
``crs_used``), and compares per parcel what the check said with what the version says:
status (区内 / 部分在区内 / 区外), the area inside the zones and each zone's overlap (m², 亩).
A parcel is *changed* when its status, its area inside or any zone's overlap moves by more
than the tolerance (``RECHECK_TOLERANCE_M2``, at least ``CHANGE_TOLERANCE_M2``: the stored
figures are rounded to the centimetre²), or it touches other zones; a status change is
always one. Checks against an uploaded zones file are skipped and say why: a new
layer version does not change a file the bureau supplied.

Nothing here writes: ``land.recheck_run`` stores the record and runs this in the check pool.
The parcels are read from the register and checked ``BATCH`` at a time, so memory does not
grow with the register.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import geopandas as gpd
import shapely

from geo_service.clock import time_zone as zone_info
from geo_service.errors import BadRequest, NotFound, TooLarge
from geo_service.geo.units import SQUARE_METRES_PER_MU
from geo_service.land.check import check_parcels, parcel_records
from geo_service.land.crs import AREA_PLANES
from geo_service.land.export import STATUS_ZH
from geo_service.land.prepare import LONLAT
from geo_service.messages import Msg, record

LAYER = "zones"
STATUSES = ("inside", "partial", "outside")
#: Parcels checked per batch, across checks (read from the register, checked, compared,
#: written): the check's set-up (projections, zone trees) is paid once per batch.
BATCH = 10_000
#: Below this an area change is the stored figures' rounding (0.01 m²), not a change.
CHANGE_TOLERANCE_M2 = 0.01
#: Check ids: what the register makes (hex), bounded.
CHECK_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
CHINESE_DATE = re.compile(r"^\s*(\d{4})\s*[年/.-]\s*(\d{1,2})\s*[月/.-]\s*(\d{1,2})\s*日?\s*$")
PLANE_ZONES = {plane: zone for zone, plane in AREA_PLANES.items()}
#: Checks listed per register page while selecting.
PAGE = 500


@dataclass(frozen=True)
class Selection:
    """What a re-check re-runs and against which zones version."""

    version: int
    since: str | None = None  # as the user wrote it
    since_utc: str | None = None  # the moment, UTC ISO (the register's created_at form)
    check_ids: tuple[str, ...] = ()
    #: An area change up to this is no change (RECHECK_TOLERANCE_M2, at least the rounding).
    tolerance_m2: float = CHANGE_TOLERANCE_M2

    def to_dict(self) -> dict:
        return {
            "layer": LAYER,
            "version": self.version,
            "tolerance_m2": self.tolerance_m2,
            "since": self.since,
            "since_utc": self.since_utc,
            "checks": list(self.check_ids),
            "all": not self.since and not self.check_ids,
        }


@dataclass
class Plan:
    """The checks a selection names: those to re-run (id, created_at, parcels, the zones
    version they used when known) and those skipped, each with its reason (a record)."""

    checks: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)

    @property
    def parcels(self) -> int:
        return sum(c["parcels"] for c in self.checks)


# ---- parsing what the user asked --------------------------------------------------------------


def parse_since(text, time_zone: str) -> tuple[str | None, str | None]:
    """(as given, UTC ISO) of ``since``: an ISO date or time (2026-03-01, 2026-03-01T08:00,
    with or without offset) or 2026年3月1日 / 2026/3/1; a date or time without offset is
    local time in ``time_zone``. None when not given; 400 in words when unreadable."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None, None
    if not isinstance(text, str):  # a JSON number is no date (20260101 would read as one)
        raise BadRequest("recheck.bad_since", since=str(text)[:40])
    given = text.strip()[:40]
    written = CHINESE_DATE.match(given)
    try:
        if written:
            moment = datetime(*(int(part) for part in written.groups()))
        else:
            moment = datetime.fromisoformat(given)
    except ValueError:
        raise BadRequest("recheck.bad_since", since=given) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone_info(time_zone))
    return given, moment.astimezone(UTC).isoformat(timespec="seconds")


def parse_check_ids(value, max_checks: int) -> tuple[str, ...]:
    """Check ids from a list or a text separated by commas, 、 or spaces; each as the
    register makes them, at most ``max_checks``."""
    if value is None:
        return ()
    parts = value if isinstance(value, list) else re.split(r"[\s,，、]+", str(value)[:200_000])
    ids = [str(p).strip() for p in parts if str(p).strip()]
    if len(ids) > max_checks:
        raise TooLarge("recheck.too_many_checks", count=len(ids), max=max_checks)
    bad = [i for i in ids if not CHECK_ID.match(i)]
    if bad:
        raise BadRequest("recheck.bad_check_id", id=bad[0][:64])
    return tuple(dict.fromkeys(ids))


def parse_version(value, store):
    """The zones version asked for (the current one when not given), as a LayerVersion;
    400 in words when it is not a number or not a version of the layer."""
    current = store.current_version(LAYER)
    if value is None or str(value).strip() == "":
        return current
    text = str(value).strip()[:20]
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 10**9:
        raise BadRequest("recheck.bad_version", version=text, current=current.number)
    try:
        return store.version(LAYER, int(text))
    except NotFound:
        raise BadRequest("recheck.no_version", version=text, current=current.number) from None


# ---- which checks ---------------------------------------------------------------------------


def plan(register, selection: Selection, max_checks: int, max_parcels: int) -> Plan:
    """The checks ``selection`` names, read from the register's public methods only; 413
    past ``max_checks`` checks or ``max_parcels`` parcels in the checks selected (counted from
    their summaries before any document is read), 400 when it names none or an unknown id."""
    if selection.check_ids:
        found = chosen_checks(register, selection.check_ids, max_parcels)
    else:
        found = listed_checks(register, selection.since_utc, max_checks)
        bound_parcels(sum(c["parcels"] for c in found), max_parcels)
    if not found:
        raise BadRequest("recheck.none_selected", since=selection.since or "—")
    result = Plan()
    for check in found:
        if check["zones_source"] == f"layer:{LAYER}":
            result.checks.append(check)
        else:
            reason = Msg("recheck.skipped_file", file=check["zones_source"][:200])
            result.skipped.append({**check, **record(reason=reason)})
    return result


def bound_parcels(parcels: int, max_parcels: int) -> None:
    if parcels > max_parcels:
        raise TooLarge("recheck.too_many_parcels", parcels=parcels, max=max_parcels)


def chosen_checks(register, ids: tuple[str, ...], max_parcels: int) -> list[dict]:
    """The checks of ``ids``: every id's summary first (unknown ids: 400 listing them; too
    many parcels: 413), then their documents."""
    unknown, parcels = [], 0
    for check_id in ids:
        try:
            parcels += int(register.get_summary(check_id)["parcels"])
        except NotFound:
            unknown.append(check_id)
    if unknown:
        listed = "、".join(unknown[:10])
        raise BadRequest("recheck.unknown_checks", ids=listed, count=len(unknown))
    bound_parcels(parcels, max_parcels)
    return [described(register.get(check_id)) for check_id in ids]


def listed_checks(register, since_utc: str | None, max_checks: int) -> list[dict]:
    """Every check of the register (made at or after ``since_utc``), newest first, from its
    listing pages; 413 past ``max_checks``."""
    found, offset = [], 0
    while True:
        rows = register.list(PAGE, offset)
        for row in rows:
            if since_utc and row["created_at"] < since_utc:
                return found
            found.append(listed_row(row))
            if len(found) > max_checks:
                raise TooLarge("recheck.too_many_checks", count=f"> {max_checks}", max=max_checks)
        if len(rows) < PAGE:
            return found
        offset += PAGE


def described(document: dict) -> dict:
    zones = document.get("zones") or {}
    return {
        "id": document["id"],
        "created_at": document["created_at"],
        "input_name": document["input"]["name"],
        "zones_source": zones.get("source", ""),
        "zones_version": zones.get("layer_version"),
        "parcels": int(document["summary"]["parcels"]),
    }


def listed_row(row: dict) -> dict:
    return {
        "id": row["id"],
        "created_at": row["created_at"],
        "input_name": row["input_name"],
        "zones_source": row["zones_source"],
        "zones_version": None,  # read from the document when the check is re-run
        "parcels": int(row["summary"]["parcels"]),
    }


# ---- re-running and comparing ----------------------------------------------------------------


def zones_frame(features: list[dict]) -> gpd.GeoDataFrame:
    """A zones version's features as the check takes them (as ``zones_from_layer`` builds)."""
    present = [f for f in features if f.get("geometry") is not None]
    geometries = [shapely.from_geojson(json.dumps(f["geometry"])) for f in present]
    return gpd.GeoDataFrame(
        {
            "zone_id": [str(f["id"]) for f in present],
            "name": [str(f["properties"].get("name") or f["id"]) for f in present],
            "precision": [f["properties"].get("precision", "") for f in present],
        },
        geometry=geometries,
        crs="EPSG:4326",
    )


@dataclass
class Batch:
    """One batch of a check re-run: the changed parcels (and their WKB), and the counts of
    every parcel's (before, after) status pair, changed or not."""

    changed: list[dict]
    wkbs: list[bytes]
    pairs: Counter
    changed_pairs: Counter
    parcels: int


def recheck_parcels(
    register,
    checks: list[dict],
    zones: gpd.GeoDataFrame,
    batch: int = BATCH,
    tolerance: float = CHANGE_TOLERANCE_M2,
) -> Iterator[Batch]:
    """Re-run the stored parcels of ``checks`` against ``zones``, ``batch`` parcels at a time
    across checks (one check of the code per batch, not per check: its set-up is paid once)."""
    chunk: list[tuple[dict, dict, bytes]] = []
    for check in checks:
        for parcel, wkb in register.iter_parcels(check["id"], geometry=True):
            chunk.append((check, parcel, wkb))
            if len(chunk) >= batch:
                yield compare_batch(chunk, zones, tolerance)
                chunk = []
    if chunk:
        yield compare_batch(chunk, zones, tolerance)


def compare_batch(
    chunk: list[tuple[dict, dict, bytes]], zones, tolerance: float = CHANGE_TOLERANCE_M2
) -> Batch:
    records = [r for _, r, _ in chunk]
    wkbs = [w for _, _, w in chunk]
    frame = gpd.GeoDataFrame(
        {
            "parcel_id": [r["parcel_id"] for r in records],
            "name": [r.get("name") or "" for r in records],
            "declared_area_ha": [None] * len(records),
            "source_zone": [PLANE_ZONES.get(r.get("crs_used")) for r in records],
            "warnings": [[] for _ in records],
            "attributes": [{} for _ in records],
        },
        geometry=shapely.from_wkb(wkbs),
        crs=LONLAT,
    )
    after = parcel_records(check_parcels(frame, zones), decimals=6)
    out = Batch([], [], Counter(), Counter(), len(records))
    for (check, before, wkb), now in zip(chunk, after):
        pair = (before["status"], now["status"])
        out.pairs[pair] += 1
        entry = compared(check, before, now, tolerance)
        if entry is not None:
            out.changed_pairs[pair] += 1
            out.changed.append(entry)
            out.wkbs.append(wkb)
    return out


def side(parcel: dict) -> dict:
    inside = float(parcel["inside_m2"])
    return {
        "status": parcel["status"],
        "status_zh": STATUS_ZH[parcel["status"]],
        "inside_m2": inside,
        "inside_mu": inside / SQUARE_METRES_PER_MU,
        "outside_m2": float(parcel["outside_m2"]),
        "zones": [
            {"zone_id": z["zone_id"], "name": z["name"], "overlap_m2": float(z["overlap_m2"])}
            for z in parcel["zones"]
        ],
    }


def compared(
    check: dict, before: dict, after: dict, tolerance: float = CHANGE_TOLERANCE_M2
) -> dict | None:
    """The changed parcel's entry, or None when the version changes nothing for it."""
    old, new = side(before), side(after)
    overlaps_old = {z["zone_id"]: z["overlap_m2"] for z in old["zones"]}
    overlaps_new = {z["zone_id"]: z["overlap_m2"] for z in new["zones"]}
    change = new["inside_m2"] - old["inside_m2"]
    moved = (
        old["status"] != new["status"]
        or abs(change) > tolerance
        or overlaps_old.keys() != overlaps_new.keys()
        or any(abs(overlaps_new[z] - v) > tolerance for z, v in overlaps_old.items())
    )
    if not moved:
        return None
    area = float(after["area_m2"])
    return {
        "check_id": check["id"],
        "check_created_at": check["created_at"],
        "input_name": check.get("input_name", ""),
        "parcel_id": before["parcel_id"],
        "name": before.get("name") or "",
        "crs_used": before.get("crs_used"),
        "zones_version_before": check.get("zones_version"),
        "area_m2": area,
        "area_mu": area / SQUARE_METRES_PER_MU,
        "before": old,
        "after": new,
        "change_m2": change,
        "change_mu": change / SQUARE_METRES_PER_MU,
    }


def summary_of(pairs: Counter, changed_pairs: Counter, checks: int, skipped: int) -> dict:
    """The counts a re-check reports: parcels per (before → after) status, how many of them
    changed, and the totals."""
    transitions = [
        {
            "before": b,
            "after": a,
            "before_zh": STATUS_ZH[b],
            "after_zh": STATUS_ZH[a],
            "parcels": pairs[(b, a)],
            "changed": changed_pairs[(b, a)],
        }
        for b in STATUSES
        for a in STATUSES
        if pairs[(b, a)]
    ]
    parcels, changed = sum(pairs.values()), sum(changed_pairs.values())
    return {
        "checks": checks,
        "skipped": skipped,
        "parcels": parcels,
        "changed": changed,
        "unchanged": parcels - changed,
        "transitions": transitions,
    }


def before_version(row: dict) -> int | None:
    """The zones version the re-checked checks used, for the map's "before" boundaries: the
    one most of them recorded, else the version before the re-check's (None for version 1)."""
    used = {
        int(k): n
        for k, n in (row["summary"].get("zones_versions_before") or {}).items()
        if str(k).isdigit()
    }
    if used:
        return max(used, key=lambda k: (used[k], k))
    return row["zones_version"] - 1 if row["zones_version"] > 1 else None
