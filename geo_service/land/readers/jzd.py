"""界址点坐标 txt: the Ministry's exchange format for 用地报批 / 勘测定界 parcels.

    [属性描述]
    坐标系=2000国家大地坐标系
    几度分带=3
    带号=36
    ...
    [地块坐标]
    界址点数,地块面积(公顷),地块编号,地块名称,图形属性,图幅号,地块用途,地类编号,@
    J1,1,3621000.000,36520000.000        点号,圈号,X(北),Y(东)
    ...

Several parcels per file; each 圈号 is one ring, closed by repeating its first point; X is the
northing, Y the easting (with or without the zone prefix). UTF-8 or GBK.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pyproj

from geo_service.land.crs import datum_from_text, gk_crs, zone_from_easting
from geo_service.land.model import Problem, RawFile, RawParcel, input_error
from geo_service.land.readers.caps import Tally

SECTION = re.compile(r"^\s*\[(.+?)\]\s*$")
FIELDS = re.compile(r"\s*[,，]\s*")
HEADER_NAMES = (
    "points",
    "area_ha",
    "parcel_id",
    "name",
    "shape",
    "sheet",
    "land_use",
    "land_class",
)
#: The header fields' names as the Ministry's format gives them, in file order.
JZD_FIELDS = (
    "界址点数",
    "地块面积",
    "地块编号",
    "地块名称",
    "记录图形属性",
    "图幅号",
    "地块用途",
    "地类编码",
)
#: In [属性描述]: the names of the fields after the eight above ("|" between them), written
#: by geo_service so that every attribute of a parcel survives a 界址点 round trip.
EXTRA_FIELDS_KEY = "附加字段"


def decode(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace"), "GB18030 (GBK)"


def looks_like_jzd(data: bytes) -> bool:
    return "[地块坐标]" in decode(data[:65536])[0]


def number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def is_point_line(fields: list[str]) -> bool:
    """点号,圈号,X,Y: a ring number and two coordinates, not ending in @."""
    return (
        len(fields) >= 4
        and fields[-1] != "@"
        and fields[1].strip().isdigit()
        and number(fields[2]) is not None
    )


def read_jzd(
    data: bytes, filename: str, crs_given: pyproj.CRS | None = None, limits=None
) -> RawFile:
    """Parse the file; problems are collected (the caller raises), not thrown one by one.

    Parcels and points are counted against the caps as they are read."""
    from geo_service.land.readers import Limits

    tally = Tally(filename, limits or Limits())
    text, encoding = decode(data)
    if "[地块坐标]" not in text:
        raise input_error(
            filename,
            [
                Problem(
                    "file",
                    "缺少 [地块坐标] 节 (no [地块坐标] section)",
                    "界址点文件先有 [属性描述]，再有 [地块坐标] "
                    "(a 界址点 file has [属性描述] then [地块坐标])",
                )
            ],
        )
    raw = RawFile(filename, "jzd", [], notes=[f"文件编码：{encoding} (encoding: {encoding})"])
    attributes: dict[str, str] = {}
    section = ""
    current: dict | None = None
    parcels: list[dict] = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        heading = SECTION.match(line)
        if heading:
            section = heading.group(1).strip()
            continue
        if section == "属性描述":
            key, _, value = line.partition("=")
            attributes[key.strip()] = value.strip()
            continue
        if section != "地块坐标":
            continue
        fields = [f.strip() for f in FIELDS.split(line.strip())]
        if is_point_line(fields):
            if current is None:
                raw.problems.append(
                    Problem(
                        f"line {line_number}",
                        "界址点出现在地块属性行之前 (a point before any parcel header)",
                        "每个地块以其属性行开始 (start each parcel with its header line)",
                    )
                )
                continue
            add_point(current, fields, line_number, raw.problems)
            tally.add(current["where"], current["points"], 1)
        elif fields[-1] == "@" or (len(fields) >= 3 and number(fields[0]) is not None):
            extra = [n for n in attributes.get(EXTRA_FIELDS_KEY, "").split("|") if n.strip()]
            current = new_parcel(fields, line_number, len(parcels) + 1, extra)
            tally.parcel(current["where"])
            parcels.append(current)
        else:
            raw.problems.append(
                Problem(
                    f"line {line_number}",
                    "无法识别的行 (unreadable line)",
                    "界址点行格式为 点号,圈号,X,Y (point lines are 点号,圈号,X,Y)",
                )
            )
    for parcel in parcels:
        finish(parcel, raw)
    raw.crs, raw.crs_note = file_crs(attributes, parcels, crs_given, raw.problems)
    raw.header = attributes
    return raw


def new_parcel(fields: list[str], line_number: int, ordinal: int, extra=()) -> dict:
    given = [f for f in fields if f != "@"]
    values = dict(zip(HEADER_NAMES, [f[:200] for f in given]))
    named = [*JZD_FIELDS, *(n.strip()[:200] for n in extra)]
    names = [*named, *(f"字段{n}" for n in range(len(named) + 1, len(given) + 1))]
    parcel_id = values.get("parcel_id") or f"地块{ordinal}"
    name = values.get("name", "")
    return {
        "line": line_number,
        "id": parcel_id,
        "values": values,
        "fields": dict(zip(names, given)),
        "where": f"line {line_number} ({parcel_id}{' ' + name if name else ''})",
        "rings": {},
        "points": 0,
        "rejected": 0,
    }


def add_point(parcel: dict, fields: list[str], line_number: int, problems: list) -> None:
    northing, easting = number(fields[2]), number(fields[3])
    if northing is None or easting is None:
        parcel["rejected"] += 1
        problems.append(
            Problem(
                f"line {line_number}",
                "坐标不是数字 (coordinates that are not numbers)",
                "界址点行格式为 点号,圈号,X(北),Y(东) (point lines are 点号,圈号,X,Y)",
            )
        )
        return
    if not 1_000_000 <= northing < 10_000_000:  # Ankang's northings are 3.5-3.75 million
        parcel["rejected"] += 1
        problems.append(
            Problem(
                f"line {line_number}",
                "X 与 Y 似乎颠倒 (X and Y appear swapped)",
                "X 为北坐标（7 位），Y 为东坐标 (X is northing, 7 digits; Y is easting)",
            )
        )
        return
    parcel["rings"].setdefault(fields[1], []).append((easting, northing))
    parcel["points"] += 1


def finish(parcel: dict, raw: RawFile) -> None:
    values = parcel["values"]
    if not parcel["rings"]:
        if parcel["rejected"]:
            return  # its point lines are reported already
        raw.problems.append(
            Problem(
                parcel["where"],
                "地块属性行之后没有界址点 (a parcel header without points)",
                "请在属性行后列出界址点 (list the boundary points after the header)",
            )
        )
        return
    declared_points = number(values.get("points", ""))
    if declared_points is not None and int(declared_points) != parcel["points"]:
        raw.problems.append(
            Problem(
                parcel["where"],
                f"界址点数为 {int(declared_points)}，实际有 {parcel['points']} 个点 "
                f"(界址点数 says {int(declared_points)} points, {parcel['points']} follow)",
                "文件可能被截断或缺行，请与原件核对 (check it against the original)",
            )
        )
    raw.parcels.append(
        RawParcel(
            parcel["id"],
            parcel["where"],
            rings=[np.asarray(points, dtype=float) for points in parcel["rings"].values()],
            declared_area_ha=number(values.get("area_ha", "")),
            attributes=parcel["fields"],
        )
    )


def file_crs(attributes: dict, parcels: list[dict], given, problems: list):
    """The CRS from 坐标系, 带号 and the eastings' prefix; ``given`` wins over all of them."""
    if given is not None:
        return given, "按 crs 参数 (crs parameter)"
    where = "[属性描述]"
    if attributes.get("几度分带", "3").strip() not in ("3", "3度", ""):
        problems.append(
            Problem(
                where,
                "只支持 3 度分带 (only 3° zones are read)",
                "请转换为 3 度分带或指定 crs=EPSG:XXXX (convert, or pass crs=EPSG:XXXX)",
            )
        )
        return None, ""
    unit = attributes.get("计量单位", "米").strip().lower()
    if unit not in ("米", "m", "metre", "meter", ""):
        problems.append(
            Problem(
                where,
                "计量单位须为米 (coordinates must be in metres)",
                "请以米为单位导出坐标 (export the coordinates in metres)",
            )
        )
    stated = attributes.get("坐标系", "")
    datum = datum_from_text(stated) if stated else None
    if datum is None or datum == "WGS 84":
        problems.append(
            Problem(
                where,
                f"坐标系{'未注明' if not stated else '无法识别'}，按 CGCS2000 处理 "
                f"(坐标系 {'not stated' if not stated else 'not recognised'}: CGCS2000 assumed)",
                "如不正确请指定 crs=EPSG:XXXX (pass crs=EPSG:XXXX to override)",
                severity="warning",
            )
        )
        datum = "CGCS2000"
    eastings = [e for p in parcels for ring in p["rings"].values() for e, _ in ring]
    prefixes = {zone_from_easting(e) for e in eastings}
    field = attributes.get("带号", "").strip()
    zone = int(field) if field.isdigit() and len(field) <= 3 else None
    prefixed = prefixes != {None} and bool(eastings)
    if prefixed:
        found = sorted(z for z in prefixes if z is not None)
        if len(found) > 1 or None in prefixes:
            problems.append(
                Problem(
                    where,
                    f"东坐标带有不同的带号前缀 {found} (eastings carry different zone prefixes)",
                    "一个文件只能使用一个分带 (one file must use one zone)",
                )
            )
            return None, ""
        if zone is not None and zone != found[0]:
            problems.append(
                Problem(
                    where,
                    f"带号={zone}，但东坐标的前缀为 {found[0]} "
                    f"(带号={zone} but the eastings carry zone {found[0]})",
                    "请更正带号或坐标 (correct 带号 or the coordinates)",
                )
            )
            return None, ""
        zone = found[0]
    if zone is None:
        problems.append(
            Problem(
                where,
                "没有带号且东坐标无带号前缀，无法确定 3 度分带 "
                "(no 带号 and eastings without zone prefix: the 3° zone is unknown)",
                "请添加 带号=36 或 37，或指定 crs=EPSG:4545（36 带）/ EPSG:4546（37 带）",
            )
        )
        return None, ""
    try:
        crs = gk_crs(datum, zone, prefixed)
    except Exception as exc:  # BadRequest for a zone that does not cover Ankang
        problems.append(Problem(where, getattr(exc, "message", str(exc)), ""))
        return None, ""
    source = (
        f"坐标系={stated[:60] or '（未注明）'}，带号={field[:10] or '（未注明）'}，"
        + ("东坐标带带号前缀" if prefixed else "东坐标无带号前缀")
        + (" (eastings with zone prefix)" if prefixed else " (eastings without zone prefix)")
    )
    return crs, f"{source} → EPSG:{crs.to_epsg()}"
