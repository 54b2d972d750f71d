"""The one registry of output formats: a layer's download (``/collections/{id}/download``),
a check's files (``/api/checks/{id}?f=…``, the zones it used as ``f=geojson&part=zones``), the
register's export (``/api/checks?f=…``), the re-checks', the plan analyses' and the
actual-figures template's.

Each format says its ``f=`` value, media type, file extension, label (a name, or a message
key where the languages differ), writer, whether it takes ``crs=``, whether it is shown inline,
and whether a check links it. The routes dispatch through it, the links, the OpenAPI enums, the
pages' download lists and the "not offered" errors are made from it (``tests/test_formats.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import geopandas as gpd

from geo_service import exports
from geo_service.analysis import files as analysis_files
from geo_service.catalog import Catalog, Layer
from geo_service.errors import NotAcceptable
from geo_service.exports import Download, Field, FrameSpec
from geo_service.land import check_files
from geo_service.messages import CATALOGUE, Msg
from geo_service.query import crs as part2
from geo_service.render import report

JSON = "application/json"
GEOJSON = "application/geo+json"
GPKG = "application/geopackage+sqlite3"
ZIP = "application/zip"
CSV = "text/csv; charset=utf-8"
KML = "application/vnd.google-earth.kml+xml"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HTML = "text/html; charset=utf-8"
PDF = "application/pdf"
JZD = "text/plain; charset=gb18030"


@dataclass(frozen=True)
class OutputFormat:
    """One output format. ``label`` is a proper name (the same in every language) or a message
    key; ``part``/``ascii_part`` name what the file is in its Chinese and ASCII file names."""

    key: str  # the f= value
    media: str  # Content-Type, with its charset where it has one
    extension: str
    label: str
    writer: Callable | None = None  # None: the answer is the JSON document itself
    takes_crs: bool = False
    inline: bool = False
    linked: bool = False  # a check's links list it (rel=alternate)
    part: str = ""
    ascii_part: str = ""

    def title(self, lang: str = "zh") -> str:
        """The label in ``lang``."""
        return Msg(self.label).text(lang) if self.label in CATALOGUE else self.label

    @property
    def media_type(self) -> str:
        """The media type without parameters (the OpenAPI document's content keys)."""
        return self.media.split(";")[0]


def registry(*formats: OutputFormat) -> dict[str, OutputFormat]:
    return {f.key: f for f in formats}


#: A layer's download: written from its frame (``writer(frame, FrameSpec)``); default gpkg.
LAYER_DOWNLOADS = registry(
    OutputFormat("geojson", GEOJSON, "geojson", "GeoJSON", exports.write_geojson),
    OutputFormat("gpkg", GPKG, "gpkg", "GeoPackage", exports.write_gpkg, takes_crs=True),
    OutputFormat("shp", ZIP, "zip", "Shapefile", exports.write_shapefile, takes_crs=True),
    OutputFormat("csv", CSV, "csv", "CSV", exports.write_csv),
    OutputFormat("kml", KML, "kml", "KML", exports.write_kml),
)
DEFAULT_LAYER_DOWNLOAD = "gpkg"
#: A layer served from the store a page at a time (more than LAYER_MEMORY_MAX_FEATURES):
#: GeoJSON in WGS 84 only, written batch by batch from the database (layer_download.py);
#: the other writers would build the whole file in memory.
STORE_LAYER_DOWNLOADS = registry(LAYER_DOWNLOADS["geojson"])


def layer_downloads(in_store: bool) -> dict[str, OutputFormat]:
    """The formats a layer's download offers: all of LAYER_DOWNLOADS for a layer held in
    memory, STORE_LAYER_DOWNLOADS for one served from the store. The download refuses the
    others (400) and the legend, the collection pages and the OGC links offer exactly these."""
    return STORE_LAYER_DOWNLOADS if in_store else LAYER_DOWNLOADS


def default_layer_download(in_store: bool) -> str:
    """The ``f=`` of a layer's download without one: DEFAULT_LAYER_DOWNLOAD where offered."""
    offered = layer_downloads(in_store)
    return DEFAULT_LAYER_DOWNLOAD if DEFAULT_LAYER_DOWNLOAD in offered else next(iter(offered))


#: A check's answers: ``writer(CheckOutput, document)``; json is the document with its links.
CHECK_EXPORTS = registry(
    OutputFormat("json", JSON, "json", "JSON"),
    OutputFormat("geojson", GEOJSON, "geojson", "GeoJSON", check_files.parcels_geojson),
    OutputFormat("csv", CSV, "csv", "CSV", check_files.csv_file, linked=True),
    OutputFormat("xlsx", XLSX, "xlsx", "Excel", check_files.xlsx_file, linked=True),
    OutputFormat(
        "html",
        HTML,
        "html",
        "link.report",
        report.report_html,
        inline=True,
        linked=True,
        part="报告",
        ascii_part="report",
    ),
    OutputFormat(
        "pdf",
        PDF,
        "pdf",
        "link.report_pdf",
        report.report_pdf,
        inline=True,
        linked=True,
        part="报告",
        ascii_part="report",
    ),
    OutputFormat(
        "gpkg", GPKG, "gpkg", "GeoPackage", check_files.gpkg_file, takes_crs=True, linked=True
    ),
    OutputFormat(
        "shp", ZIP, "zip", "Shapefile", check_files.shapefile_file, takes_crs=True, linked=True
    ),
    OutputFormat("kml", KML, "kml", "KML", check_files.kml_file, linked=True),
    OutputFormat(
        "jzd",
        JZD,
        "txt",
        "link.jzd",
        check_files.jzd_file,
        linked=True,
        part="界址点",
        ascii_part="jzd",
    ),
)
#: ``f=geojson&part=…``: the parts of a check's GeoJSON other than its parcels.
CHECK_PARTS = {
    "zones": OutputFormat(
        "geojson",
        GEOJSON,
        "geojson",
        "GeoJSON",
        check_files.zones_geojson,
        part="园区边界",
        ascii_part="zones",
    ),
}
#: The register's export (``GET /api/checks``).
REGISTER_EXPORTS = registry(
    OutputFormat("json", JSON, "json", "JSON"),
    OutputFormat("gpkg", GPKG, "gpkg", "GeoPackage", check_files.register_geopackage),
)

#: A re-check's answers (``GET /api/rechecks/{id}``, web.rechecks); json is the record with
#: its changed parcels, the others are written from the store by land.recheck_export.
RECHECK_EXPORTS = registry(
    OutputFormat("json", JSON, "json", "JSON"),
    OutputFormat("csv", CSV, "csv", "CSV", linked=True),
    OutputFormat("xlsx", XLSX, "xlsx", "Excel", linked=True),
    OutputFormat(
        "html",
        HTML,
        "html",
        "link.recheck_summary",
        inline=True,
        linked=True,
        part="汇总",
        ascii_part="summary",
    ),
)

#: A plan analysis's answers (``GET /api/analysis/{kind}``): ``writer(AnalysisOutput)``; json
#: is the result itself; the reach analysis also gives its bands as GeoJSON.
ANALYSIS_EXPORTS = registry(
    OutputFormat("json", JSON, "json", "JSON"),
    OutputFormat("csv", CSV, "csv", "CSV", analysis_files.csv_file, linked=True),
    OutputFormat("xlsx", XLSX, "xlsx", "Excel", analysis_files.xlsx_file, linked=True),
)
REACH_EXPORTS = registry(
    *ANALYSIS_EXPORTS.values(),
    OutputFormat(
        "geojson", GEOJSON, "geojson", "GeoJSON", analysis_files.reach_geojson, inline=True
    ),
)
#: The actual-figures template (``GET /api/analysis/targets/template``), default csv.
TEMPLATE_EXPORTS = registry(
    OutputFormat("csv", CSV, "csv", "CSV", analysis_files.template_csv),
    OutputFormat("xlsx", XLSX, "xlsx", "Excel", analysis_files.template_xlsx),
)


def choose(table: Mapping[str, OutputFormat], asked: str) -> OutputFormat:
    """The format ``f=`` names; anything else is a 406 listing exactly ``table``'s."""
    found = table.get(asked)
    if found is None:
        raise NotAcceptable("format.not_offered", asked=asked[:40], choices=", ".join(table))
    return found


def crs_formats(table: Mapping[str, OutputFormat]) -> tuple[str, ...]:
    """The ``f=`` values of ``table`` that take ``crs=``."""
    return tuple(key for key, f in table.items() if f.takes_crs)


def check_format(asked: str, part: str | None = None) -> OutputFormat:
    """A check's format (``f=``, with ``part=`` for its GeoJSON's other parts)."""
    chosen = choose(CHECK_EXPORTS, asked)
    if chosen.key == "geojson" and part in CHECK_PARTS:
        return CHECK_PARTS[part]
    return chosen


def export_frame(
    frame: gpd.GeoDataFrame,
    fmt: str,
    stem: str,
    layer_name: str,
    fields: list[Field] | None = None,
    shapefile_encoding: str = "UTF-8",
    gpkg_notes: bool = False,
) -> Download:
    """``frame`` in the layer download format ``fmt``; ``fields`` describe its columns."""
    chosen = choose(LAYER_DOWNLOADS, str(fmt))
    spec = FrameSpec(stem, layer_name, fields, shapefile_encoding, gpkg_notes)
    data = chosen.writer(exports.prepared(frame), spec)
    return Download(data, chosen.media, f"{stem}.{chosen.extension}")


def layer_download(catalog: Catalog, layer: Layer, asked: str, crs: str | None) -> Download:
    """A whole layer as a file in ``f=asked`` (406 when not offered), in the ``crs=`` offered
    for the formats that take one (a 400 for the others), with a 字段说明 from the popups'
    labels."""
    chosen = choose(LAYER_DOWNLOADS, asked)
    frame = part2.frame_in(exports.layer_frame(layer), crs, chosen.key, chosen.takes_crs)
    labels = {"id": "要素编号", **catalog.fields}
    fields = [Field(c, None, labels.get(c, "")) for c in frame.columns if c != "geometry"]
    return export_frame(frame, chosen.key, layer.id, layer.id, fields)
