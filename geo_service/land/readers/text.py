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

from geo_service.land.model import Problem, RawFile, RawParcel, input_error
from geo_service.land.readers.caps import Tally, check_json_depth

#: GeoJSON crs names as authority and code only (PROJ would open files for "+init=...")
CRS_NAME = re.compile(
    r"^(urn:ogc:def:crs:[A-Za-z]+:[0-9.]*:[A-Za-z0-9]+|(EPSG|CGCS|OGC|ESRI):[A-Za-z0-9]+"
    r"|https?://www\.opengis\.net/def/crs/[A-Za-z]+/[0-9.]+/[A-Za-z0-9]+)$"
)
ID_KEYS = ("parcel_id", "id", "地块编号", "dkbh", "bh", "编号", "name", "名称", "地块名称")
DECLARED_HA_KEYS = ("area_ha", "地块面积", "面积公顷", "面积(公顷)", "面积（公顷）", "公顷")
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


EMPTY = "几何为空 (empty geometry)"
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
GIVE_POLYGON = "请为该地块提供多边形 (give the parcel its polygon)"


def rings_of(geometry: dict, where: str, problems: list[Problem], tally: Tally | None = None):
    """(rings, parts) of a GeoJSON Polygon/MultiPolygon; problems for anything else."""
    if not geometry:
        problems.append(Problem(where, "几何为空 (empty geometry (null))", GIVE_POLYGON))
        return None, None
    if not isinstance(geometry, dict):
        problems.append(Problem(where, "geometry 不是 GeoJSON 对象 (not a geometry)", GIVE_POLYGON))
        return None, None
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    polygons = (
        [coordinates] if kind == "Polygon" else coordinates if kind == "MultiPolygon" else None
    )
    if polygons is None:
        kind = kind if kind in GEOJSON_TYPES else "非 GeoJSON 几何类型"
        problems.append(
            Problem(
                where,
                f"{kind} 不是地块 (a {kind} is not a parcel)",
                "地块须为 Polygon 或 MultiPolygon (parcels must be Polygon or MultiPolygon)",
            )
        )
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
        problems.append(
            Problem(
                where,
                "坐标格式错误 (malformed coordinates)",
                "每个环是 [x, y] 坐标的列表 (each ring is a list of [x, y] positions)",
            )
        )
        return None, None
    if not rings:
        problems.append(Problem(where, EMPTY, GIVE_POLYGON))
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
                    "crs 成员缺少坐标系名称 (a crs member without a name)",
                    '请写 {"type": "name", "properties": {"name": '
                    '"urn:ogc:def:crs:EPSG::4545"}} 或删除 (or drop it)',
                )
            ],
        )
    if not named:
        return pyproj.CRS.from_epsg(
            4326
        ), "GeoJSON 未写 crs 成员，按 RFC 7946 为 WGS 84 经纬度 (RFC 7946: WGS 84)"
    try:
        if not isinstance(named, str) or not CRS_NAME.match(named):  # no +init=/path, no WKT
            raise pyproj.exceptions.CRSError("not an authority:code CRS name")
        crs = pyproj.CRS.from_user_input(named)
    except pyproj.exceptions.CRSError:
        raise input_error(
            filename,
            [
                Problem(
                    "crs member",
                    "crs 成员中的坐标系名称无法识别 (unknown CRS name in the crs member)",
                    "请使用 urn:ogc:def:crs:EPSG::4545 等 (use urn:ogc:def:crs:EPSG::4545)",
                )
            ],
        ) from None
    return crs, f"文件的 crs 成员：{crs.name} (the file's crs member)"


AS_GEOJSON = "请重新导出为 GeoJSON (export the file again as GeoJSON)"


def read_geojson(data: bytes, filename: str, limits=None) -> RawFile:
    from geo_service.land.readers import Limits

    limits = limits or Limits()
    try:
        text = decode_text(data)
    except UnicodeDecodeError:
        raise input_error(
            filename, [Problem("file", "文本编码无法识别 (not UTF-8 or GBK text)", AS_GEOJSON)]
        ) from None
    check_json_depth(text, filename, limits)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise input_error(
            filename,
            [
                Problem(
                    f"line {exc.lineno}",
                    f"不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列 "
                    f"(not valid JSON: {exc.msg})",
                    AS_GEOJSON,
                )
            ],
        ) from None
    except RecursionError:  # a last guard: the depth scan refuses such files first
        raise input_error(
            filename, [Problem("file", "JSON 嵌套过深 (JSON nested too deep)")]
        ) from None
    if not isinstance(document, dict):
        raise input_error(
            filename, [Problem("file", "不是 GeoJSON 对象 (not a GeoJSON object)", AS_GEOJSON)]
        )
    kind = document.get("type")
    if kind == "FeatureCollection":
        features = document.get("features") or []
        if not isinstance(features, list):
            raise input_error(
                filename,
                [Problem("features", "features 须为数组 (features must be an array)", AS_GEOJSON)],
            )
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
                    f"GeoJSON 类型 {kind if kind in GEOJSON_TYPES else '(未知)'} 不含地块 "
                    "(this GeoJSON type holds no parcels)",
                    "请使用多边形的 FeatureCollection (use a FeatureCollection of polygons)",
                )
            ],
        )
    if len(features) > limits.max_parcels:  # before any parcel is built
        from geo_service.land.readers.caps import over_cap

        raise over_cap(filename, "features", "max_parcels", len(features), limits.max_parcels)
    crs, note = geojson_crs(document, filename)
    raw = RawFile(filename, "geojson", [], crs, note)
    tally = Tally(filename, limits)
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            raw.problems.append(
                Problem(f"feature {number}", "不是 GeoJSON Feature (not a GeoJSON Feature)")
            )
            continue
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            raw.problems.append(
                Problem(
                    f"feature {number}",
                    "properties 须为对象 (properties must be an object)",
                    '请写 "properties": {...} 或 null',
                )
            )
            continue
        parcel_id = (
            str(feature["id"])
            if feature.get("id") not in (None, "")
            else pick_id(properties, number)
        )
        where = f"feature {number} ({parcel_id})"
        tally.parcel(where)
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
                    "line 1",
                    "表头中没有 WKT 几何列 (no WKT column in the header)",
                    f"请将几何列命名为 {', '.join(WKT_COLUMNS)} 之一 "
                    f"(name the column one of {', '.join(WKT_COLUMNS)})",
                )
            ],
        )
    try:
        return csv_rows(reader, wkt_column, filename, tally)
    except csv.Error as exc:
        raise input_error(
            filename,
            [
                Problem(
                    f"line {reader.line_num}",
                    "CSV 格式错误 (malformed CSV)",
                    "请检查引号与分隔符 (check quotes and delimiters)",
                )
            ],
        ) from exc


def csv_rows(reader, wkt_column: str, filename: str, tally: Tally) -> RawFile:
    """The rows of a CSV with a WKT column, vertices counted before the geometry is built."""
    raw = RawFile(filename, "csv", [], None, "")
    for number, row in enumerate(reader, start=1):
        line = reader.line_num
        properties = {k: v for k, v in row.items() if k != wkt_column and k is not None}
        parcel_id = pick_id(properties, number)
        where = f"line {line} ({parcel_id})"
        tally.parcel(where)
        text_value = (row.get(wkt_column) or "").strip()
        if not text_value:
            raw.problems.append(Problem(where, EMPTY, "请填写 WKT 列 (fill in the WKT column)"))
            continue
        # an upper bound of the vertices (one comma between two), before parsing
        estimate = text_value.count(",") + 1
        if estimate > tally.limits.max_vertices_per_parcel:
            tally.add(where, estimate, estimate)
        try:
            geometry = shapely.from_wkt(text_value)
        except shapely.errors.GEOSException as exc:
            raw.problems.append(
                Problem(
                    where,
                    wkt_problem(str(exc)),
                    "多边形写作 POLYGON((x y, ...))，末点重复首点 "
                    "(write POLYGON((x y, ...)) with the first point repeated at the end)",
                )
            )
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
        raw.problems.append(
            Problem(
                "file",
                "只有表头，没有数据行 (no rows)",
                "文件只有表头，没有地块 (the file has a header but no parcels)",
            )
        )
    return raw


def wkt_problem(message: str) -> str:
    if "closed" in message:
        return "环未闭合：末点与首点不同 (ring not closed: its last point differs from its first)"
    if "number of points" in message:
        return (
            "点数过少：一个环至少需要 3 个不同的点（含闭合点 4 个） "
            "(too few points: a ring needs at least 3 distinct points, 4 with the closing one)"
        )
    return "无法解析的 WKT (unreadable WKT)"
