"""The interactive map: Folium objects built from the catalog, rendered into our template.

Layers are embedded in the page in a display form (county borders simplified as one coverage
so neighbours keep a single shared border; 5 decimals, about 1 m); full precision stays
available from the API. Every asset URL points at the app's own /static/vendor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import folium
import folium.plugins
import shapely
from folium.template import Template
from markupsafe import Markup, escape

from geo_service.catalog import Catalog, Layer
from geo_service.geo.geojson import clean_geometries, geometry_mapping
from geo_service.render.basemaps import add_basemaps
from geo_service.render.labels import popup_fields
from geo_service.render.map_properties import MapProperties
from geo_service.render.map_tiles import tile_options, tiled
from geo_service.render.styles import (
    HOST_DEFINITION,
    NAMED_DEFINITION,
    POINT_TYPES,
    base_style,
    cluster_hosts,
    legend_entries,
    path_style,
)


@dataclass
class MapPage:
    """What the map template needs: Folium's three parts (markup Folium generated, with the
    layer data JSON-encoded and popups as text: ``Markup``, so the template needs no ``|safe``)
    plus our own page data."""

    header: Markup
    html: Markup
    script: Markup
    layer_vars: dict[str, str]
    basemap_vars: dict[str, dict]
    map_var: str
    legend: list[dict]
    clusters: list[dict]
    #: Layers drawn from vector tiles (render/map_tiles.py), for static/map_tiles.js.
    tiles: list[dict] = field(default_factory=list)


def display_collection(catalog: Catalog, layer: Layer, tolerance: float, decimals: int) -> dict:
    """The layer as drawn on the map: simplified (coverage-preserving) and trimmed."""
    geometries = layer.geometries.copy()
    present = ~shapely.is_missing(geometries)
    if layer.geometry_type.endswith("Polygon") and layer.id == "counties":
        geometries[present] = shapely.coverage_simplify(geometries[present], tolerance)
    geometries[present] = clean_geometries(geometries[present], decimals)
    words = MapProperties(catalog, layer)
    features = []
    for feature, geometry in zip(layer.features, geometries):
        properties = words(feature)
        features.append(
            {
                "type": "Feature",
                "id": feature["id"],
                "geometry": geometry_mapping(geometry),
                "properties": properties,
            }
        )
    return {"type": "FeatureCollection", "features": features}


GROUPED = "leaflet-groupedlayercontrol"
#: The map pane of place names (county names here, zone names from map.js): above markers.
LABEL_PANE = "gs-labels"


def _use_local_assets(element, vendor: str) -> None:
    """Point a Folium element's JS/CSS at the vendored copies under ``vendor`` (the URL of
    /static/vendor/, ending in a slash): nothing from a CDN."""
    local_js = {
        "leaflet": "leaflet/leaflet.js",
        "leaflet.groupedlayercontrol.min.js": f"{GROUPED}/leaflet.groupedlayercontrol.min.js",
    }
    local_css = {
        "leaflet_css": "leaflet/leaflet.css",
        "leaflet.groupedlayercontrol.min.css": f"{GROUPED}/leaflet.groupedlayercontrol.min.css",
    }
    element.default_js = [
        (name, vendor + path) for name, path in local_js.items() if name in dict(element.default_js)
    ]
    element.default_css = [
        (name, vendor + path)
        for name, path in local_css.items()
        if name in dict(element.default_css)
    ]


#: Folium's popup/tooltip body, built from DOM nodes with textContent (Folium's own puts the
#: property values into innerHTML).
_DETAIL = """
    function(layer){
    let div = L.DomUtil.create('div');
    {% if this.fields %}
    let fields = {{ this.fields | tojson | safe }};
    let aliases = {{ this.aliases | tojson | safe }};
    let table = L.DomUtil.create('table', '', div);
    let props = (layer.feature || {}).properties || {};
    fields.forEach(function (v, i) {
        let value = v + '_zh' in props ? props[v + '_zh'] : props[v];
        if (value === null || value === undefined || String(value).trim() === '') { return; }
        let row = L.DomUtil.create('tr', '', table);
        {% if this.labels %}L.DomUtil.create('th', '', row).textContent = aliases[i];{% endif %}
        L.DomUtil.create('td', '', row).textContent =
            typeof value === 'object' ? JSON.stringify(value) : String(value);
    });
    {% endif %}
    return div;
    }
"""


class TextPopup(folium.GeoJsonPopup):
    """``GeoJsonPopup`` whose values are shown as text, never parsed as HTML."""

    _template = Template(
        "{% macro script(this, kwargs) %}{{ this._parent.get_name() }}.bindPopup("
        + _DETAIL
        + ",{{ this.popup_options | tojavascript }});{% endmacro %}"
    )


class TextTooltip(folium.GeoJsonTooltip):
    """``GeoJsonTooltip`` whose values are shown as text, never parsed as HTML."""

    _template = Template(
        "{% macro script(this, kwargs) %}{{ this._parent.get_name() }}.bindTooltip("
        + _DETAIL
        + ",{{ this.tooltip_options | tojavascript }});{% endmacro %}"
    )


class LayerGroup(folium.FeatureGroup):
    """``FeatureGroup`` whose options reach Leaflet (``L.featureGroup(layers, options)``:
    Folium passes them as the layers argument, where Leaflet ignores them)."""

    _template = Template(
        "{% macro script(this, kwargs) %}var {{ this.get_name() }} = L.featureGroup("
        "null, {{ this.options|tojavascript }});{% endmacro %}"
    )


def _popup(catalog: Catalog, layer: Layer, features: list[dict]) -> folium.GeoJsonPopup | None:
    fields = [
        f
        for f in catalog.popup.get(layer.id) or popup_fields(features)
        if any(feat["properties"].get(f) not in (None, "") for feat in features)
    ]
    if not fields:
        return None
    return TextPopup(
        fields=fields,
        aliases=[catalog.fields.get(f, f) for f in fields],
        localize=False,
        labels=True,
        max_width=420,
    )


def _point_marker(style: dict, schematic: bool) -> folium.Marker:
    size = int(style.get("radius", 7)) * 2 + 4
    css = "gs-icon gs-schematic" if schematic else "gs-icon"
    html = (
        f'<div class="{css}" style="color:{escape(style["color"])};font-size:{size}px;'
        f'line-height:{size}px">{escape(style.get("icon", "●"))}</div>'
    )
    return folium.Marker(
        icon=folium.DivIcon(
            html=html,
            icon_size=(size, size),
            icon_anchor=(size // 2, size // 2),
            class_name="gs-div",
        )
    )


def _add_points(catalog: Catalog, layer: Layer, data: dict, group: folium.FeatureGroup) -> None:
    """Point layers: one GeoJson per (category, schematic) so each gets its own glyph."""
    buckets: dict[tuple, list] = {}
    for feature in data["features"]:
        if feature["geometry"] is None:
            continue
        props = feature["properties"]
        style = base_style(layer, props)
        key = (
            style.get("icon"),
            style["color"],
            style.get("radius"),
            props["precision"] == "schematic",
        )
        buckets.setdefault(key, []).append(feature)
    for (_icon, _color, _radius, schematic), features in buckets.items():
        style = base_style(layer, features[0]["properties"])
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            marker=_point_marker(style, schematic),
            popup=_popup(catalog, layer, features),
            tooltip=TextTooltip(fields=["gs_label"], labels=False),
        ).add_to(group)


def _add_shapes(catalog: Catalog, layer: Layer, data: dict, group: folium.FeatureGroup) -> None:
    """Polygon and line layers: one GeoJson styled per feature from the catalog."""
    features = [f for f in data["features"] if f["geometry"] is not None]
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        style_function=lambda feature: path_style(catalog, layer, feature["properties"]),
        highlight_function=lambda feature: {"weight": 4},
        popup=_popup(catalog, layer, features),
        tooltip=TextTooltip(fields=["gs_label"], labels=False),
        smooth_factor=0.5,
    ).add_to(group)


def _county_labels(layer: Layer, group: folium.FeatureGroup) -> None:
    points = shapely.point_on_surface(layer.geometries)
    for feature, point in zip(layer.features, points):
        name = feature["properties"]["name"]
        folium.Marker(
            [round(point.y, 5), round(point.x, 5)],
            icon=folium.DivIcon(
                html=f'<div class="gs-county-label">{escape(name)}</div>',
                icon_size=(80, 20),
                icon_anchor=(40, 10),
                class_name="gs-div",
            ),
            interactive=False,
            pane=LABEL_PANE,
        ).add_to(group)


def build_map(
    catalog: Catalog,
    config,
    static_url: Callable[[str], str],
    tile_url: Callable[[str], str] | None = None,
) -> MapPage:
    """Every catalog layer as a toggleable group, with optional basemaps. ``static_url`` maps
    a path under /static to its URL (the web layer passes Flask's ``url_for("static", ...)``),
    so this module needs no request context. With ``tile_url`` (a layer id to its tile URL
    template), layers above MAP_TILES_ABOVE_FEATURES are drawn from vector tiles; without
    (the offline file) every layer is embedded."""
    vendor = static_url("vendor/")
    counties = catalog.get("counties")
    minx, miny, maxx, maxy = counties.bbox
    fmap = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=8,
        tiles=None,
        control_scale=False,  # map.js adds a metric-only scale bar
        min_zoom=6,
        max_zoom=18,
        width="100%",
        height="100%",
    )
    fmap.options["maxZoom"] = 18
    fmap.options["zoomSnap"] = 0.25
    _use_local_assets(fmap, vendor)
    # names above the markers, so no marker hides a county's name; clicks go through
    folium.map.CustomPane(LABEL_PANE, z_index=640, pointer_events=False).add_to(fmap)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])

    base_choices, basemap_vars = add_basemaps(fmap, config)

    groups: dict[str, list] = {}
    layer_vars = {}
    tiles = []
    for layer in catalog.layers.values():
        if layer.in_store and tile_url is None:
            continue  # not held in memory: drawn from its vector tiles only
        suffix = "（示意）" if layer.is_schematic else ""
        group = LayerGroup(name=layer.title + suffix, show=layer.id != "clusters")
        if layer.attribution:  # credited while the layer is on (Leaflet's attribution control)
            group.options["attribution"] = str(escape(layer.attribution))  # Leaflet: HTML
        if tile_url is not None and (layer.in_store or tiled(layer, config)):
            tiles.append(tile_options(catalog, layer, group.get_name(), tile_url))
        elif layer.geometry_type in POINT_TYPES:
            data = display_collection(
                catalog, layer, config["DISPLAY_TOLERANCE_DEG"], config["DISPLAY_DECIMALS"]
            )
            _add_points(catalog, layer, data, group)
        else:
            data = display_collection(
                catalog, layer, config["DISPLAY_TOLERANCE_DEG"], config["DISPLAY_DECIMALS"]
            )
            _add_shapes(catalog, layer, data, group)
        if layer.id == "counties":
            _county_labels(layer, group)
        group.add_to(fmap)
        groups.setdefault(layer.group, []).append(group)
        layer_vars[layer.id] = group.get_name()
    control_groups = {"底图": base_choices, **groups} if base_choices else dict(groups)
    control = folium.plugins.GroupedLayerControl(
        control_groups,
        exclusive_groups=False,
        collapsed=True,
        # one base at a time (radio buttons); every other group is a set of checkboxes
        exclusiveGroups=["底图"] if base_choices else [],
        # the control would give each base choice one z-index for all its tiles, putting a
        # 注记 level with its base; the tiles keep their own (annotation above base)
        autoZIndex=False,
    )
    _use_local_assets(control, vendor)
    control.add_to(fmap)

    root = fmap.get_root()
    root.render()
    hosts = cluster_hosts(catalog)
    clusters = [
        {
            k: f["properties"].get(k, "")
            for k in (
                "id",
                "name",
                "target_2020_yi",
                "target_wording",
                "host_counties",
                "host_zones",
                "host_bases",
                "host_nodes",
                "host_county_names",
                "host_zone_names",
                "assumption",
            )
        }
        | {
            "covered_counties": hosts[f["id"]]["covered_counties"],
            "covered_county_names": hosts[f["id"]]["covered_county_names"],
            "host_definition": HOST_DEFINITION,
            "named_definition": NAMED_DEFINITION,
        }
        for f in catalog.get("clusters").features
    ]
    return MapPage(
        header=Markup(root.header.render()),
        html=Markup(root.html.render()),
        script=Markup(root.script.render()),
        layer_vars=layer_vars,
        basemap_vars=basemap_vars,
        map_var=fmap.get_name(),
        legend=legend_entries(catalog),
        clusters=clusters,
        tiles=tiles,
    )
