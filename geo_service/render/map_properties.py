"""The properties a feature carries on the map (embedded GeoJSON and vector tiles alike): its
own, plus the precision in words, its layer, its label and the popup's values in words
(``<field>_zh``). One definition, so a tile's popup reads as the embedded layer's does."""

from __future__ import annotations

from geo_service.catalog import Catalog, Layer
from geo_service.render.labels import label_of, popup_fields
from geo_service.render.styles import cluster_hosts, display_value

#: What every feature keeps in a tile besides its popup fields and style categories.
#: Properties the map adds to every feature (always filled), whatever its own.
ADDED = ("precision_zh",)
TILE_KEPT = ("gs_fid", "id", "layer", "gs_label", "source", "precision", "precision_zh")


class MapProperties:
    """``self(feature)``: the feature's properties as the map shows them, for one layer."""

    def __init__(self, catalog: Catalog, layer: Layer):
        self.catalog, self.layer = catalog, layer
        self.zone_names = {f["id"]: f["properties"]["name"] for f in catalog.get("zones").features}
        self.hosts = cluster_hosts(catalog) if layer.id == "clusters" else {}
        self.shown = catalog.popup.get(layer.id) or popup_fields(self.samples())

    def samples(self) -> list[dict]:
        """The features to read the layer's fields from: its own, or for a layer the store
        serves (no features held) one carrying every field of its summary, filled or not."""
        summary = getattr(self.layer, "summary", None)
        if self.layer.features or summary is None:
            return self.layer.features
        filled = {k: "" if kind is None else kind for k, kind in summary.property_types.items()}
        return [{"properties": filled}]

    def __call__(self, feature: dict) -> dict:
        catalog, layer = self.catalog, self.layer
        properties = dict(feature["properties"])
        properties["precision_zh"] = catalog.precision_labels[properties["precision"]]
        properties["layer"] = layer.id
        properties["gs_label"] = label_of(properties, layer.label_property)
        for name in self.shown:  # Folium wants every popup field in the first feature
            properties.setdefault(name, None)
        # the popup's values in words (``<field>_zh``); the codes stay for the page's script
        for name in catalog.popup.get(layer.id, []):
            value = properties.get(name)
            if name == "parent" and value:
                value = self.zone_names.get(value, value)
            words = display_value(name, value, catalog.precision_labels)
            if words != properties.get(name):
                properties[f"{name}_zh"] = words
        if feature["id"] in self.hosts:
            properties["host_county_names_zh"] = self.hosts[feature["id"]]["statement"]
        return properties

    def tile_fields(self) -> set[str]:
        """The properties a tile keeps: the map's own, the popup's (and their words), the
        label field and the properties the layer's style categories read."""
        kept = {*TILE_KEPT, *self.shown, *(f"{n}_zh" for n in self.shown)}
        kept.update(self.layer.style.get("categories", {}))
        if self.layer.label_property:
            kept.add(self.layer.label_property)
        if self.hosts:
            kept.add("host_county_names_zh")
        return kept

    def popup(self, features: list[dict]) -> tuple[list[str], list[str]]:
        """(fields, their Chinese labels) a popup shows: those some feature fills."""
        fields = [
            f
            for f in self.shown
            if f in ADDED or any(feat["properties"].get(f) not in (None, "") for feat in features)
        ]
        return fields, [self.catalog.fields.get(f, f) for f in fields]
