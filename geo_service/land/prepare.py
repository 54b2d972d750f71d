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
    ParcelTable,
    Problem,
    RawFile,
    RawParcel,
    bounded_attributes,
    input_error,
)
from geo_service.land.readers.text import pick_name

LONLAT = "EPSG:4490"  # CGCS2000 lon/lat; WGS 84 agrees to well under a metre here


@dataclass
class Parcels:
    """Checkable parcels (CGCS2000 lon/lat) and how they were read."""

    frame: gpd.GeoDataFrame  # parcel_id, where, name, attributes, declared_area_ha, source_zone,
    # warnings, geometry
    source_crs: str
    crs_note: str
    notes: list[str]


def ring_problems(ring: np.ndarray, where: str, number: int) -> list[Problem]:
    label = f"{where}, ring {number}"
    if not np.isfinite(ring).all():
        return [
            Problem(
                label,
                "坐标不是数字 (coordinates that are not numbers)",
                "请检查坐标列 (check the coordinate columns)",
            )
        ]
    if len(ring) < 4 or len(np.unique(ring, axis=0)) < 3:
        return [
            Problem(
                label,
                f"点数过少（{len(ring)} 个）：一个环至少需要 3 个不同的点加闭合点 "
                f"(too few points ({len(ring)}): a ring needs at least 3 "
                "distinct points plus the closing one)",
                "请补齐缺少的点 (add the missing points)",
            )
        ]
    if not np.array_equal(ring[0], ring[-1]):
        return [
            Problem(
                label,
                f"环未闭合：末点与首点（{ring[0][0]:.3f}, {ring[0][1]:.3f}）不同 "
                "(ring not closed: its last point differs from its first)",
                "请在环的末尾重复首点 (repeat the first point at the end of the ring)",
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


def resolve_crs(raw: RawFile, crs_given) -> tuple[pyproj.CRS | str, str]:
    """The caller's CRS wins over the file's; with neither, the check cannot go on."""
    if crs_given is not None:
        said = f"；文件注明 {describe(raw.crs)}" if raw.crs is not None else ""
        return crs_given, f"按 crs 参数 {describe(crs_given)}{said} (crs parameter)"
    if raw.crs is None:
        raise input_error(
            raw.filename,
            [
                Problem(
                    "file",
                    "文件未注明坐标系 (the file does not say its coordinate system)",
                    "请指定 crs=，例如 EPSG:4545（CGCS2000 3 度带中央经线 108°，无带号前缀）、"
                    "EPSG:4524（36 带，有前缀）、37 带用 EPSG:4546/4525、经纬度用 EPSG:4490 "
                    "(pass crs=, e.g. EPSG:4545)",
                )
            ],
        )
    return raw.crs, raw.crs_note or describe(raw.crs)


def to_lonlat(geometries: np.ndarray, crs: pyproj.CRS | str) -> np.ndarray:
    if isinstance(crs, str):
        return shapely.transform(
            geometries, lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1]))
        )
    transformer = pyproj.Transformer.from_crs(crs, LONLAT, always_xy=True)
    return shapely.transform(
        geometries, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
    )


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


def prepare_parcels(raw: RawFile, crs_given=None) -> Parcels:
    """Validate and convert; raises InputError listing every problem found."""
    problems = [p for p in raw.problems if p.severity == "error"]
    table = raw.table if raw.table is not None else table_of(raw.parcels, problems)
    if problems:
        raise input_error(raw.filename, problems)
    if len(table.geometry) == 0:
        raise input_error(
            raw.filename,
            [
                Problem(
                    "file",
                    "文件中没有地块 (no parcels in the file)",
                    "文件须含多边形 (the file must hold polygons)",
                )
            ],
        )
    geometries = table.geometry.copy()
    warnings = [() for _ in range(len(geometries))]
    kinds = shapely.get_type_id(geometries)
    for i in np.flatnonzero(~np.isin(kinds, (3, 6))):  # Polygon, MultiPolygon
        kind = geometries[i].geom_type if geometries[i] is not None else "空几何"
        problems.append(
            Problem(
                table.where[i],
                f"{kind} 不是地块 (a {kind} is not a parcel)",
                "地块须为 Polygon 或 MultiPolygon (parcels must be Polygon or MultiPolygon)",
            )
        )
    if problems:
        raise input_error(raw.filename, problems)
    crs, crs_note = resolve_crs(raw, crs_given)
    empty = shapely.is_empty(geometries)
    for i in np.flatnonzero(empty):
        problems.append(
            Problem(
                table.where[i],
                "几何为空 (empty geometry)",
                "请为该地块提供多边形 (give the parcel its polygon)",
            )
        )
    invalid = ~shapely.is_valid(geometries) & ~empty
    for i in np.flatnonzero(invalid):
        reason = shapely.is_valid_reason(geometries[i])
        repaired = polygonal(shapely.make_valid(geometries[i]))
        if repaired is None or repaired.area == 0:
            problems.append(
                Problem(
                    table.where[i],
                    f"几何无效且无法修复：{reason} (invalid geometry that cannot be repaired)",
                    "请重新绘制该地块 (redraw the parcel)",
                )
            )
            continue
        warnings[i] = (
            f"几何自相交等问题已用 make_valid 修复（{reason}）；请核对原图形 "
            f"(self-intersection repaired)",
        )
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
                        "file",
                        f"crs=gcj02 只适用于高德/腾讯的经纬度，而坐标达到 "
                        f"{max(abs(minx), abs(maxx)):.0f} (crs=gcj02 is for lon/lat from "
                        "Gaode/Tencent)",
                        "请给出文件的真实坐标系，例如 EPSG:4545 (give the file's real CRS)",
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
                problems.append(
                    Problem(
                        table.where[i],
                        "X 与 Y 似乎颠倒 (X and Y appear swapped)",
                        "X 为北坐标，Y 为东坐标；经度在前、纬度在后 "
                        "(X is northing, Y is easting; lon before lat)",
                    )
                )
            else:
                landing = (
                    f"落在 {centre.x:.4f}°E {centre.y:.4f}°N"
                    if np.isfinite([centre.x, centre.y]).all()
                    else "无法转换为经纬度"
                )
                problems.append(
                    Problem(
                        table.where[i],
                        f"不在安康市范围内：按 {describe(crs)} {landing} (outside Ankang)",
                        "请检查坐标系与带号 (check the coordinate system and the zone 带号)",
                    )
                )
        raise input_error(raw.filename, problems)
    if is_approximate(crs):
        shift = (
            "西安80/北京54 到 CGCS2000 只能近似转换，位置可能偏差数十米 (approximate datum shift)"
        )
        warnings = [(*w, shift) for w in warnings]
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
        list(raw.notes)
        + [p.text() for p in raw.problems if p.severity == "warning"]
        + ([ATTRIBUTES_CUT] if cut else []),
    )


def polygonal(geometry):
    """The polygonal part of make_valid's output (it may add lines or points)."""
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    parts = [g for g in shapely.get_parts(geometry) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else None
