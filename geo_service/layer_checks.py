"""Checks of a layer's new features, reported per feature: what an import (and an edit) must
pass before it becomes a version, beyond the start-up checks (catalog.check_features).

Errors stop the write; warnings travel with the answer. Every finding names the feature
(number in the file and id), what is wrong and what to do, Chinese first; areas are on the
CGCS2000 3° Gauss-Krüger plane of the feature's zone (36 or 37), in m² and 亩.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import shapely

from geo_service.geo.units import m2_to_mu
from geo_service.land.crs import AREA_PLANES, ZONE_BOUNDARY_LON
from geo_service.land.model import IN_FILE, Problem
from geo_service.messages import Msg
from geo_service.query.crs import transform

LONLAT = "EPSG:4326"
#: make_valid may change the area by at most this share of the drawn shell's area.
REPAIR_TOLERANCE = 0.01
#: Features reaching this far past Ankang's counties are accepted (boundary drawing noise).
ANKANG_SLACK_M = 200.0
#: Below this many m² an overlap or a part outside is drawing noise, not land.
AREA_NOISE_M2 = 1.0
#: A line shorter than this many metres (on its GK plane) is a warning: a slip, not a road.
MIN_LINE_M = 1.0
#: Points closer than this many metres stand at the same position (a warning).
SAME_POSITION_M = 0.5
#: Bounds on one new version (the readers' own caps come first).
MAX_FEATURES = 10_000
MAX_VERTICES = 2_000_000
#: Touching pairs examined for overlaps, and features asked of the tree at a time.
MAX_OVERLAP_PAIRS = 20_000
OVERLAP_CHUNK = 256


@dataclass
class Finding:
    """One problem of one feature (or of the whole file: number None)."""

    problem: Problem
    number: int | None = None
    feature_id: str | None = None
    area_m2: float | None = None

    @property
    def severity(self) -> str:
        return self.problem.severity

    def to_dict(self) -> dict:
        out = {**self.problem.to_dict(), "feature": self.number, "id": self.feature_id}
        if self.area_m2 is not None:
            out["area_m2"] = round(self.area_m2, 2)
            out["area_mu"] = round(m2_to_mu(self.area_m2), 4)
        return out


def where_of(number: int | None, feature_id: str | None):
    if number is None:
        return IN_FILE
    return Msg("where.feature_parcel", feature=number, parcel=str(feature_id or "")[:200])


def finding(number, feature_id, message: Msg, hint: Msg, severity="error", area=None):
    problem = Problem(where_of(number, feature_id), message, hint, severity)
    return Finding(problem, number, feature_id, area)


def zones_of(geometries: np.ndarray) -> np.ndarray:
    """The GK zone (36/37) of each lon/lat geometry, by the middle of its bounds."""
    bounds = shapely.bounds(geometries)
    middle = (bounds[:, 0] + bounds[:, 2]) / 2
    return np.where(middle < ZONE_BOUNDARY_LON, 36, 37)


def on_planes(geometries: np.ndarray, zones: np.ndarray) -> np.ndarray:
    """Each lon/lat geometry on the GK plane of its zone (metres)."""
    out = np.empty(len(geometries), dtype=object)
    for zone, plane in AREA_PLANES.items():
        mask = zones == zone
        if mask.any():
            out[mask] = transform(geometries[mask], LONLAT, plane)
    return out


def plane_areas(geometries: np.ndarray) -> np.ndarray:
    """Areas (m²) of lon/lat geometries, each on its GK plane."""
    if len(geometries) == 0:
        return np.zeros(0)
    return shapely.area(on_planes(geometries, zones_of(geometries)))


_ANKANG: dict[tuple[str, int], object] = {}
_ANKANG_LOCK = threading.Lock()


def ankang_on_plane(counties, zone: int):
    """The counties' union on one GK plane, grown by ANKANG_SLACK_M (cached per version)."""
    key = (counties.sha256, zone)
    with _ANKANG_LOCK:
        if key not in _ANKANG:
            present = counties.geometries[~shapely.is_missing(counties.geometries)]
            union = shapely.union_all(transform(present, LONLAT, AREA_PLANES[zone]))
            grown = shapely.buffer(union, ANKANG_SLACK_M)
            shapely.prepare(grown)
            if len(_ANKANG) > 8:
                _ANKANG.clear()
            _ANKANG[key] = grown
        return _ANKANG[key]


def allowed_types(geometry_type: str) -> set[str]:
    base = geometry_type.removeprefix("Multi")
    return {base, "Multi" + base}


def validate(
    geometry_type: str,
    ids: list[str],
    names: list[str],
    geometries: np.ndarray,
    counties=None,
    numbers: list[int] | None = None,
) -> list[Finding]:
    """Every finding about a new set of features (lon/lat geometries, valid or repaired):
    counts, geometry type, validity, ids, names, parts outside Ankang (``counties``: the
    counties Layer), overlaps. ``numbers``: each feature's number in its file."""
    numbers = numbers or list(range(1, len(ids) + 1))
    found: list[Finding] = []
    if len(ids) > MAX_FEATURES:
        found.append(
            finding(
                None,
                None,
                Msg("import.too_many_features", count=len(ids), limit=MAX_FEATURES),
                Msg("import.split_file"),
            )
        )
        return found
    vertices = int(shapely.get_num_coordinates(geometries).sum()) if len(geometries) else 0
    if vertices > MAX_VERTICES:
        found.append(
            finding(
                None,
                None,
                Msg("import.too_many_vertices", count=vertices, limit=MAX_VERTICES),
                Msg("import.simplify"),
            )
        )
        return found
    allowed = allowed_types(geometry_type)
    seen: dict[str, int] = {}
    usable = np.ones(len(ids), dtype=bool)
    for i, (number, fid, name, shape) in enumerate(zip(numbers, ids, names, geometries)):
        if not fid:
            found.append(finding(number, fid, Msg("import.no_id"), Msg("import.give_id")))
        elif fid in seen:
            found.append(
                finding(
                    number,
                    fid,
                    Msg("import.duplicate_id", id=fid[:200], first=seen[fid]),
                    Msg("import.give_id"),
                )
            )
        else:
            seen[fid] = number
        if not name or not str(name).strip():
            found.append(finding(number, fid, Msg("import.no_name"), Msg("import.give_name")))
        if shape is None or shapely.is_empty(shape):
            found.append(finding(number, fid, Msg("geometry.empty"), Msg("import.give_geometry")))
            usable[i] = False
        elif shape.geom_type not in allowed:
            found.append(
                finding(
                    number,
                    fid,
                    Msg("import.wrong_type", kind=shape.geom_type, layer_type=geometry_type),
                    Msg("import.give_type", layer_type=geometry_type),
                )
            )
            usable[i] = False
        elif not shape.is_valid:
            found.append(
                finding(
                    number,
                    fid,
                    Msg("geometry.invalid", reason=shapely.is_valid_reason(shape)),
                    Msg("geometry.redraw"),
                )
            )
            usable[i] = False
    index = np.flatnonzero(usable)
    if len(index) and counties is not None:
        kept = [numbers[i] for i in index]
        found += outside_ankang(geometries[index], kept, ids, index, counties)
    kept_numbers, kept_ids = [numbers[i] for i in index], [ids[i] for i in index]
    if len(index) > 1 and geometry_type.endswith("Polygon"):
        found += overlaps(geometries[index], kept_numbers, kept_ids)
    if len(index) > 1 and geometry_type.endswith("Point"):
        found += same_positions(geometries[index], kept_numbers, kept_ids)
    if len(index) and geometry_type.endswith("LineString"):
        found += short_lines(geometries[index], kept_numbers, kept_ids)
    return found


def same_positions(geometries, numbers, ids) -> list[Finding]:
    """Points (or MultiPoints) standing where an earlier one stands, within SAME_POSITION_M
    on the GK plane: a warning naming the first (two nodes may share a place)."""
    planar = on_planes(geometries, zones_of(geometries))
    tree = shapely.STRtree(planar)
    left, right = tree.query(planar, predicate="dwithin", distance=SAME_POSITION_M)
    first: dict[int, int] = {}
    for a, b in zip(left, right):
        if b < a and shapely.hausdorff_distance(planar[a], planar[b]) <= SAME_POSITION_M:
            first[int(a)] = min(first.get(int(a), b), int(b))
    return [
        finding(
            numbers[a],
            ids[a],
            Msg("import.same_position", number=numbers[b], other=str(ids[b])[:200]),
            Msg("import.check_position"),
            "warning",
        )
        for a, b in sorted(first.items())
    ]


def short_lines(geometries, numbers, ids) -> list[Finding]:
    """Lines shorter than MIN_LINE_M on their GK plane (a warning)."""
    lengths = shapely.length(on_planes(geometries, zones_of(geometries)))
    return [
        finding(
            numbers[k],
            ids[k],
            Msg("import.short_line", length_m=f"{lengths[k]:.2f}", limit=f"{MIN_LINE_M:g}"),
            Msg("import.check_line"),
            "warning",
        )
        for k in np.flatnonzero(lengths < MIN_LINE_M)
    ]


def outside_ankang(geometries, numbers, ids, index, counties) -> list[Finding]:
    """Features with parts beyond the counties' union (grown by ANKANG_SLACK_M)."""
    zones = zones_of(geometries)
    planar = on_planes(geometries, zones)
    found = []
    for zone in np.unique(zones):
        ankang = ankang_on_plane(counties, int(zone))
        here = np.flatnonzero(zones == zone)
        inside = shapely.within(planar[here], ankang)  # one vectorised, prepared pass
        for k in here[~inside]:
            shape = planar[k]
            outside = shapely.difference(shape, ankang)
            area = float(shapely.area(outside))
            fid = ids[index[k]]
            # a sliver past the margin is drawing noise; a tiny feature wholly outside is not
            noise = area <= AREA_NOISE_M2 and shapely.intersects(shape, ankang)
            if shape.geom_type.endswith("Polygon") and noise:
                continue
            message = (
                Msg("import.outside_ankang", area_m2=f"{area:.1f}", area_mu=f"{m2_to_mu(area):.2f}")
                if shape.geom_type.endswith("Polygon")
                else Msg("import.outside_ankang_shape", slack=int(ANKANG_SLACK_M))
            )
            found.append(
                finding(numbers[k], fid, message, Msg("import.check_place"), area=area or None)
            )
    return found


def overlaps(geometries, numbers, ids) -> list[Finding]:
    """Pairs of polygons that overlap by more than AREA_NOISE_M2, with the shared area. The
    tree is asked a chunk of features at a time and stops past MAX_OVERLAP_PAIRS touching
    pairs (a file of 10,000 copies of one square would otherwise ask for 10^8)."""
    zones = zones_of(geometries)
    planar = on_planes(geometries, zones)
    tree = shapely.STRtree(geometries)
    found, pairs = [], 0
    for start in range(0, len(geometries), OVERLAP_CHUNK):
        left, right = tree.query(geometries[start : start + OVERLAP_CHUNK], predicate="intersects")
        left = left + start
        keep = left < right
        pairs += int(keep.sum())
        if pairs > MAX_OVERLAP_PAIRS:
            found.append(
                finding(
                    None,
                    None,
                    Msg("import.too_many_overlaps", limit=MAX_OVERLAP_PAIRS),
                    Msg("import.check_overlap"),
                )
            )
            return found
        for a, b in zip(left[keep], right[keep]):
            found += _overlap(planar, geometries, zones, numbers, ids, a, b)
    return found


def _overlap(planar, geometries, zones, numbers, ids, a, b) -> list[Finding]:
    first = planar[a]
    second = planar[b] if zones[a] == zones[b] else on_planes(geometries[[b]], zones[[a]])[0]
    area = float(shapely.area(shapely.intersection(first, second)))
    if area <= AREA_NOISE_M2:
        return []
    message = Msg(
        "import.overlap",
        other=str(ids[b])[:200],
        number=numbers[b],
        area_m2=f"{area:.1f}",
        area_mu=f"{m2_to_mu(area):.2f}",
    )
    return [finding(numbers[a], ids[a], message, Msg("import.check_overlap"), "warning", area)]


def repair_findings(drawn: np.ndarray, numbers, ids) -> list[Finding]:
    """A finding per invalid polygon as drawn (in its file's CRS): a warning when
    make_valid keeps the area within REPAIR_TOLERANCE of what the rings enclose, else an
    error (the drawing is ambiguous: a figure-eight, a ring crossing itself)."""
    from geo_service.land.prepare import polygonal

    found = []
    invalid = ~shapely.is_valid(drawn) & ~shapely.is_missing(drawn) & ~shapely.is_empty(drawn)
    for i in np.flatnonzero(invalid):
        before = drawn[i]
        if not before.geom_type.endswith("Polygon"):
            continue
        repaired = polygonal(shapely.make_valid(before))
        enclosed = _shell_area(before)
        kept = repaired.area if repaired is not None else 0.0
        share = abs(kept - enclosed) / enclosed if enclosed else 1.0
        params = {
            "reason": shapely.is_valid_reason(before),
            "before": before.geom_type,
            "after": repaired.geom_type if repaired is not None else "-",
            "share": f"{share * 100:.1f}",
        }
        if share > REPAIR_TOLERANCE:
            message = Msg("import.repair_refused", tolerance=f"{REPAIR_TOLERANCE:.0%}", **params)
            found.append(finding(numbers[i], ids[i], message, Msg("geometry.redraw")))
        else:
            message = Msg("import.repaired", **params)
            found.append(
                finding(numbers[i], ids[i], message, Msg("import.check_repair"), "warning")
            )
    return found


def _shell_area(geometry) -> float:
    """The area a polygon's rings enclose as drawn (shoelace, holes subtracted)."""
    total = 0.0
    for part in shapely.get_parts(geometry):
        if part.geom_type != "Polygon":
            continue
        total += abs(shapely.Polygon(part.exterior.coords).area)
        total -= sum(abs(shapely.Polygon(r.coords).area) for r in part.interiors)
    return total
