"""KML (and the doc.kml of a KMZ), read in Python: every problem has its Placemark."""

from __future__ import annotations

import numpy as np
import pyproj

from geo_service.land.model import IN_FILE, Problem, RawFile, RawParcel
from geo_service.land.readers.caps import Tally
from geo_service.land.readers.xmlsafe import parse_xml
from geo_service.messages import Msg

KML_NS = "{http://www.opengis.net/kml/2.2}"


def read_kml(data: bytes, filename: str, limits=None) -> RawFile:
    """KML Placemarks with Polygon or MultiGeometry; KML is WGS 84 lon/lat by definition.

    Decoded by its BOM or declaration, refused with any DTD, parsed by defusedxml; nothing
    it links to (NetworkLink, href) is fetched.
    """
    from geo_service.land.readers import Limits

    tally = Tally(filename, limits or Limits())
    root = parse_xml(data, filename)
    ns = KML_NS if root.tag.startswith(KML_NS) else ""
    raw = RawFile(
        filename,
        "kml",
        [],
        pyproj.CRS.from_epsg(4326),
        Msg("kml.wgs84"),
    )
    for number, placemark in enumerate(root.iter(f"{ns}Placemark"), start=1):
        name = (placemark.findtext(f"{ns}name") or "").strip()[:200] or f"地块{number}"
        where = Msg("where.placemark", number=number, name=name)
        tally.parcel(where)
        rings, parts = [], []
        vertices = 0
        for polygon in placemark.iter(f"{ns}Polygon"):
            part = []
            for boundary in ("outerBoundaryIs", "innerBoundaryIs"):
                for ring in polygon.findall(f"{ns}{boundary}/{ns}LinearRing/{ns}coordinates"):
                    tuples = (ring.text or "").split()
                    vertices += len(tuples)
                    tally.add(where, vertices, len(tuples))
                    try:
                        values = [tuple(map(float, p.split(",")[:2])) for p in tuples]
                        array = np.asarray(values, dtype=float).reshape(-1, 2)
                    except ValueError:
                        raw.problems.append(
                            Problem(where, Msg("coordinates.malformed"), Msg("kml.coordinates"))
                        )
                        continue
                    part.append(len(rings))
                    rings.append(array)
            parts.append(part)
        if not rings:
            raw.problems.append(
                Problem(where, Msg("kml.no_polygon"), Msg("geometry.must_be_polygon"))
            )
            continue
        raw.parcels.append(
            RawParcel(name, where, rings=rings, parts=parts, attributes=kml_fields(placemark, ns))
        )
    if not raw.parcels and not raw.problems:
        raw.problems.append(Problem(IN_FILE, Msg("kml.no_placemark"), Msg("kml.no_parcels")))
    return raw


def kml_fields(placemark, ns: str) -> dict:
    """A Placemark's name, description and ExtendedData (Data and SchemaData), in file order."""
    fields = {}
    for key in ("name", "description"):
        value = placemark.findtext(f"{ns}{key}")
        if value is not None:
            fields[key] = value.strip()
    extended = placemark.find(f"{ns}ExtendedData")
    if extended is not None:
        for item in extended.iter():
            if item.tag == f"{ns}Data" and item.get("name"):
                fields[item.get("name")] = (item.findtext(f"{ns}value") or "").strip()
            elif item.tag == f"{ns}SimpleData" and item.get("name"):
                fields[item.get("name")] = (item.text or "").strip()
    return fields
