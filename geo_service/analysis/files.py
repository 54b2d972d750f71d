"""The plan analyses' files: CSV and XLSX of an analysis's tables, the reach bands as GeoJSON,
and the actual-figures template (listed in ``geo_service.formats``; no Flask)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from geo_service.analysis.actuals import HEADER, INDICATORS, template_rows
from geo_service.analysis.reach import band_rings
from geo_service.analysis.tables import tables, to_csv, to_xlsx
from geo_service.catalog import Catalog


@dataclass(frozen=True)
class AnalysisOutput:
    """What an analysis's writers read: which analysis, its result, the catalog and the reach
    bands (km) asked for."""

    kind: str
    result: dict
    catalog: Catalog
    bands: tuple[float, ...] = ()


def csv_file(output: AnalysisOutput) -> bytes:
    """The analysis's first table as CSV."""
    return to_csv(next(iter(tables(output.kind, output.result).values())))


def xlsx_file(output: AnalysisOutput) -> bytes:
    """Every table of the analysis, one sheet each, with the sample note when there is one."""
    return to_xlsx(tables(output.kind, output.result), output.result.get("sample_label", ""))


def reach_geojson(output: AnalysisOutput) -> str:
    """The reach bands around the logistics nodes (lon/lat polygons)."""
    return json.dumps(band_rings(output.catalog, output.bands), ensure_ascii=False)


@dataclass(frozen=True)
class TemplateOutput:
    """The actual-figures template of one year."""

    catalog: Catalog
    year: int


def template_rows_of(output: TemplateOutput) -> list[dict]:
    return [dict(zip(HEADER, row)) for row in template_rows(output.catalog, output.year)]


def template_csv(output: TemplateOutput) -> bytes:
    return to_csv(template_rows_of(output))


def template_xlsx(output: TemplateOutput) -> bytes:
    """The template with a sheet explaining each indicator."""
    indicators = [
        {"类型": kind, "指标": key, "说明": label}
        for kind, names in INDICATORS.items()
        for key, label in names.items()
    ]
    return to_xlsx({"实际数据": template_rows_of(output), "指标说明": indicators})
