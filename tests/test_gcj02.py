"""GCJ-02 conversion against published test vectors and its own inverse."""

import numpy as np
import pytest

from geo_service.geo.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02

# (wgs lon, wgs lat, gcj lon, gcj lat): the test vectors of the eviltransform project.
VECTORS = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
]


@pytest.mark.parametrize(("lon", "lat", "gcj_lon", "gcj_lat"), VECTORS)
def test_forward_matches_published_vectors(lon, lat, gcj_lon, gcj_lat):
    out_lon, out_lat = wgs84_to_gcj02(lon, lat)
    assert out_lon == pytest.approx(gcj_lon, abs=1e-9)
    assert out_lat == pytest.approx(gcj_lat, abs=1e-9)


@pytest.mark.parametrize(("lon", "lat", "gcj_lon", "gcj_lat"), VECTORS)
def test_inverse_recovers_wgs84(lon, lat, gcj_lon, gcj_lat):
    out_lon, out_lat = gcj02_to_wgs84(gcj_lon, gcj_lat)
    assert out_lon == pytest.approx(lon, abs=1e-9)
    assert out_lat == pytest.approx(lat, abs=1e-9)


def test_inverse_is_sub_millimetre_over_ankang():
    lon, lat = np.meshgrid(np.linspace(108.0, 110.3, 60), np.linspace(31.6, 33.9, 60))
    gcj_lon, gcj_lat = wgs84_to_gcj02(lon.ravel(), lat.ravel())
    back_lon, back_lat = gcj02_to_wgs84(gcj_lon, gcj_lat)
    # 1e-8 degree is about 1 mm
    assert np.max(np.abs(back_lon - lon.ravel())) < 1e-8
    assert np.max(np.abs(back_lat - lat.ravel())) < 1e-8
    # and the shift itself is the few hundred metres the datum is known for
    shift_m = np.hypot((gcj_lon - lon.ravel()) * 94_000, (gcj_lat - lat.ravel()) * 111_000)
    assert shift_m.min() > 100 and shift_m.max() < 1000
