"""What parcels are checked against: the service's zones layer or the bureau's own file.

A boundary file's id and name come from its own fields: the first of ZONE_ID_FIELDS and of
ZONE_NAME_FIELDS it has (case-insensitive), or the fields the user names (zones_id_field,
zones_name_field); the result says which were used.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd

from geo_service.catalog import Layer
from geo_service.land.model import Problem, RawFile, at_parameter, input_error
from geo_service.land.prepare import prepare_parcels
from geo_service.messages import Msg

ZONE_ID_FIELDS = ("zone_id", "id", "code", "代码", "编号", "园区代码", "yqdm", "kfqdm", "bm")
ZONE_NAME_FIELDS = (
    "zone_name",
    "name",
    "名称",
    "区名",
    "园区名称",
    "开发区名称",
    "yqmc",
    "kfqmc",
    "mc",
)


@dataclass
class Zones:
    frame: gpd.GeoDataFrame  # zone_id, name, precision, geometry (lon/lat)
    source: str  # "layer:zones" or the uploaded file name
    sha256: str  # the dataset's hash (catalog) or the file's
    schematic: bool
    crs_note: Msg | str = ""
    #: The fields the ids and names came from (None: the feature ids / the ids).
    id_field: str | None = "id"
    name_field: str | None = "name"
    #: The zone attributes carried into each parcel's overlaps (asked for with zones_fields).
    fields: tuple[str, ...] = ()
    #: The store's version of the layer used (0: an uploaded file, or no store).
    layer_version: int = 0


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
        layer_version=layer.version,
    )


def field_names(attributes) -> list[str]:
    names: dict[str, None] = {}
    for values in attributes:
        names.update(dict.fromkeys(values))
    return list(names)


def pick_field(
    filename: str, names: list[str], chosen: str | None, known: tuple, form: str
) -> str | None:
    """The field ``chosen`` (it must exist: 422 listing the fields), else the first known."""
    lowered = {n.lower(): n for n in reversed(names)}
    if chosen:
        found = chosen if chosen in names else lowered.get(chosen.strip().lower())
        if found is None:
            listing = "、".join(n[:100] for n in names[:100]) or Msg("zones.no_fields")
            raise input_error(
                filename,
                [
                    Problem(
                        at_parameter(form),
                        Msg("zones.no_field", field=chosen[:100], fields=listing),
                        Msg("zones.pick_field", parameter=form),
                    )
                ],
            ) from None
        return found
    return next((lowered[k] for k in known if k in lowered), None)


def recognise_fields(
    filename: str,
    names: list[str],
    id_field: str | None,
    name_field: str | None,
    forms: tuple[str, str] = ("zones_id_field", "zones_name_field"),
) -> tuple[str | None, str | None]:
    """The id and name fields of a boundary file with the fields ``names``: those the user
    chose (``forms`` name the parameters in messages), else the first of ZONE_ID_FIELDS and
    ZONE_NAME_FIELDS it has. The one recognition of a check's zones file and of a layer
    import (geo_service.layer_import)."""
    return (
        pick_field(filename, names, id_field, ZONE_ID_FIELDS, forms[0]),
        pick_field(filename, names, name_field, ZONE_NAME_FIELDS, forms[1]),
    )


def zones_from_file(
    raw: RawFile,
    sha256: str,
    crs_given=None,
    id_field: str | None = None,
    name_field: str | None = None,
    fields: tuple[str, ...] = (),
) -> Zones:
    """The bureau's own boundaries, read and validated like parcels; id and name from the
    file's fields (see the module's description)."""
    parcels = prepare_parcels(raw, crs_given)
    attributes = list(parcels.frame["attributes"])
    names = field_names(attributes)
    id_used, name_used = recognise_fields(raw.filename, names, id_field, name_field)

    def column(field: str | None, fallback: list[str]) -> list[str]:
        if field is None:
            return fallback
        values = [a.get(field) for a in attributes]
        return [fb if v in (None, "") else str(v) for v, fb in zip(values, fallback)]

    carried = tuple(
        dict.fromkeys(pick_field(raw.filename, names, f, (), "zones_fields") for f in fields)
    )
    zone_ids = column(id_used, [str(v) for v in parcels.frame["parcel_id"]])
    frame = gpd.GeoDataFrame(
        {
            "zone_id": zone_ids,
            "name": column(name_used, zone_ids),
            "precision": "supplied",
            "attributes": [{f: a.get(f) for f in carried} for a in attributes],
        },
        geometry=parcels.frame.geometry,
        crs=parcels.frame.crs,
    )
    return Zones(
        frame,
        raw.filename,
        sha256,
        schematic=False,
        crs_note=parcels.crs_note,
        id_field=id_used,
        name_field=name_used,
        fields=carried,
    )
