"""The fields of a check's GIS downloads (GeoPackage, Shapefile, KML): Chinese names, as people
read them in QGIS or ArcGIS, with the stable result code ``status`` alongside, then the file's
own fields by their own names. One table: the GeoPackage's name, the Shapefile's dBASE name (at
most 10 bytes in GBK: five Chinese characters) and the meaning in Chinese and English, written
into the downloads' 字段说明."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geo_service.exports import Field
from geo_service.land.export import STATUS_ZH
from geo_service.land.model import notes_text

#: record key -> field, in the order of the downloads' columns.
RESULT_FIELDS: dict[str, Field] = {
    "parcel_id": Field(
        "地块编号",
        "地块编号",
        "地块编号（文件中的编号；没有时按顺序编为“地块N”）",
        "parcel id (from the file, else 地块N in file order)",
    ),
    "name": Field(
        "地块名称", "地块名称", "地块名称（文件中有时）", "parcel name, when the file has one"
    ),
    "status": Field(
        "status",
        "status",
        "检查结果代码：inside 区内、partial 部分在区内、outside 区外（供程序使用，不会改变）",
        "result code: inside, partial or outside (stable, for programs)",
    ),
    "status_zh": Field(
        "检查结果",
        "检查结果",
        "区内、部分在区内或区外",
        "result in Chinese (区内 / 部分在区内 / 区外)",
    ),
    "area_m2": Field(
        "面积_m2",
        "面积_m2",
        "地块面积，平方米（在地块所在的 CGCS2000 3 度带高斯-克吕格投影面上计算）",
        "parcel area, m², on the CGCS2000 3-degree Gauss-Krüger plane of its zone",
    ),
    "area_ha": Field("面积_公顷", "面积_公顷", "地块面积，公顷", "parcel area, hectares"),
    "area_mu": Field(
        "面积_亩",
        "面积_亩",
        "地块面积，亩（1 亩 = 10000/15 平方米）",
        "parcel area, mu (10000/15 m²)",
    ),
    "inside_m2": Field(
        "区内面积_m2", "区内_m2", "落在园区范围内的面积，平方米", "area inside the zones, m²"
    ),
    "inside_mu": Field(
        "区内面积_亩", "区内_亩", "落在园区范围内的面积，亩", "area inside the zones, mu"
    ),
    "outside_m2": Field(
        "区外面积_m2", "区外_m2", "园区范围以外的面积，平方米", "area outside every zone, m²"
    ),
    "outside_mu": Field(
        "区外面积_亩", "区外_亩", "园区范围以外的面积，亩", "area outside every zone, mu"
    ),
    "share_inside": Field(
        "区内比例", "区内比例", "区内面积占地块面积的比例（0–1）", "share of the area inside (0-1)"
    ),
    "distance_m": Field(
        "距最近园区_m",
        "距园区_m",
        "区外地块到最近园区的距离，米（区内、部分在区内为 0）",
        "distance to the nearest zone, m, for parcels outside (0 otherwise)",
    ),
    "zone_ids": Field(
        "园区编号",
        "园区编号",
        "涉及园区的编号，以“、”分隔",
        "ids of the zones it overlaps, 、-separated",
    ),
    "zones": Field(
        "涉及园区",
        "涉及园区",
        "涉及园区的名称，以“、”分隔",
        "names of the zones it overlaps, 、-separated",
    ),
    "ellipsoidal_area_m2": Field(
        "椭球面积_m2",
        "椭球_m2",
        "CGCS2000 椭球面上的面积，平方米（供对照）",
        "area on the CGCS2000 ellipsoid, m² (for comparison)",
    ),
    "declared_area_ha": Field(
        "申报面积_公顷",
        "申报_公顷",
        "文件中申报的面积，公顷（文件没有时为空）",
        "area declared in the file, hectares (empty when it gives none)",
    ),
    "crs_used": Field(
        "面积计算坐标系",
        "计算坐标系",
        "计算面积所用的坐标系",
        "coordinate system the areas were computed in",
    ),
    "warnings": Field("提示", "提示", "检查提示，以“；”分隔", "warnings, ；-separated"),
}
FILE_FIELD = ("原文件字段", "field of the uploaded file")
#: Fields of the file carried into a download (as in the result document: model.MAX_ATTRIBUTES).
MAX_FILE_FIELDS = 100


def result_values(key: str, records: list[dict]) -> list:
    if key == "status_zh":
        return [STATUS_ZH.get(r["status"], r["status"]) for r in records]
    if key == "zones":
        return ["、".join(str(z["name"]) for z in r["zones"]) for r in records]
    if key == "zone_ids":
        return ["、".join(str(z["zone_id"]) for z in r["zones"]) for r in records]
    if key == "warnings":  # records (code, text) or, for old checks, plain strings
        return [notes_text(r.get("warnings")) for r in records]
    return [r.get(key) for r in records]


def gis_frame(records: list[dict], geometries: list) -> tuple[gpd.GeoDataFrame, list[Field]]:
    """The parcels (EPSG:4490) with the result fields, then the file's fields by their own
    names ("原" put before a name a result field already has), and the fields' descriptions."""
    columns = {f.name: result_values(key, records) for key, f in RESULT_FIELDS.items()}
    fields = list(RESULT_FIELDS.values())
    names = list(dict.fromkeys(k for r in records for k in (r.get("attributes") or {})))
    for field in names[:MAX_FILE_FIELDS]:
        values = pd.Series([(r.get("attributes") or {}).get(field) for r in records])
        numeric = values.map(lambda v: v is None or isinstance(v, int | float))
        if not numeric.all() or values.map(lambda v: isinstance(v, bool)).any():
            values = values.map(lambda v: None if v is None else str(v))
        name = str(field)
        while name in columns or name == "geometry":
            name = "原" + name
        columns[name] = values.to_numpy()
        fields.append(Field(name, None, *FILE_FIELD))
    frame = pd.DataFrame(columns, index=range(len(records)))
    return gpd.GeoDataFrame(frame, geometry=geometries, crs="EPSG:4490"), fields
