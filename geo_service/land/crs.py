"""Coordinate systems of land-bureau data: CGCS2000 and older datums on 3° Gauss-Kruger zones.

Ankang straddles 109.5°E: zone 36 (CM 108°E) and zone 37 (CM 111°E). A zone is read from the
data (a 带号 field, the easting's zone prefix, a .prj), never assumed; a CRS the file does not
state must come from the caller.
"""

from __future__ import annotations

import re

import pyproj

from geo_service.errors import BadRequest

#: Ankang's extent (the counties layer's bounds, 108.017–110.201°E, 31.707–33.843°N) plus
#: about 10 km: parcels beyond it are almost surely in the wrong CRS.
ANKANG_BBOX = (107.9, 31.6, 110.3, 33.95)

ZONE_BOUNDARY_LON = 109.5
ZONE_CM = {36: 108, 37: 111}
ANKANG_ZONES = tuple(ZONE_CM)

# EPSG codes of the 3° GK zones that cover Ankang, per datum: (zone, with prefix) -> code.
# query/crs.py's OFFERED table offers the CGCS2000 ones.
GK_EPSG = {
    "CGCS2000": {(36, True): 4524, (37, True): 4525, (36, False): 4545, (37, False): 4546},
    "Xian 1980": {(36, True): 2360, (37, True): 2361, (36, False): 2381, (37, False): 2382},
    "Beijing 1954": {(36, True): 2412, (37, True): 2413, (36, False): 2433, (37, False): 2434},
}
#: The area planes: CGCS2000 3° GK without the zone prefix, by zone number.
AREA_PLANES = {zone: f"EPSG:{GK_EPSG['CGCS2000'][zone, False]}" for zone in ANKANG_ZONES}
GEOGRAPHIC_EPSG = {"CGCS2000": 4490, "Xian 1980": 4610, "Beijing 1954": 4214, "WGS 84": 4326}

DATUM_PATTERNS = [
    ("CGCS2000", r"2000|CGCS"),
    ("Xian 1980", r"西安|1980|80|xian"),
    ("Beijing 1954", r"北京|1954|54|beijing"),
    ("WGS 84", r"WGS\s*-?\s*84"),
]
#: Datums PROJ can only shift approximately (no published parameters): results may be off
#: by tens of metres, which the check reports.
APPROXIMATE_DATUMS = ("Xian 1980", "Beijing 1954")

GCJ02 = "GCJ-02"
GK_NAME = re.compile(r"3-degree Gauss-Kruger (?:zone (\d+)|CM (\d+)E)")


def datum_from_text(text: str) -> str | None:
    """The datum a Chinese or English CRS description names (2000国家大地坐标系 → CGCS2000)."""
    for datum, pattern in DATUM_PATTERNS:
        if re.search(pattern, text, re.I):
            return datum
    return None


def gk_crs(datum: str, zone: int, prefixed: bool) -> pyproj.CRS:
    """The 3° Gauss-Kruger CRS of ``datum`` for zone 36 or 37, with or without the prefix."""
    codes = GK_EPSG.get(datum)
    if codes is None:
        raise BadRequest("crs.no_gk_zones", datum=str(datum)[:60], datums=", ".join(GK_EPSG))
    if (zone, prefixed) not in codes:
        raise BadRequest("crs.zone_not_ankang", zone=zone)
    return pyproj.CRS.from_epsg(codes[(zone, prefixed)])


def zone_from_easting(easting: float) -> int | None:
    """The zone number carried in a prefixed easting (36512345.67 → 36); None if no prefix."""
    if easting >= 1_000_000:
        return int(easting // 1_000_000)
    return None


def parse_crs(text: str | None) -> pyproj.CRS | str | None:
    """A user's CRS parameter: ``EPSG:4545``, ``4545``, a PROJ/WKT string, or ``gcj02``."""
    if text is None or not str(text).strip():
        return None
    text = str(text).strip()
    if text.lower().replace("-", "") == "gcj02":
        return GCJ02
    if text.isdigit():
        text = f"EPSG:{text}"
    try:
        return pyproj.CRS.from_user_input(text)
    except pyproj.exceptions.CRSError:
        raise BadRequest("crs.unknown", crs=text[:80]) from None


#: The datums of PROJ's GK names, as a Chinese surveyor names them.
DATUM_ZH = {
    "CGCS2000": "CGCS2000",
    "Xian 1980": "西安80",
    "Beijing 1954": "北京54",
    "New Beijing": "新北京54",
}
GK_NAME_PARTS = re.compile(
    r"^(CGCS2000|Xian 1980|Beijing 1954|New Beijing) / (3|6)-degree Gauss-Kruger "
    r"(?:zone (\d+)|CM (\d+)E)$"
)
GEOGRAPHIC_ZH = {
    "WGS 84 (CRS84)": "WGS 84 经纬度，经度在前",
    "China Geodetic Coordinate System 2000": "CGCS2000 地理坐标（经纬度）",
    "WGS 84": "WGS 84 经纬度",
    "Xian 1980": "西安80 地理坐标（经纬度）",
    "Beijing 1954": "北京54 地理坐标（经纬度）",
}


def chinese_name(name: str) -> str | None:
    """PROJ's name of a CRS in the words of a Chinese map sheet, when it is one we know."""
    match = GK_NAME_PARTS.match(name)
    if match:
        datum, width, zone, cm = match.groups()
        where = f"第 {zone} 带，坐标含带号" if zone else f"中央经线 {cm}°E，坐标不含带号"
        return f"{DATUM_ZH[datum]} {width}度带高斯-克吕格投影，{where}"
    return GEOGRAPHIC_ZH.get(name)


def describe(crs: pyproj.CRS | str) -> str:
    """``EPSG:4545（CGCS2000 3度带高斯-克吕格投影，中央经线 108°E，坐标不含带号；CGCS2000 /
    3-degree Gauss-Kruger CM 108E）``: the code, the Chinese name and PROJ's own."""
    if isinstance(crs, str):
        return "GCJ-02"  # Gaode/Tencent offset lon/lat
    authority = crs.to_authority()
    code = f"{authority[0]}:{authority[1]}" if authority else "custom"
    zh = chinese_name(crs.name)
    return f"{code}（{zh}；{crs.name}）" if zh else f"{code} ({crs.name})"


def area_zone_of(crs: pyproj.CRS | str | None) -> int | None:
    """The zone (36/37) whose plane a GK source CRS is on, if it is one of Ankang's zones."""
    if crs is None or isinstance(crs, str):
        return None
    match = GK_NAME.search(crs.name)
    if not match:
        return None
    if match.group(1):
        zone = int(match.group(1))
    else:
        zone = {cm: z for z, cm in ZONE_CM.items()}.get(int(match.group(2)))
    return zone if zone in AREA_PLANES else None


def is_approximate(crs: pyproj.CRS | str | None) -> bool:
    """True when PROJ can only shift this CRS's datum to CGCS2000 approximately."""
    if crs is None or isinstance(crs, str):
        return False
    geodetic = crs.geodetic_crs.name if crs.geodetic_crs else crs.name
    return any(datum_from_text(geodetic) == d for d in APPROXIMATE_DATUMS)
