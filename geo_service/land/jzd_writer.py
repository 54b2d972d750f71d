"""Parcels as a 界址点坐标 txt, the format ``readers.jzd`` reads (so a result round-trips).

One file holds one 3° zone: the zone of most parcels' centroids (36 or 37), CGCS2000, eastings
with the zone prefix. Each ring is one 圈, closed by repeating its first point; X = northing.
"""

from __future__ import annotations

import numpy as np
import pyproj
import shapely

from geo_service.land.crs import ZONE_BOUNDARY_LON, gk_crs


def write_jzd(parcel_ids, names, geometries, encoding: str = "gb18030") -> bytes:
    """``geometries`` in CGCS2000 (or WGS 84) lon/lat; returns the file's bytes."""
    geometries = np.asarray(geometries, dtype=object)
    centres = shapely.get_x(shapely.centroid(geometries))
    zone = 36 if np.mean(centres < ZONE_BOUNDARY_LON) >= 0.5 else 37
    crs = gk_crs("CGCS2000", zone, prefixed=True)
    transformer = pyproj.Transformer.from_crs("EPSG:4490", crs, always_xy=True)
    planes = shapely.transform(
        geometries, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
    )
    lines = [
        "[属性描述]",
        "格式版本号=1.01版本",
        "数据产生单位=geo_service 导出",
        "坐标系=2000国家大地坐标系",
        "几度分带=3",
        "投影类型=高斯克吕格",
        "计量单位=米",
        f"带号={zone}",
        "精度=0.001",
        "转换参数=,,,,,,",
        "[地块坐标]",
    ]
    for parcel_id, name, plane in zip(parcel_ids, names, planes):
        rings = [
            ring
            for polygon in shapely.get_parts(plane)
            for ring in (polygon.exterior, *polygon.interiors)
        ]
        points = sum(len(ring.coords) for ring in rings)
        lines.append(f"{points},{plane.area / 10000:.4f},{parcel_id},{name or ''},面,,,,@")
        number = 0
        for ring_number, ring in enumerate(rings, start=1):
            coords = np.asarray(ring.coords)
            first = number + 1
            for i, (easting, northing) in enumerate(coords[:, :2]):
                label = first if i == len(coords) - 1 else number + 1
                if i < len(coords) - 1:
                    number += 1
                lines.append(f"J{label},{ring_number},{northing:.3f},{easting:.3f}")
    return ("\r\n".join(lines) + "\r\n").encode(encoding)
