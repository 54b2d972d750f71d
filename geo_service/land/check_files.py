"""A stored check's files, written from the register: GeoJSON (parcels, zones), CSV, XLSX and
the GIS files (GeoPackage, Shapefile, KML, 界址点 txt). No Flask: the web layer passes what a
writer needs in a ``CheckOutput`` and names the file (``geo_service.formats`` lists them; the
report's HTML and PDF are in ``render.report``)."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import shapely

from geo_service import exports
from geo_service.errors import BadRequest
from geo_service.geo.geojson import clean_geometries, geometry_mapping
from geo_service.land import export
from geo_service.land.gis_fields import gis_frame
from geo_service.land.jzd_writer import write_jzd
from geo_service.query import crs as part2

if TYPE_CHECKING:
    from geo_service.land.jobs import Slots
    from geo_service.land.register import Register

#: CGCS2000 3-degree Gauss-Kruger zones (with and without prefix): EPSG:4513-4554.
CGCS2000_GK = range(4513, 4555)
EXPORT_EPSG = {4490, 4326, *CGCS2000_GK}
CHUNK = 64 * 1024


@dataclass(frozen=True)
class CheckOutput:
    """What a check's writers read: the register, the time zone of the dates, the ``crs=`` of
    a GeoPackage/Shapefile, ``part=`` of the GeoJSON, and for the report the template renderer
    (the web layer's), the Chromium settings and slots, the organisation and signatures."""

    register: Register
    time_zone: str
    crs: str | None = None
    render_template: Callable[..., str] | None = None
    chromium_path: str = ""
    renders: Slots | None = None  # at most so many Chromium runs at once
    org: str = ""
    signatures: tuple[str, ...] = field(default_factory=tuple)
    #: ``limit=`` of the parcels' GeoJSON: the first so many (the check page's map of a big
    #: check); None: all.
    limit: int | None = None


def csv_file(output: CheckOutput, document: dict) -> Iterator[str]:
    """Every parcel's row, streamed (CSV+BOM; formula-looking text quoted)."""
    fields = document["input"].get("attribute_fields")
    return export.csv_chunks(output.register.iter_parcels(document["id"]), fields=fields)


def xlsx_file(output: CheckOutput, document: dict) -> Iterator[bytes]:
    """The check's workbook, spooled."""
    records = output.register.iter_parcels(document["id"])
    return spooled(lambda out: export.write_xlsx(document, records, out, output.time_zone))


def spooled(write) -> Iterator[bytes]:
    """What ``write(file)`` writes (a workbook, write-only) to a temporary file, then sent
    in chunks; the file is closed when the chunks are done or the writing fails."""
    out = tempfile.TemporaryFile(prefix="geo_service-xlsx-")  # noqa: SIM115 - closed by chunks()
    try:
        write(out)
        out.seek(0)
    except BaseException:
        out.close()
        raise

    def chunks():
        with out:
            while chunk := out.read(CHUNK):
                yield chunk

    return chunks()


def parcels_geojson(output: CheckOutput, document: dict, batch: int = 1000) -> Iterator[str]:
    """The checked parcels as RFC 7946 GeoJSON with their results (zones flattened), streamed
    from the register in batches."""
    rows = output.register.iter_parcels(document["id"], geometry=True, limit=output.limit)

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


def zones_geojson(output: CheckOutput, document: dict) -> str:
    """The zones this check used (the layer's or the uploaded boundaries), as GeoJSON."""
    _, zones = output.register.geometries(document["id"], limit=0)
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


def _parcels(output: CheckOutput, check_id: str) -> tuple[list[dict], list]:
    """Every parcel's stored result and its geometry (lon/lat)."""
    records, blobs = [], []
    for record, blob in output.register.iter_parcels(check_id, geometry=True):
        records.append(record)
        blobs.append(blob)
    return records, list(shapely.from_wkb(blobs)) if blobs else []


def jzd_file(output: CheckOutput, document: dict) -> bytes:
    """The parcels as a 界址点坐标 txt (GB18030, CGCS2000 3° zone coordinates)."""
    records, geometries = _parcels(output, document["id"])
    return write_jzd(
        [r["parcel_id"] for r in records],
        [r.get("name") or "" for r in records],
        geometries,
        header=document["input"].get("jzd_header"),
        attributes=[r.get("attributes") or {} for r in records],
    )


def _gis_file(output: CheckOutput, document: dict, writer: Callable, kml: bool = False) -> bytes:
    """The parcels with their results and the file's own attributes (after the results),
    written by ``writer`` (geo_service.exports); names inside stay ASCII."""
    records, geometries = _parcels(output, document["id"])
    frame, fields = gis_frame(records, geometries)
    if kml:  # WGS 84 by definition; each placemark named by its name, else its id
        frame.insert(0, "Name", [r.get("name") or r["parcel_id"] for r in records])
    else:
        frame = part2.frame_to(frame, export_crs(document, output.crs))
    spec = exports.FrameSpec(
        f"check-{document['id']}", "check_parcels", fields, "GBK", gpkg_notes=True
    )
    return writer(exports.prepared(frame), spec)


def gpkg_file(output: CheckOutput, document: dict) -> bytes:
    return _gis_file(output, document, exports.write_gpkg)


def shapefile_file(output: CheckOutput, document: dict) -> bytes:
    return _gis_file(output, document, exports.write_shapefile)


def kml_file(output: CheckOutput, document: dict) -> bytes:
    return _gis_file(output, document, exports.write_kml, kml=True)


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


def register_geopackage(output: CheckOutput, document: dict | None = None) -> bytes:
    """The whole register as one GeoPackage (``GET /api/checks?f=gpkg``)."""
    return output.register.export_geopackage()
