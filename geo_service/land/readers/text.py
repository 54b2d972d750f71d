"""Text formats read in Python (so every problem has a line or feature): GeoJSON, CSV, KML."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import numpy as np
import pyproj
import shapely

from geo_service.land.model import Problem, RawFile, RawParcel, input_error

ID_KEYS = ("parcel_id", "id", "地块编号", "dkbh", "bh", "编号", "name", "名称", "地块名称")
DECLARED_HA_KEYS = ("area_ha", "地块面积", "面积公顷", "面积(公顷)", "面积（公顷）", "公顷")
WKT_COLUMNS = ("wkt", "geometry", "geom", "几何")
KML_NS = "{http://www.opengis.net/kml/2.2}"


def decode_text(data: bytes, strict: bool = True) -> str:
    """UTF-8 (BOM or not), else GB18030 (a superset of GBK), the encodings Chinese offices use."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="strict" if strict else "replace")


def pick_id(properties: dict, number: int) -> str:
    lowered = {str(k).lower(): v for k, v in properties.items()}
    for key in ID_KEYS:
        value = lowered.get(key)
        if value not in (None, ""):
            return str(value)
    return f"地块{number}"


NAME_KEYS = ("name", "名称", "地块名称", "园区名称", "zone_name", "mc", "yqmc", "dkmc")


def pick_name(properties: dict) -> str:
    lowered = {str(k).lower(): v for k, v in properties.items()}
    return next((str(lowered[k]) for k in NAME_KEYS if lowered.get(k) not in (None, "")), "")


def pick_declared_ha(properties: dict) -> float | None:
    lowered = {str(k).lower(): v for k, v in properties.items()}
    for key in DECLARED_HA_KEYS:
        value = lowered.get(key)
        if value not in (None, ""):
            try:
                return float(value)
            except (TypeError, ValueError):
                return None
    return None


def rings_of(geometry: dict, where: str, problems: list[Problem]):
    """(rings, parts) of a GeoJSON Polygon/MultiPolygon; problems for anything else."""
    if not geometry:
        problems.append(Problem(where, "empty geometry (null)", "give the parcel its polygon"))
        return None, None
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    polygons = (
        [coordinates] if kind == "Polygon" else coordinates if kind == "MultiPolygon" else None
    )
    if polygons is None:
        problems.append(
            Problem(where, f"a {kind} is not a parcel", "parcels must be Polygon or MultiPolygon")
        )
        return None, None
    rings, parts = [], []
    try:
        for polygon in polygons:
            part = []
            for ring in polygon:
                array = np.asarray(ring, dtype=float)
                if array.ndim != 2 or array.shape[1] < 2:
                    raise ValueError("a ring must be a list of [x, y] positions")
                part.append(len(rings))
                rings.append(array[:, :2])
            parts.append(part)
    except (TypeError, ValueError) as exc:
        problems.append(
            Problem(
                where, f"malformed coordinates: {exc}", "each ring is a list of [x, y] positions"
            )
        )
        return None, None
    if not rings:
        problems.append(Problem(where, "empty geometry", "give the parcel its polygon"))
        return None, None
    return rings, parts


def geojson_crs(document: dict, filename: str) -> tuple[pyproj.CRS | None, str]:
    member = document.get("crs")
    properties = member.get("properties") if isinstance(member, dict) else None
    named = properties.get("name") if isinstance(properties, dict) else None
    if member is not None and not named:
        raise input_error(
            filename,
            [
                Problem(
                    "crs member",
                    "a crs member without a name",
                    'write {"type": "name", "properties": {"name": '
                    '"urn:ogc:def:crs:EPSG::4545"}} or drop it',
                )
            ],
        )
    if not named:
        return pyproj.CRS.from_epsg(4326), "RFC 7946: GeoJSON without a crs member is WGS 84"
    try:
        crs = pyproj.CRS.from_user_input(named)
    except pyproj.exceptions.CRSError:
        raise input_error(
            filename,
            [
                Problem(
                    "crs member",
                    f"unknown CRS {named!r}",
                    "use urn:ogc:def:crs:EPSG::4545 or similar",
                )
            ],
        ) from None
    return crs, f"the file's crs member {named}"


def read_geojson(data: bytes, filename: str) -> RawFile:
    try:
        document = json.loads(decode_text(data))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f"line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else "file"
        raise input_error(
            filename, [Problem(where, f"not valid JSON: {exc}", "export the file again as GeoJSON")]
        ) from None
    if not isinstance(document, dict):
        raise input_error(filename, [Problem("file", "not a GeoJSON object")])
    kind = document.get("type")
    if kind == "FeatureCollection":
        features = document.get("features") or []
    elif kind == "Feature":
        features = [document]
    elif kind in ("Polygon", "MultiPolygon"):
        features = [{"type": "Feature", "geometry": document, "properties": {}}]
    else:
        raise input_error(
            filename,
            [
                Problem(
                    "file",
                    f"GeoJSON type {kind!r} holds no parcels",
                    "use a FeatureCollection of polygons",
                )
            ],
        )
    crs, note = geojson_crs(document, filename)
    raw = RawFile(filename, "geojson", [], crs, note)
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            raw.problems.append(Problem(f"feature {number}", "not a GeoJSON Feature"))
            continue
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            raw.problems.append(
                Problem(
                    f"feature {number}",
                    "properties must be an object",
                    'write "properties": {...} or null',
                )
            )
            continue
        parcel_id = (
            str(feature["id"])
            if feature.get("id") not in (None, "")
            else pick_id(properties, number)
        )
        where = f"feature {number} ({parcel_id})"
        rings, parts = rings_of(feature.get("geometry"), where, raw.problems)
        if rings is not None:
            raw.parcels.append(
                RawParcel(
                    parcel_id,
                    where,
                    rings=rings,
                    parts=parts,
                    declared_area_ha=pick_declared_ha(properties),
                    attributes=dict(properties),
                )
            )
    return raw


def read_csv(data: bytes, filename: str) -> RawFile:
    text = decode_text(data, strict=False)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample.splitlines()[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    columns = {name.strip().lower(): name for name in reader.fieldnames or []}
    wkt_column = next((columns[c] for c in WKT_COLUMNS if c in columns), None)
    if wkt_column is None:
        raise input_error(
            filename,
            [
                Problem(
                    "line 1",
                    "no WKT column in the header",
                    f"name the column one of {', '.join(WKT_COLUMNS)}",
                )
            ],
        )
    raw = RawFile(filename, "csv", [], None, "")
    for number, row in enumerate(reader, start=1):
        line = reader.line_num
        properties = {k: v for k, v in row.items() if k != wkt_column and k is not None}
        parcel_id = pick_id(properties, number)
        where = f"line {line} ({parcel_id})"
        text_value = (row.get(wkt_column) or "").strip()
        if not text_value:
            raw.problems.append(Problem(where, "empty geometry", "fill in the WKT column"))
            continue
        try:
            geometry = shapely.from_wkt(text_value)
        except shapely.errors.GEOSException as exc:
            raw.problems.append(
                Problem(
                    where,
                    wkt_problem(str(exc)),
                    "write the polygon as POLYGON((x y, ...)) "
                    "with the first point repeated at the end",
                )
            )
            continue
        raw.parcels.append(
            RawParcel(
                parcel_id,
                where,
                geometry=geometry,
                declared_area_ha=pick_declared_ha(properties),
                attributes=properties,
            )
        )
    if not raw.parcels and not raw.problems:
        raw.problems.append(Problem("file", "no rows", "the file has a header but no parcels"))
    return raw


def wkt_problem(message: str) -> str:
    if "closed" in message:
        return "ring not closed: its last point differs from its first"
    if "number of points" in message:
        return "too few points: a ring needs at least 3 distinct points (4 with the closing one)"
    return f"unreadable WKT: {message.split(':', 1)[-1].strip()}"


def read_kml(data: bytes, filename: str) -> RawFile:
    """KML Placemarks with Polygon or MultiGeometry; KML is WGS 84 lon/lat by definition."""
    if b"<!DOCTYPE" in data[:4096].upper() or b"<!ENTITY" in data.upper():
        raise input_error(
            filename,
            [
                Problem(
                    "file",
                    "KML with a DOCTYPE/ENTITY declaration",
                    "remove the DTD; KML needs none",
                )
            ],
        )
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise input_error(
            filename,
            [
                Problem(
                    f"line {exc.position[0]}",
                    f"not valid XML: {exc}",
                    "export the file again as KML",
                )
            ],
        ) from None
    ns = KML_NS if root.tag.startswith(KML_NS) else ""
    raw = RawFile(filename, "kml", [], pyproj.CRS.from_epsg(4326), "KML is WGS 84 by definition")
    for number, placemark in enumerate(root.iter(f"{ns}Placemark"), start=1):
        name = (placemark.findtext(f"{ns}name") or "").strip() or f"地块{number}"
        where = f"Placemark {number} ({name})"
        rings, parts = [], []
        for polygon in placemark.iter(f"{ns}Polygon"):
            part = []
            for boundary in ("outerBoundaryIs", "innerBoundaryIs"):
                for ring in polygon.findall(f"{ns}{boundary}/{ns}LinearRing/{ns}coordinates"):
                    try:
                        values = [tuple(map(float, p.split(",")[:2])) for p in ring.text.split()]
                        array = np.asarray(values, dtype=float).reshape(-1, 2)
                    except (AttributeError, ValueError):
                        raw.problems.append(
                            Problem(
                                where,
                                "malformed coordinates",
                                "coordinates are lon,lat[,alt] tuples",
                            )
                        )
                        continue
                    part.append(len(rings))
                    rings.append(array)
            parts.append(part)
        if not rings:
            raw.problems.append(
                Problem(where, "no Polygon in this Placemark", "parcels must be polygons")
            )
            continue
        raw.parcels.append(RawParcel(name, where, rings=rings, parts=parts))
    if not raw.parcels and not raw.problems:
        raw.problems.append(Problem("file", "no Placemark found", "the KML holds no parcels"))
    return raw
