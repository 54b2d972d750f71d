"""OGC API - Features Part 2: the coordinate systems offered, and transforms to and from them.

One table (``OFFERED``) serves the items, single items, layer downloads and check exports.
Coordinates are written in the axis order the EPSG definition states: EPSG:4326 and EPSG:4490
latitude first, CRS84 longitude first, and the CGCS2000 3° Gauss-Kruger planes (EPSG:4545/4546,
4524/4525) northing (X) first, then easting (Y), as pyproj's ``axis_info`` reports them
(``X north``, ``Y east``). The maths runs with ``always_xy`` transformers (cached per CRS) and
the axes are swapped explicitly afterwards. Precision is to the unit: 1e-7° in degrees and
1 cm (2 decimals) in metres.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from geo_service.errors import BadRequest
from geo_service.land.crs import (
    ANKANG_ZONES,
    GEOGRAPHIC_EPSG,
    GK_EPSG,
    chinese_name,
    describe,
)
from geo_service.messages import Msg
from geo_service.query import params

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{code}"
#: Longest bbox value read.
MAX_TEXT = 200
#: Vertices added on each side of a projected bbox when turning it into lon/lat.
DENSIFY = 21
#: How far (degrees) east or west of a CRS's area of use a bbox may lie (see bbox_to_crs84).
ZONE_SLACK_DEG = 3.0


@dataclass(frozen=True)
class OfferedCrs:
    """One coordinate system a client may ask for."""

    uri: str
    code: str  # "OGC:CRS84", "EPSG:4545"
    decimals: int  # 7 for degrees (~1 cm), 2 for metres (1 cm)
    swap: bool  # True when the first axis is northing or latitude (EPSG's order)

    @property
    def is_crs84(self) -> bool:
        return self.uri == CRS84

    @property
    def pyproj(self) -> pyproj.CRS:
        return _pyproj_crs(self.code)

    @property
    def epsg(self) -> int | None:
        return int(self.code.split(":")[1]) if self.code.startswith("EPSG:") else None

    @property
    def name(self) -> str:
        """Code, Chinese name and PROJ's name (land/crs.py ``describe``)."""
        return describe(self.pyproj)

    @property
    def chinese(self) -> str:
        """The Chinese name alone (land/crs.py ``chinese_name``), else PROJ's: for page lists."""
        return chinese_name(self.pyproj.name) or self.pyproj.name

    @property
    def order(self) -> Msg:
        """The axis order in words, for messages."""
        if not self.swap:
            return Msg("crs.order_lonlat")
        if self.pyproj.is_geographic:
            return Msg("crs.order_latlon")
        return Msg("crs.order_northeast")


@lru_cache(maxsize=32)
def _pyproj_crs(code: str) -> pyproj.CRS:
    return pyproj.CRS.from_user_input(code)


def _offered(code: str) -> OfferedCrs:
    crs = _pyproj_crs(code)
    first = crs.axis_info[0].direction.lower()
    uri = CRS84 if code == "OGC:CRS84" else EPSG_URI.format(code=code.split(":")[1])
    decimals = 7 if crs.axis_info[0].unit_name.startswith("deg") else 2
    return OfferedCrs(uri, code, decimals, swap=first == "north")


#: The table: CRS84 first (the default), then WGS 84 and CGCS2000 lon/lat, then the CGCS2000
#: 3° GK planes of Ankang's two zones, without the zone prefix (4545/4546) and with it (4524/4525).
#: The codes are those land/crs.py reads files in (GEOGRAPHIC_EPSG, GK_EPSG): one definition.
OFFERED: tuple[OfferedCrs, ...] = tuple(
    _offered(code)
    for code in (
        "OGC:CRS84",
        f"EPSG:{GEOGRAPHIC_EPSG['WGS 84']}",
        f"EPSG:{GEOGRAPHIC_EPSG['CGCS2000']}",
        *(
            f"EPSG:{GK_EPSG['CGCS2000'][zone, prefixed]}"
            for prefixed in (False, True)
            for zone in ANKANG_ZONES
        ),
    )
)
BY_URI = {c.uri: c for c in OFFERED}
DEFAULT = BY_URI[CRS84]
#: What a layer is stored in: every layer file is RFC 7946 GeoJSON (CRS84).
STORAGE = DEFAULT


def spellings(code: str) -> tuple[str, ...]:
    """The accepted ways of writing one CRS: the OGC URI (what the collections list), the safe
    CURIE ``[EPSG:4545]``, ``EPSG:4545`` and the bare number ``4545``; CRS84 as its URI,
    ``[OGC:CRS84]``, ``OGC:CRS84`` or ``CRS84``. Exactly these, case and all."""
    _, number = code.split(":")
    uri = CRS84 if code == "OGC:CRS84" else EPSG_URI.format(code=number)
    return (uri, f"[{code}]", code, number)


#: Every accepted spelling -> its CRS (the OpenAPI enum lists the same strings).
SPELLED: dict[str, OfferedCrs] = {
    spelled: crs for crs in OFFERED for spelled in spellings(crs.code)
}


def offered_list() -> str:
    """The offered codes, for messages."""
    return ", ".join(c.code for c in OFFERED)


def epsg_code(text: str) -> int | None:
    """The EPSG number in one of the accepted spellings (``spellings``) of any EPSG code;
    None for anything else."""
    match = _EPSG.fullmatch(text)
    return int(next(g for g in match.groups() if g)) if match else None


_EPSG = re.compile(
    r"http://www\.opengis\.net/def/crs/EPSG/0/(\d{4,5})|\[EPSG:(\d{4,5})\]"
    r"|EPSG:(\d{4,5})|(\d{4,5})"
)


def export_epsg(text: str) -> int | None:
    """The EPSG number a file download's ``crs=`` names, in the spellings ``crs`` accepts
    (CRS84 is EPSG:4326 in a GeoPackage or Shapefile); None when it names no EPSG code."""
    found = SPELLED.get(text)
    if found is not None:
        return found.epsg or 4326
    return epsg_code(text)


def parse_crs(text: str | None, name: str = "crs") -> OfferedCrs:
    """The offered CRS a ``crs`` (or ``bbox-crs``) parameter names; CRS84 when absent.
    Anything not in the table is a 400 listing the offered ones."""
    if text is None:
        return DEFAULT
    found = SPELLED.get(text)
    if found is None:
        shown = text[:80] + ("…" if len(text) > 80 else "")
        raise BadRequest("crs.not_offered", name=name, crs=shown, offered=offered_list())
    return found


def content_crs(crs: OfferedCrs) -> str:
    """The ``Content-Crs`` header's value: the URI in angle brackets."""
    return f"<{crs.uri}>"


@lru_cache(maxsize=64)
def transformer(source: pyproj.CRS | str, target: pyproj.CRS | str) -> pyproj.Transformer:
    """The one transformer between two CRSs, cached: x is the easting or longitude whatever
    the CRS's axis order (``always_xy``). pyproj's Transformer is thread-safe (3.1+)."""
    return pyproj.Transformer.from_crs(source, target, always_xy=True)


def transform(geometries, source: pyproj.CRS | str, target: pyproj.CRS | str) -> np.ndarray:
    """Shapely geometries from ``source`` to ``target`` (x east, y north in both): the one
    function every module moves geometries between lon/lat and the GK planes with."""
    move = transformer(source, target)
    if not isinstance(geometries, shapely.Geometry):  # one geometry stays one geometry
        geometries = np.asarray(geometries, dtype=object)
    return shapely.transform(
        geometries, lambda xy: np.column_stack(move.transform(xy[:, 0], xy[:, 1]))
    )


def frame_to(frame: gpd.GeoDataFrame, target: str) -> gpd.GeoDataFrame:
    """A GeoDataFrame in ``target`` (what ``to_crs`` does, through ``transform``)."""
    moved = transform(frame.geometry.to_numpy(), frame.crs, target)
    out = frame.copy()
    out[frame.geometry.name] = gpd.GeoSeries(moved, index=frame.index, crs=target)
    return out.set_crs(target, allow_override=True)


def to_crs(geometries: np.ndarray, target: OfferedCrs) -> np.ndarray:
    """CRS84 geometries in ``target``: transformed, axes in EPSG's order, rounded to the unit.
    Missing geometries stay None."""
    if target.is_crs84:
        return geometries
    return shapely.transform(
        np.asarray(geometries, dtype=object), lambda coords: _move(coords, target)
    )


def features_in(features: list[dict], geometries: np.ndarray, target: OfferedCrs) -> list[dict]:
    """GeoJSON features (all their properties, ``source`` and ``precision`` included) with
    their CRS84 ``geometries`` moved to ``target``; the stored dicts are never changed.

    All vertices go through one pyproj call; the nesting is then copied from each stored
    GeoJSON geometry (same vertices, same order), which is ~5x faster than GeoJSON text."""
    if target.is_crs84:
        return features
    flat = shapely.get_coordinates(np.asarray(geometries, dtype=object))
    moved = _move(flat, target).tolist()
    out, at = [], 0
    for feature in features:
        geometry = feature["geometry"]
        if geometry is None:
            out.append(feature)
            continue
        depth = DEPTH[geometry["type"]]
        coordinates, at = _nest(geometry["coordinates"], depth, moved, at)
        out.append({**feature, "geometry": {"type": geometry["type"], "coordinates": coordinates}})
    if at != len(moved):  # cannot happen for catalog layers (validated, same source)
        raise RuntimeError("vertex count differs between stored GeoJSON and geometries")
    return out


#: How deep the coordinate lists of each GeoJSON geometry type nest above a position.
DEPTH = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2}
DEPTH["MultiPolygon"] = 3


def _nest(template: list, depth: int, moved: list, at: int) -> tuple[list, int]:
    """``template``'s nesting filled with ``moved`` positions from index ``at``."""
    if depth == 0:
        return moved[at], at + 1
    if depth == 1:
        return moved[at : at + len(template)], at + len(template)
    parts = []
    for part in template:
        nested, at = _nest(part, depth - 1, moved, at)
        parts.append(nested)
    return parts, at


def _move(coords: np.ndarray, target: OfferedCrs) -> np.ndarray:
    """(N, 2) CRS84 lon/lat to ``target``: EPSG axis order, rounded to the unit."""
    x, y = transformer("OGC:CRS84", target.code).transform(coords[:, 0], coords[:, 1])
    order = [1, 0] if target.swap else [0, 1]
    return np.round(np.column_stack([x, y])[:, order], target.decimals)


#: Longest straight edge of a ``filter-crs`` literal before it is moved to CRS84: edges
#: straight in a GK plane are curves in lon/lat (500 m, or about as much in degrees).
SEGMENT = {2: 500.0, 7: 0.005}
#: Most vertices a densified ``filter-crs`` literal may have (50 000 km of edges in a GK plane).
MAX_LITERAL_VERTICES = 100_000


def literal_to_crs84(crs: OfferedCrs) -> Callable[[shapely.Geometry], shapely.Geometry]:
    """The move of a filter's geometry literal, written in ``crs``'s axis order, to CRS84
    (``filter-crs``, Part 3); edges densified first, so a GK box keeps its true outline."""
    if crs.is_crs84:
        return lambda geometry: geometry
    back = transformer(crs.code, "OGC:CRS84")
    segment = SEGMENT[crs.decimals]

    def move(coords: np.ndarray) -> np.ndarray:
        east, north = (coords[:, 1], coords[:, 0]) if crs.swap else (coords[:, 0], coords[:, 1])
        return np.column_stack(back.transform(east, north))

    def to_crs84(geometry: shapely.Geometry) -> shapely.Geometry:
        # bound the vertices densifying adds (a 1e12 m edge would be 2e9 of them), and refuse
        # what pyproj cannot move (inf): both a 400, not an out-of-memory or a GEOS error
        length = float(shapely.length(geometry))
        added = length / segment if math.isfinite(length) else math.inf
        if added + shapely.get_num_coordinates(geometry) > MAX_LITERAL_VERTICES:
            raise BadRequest("cql.literal_outside", crs=crs.code, order=crs.order)
        moved = shapely.transform(shapely.segmentize(geometry, segment), move)
        if not np.isfinite(shapely.get_coordinates(moved)).all():
            raise BadRequest("cql.literal_outside", crs=crs.code, order=crs.order)
        return moved

    return to_crs84


def geometry_to_crs84(geometry: shapely.Geometry, crs: OfferedCrs) -> shapely.Geometry:
    """A geometry written in ``crs``'s axis order (an edit's ``Content-Crs``, Part 4) in CRS84,
    vertex for vertex (no densifying: the vertices are the feature's), rounded to 1e-7°;
    CRS84 input is returned as given. Positions pyproj cannot move come back non-finite."""
    if crs.is_crs84:
        return geometry
    back = transformer(crs.code, "OGC:CRS84")

    def move(coords: np.ndarray) -> np.ndarray:
        east, north = (coords[:, 1], coords[:, 0]) if crs.swap else (coords[:, 0], coords[:, 1])
        return np.round(np.column_stack(back.transform(east, north)), DEFAULT.decimals)

    return shapely.transform(geometry, move)


def frame_in(
    frame: gpd.GeoDataFrame, text: str | None, fmt: str, takes_crs: bool
) -> gpd.GeoDataFrame:
    """A layer's download frame (WGS 84) in the offered CRS ``crs=`` names; a format that does
    not take a CRS (``geo_service.formats``: WGS 84 lon/lat by definition, or no CRS at all as
    CSV's WKT) is a 400 for any other."""
    target = parse_crs(text)
    if target.epsg in (None, 4326):
        return frame
    if not takes_crs:
        raise BadRequest("crs.lonlat_format", format=fmt, crs=text[:80])
    return frame_to(frame, target.code)


def parse_bbox(raw: str | None, crs: OfferedCrs) -> tuple[float, float, float, float] | None:
    """The one ``bbox`` parser: 4 numbers (or 6 with heights) in ``bbox-crs``'s axis order
    (strict numbers, query/params.py), as the lon/lat box covering them; None when absent.
    In CRS84 the numbers must be longitudes and latitudes (no box across the antimeridian)."""
    if raw is None:
        return None
    text = raw[:100]
    numbers = params.numbers(raw, (4, 6)) if len(raw) <= MAX_TEXT else None
    if numbers is None:
        if crs.is_crs84:
            raise BadRequest("bbox.not_numbers", raw=text)
        raise BadRequest("crs.bbox_numbers", raw=text, crs=crs.code, order=crs.order)
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if crs.is_crs84:
        return _lonlat_box(*numbers, text=text)
    return _crs_box(*numbers, crs=crs, text=text)


def _lonlat_box(minx: float, miny: float, maxx: float, maxy: float, text: str) -> tuple:
    if not (
        -180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90
    ):
        raise BadRequest("bbox.out_of_range", raw=text)
    if miny > maxy:
        raise BadRequest("bbox.miny_above_maxy", raw=text)
    if minx > maxx:
        raise BadRequest("bbox.antimeridian", raw=text)
    return minx, miny, maxx, maxy


def _crs_box(a1: float, b1: float, a2: float, b2: float, crs: OfferedCrs, text: str) -> tuple:
    """A box in ``crs`` (not CRS84) as the lon/lat box covering it (edges densified, so a GK
    rectangle's curved outline is kept)."""
    if a1 > a2 or b1 > b2:
        raise BadRequest("crs.bbox_inverted", raw=text, crs=crs.code, order=crs.order)
    minx, miny, maxx, maxy = (b1, a1, b2, a2) if crs.swap else (a1, b1, a2, b2)
    bounds = transformer(crs.code, "OGC:CRS84").transform_bounds(
        minx, miny, maxx, maxy, densify_pts=DENSIFY
    )
    minx, miny, maxx, maxy = bounds
    west, south, east, north = crs.pyproj.area_of_use.bounds
    # a GK plane still serves its neighbouring zones (Ankang spans 108-110.2°E, all offered in
    # EPSG:4545): the check catches swapped axes, so allow one 3-degree zone either side
    west, east = west - ZONE_SLACK_DEG, east + ZONE_SLACK_DEG
    inside = -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90
    touches = minx <= east and maxx >= west and miny <= north and maxy >= south
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)) or not inside or not touches:
        raise BadRequest("crs.bbox_outside", raw=text, crs=crs.code, order=crs.order)
    return minx, miny, maxx, maxy
