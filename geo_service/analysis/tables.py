"""The analyses as tables (one or more sheets) for CSV and XLSX, the same for API and CLI."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from geo_service.analysis.coverage import matrix_rows
from geo_service.cells import safe_row, xlsx_row


def tables(kind: str, result: dict) -> dict[str, list[dict]]:
    """Sheet name → rows; the first sheet is what CSV gives."""
    if kind == "coverage":
        return {
            "集群承载": [
                {
                    "集群": c["name"],
                    "编号": c["id"],
                    "县区": "、".join(x["name"] for x in c["counties"]),
                    "园区": "、".join(x["name"] for x in c["zones"]),
                    "新材料基地": "、".join(x["name"] for x in c["bases"]),
                    "2020年目标（亿元）": c["target_2020_yi"],
                    "依据": c["hosts_source"],
                    "说明": c["assumption"],
                }
                for c in result["clusters"]
            ],
            "县区×集群": matrix_rows(result),
        }
    if kind == "reach":
        return {
            "园区与基地可达性": [
                {
                    "对象": t["name"],
                    "类型": "园区" if t["layer"] == "zones" else "新材料基地",
                    "县区": t["county_name"],
                    "最近物流节点": t["nearest_node"],
                    "距离（km）": t["distance_km"],
                    "距离带": t["band"],
                    "距一心（km）": t["hub_distance_km"],
                    "一心距离带": t["hub_band"],
                    "位置精度": t["precision"],
                }
                for t in result["targets"]
            ]
        }
    if kind == "enclaves":
        return {
            "飞地联系": [
                {
                    "县区": link["origin_name"],
                    "飞地园区": link["host_zone_name"],
                    "所在县区": link["host_county_name"],
                    "产业": link["industries"],
                    "检查": "通过" if link["ok"] else "有问题",
                    **{k: "✓" if v else "✗" for k, v in link["checks"].items()},
                }
                for link in result["links"]
            ],
            "问题": [
                {"联系": p["link"] or "", "检查项": p["check"], "说明": p["message"]}
                for p in result["problems"]
            ],
        }
    sample = result["sample_label"]
    return {
        "目标进度": [
            {
                "目标": t["label"],
                "目标值": t["value"],
                "单位": t["unit"],
                "数据年份": t["figures_year"],
                "实际": t.get("actual"),
                "进度": t.get("progress"),
                "达标": {True: "是", False: "否", None: "无数据"}[t.get("met")],
                "覆盖集中区数": t.get("covered"),
                "依据": t["citation"],
                "数据性质": sample,
            }
            for t in result["targets"]
        ],
        "产业集群": [
            {
                "集群": c["name"],
                "2020年目标（亿元）": c["target_2020_yi"],
                "原文": c["target_wording"],
                "实际（亿元）": c["actual_yi"],
                "进度": c["progress"],
                "样例": "是" if c["sample"] else "",
            }
            for c in result["clusters"]
        ],
        "年度排名": [
            {
                "名次": r["rank"],
                "集中区": r["name"],
                "营业收入（亿元）": r["value"],
                "前五名": "★" if r["top"] else "",
                "说明": result["assessment"]["assumption"],
            }
            for r in result["ranking"]
        ],
    }


def to_csv(rows: list[dict]) -> bytes:
    """The first sheet as CSV; text that a spreadsheet would run as a formula is quoted."""
    buffer = io.StringIO()
    if rows:
        header = list(rows[0])
        writer = csv.writer(buffer)
        writer.writerow(safe_row(header))
        writer.writerows(safe_row(row.get(key) for key in header) for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(sheets: dict[str, list[dict]], note: str = "") -> bytes:
    book = Workbook(write_only=True)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        if note:
            sheet.append(xlsx_row(sheet, [note]))
        if rows:
            header = list(rows[0])
            sheet.append(xlsx_row(sheet, header))
            for row in rows:
                sheet.append(xlsx_row(sheet, (row.get(key) for key in header)))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
