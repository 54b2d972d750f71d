"""The check against zones whose overlaps are known by construction, in zones 36 and 37."""

from __future__ import annotations

import json

import numpy as np
import pyproj
import pytest
import shapely
from land_fixtures import (
    EXPECTED,
    MU,
    PARCEL_SHAPES,
    PLANES,
    ZONE_SHAPES,
    collection,
    jzd_text,
    shifted,
)

from geo_service.geo.gcj02 import wgs84_to_gcj02
from geo_service.land.check import check_parcels, parcel_records
from geo_service.land.crs import parse_crs
from geo_service.land.prepare import prepare_parcels
from geo_service.land.readers import read_parcel_file
from geo_service.land.zones import zones_from_file
from geo_service.messages import localise

TOLERANCE_M2 = 0.001


def run(parcel_bytes: bytes, zone: int, name: str = "parcels.geojson", crs=None):
    zones_raw = read_parcel_file(collection(ZONE_SHAPES, zone), "zones.geojson")
    zones = zones_from_file(zones_raw, "sha")
    raw = read_parcel_file(parcel_bytes, name, crs_given=parse_crs(crs))
    parcels = prepare_parcels(raw, parse_crs(crs))
    result = check_parcels(parcels.frame, zones.frame)
    return {r["parcel_id"]: r for r in parcel_records(result, decimals=6)}, parcels


def assert_expected(records: dict, zone: int) -> None:
    assert set(records) == set(EXPECTED)
    for key, expected in EXPECTED.items():
        got = records[key]
        assert got["status"] == expected.status, key
        assert got["area_m2"] == pytest.approx(expected.area, abs=TOLERANCE_M2), key
        assert got["inside_m2"] == pytest.approx(expected.inside, abs=TOLERANCE_M2), key
        assert got["outside_m2"] == pytest.approx(
            expected.area - expected.inside, abs=TOLERANCE_M2
        ), key
        assert got["area_mu"] == pytest.approx(expected.area / MU, abs=1e-5), key
        assert got["distance_m"] == pytest.approx(expected.distance, abs=0.001), key
        overlaps = {z["zone_id"]: z["overlap_m2"] for z in got["zones"]}
        assert overlaps == pytest.approx(expected.zones, abs=TOLERANCE_M2), key
        for z in got["zones"]:
            assert z["name"] == f"园区{z['zone_id']}"
            assert z["share"] == pytest.approx(z["overlap_m2"] / expected.area, abs=1e-6)
        assert got["crs_used"] == PLANES[zone]


@pytest.mark.parametrize("zone", [36, 37])
def test_geojson_without_zone_prefix(zone):
    records, parcels = run(collection(PARCEL_SHAPES, zone), zone)
    assert_expected(records, zone)
    assert parcels.source_crs.startswith(PLANES[zone])


@pytest.mark.parametrize("zone", [36, 37])
def test_geojson_with_zone_prefix(zone):
    records, _ = run(collection(PARCEL_SHAPES, zone, prefixed=True), zone)
    assert_expected(records, zone)


@pytest.mark.parametrize("zone", [36, 37])
def test_jzd_with_and_without_prefix(zone):
    for prefixed in (True, False):
        text = jzd_text(PARCEL_SHAPES, zone, prefixed=prefixed)
        records, parcels = run(text.encode("gbk"), zone, "界址点.txt")
        assert_expected(records, zone)
        expected_crs = {
            (36, True): "EPSG:4524",
            (37, True): "EPSG:4525",
            (36, False): "EPSG:4545",
            (37, False): "EPSG:4546",
        }[(zone, prefixed)]
        assert parcels.source_crs.startswith(expected_crs)
        assert all(not r["warnings"] for r in records.values()), "declared areas match"


def test_ellipsoidal_area_matches_geodesic_area():
    records, parcels = run(collection(PARCEL_SHAPES, 36), 36)
    geod = pyproj.Geod(ellps="GRS80")
    for parcel_id, geometry in zip(parcels.frame["parcel_id"], parcels.frame.geometry):
        geodesic = abs(geod.geometry_area_perimeter(geometry)[0])
        assert records[parcel_id]["ellipsoidal_area_m2"] == pytest.approx(geodesic, rel=1e-6)
        # the Gauss-Kruger plane exaggerates area by its scale factor squared (~1.0003 here)
        ratio = records[parcel_id]["area_m2"] / geodesic
        assert 1.0 < ratio < 1.001


def test_declared_area_that_differs_is_reported():
    text = jzd_text({"in": PARCEL_SHAPES["in"]}, 36).replace(",1.0000,in,", ",1.2000,in,")
    records, _ = run(text.encode("utf-8"), 36, "declared.txt")
    assert records["in"]["declared_area_ha"] == 1.2
    (warning,) = records["in"]["warnings"]
    assert warning["code"] == "area.declared_differs"
    assert warning["message"].startswith("申报面积 1.2000 公顷与计算面积 1.0000 公顷不符")
    assert localise(warning, "en")["message"].startswith("the declared area 1.2000 ha differs")


def test_gcj02_input_is_shifted_back():
    """Coordinates digitised on Gaode (GCJ-02) are checked where their WGS 84 twins lie."""
    to_lonlat = pyproj.Transformer.from_crs("EPSG:4545", "EPSG:4490", always_xy=True)
    features = []
    for key, shape in PARCEL_SHAPES.items():
        lonlat = shapely.transform(
            shifted(shape, 36), lambda xy: np.column_stack(to_lonlat.transform(xy[:, 0], xy[:, 1]))
        )
        gcj = shapely.transform(
            lonlat, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))
        )
        features.append(
            {
                "type": "Feature",
                "id": key,
                "properties": {},
                "geometry": json.loads(shapely.to_geojson(gcj)),
            }
        )
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    records, parcels = run(data, 36, "gaode.geojson", crs="gcj02")
    assert parcels.source_crs.startswith("GCJ-02")
    for key, expected in EXPECTED.items():
        # shapely writes 16 significant digits, so the round trip is sub-millimetre
        assert records[key]["status"] == expected.status, key
        assert records[key]["inside_m2"] == pytest.approx(expected.inside, abs=0.01), key
