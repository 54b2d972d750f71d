"""Parcels and zones whose areas and overlaps are known by construction (Gauss-Kruger metres).

Zone A is a 1000 m square with a 200 m square hole in its middle; zone B is the 1000 m square
east of it. Each parcel's expected status, areas and overlaps follow from the drawing below,
not from the code under test. The same layout is placed in zone 36 and in zone 37.

      y
   1000 +-----------------+-----------------+
        |  ring   [hole]  |                 |
    600 |      +----+     |                 |
        |      |hole|  A  |        B        |
    400 |      +----+     |                 |
        | in            two                 |
      0 +-----------------+-----------------+ x
        0               1000              2000
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import shapely
from shapely.geometry import box

MU = 10000 / 15

#: (easting, northing) of the layout's origin, without zone prefix, per zone.
ORIGINS = {36: (560_000.0, 3_620_000.0), 37: (410_000.0, 3_620_000.0)}
PLANES = {36: "EPSG:4545", 37: "EPSG:4546"}
PREFIXED = {36: "EPSG:4524", 37: "EPSG:4525"}


@dataclass(frozen=True)
class Expected:
    status: str
    area: float
    inside: float
    distance: float
    zones: dict  # zone_id -> overlap m²


ZONE_SHAPES = {
    "A": box(0, 0, 1000, 1000).difference(box(400, 400, 600, 600)),
    "B": box(1000, 0, 2000, 1000),
}
PARCEL_SHAPES = {
    "in": box(100, 100, 200, 200),
    "edge": box(-40, 100, 60, 200),
    "two": box(950, 100, 1050, 200),
    "out": box(-350, 100, -250, 200),
    "hole": box(450, 450, 550, 550),
    "hole-part": box(350, 450, 450, 550),
    "ring": box(100, 600, 400, 900).difference(box(200, 700, 300, 800)),
}
EXPECTED = {
    "in": Expected("inside", 10_000, 10_000, 0, {"A": 10_000}),
    "edge": Expected("partial", 10_000, 6_000, 0, {"A": 6_000}),
    "two": Expected("inside", 10_000, 10_000, 0, {"A": 5_000, "B": 5_000}),
    "out": Expected("outside", 10_000, 0, 250, {}),
    "hole": Expected("outside", 10_000, 0, 50, {}),
    "hole-part": Expected("partial", 10_000, 5_000, 0, {"A": 5_000}),
    "ring": Expected("inside", 80_000, 80_000, 0, {"A": 80_000}),
}


def shifted(geometry, zone: int, prefixed: bool = False):
    x0, y0 = ORIGINS[zone]
    if prefixed:
        x0 += zone * 1_000_000
    return shapely.affinity.translate(geometry, x0, y0)


def collection(shapes: dict, zone: int, prefixed: bool = False, name_key: str = "name") -> bytes:
    """GeoJSON with a crs member (the pre-RFC 7946 way projected GeoJSON names its CRS)."""
    crs = (PREFIXED if prefixed else PLANES)[zone].split(":")[1]
    features = [
        {
            "type": "Feature",
            "id": key,
            "properties": {name_key: f"园区{key}" if key in ZONE_SHAPES else key},
            "geometry": json.loads(shapely.to_geojson(shifted(shape, zone, prefixed))),
        }
        for key, shape in shapes.items()
    ]
    return named_crs_collection(features, crs)


def named_crs_collection(features: list[dict], epsg: str = "4545") -> bytes:
    """Features (already in EPSG:``epsg``) as GeoJSON bytes with a named crs member."""
    return json.dumps(
        {
            "type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{epsg}"}},
            "features": features,
        },
        ensure_ascii=False,
    ).encode("utf-8")


def jzd_text(
    shapes: dict,
    zone: int,
    prefixed: bool = True,
    datum: str = "2000国家大地坐标系",
    with_zone_field: bool = True,
) -> str:
    """界址点 txt: X = northing, Y = easting; one 圈 per ring, each closed."""
    lines = [
        "[属性描述]",
        "格式版本号=1.01版本",
        "数据产生单位=测试",
        f"坐标系={datum}",
        "几度分带=3",
        "投影类型=高斯克吕格",
        "计量单位=米",
    ]
    if with_zone_field:
        lines.append(f"带号={zone}")
    lines += ["精度=0.01", "[地块坐标]"]
    for key, shape in shapes.items():
        geometry = shifted(shape, zone, prefixed)
        rings = [geometry.exterior, *geometry.interiors]
        points = sum(len(r.coords) for r in rings)
        lines.append(f"{points},{shape.area / 10000:.4f},{key},测试地块{key},面,,工业用地,0601,@")
        number = 1
        for ring_number, ring in enumerate(rings, start=1):
            for x, y in ring.coords:
                lines.append(f"J{number},{ring_number},{y:.3f},{x:.3f}")
                number += 1
    return "\n".join(lines) + "\n"
