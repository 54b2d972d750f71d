"""What names a feature on the map, in popups, tooltips and snapshots, whatever its layer's
fields: the catalog's ``label_property``, else ``name``, else ``origin_name`` (the enclave
links), else the first text property that is not bookkeeping."""

from __future__ import annotations

#: Properties the service adds to every feature: never a feature's name.
BOOKKEEPING = ("source", "precision", "precision_zh", "layer", "assumption", "gs_label")


def label_of(properties: dict, preferred: str = "") -> str:
    for key in (preferred, "name", "origin_name"):
        if key and properties.get(key) not in (None, ""):
            return str(properties[key])
    for key, value in properties.items():
        if key not in BOOKKEEPING and isinstance(value, str) and value.strip():
            return value
    return ""


def popup_fields(features: list[dict]) -> list[str]:
    """A layer the catalog gives no popup list: every property its features carry, in the
    order they first appear (the service's own last)."""
    names: dict[str, None] = {}
    for feature in features:
        names.update(dict.fromkeys(feature["properties"]))
    own = [n for n in names if n not in BOOKKEEPING]
    return own + [n for n in ("precision_zh", "source") if n in names or n == "precision_zh"]
