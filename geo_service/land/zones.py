"""What parcels are checked against: the service's zones layer or the bureau's own file."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd

from geo_service.catalog import Layer
from geo_service.land.model import RawFile
from geo_service.land.prepare import prepare_parcels


@dataclass
class Zones:
    frame: gpd.GeoDataFrame  # zone_id, name, precision, geometry (lon/lat)
    source: str  # "layer:zones" or the uploaded file name
    sha256: str  # the dataset's hash (catalog) or the file's
    schematic: bool
    crs_note: str = ""


def zones_from_layer(layer: Layer, dataset_hash: str) -> Zones:
    present = [f for f in layer.features if f["geometry"] is not None]
    frame = gpd.GeoDataFrame(
        {
            "zone_id": [f["id"] for f in present],
            "name": [f["properties"]["name"] for f in present],
            "precision": [f["properties"]["precision"] for f in present],
        },
        geometry=[g for g in layer.geometries if g is not None],
        crs="EPSG:4326",
    )
    return Zones(
        frame,
        f"layer:{layer.id}",
        dataset_hash,
        schematic=bool((frame["precision"] == "schematic").any()),
    )


def zones_from_file(raw: RawFile, sha256: str, crs_given=None) -> Zones:
    """The bureau's own boundaries, read and validated like parcels."""
    parcels = prepare_parcels(raw, crs_given)
    frame = gpd.GeoDataFrame(
        {
            "zone_id": parcels.frame["parcel_id"],
            "name": parcels.frame["name"].where(
                parcels.frame["name"] != "", parcels.frame["parcel_id"]
            ),
            "precision": "supplied",
        },
        geometry=parcels.frame.geometry,
        crs=parcels.frame.crs,
    )
    return Zones(frame, raw.filename, sha256, schematic=False, crs_note=parcels.crs_note)
