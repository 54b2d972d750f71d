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

from geo_service.errors import BadRequest
from geo_service.land.crs import datum_from_text, describe, gk_crs, zone_from_easting
from geo_service.land.model import IN_FILE, Problem, RawFile, RawParcel, at_line, input_error
from geo_service.land.readers.caps import Tally
from geo_service.messages import Msg

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
            [Problem(IN_FILE, Msg("jzd.no_coordinates_section"), Msg("jzd.sections"))],
        )
    raw = RawFile(filename, "jzd", [], notes=[Msg("text.encoding", encoding=encoding)])
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
                        at_line(line_number),
                        Msg("jzd.point_before_header"),
                        Msg("jzd.start_with_header"),
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
                Problem(at_line(line_number), Msg("jzd.unreadable_line"), Msg("jzd.point_format"))
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
        "where": Msg("where.line_parcel", line=line_number, parcel=f"{parcel_id} {name}".strip()),
        "rings": {},
        "points": 0,
        "rejected": 0,
    }


def add_point(parcel: dict, fields: list[str], line_number: int, problems: list) -> None:
    northing, easting = number(fields[2]), number(fields[3])
    if northing is None or easting is None:
        parcel["rejected"] += 1
        problems.append(
            Problem(at_line(line_number), Msg("coordinates.not_numbers"), Msg("jzd.point_format"))
        )
        return
    if not 1_000_000 <= northing < 10_000_000:  # Ankang's northings are 3.5-3.75 million
        parcel["rejected"] += 1
        problems.append(Problem(at_line(line_number), Msg("xy.swapped"), Msg("jzd.xy_order")))
        return
    parcel["rings"].setdefault(fields[1], []).append((easting, northing))
    parcel["points"] += 1


def finish(parcel: dict, raw: RawFile) -> None:
    values = parcel["values"]
    if not parcel["rings"]:
        if parcel["rejected"]:
            return  # its point lines are reported already
        raw.problems.append(
            Problem(parcel["where"], Msg("jzd.header_without_points"), Msg("jzd.list_points"))
        )
        return
    declared_points = number(values.get("points", ""))
    if declared_points is not None and int(declared_points) != parcel["points"]:
        raw.problems.append(
            Problem(
                parcel["where"],
                Msg("jzd.point_count", declared=int(declared_points), found=parcel["points"]),
                Msg("jzd.compare_original"),
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
        return given, Msg("crs.from_parameter", crs=describe(given))
    where = Msg("where.jzd_header")
    if attributes.get("几度分带", "3").strip() not in ("3", "3度", ""):
        problems.append(Problem(where, Msg("jzd.not_3_degree"), Msg("jzd.convert_3_degree")))
        return None, ""
    unit = attributes.get("计量单位", "米").strip().lower()
    if unit not in ("米", "m", "metre", "meter", ""):
        problems.append(Problem(where, Msg("jzd.not_metres"), Msg("jzd.export_metres")))
    stated = attributes.get("坐标系", "")
    datum = datum_from_text(stated) if stated else None
    if datum is None or datum == "WGS 84":
        problems.append(
            Problem(
                where,
                Msg("jzd.datum_unknown", stated=stated[:60])
                if stated
                else Msg("jzd.datum_not_stated"),
                Msg("crs.override"),
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
                    Msg("jzd.mixed_prefixes", zones="、".join(map(str, found))),
                    Msg("jzd.one_zone"),
                )
            )
            return None, ""
        if zone is not None and zone != found[0]:
            problems.append(
                Problem(
                    where, Msg("jzd.zone_mismatch", zone=zone, prefix=found[0]), Msg("jzd.fix_zone")
                )
            )
            return None, ""
        zone = found[0]
    if zone is None:
        problems.append(Problem(where, Msg("jzd.zone_unknown"), Msg("jzd.give_zone")))
        return None, ""
    try:
        crs = gk_crs(datum, zone, prefixed)
    except BadRequest as exc:  # a zone that does not cover Ankang
        problems.append(Problem(where, exc.msg))
        return None, ""
    return crs, Msg(
        "jzd.crs_source",
        stated=stated[:60] or Msg("jzd.not_stated"),
        zone=field[:10] or Msg("jzd.not_stated"),
        prefix=Msg("jzd.with_prefix" if prefixed else "jzd.without_prefix"),
        epsg=crs.to_epsg(),
    )
