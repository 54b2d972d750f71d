"""GCJ-02 ("Mars coordinates") <-> WGS84, vectorised with NumPy.

Amap/Gaode and Tencent publish coordinates in GCJ-02, an obfuscated datum that sits a few
hundred metres off WGS84/CGCS2000. The forward transform (WGS84 -> GCJ-02) is the widely
published closed form (Krasovsky 1940 ellipsoid constants); its inverse has no closed form, so
``gcj02_to_wgs84`` iterates the forward transform to sub-millimetre agreement.
"""

from __future__ import annotations

import numpy as np

KRASOVSKY_A = 6378245.0
KRASOVSKY_EE = 0.00669342162296594323

#: Method text recorded in layer metadata wherever the inverse is applied.
INVERSE_METHOD = (
    "GCJ-02 -> WGS84 by fixed-point iteration of the published forward transform "
    "(Krasovsky 1940 constants) until the round trip agrees to 1e-10 degree (< 0.1 mm)"
)


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Offset (dlon, dlat) in degrees that GCJ-02 adds to a WGS84 position."""
    x = lon - 105.0
    y = lat - 35.0
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - KRASOVSKY_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((KRASOVSKY_A * (1 - KRASOVSKY_EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (KRASOVSKY_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Forward transform: WGS84 lon/lat (arrays or scalars) to GCJ-02."""
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    dlon, dlat = _delta(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat, tolerance_deg: float = 1e-10, max_iter: int = 50):
    """Inverse transform: GCJ-02 lon/lat to WGS84 by iterating the forward transform."""
    gcj_lon = np.asarray(lon, dtype="float64")
    gcj_lat = np.asarray(lat, dtype="float64")
    wgs_lon, wgs_lat = gcj_lon.copy(), gcj_lat.copy()
    for _ in range(max_iter):
        fwd_lon, fwd_lat = wgs84_to_gcj02(wgs_lon, wgs_lat)
        err_lon, err_lat = fwd_lon - gcj_lon, fwd_lat - gcj_lat
        wgs_lon = wgs_lon - err_lon
        wgs_lat = wgs_lat - err_lat
        if (
            max(np.max(np.abs(err_lon), initial=0), np.max(np.abs(err_lat), initial=0))
            < tolerance_deg
        ):
            break
    return wgs_lon, wgs_lat


def transform_geometries(geometries, to_wgs84: bool = True):
    """Apply the GCJ-02 shift to an array of shapely geometries (either direction)."""
    import shapely

    func = gcj02_to_wgs84 if to_wgs84 else wgs84_to_gcj02

    def _apply(coords: np.ndarray) -> np.ndarray:
        lon, lat = func(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geometries, _apply)
