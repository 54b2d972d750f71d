"""``build-layers``: produce every layer file in ``layers/`` from its sources, reproducibly."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo_service.build.counties import build_counties
from geo_service.build.plan_layers import PlanBuilder, load_plan
from geo_service.build.reference import build_reference
from geo_service.geo import geojson


def build_frames(layers_dir: Path) -> dict[str, gpd.GeoDataFrame]:
    """Every layer as a GeoDataFrame in WGS84, keyed by collection id."""
    plan = load_plan(layers_dir / "src" / "plan.toml")
    seats = {str(code): seat for code, seat in plan["seats"].items()}
    plan["seats"] = seats
    plan["county_industries"] = {str(k): v for k, v in plan["county_industries"].items()}
    counties = build_counties(seats)
    builder = PlanBuilder(plan, counties)
    zones = builder.zones()
    bases = builder.bases()
    nodes = builder.logistics_nodes()
    city = shapely.union_all(counties.geometry.values)
    return {
        "counties": counties,
        "reference_rivers": build_reference(layers_dir, counties, seats),
        "zones": zones,
        "new_materials_bases": bases,
        "clusters": builder.clusters(bases, nodes),
        "logistics_nodes": nodes,
        "logistics_axes": builder.logistics_axes(city),
        "enclave_links": builder.enclave_links(),
    }


def frame_to_collection(layer_id: str, frame: gpd.GeoDataFrame) -> dict:
    """A GeoDataFrame to an RFC 7946 FeatureCollection with string ids."""
    columns = [c for c in frame.columns if c != "geometry"]
    features = []
    for row, geometry in zip(frame[columns].to_dict("records"), frame.geometry.values):
        properties = {k: _plain(v) for k, v in row.items()}
        features.append(
            {
                "type": "Feature",
                "id": str(properties["adcode"] if layer_id == "counties" else properties["id"]),
                "geometry": geojson.geometry_mapping(geometry),
                "properties": properties,
            }
        )
    return geojson.feature_collection(features, name=layer_id)


def _plain(value):
    """NumPy/pandas scalars and NaN to plain JSON values."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def build_layers(layers_dir: Path, out_dir: Path | None = None) -> list[Path]:
    """Write ``{id}.geojson`` for every layer into ``out_dir`` (default: the layers folder)."""
    out_dir = out_dir or layers_dir
    written = []
    for layer_id, frame in build_frames(layers_dir).items():
        path = out_dir / f"{layer_id}.geojson"
        geojson.write(frame_to_collection(layer_id, frame), path)
        written.append(path)
    return written
