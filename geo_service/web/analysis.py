"""Plan analysis over HTTP: /api/analysis/{coverage,reach,enclaves,targets} and /analysis."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, render_template, request

from geo_service import formats
from geo_service.analysis import run_analysis
from geo_service.analysis.files import AnalysisOutput, TemplateOutput
from geo_service.analysis.reach import parse_bands
from geo_service.errors import BadRequest, NotFound
from geo_service.formats import OutputFormat
from geo_service.query.params import is_integer
from geo_service.web.http import file_response
from geo_service.web.ogc import catalog
from geo_service.web.security import client_address, current_user

bp = Blueprint("analysis", __name__)
KINDS = ("coverage", "reach", "enclaves", "targets")
#: The analyses' names in their downloads' file names (as the page's tabs name them).
TITLES = {
    "coverage": "集群覆盖",
    "reach": "物流可达",
    "enclaves": "飞地联系",
    "targets": "目标进度",
}


def download(data, fmt: OutputFormat, name: str, fallback: str) -> Response:
    """A file with its format's media type, its Chinese ``name`` and an ASCII ``fallback``
    (stems)."""
    extension = fmt.extension
    return file_response(
        data,
        fmt.media,
        f"{name}.{extension}",
        fallback=f"{fallback}.{extension}",
        inline=fmt.inline,
    )


def analysis_context() -> dict:
    return {
        "catalog": catalog(),
        "targets": current_app.extensions["geo_service.targets"],
        "actuals": current_app.extensions["geo_service.actuals"],
    }


def parse_year(text: str | None) -> int | None:
    if text in (None, ""):
        return None
    if not is_integer(text) or not 2000 <= int(text) <= 2100:  # str.isdigit() takes "²"
        raise BadRequest("analysis.bad_year", year=text[:40])
    return int(text)


@bp.get("/api/analysis/<kind>")
def analysis(kind: str):
    if kind not in KINDS:
        raise NotFound("analysis.unknown_kind", kind=kind[:64], choices=", ".join(KINDS))
    year = parse_year(request.args.get("year"))
    bands = parse_bands(request.args.get("bands"))  # a bad bands= is a 400 for every kind
    table = formats.REACH_EXPORTS if kind == "reach" else formats.ANALYSIS_EXPORTS
    fmt = formats.choose(table, request.args.get("f", "json"))
    result = run_analysis(
        kind,
        **analysis_context(),
        bands=request.args.get("bands"),
        year=year,
    )
    if fmt.writer is None:
        return result
    data = fmt.writer(AnalysisOutput(kind, result, catalog(), bands))
    return download(data, fmt, f"规划分析_{TITLES[kind]}", f"analysis-{kind}")


@bp.post("/api/analysis/targets/actuals")
def import_actuals():
    """Import actual figures (CSV/XLSX); all or nothing, bad rows reported by line."""
    file = request.files.get("file")
    if file is None:
        raise BadRequest("actuals.file_required")
    store = current_app.extensions["geo_service.actuals"]
    user = current_user()
    summary = store.import_file(
        file.read(), file.filename or "file", catalog(), user.name, client_address()
    )
    g.audit_detail = {"file": summary["file"], "imported": summary["imported"]}
    return summary, 201


@bp.get("/api/analysis/targets/template")
def actuals_template():
    year = parse_year(request.args.get("year")) or 2021
    fmt = formats.choose(formats.TEMPLATE_EXPORTS, request.args.get("f", "csv"))
    data = fmt.writer(TemplateOutput(catalog(), year))
    return download(data, fmt, f"实际数据模板_{year}", f"actuals-template-{year}")


@bp.get("/analysis")
def analysis_page():
    linked = [f for f in formats.ANALYSIS_EXPORTS.values() if f.linked]
    return render_template("analysis.html", catalog=catalog(), downloads=linked)
