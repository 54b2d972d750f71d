"""A re-check's results as CSV, XLSX and an SVG map (the HTML summary's).

The tables list the changed parcels (one row each: what the check said, what the zones
version says, the change in m² and 亩, the zones before and after), with every text cell
formula-safe as in the check exports (``geo_service.cells``). The map draws the changed
parcels (coloured by their new status) over the zones before (dashed red) and after (blue),
on the parcels' Gauss-Kruger plane with a scale bar; every name and id is escaped.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Iterator

import shapely
from markupsafe import Markup, escape
from openpyxl import Workbook

from geo_service.cells import safe_row, xlsx_row
from geo_service.clock import DEFAULT_TIME_ZONE, local_time
from geo_service.land.export import STATUS_COLOURS, STATUS_ZH
from geo_service.render.sheet import (
    fit_sheet,
    gk_zone_of_lon,
    north_arrow,
    path_data,
    scale_bar,
    svg_open,
    to_gk,
    zone_of_crs,
)

COLUMNS = [
    ("check_id", "检查编号"),
    ("check_time", "检查时间"),
    ("input_name", "地块文件"),
    ("parcel_id", "地块编号"),
    ("name", "地块名称"),
    ("area_m2", "面积(m²)"),
    ("area_mu", "面积(亩)"),
    ("before_zh", "原结果"),
    ("after_zh", "新结果"),
    ("before_inside_m2", "原区内面积(m²)"),
    ("after_inside_m2", "新区内面积(m²)"),
    ("change_m2", "区内面积变化(m²)"),
    ("before_inside_mu", "原区内面积(亩)"),
    ("after_inside_mu", "新区内面积(亩)"),
    ("change_mu", "区内面积变化(亩)"),
    ("zones_before", "原涉及园区"),
    ("zones_after", "新涉及园区"),
    ("zones_version_before", "原检查所用园区版本"),
    ("before", "status_before"),
    ("after", "status_after"),
]
#: Parcels drawn on the map at most (the tables list all); ids written on at most this many.
MAX_MAP_PARCELS = 2000
MAX_LABELS = 60
MAP_SIZE = (182, 130)
MAP_FRAME = (6, 2, 170, 112)
BEFORE_COLOUR, AFTER_COLOUR = "#c0392b", "#2166ac"


def zones_text(zones: list[dict]) -> str:
    return "；".join(f"{z['name']}（{z['zone_id']}）{z['overlap_m2']:.2f} m²" for z in zones)


def row_of(parcel: dict, time_zone: str = DEFAULT_TIME_ZONE) -> dict:
    """One changed parcel as the table's columns (areas to the centimetre², 亩 to 4 places)."""
    before, after = parcel["before"], parcel["after"]
    return {
        "check_id": parcel["check_id"],
        "check_time": local_time(parcel["check_created_at"], time_zone),
        "input_name": parcel.get("input_name", ""),
        "parcel_id": parcel["parcel_id"],
        "name": parcel.get("name", ""),
        "area_m2": round(parcel["area_m2"], 2),
        "area_mu": round(parcel["area_mu"], 4),
        "before_zh": STATUS_ZH[before["status"]],
        "after_zh": STATUS_ZH[after["status"]],
        "before_inside_m2": round(before["inside_m2"], 2),
        "after_inside_m2": round(after["inside_m2"], 2),
        "change_m2": round(parcel["change_m2"], 2),
        "before_inside_mu": round(before["inside_mu"], 4),
        "after_inside_mu": round(after["inside_mu"], 4),
        "change_mu": round(parcel["change_mu"], 4),
        "zones_before": zones_text(before["zones"]),
        "zones_after": zones_text(after["zones"]),
        "zones_version_before": parcel.get("zones_version_before") or "",
        "before": before["status"],
        "after": after["status"],
    }


def csv_chunks(
    parcels: Iterable[dict], time_zone: str = DEFAULT_TIME_ZONE, batch: int = 1000
) -> Iterator[bytes]:
    """The changed parcels as CSV in pieces (UTF-8 with BOM, every text cell formula-safe)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(safe_row(label for _, label in COLUMNS))
    for count, parcel in enumerate(parcels, start=1):
        row = row_of(parcel, time_zone)
        writer.writerow(safe_row(row[key] for key, _ in COLUMNS))
        if count % batch == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def about_rows(recheck: dict, time_zone: str = DEFAULT_TIME_ZONE) -> list[tuple[str, str]]:
    """The 说明 of a re-check (XLSX sheet, HTML summary)."""
    summary, selection = recheck["summary"], recheck["selection"]
    if selection.get("checks"):
        chosen = "指定检查：" + "、".join(selection["checks"][:50])
    elif selection.get("since"):
        chosen = f"{selection['since']} 以来的检查（UTC {selection['since_utc']}）"
    else:
        chosen = "登记簿中的全部检查"
    rows = [
        ("重新检查编号", recheck["id"]),
        ("时间", local_time(recheck["created_at"], time_zone)),
        ("时间（UTC，存储值）", recheck["created_at"]),
        ("执行人", recheck.get("user") or "—"),
        ("园区图层版本", f"{recheck['zones_layer']} 第 {recheck['zones_version']} 版"),
        ("园区数据哈希", recheck["zones_sha256"]),
        ("选择", chosen),
        ("视为无变化的面积差", f"≤ {selection.get('tolerance_m2', 0.01):g} m²（状态变化总是列出）"),
        ("重新检查的检查数", str(summary.get("checks", 0))),
        ("跳过的检查数", str(summary.get("skipped", 0))),
        ("地块数", str(summary.get("parcels", 0))),
        ("有变化的地块", str(summary.get("changed", 0))),
        ("无变化的地块", str(summary.get("unchanged", 0))),
    ]
    for t in summary.get("transitions", []):
        label = f"{t['before_zh']} → {t['after_zh']}"
        rows.append((label, f"{t['parcels']} 个地块，其中 {t['changed']} 个有变化"))
    for check in summary.get("skipped_checks", []):
        rows.append((f"跳过：检查 {check['id']}", check["reason"]))
    return rows


def write_xlsx(
    recheck: dict, parcels: Iterable[dict], out, time_zone: str = DEFAULT_TIME_ZONE
) -> None:
    """The workbook (write-only: flat memory): 变化地块, then 说明."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("变化地块")
    sheet.append(xlsx_row(sheet, [label for _, label in COLUMNS]))
    for parcel in parcels:
        row = row_of(parcel, time_zone)
        sheet.append(xlsx_row(sheet, [row[key] for key, _ in COLUMNS]))
    about = book.create_sheet("说明")
    for key, value in about_rows(recheck, time_zone):
        about.append(xlsx_row(about, (key, value)))
    book.save(out)


def change_map(parcels: list[tuple[dict, bytes]], before, after, label: str) -> Markup | None:
    """An SVG of the changed parcels (``(record, wkb)``, at most MAX_MAP_PARCELS drawn) over
    the zones ``before`` and ``after`` (``(name, lon/lat geometry)`` each; ``before`` may be
    None); the zones of ``after`` are named where they show."""
    if not parcels:
        return None
    shown = parcels[:MAX_MAP_PARCELS]
    records = [r for r, _ in shown]
    lonlat = shapely.from_wkb([w for _, w in shown])
    zones = Counter(
        zone_of_crs(r.get("crs_used")) or gk_zone_of_lon(shapely.centroid(g).x)
        for r, g in zip(records, lonlat)
    )
    zone = zones.most_common(1)[0][0]
    plane = to_gk(lonlat, zone)
    sheet = fit_sheet(shapely.total_bounds(plane), zone, MAP_FRAME, 0.15, 200, 500, fine=True)
    view = sheet.view
    left, top, width, height = MAP_FRAME
    out = [
        svg_open(*MAP_SIZE, "gs-recheck-map", label),
        f'<defs><clipPath id="gs-recheck-clip"><rect x="{left}" y="{top}" width="{width}" '
        f'height="{height}"/></clipPath></defs>',
        f'<rect x="{left}" y="{top}" width="{width}" height="{height}" fill="#fbfbf7" '
        'stroke="#444" stroke-width="0.3"/>',
        '<g clip-path="url(#gs-recheck-clip)">',
    ]
    names = []
    for zones_drawn, colour, dash, fill in (
        (after, AFTER_COLOUR, "", "0.10"),
        (before, BEFORE_COLOUR, ' stroke-dasharray="1.4 0.9"', "0"),
    ):
        if not zones_drawn:
            continue
        for (name, _), shape in zip(zones_drawn, to_gk([g for _, g in zones_drawn], zone)):
            if shape is None or not shape.intersects(view):
                continue
            shown_part = shape.intersection(view.buffer(50))
            out.append(
                f'<path d="{path_data(shown_part, sheet)}" fill="{colour}" '
                f'fill-opacity="{fill}" stroke="{colour}" stroke-width="0.45"{dash}/>'
            )
            if zones_drawn is after and len(names) < MAX_LABELS:
                inner = shape.intersection(view)
                if not inner.is_empty:
                    x, y = sheet.point(*shapely.point_on_surface(inner).coords[0])
                    names.append(
                        f'<text x="{x:.2f}" y="{y + 6:.2f}" font-size="2.6" fill="{AFTER_COLOUR}" '
                        f'text-anchor="middle">{escape(name[:40])}</text>'
                    )
    out += names
    for record, shape in zip(records, plane):
        colour = STATUS_COLOURS[record["after"]["status"]]
        out.append(
            f'<path class="gs-changed" d="{path_data(shape, sheet)}" fill="{colour}" '
            'fill-opacity="0.75" stroke="#111" stroke-width="0.35"/>'
        )
    if len(records) <= MAX_LABELS:
        for record, shape in zip(records, plane):
            x, y = sheet.point(*shapely.point_on_surface(shape).coords[0])
            out.append(
                f'<text x="{x:.2f}" y="{y:.2f}" font-size="2.4" font-weight="bold" '
                f'text-anchor="middle">{escape(str(record["parcel_id"])[:40])}</text>'
            )
    out.append("</g>")
    out += north_arrow(sheet)
    out += scale_bar(sheet)
    out.append(legend(left + width - 62, top + height + 4, before is not None))
    out.append("</svg>")
    return Markup("".join(out))


def legend(x: float, y: float, with_before: bool) -> str:
    items = [("园区边界（本版）", AFTER_COLOUR, "")]
    if with_before:
        items.append(("园区边界（原检查所用）", BEFORE_COLOUR, ' stroke-dasharray="1.4 0.9"'))
    items += [(f"地块：现为{STATUS_ZH[s]}", STATUS_COLOURS[s], "") for s in STATUS_COLOURS]
    parts = ['<g class="gs-legend">']
    for i, (text, colour, dash) in enumerate(items):
        column, line = divmod(i, 3)
        px, py = x + column * 32, y + line * 3.6
        parts.append(
            f'<rect x="{px:.1f}" y="{py:.1f}" width="4" height="2.4" fill="{colour}" '
            f'fill-opacity="0.5" stroke="{colour}" stroke-width="0.4"{dash}/>'
            f'<text x="{px + 5:.1f}" y="{py + 2.1:.1f}" font-size="2.2">{escape(text)}</text>'
        )
    parts.append("</g>")
    return "".join(parts)
