"""The land check: each parcel against the zone boundaries, measured on the Gauss-Kruger plane.

Per parcel: status inside / partial / outside, its area, the overlap with each zone it touches,
the area outside every zone, and the distance to the nearest zone when outside. Areas are
computed on the CGCS2000 3° Gauss-Kruger plane of the parcel's own zone (36: EPSG:4545,
37: EPSG:4546, the zone of the source file when it is one, else of the parcel's centroid), with
the ellipsoidal area alongside (Lambert azimuthal equal-area on the CGCS2000 ellipsoid).

Everything is vectorised: STRtree queries pair parcels with zones, parcels wholly inside take
a fast path (their overlap is their own area), and only the remaining pairs are intersected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_service.geo.units import SQUARE_METRES_PER_HECTARE, SQUARE_METRES_PER_MU
from geo_service.land.crs import AREA_PLANES, ZONE_BOUNDARY_LON
from geo_service.land.model import note
from geo_service.messages import Msg
from geo_service.query.crs import transform, transformer

#: Equal-area projection on the CGCS2000 (GRS 80) ellipsoid, centred on Ankang.
ELLIPSOIDAL_AREA_CRS = "+proj=laea +lat_0=32.7 +lon_0=109.1 +ellps=GRS80 +units=m +no_defs"
AREA_METHOD = Msg("check.method")
CHUNK = 25_000
NEAR_SEARCH_M = (2_000.0,)  # search radii tried before the whole tree
#: Below this many m² an overlap or a remainder is rounding noise, not land.
AREA_EPSILON_M2 = 0.01
#: A declared 公顷 that differs from the computed area by more than this share is reported.
DECLARED_AREA_TOLERANCE = 0.001


@dataclass
class CheckResult:
    parcels: pd.DataFrame  # one row per parcel, in input order
    overlaps: pd.DataFrame  # parcel (row index), zone_id, name, overlap_m2, overlap_mu, share


def ellipsoidal_areas(lonlat: np.ndarray, crs: str) -> np.ndarray:
    """Area of each geometry on the equal-area projection, from its coordinates alone.

    The shoelace formula over every ring (exterior positive, holes negative), vectorised:
    no projected geometries are built, which halves the cost of this column.
    """
    move = transformer(crs, ELLIPSOIDAL_AREA_CRS)
    _, coords, offsets = shapely.to_ragged_array(lonlat, include_z=False)
    if len(offsets) == 2:  # all Polygons: each geometry is one part
        offsets = (*offsets, np.arange(len(lonlat) + 1))
    ring_offsets, part_offsets, geometry_offsets = offsets
    x, y = move.transform(coords[:, 0], coords[:, 1])
    ring_of = np.repeat(np.arange(len(ring_offsets) - 1), np.diff(ring_offsets))
    x = x - x[ring_offsets[:-1]][ring_of]  # per-ring origin keeps the products small and exact
    y = y - y[ring_offsets[:-1]][ring_of]
    same_ring = ring_of[:-1] == ring_of[1:]
    cross = (x[:-1] * y[1:] - x[1:] * y[:-1])[same_ring]
    ring_area = np.abs(
        np.bincount(ring_of[:-1][same_ring], weights=cross, minlength=len(ring_offsets) - 1)
    )
    part_of_ring = np.repeat(np.arange(len(part_offsets) - 1), np.diff(part_offsets))
    exterior = np.zeros(len(ring_area), dtype=bool)
    exterior[part_offsets[:-1]] = True
    part_area = np.bincount(
        part_of_ring,
        weights=np.where(exterior, ring_area, -ring_area),
        minlength=len(part_offsets) - 1,
    )
    geometry_of_part = np.repeat(np.arange(len(geometry_offsets) - 1), np.diff(geometry_offsets))
    return np.bincount(geometry_of_part, weights=part_area, minlength=len(lonlat)) / 2


class ZonePlane:
    """The zones projected onto one GK plane, with their trees (built once per check)."""

    def __init__(self, zones: gpd.GeoDataFrame, plane: str):
        self.geometries = transform(zones.geometry.to_numpy(), zones.crs.to_string(), plane)
        shapely.prepare(self.geometries)
        self.tree = shapely.STRtree(self.geometries)
        self.union_parts = shapely.get_parts(shapely.union_all(self.geometries))
        shapely.prepare(self.union_parts)
        self.union_tree = shapely.STRtree(self.union_parts)
        # The zones' boundaries cut into two-point segments: the distance from a parcel outside
        # every zone to the nearest zone is its distance to the nearest segment, and a tree of
        # segments finds that far faster than whole many-vertex polygons.
        coords, ring_index = shapely.get_coordinates(
            shapely.get_rings(self.union_parts), return_index=True
        )
        same_ring = ring_index[1:] == ring_index[:-1]
        starts = coords[:-1][same_ring]
        ends = coords[1:][same_ring]
        self.segments = shapely.linestrings(np.stack([starts, ends], axis=1))
        self.segment_tree = shapely.STRtree(self.segments, node_capacity=4)  # 2x faster here

    def distances(self, parcels: np.ndarray) -> np.ndarray:
        """Distance (m) from each parcel to the nearest zone; the parcels touch none.

        Near parcels are found first with a search radius (cheap pruning); only the rest
        search the whole tree.
        """
        result = np.full(len(parcels), np.nan)
        remaining = np.arange(len(parcels))
        for radius in (*NEAR_SEARCH_M, None):
            hit, distance = self.segment_tree.query_nearest(
                parcels[remaining], max_distance=radius, return_distance=True, all_matches=False
            )
            result[remaining[hit[0]]] = distance
            remaining = remaining[np.isnan(result[remaining])]
            if len(remaining) == 0:
                break
        return result


def overlap_areas(parcels: np.ndarray, areas: np.ndarray, targets: np.ndarray, tree):
    """(parcel index, target index, overlap m²) for every intersecting pair, vectorised."""
    pairs = tree.query(parcels, predicate="intersects")
    if pairs.shape[1] == 0:
        return pairs[0], pairs[1], np.zeros(0)
    # fast path: a parcel wholly inside (targets are prepared) needs no intersection
    within = shapely.contains(targets[pairs[1]], parcels[pairs[0]])
    overlap = np.empty(pairs.shape[1])
    overlap[within] = areas[pairs[0][within]]
    rest = ~within
    overlap[rest] = shapely.area(
        shapely.intersection(parcels[pairs[0][rest]], targets[pairs[1][rest]])
    )
    return pairs[0], pairs[1], overlap


def area_zones(frame: gpd.GeoDataFrame) -> np.ndarray:
    """The GK zone (36/37) each parcel's areas are computed in."""
    bounds = shapely.bounds(frame.geometry.to_numpy())
    middle_x = (bounds[:, 0] + bounds[:, 2]) / 2
    by_location = np.where(middle_x < ZONE_BOUNDARY_LON, 36, 37)
    source = frame["source_zone"].to_numpy()
    return np.where(pd.isna(source), by_location, source).astype(int)


def check_parcels(
    frame: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    progress: Callable[[int, int], None] | None = None,
) -> CheckResult:
    """Check every parcel (lon/lat frame from prepare_parcels) against ``zones``."""
    count = len(frame)
    lonlat = frame.geometry.to_numpy()
    crs = frame.crs.to_string()
    zone_of = area_zones(frame)
    columns = {name: np.zeros(count) for name in ("area_m2", "inside_m2", "distance_m")}
    ellipsoidal = ellipsoidal_areas(lonlat, crs)
    overlap_rows = []
    done = 0
    for zone, plane in AREA_PLANES.items():
        indices = np.flatnonzero(zone_of == zone)
        if len(indices) == 0:
            continue
        zplane = ZonePlane(zones, plane)
        for start in range(0, len(indices), CHUNK):
            chunk = indices[start : start + CHUNK]
            parcels = transform(lonlat[chunk], crs, plane)
            areas = shapely.area(parcels)
            columns["area_m2"][chunk] = areas
            p, _, inside = overlap_areas(parcels, areas, zplane.union_parts, zplane.union_tree)
            columns["inside_m2"][chunk] = np.bincount(p, weights=inside, minlength=len(chunk))
            p, z, overlap = overlap_areas(parcels, areas, zplane.geometries, zplane.tree)
            keep = overlap > AREA_EPSILON_M2
            overlap_rows.append(
                pd.DataFrame(
                    {"parcel": chunk[p[keep]], "zone": z[keep], "overlap_m2": overlap[keep]}
                )
            )
            outside = np.flatnonzero(columns["inside_m2"][chunk] <= AREA_EPSILON_M2)
            if len(outside):
                columns["distance_m"][chunk[outside]] = zplane.distances(parcels[outside])
            done += len(chunk)
            if progress:
                progress(done, count)
    return assemble(frame, zones, columns, ellipsoidal, zone_of, overlap_rows)


def assemble(frame, zones, columns, ellipsoidal, zone_of, overlap_rows) -> CheckResult:
    area = columns["area_m2"]
    inside = np.minimum(columns["inside_m2"], area)
    outside = np.maximum(area - inside, 0.0)
    tolerance = np.maximum(AREA_EPSILON_M2, area * 1e-9)
    status = np.where(
        outside <= tolerance, "inside", np.where(inside <= tolerance, "outside", "partial")
    )
    parcels = pd.DataFrame(
        {
            "parcel_id": frame["parcel_id"].to_numpy(),
            "name": frame["name"].to_numpy() if "name" in frame else "",
            "status": status,
            "area_m2": area,
            "area_ha": area / SQUARE_METRES_PER_HECTARE,
            "area_mu": area / SQUARE_METRES_PER_MU,
            "ellipsoidal_area_m2": ellipsoidal,
            "inside_m2": inside,
            "inside_mu": inside / SQUARE_METRES_PER_MU,
            "outside_m2": outside,
            "outside_mu": outside / SQUARE_METRES_PER_MU,
            "share_inside": np.divide(inside, area, out=np.zeros_like(area), where=area > 0),
            "distance_m": np.where(status == "outside", columns["distance_m"], 0.0),
            "crs_used": np.where(zone_of == 36, AREA_PLANES[36], AREA_PLANES[37]),
            "declared_area_ha": frame["declared_area_ha"].to_numpy(),
            "warnings": list(frame["warnings"]),  # copied on write below
            "attributes": list(frame["attributes"]) if "attributes" in frame else [{}] * len(area),
        }
    )
    declared = pd.to_numeric(parcels["declared_area_ha"], errors="coerce").to_numpy(dtype=float)
    differs = np.abs(declared - parcels["area_ha"]) > np.maximum(
        DECLARED_AREA_TOLERANCE * declared, 0.0001
    )
    for i in np.flatnonzero(differs & ~np.isnan(declared)):
        computed = parcels.at[i, "area_ha"]
        message = note(
            Msg(
                "area.declared_differs",
                declared=f"{declared[i]:.4f}",
                computed=f"{computed:.4f}",
                difference=f"{computed - declared[i]:+.4f}",
            )
        )
        parcels.at[i, "warnings"] = [*parcels.at[i, "warnings"], message]
    overlaps = (
        pd.concat(overlap_rows, ignore_index=True)
        if overlap_rows
        else pd.DataFrame({"parcel": [], "zone": [], "overlap_m2": []})
    )
    overlaps["zone_id"] = zones["zone_id"].to_numpy()[overlaps["zone"].astype(int)]
    overlaps["name"] = zones["name"].to_numpy()[overlaps["zone"].astype(int)]
    if "attributes" in zones:  # the zone fields asked for (zones_fields)
        overlaps["attributes"] = zones["attributes"].to_numpy()[overlaps["zone"].astype(int)]
    overlaps["overlap_mu"] = overlaps["overlap_m2"] / SQUARE_METRES_PER_MU
    overlaps["share"] = overlaps["overlap_m2"] / area[overlaps["parcel"].astype(int)]
    overlaps = overlaps.drop(columns="zone").sort_values(
        ["parcel", "overlap_m2"], ascending=[True, False]
    )
    return CheckResult(parcels, overlaps.reset_index(drop=True))


def parcel_records(result: CheckResult, decimals: int = 2) -> list[dict]:
    """The per-parcel JSON the API and CLI give (zones nested in each parcel).

    Built column-wise (plain Python lists, then one zip) because 100,000 parcels through
    ``DataFrame.to_dict("records")`` cost a second on their own.
    """
    overlaps = result.overlaps
    zone_columns = {
        "zone_id": overlaps["zone_id"].tolist(),
        "name": overlaps["name"].tolist(),
        "overlap_m2": overlaps["overlap_m2"].round(decimals).tolist(),
        "overlap_mu": overlaps["overlap_mu"].round(4).tolist(),
        "share": overlaps["share"].round(6).tolist(),
    }
    if "attributes" in overlaps:
        zone_columns["attributes"] = overlaps["attributes"].tolist()
    zones_by_parcel: dict[int, list] = {}
    for parcel, *values in zip(overlaps["parcel"].astype(int).tolist(), *zone_columns.values()):
        zones_by_parcel.setdefault(parcel, []).append(dict(zip(zone_columns, values)))
    digits = {
        "area_m2": decimals,
        "area_ha": 6,
        "area_mu": 4,
        "ellipsoidal_area_m2": decimals,
        "inside_m2": decimals,
        "inside_mu": 4,
        "outside_m2": decimals,
        "outside_mu": 4,
        "share_inside": 6,
        "distance_m": decimals,
    }
    frame = result.parcels
    columns = {}
    for name in frame.columns:
        values = frame[name]
        if name in digits:
            columns[name] = values.round(digits[name]).tolist()
        elif name == "declared_area_ha":
            numbers = pd.to_numeric(values, errors="coerce")
            columns[name] = [None if v != v else v for v in numbers.tolist()]
        elif name == "warnings":
            columns[name] = [list(w) for w in values]
        elif name == "attributes":
            columns[name] = values.tolist()  # one fresh dict per parcel already
        else:
            columns[name] = values.tolist()
    names = list(columns)
    records = [dict(zip(names, row)) for row in zip(*columns.values())]
    for i, record in enumerate(records):
        record["zones"] = zones_by_parcel.get(i, [])
    return records
