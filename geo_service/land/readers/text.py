"""Text formats read in Python (so every problem has a line or feature): GeoJSON, CSV.

KML is in kml.py."""

from __future__ import annotations

import csv
import io
import json
import re

import numpy as np
import pyproj
import shapely

from geo_service.land.model import (
    CRS_MEMBER,
    FEATURES_MEMBER,
    IN_FILE,
    Problem,
    RawFile,
    RawParcel,
    at_feature,
    at_line,
    input_error,
)
from geo_service.land.readers.caps import Tally, check_json_depth
from geo_service.messages import Msg

#: GeoJSON crs names as authority and code only (PROJ would open files for "+init=...")
CRS_NAME = re.compile(
    r"^(urn:ogc:def:crs:[A-Za-z]+:[0-9.]*:[A-Za-z0-9]+|(EPSG|CGCS|OGC|ESRI):[A-Za-z0-9]+"
    r"|https?://www\.opengis\.net/def/crs/[A-Za-z]+/[0-9.]+/[A-Za-z0-9]+)$"
)
ID_KEYS = ("parcel_id", "id", "地块编号", "dkbh", "bh", "编号", "name", "名称", "地块名称")
DECLARED_HA_KEYS = (
    "area_ha",
    "地块面积",
    "面积公顷",
    "面积_公顷",  # as the check's GIS downloads name it (land/gis_fields.py)
    "面积(公顷)",
    "面积（公顷）",
    "公顷",
)
WKT_COLUMNS = ("wkt", "geometry", "geom", "几何")


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


EMPTY = Msg("geometry.empty")
GEOJSON_TYPES = {
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
    "Feature",
    "FeatureCollection",
}
GIVE_POLYGON = Msg("geometry.give_polygon")


def rings_of(geometry: dict, where, problems: list[Problem], tally: Tally | None = None):
    """(rings, parts) of a GeoJSON Polygon/MultiPolygon; problems for anything else."""
    if not geometry:
        problems.append(Problem(where, EMPTY, GIVE_POLYGON))
        return None, None
    if not isinstance(geometry, dict):
        problems.append(Problem(where, Msg("geojson.not_geometry"), GIVE_POLYGON))
        return None, None
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    polygons = (
        [coordinates] if kind == "Polygon" else coordinates if kind == "MultiPolygon" else None
    )
    if polygons is None:
        problem = (
            Msg("geometry.not_parcel", kind=kind)
            if kind in GEOJSON_TYPES
            else Msg("geojson.bad_geometry_type", kind=str(kind)[:40])
        )
        problems.append(Problem(where, problem, Msg("geometry.must_be_polygon")))
        return None, None
    rings, parts = [], []
    vertices = 0
    try:
        for polygon in polygons:
            part = []
            for ring in polygon:
                if tally is not None:
                    vertices += len(ring)
                    tally.add(where, vertices, len(ring))
                array = np.asarray(ring, dtype=float)
                if array.ndim != 2 or array.shape[1] < 2:
                    raise ValueError("a ring must be a list of [x, y] positions")
                part.append(len(rings))
                rings.append(array[:, :2])
            parts.append(part)
    except (TypeError, ValueError):
        problems.append(Problem(where, Msg("coordinates.malformed"), Msg("geojson.ring_positions")))
        return None, None
    if not rings:
        problems.append(Problem(where, EMPTY, GIVE_POLYGON))
        return None, None
    return rings, parts


GEOMETRY_TYPES = GEOJSON_TYPES - {"Feature", "FeatureCollection"}


def shape_of(geometry, where, problems: list[Problem], kind: str, tally: Tally | None = None):
    """Any GeoJSON geometry as a shapely one (an import into a point or line layer: the kind
    is checked by land.prepare, feature by feature); None with a problem when unreadable."""
    from geo_service.land.prepare import give_hint

    if not geometry:
        problems.append(Problem(where, EMPTY, give_hint(kind)))
        return None
    if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_TYPES:
        kind_given = geometry.get("type") if isinstance(geometry, dict) else None
        message = (
            Msg("geojson.bad_geometry_type", kind=str(kind_given)[:40])
            if kind_given is not None
            else Msg("geojson.not_geometry")
        )
        problems.append(Problem(where, message, give_hint(kind)))
        return None
    try:
        shape = shapely.from_geojson(json.dumps(geometry))
    except (shapely.errors.GEOSException, ValueError, TypeError):
        problems.append(Problem(where, Msg("coordinates.malformed"), Msg("geojson.positions")))
        return None
    if tally is not None:
        count = int(shapely.get_num_coordinates(shape))
        tally.add(where, count, count)
    if shape.is_empty:
        problems.append(Problem(where, EMPTY, give_hint(kind)))
        return None
    return shape


def geojson_crs(document: dict, filename: str) -> tuple[pyproj.CRS | None, Msg]:
    member = document.get("crs")
    properties = member.get("properties") if isinstance(member, dict) else None
    named = properties.get("name") if isinstance(properties, dict) else None
    if member is not None and not named:
        raise input_error(
            filename,
            [Problem(CRS_MEMBER, Msg("geojson.crs_unnamed"), Msg("geojson.crs_how"))],
        )
    if not named:
        return pyproj.CRS.from_epsg(4326), Msg("geojson.rfc7946")
    try:
        if not isinstance(named, str) or not CRS_NAME.match(named):  # no +init=/path, no WKT
            raise pyproj.exceptions.CRSError("not an authority:code CRS name")
        crs = pyproj.CRS.from_user_input(named)
    except pyproj.exceptions.CRSError:
        raise input_error(
            filename,
            [Problem(CRS_MEMBER, Msg("geojson.crs_unknown"), Msg("geojson.crs_example"))],
        ) from None
    return crs, Msg("geojson.crs_member", name=crs.name)


AS_GEOJSON = Msg("geojson.export_again")
#: A \uD800-\uDFFF escape: only worth checking a file for lone surrogates when it has one.
LONE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def read_geojson(data: bytes, filename: str, limits=None, kind: str = "polygon") -> RawFile:
    """A GeoJSON file's features: polygons for a check; any geometry when ``kind`` is a point
    or line layer's (land.prepare refuses the other kinds then)."""
    from geo_service.land.readers import Limits

    limits = limits or Limits()
    try:
        text = decode_text(data)
    except UnicodeDecodeError:
        raise input_error(
            filename, [Problem(IN_FILE, Msg("text.not_utf8_gbk"), AS_GEOJSON)]
        ) from None
    check_json_depth(text, filename, limits)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise input_error(
            filename,
            [
                Problem(
                    at_line(exc.lineno),
                    Msg("json.invalid", line=exc.lineno, column=exc.colno, error=exc.msg),
                    AS_GEOJSON,
                )
            ],
        ) from None
    except RecursionError:  # a last guard: the depth scan refuses such files first
        raise input_error(filename, [Problem(IN_FILE, Msg("json.too_deep"))]) from None
    except ValueError:  # an integer written with more digits than Python reads (4,300)
        raise input_error(filename, [Problem(IN_FILE, Msg("json.int_too_long"))]) from None
    if LONE_SURROGATE.search(text):  # "\ud800" alone is JSON, but no text a store keeps
        try:
            json.dumps(document, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            char = f"U+{ord(exc.object[exc.start]):04X}"
            problem = Problem(IN_FILE, Msg("json.lone_surrogate", char=char), AS_GEOJSON)
            raise input_error(filename, [problem]) from None
    if not isinstance(document, dict):
        raise input_error(filename, [Problem(IN_FILE, Msg("geojson.not_object"), AS_GEOJSON)])
    doc_type = document.get("type")
    if doc_type == "FeatureCollection":
        features = document.get("features") or []
        if not isinstance(features, list):
            raise input_error(
                filename,
                [Problem(FEATURES_MEMBER, Msg("geojson.features_not_array"), AS_GEOJSON)],
            )
    elif doc_type == "Feature":
        features = [document]
    elif doc_type in ("Polygon", "MultiPolygon") or (
        kind != "polygon" and doc_type in GEOMETRY_TYPES
    ):
        features = [{"type": "Feature", "geometry": document, "properties": {}}]
    else:
        raise input_error(
            filename,
            [
                Problem(
                    IN_FILE,
                    Msg("geojson.no_parcels_type", kind=doc_type)
                    if doc_type in GEOJSON_TYPES
                    else Msg("geojson.no_type"),
                    Msg("geojson.use_collection"),
                )
            ],
        )
    if len(features) > limits.max_parcels:  # before any parcel is built
        from geo_service.land.readers.caps import over_cap

        raise over_cap(filename, FEATURES_MEMBER, "max_parcels", len(features), limits.max_parcels)
    crs, note = geojson_crs(document, filename)
    raw = RawFile(filename, "geojson", [], crs, note)
    tally = Tally(filename, limits)
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            raw.problems.append(Problem(at_feature(number), Msg("geojson.not_feature")))
            continue
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            raw.problems.append(
                Problem(
                    at_feature(number),
                    Msg("geojson.properties_not_object"),
                    Msg("geojson.properties_how"),
                )
            )
            continue
        parcel_id = (
            str(feature["id"])
            if feature.get("id") not in (None, "")
            else pick_id(properties, number)
        )
        where = Msg("where.feature_parcel", feature=number, parcel=parcel_id[:200])
        tally.parcel(where)
        if kind != "polygon":
            shape = shape_of(feature.get("geometry"), where, raw.problems, kind, tally)
            if shape is not None:
                raw.parcels.append(
                    RawParcel(parcel_id, where, geometry=shape, attributes=dict(properties))
                )
            continue
        rings, parts = rings_of(feature.get("geometry"), where, raw.problems, tally)
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


def read_csv(data: bytes, filename: str, limits=None) -> RawFile:
    from geo_service.land.readers import Limits

    tally = Tally(filename, limits or Limits())
    text = decode_text(data, strict=False)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample.splitlines()[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    try:
        fieldnames = reader.fieldnames or []
    except csv.Error:
        fieldnames = []
    columns = {name.strip().lower(): name for name in fieldnames}
    wkt_column = next((columns[c] for c in WKT_COLUMNS if c in columns), None)
    if wkt_column is None:
        raise input_error(
            filename,
            [
                Problem(
                    at_line(1),
                    Msg("csv.no_wkt_column"),
                    Msg("csv.name_wkt_column", names=", ".join(WKT_COLUMNS)),
                )
            ],
        )
    try:
        return csv_rows(reader, wkt_column, filename, tally)
    except csv.Error as exc:
        raise input_error(
            filename,
            [Problem(at_line(reader.line_num), Msg("csv.malformed"), Msg("csv.check_quotes"))],
        ) from exc


def csv_rows(reader, wkt_column: str, filename: str, tally: Tally) -> RawFile:
    """The rows of a CSV with a WKT column, vertices counted before the geometry is built."""
    raw = RawFile(filename, "csv", [], None, "")
    for number, row in enumerate(reader, start=1):
        line = reader.line_num
        properties = {k: v for k, v in row.items() if k != wkt_column and k is not None}
        parcel_id = pick_id(properties, number)
        where = Msg("where.line_parcel", line=line, parcel=parcel_id[:200])
        tally.parcel(where)
        text_value = (row.get(wkt_column) or "").strip()
        if not text_value:
            raw.problems.append(Problem(where, EMPTY, Msg("csv.fill_wkt")))
            continue
        # an upper bound of the vertices (one comma between two), before parsing
        estimate = text_value.count(",") + 1
        if estimate > tally.limits.max_vertices_per_parcel:
            tally.add(where, estimate, estimate)
        try:
            geometry = shapely.from_wkt(text_value)
        except shapely.errors.GEOSException as exc:
            raw.problems.append(Problem(where, wkt_problem(str(exc)), Msg("wkt.how")))
            continue
        count = int(shapely.get_num_coordinates(geometry))
        tally.add(where, count, count)
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
        raw.problems.append(Problem(IN_FILE, Msg("csv.no_rows"), Msg("csv.add_rows")))
    return raw


def wkt_problem(message: str) -> Msg:
    """What GEOS's parse error means, in the catalogue's words."""
    if "closed" in message:
        return Msg("wkt.not_closed")
    if "number of points" in message:
        return Msg("wkt.too_few_points")
    return Msg("wkt.unreadable")
