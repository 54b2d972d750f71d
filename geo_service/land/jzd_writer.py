"""Parcels as a 界址点坐标 txt, the format ``readers.jzd`` reads (so a result round-trips).

One file holds one 3° zone: the zone the source file stated (带号), else the zone of most
parcels' centroids (36 or 37); CGCS2000, eastings with the zone prefix. Each ring is one 圈,
closed by repeating its first point; X = northing. A check of a 界址点 file writes back its
[属性描述] and each parcel's header fields as read (the coordinate-system lines say what this
file holds: CGCS2000, 3° zone, metres).
"""

from __future__ import annotations

import re

import numpy as np
import shapely

from geo_service.land.crs import ZONE_BOUNDARY_LON, gk_crs
from geo_service.land.readers.jzd import EXTRA_FIELDS_KEY, JZD_FIELDS
from geo_service.query.crs import transform

DEFAULT_HEADER = {
    "格式版本号": "1.01版本",
    "数据产生单位": "geo_service 导出",
    "坐标系": "2000国家大地坐标系",
    "几度分带": "3",
    "投影类型": "高斯克吕格",
    "计量单位": "米",
    "带号": "",
    "精度": "0.001",
    "转换参数": ",,,,,,",
}
#: What the coordinates written here are, whatever the source file said.
WRITTEN = ("坐标系", "几度分带", "投影类型", "计量单位", "带号")
SEPARATORS = re.compile(r"[,，@\r\n]")
NAME_SEPARATORS = re.compile(r"[|=\r\n]")


def field_text(value) -> str:
    """A header field: no separator of the format inside it."""
    return "" if value is None else SEPARATORS.sub(" ", str(value)).strip()


def export_zone(centres: np.ndarray, header: dict | None) -> int:
    stated = str((header or {}).get("带号", "")).strip()
    if stated in ("36", "37"):
        return int(stated)
    return 36 if np.mean(centres < ZONE_BOUNDARY_LON) >= 0.5 else 37


def header_lines(header: dict | None, zone: int, extra: list[str]) -> list[str]:
    values = dict(header or DEFAULT_HEADER)
    values.update({k: DEFAULT_HEADER[k] for k in WRITTEN})
    values["带号"] = str(zone)
    values.pop(EXTRA_FIELDS_KEY, None)
    if extra:
        values[EXTRA_FIELDS_KEY] = "|".join(NAME_SEPARATORS.sub(" ", name) for name in extra)
    lines = ["[属性描述]"]
    for key, value in values.items():
        text = str(value or "").splitlines()
        lines.append(f"{NAME_SEPARATORS.sub(' ', str(key))}={text[0] if text else ''}")
    return lines


def extra_names(attributes) -> list[str]:
    """The fields beyond the eight of the format, in the order the parcels give them."""
    names: dict[str, None] = {}
    for fields in attributes:
        names.update(dict.fromkeys(str(k) for k in fields or {} if k not in JZD_FIELDS))
    return list(names)


def parcel_fields(
    attributes: dict, parcel_id, name, points: int, area_ha: float, extra: list[str]
) -> list[str]:
    """The header fields: as read for a 界址点 parcel (界址点数 recounted if it no longer
    matches), else from the parcel's id, name, area and same-named attributes; then every
    other attribute, in the order ``extra`` names them."""
    attributes = attributes or {}
    fields = {key: attributes.get(key) for key in JZD_FIELDS}
    if str(fields["界址点数"] or "").strip() != str(points):
        fields["界址点数"] = points
    if fields["地块面积"] in (None, ""):
        fields["地块面积"] = f"{area_ha:.4f}"
    fields["地块编号"] = fields["地块编号"] or parcel_id
    fields["地块名称"] = fields["地块名称"] or name or ""
    fields["记录图形属性"] = fields["记录图形属性"] or "面"
    values = [*fields.values(), *(attributes.get(key) for key in extra)]
    return [field_text(v) for v in values]


def write_jzd(
    parcel_ids,
    names,
    geometries,
    encoding: str = "gb18030",
    header: dict | None = None,
    attributes=None,
) -> bytes:
    """``geometries`` in CGCS2000 (or WGS 84) lon/lat; ``header`` the source file's
    [属性描述] and ``attributes`` each parcel's fields, when known; returns the file's bytes."""
    geometries = np.asarray(geometries, dtype=object)
    centres = shapely.get_x(shapely.centroid(geometries))
    zone = export_zone(centres, header)
    crs = gk_crs("CGCS2000", zone, prefixed=True)
    planes = transform(geometries, "EPSG:4490", crs)
    attributes = attributes if attributes is not None else [{}] * len(planes)
    extra = extra_names(attributes)
    lines = [*header_lines(header, zone, extra), "[地块坐标]"]
    for parcel_id, name, plane, fields in zip(parcel_ids, names, planes, attributes):
        rings = [
            ring
            for polygon in shapely.get_parts(plane)
            for ring in (polygon.exterior, *polygon.interiors)
        ]
        points = sum(len(ring.coords) for ring in rings)
        values = parcel_fields(fields, parcel_id, name, points, plane.area / 10000, extra)
        lines.append(",".join(values) + ",@")
        number = 0
        for ring_number, ring in enumerate(rings, start=1):
            coords = np.asarray(ring.coords)
            first = number + 1
            for i, (easting, northing) in enumerate(coords[:, :2]):
                label = first if i == len(coords) - 1 else number + 1
                if i < len(coords) - 1:
                    number += 1
                lines.append(f"J{label},{ring_number},{northing:.3f},{easting:.3f}")
    return ("\r\n".join(lines) + "\r\n").encode(encoding, errors="replace")
