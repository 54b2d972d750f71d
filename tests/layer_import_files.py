"""Boundary files in every format the land check reads, with known shapes (GK zone 36 metres
from tests/land_fixtures.ORIGINS, inside Ankang) and each recognised id/name field."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import geopandas as gpd
import shapely
from conftest import LAYERS_DIR as LAYERS
from land_fixtures import shifted
from shapely.geometry import box

MU = 10000 / 15
#: Two zones 500 m apart: 1 km² and 1 km² (areas exact on EPSG:4545).
SHAPES = {"Z-1": box(0, 0, 1000, 1000), "Z-2": box(1500, 0, 2500, 1000)}
APPROVAL = "陕政函〔2019〕1号"
NAMES = {"Z-1": "一号工业园（东区）", "Z-2": "二号园区 <b>&amp;</b>"}


def current_zones() -> gpd.GeoDataFrame:
    """The repo's zones (version 1) on EPSG:4545: other layers name their ids, so an import
    of the zones layer keeps them."""
    zones = gpd.read_file(LAYERS / "zones.geojson", engine="pyogrio")
    return zones[["id", "name", "geometry"]].to_crs("EPSG:4545")


def frame(shapes=None, names=None, id_key="YQDM", name_key="YQMC", extra=None, current=True):
    """``shapes`` (GK metres around the fixtures' origin) first, then the current zones."""
    shapes = shapes or SHAPES
    names = names or NAMES
    rows = [
        {id_key: key, name_key: names.get(key, key), "批准文号": APPROVAL, **(extra or {})}
        for key in shapes
    ]
    geometries = [shifted(s, 36) for s in shapes.values()]
    if current:
        zones = current_zones()
        rows += [
            {id_key: i, name_key: n, "批准文号": "", **(extra or {})}
            for i, n in zip(zones["id"], zones["name"])
        ]
        geometries += list(zones.geometry)
    return gpd.GeoDataFrame(rows, geometry=geometries, crs="EPSG:4545")


def shapefile_zip(tmp_path, gdf=None, cpg: bool = True) -> bytes:
    """A GBK Shapefile (.cpg saying GBK unless ``cpg`` is False), zipped."""
    folder = tmp_path / "shp"
    folder.mkdir(exist_ok=True)
    (gdf if gdf is not None else frame()).to_file(
        folder / "园区边界.shp", engine="pyogrio", encoding="cp936"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            if path.suffix == ".cpg":
                if cpg:
                    archive.writestr(path.name, "GBK")
                continue
            archive.write(path, path.name)
    return buffer.getvalue()


def geopackage(tmp_path, gdf=None) -> bytes:
    path = tmp_path / "zones.gpkg"
    (gdf if gdf is not None else frame(id_key="KFQDM", name_key="KFQMC")).to_file(
        path, layer="zones", driver="GPKG", engine="pyogrio"
    )
    return path.read_bytes()


def geojson(shapes=None, names=None, id_key="zone_id", name_key="名称", crs=True) -> bytes:
    gdf = frame(shapes, names, id_key, name_key)
    if not crs:
        gdf = gdf.to_crs("EPSG:4326")
    document = json.loads(gdf.to_json(drop_id=True))
    if crs:
        document["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4545"}}
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def kml(id_key="代码", name_key="区名") -> bytes:
    lonlat = frame(id_key="id", name_key="name").to_crs("EPSG:4326")
    placemarks = []
    for key, label, geometry in zip(lonlat["id"], lonlat["name"], lonlat.geometry):
        name = label.replace("&", "&amp;").replace("<", "&lt;")
        data = (
            f'<Data name="{id_key}"><value>{key}</value></Data>'
            f'<Data name="{name_key}"><value>{name}</value></Data>'
        )
        polygons = "".join(
            "<Polygon><outerBoundaryIs><LinearRing><coordinates>"
            + " ".join(f"{x!r},{y!r}" for x, y in part.exterior.coords)
            + "</coordinates></LinearRing></outerBoundaryIs></Polygon>"
            for part in shapely.get_parts(geometry)
        )
        placemarks.append(
            f"<Placemark><ExtendedData>{data}</ExtendedData>"
            f"<MultiGeometry>{polygons}</MultiGeometry></Placemark>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document>{''.join(placemarks)}</Document></kml>"
    ).encode()


def csv_wkt(id_key="编号", name_key="name") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([id_key, name_key, "wkt"])
    whole = frame()
    for key, label, geometry in zip(whole["YQDM"], whole["YQMC"], whole.geometry):
        writer.writerow([key, label, geometry.wkt])
    return buffer.getvalue().encode("gbk")


def jzd() -> bytes:
    from land_fixtures import jzd_text

    return jzd_text(SHAPES, 36).encode("gbk")


def polygon_geojson(coordinates: list, props: dict) -> bytes:
    """One lon/lat feature (RFC 7946) with the given rings, then the current zones."""
    feature = {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": "Polygon", "coordinates": coordinates},
    }
    zones = current_zones().to_crs("EPSG:4326")
    others = [
        {
            "type": "Feature",
            "properties": {"id": i, "name": n},
            "geometry": json.loads(shapely.to_geojson(g)),
        }
        for i, n, g in zip(zones["id"], zones["name"], zones.geometry)
    ]
    return json.dumps({"type": "FeatureCollection", "features": [feature, *others]}).encode()


def gk_features(shapes: dict, props: dict[str, dict], current: bool = True) -> bytes:
    """GeoJSON in EPSG:4545 (named crs) of ``shapes`` (GK metres around the origin), then
    the current zones whose ids ``shapes`` does not use."""
    features = [
        {
            "type": "Feature",
            "properties": props[key],
            "geometry": json.loads(shapely.to_geojson(shifted(shape, 36))),
        }
        for key, shape in shapes.items()
    ]
    if current:
        zones = current_zones()
        features += [
            {
                "type": "Feature",
                "properties": {"id": i, "name": n},
                "geometry": json.loads(shapely.to_geojson(g)),
            }
            for i, n, g in zip(zones["id"], zones["name"], zones.geometry)
            if i not in shapes
        ]
    document = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4545"}},
        "features": features,
    }
    return json.dumps(document, ensure_ascii=False).encode("utf-8")
