"""A check's results as CSV and XLSX, and as snapshot overlays."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import geopandas as gpd
from openpyxl import Workbook

from geo_service.cells import safe_row, xlsx_row
from geo_service.clock import DEFAULT_TIME_ZONE, local_time
from geo_service.land.model import notes_text
from geo_service.messages import Msg

if TYPE_CHECKING:
    from geo_service.land.register import Register
    from geo_service.render.snapshot import SnapshotRequest

STATUS_ZH = {"inside": "区内", "partial": "部分在区内", "outside": "区外"}
STATUS_COLOURS = {"inside": "#1a9850", "partial": "#fdae61", "outside": "#d73027"}
COLUMNS = [
    ("parcel_id", "地块编号"),
    ("name", "地块名称"),
    ("status_zh", "检查结果"),
    ("status", "status"),
    ("area_m2", "面积(m²)"),
    ("area_ha", "面积(公顷)"),
    ("area_mu", "面积(亩)"),
    ("ellipsoidal_area_m2", "椭球面积(m²)"),
    ("inside_m2", "区内面积(m²)"),
    ("inside_mu", "区内面积(亩)"),
    ("outside_m2", "区外面积(m²)"),
    ("outside_mu", "区外面积(亩)"),
    ("share_inside", "区内比例"),
    ("distance_m", "距最近园区(m)"),
    ("zones_text", "涉及园区"),
    ("declared_area_ha", "申报面积(公顷)"),
    ("crs_used", "面积计算坐标系"),
    ("warnings_text", "提示"),
]
MAX_MAP_PARCELS = 3000


def row_of(parcel: dict) -> dict:
    """One parcel record with the text columns the tables show."""
    zones = "；".join(
        f"{z['name']}（{z['zone_id']}）{z['overlap_m2']:.2f} m²" for z in parcel["zones"]
    )
    return {
        **parcel,
        "status_zh": STATUS_ZH[parcel["status"]],
        "zones_text": zones,
        "warnings_text": notes_text(parcel["warnings"]),
    }


def attribute_columns(fields: Iterable[str] | None) -> list[tuple[str, str]]:
    """(attribute name, column label) for the file's fields after the result columns; a name
    that is already a result column's label gets "（原文件）" so that no two columns agree."""
    labels = {label for _, label in COLUMNS}
    return [(f, f"{f}（原文件）" if f in labels else f) for f in fields or ()]


def table_row(parcel: dict, extra: list[tuple[str, str]]) -> list:
    row = row_of(parcel)
    attributes = parcel.get("attributes") or {}
    return [row.get(key) for key, _ in COLUMNS] + [attributes.get(key) for key, _ in extra]


def rows(document: dict) -> list[dict]:
    return [row_of(parcel) for parcel in document["parcels"]]


def csv_chunks(
    records: Iterable[dict], batch: int = 1000, fields: Iterable[str] | None = None
) -> Iterator[bytes]:
    """The CSV in pieces (UTF-8 with a BOM so that Excel opens the Chinese headers), every
    text cell formula-safe; ``records`` may be a generator reading the register; ``fields``
    (the document's ``input.attribute_fields``) are the file's own columns, after the results."""
    extra = attribute_columns(fields)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(safe_row(label for _, label in COLUMNS + extra))
    for count, parcel in enumerate(records, start=1):
        writer.writerow(safe_row("" if v is None else v for v in table_row(parcel, extra)))
        if count % batch == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def to_csv(document: dict, records: Iterable[dict] | None = None) -> bytes:
    """The whole CSV as bytes (the CLI); the web streams :func:`csv_chunks` instead."""
    return b"".join(
        csv_chunks(
            document["parcels"] if records is None else records,
            fields=document["input"].get("attribute_fields"),
        )
    )


def write_xlsx(
    document: dict, records: Iterable[dict], out, time_zone: str = DEFAULT_TIME_ZONE
) -> None:
    """The workbook to ``out`` (a path or binary file) with openpyxl's write-only mode, so
    memory stays flat: ``records`` is read once (each sheet spools to its own file)."""
    extra = attribute_columns(document["input"].get("attribute_fields"))
    book = Workbook(write_only=True)
    sheet = book.create_sheet("地块检查结果")
    sheet.append(xlsx_row(sheet, [label for _, label in COLUMNS + extra]))
    zones_sheet = book.create_sheet("涉及园区")
    zones_sheet.append(
        ["地块编号", "园区编号", "园区名称", "重叠面积(m²)", "重叠面积(亩)", "占地块比例"]
    )
    for parcel in records:
        sheet.append(xlsx_row(sheet, table_row(parcel, extra)))
        for zone in parcel["zones"]:
            values = (
                parcel["parcel_id"],
                zone["zone_id"],
                zone["name"],
                zone["overlap_m2"],
                zone["overlap_mu"],
                zone["share"],
            )
            zones_sheet.append(xlsx_row(zones_sheet, values))
    about = book.create_sheet("说明")
    for key, value in about_rows(document, time_zone):
        about.append(xlsx_row(about, (key, value)))
    book.save(out)


def to_xlsx(document: dict, time_zone: str = DEFAULT_TIME_ZONE) -> bytes:
    """The workbook of a document that holds its parcels, as bytes (the CLI)."""
    buffer = io.BytesIO()
    write_xlsx(document, document["parcels"], buffer, time_zone)
    return buffer.getvalue()


def about_rows(document: dict, time_zone: str = DEFAULT_TIME_ZONE) -> list[tuple[str, str]]:
    """The 说明 of a check (XLSX sheet, report): times in ``time_zone`` and as stored (UTC)."""
    summary = document["summary"]
    return [
        ("检查编号", document["id"]),
        ("检查时间", local_time(document["created_at"], time_zone)),
        ("检查时间（UTC，登记簿存储值）", document["created_at"]),
        ("检查人", checked_by(document)),
        ("地块文件", document["input"]["name"]),
        ("文件 SHA-256", document["input"]["sha256"]),
        ("文件坐标系", document["input"]["crs"]),
        ("坐标系依据", document["input"]["crs_note"]),
        ("园区边界", document["zones"]["source"]),
        ("园区数据哈希", document["zones"]["sha256"]),
        ("园区编号字段", document["zones"].get("id_field") or "—（按要素顺序编号）"),
        ("园区名称字段", document["zones"].get("name_field") or "—（以编号为名称）"),
        ("地块文件字段", "、".join(document["input"].get("attribute_fields") or []) or "—"),
        ("数据版本", document["dataset_version"]),
        ("园区数据版本", zones_version(document)),
        ("计算方法", document["method"]),
        ("地块数", str(summary["parcels"])),
        (
            "区内 / 部分 / 区外",
            f"{summary['inside']} / {summary['partial']} / {summary['outside']}",
        ),
        ("读取说明", notes_text(document["input"].get("notes")) or "—"),
        ("提示", notes_text(document["warnings"]) or "—"),
    ]


def checked_by(document: dict) -> str:
    """Who ran the check and from where ("—" for checks from before accounts, or the CLI)."""
    who = document.get("requested_by") or {}
    user, address = who.get("user") or "", who.get("address") or ""
    if not user:
        return f"—（{address}）" if address else "—（账户功能之前的检查）"
    return f"{user}（{address}）" if address else user


def check_overlays(document: dict, parcels: gpd.GeoDataFrame, zones: gpd.GeoDataFrame):
    """A check as snapshot overlays: the zones it used (named), then its parcels by status,
    outlined thick, with their ids and a ring around any too small to see."""
    from geo_service.render.static import Overlay

    schematic = document["zones"]["schematic"]
    statuses = list(parcels["status"])  # from the register, also for big checks
    zone_title = "园区（示意范围）" if schematic else f"区界：{document['zones']['source']}"
    return [
        Overlay(
            zone_title,
            list(zones.geometry),
            ["#2166ac"] * len(zones),
            [("园区范围", "#2166ac")],
            dashed=schematic,
            fill_opacity=0.12,
            stroke="#2166ac",
            stroke_width=1.6,
            labels=[str(name) for name in zones["name"]],
        ),
        Overlay(
            "地块检查结果",
            list(parcels.geometry),
            [STATUS_COLOURS[s] for s in statuses],
            [(STATUS_ZH[s], STATUS_COLOURS[s]) for s in STATUS_COLOURS],
            fill_opacity=0.7,
            stroke="#111",
            stroke_width=2.2,
            labels=[str(parcel_id) for parcel_id in parcels["parcel_id"]],
            speck_px=8,
        ),
    ]


def draw_check(
    wanted: SnapshotRequest, register: Register, check_id: str, time_zone: str, titled: bool
) -> dict:
    """Set a snapshot request (render.snapshot) to draw a stored check: its parcels by status
    over its zones, fitted to them, titled after its file unless ``titled``, the summary as the
    subtitle. Returns the check's document (a 404 when unknown)."""
    document = register.get(check_id)
    parcels, zones = register.geometries(check_id)
    wanted.overlays = check_overlays(document, parcels, zones)
    wanted.bbox = wanted.bbox or check_bbox(parcels)
    if not titled:
        wanted.title = Msg("snapshot.check_title", name=document["input"]["name"]).text()[:80]
    s = document["summary"]
    wanted.subtitle = Msg(
        "snapshot.check_subtitle",
        id=check_id,
        created=local_time(document["created_at"], time_zone),
        inside=s["inside"],
        partial=s["partial"],
        outside=s["outside"],
    ).text()
    return document


def check_bbox(parcels: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """The parcels' extent with room around them (a fifth of their size, at least about
    300 m), so that the snapshot is fitted to them."""
    minx, miny, maxx, maxy = parcels.total_bounds
    pad = max(maxx - minx, maxy - miny) * 0.2 + 0.003
    return minx - pad, miny - pad, maxx + pad, maxy + pad


def zones_version(document: dict) -> str:
    """The store version of the zones layer a check used ("—" for an uploaded file, or a check
    stored before versions were recorded)."""
    number = document["zones"].get("layer_version")
    if not number:
        return "—"
    return Msg(
        "versions.zones_version", layer=document["zones"].get("layer", ""), number=number
    ).text()
