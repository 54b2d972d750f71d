"""The check report a bureau files: HTML laid out for A4, printed to PDF by headless Chromium.

Title block, summary, an overview map, the parcels' list, a page section for each of the first
parcels (map, the file's attributes, areas, zones), method and data, and the signature block
(``REPORT_ORG``, ``REPORT_SIGNATURES``). Times in ``TIME_ZONE`` (Beijing time by default).
Everything from a file or the configuration is escaped by the template; the template itself is
rendered by the function the web layer passes in ``CheckOutput.render_template``.
"""

from __future__ import annotations

import re

from geo_service.clock import local_date, local_time, zone_label
from geo_service.errors import TooLarge
from geo_service.land import export
from geo_service.land.check_files import CheckOutput
from geo_service.messages import Msg
from geo_service.render import chromium
from geo_service.render.report_map import MAX_NUMBERS, ReportMaps
from geo_service.render.sheet import plane_name
from geo_service.render.standalone import inline_assets

#: Above this many parcels the PDF is refused (413): the report would only list the first ones.
MAX_PDF_PARCELS = 20_000
#: The HTML/PDF report lists this many parcels; the CSV/XLSX have them all.
REPORT_PARCELS = 1000
#: Parcels with their own map and attribute table; the rest are in the list only.
DETAIL_PARCELS = 20
#: Of a parcel's attributes, the report shows this many fields of this many characters.
DETAIL_FIELDS = 30
DETAIL_CHARS = 300
#: Rows of the 说明 that the title block already shows.
IN_TITLE = {
    "检查编号",
    "检查时间",
    "检查人",
    "地块文件",
    "文件 SHA-256",
    "文件坐标系",
    "园区边界",
    "园区数据哈希",
    "数据版本",
    "园区数据版本",
    "地块数",
    "区内 / 部分 / 区外",
}


def shown_value(value) -> str:
    """An attribute as the report prints it: "—" for nothing, long text cut with "…"."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:g}" if value == value else "—"
    text = str(value)
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"


def detail(record: dict, number: int, maps: ReportMaps) -> dict:
    """One parcel's section: its map (when its geometry was drawn) and its fields."""
    attributes = list((record.get("attributes") or {}).items())
    index = number - 1
    svg = sheet = None
    if index < len(maps.parcels):
        svg, sheet = maps.parcel(index, {z["zone_id"] for z in record["zones"]})
    return {
        "number": number,
        "record": record,
        "svg": svg,
        "sheet": sheet,
        "attributes": [(str(k), shown_value(v)) for k, v in attributes[:DETAIL_FIELDS]],
        "more_attributes": max(0, len(attributes) - DETAIL_FIELDS),
    }


def signatures(document: dict, roles) -> list[dict]:
    """The roles who sign; the first is pre-filled with the account that ran the check."""
    user = (document.get("requested_by") or {}).get("user") or ""
    return [{"role": role, "name": user if i == 0 else ""} for i, role in enumerate(roles)]


def report_context(output: CheckOutput, document: dict) -> dict:
    """What ``check_report.html`` is rendered with, for a stored check.

    A big check lists its first REPORT_PARCELS parcels, gives the first DETAIL_PARCELS their
    own map, and says which are left out and that the CSV/XLSX have them all."""
    check_id = document["id"]
    zone = output.time_zone
    register = output.register
    total = document["summary"]["parcels"]
    listed = list(register.iter_parcels(check_id, limit=REPORT_PARCELS))
    parcels, zones = register.geometries(check_id, limit=export.MAX_MAP_PARCELS)
    maps = ReportMaps(
        parcels,
        zones,
        document["zones"]["schematic"],
        [r.get("crs_used") or "" for r in listed[: len(parcels)]],
    )
    overview, overview_sheet = maps.overview() if len(parcels) else (None, None)
    details = [detail(r, n, maps) for n, r in enumerate(listed[:DETAIL_PARCELS], start=1)]
    notes = []
    if total > len(details):
        drawn = Msg("report.partial_drawn", drawn=len(parcels)) if total > len(parcels) else ""
        notes.append(
            Msg(
                "report.partial_listing",
                total=total,
                detailed=len(details),
                listed=len(listed),
                drawn=drawn,
            )
        )
    return dict(
        check=document,
        listed=listed,
        details=details,
        overview=overview,
        overview_sheet=overview_sheet,
        numbered=len(parcels) <= MAX_NUMBERS,
        notes=notes,
        total=total,
        created=local_time(document["created_at"], zone),
        date=local_date(document["created_at"], zone),
        zone_label=zone_label(zone),
        checked_by=export.checked_by(document),
        about=[row for row in export.about_rows(document, zone) if row[0] not in IN_TITLE],
        status_zh=export.STATUS_ZH,
        status_colours=export.STATUS_COLOURS,
        org=output.org,
        signatures=signatures(document, output.signatures),
        sheet_name=plane_name,
        page_id=re.sub(r"[^0-9A-Za-z_-]", "", check_id)[:40],
    )


def report_html(output: CheckOutput, document: dict) -> str:
    """The report as HTML, rendered by the web layer's template function."""
    return output.render_template("check_report.html", **report_context(output, document))


def report_pdf(output: CheckOutput, document: dict) -> bytes:
    """The report printed to PDF by headless Chromium (at most ``output.renders`` at once, else
    503 with Retry-After); past MAX_PDF_PARCELS parcels a 413."""
    parcels = document["summary"]["parcels"]
    if parcels > MAX_PDF_PARCELS:
        raise TooLarge(
            "report.too_many_parcels",
            parcels=parcels,
            max=MAX_PDF_PARCELS,
            details={"parcels": parcels, "max": MAX_PDF_PARCELS},
        )
    html = report_html(output, document)
    browser = chromium.find_chromium(output.chromium_path)
    with output.renders.hold():
        return chromium.pdf(browser, inline_assets(html))
