"""Actual figures per zone or cluster per year: imported from CSV/XLSX, kept in the store.

An import is all or nothing: every bad row is reported by its line, and nothing is stored
until the whole file is clean. Rows marked 样例 (sample) stay marked wherever they are shown.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import UTC, datetime

from sqlalchemy import bindparam, delete, insert, select

from geo_service.catalog import Catalog
from geo_service.errors import InputError, UnsupportedFormat
from geo_service.land.model import MAX_REPORTED_PROBLEMS, Problem, at_line
from geo_service.land.readers import Limits
from geo_service.land.readers.ogr import member_name, read_member, safe_members
from geo_service.land.readers.text import decode_text
from geo_service.land.readers.xmlsafe import decode_xml, refuse_dtd
from geo_service.messages import Msg
from geo_service.store import Store
from geo_service.store import schema as tables

INDICATORS = {
    "zone": {
        "revenue_yi": "营业收入（亿元）",
        "output_yi": "产值（亿元）",
        "firms": "入驻企业（户）",
        "employees": "从业人数（人）",
        "leading_firms": "龙头骨干企业（户）",
        "above_scale_firms": "规模以上企业（户）",
        "factory_floor_m2": "标准化厂房面积（平方米）",
        "built_area_km2": "建成面积（平方公里）",
    },
    "cluster": {"output_yi": "产值（亿元）"},
}
SUBJECTS = {
    "zone": "zone",
    "集中区": "zone",
    "园区": "zone",
    "cluster": "cluster",
    "集群": "cluster",
}
COLUMNS = {
    "year": ("年份", "year"),
    "subject": ("类型", "subject"),
    "id": ("编号", "id"),
    "indicator": ("指标", "indicator"),
    "value": ("数值", "value"),
    "source": ("来源", "source"),
    "sample": ("样例", "sample"),
}
SUBJECT_NAMES = {"zone": "actuals.subject_zone", "cluster": "actuals.subject_cluster"}
#: Characters of a cell quoted back in a problem.
MAX_QUOTED = 60
HEADER = ["年份", "类型", "编号", "名称", "指标", "数值", "来源", "样例"]
YES = {"是", "yes", "y", "true", "1", "样例", "sample"}


def known_ids(catalog: Catalog) -> dict[str, dict[str, str]]:
    return {
        "zone": {f["id"]: f["properties"]["name"] for f in catalog.get("zones").features},
        "cluster": {f["id"]: f["properties"]["name"] for f in catalog.get("clusters").features},
    }


def rows_of(data: bytes, filename: str) -> list[tuple[int, dict]]:
    """(line number, row) from CSV (UTF-8 or GBK) or XLSX, keyed by the canonical columns."""
    if data.startswith(b"PK\x03\x04"):
        from openpyxl import load_workbook

        check_xlsx_xml(data, filename)
        try:  # openpyxl parses through defusedxml (a requirement) when it is installed
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        except Exception:  # openpyxl raises many kinds for a broken workbook
            raise InputError("actuals.unreadable_xlsx", file=filename) from None
        table = [
            ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
        ]
    elif b"\x00" in data[:1024]:
        raise UnsupportedFormat("actuals.not_table", file=filename)
    else:
        table = list(csv.reader(io.StringIO(decode_text(data, strict=False))))
    if not table:
        raise InputError("actuals.empty", file=filename)
    header = [h.strip().lower() for h in table[0]]
    index = {}
    for key, names in COLUMNS.items():
        found = [header.index(n.lower()) for n in names if n.lower() in header]
        if found:
            index[key] = found[0]
    missing = [
        COLUMNS[k][0] for k in ("year", "subject", "id", "indicator", "value") if k not in index
    ]
    if missing:
        columns = "、".join(missing)
        problem = Problem(
            at_line(1),
            Msg("actuals.columns_missing", columns=columns),
            Msg("actuals.use_template"),
        )
        raise InputError(
            "actuals.missing_columns",
            file=filename,
            columns=columns,
            details={"file": filename, "problems": [{**problem.to_dict(), "line": 1}]},
        )
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        if not any(str(c).strip() for c in cells):
            continue
        rows.append(
            (number, {k: (cells[i].strip() if i < len(cells) else "") for k, i in index.items()})
        )
    return rows


def cut(value) -> str:
    """A cell as quoted in a problem: as it is, bounded."""
    text = str(value)
    return text if len(text) <= MAX_QUOTED else text[:MAX_QUOTED] + "…"


def check_xlsx_xml(data: bytes, filename: str) -> None:
    """An XLSX is a zip of XML parts: refuse bombs, then any part with a DTD/ENTITY
    declaration (in whatever encoding it declares), before openpyxl parses anything."""
    limits = Limits()
    archive = safe_members(data, filename, limits)
    for info in archive.infolist():
        name = member_name(info)
        if info.is_dir() or not name.lower().endswith((".xml", ".rels", ".vml")):
            continue
        refuse_dtd(decode_xml(read_member(archive, info, limits), filename, name), filename, name)


def validate(rows, catalog: Catalog, filename: str) -> list[dict]:
    ids = known_ids(catalog)
    labels = {kind: {v: k for k, v in names.items()} for kind, names in INDICATORS.items()}
    clean, problems, lines, seen = [], [], [], {}
    for line, row in rows:
        if not row.get("value"):
            continue  # a template row not filled in
        subject = SUBJECTS.get(row["subject"].lower() if row["subject"] else "")
        errors = []
        try:
            year = int(float(row["year"]))
            if not 2015 <= year <= 2035:
                errors.append(Msg("actuals.year_range", year=year))
        except ValueError:
            errors.append(Msg("actuals.not_a_year", value=cut(row["year"])))
            year = None
        if subject is None:
            errors.append(Msg("actuals.bad_subject", value=cut(row["subject"])))
        elif row["id"] not in ids[subject]:
            errors.append(
                Msg("actuals.unknown_id", id=cut(row["id"]), subject=Msg(SUBJECT_NAMES[subject]))
            )
        indicator = row["indicator"]
        if subject and indicator not in INDICATORS[subject]:
            indicator = labels[subject].get(indicator, indicator)
            if indicator not in INDICATORS[subject]:
                errors.append(
                    Msg(
                        "actuals.unknown_indicator",
                        value=cut(row["indicator"]),
                        choices="、".join(INDICATORS[subject]),
                    )
                )
        try:
            value = float(row["value"].replace(",", ""))
            if value < 0 or value != value:
                errors.append(Msg("actuals.negative", value=cut(row["value"])))
        except ValueError:
            errors.append(Msg("actuals.not_a_number", value=cut(row["value"])))
            value = None
        key = (year, subject, row["id"], indicator)
        if not errors and key in seen:
            errors.append(Msg("actuals.repeated", line=seen[key]))
        if errors:
            problems.extend(Problem(at_line(line), e) for e in errors)
            lines.extend(line for _ in errors)
            continue
        seen[key] = line
        clean.append(
            {
                "year": year,
                "subject": subject,
                "id": row["id"],
                "indicator": indicator,
                "value": value,
                "source": row.get("source", "") or filename,
                "sample": row.get("sample", "").strip().lower() in YES,
            }
        )
    if problems:
        first = problems[0]
        raise InputError(
            "actuals.problems",
            file=filename,
            count=len(problems),
            first=Msg("problem.plain", where=first.where, message=first.message),
            details={
                "file": filename,
                "problems": [
                    {**p.to_dict(), "line": line}
                    for p, line in list(zip(problems, lines))[:MAX_REPORTED_PROBLEMS]
                ],
            },
        )
    if not clean:
        raise InputError("actuals.no_figures", file=filename)
    return clean


class ActualsStore:
    """The imported actual figures in the store (tables ``actuals`` and ``actuals_imports``)."""

    def __init__(self, store: Store):
        self.store = store
        self.engine = store.engine

    def import_file(
        self, data: bytes, filename: str, catalog: Catalog, user: str = "", address: str = ""
    ) -> dict:
        """Import every row or none; the import is recorded with who made it and from where.
        A figure already there (same year, subject, id, indicator) is replaced."""
        rows = validate(rows_of(data, filename), catalog, filename)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        figures = [
            {
                "year": r["year"],
                "subject": r["subject"],
                "id": r["id"],
                "indicator": r["indicator"],
                "value": r["value"],
                "source": r["source"],
                "sample": int(r["sample"]),
                "file_name": filename,
                "imported_at": now,
                "imported_by": user,
            }
            for r in rows
        ]
        a = tables.actuals
        same = delete(a).where(
            a.c.year == bindparam("k_year"),
            a.c.subject == bindparam("k_subject"),
            a.c.id == bindparam("k_id"),
            a.c.indicator == bindparam("k_indicator"),
        )
        keys = [{f"k_{k}": f[k] for k in ("year", "subject", "id", "indicator")} for f in figures]
        with self.engine.begin() as db:
            db.execute(
                insert(tables.actuals_imports).values(
                    imported_at=now,
                    user=user,
                    address=address,
                    file_name=filename,
                    file_sha256=hashlib.sha256(data).hexdigest(),
                    rows=len(rows),
                )
            )
            db.execute(same, keys)
            db.execute(insert(a), figures)
        return {
            "imported": len(rows),
            "file": filename,
            "years": sorted({r["year"] for r in rows}),
            "sample_rows": sum(r["sample"] for r in rows),
            "imported_by": {"user": user, "address": address},
        }

    def rows(self) -> list[dict]:
        a = tables.actuals
        query = select(
            a.c.year, a.c.subject, a.c.id, a.c.indicator, a.c.value, a.c.source, a.c.sample
        ).order_by(a.c.year, a.c.subject, a.c.id, a.c.indicator)
        with self.engine.connect() as db:
            return [dict(row) for row in db.execute(query).mappings()]


def template_rows(catalog: Catalog, year: int) -> list[list]:
    """Every zone and cluster with every indicator for ``year``, values to fill in."""
    ids = known_ids(catalog)
    out = []
    for subject in ("zone", "cluster"):
        for object_id, name in ids[subject].items():
            for indicator in INDICATORS[subject]:
                out.append([year, subject, object_id, name, indicator, "", "", "否"])
    return out
