"""The body of an edit (OGC API - Features Part 4): one GeoJSON feature, read as hostile input.

Bounded in bytes, nesting depth, property count, text length and vertices; numbers must be
finite (no NaN/Infinity, no 1e999); the geometry's structure is checked before any library
sees it, then moved from the ``Content-Crs`` (one of query/crs.py's offered CRSs, in its axis
order) to CRS84. Every refusal is a 4xx naming what to fix. No web code here.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.errors import GEOSException
from shapely.geometry import mapping, shape

from geo_service.errors import BadRequest, TooLarge, UnsupportedFormat
from geo_service.messages import Msg
from geo_service.query import crs as part2
from geo_service.store.features import lists

#: Largest body of one feature's edit (a zone outline has a few thousand vertices).
MAX_BODY_BYTES = 2 * 2**20
#: Deepest JSON nesting (a MultiPolygon's coordinates are 4 deep inside the feature).
MAX_DEPTH = 12
MAX_VERTICES = 100_000
MAX_PROPERTIES = 200
MAX_NAME = 64
MAX_TEXT = 10_000
MEDIA = ("application/geo+json", "application/json")
MERGE_PATCH = "application/merge-patch+json"
#: Members of a feature an edit may carry; links and bbox (as GET sends them) are dropped.
MEMBERS = {"type", "id", "geometry", "properties"}
IGNORED = {"links", "bbox"}
ID = re.compile(r"(?!\.+$)[\w.\-]{1,64}")  # not "." or "..": no address keeps them
#: Largest integer taken (a 64-bit one: what GeoPackage, XLSX and the store keep exactly).
MAX_INT = 2**63 - 1
#: Most digits an integer may be written with before it is even read.
INT_DIGITS = 20
#: How deep each geometry type's coordinates nest above a position.
DEPTH = part2.DEPTH
LEAST = {"LineString": 2, "MultiLineString": 2, "Polygon": 4, "MultiPolygon": 4}


@dataclass(frozen=True)
class FeatureBody:
    """What the body gave: ``geometry`` None when it gave none (a PATCH of properties)."""

    id: str | None
    geometry: dict | None
    properties: dict | None
    has_geometry: bool


def read_json(raw: bytes, media_type: str, patch: bool = False) -> dict:
    """The body as a JSON object, or a 4xx saying why not."""
    allowed = (*MEDIA, MERGE_PATCH) if patch else MEDIA
    given = (media_type or "").split(";")[0].strip().lower()
    if given not in allowed:
        hint = Msg("edit.media_patch") if patch else ""
        raise UnsupportedFormat("edit.media_type", given=given[:80] or "-", patch=hint)
    if len(raw) > MAX_BODY_BYTES:
        raise TooLarge("edit.too_large", size=len(raw), limit=MAX_BODY_BYTES)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("edit.not_utf8") from None
    try:
        data = json.loads(
            text, parse_constant=_not_finite, parse_float=_finite, parse_int=_bounded_int
        )
    except json.JSONDecodeError as exc:
        raise BadRequest(
            "edit.not_json", line=exc.lineno, column=exc.colno, error=exc.msg
        ) from None
    except RecursionError:
        raise BadRequest("edit.too_deep", limit=MAX_DEPTH) from None
    if depth(data) > MAX_DEPTH:
        raise BadRequest("edit.too_deep", limit=MAX_DEPTH)
    if not isinstance(data, dict):
        raise BadRequest("edit.not_feature", given=type(data).__name__)
    try:  # "\ud800" is valid JSON but no UTF-8 text: the store could not keep it
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadRequest("edit.surrogate", char=f"U+{ord(exc.object[exc.start]):04X}") from None
    return data


def _not_finite(value: str):
    raise BadRequest("edit.not_finite", value=value)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadRequest("edit.not_finite", value=text[:40])
    return value


def _bounded_int(text: str) -> int:
    digits = text.lstrip("-")
    value = int(text) if len(digits) <= INT_DIGITS else None
    if value is None or abs(value) > MAX_INT:
        raise BadRequest("edit.int_too_big", value=f"{text[:24]}…" if len(text) > 24 else text)
    return value


def depth(data) -> int:
    """How deep ``data`` nests (a scalar is 0), without recursion."""
    deepest, todo = 0, [(data, 1)]
    while todo:
        value, level = todo.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            deepest = max(deepest, level)
            todo.extend((item, level + 1) for item in value)
    return deepest


def parse_feature(data: dict, crs: part2.OfferedCrs, partial: bool = False) -> FeatureBody:
    """The members of a feature body; ``partial`` for a PATCH (a merge patch: every member
    optional). The geometry comes back normalised, in CRS84."""
    kind = data.get("type")
    if kind != "Feature" and not (partial and kind is None):
        raise BadRequest("edit.not_feature", given=str(data.get("type"))[:40])
    unknown = sorted(set(data) - MEMBERS - IGNORED)
    if unknown:
        raise BadRequest("edit.unknown_member", names=", ".join(n[:40] for n in unknown[:5]))
    fid = data.get("id")
    if fid is not None:
        fid = checked_id(fid)
    properties = data.get("properties")
    if properties is None and not partial:
        properties = {}
    if properties is not None:
        check_properties(properties)
    has_geometry = "geometry" in data or not partial
    geometry = None
    if has_geometry:
        if data.get("geometry") is None:
            raise BadRequest("edit.no_geometry")
        geometry = parse_geometry(data["geometry"], crs)
    return FeatureBody(fid, geometry, properties, has_geometry)


def checked_id(value) -> str:
    """A feature id: 1-64 letters, digits, CJK or ``-_.`` (no markup, spaces or slashes)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not ID.fullmatch(value):
        raise BadRequest("edit.bad_id", feature=str(value)[:64])
    return value


def check_properties(properties) -> None:
    if not isinstance(properties, dict):
        raise BadRequest("edit.properties_not_object")
    if len(properties) > MAX_PROPERTIES:
        raise BadRequest("edit.too_many_properties", count=len(properties), limit=MAX_PROPERTIES)
    for name, value in properties.items():
        if not name or len(name) > MAX_NAME:
            raise BadRequest("edit.property_name", name=name[:MAX_NAME], limit=MAX_NAME)
        for text in strings(value):
            if len(text) > MAX_TEXT:
                raise BadRequest("edit.text_too_long", name=name, length=len(text), limit=MAX_TEXT)


def strings(value):
    """Every string inside a JSON value (its keys included)."""
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            yield from item.keys()
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)


def parse_geometry(geometry, crs: part2.OfferedCrs) -> dict:
    """A GeoJSON geometry checked (type, nesting, 2-3 finite numbers per position, vertex
    count, part sizes), moved from ``crs`` to CRS84 and normalised (rings closed)."""
    if not isinstance(geometry, dict) or geometry.get("type") not in DEPTH:
        given = geometry.get("type") if isinstance(geometry, dict) else type(geometry).__name__
        raise BadRequest("edit.geometry_type", given=str(given)[:40], choices=", ".join(DEPTH))
    kind = geometry["type"]
    coordinates = geometry.get("coordinates")
    count = check_nesting(coordinates, DEPTH[kind], kind, "coordinates")
    if count > MAX_VERTICES:
        raise BadRequest("edit.too_many_vertices", count=count, limit=MAX_VERTICES)
    check_parts(kind, coordinates)
    try:
        moved = part2.geometry_to_crs84(shape({"type": kind, "coordinates": coordinates}), crs)
    except (GEOSException, ValueError, TypeError, IndexError):
        raise BadRequest("edit.coordinates", kind=kind, where="coordinates") from None
    lonlat = shapely.get_coordinates(moved)
    inside = np.isfinite(lonlat).all() and (np.abs(lonlat) <= [180, 90]).all()
    if not inside:
        raise BadRequest("edit.outside_crs", crs=crs.code, order=crs.order)
    return {"type": kind, "coordinates": lists(mapping(moved)["coordinates"])}


def check_nesting(value, levels: int, kind: str, where: str) -> int:
    """The number of positions in ``value`` nested ``levels`` deep, or a 400."""
    if levels == 0:
        numeric = isinstance(value, list) and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value
        )
        if not numeric or len(value) not in (2, 3):
            raise BadRequest("edit.coordinates", kind=kind, where=where)
        return 1
    if not isinstance(value, list) or (levels > 1 and not value):
        raise BadRequest("edit.coordinates", kind=kind, where=where)
    return sum(
        check_nesting(item, levels - 1, kind, f"{where}[{index}]")
        for index, item in enumerate(value)
    )


def check_parts(kind: str, coordinates: list) -> None:
    """Lines of 2 points at least, rings of 4 (closed) or 3 (closed here)."""
    if kind not in LEAST:
        if kind == "MultiPoint" and not coordinates:
            raise BadRequest("edit.ring_short", kind=kind, part=1, count=0, least=1)
        return
    parts = {
        "LineString": [coordinates],
        "MultiLineString": coordinates,
        "Polygon": coordinates,
        "MultiPolygon": [ring for polygon in coordinates for ring in polygon],
    }[kind]
    least = LEAST[kind]
    for number, part in enumerate(parts, start=1):
        closed = len(part) >= 2 and part[0] == part[-1]
        size = len(part) if (closed or least == 2) else len(part) + 1
        if size < least:
            raise BadRequest(
                "edit.ring_short", kind=kind, part=number, count=len(part), least=least
            )
