"""Data downloads: a layer or a check result as GeoJSON, GeoPackage, zipped Shapefile, CSV,
KML (and 界址点 txt for parcels, in ``land.jzd_writer``).

Everything is written by GDAL (pyogrio) into a private temporary folder under names chosen
here, then returned as bytes with a file name for ``Content-Disposition``.
"""

from __future__ import annotations

import io
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo_service.catalog import Layer
from geo_service.cells import safe_cell
from geo_service.errors import NotAcceptable
from geo_service.geo.geojson import dumps, geometry_mapping
from geo_service.land.model import notes_text

DATA_FORMATS = {
    "geojson": ("application/geo+json", "geojson"),
    "gpkg": ("application/geopackage+sqlite3", "gpkg"),
    "shp": ("application/zip", "zip"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "kml": ("application/vnd.google-earth.kml+xml", "kml"),
}


@dataclass
class Download:
    data: bytes
    mimetype: str
    filename: str


def layer_frame(layer: Layer) -> gpd.GeoDataFrame:
    """A layer's features with all their properties (WGS 84 lon/lat)."""
    rows = [{"id": f["id"], **f["properties"]} for f in layer.features]
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=list(layer.geometries), crs="EPSG:4326")


def export_frame(frame: gpd.GeoDataFrame, fmt: str, stem: str, layer_name: str) -> Download:
    """``frame`` in the format ``fmt`` (one of DATA_FORMATS)."""
    if fmt not in DATA_FORMATS:
        raise NotAcceptable(
            "format.not_offered", asked=str(fmt)[:40], choices=", ".join(DATA_FORMATS)
        )
    mimetype, extension = DATA_FORMATS[fmt]
    frame = frame.copy()
    for column in frame.columns:  # lists (warnings, notes) become their Chinese texts
        if column != "geometry" and frame[column].map(lambda v: isinstance(v, list | dict)).any():
            frame[column] = frame[column].map(cell_text)
    if fmt == "geojson":
        return Download(geojson_bytes(frame), mimetype, f"{stem}.{extension}")
    if fmt == "csv":
        return Download(csv_bytes(frame), mimetype, f"{stem}.{extension}")
    with tempfile.TemporaryDirectory(prefix="geo_service-export-") as folder:
        if fmt == "gpkg":
            path = Path(folder) / "data.gpkg"
            frame.to_file(path, layer=layer_name, driver="GPKG", engine="pyogrio")
            return Download(path.read_bytes(), mimetype, f"{stem}.{extension}")
        if fmt == "kml":
            path = Path(folder) / "data.kml"
            kml = frame.rename(columns={"name": "Name"}) if "name" in frame else frame
            kml.to_file(path, driver="KML", engine="pyogrio", layer=layer_name)
            return Download(path.read_bytes(), mimetype, f"{stem}.{extension}")
        return Download(shapefile_zip(frame, Path(folder), stem), mimetype, f"{stem}.zip")


def cell_text(value):
    """A list as one text cell: a parcel's warnings (note records, or strings in older checks)
    by their Chinese texts, other items as text; anything else as it is."""
    if not isinstance(value, list | tuple):
        return value
    return "；".join(
        notes_text([v]) if isinstance(v, dict) and "message" in v else str(v) for v in value
    )


def geojson_bytes(frame: gpd.GeoDataFrame) -> bytes:
    features = []
    properties = frame.drop(columns="geometry").astype(object).where(frame.notna(), None)
    for record, geometry in zip(properties.to_dict("records"), frame.geometry):
        feature_id = record.get("id", record.get("parcel_id"))
        features.append(
            {
                "type": "Feature",
                "id": feature_id,
                "properties": record,
                "geometry": geometry_mapping(geometry),
            }
        )
    return dumps({"type": "FeatureCollection", "features": features}).encode("utf-8")


def csv_bytes(frame: gpd.GeoDataFrame) -> bytes:
    """Attributes plus a WKT column, UTF-8 with a BOM (Excel reads the Chinese); text that a
    spreadsheet would run as a formula gets a leading apostrophe (``cells.safe_cell``)."""
    table = pd.DataFrame(frame.drop(columns="geometry"))
    for column in table.columns:
        if not pd.api.types.is_numeric_dtype(table[column]):
            table[column] = table[column].map(safe_cell)
    table.columns = [safe_cell(str(c)) for c in table.columns]
    table["wkt"] = [
        None if g is None else shapely.to_wkt(g, rounding_precision=7) for g in frame.geometry
    ]
    return ("\ufeff" + table.to_csv(index=False, lineterminator="\r\n")).encode("utf-8")


def dbase_names(names: list[str], size: int = 10) -> list[str]:
    """Field names dBASE can hold: at most ``size`` bytes of UTF-8, cut between characters
    (GDAL would cut inside one), unique (a number replaces the end of a repeated name)."""
    result: list[str] = []
    for name in names:
        short = cut_utf8(name, size)
        number = 1
        while short.lower() in {r.lower() for r in result}:
            suffix = str(number)
            short = cut_utf8(name, size - len(suffix)) + suffix
            number += 1
        result.append(short)
    return result


def cut_utf8(text: str, size: int) -> str:
    return text.encode("utf-8")[:size].decode("utf-8", errors="ignore")


def shapefile_zip(frame: gpd.GeoDataFrame, folder: Path, stem: str) -> bytes:
    """A UTF-8 Shapefile (with its .cpg) in a zip; dBASE names are cut to 10 bytes, so a
    字段说明.txt lists which column each field came from (the check's reader reads it back)."""
    original = [str(c) for c in frame.columns if c != "geometry"]
    short = dbase_names(original)
    renamed = frame.rename(columns=dict(zip(original, short)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        renamed.to_file(
            folder / "data.shp", driver="ESRI Shapefile", engine="pyogrio", encoding="UTF-8"
        )
    notes = "\n".join(f"{s}\t{o}" for s, o in zip(short, original))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"{stem}/{stem}{path.suffix}")
        archive.writestr(f"{stem}/字段说明.txt", "shapefile 字段\t原字段\n" + notes + "\n")
    return buffer.getvalue()
