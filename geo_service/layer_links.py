"""How a layer's features are tied to the other layers: the ids other layers name (the
clusters' host_zones, a base's host_zone, every zone's county), which an import must keep,
and the county a new feature lies in, which the analyses and popups read."""

from __future__ import annotations

import numpy as np
import shapely

from geo_service.catalog import Catalog, Layer
from geo_service.land.model import Problem
from geo_service.layer_checks import Finding
from geo_service.messages import Msg

#: Properties that are texts about a feature, never another feature's id.
NOT_LINKS = ("name", "name_en", "source", "precision", "assumption", "document")


def references(catalog: Catalog, layer_id: str) -> dict[str, list[str]]:
    """Each id of ``layer_id``'s current features that another layer names (a whole text
    property or one item of a comma-separated list) -> where: ``layer/feature.property``."""
    ids = {f["id"] for f in catalog.get(layer_id).features}
    found: dict[str, list[str]] = {}
    for other in catalog.layers.values():
        if other.id == layer_id:
            continue
        for feature in other.features:
            for key, value in feature["properties"].items():
                if key in NOT_LINKS or not isinstance(value, str):
                    continue
                for part in value.split(","):
                    if part.strip() in ids:
                        found.setdefault(part.strip(), []).append(
                            f"{other.id}/{feature['id']}.{key}"
                        )
    return found


def dropped_references(catalog: Catalog, layer_id: str, new_ids: set[str]) -> list[Finding]:
    """An error for each id other layers name that the new version would drop."""
    out = []
    for fid, where in references(catalog, layer_id).items():
        if fid in new_ids:
            continue
        shown = "、".join(where[:5]) + ("…" if len(where) > 5 else "")
        problem = Problem(
            Msg("import.where_current", id=fid[:200]),
            Msg("import.referenced", count=len(where), refs=shown),
            Msg("import.keep_referenced"),
        )
        out.append(Finding(problem, None, fid))
    return out


def fill_counties(
    layer: Layer, counties: Layer | None, features: list[dict], geometries: np.ndarray
) -> int:
    """Give ``county`` (and ``county_name``) to the features lacking them, from the county
    their point on surface (of ``geometries``, lon/lat) lies in, when every current feature
    of the layer has one. Returns how many were filled."""
    if counties is None or not layer.features:
        return 0
    if not all(f["properties"].get("county") not in (None, "") for f in layer.features):
        return 0
    missing = [
        i
        for i, f in enumerate(features)
        if f["properties"].get("county") in (None, "") and f.get("geometry")
    ]
    if not missing:
        return 0
    points = shapely.point_on_surface(geometries[missing])
    tree = shapely.STRtree(counties.geometries)
    at, hit = tree.query(points, predicate="within")
    county_of = dict(zip(at.tolist(), hit.tolist()))
    with_names = all("county_name" in f["properties"] for f in layer.features)
    filled = 0
    for k, i in enumerate(missing):
        if k not in county_of:
            continue
        county = counties.features[county_of[k]]
        features[i]["properties"]["county"] = county["id"]
        if with_names:
            features[i]["properties"]["county_name"] = county["properties"].get("name", "")
        filled += 1
    return filled
