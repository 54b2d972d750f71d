"""Parcel and boundary files: recognise the format from the bytes, then read it.

The format is sniffed from the content, never from the uploaded name, and the bytes are only
ever written to files the service names itself: nothing a user sends becomes a path or a URL
that GDAL opens.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyproj

from geo_service.errors import UnsupportedFormat
from geo_service.land.model import RawFile
from geo_service.messages import Msg

#: What the readers accept, for error messages and the API description.
FORMATS = {
    "geojson": "GeoJSON (.geojson/.json; RFC 7946 lon/lat, or a named crs)",
    "shapefile": "zipped Shapefile (.zip with .shp, .shx, .dbf, .prj, optional .cpg)",
    "gpkg": "GeoPackage (.gpkg)",
    "kml": "KML or KMZ",
    "csv": "CSV with a WKT column (wkt/geometry/geom), with crs=",
    "jzd": "界址点坐标 txt ([属性描述] + [地块坐标], UTF-8 or GBK)",
}


@dataclass(frozen=True)
class Limits:
    """Caps for one upload: what it may unpack to (zip bombs, huge archives), how many
    parcels and vertices it may hold, how deep its JSON may nest (config MAX_*)."""

    max_unpacked_bytes: int = 200 * 1024 * 1024
    max_zip_members: int = 200
    max_compression_ratio: int = 200
    max_parcels: int = 100_000
    max_vertices_per_parcel: int = 20_000
    max_vertices: int = 5_000_000
    max_json_depth: int = 64
    #: Big checks (land.big_check, config BIG_CHECK_*): a GeoPackage of more parcels than
    #: ``big_check_parcels`` (0: never) is checked a chunk at a time on a dask cluster, up to
    #: ``big_max_parcels`` parcels and ``big_max_vertices`` vertices.
    big_check_parcels: int = 0
    big_max_parcels: int = 1_000_000
    big_max_vertices: int = 50_000_000
    big_chunk: int = 50_000
    big_workers: int = 2
    big_processes: bool = False
    dask_scheduler: str = ""

    @classmethod
    def from_config(cls, config) -> Limits:
        return cls(
            max_unpacked_bytes=int(config["MAX_UNPACKED_BYTES"]),
            max_parcels=int(config["MAX_PARCELS"]),
            max_vertices_per_parcel=int(config["MAX_VERTICES_PER_PARCEL"]),
            max_vertices=int(config["MAX_VERTICES"]),
            max_json_depth=int(config["MAX_JSON_DEPTH"]),
            big_check_parcels=int(config["BIG_CHECK_PARCELS"]),
            big_max_parcels=int(config["BIG_CHECK_MAX_PARCELS"]),
            big_max_vertices=int(config["BIG_CHECK_MAX_VERTICES"]),
            big_chunk=int(config["BIG_CHECK_CHUNK"]),
            big_workers=int(config["BIG_CHECK_WORKERS"]),
            big_processes=bool(config["BIG_CHECK_PROCESSES"]),
            dask_scheduler=str(config["DASK_SCHEDULER_ADDRESS"] or ""),
        )


def sniff(data: bytes) -> str:
    """The format of ``data`` by its content: one of FORMATS' keys."""
    from geo_service.land.readers.text import decode_text

    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):  # a zip (PK 05 06: an empty one)
        return "zip"
    if data.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if data.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<", b"\x00\x00")):
        from geo_service.land.readers.xmlsafe import xml_encoding

        try:  # UTF-16/32 XML: KML saved by a Windows tool
            text = data[:4096].decode(xml_encoding(data[:4096]), errors="ignore")
        except LookupError:
            return "unknown"
        return "kml" if "kml" in text[:1024].lower() else "unknown"
    head = data[:4096]
    if b"\x00" in head:
        return "unknown"
    text = decode_text(head, strict=False).lstrip("\ufeff \t\r\n")
    if text.startswith(("{", "[")) and not text.startswith("[属性描述]"):
        return "geojson"
    if "[地块坐标]" in decode_text(data, strict=False):
        return "jzd"
    if text.startswith("<") and "kml" in text[:1024].lower():
        return "kml"
    first_line = text.splitlines()[0].lower() if text else ""
    if any(name in first_line for name in ("wkt", "geometry", "geom", "几何")):
        return "csv"
    if any(len(first_line.split(d)) >= 2 for d in (",", ";", "\t", "，")):
        return "csv"  # a table without a WKT column: read_csv says so (422)
    return "unknown"


def read_parcel_file(
    data: bytes,
    filename: str,
    *,
    crs_given: pyproj.CRS | str | None = None,
    limits: Limits = Limits(),
    layer: str | None = None,
    kind: str = "polygon",
) -> RawFile:
    """Read a parcel (or boundary) file of any accepted format into a RawFile. ``kind``: the
    features wanted ("polygon", a check's; "point" or "line" for an import into such a layer:
    the readers then keep every geometry and land.prepare refuses the wrong kinds)."""
    from geo_service.land.readers import ogr, text
    from geo_service.land.readers.caps import check_raw

    form = sniff(data)
    given = crs_given if isinstance(crs_given, pyproj.CRS) else None
    if form == "geojson":
        raw = text.read_geojson(data, filename, limits, kind)
    elif form == "jzd":
        from geo_service.land.readers.jzd import read_jzd

        raw = read_jzd(data, filename, crs_given=given, limits=limits)
    elif form == "kml":
        from geo_service.land.readers.kml import read_kml

        raw = read_kml(data, filename, limits, kind)
    elif form == "csv":
        raw = text.read_csv(data, filename, limits)
    elif form == "gpkg":
        raw = ogr.read_geopackage(data, filename, layer=layer, limits=limits, kind=kind)
    elif form == "zip":
        raw = ogr.read_zip(data, filename, limits=limits, layer=layer, kind=kind)
    else:
        raise UnsupportedFormat(
            "format.unknown",
            file=filename,
            formats=Msg("format.accepted"),
            details={"file": filename, "accepted": list(FORMATS.values())},
        )
    check_raw(raw, limits)
    return raw
