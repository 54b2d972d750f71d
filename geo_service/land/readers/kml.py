"""KML (and the doc.kml of a KMZ), read in Python: every problem has its Placemark."""

from __future__ import annotations

import numpy as np
import pyproj
import shapely

from geo_service.land.model import IN_FILE, Problem, RawFile, RawParcel
from geo_service.land.readers.caps import Tally
from geo_service.land.readers.xmlsafe import parse_xml
from geo_service.messages import Msg

KML_NS = "{http://www.opengis.net/kml/2.2}"


def read_kml(data: bytes, filename: str, limits=None, kind: str = "polygon") -> RawFile:
    """KML Placemarks with Polygon or MultiGeometry; KML is WGS 84 lon/lat by definition.
    For ``kind`` "point" or "line" (an import into such a layer) a Placemark's Points,
    LineStrings and Polygons make its geometry, and land.prepare refuses the wrong kinds.

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
        if kind != "polygon":
            shape = placemark_shape(placemark, ns, where, raw.problems, tally, kind)
            if shape is not None:
                attributes = kml_fields(placemark, ns)
                raw.parcels.append(RawParcel(name, where, geometry=shape, attributes=attributes))
            continue
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


def coordinates_of(element, ns: str, where, problems, tally, vertices: list[int]):
    """A <coordinates> element's lon/lat pairs (n, 2), counted against the caps."""
    tuples = (element.text or "").split() if element is not None else []
    vertices[0] += len(tuples)
    tally.add(where, vertices[0], len(tuples))
    try:
        values = [tuple(map(float, p.split(",")[:2])) for p in tuples]
        return np.asarray(values, dtype=float).reshape(-1, 2)
    except ValueError:
        problems.append(Problem(where, Msg("coordinates.malformed"), Msg("kml.coordinates")))
        return None


def placemark_shape(placemark, ns: str, where, problems, tally, kind: str):
    """A Placemark's Points, LineStrings and Polygons as one shapely geometry (Multi… for
    several of one kind, a GeometryCollection for mixed kinds); None with a problem."""
    from geo_service.land.prepare import give_hint

    count = [0]
    points, lines, polygons = [], [], []
    for point in placemark.iter(f"{ns}Point"):
        xy = coordinates_of(point.find(f"{ns}coordinates"), ns, where, problems, tally, count)
        if xy is None:
            return None
        if len(xy) == 1:
            points.append(shapely.Point(xy[0]))
    for line in placemark.iter(f"{ns}LineString"):
        xy = coordinates_of(line.find(f"{ns}coordinates"), ns, where, problems, tally, count)
        if xy is None:
            return None
        if len(xy) >= 2:
            lines.append(shapely.LineString(xy))
    for polygon in placemark.iter(f"{ns}Polygon"):
        rings = []
        for boundary in ("outerBoundaryIs", "innerBoundaryIs"):
            for ring in polygon.findall(f"{ns}{boundary}/{ns}LinearRing/{ns}coordinates"):
                xy = coordinates_of(ring, ns, where, problems, tally, count)
                if xy is None:
                    return None
                rings.append(xy)
        if rings and len(rings[0]) >= 4:
            polygons.append(shapely.Polygon(rings[0], [r for r in rings[1:] if len(r) >= 4]))
    found = [g for g in (points, lines, polygons) if g]
    if not found:
        problems.append(Problem(where, Msg("kml.no_geometry"), give_hint(kind)))
        return None
    if len(found) > 1:
        return shapely.GeometryCollection(points + lines + polygons)
    (parts,) = found
    if len(parts) == 1:
        return parts[0]
    kinds = {shapely.Point: shapely.MultiPoint, shapely.LineString: shapely.MultiLineString}
    return kinds.get(type(parts[0]), shapely.MultiPolygon)(parts)


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
