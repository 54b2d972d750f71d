"""Coordinate systems and area units used across the service."""

from __future__ import annotations

#: CGCS2000 / 3-degree Gauss-Kruger CM 108E (zone 36) without the zone prefix: Ankang's
#: reference plane for whole-city figures (the city spans zones 36 and 37; see domain.md §9).
GK_AREA_CRS = "EPSG:4545"

SQUARE_METRES_PER_MU = 10000 / 15
SQUARE_METRES_PER_HECTARE = 10000.0


def m2_to_mu(area_m2: float) -> float:
    """Square metres to 亩 (1 亩 = 10000/15 m²)."""
    return area_m2 / SQUARE_METRES_PER_MU


def mu_to_m2(area_mu: float) -> float:
    """亩 to square metres."""
    return area_mu * SQUARE_METRES_PER_MU
