"""Data downloads: a layer or a check result as GeoJSON, GeoPackage, zipped Shapefile, CSV,
KML (and 界址点 txt for parcels, in ``land.jzd_writer``).

Everything is written by GDAL (pyogrio) into a private temporary folder under names chosen
here, then returned as bytes with a file name for ``Content-Disposition``.
"""

from __future__ import annotations

import io
import tempfile
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from geo_service.catalog import Layer
from geo_service.cells import safe_cell
from geo_service.geo.geojson import dumps, geometry_mapping
from geo_service.land.model import notes_text
from geo_service.messages import LANGUAGES, Msg

#: Shapefile attribute encodings: Python codec, GDAL's name, the .cpg text, the dBASE language
#: driver id. Layers are UTF-8 (English field names; values such as km² that GBK lacks); check
#: results are GBK (see land/gis_fields.py: five Chinese characters per field name, not three).
SHAPEFILE_ENCODINGS = {
    "UTF-8": ("utf-8", "UTF-8", "UTF-8", 0x00),
    "GBK": ("gbk", "CP936", "936", 0x4D),
}
#: dBASE's longest text value, in bytes.
DBF_TEXT_BYTES = 254


@dataclass
class Download:
    data: bytes
    mimetype: str
    filename: str


@dataclass(frozen=True)
class Field:
    """A download's column: its name, its dBASE name (None: cut from the name), its meaning."""

    name: str
    short: str | None = None
    zh: str = ""
    en: str = ""


def layer_frame(layer: Layer) -> gpd.GeoDataFrame:
    """A layer's features with all their properties (WGS 84 lon/lat)."""
    rows = [{"id": f["id"], **f["properties"]} for f in layer.features]
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=list(layer.geometries), crs="EPSG:4326")


@dataclass(frozen=True)
class FrameSpec:
    """How a frame is written: the file's stem, the layer's name inside it, its columns'
    meanings (字段说明 in the Shapefile's zip and, with ``gpkg_notes``, a 字段说明 table in
    the GeoPackage) and the Shapefile's attribute encoding."""

    stem: str
    layer_name: str
    fields: list[Field] | None = None
    shapefile_encoding: str = "UTF-8"
    gpkg_notes: bool = False


def prepared(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy of ``frame`` whose lists (warnings, notes) are their Chinese texts."""
    frame = frame.copy()
    for column in frame.columns:
        if column != "geometry" and frame[column].map(lambda v: isinstance(v, list | dict)).any():
            frame[column] = frame[column].map(cell_text)
    return frame


def write_geojson(frame: gpd.GeoDataFrame, spec: FrameSpec) -> bytes:
    return geojson_bytes(frame)


def write_csv(frame: gpd.GeoDataFrame, spec: FrameSpec) -> bytes:
    return csv_bytes(frame)


def write_gpkg(frame: gpd.GeoDataFrame, spec: FrameSpec) -> bytes:
    with tempfile.TemporaryDirectory(prefix="geo_service-export-") as folder:
        path = Path(folder) / "data.gpkg"
        frame.to_file(path, layer=spec.layer_name, driver="GPKG", engine="pyogrio")
        if spec.fields and spec.gpkg_notes:
            table = pd.DataFrame(
                [(f.name, f.zh, f.en) for f in spec.fields],
                columns=["字段", "说明", "description"],
            )
            pyogrio.write_dataframe(table, path, layer="字段说明", driver="GPKG")
        return path.read_bytes()


def write_kml(frame: gpd.GeoDataFrame, spec: FrameSpec) -> bytes:
    with tempfile.TemporaryDirectory(prefix="geo_service-export-") as folder:
        path = Path(folder) / "data.kml"
        rename = "name" in frame and "Name" not in frame
        kml = frame.rename(columns={"name": "Name"}) if rename else frame
        kml.to_file(path, driver="KML", engine="pyogrio", layer=spec.layer_name)
        return path.read_bytes()


def write_shapefile(frame: gpd.GeoDataFrame, spec: FrameSpec) -> bytes:
    with tempfile.TemporaryDirectory(prefix="geo_service-export-") as folder:
        return shapefile_zip(frame, Path(folder), spec.stem, spec.fields, spec.shapefile_encoding)


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


def dbase_names(names: list[str], size: int = 10, codec: str = "utf-8") -> list[str]:
    """Field names dBASE can hold: at most ``size`` bytes in ``codec``, cut between characters
    (GDAL would cut inside one), unique (a number replaces the end of a repeated name)."""
    result: list[str] = []
    for name in names:
        short = cut_bytes(name, size, codec)
        number = 1
        while short.lower() in {r.lower() for r in result}:
            suffix = str(number)
            short = cut_bytes(name, size - len(suffix), codec) + suffix
            number += 1
        result.append(short)
    return result


def cut_bytes(text: str, size: int, codec: str = "utf-8") -> str:
    encoded = encodable(text, codec).encode(codec)
    return encoded[:size].decode(codec, errors="ignore")


def encodable(text: str, codec: str) -> str:
    """``text`` with each character ``codec`` lacks replaced by its compatibility form when
    that fits (² -> 2), else by "?"."""
    try:
        text.encode(codec)
        return text
    except UnicodeEncodeError:
        pass
    out = []
    for char in text:
        for candidate in (char, unicodedata.normalize("NFKC", char), "?"):
            try:
                candidate.encode(codec)
            except UnicodeEncodeError:
                continue
            out.append(candidate)
            break
    return "".join(out)


def dbf_values(values: pd.Series, codec: str) -> tuple[pd.Series, int, int]:
    """Text values as dBASE stores them in ``codec``: characters it lacks replaced, values cut
    at DBF_TEXT_BYTES between characters; with how many values were changed and cut."""
    texts = [v for v in values if isinstance(v, str)]
    try:  # the usual case at once: every value fits (a character is at most 4 bytes)
        "".join(texts).encode(codec)
        if max(map(len, texts), default=0) * 4 <= DBF_TEXT_BYTES:
            return values, 0, 0
    except UnicodeEncodeError:
        pass
    changed = cut = 0

    def one(value):
        nonlocal changed, cut
        if not isinstance(value, str):
            return value
        text = encodable(value, codec)
        changed += text != value
        data = text.encode(codec)
        if len(data) <= DBF_TEXT_BYTES:
            return text
        cut += 1
        return data[:DBF_TEXT_BYTES].decode(codec, errors="ignore")

    return values.map(one), changed, cut


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def shapefile_zip(
    frame: gpd.GeoDataFrame,
    folder: Path,
    stem: str,
    fields: list[Field] | None = None,
    encoding: str = "UTF-8",
) -> bytes:
    """A Shapefile in a zip, its encoding stated in the .cpg and the dBASE header; dBASE names
    are at most 10 bytes, so a 字段说明.txt (UTF-8) lists each field's full name and meaning
    (the check's reader restores the full names from it), then what the format changed."""
    codec, gdal_encoding, cpg, ldid = SHAPEFILE_ENCODINGS[encoding]
    described = {f.name: f for f in fields or ()}
    columns = [str(c) for c in frame.columns if c != "geometry"]
    notes = [described.get(c, Field(c)) for c in columns]
    short = dbase_names([f.short or f.name for f in notes], codec=codec)
    table = frame.rename(columns=dict(zip(columns, short)))
    remarks: list[Msg] = []
    for name, note in zip(short, notes):
        if pd.api.types.is_object_dtype(table[name]) or pd.api.types.is_string_dtype(table[name]):
            table[name], changed, cut = dbf_values(table[name], codec)
            if changed:
                remarks.append(
                    Msg("fieldnotes.replaced", field=note.name, count=changed, encoding=encoding)
                )
            if cut:
                remarks.append(
                    Msg("fieldnotes.cut", field=note.name, count=cut, size=DBF_TEXT_BYTES)
                )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table.to_file(
            folder / "data.shp", driver="ESRI Shapefile", engine="pyogrio", encoding=gdal_encoding
        )
    (folder / "data.cpg").write_text(cpg, encoding="ascii")
    with open(folder / "data.dbf", "r+b") as dbf:  # the language driver id, byte 29
        dbf.seek(29)
        dbf.write(bytes([ldid]))
    rows = ["Shapefile 字段\t完整字段名\t说明\tDescription"]
    rows += ["\t".join(one_line(t) for t in (s, f.name, f.zh, f.en)) for s, f in zip(short, notes)]
    chars = 5 if codec == "gbk" else 3
    remarks.insert(0, Msg("fieldnotes.encoding", encoding=encoding, cpg=cpg, chars=chars))
    rows += ["", *(m.text(lang) for m in remarks for lang in LANGUAGES)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"{stem}/{stem}{path.suffix}")
        text = "\ufeff" + "\r\n".join(rows) + "\r\n"
        archive.writestr(f"{stem}/字段说明.txt", text.encode("utf-8"))
    return buffer.getvalue()
