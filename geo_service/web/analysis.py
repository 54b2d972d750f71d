"""Plan analysis over HTTP: /api/analysis/{coverage,reach,enclaves,targets} and /analysis."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, render_template, request

from geo_service.analysis import run_analysis
from geo_service.analysis.actuals import HEADER, INDICATORS, template_rows
from geo_service.analysis.reach import band_rings, parse_bands
from geo_service.analysis.tables import tables, to_csv, to_xlsx
from geo_service.errors import BadRequest, NotAcceptable, NotFound
from geo_service.query.params import is_integer
from geo_service.web.http import CSV, GEOJSON, XLSX, file_response
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
FILE_TYPES = {"csv": CSV, "xlsx": XLSX}


def download(data, extension: str, name: str, fallback: str) -> Response:
    """A CSV or XLSX with its Chinese ``name`` and an ASCII ``fallback`` (stems)."""
    return file_response(
        data, FILE_TYPES[extension], f"{name}.{extension}", fallback=f"{fallback}.{extension}"
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
    parse_bands(request.args.get("bands"))  # a bad bands= is a 400 for every kind (OpenAPI)
    result = run_analysis(
        kind,
        **analysis_context(),
        bands=request.args.get("bands"),
        year=year,
    )
    wanted = request.args.get("f", "json")
    if wanted == "json":
        return result
    if wanted == "geojson" and kind == "reach":
        import json

        rings = band_rings(catalog(), parse_bands(request.args.get("bands")))
        return Response(json.dumps(rings, ensure_ascii=False), mimetype=GEOJSON)
    sheets = tables(kind, result)
    if wanted == "csv":
        data = to_csv(next(iter(sheets.values())))
        return download(data, "csv", f"规划分析_{TITLES[kind]}", f"analysis-{kind}")
    if wanted == "xlsx":
        note = result.get("sample_label", "")
        data = to_xlsx(sheets, note)
        return download(data, "xlsx", f"规划分析_{TITLES[kind]}", f"analysis-{kind}")
    choices = "json, csv, xlsx" + (", geojson" if kind == "reach" else "")
    raise NotAcceptable("format.not_offered", asked=wanted[:40], choices=choices)


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
    wanted = request.args.get("f", "csv")
    if wanted not in ("csv", "xlsx"):
        raise NotAcceptable("format.not_offered", asked=wanted[:40], choices="csv, xlsx")
    rows = [dict(zip(HEADER, row)) for row in template_rows(catalog(), year)]
    if wanted == "xlsx":
        indicators = [
            {"类型": kind, "指标": key, "说明": label}
            for kind, names in INDICATORS.items()
            for key, label in names.items()
        ]
        data = to_xlsx({"实际数据": rows, "指标说明": indicators})
        return download(data, "xlsx", f"实际数据模板_{year}", f"actuals-template-{year}")
    return download(to_csv(rows), "csv", f"实际数据模板_{year}", f"actuals-template-{year}")


@bp.get("/analysis")
def analysis_page():
    return render_template("analysis.html", catalog=catalog())
