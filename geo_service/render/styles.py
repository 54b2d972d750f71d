"""Feature styles and legend entries, read from the catalog: the one style source.

The interactive map and (later) static snapshots both call these functions, so a colour
changed in ``layers/catalog.toml`` changes everywhere.
"""

from __future__ import annotations

from geo_service.catalog import Catalog, Layer

POINT_TYPES = ("Point", "MultiPoint")
LINE_TYPES = ("LineString", "MultiLineString")


def category_of(layer: Layer, properties: dict) -> tuple[str, str] | None:
    """The (property, value) whose category style applies to this feature, if any."""
    for prop, values in layer.style.get("categories", {}).items():
        if properties.get(prop) in values:
            return prop, properties[prop]
    return None


def base_style(layer: Layer, properties: dict) -> dict:
    """The catalog style merged with the feature's category, without the categories table."""
    style = {k: v for k, v in layer.style.items() if k != "categories"}
    category = category_of(layer, properties)
    if category:
        style.update(layer.style["categories"][category[0]][category[1]])
    return style


def path_style(catalog: Catalog, layer: Layer, properties: dict) -> dict:
    """Leaflet path options for a polygon or line feature; schematic geometry is dashed."""
    style = base_style(layer, properties)
    options = {
        "color": style["color"],
        "weight": style.get("weight", 2),
        "opacity": 0.95,
        "fillColor": style.get("fill_color", style["color"]),
        "fillOpacity": style.get("fill_opacity", 0.0 if layer.geometry_type in LINE_TYPES else 0.3),
    }
    if style.get("dash"):
        options["dashArray"] = style["dash"]
    if properties.get("precision") == "schematic":
        options["dashArray"] = catalog.schematic_dash
    return options


def legend_entries(catalog: Catalog) -> list[dict]:
    """One entry per layer (and per category) with what a legend needs to draw a swatch."""
    entries = []
    for layer in catalog.layers.values():
        kind = (
            "point"
            if layer.geometry_type in POINT_TYPES
            else "line"
            if layer.geometry_type in LINE_TYPES
            else "polygon"
        )
        rows = [{"label": layer.style.get("label", layer.title), "style": base_style(layer, {})}]
        for prop, values in layer.style.get("categories", {}).items():
            for value in values:
                rows.append({"label": value, "style": base_style(layer, {prop: value})})
        entries.append(
            {
                "id": layer.id,
                "group": layer.group,
                "title": layer.title,
                "title_en": layer.title_en,
                "kind": kind,
                "schematic": layer.is_schematic,
                "precision": catalog.precision_labels[layer.precision],
                "rows": rows,
                "dash": catalog.schematic_dash if layer.is_schematic else "",
            }
        )
    return entries
