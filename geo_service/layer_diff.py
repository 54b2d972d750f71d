"""What changed between two versions of a layer: features added, removed and changed by id.

A changed feature says whether its geometry, its attributes (which fields) or both changed;
for polygons every entry carries its area in m² and 亩 on the feature's Gauss-Krüger plane
(CGCS2000 3° zone 36 or 37, chosen as the land check chooses a parcel's: the middle of its
extent west or east of 109.5°E), with the same transform the check uses, and how far its
centroid moved (for points: how far the point moved; for lines, their length in m and its
change as well). A changed feature is measured on one plane in both versions (the new
geometry's), so its area change is not a change of plane. Pure: no store, no web.
"""

from __future__ import annotations

import json

import numpy as np
import shapely

from geo_service.geo.units import m2_to_mu
from geo_service.land.crs import AREA_PLANES, ZONE_BOUNDARY_LON
from geo_service.query.crs import transform

AREA_TYPES = frozenset({"Polygon", "MultiPolygon"})
LINE_TYPES = frozenset({"LineString", "MultiLineString"})
#: Below this many m² an area change is rounding noise (the check's own epsilon).
AREA_EPSILON_M2 = 0.01


def shape_of(feature: dict):
    geometry = feature.get("geometry")
    return None if geometry is None else shapely.from_geojson(json.dumps(geometry))


def plane_of(shape) -> int:
    """The GK zone (36/37) a geometry's areas are computed in."""
    minx, _, maxx, _ = shapely.bounds(shape)
    return 36 if (minx + maxx) / 2 < ZONE_BOUNDARY_LON else 37


def on_planes(shapes: list, zones: list[int]) -> list:
    """Each lon/lat shape on its zone's plane (None stays None), batched per zone."""
    out: list = [None] * len(shapes)
    for zone, plane in AREA_PLANES.items():
        picked = [i for i, s in enumerate(shapes) if s is not None and zones[i] == zone]
        if picked:
            moved = transform(
                np.array([shapes[i] for i in picked], dtype=object), "EPSG:4326", plane
            )
            for i, shape in zip(picked, moved, strict=True):
                out[i] = shape
    return out


def name_of(feature: dict) -> str:
    name = (feature.get("properties") or {}).get("name")
    return "" if name is None else str(name)


def compare(before: list[dict], after: list[dict]) -> dict:
    """The diff of ``after`` against ``before`` (lists of GeoJSON features with ids)."""
    old = {f["id"]: f for f in before}
    new = {f["id"]: f for f in after}
    added = [fid for fid in new if fid not in old]
    removed = [fid for fid in old if fid not in new]
    changed = [fid for fid in new if fid in old and new[fid] != old[fid]]

    # every geometry whose area is wanted, with the plane it is measured on
    wanted: list[tuple[str, str, object]] = []  # (which, fid, shape)
    zones: list[int] = []
    for which, fids, source in (("added", added, new), ("removed", removed, old)):
        for fid in fids:
            shape = shape_of(source[fid])
            wanted.append((which, fid, shape))
            zones.append(plane_of(shape) if shape is not None else 36)
    for fid in changed:
        after_shape, before_shape = shape_of(new[fid]), shape_of(old[fid])
        zone = plane_of(after_shape if after_shape is not None else before_shape or shapely.Point())
        for which, shape in (("after", after_shape), ("before", before_shape)):
            wanted.append((which, fid, shape))
            zones.append(zone)
    planar = on_planes([w[2] for w in wanted], zones)
    measured = {
        (which, fid): (shape, zone)
        for (which, fid, _), shape, zone in zip(wanted, planar, zones, strict=True)
    }

    def area(which: str, fid: str, feature: dict) -> float | None:
        shape, _ = measured[(which, fid)]
        geometry = feature.get("geometry") or {}
        if shape is None or geometry.get("type") not in AREA_TYPES:
            return None
        return float(shapely.area(shape))

    def length(which: str, fid: str, feature: dict) -> float | None:
        shape, _ = measured[(which, fid)]
        geometry = feature.get("geometry") or {}
        if shape is None or geometry.get("type") not in LINE_TYPES:
            return None
        return float(shapely.length(shape))

    def plain(which: str, fid: str, feature: dict) -> dict:
        entry = {"id": fid, "name": name_of(feature)}
        m2 = area(which, fid, feature)
        if m2 is not None:
            entry.update(area_m2=round(m2, 2), area_mu=round(m2_to_mu(m2), 4))
        metres = length(which, fid, feature)
        if metres is not None:
            entry["length_m"] = round(metres, 2)
        entry["plane"] = plane_name(measured[(which, fid)][1])
        return entry

    changes = [change(fid, old[fid], new[fid], measured, area, length) for fid in changed]
    total = sum(c.get("area_change_m2", 0.0) for c in changes)
    total += sum(e.get("area_m2", 0.0) for e in (plain("added", f, new[f]) for f in added))
    total -= sum(e.get("area_m2", 0.0) for e in (plain("removed", f, old[f]) for f in removed))
    return {
        "counts": {
            "added": len(added),
            "removed": len(removed),
            "changed": len(changed),
            "geometry_changed": sum(c["geometry_changed"] for c in changes),
            "attributes_changed": sum(c["attributes_changed"] for c in changes),
            "unchanged": len(new) - len(added) - len(changed),
        },
        "area_change_m2": round(total, 2),
        "area_change_mu": round(m2_to_mu(total), 4),
        "added": [plain("added", fid, new[fid]) for fid in added],
        "removed": [plain("removed", fid, old[fid]) for fid in removed],
        "changed": changes,
    }


def change(fid: str, old: dict, new: dict, measured: dict, area, length=None) -> dict:
    """One changed feature: what changed, for polygons the area before, after, change, for
    lines the length (m) before, after, change."""
    old_props, new_props = old.get("properties") or {}, new.get("properties") or {}
    fields = sorted(
        k
        for k in {*old_props, *new_props}
        if old_props.get(k, None) != new_props.get(k, None) or (k in old_props) != (k in new_props)
    )
    geometry_changed = old.get("geometry") != new.get("geometry")
    entry: dict = {
        "id": fid,
        "name": name_of(new),
        "name_before": name_of(old),
        "geometry_changed": geometry_changed,
        "attributes_changed": bool(fields),
        "fields": fields,
    }
    before, after = area("before", fid, old), area("after", fid, new)
    if before is not None or after is not None:
        delta = (after or 0.0) - (before or 0.0)
        entry.update(
            area_before_m2=None if before is None else round(before, 2),
            area_after_m2=None if after is None else round(after, 2),
            area_change_m2=round(delta, 2) if abs(delta) >= AREA_EPSILON_M2 else 0.0,
            area_change_mu=round(m2_to_mu(delta), 4) if abs(delta) >= AREA_EPSILON_M2 else 0.0,
        )
    before_m = length("before", fid, old) if length else None
    after_m = length("after", fid, new) if length else None
    if before_m is not None or after_m is not None:
        entry.update(
            length_before_m=None if before_m is None else round(before_m, 2),
            length_after_m=None if after_m is None else round(after_m, 2),
            length_change_m=round((after_m or 0.0) - (before_m or 0.0), 2),
        )
    shapes = measured[("before", fid)][0], measured[("after", fid)][0]
    if geometry_changed and all(s is not None and not s.is_empty for s in shapes):
        entry["moved_m"] = round(float(shapely.distance(*(shapely.centroid(s) for s in shapes))), 2)
    entry["plane"] = plane_name(measured[("after", fid)][1])
    return entry


def plane_name(zone: int) -> str:
    """The EPSG code of the plane a feature is measured on (EPSG:4545 / EPSG:4546)."""
    return AREA_PLANES[zone]


#: What happened to a feature, as an import's dry run names it.
KINDS = ("added", "removed", "grown", "shrunk", "moved", "attributes")
#: An area change below this share of the area (or AREA_NOISE_M2) is no growth or shrinkage.
AREA_SHARE = 0.001
AREA_NOISE_M2 = 1.0


#: A geometry whose area moved less than AREA_NOISE_M2 and centroid less than this many
#: metres is the same boundary written again (a GK -> lon/lat round trip, 7 decimals).
SAME_M = 0.05


def same_boundary(entry: dict) -> bool:
    return (
        abs(entry.get("area_change_m2") or 0.0) < AREA_NOISE_M2
        and entry.get("moved_m", 0.0) < SAME_M
        and abs(entry.get("length_change_m") or 0.0) < SAME_M
    )


def kind_of(entry: dict) -> str:
    """A changed feature of :func:`compare` as grown, shrunk, moved (same area, other place
    or shape) or attributes (its geometry unchanged, or the same boundary written again)."""
    if not entry["geometry_changed"] or same_boundary(entry):
        return "attributes"
    before, delta = entry.get("area_before_m2"), entry.get("area_change_m2")
    moved_area = before is not None and delta is not None
    if moved_area and abs(delta) > max(AREA_NOISE_M2, AREA_SHARE * before):
        return "grown" if delta > 0 else "shrunk"
    return "moved"


def by_kind(diff: dict) -> dict:
    """:func:`compare`'s diff as one list of changes, each with its kind, and counts per
    kind: what an import's dry run shows (area before/after and change in m² and 亩)."""
    changes = []
    for which in ("added", "removed"):
        for entry in diff[which]:
            m2 = entry.get("area_m2", 0.0)
            signed = m2 if which == "added" else -m2
            changes.append(
                {
                    "id": entry["id"],
                    "name": entry["name"],
                    "kind": which,
                    "area_before_m2": 0.0 if which == "added" else m2,
                    "area_after_m2": m2 if which == "added" else 0.0,
                    "change_m2": signed,
                    "change_mu": round(m2_to_mu(signed), 4),
                    "attributes": [],
                    **_length(entry, which),
                }
            )
    unchanged = diff["counts"]["unchanged"]
    for entry in diff["changed"]:
        if not entry["fields"] and same_boundary(entry):
            unchanged += 1
            continue
        changes.append(
            {
                "id": entry["id"],
                "name": entry["name"],
                "kind": kind_of(entry),
                "area_before_m2": entry.get("area_before_m2") or 0.0,
                "area_after_m2": entry.get("area_after_m2") or 0.0,
                "change_m2": entry.get("area_change_m2") or 0.0,
                "change_mu": entry.get("area_change_mu") or 0.0,
                "attributes": entry["fields"],
                **({"moved_m": entry["moved_m"]} if "moved_m" in entry else {}),
                **{k: entry[k] for k in LENGTHS if k in entry},
            }
        )
    counts = {kind: sum(1 for c in changes if c["kind"] == kind) for kind in KINDS}
    return {
        "counts": {**counts, "unchanged": unchanged},
        "area_change_m2": diff["area_change_m2"],
        "area_change_mu": diff["area_change_mu"],
        "changes": changes,
    }


LENGTHS = ("length_before_m", "length_after_m", "length_change_m")


def _length(entry: dict, which: str) -> dict:
    """An added or removed line's length as a change (before, after, change in m)."""
    if "length_m" not in entry:
        return {}
    metres = entry["length_m"]
    before, after = (0.0, metres) if which == "added" else (metres, 0.0)
    return dict(zip(LENGTHS, (before, after, round(after - before, 2)), strict=True))
