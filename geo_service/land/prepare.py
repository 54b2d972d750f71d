"""From what a file says to checkable parcels: rings checked, polygons built, CRS resolved,
geometry repaired where it can be, everything brought to CGCS2000 lon/lat.

Errors (the parcel cannot be used as it is) stop the check with every problem listed;
warnings (a repair, a declared area that differs) travel with the parcel's result.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from geo_service.geo.gcj02 import gcj02_to_wgs84
from geo_service.land.crs import ANKANG_BBOX, area_zone_of, describe, is_approximate
from geo_service.land.model import (
    ATTRIBUTES_CUT,
    IN_FILE,
    ParcelTable,
    Problem,
    RawFile,
    RawParcel,
    bounded_attributes,
    input_error,
    note,
)
from geo_service.land.readers.text import pick_name
from geo_service.messages import Msg
from geo_service.query.crs import transform

LONLAT = "EPSG:4490"  # CGCS2000 lon/lat; WGS 84 agrees to well under a metre here
#: What a file's features may be (shapely type ids), by the kind of layer they are read for:
#: a land check reads polygons; an import reads the kind its layer holds.
KIND_TYPE_IDS = {"polygon": (3, 6), "point": (0, 4), "line": (1, 5)}


def geometry_kind(geometry_type: str) -> str:
    """The kind ("polygon", "point" or "line") of a catalog ``geometry_type``."""
    base = geometry_type.removeprefix("Multi")
    return {"Point": "point", "LineString": "line"}.get(base, "polygon")


def kind_name(kind: str) -> Msg:
    """A kind as a person reads it (面（Polygon…）, 点, 线)."""
    return {
        "point": Msg("geometry.kind_point"),
        "line": Msg("geometry.kind_line"),
    }.get(kind, Msg("geometry.kind_polygon"))


def give_hint(kind: str) -> Msg:
    """What to do about a feature without a geometry, for a layer of ``kind``."""
    if kind == "polygon":
        return Msg("geometry.give_polygon")
    return Msg("geometry.give_kind", kind=kind_name(kind))


@dataclass
class Parcels:
    """Checkable parcels (CGCS2000 lon/lat) and how they were read."""

    frame: gpd.GeoDataFrame  # parcel_id, where, name, attributes, declared_area_ha, source_zone,
    # warnings, geometry
    source_crs: str
    crs_note: Msg | str
    notes: list[dict]  # note records (land.model.note)


def ring_problems(ring: np.ndarray, where, number: int) -> list[Problem]:
    label = Msg("where.ring", where=where, ring=number)
    if not np.isfinite(ring).all():
        return [Problem(label, Msg("coordinates.not_numbers"), Msg("coordinates.check_columns"))]
    if len(ring) < 4 or len(np.unique(ring, axis=0)) < 3:
        return [
            Problem(label, Msg("ring.too_few_points", points=len(ring)), Msg("ring.add_points"))
        ]
    if not np.array_equal(ring[0], ring[-1]):
        return [
            Problem(
                label,
                Msg("ring.not_closed", x=f"{ring[0][0]:.3f}", y=f"{ring[0][1]:.3f}"),
                Msg("ring.repeat_first"),
            )
        ]
    return []


def polygon_of(parcel: RawParcel, problems: list[Problem]):
    """The parcel's (Multi)Polygon from its rings; holes found by containment when not given."""
    if parcel.geometry is not None:
        return parcel.geometry
    found = [
        p
        for number, ring in enumerate(parcel.rings, 1)
        for p in ring_problems(ring, parcel.where, number)
    ]
    if found:
        problems.extend(found)
        return None
    rings = [shapely.LinearRing(r) for r in parcel.rings]
    parts = parcel.parts or group_by_containment(rings)
    polygons = [shapely.Polygon(rings[p[0]], [rings[i] for i in p[1:]]) for p in parts if p]
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


def group_by_containment(rings: list) -> list[list[int]]:
    """Exterior rings and their holes: a ring inside an odd number of others is a hole."""
    shells = [shapely.Polygon(r) for r in rings]
    depth = [
        sum(1 for j, other in enumerate(shells) if j != i and other.contains(shells[i]))
        for i in range(len(shells))
    ]
    parts = {i: [i] for i in range(len(rings)) if depth[i] % 2 == 0}
    for i in (i for i in range(len(rings)) if depth[i] % 2 == 1):
        parents = [j for j in parts if depth[j] == depth[i] - 1 and shells[j].contains(shells[i])]
        if parents:
            parts[parents[0]].append(i)
    return list(parts.values())


def resolve_crs(raw: RawFile, crs_given) -> tuple[pyproj.CRS | str, Msg | str]:
    """The caller's CRS wins over the file's; with neither, the check cannot go on."""
    if crs_given is not None:
        if raw.crs is not None:
            return crs_given, Msg(
                "crs.from_parameter_file_said", crs=describe(crs_given), stated=describe(raw.crs)
            )
        return crs_given, Msg("crs.from_parameter", crs=describe(crs_given))
    if raw.crs is None:
        raise input_error(
            raw.filename, [Problem(IN_FILE, Msg("crs.not_stated"), Msg("crs.pass_crs"))]
        )
    return raw.crs, raw.crs_note or describe(raw.crs)


def to_lonlat(geometries: np.ndarray, crs: pyproj.CRS | str) -> np.ndarray:
    if isinstance(crs, str):
        return shapely.transform(
            geometries, lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1]))
        )
    return transform(geometries, crs, LONLAT)


def in_ankang(geometries: np.ndarray) -> np.ndarray:
    """Whether each geometry's bounding-box centre lies in Ankang's extent."""
    minx, miny, maxx, maxy = ANKANG_BBOX
    bounds = shapely.bounds(geometries)
    x, y = (bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2
    return (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)


def table_of(parcels: list[RawParcel], problems: list[Problem]) -> ParcelTable:
    """Parcels read one by one (the text formats) as the arrays bulk readers give."""
    kept, geometries = [], []
    for parcel in parcels:
        geometry = polygon_of(parcel, problems)
        if geometry is not None:
            kept.append(parcel)
            geometries.append(geometry)
    return ParcelTable(
        parcel_id=np.array([p.parcel_id for p in kept], dtype=object),
        where=np.array([p.where for p in kept], dtype=object),
        declared_area_ha=np.array([p.declared_area_ha for p in kept], dtype=object),
        name=np.array([pick_name(p.attributes) for p in kept], dtype=object),
        geometry=np.array(geometries + [None], dtype=object)[:-1],  # keep a 1-d object array
        attributes=np.array([p.attributes for p in kept] + [None], dtype=object)[:-1],
    )


def table_attributes(table: ParcelTable) -> tuple[np.ndarray, bool]:
    """Each parcel's fields, bounded and JSON-safe; and whether any were cut."""
    count = len(table.geometry)
    if table.attributes is not None and table.attributes_cut is not None:
        return table.attributes, table.attributes_cut  # bounded by the reader
    source = table.attributes if table.attributes is not None else [{}] * count
    result = np.empty(count, dtype=object)
    cut = False
    for i, values in enumerate(source):
        result[i], was_cut = bounded_attributes(values or {})
        cut = cut or was_cut
    return result, cut


def prepare_parcels(raw: RawFile, crs_given=None, kind: str = "polygon") -> Parcels:
    """Validate and convert; raises InputError listing every problem found. ``kind``: what
    the features must be ("polygon", the check's parcels; "point" or "line" for an import
    into such a layer: other kinds are refused feature by feature)."""
    problems = [p for p in raw.problems if p.severity == "error"]
    table = raw.table if raw.table is not None else table_of(raw.parcels, problems)
    if problems:
        raise input_error(raw.filename, problems)
    if len(table.geometry) == 0:
        raise input_error(
            raw.filename,
            [Problem(IN_FILE, Msg("parcels.none"), Msg("parcels.need_polygons"))],
        )
    geometries = table.geometry.copy()
    warnings = [() for _ in range(len(geometries))]
    kinds = shapely.get_type_id(geometries)
    for i in np.flatnonzero(~np.isin(kinds, KIND_TYPE_IDS[kind])):  # (Multi)Polygon for a check
        if geometries[i] is None:
            problems.append(Problem(table.where[i], Msg("geometry.empty"), give_hint(kind)))
            continue
        problems.append(wrong_kind(table.where[i], geometries[i].geom_type, kind))
    if problems:
        raise input_error(raw.filename, problems)
    crs, crs_note = resolve_crs(raw, crs_given)
    empty = shapely.is_empty(geometries)
    for i in np.flatnonzero(empty):
        problems.append(Problem(table.where[i], Msg("geometry.empty"), give_hint(kind)))
    invalid = ~shapely.is_valid(geometries) & ~empty
    for i in np.flatnonzero(invalid):
        reason = shapely.is_valid_reason(geometries[i])
        repaired = polygonal(shapely.make_valid(geometries[i])) if kind == "polygon" else None
        if repaired is None or repaired.area == 0:
            problems.append(
                Problem(
                    table.where[i],
                    Msg("geometry.invalid", reason=reason),
                    Msg("geometry.redraw") if kind == "polygon" else Msg("geometry.redraw_feature"),
                )
            )
            continue
        warnings[i] = (note(Msg("geometry.repaired", reason=reason)),)
        geometries[i] = repaired
    if problems:
        raise input_error(raw.filename, problems)

    if isinstance(crs, str):  # GCJ-02 offsets lon/lat: projected metres cannot be it
        minx, miny, maxx, maxy = shapely.total_bounds(geometries)
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise input_error(
                raw.filename,
                [
                    Problem(
                        IN_FILE,
                        Msg("gcj02.not_lonlat", extent=f"{max(abs(minx), abs(maxx)):.0f}"),
                        Msg("crs.give_real"),
                    )
                ],
            )
    with np.errstate(all="ignore"):
        lonlat = to_lonlat(geometries, crs)
    inside = in_ankang(lonlat)
    if not inside.all():
        with np.errstate(all="ignore"):
            swapped = to_lonlat(shapely.transform(geometries, lambda xy: xy[:, ::-1]), crs)
        swapped_inside = in_ankang(swapped)
        for i in np.flatnonzero(~inside):
            centre = shapely.centroid(lonlat[i])
            if swapped_inside[i]:
                problems.append(Problem(table.where[i], Msg("xy.swapped"), Msg("xy.order")))
            else:
                landing = (
                    Msg(
                        "ankang.outside",
                        crs=describe(crs),
                        lon=f"{centre.x:.4f}",
                        lat=f"{centre.y:.4f}",
                    )
                    if np.isfinite([centre.x, centre.y]).all()
                    else Msg("ankang.outside_unconvertible", crs=describe(crs))
                )
                problems.append(Problem(table.where[i], landing, Msg("crs.check_zone")))
        raise input_error(raw.filename, problems)
    if is_approximate(crs):
        shift = note(Msg("datum.approximate"))
        warnings = [(*w, dict(shift)) for w in warnings]
    attributes, cut = table_attributes(table)
    frame = gpd.GeoDataFrame(
        {
            "parcel_id": table.parcel_id,
            "where": table.where,
            "name": table.name,
            "attributes": attributes,
            "declared_area_ha": table.declared_area_ha,
            "source_zone": area_zone_of(crs),
            "warnings": warnings,
        },
        geometry=lonlat,
        crs=LONLAT,
    )
    return Parcels(
        frame,
        describe(crs),
        crs_note,
        [note(n) for n in raw.notes]
        + [warning_note(p) for p in raw.problems if p.severity == "warning"]
        + ([note(ATTRIBUTES_CUT)] if cut else []),
    )


def wrong_kind(where, geom_type: str, kind: str) -> Problem:
    """A feature whose geometry is not of the kind read: the check's words for polygons."""
    if kind == "polygon":
        return Problem(
            where, Msg("geometry.not_parcel", kind=geom_type), Msg("geometry.must_be_polygon")
        )
    return Problem(
        where,
        Msg("geometry.not_kind", kind=geom_type, wanted=kind_name(kind)),
        Msg("geometry.give_kind", kind=kind_name(kind)),
    )


def warning_note(problem: Problem) -> dict:
    """A reader's warning (where, what, what to do) as a note of the result."""
    return note(problem.whole(), code=problem.message.key)


def polygonal(geometry):
    """The polygonal part of make_valid's output (it may add lines or points)."""
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    parts = [g for g in shapely.get_parts(geometry) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else None
