"""Static maps as SVG: any extent and set of layers, with a map's furniture.

Title, legend (from the catalog styles, the same source as the interactive legend), scale
bar, north arrow, coordinate system, sources and date, and a note when geometry is
schematic. Drawn on CGCS2000 / 3-degree Gauss-Kruger CM 108E (EPSG:4545), a conformal plane
on which the scale bar is true (scale error < 0.06% across Ankang). The SVG is the single
drawing: PNG and PDF are made from it by headless Chromium (``render.chromium``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

import numpy as np
import shapely

from geo_service.catalog import Catalog
from geo_service.geo.units import GK_AREA_CRS
from geo_service.query.crs import transform
from geo_service.render.labels import label_of
from geo_service.render.styles import (
    POINT_TYPES,
    base_style,
    path_style,
)

PLANE = GK_AREA_CRS
PLANE_LINES = ("坐标系：CGCS2000 3度带高斯-克吕格投影", "中央经线 108°E（EPSG:4545），上方为北")
FONTS = "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"
CSS_PX_PER_MM = 96 / 25.4
#: Feature names are written on the map once it shows at most this many metres across.
LABEL_MAX_VIEW_M = 80_000
LABELLED = ("zones", "new_materials_bases", "logistics_nodes")


@dataclass
class Overlay:
    """Extra features drawn above the layers (a check result): geometry, fill, label."""

    title: str
    geometries: list
    colours: list[str]
    legend: list[tuple[str, str]]  # (label, colour)
    dashed: bool = False  # schematic boundaries
    fill_opacity: float = 0.65
    stroke: str = "#222"
    stroke_width: float = 1.2
    #: A name per geometry, written beside it (escaped); none when empty.
    labels: list[str] = field(default_factory=list)
    #: Geometries smaller than this many page px get a ring marker (0: none).
    speck_px: float = 0.0


@dataclass
class MapSpec:
    """What to draw: page size in CSS px, extent in lon/lat, layers, title, overlays."""

    width: float
    height: float
    bbox: tuple[float, float, float, float]
    layers: list[str]
    title: str
    subtitle: str = ""
    overlays: list[Overlay] = field(default_factory=list)


@dataclass
class Frame:
    """The map frame on the page and the plane extent it shows."""

    x: float
    y: float
    width: float
    height: float
    minx: float
    miny: float
    scale: float  # page px per metre

    def to_page(self, xy: np.ndarray) -> np.ndarray:
        px = self.x + (xy[:, 0] - self.minx) * self.scale
        py = self.y + self.height - (xy[:, 1] - self.miny) * self.scale
        return np.column_stack([px, py])


_PLANE_CACHE: dict[tuple[str, str], tuple[list[int], np.ndarray]] = {}


def to_plane(geometries) -> np.ndarray:
    return transform(geometries, "EPSG:4326", PLANE)


def layer_on_plane(layer) -> tuple[list[int], np.ndarray]:
    """(indexes of features with geometry, their geometry on the plane), cached per file hash:
    layers never change while the service runs."""
    key = (layer.id, layer.sha256)
    if key not in _PLANE_CACHE:
        present = [i for i, g in enumerate(layer.geometries) if g is not None]
        planes = to_plane(layer.geometries[present])
        shapely.prepare(planes)
        _PLANE_CACHE[key] = (present, planes)
    return _PLANE_CACHE[key]


def make_frame(spec: MapSpec, x: float, y: float, width: float, height: float) -> Frame:
    """Fit the bbox into the frame, widening it to the frame's proportions."""
    box = to_plane([shapely.segmentize(shapely.box(*spec.bbox), 0.01)])[0]
    minx, miny, maxx, maxy = box.bounds
    scale = min(width / (maxx - minx), height / (maxy - miny))
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    return Frame(x, y, width, height, cx - width / scale / 2, cy - height / scale / 2, scale)


def path_data(geometry, frame: Frame) -> str:
    """SVG path data of a (multi)polygon or (multi)line in page coordinates."""
    parts = []
    for part in shapely.get_parts(geometry):
        rings = [part.exterior, *part.interiors] if part.geom_type == "Polygon" else [part]
        for ring in rings:
            xy = frame.to_page(np.asarray(ring.coords)[:, :2])
            closing = " Z" if part.geom_type == "Polygon" else ""
            parts.append("M" + " L".join(f"{a:.1f},{b:.1f}" for a, b in xy) + closing)
    return " ".join(parts)


def svg_style(options: dict) -> str:
    """Leaflet path options (the interactive map's) as SVG presentation attributes."""
    attributes = {
        "stroke": options["color"],
        "stroke-width": options["weight"],
        "stroke-opacity": options.get("opacity", 1),
        "fill": options["fillColor"] if options["fillOpacity"] else "none",
        "fill-opacity": options["fillOpacity"],
    }
    if options.get("dashArray"):
        attributes["stroke-dasharray"] = options["dashArray"]
    return " ".join(f'{k}="{escape(str(v))}"' for k, v in attributes.items())


def draw_layers(catalog: Catalog, spec: MapSpec, frame: Frame) -> list[str]:
    view = shapely.box(
        frame.minx,
        frame.miny,
        frame.minx + frame.width / frame.scale,
        frame.miny + frame.height / frame.scale,
    )
    tolerance = 0.4 / frame.scale  # under half a pixel: invisible, and far fewer vertices
    out, labels = [], []
    for layer_id in spec.layers:
        layer = catalog.get(layer_id)
        present, planes = layer_on_plane(layer)
        visible = shapely.intersects(planes, view)
        out.append(f'<g class="layer" data-layer="{layer.id}">')
        for i, geometry in zip(np.array(present)[visible], planes[visible]):
            properties = layer.features[i]["properties"]
            if layer.geometry_type in POINT_TYPES:
                out.extend(point_marks(catalog, layer, properties, geometry, frame))
                continue
            simplified = shapely.simplify(
                shapely.intersection(geometry, view.buffer(10 / frame.scale)), tolerance
            )
            if simplified.is_empty:
                continue
            options = path_style(catalog, layer, properties)
            arrow = ' marker-end="url(#arrow)"' if layer.id == "enclave_links" else ""
            out.append(
                f'<path d="{path_data(simplified, frame)}" {svg_style(options)} '
                f'fill-rule="evenodd"{arrow}><title>{escape(label_of(properties))}'
                "</title></path>"
            )
        out.append("</g>")
        if layer.id == "counties":
            out.extend(county_labels(layer, planes, present, frame, view))
        elif layer.id in LABELLED and frame.width / frame.scale <= LABEL_MAX_VIEW_M:
            labels.extend(feature_labels(layer, planes, present, frame, view))
    return out + labels


def feature_labels(layer, planes, present, frame: Frame, view) -> list[str]:
    """Names of zones, bases and logistics nodes, once the view is small enough to read them."""
    out = []
    for i, plane in zip(present, planes):
        point = shapely.point_on_surface(plane)
        if not view.contains(point):
            continue
        ((x, y),) = frame.to_page(np.asarray(point.coords)[:, :2])
        name = label_of(layer.features[i]["properties"], layer.label_property)
        out.append(
            f'<text x="{x + 9:.1f}" y="{y - 6:.1f}" class="feature-label">{escape(name)}</text>'
        )
    return out


def point_marks(catalog, layer, properties, geometry, frame: Frame) -> list[str]:
    style = base_style(layer, properties)
    size = int(style.get("radius", 7)) * 2 + 4
    out = []
    for point in shapely.get_parts(geometry):
        ((x, y),) = frame.to_page(np.asarray(point.coords)[:, :2])
        if properties.get("precision") == "schematic":
            out.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size * 0.7:.1f}" fill="none" '
                f'stroke="{style["color"]}" stroke-dasharray="3 2"/>'
            )
        out.append(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{style["color"]}" '
            'text-anchor="middle" dominant-baseline="central" stroke="#fff" '
            f'stroke-width="2" paint-order="stroke">{escape(style.get("icon", "●"))}'
            f"<title>{escape(label_of(properties))}</title></text>"
        )
    return out


def county_labels(layer, planes, present, frame: Frame, view) -> list[str]:
    out = []
    for i, plane in zip(present, planes):
        point = shapely.point_on_surface(plane)
        if not view.contains(point):
            continue
        ((x, y),) = frame.to_page(np.asarray(point.coords))
        name = layer.features[i]["properties"]["name"]
        out.append(f'<text x="{x:.1f}" y="{y:.1f}" class="county-label">{escape(name)}</text>')
    return out


def draw_overlays(spec: MapSpec, frame: Frame) -> list[str]:
    """Each overlay's shapes, then rings around the ones too small to see, then their names
    (at most OVERLAY_LABELS per overlay, inside the frame, none over another)."""
    out, labels, taken = [], [], []
    view = shapely.box(
        frame.minx,
        frame.miny,
        frame.minx + frame.width / frame.scale,
        frame.miny + frame.height / frame.scale,
    )
    for overlay in spec.overlays:
        dash = ' stroke-dasharray="6 4"' if overlay.dashed else ""
        out.append(f'<g class="overlay" data-overlay="{escape(overlay.title)}">')
        planes = to_plane(overlay.geometries)
        specks = []
        for geometry, colour in zip(planes, overlay.colours):
            out.append(
                f'<path d="{path_data(geometry, frame)}" fill="{colour}" '
                f'fill-opacity="{overlay.fill_opacity}" stroke="{overlay.stroke}" '
                f'stroke-width="{overlay.stroke_width}" stroke-linejoin="round" '
                f'fill-rule="evenodd"{dash}/>'
            )
            minx, miny, maxx, maxy = geometry.bounds
            if overlay.speck_px and max(maxx - minx, maxy - miny) * frame.scale < overlay.speck_px:
                specks.append((geometry, colour))
        for geometry, colour in specks:
            ((x, y),) = frame.to_page(np.asarray(shapely.centroid(geometry).coords))
            out.append(
                f'<circle class="speck" cx="{x:.1f}" cy="{y:.1f}" r="7" fill="none" '
                f'stroke="#111" stroke-width="3.2"/><circle cx="{x:.1f}" cy="{y:.1f}" r="7" '
                f'fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        out.append("</g>")
        named = [(g, t) for g, t in zip(planes, overlay.labels) if t]
        if len(named) <= OVERLAY_LABELS:
            labels += overlay_labels(named, frame, view, taken)
    return out + labels


#: Overlays with more named shapes than this are drawn without their names.
OVERLAY_LABELS = 60
OVERLAY_LABEL_CHARS = 24


def overlay_labels(named, frame: Frame, view, taken: list) -> list[str]:
    out = []
    right, bottom = frame.x + frame.width, frame.y + frame.height
    for geometry, text in named:
        inside = shapely.intersection(geometry, view)
        if inside.is_empty:
            continue
        text = text if len(text) <= OVERLAY_LABEL_CHARS else text[: OVERLAY_LABEL_CHARS - 1] + "…"
        ((x, y),) = frame.to_page(np.asarray(shapely.point_on_surface(inside).coords))
        width = 11.5 * sum(1 if ord(c) > 0x2E7F else 0.6 for c in text)
        x = min(max(x + 8, frame.x + 4), right - width - 4)
        y = min(max(y - 6, frame.y + 16), bottom - 4)
        box = (x, y - 12, x + width, y + 3)
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in taken):
            continue
        taken.append(box)
        out.append(f'<text x="{x:.1f}" y="{y:.1f}" class="overlay-label">{escape(text)}</text>')
    return out
