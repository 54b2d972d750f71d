"""Logistics reach: distance bands around the 一心 hub and the 多点 nodes (71号 三（一）).

Straight-line distances on CGCS2000 / GK CM 108°E (EPSG:4545, metres; scale error < 0.06%
across Ankang), from each zone (its nearest edge) and each base to the nearest node. The
reading of 一心两轴多点 as places is an interpretation (see the logistics layers); a network
along the two axes is not modelled: the axes are schematic straight lines, so distances along
them would be no better than straight-line ones.
"""

from __future__ import annotations

import math

import numpy as np
import shapely

from geo_service.catalog import Catalog
from geo_service.errors import BadRequest
from geo_service.geo.units import GK_AREA_CRS
from geo_service.messages import Msg, record
from geo_service.query import params
from geo_service.query.crs import transform

PLANE = GK_AREA_CRS
DEFAULT_BANDS_KM = (10, 30, 60)


def parse_bands(text: str | None) -> tuple[float, ...]:
    if not text:
        return DEFAULT_BANDS_KM
    parts = [v.strip() for v in str(text)[:200].split(",") if v.strip()]
    if len(str(text)) > 200 or not all(params.is_number(v) for v in parts):
        raise BadRequest("reach.bad_bands", bands=str(text)[:100])
    bands = tuple(sorted(float(v) for v in parts))
    if (
        not bands
        or len(bands) > 6
        or not all(math.isfinite(b) for b in bands)
        or bands[0] <= 0
        or bands[-1] > 300
    ):
        raise BadRequest("reach.bands_range")
    return bands


def on_plane(geometries) -> np.ndarray:
    return transform(geometries, "EPSG:4326", PLANE)


def band_of(distance_km: float, bands: tuple[float, ...]) -> str:
    for limit in bands:
        if distance_km <= limit:
            return f"≤{limit:g} km"
    return f">{bands[-1]:g} km"


def reach(catalog: Catalog, bands_km: tuple[float, ...] = DEFAULT_BANDS_KM) -> dict:
    nodes = catalog.get("logistics_nodes")
    node_features = nodes.features
    node_planes = on_plane(nodes.geometries)
    tree = shapely.STRtree(node_planes)
    targets = []
    for layer_id in ("zones", "new_materials_bases"):
        layer = catalog.get(layer_id)
        planes = on_plane(layer.geometries)
        nearest, distance = tree.query_nearest(planes, return_distance=True, all_matches=False)
        hub = [i for i, f in enumerate(node_features) if f["properties"].get("role") == "一心"]
        hub_distance = (  # an edit may leave no node the hub: no distance to it then
            shapely.distance(planes[:, None], node_planes[hub][None, :]).min(axis=1)
            if hub
            else np.zeros(len(planes))
        )
        no_hub = not hub
        for i, j, metres, hub_metres in zip(nearest[0], nearest[1], distance, hub_distance):
            feature = layer.features[i]
            km = metres / 1000
            targets.append(
                {
                    "layer": layer_id,
                    "id": feature["id"],
                    "name": feature["properties"]["name"],
                    "county_name": feature["properties"].get("county_name", ""),
                    "nearest_node": node_features[j]["properties"]["name"],
                    "nearest_node_id": node_features[j]["id"],
                    "nearest_node_role": node_features[j]["properties"].get("role", ""),
                    "distance_km": round(km, 2),
                    "band": band_of(km, bands_km),
                    "hub_distance_km": None if no_hub else round(hub_metres / 1000, 2),
                    "hub_band": "" if no_hub else band_of(hub_metres / 1000, bands_km),
                    "precision": feature["properties"]["precision"],
                }
            )
    beyond = [t for t in targets if t["distance_km"] > bands_km[-1]]
    beyond_hub = [t for t in targets if (t["hub_distance_km"] or 0) > bands_km[-1]]
    return {
        "bands_km": list(bands_km),
        "nodes": [
            {
                "id": f["id"],
                "name": f["properties"]["name"],
                "role": f["properties"].get("role", ""),
                "tier": f["properties"].get("tier", ""),
            }
            for f in node_features
        ],
        "targets": targets,
        "outside_every_band": [f"{t['name']}（{t['distance_km']} km）" for t in beyond],
        "outside_hub_bands": [f"{t['name']}（{t['hub_distance_km']} km）" for t in beyond_hub],
        # method, interpretation, note: texts in Chinese, with ``i18n`` for other languages
        **record(
            method=Msg("reach.method"),
            interpretation=Msg("reach.interpretation"),
            note=Msg("reach.note"),
        ),
    }


def band_rings(catalog: Catalog, bands_km: tuple[float, ...]) -> dict:
    """The bands as GeoJSON polygons (lon/lat), unioned over all nodes, for the map."""
    nodes = on_plane(catalog.get("logistics_nodes").geometries)
    features, inner = [], None
    for limit in bands_km:
        disc = shapely.union_all(shapely.buffer(nodes, limit * 1000, quad_segs=16))
        ring = disc if inner is None else shapely.difference(disc, inner)
        inner = disc
        lonlat = transform(ring, PLANE, "EPSG:4326")
        features.append(
            {
                "type": "Feature",
                "id": f"band-{limit:g}",
                "properties": {"band": f"≤{limit:g} km", "limit_km": limit},
                "geometry": shapely.geometry.mapping(shapely.set_precision(lonlat, 1e-6)),
            }
        )
    return {"type": "FeatureCollection", "features": features}
