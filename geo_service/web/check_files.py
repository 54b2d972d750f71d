"""A check's files: GeoJSON, XLSX, GIS downloads, streamed from the register (the report:
``web.report``)."""

from __future__ import annotations

import json
import re
import tempfile

import shapely
from flask import Response, current_app, request

from geo_service.errors import BadRequest
from geo_service.exports import DATA_FORMATS, export_frame
from geo_service.geo.geojson import clean_geometries, geometry_mapping
from geo_service.land import export
from geo_service.land.gis_fields import gis_frame
from geo_service.land.jzd_writer import write_jzd
from geo_service.query import crs as part2
from geo_service.web.http import XLSX, file_response, safe_stem

GIS_DOWNLOADS = ("gpkg", "shp", "kml", "jzd")
#: CGCS2000 3-degree Gauss-Kruger zones (with and without prefix): EPSG:4513-4554.
CGCS2000_GK = range(4513, 4555)
EXPORT_EPSG = {4490, 4326, *CGCS2000_GK}
#: A check's files: kind -> (Content-Type, extension, what the file is in its Chinese name,
#: and in its ASCII fallback). Names: 用地检查_<file stem>_<id8>[_part].ext, check-<id>[-part].ext
CHECK_FILES = {
    **{kind: (media, extension, "", "") for kind, (media, extension) in DATA_FORMATS.items()},
    "xlsx": (XLSX, "xlsx", "", ""),
    "jzd": ("text/plain; charset=gb18030", "txt", "界址点", "jzd"),
    "zones": (DATA_FORMATS["geojson"][0], "geojson", "园区边界", "zones"),
    "html": ("text/html; charset=utf-8", "html", "报告", "report"),
    "pdf": ("application/pdf", "pdf", "报告", "report"),
}
CHUNK = 64 * 1024


def register():
    return current_app.extensions["geo_service.register"]


def xlsx_stream(document: dict):
    """The workbook written (write-only) to a temporary file, then sent in chunks."""
    reg = register()
    check_id = document["id"]
    out = tempfile.TemporaryFile(prefix="geo_service-xlsx-")  # noqa: SIM115 - closed by chunks()
    try:
        export.write_xlsx(
            document, reg.iter_parcels(check_id), out, current_app.config["TIME_ZONE"]
        )
        out.seek(0)
    except BaseException:
        out.close()
        raise

    def chunks():
        with out:
            while chunk := out.read(CHUNK):
                yield chunk

    return chunks()


def gis_download(check_id: str, wanted: str) -> Response:
    """GeoPackage, Shapefile, KML or 界址点 txt of a check's parcels with their results and
    the file's own attributes (after the results)."""
    reg = register()
    records, blobs = [], []
    for record, blob in reg.iter_parcels(check_id, geometry=True):
        records.append(record)
        blobs.append(blob)
    geometries = list(shapely.from_wkb(blobs)) if blobs else []
    document = reg.get(check_id)
    if wanted == "jzd":
        data = write_jzd(
            [r["parcel_id"] for r in records],
            [r.get("name") or "" for r in records],
            geometries,
            header=document["input"].get("jzd_header"),
            attributes=[r.get("attributes") or {} for r in records],
        )
        return check_file(document, "jzd", data)
    frame, fields = gis_frame(records, geometries)
    if wanted == "kml":  # WGS 84 by definition; each placemark named by its name, else its id
        frame.insert(0, "Name", [r.get("name") or r["parcel_id"] for r in records])
    else:
        frame = frame.to_crs(export_crs(document, request.args.get("crs")))
    # names inside the Shapefile's zip stay ASCII (older unzip tools garble others)
    exported = export_frame(
        frame,
        wanted,
        f"check-{check_id}",
        "check_parcels",
        fields,
        shapefile_encoding="GBK",
        gpkg_notes=True,
    )
    return check_file(document, wanted, exported.data)


def export_crs(document: dict, chosen: str | None) -> str:
    """The CRS a GeoPackage or Shapefile comes in: ``crs=`` when given (CGCS2000 lon/lat, a
    CGCS2000 3° GK zone, or WGS 84, in the OGC API's spellings: URI, ``[EPSG:n]``, ``EPSG:n``,
    ``n``), else the parcels' own: the GK zone their file was in, or CGCS2000 lon/lat
    (EPSG:4490) for geographic files and any other datum."""
    if chosen:
        code = part2.export_epsg(chosen)
        if code not in EXPORT_EPSG:
            raise BadRequest("download.bad_crs", crs=chosen[:40])
        return f"EPSG:{code}"
    found = re.match(r"EPSG:(\d+)", document["input"].get("crs") or "")
    if found and int(found.group(1)) in CGCS2000_GK:
        return f"EPSG:{found.group(1)}"
    return "EPSG:4490"


def parcel_collection(check_id: str, batch: int = 1000):
    """The checked parcels as RFC 7946 GeoJSON with their results (zones flattened), streamed
    from the register in batches."""
    rows = register().iter_parcels(check_id, geometry=True)

    def features(chunk):
        geometries = clean_geometries(shapely.from_wkb([blob for _, blob in chunk]), 7)
        for (result, _), geometry in zip(chunk, geometries):
            properties = {k: v for k, v in result.items() if k != "zones"}
            properties["zones"] = "、".join(z["name"] for z in result["zones"])
            feature = {
                "type": "Feature",
                "id": result["parcel_id"],
                "properties": properties,
                "geometry": geometry_mapping(geometry),
            }
            yield json.dumps(feature, ensure_ascii=False)

    def pieces():
        yield '{"type": "FeatureCollection", "features": ['
        first, chunk = True, []
        for row in rows:
            chunk.append(row)
            if len(chunk) == batch:
                text = ", ".join(features(chunk))
                yield text if first else ", " + text
                first, chunk = False, []
        if chunk:
            text = ", ".join(features(chunk))
            yield text if first else ", " + text
        yield "]}"

    return pieces()


def zone_collection(document: dict, zones) -> str:
    """The zones this check used (the layer's or the uploaded boundaries), as GeoJSON."""
    precision = "schematic" if document["zones"]["schematic"] else "supplied"
    features = [
        {
            "type": "Feature",
            "id": zone_id,
            "properties": {"zone_id": zone_id, "name": name, "precision": precision},
            "geometry": geometry_mapping(geometry),
        }
        for zone_id, name, geometry in zip(
            zones["zone_id"], zones["name"], clean_geometries(zones.geometry.to_numpy(), 7)
        )
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def check_filename(document: dict, extension: str, part: str = "", ascii_part: str = ""):
    """(Chinese name, ASCII fallback) of one of a check's files: 用地检查_<the uploaded file's
    stem, made safe>_<first 8 of the id>[_part].ext and check-<id>[-part].ext."""
    stem = safe_stem(document["input"].get("name") or "")
    name = "_".join(p for p in ("用地检查", stem, document["id"][:8], part) if p)
    fallback = "-".join(p for p in ("check", document["id"], ascii_part) if p)
    return f"{name}.{extension}", f"{fallback}.{extension}"


def check_file(document: dict, kind: str, data, *, inline: bool = False) -> Response:
    """A check's file (bytes or chunks) with its one Content-Type and its names."""
    media, extension, part, ascii_part = CHECK_FILES[kind]
    name, fallback = check_filename(document, extension, part, ascii_part)
    return file_response(data, media, name, fallback=fallback, inline=inline)
