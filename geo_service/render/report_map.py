"""The check report's maps as static SVG, drawn server-side from the stored geometry.

An overview of the check's parcels over the zones they touch, and one map per parcel fitted
to it: each on the parcels' own CGCS2000 3° Gauss-Kruger zone at a round scale, with the zones
labelled by name, GK grid ticks in metres, a metric scale bar and a north arrow
(``render.sheet``). SVG rather than a Leaflet map printed by a browser: it is exact (the scale
1:N is true on paper), needs no tiles, no script and no network (the PDF renderer runs none),
and prints the same everywhere. Every name and id from a file is escaped.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import shapely
from markupsafe import Markup, escape

from geo_service.land.export import STATUS_COLOURS, STATUS_ZH
from geo_service.render.sheet import (
    Sheet,
    fit_sheet,
    gk_zone_of_lon,
    grid_ticks,
    north_arrow,
    path_data,
    scale_bar,
    svg_open,
    to_gk,
    zone_of_crs,
)

#: Sheet sizes (width, height) and map frames (left, top, width, height), millimetres.
OVERVIEW = ((182, 117), (8, 1, 172, 105))
PARCEL = ((104, 76), (8, 1, 94, 64))
#: A parcel smaller than this on paper (mm) also gets a ring marker, so it cannot be missed.
SPECK_MM = 3.0
#: Parcel numbers are written on a map showing at most this many parcels (more would be a
#: smear), and rings drawn around at most this many specks (else each gets a dot).
MAX_NUMBERS = 80
MAX_RINGS = 40
#: Zone names go in lines of this many characters, two at most (in full in the tables).
LINE_CHARS = 12
LABEL_EM = 2.4  # mm per character of a zone name
LINE_MM = 2.9
STYLE = (
    "<style>.zone-label{font-size:2.4px;fill:#17406e}.zone-label.touched{font-weight:bold}"
    ".parcel-no{font-size:2.5px;font-weight:bold;fill:#111}.gk-tick{font-size:2.1px;fill:#222}"
    ".label-box{fill:#fff;fill-opacity:0.82}</style>"
)


@dataclass
class Layers:
    """A check's parcels and zones on one GK zone's plane."""

    zone: int
    parcels: np.ndarray
    ids: list[str]
    statuses: list[str]
    zones: np.ndarray
    zone_ids: list[str]
    zone_names: list[str]
    schematic: bool


class ReportMaps:
    """The maps of one report; the geometry is projected once per GK zone."""

    def __init__(self, parcels, zones, schematic: bool, crs_used: list[str] | None = None):
        self.parcels, self.zones, self.schematic = parcels, zones, schematic
        self.crs_used = crs_used or []
        self._layers: dict[int, Layers] = {}

    def zone_of(self, index: int) -> int:
        """A parcel's GK zone: the plane its areas were computed on, else by its longitude."""
        zone = zone_of_crs(self.crs_used[index]) if index < len(self.crs_used) else None
        if zone is None:
            zone = gk_zone_of_lon(shapely.centroid(self.parcels.geometry.iloc[index]).x)
        return zone

    def main_zone(self) -> int:
        zones = Counter(self.zone_of(i) for i in range(len(self.parcels)))
        return zones.most_common(1)[0][0] if zones else 36

    def layers(self, zone: int) -> Layers:
        if zone not in self._layers:
            self._layers[zone] = Layers(
                zone,
                to_gk(self.parcels.geometry.to_numpy(), zone),
                [str(v) for v in self.parcels["parcel_id"]],
                list(self.parcels["status"]),
                to_gk(self.zones.geometry.to_numpy(), zone),
                [str(v) for v in self.zones["zone_id"]],
                [str(v) for v in self.zones["name"]],
                self.schematic,
            )
        return self._layers[zone]

    def overview(self) -> tuple[Markup, Sheet]:
        layers = self.layers(self.main_zone())
        (width, height), frame = OVERVIEW
        bounds = shapely.total_bounds(layers.parcels)
        sheet = fit_sheet(bounds, layers.zone, frame, 0.1, 200, 1000, fine=True)
        svg = draw(layers, sheet, (width, height), "overview", "地块与园区总览图")
        return svg, sheet

    def parcel(self, index: int, touched: set[str]) -> tuple[Markup, Sheet]:
        layers = self.layers(self.zone_of(index))
        (width, height), frame = PARCEL
        sheet = fit_sheet(layers.parcels[index].bounds, layers.zone, frame, 0.12, 40, 500)
        label = f"地块 {layers.ids[index]} 位置图"
        svg = draw(layers, sheet, (width, height), f"p{index}", label, index, touched)
        return svg, sheet


def draw(
    layers: Layers,
    sheet: Sheet,
    size: tuple[float, float],
    key: str,
    label: str,
    highlight: int | None = None,
    touched: set[str] | frozenset = frozenset(),
) -> Markup:
    view = sheet.view
    left, top, width, height = sheet.left, sheet.top, sheet.width, sheet.height
    tolerance = 0.08 / sheet.mm_per_metre  # under a tenth of a millimetre
    css = "gs-report-map" + (" gs-parcel-map" if highlight is not None else " gs-overview-map")
    out = [
        svg_open(*size, css, label),
        STYLE,
        f'<defs><clipPath id="gs-clip-{key}"><rect x="{left}" y="{top}" width="{width}" '
        f'height="{height}"/></clipPath></defs>',
        f'<rect x="{left}" y="{top}" width="{width}" height="{height}" fill="#fbfbf7"/>',
        f'<g clip-path="url(#gs-clip-{key})">',
    ]
    clip_box = view.buffer(2 / sheet.mm_per_metre).bounds
    dash = ' stroke-dasharray="1.6 1"' if layers.schematic else ""
    shown_zones = []
    for i in np.flatnonzero(shapely.intersects(layers.zones, view)):
        clipped = shapely.simplify(shapely.clip_by_rect(layers.zones[i], *clip_box), tolerance)
        if clipped.is_empty:
            continue
        shown_zones.append(i)
        out.append(
            f'<path class="zone" d="{path_data(clipped, sheet)}" fill="#2166ac" '
            f'fill-opacity="0.1" stroke="#2166ac" stroke-width="0.35"{dash} '
            f'fill-rule="evenodd"><title>{escape(layers.zone_names[i])}</title></path>'
        )
    visible = [i for i in np.flatnonzero(shapely.intersects(layers.parcels, view))]
    order = [i for i in visible if i != highlight] + ([highlight] if highlight in visible else [])
    specks = []
    for i in order:
        geometry = shapely.simplify(shapely.clip_by_rect(layers.parcels[i], *clip_box), tolerance)
        colour = STATUS_COLOURS[layers.statuses[i]]
        main = highlight is None or i == highlight
        stroke = ("#111", 0.6) if i == highlight else ("#333", 0.3 if main else 0.2)
        opacity = 0.55 if main else 0.3
        out.append(
            f'<path class="parcel{" target" if i == highlight else ""}" '
            f'd="{path_data(geometry, sheet)}" fill="{colour}" fill-opacity="{opacity}" '
            f'stroke="{stroke[0]}" stroke-width="{stroke[1]}" stroke-linejoin="round" '
            f'fill-rule="evenodd"><title>{escape(layers.ids[i])} '
            f"{STATUS_ZH[layers.statuses[i]]}</title></path>"
        )
        minx, miny, maxx, maxy = layers.parcels[i].bounds
        if max(maxx - minx, maxy - miny) * sheet.mm_per_metre < SPECK_MM:
            specks.append(i)
    rings = [i for i in specks if i == highlight or len(specks) <= MAX_RINGS]
    for i in specks:  # too many for rings: a dot each, so that none is lost
        if i in rings:
            continue
        x, y = sheet.point(*shapely.centroid(layers.parcels[i]).coords[0])
        out.append(
            f'<circle class="dot" cx="{x:.2f}" cy="{y:.2f}" r="0.7" '
            f'fill="{STATUS_COLOURS[layers.statuses[i]]}" stroke="#111" stroke-width="0.15"/>'
        )
    for i in rings:
        x, y = sheet.point(*shapely.centroid(layers.parcels[i]).coords[0])
        colour = STATUS_COLOURS[layers.statuses[i]]
        radius, weight = (3.2, 0.5) if i == highlight else (2.0, 0.4)
        out.append(
            f'<circle class="speck" cx="{x:.2f}" cy="{y:.2f}" r="{radius}" fill="none" '
            f'stroke="#111" stroke-width="{weight + 0.3}"/><circle cx="{x:.2f}" cy="{y:.2f}" '
            f'r="{radius}" fill="none" stroke="{colour}" stroke-width="{weight}"/>'
        )
        if i == highlight:
            out.append(
                f'<path d="M{x - 5:.2f},{y:.2f} h2.4 M{x + 2.6:.2f},{y:.2f} h2.4 '
                f'M{x:.2f},{y - 5:.2f} v2.4 M{x:.2f},{y + 2.6:.2f} v2.4" stroke="#111" '
                'stroke-width="0.3"/>'
            )
    out.append("</g>")
    # what labels keep off: the highlighted parcel and (zone names) the other parcels
    obstacles: list[tuple[float, float, float, float]] = []
    labels = [(left + width - 10.5, top, left + width, top + 16)]  # the north arrow
    if highlight is not None:
        hx0, hy1 = sheet.point(*layers.parcels[highlight].bounds[:2])
        hx1, hy0 = sheet.point(*layers.parcels[highlight].bounds[2:])
        obstacles.append((hx0, hy0, hx1, hy1))
    out += numbers(layers, sheet, order, highlight, obstacles, labels)
    for i in order:  # not off a parcel that fills most of the map
        x0, y1 = sheet.point(*layers.parcels[i].bounds[:2])
        x1, y0 = sheet.point(*layers.parcels[i].bounds[2:])
        if i != highlight and (x1 - x0) * (y1 - y0) < 0.25 * width * height:
            obstacles.append((x0 - 0.5, y0 - 0.5, x1 + 0.5, y1 + 0.5))
    out += zone_labels(layers, sheet, shown_zones, touched, obstacles, labels)
    out += [
        f'<rect x="{left}" y="{top}" width="{width}" height="{height}" fill="none" '
        'stroke="#222" stroke-width="0.3"/>',
        *grid_ticks(sheet),
        *scale_bar(sheet),
        *north_arrow(sheet),
        "</svg>",
    ]
    return Markup("\n".join(out))


def label_box(box) -> str:
    """A light box under a label (not a text halo: a PDF would hold the text twice)."""
    x0, y0, x1, y1 = box
    return (
        f'<rect class="label-box" x="{x0:.2f}" y="{y0:.2f}" width="{x1 - x0:.2f}" '
        f'height="{y1 - y0:.2f}" rx="0.5"/>'
    )


def overlaps(box, boxes) -> bool:
    return any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in boxes)


def numbers(layers: Layers, sheet: Sheet, order, highlight, obstacles, labels) -> list[str]:
    """Each parcel's number (its 序号 in the report) at its upper right, where there is room,
    when the map shows at most MAX_NUMBERS others; the highlighted parcel's always."""
    out = []
    right, bottom = sheet.left + sheet.width, sheet.top + sheet.height
    first = [highlight] if highlight is not None else []
    others = [i for i in order if i != highlight]
    for i in first + (others if len(others) <= MAX_NUMBERS else []):
        _, _, maxx, maxy = layers.parcels[i].bounds
        x, y = sheet.point(maxx, maxy)
        x, y = min(x, right - 6), max(y, sheet.top + 4)
        text = str(i + 1)
        box = (x + 0.5, y - 3.0, x + 1.4 + 1.5 * len(text), y + 0.2)
        if box[3] > bottom - 1 or (i != highlight and overlaps(box, obstacles + labels)):
            continue
        labels.append(box)
        out.append(label_box(box))
        out.append(
            f'<text class="parcel-no" x="{box[0] + 0.3:.2f}" y="{y - 0.6:.2f}">{text}</text>'
        )
    return out


def wrapped(name: str, width: int, count: int) -> list[str]:
    """A zone's name in at most ``count`` lines of ``width`` characters (cut with "…")."""
    lines = [name[i : i + width] for i in range(0, len(name), width)][:count]
    if len(name) > width * count:
        lines[-1] = lines[-1][:-1] + "…"
    return lines


def zone_labels(layers: Layers, sheet: Sheet, shown, touched, obstacles, labels) -> list[str]:
    """Zone names inside the frame, touched zones first and bold, each at the free place
    inside the zone nearest its centre: off other labels and the parcels, in two lines or
    else three narrower ones; a touched zone with no such place may go over the parcels."""
    out = []
    ranked = sorted(shown, key=lambda i: layers.zone_ids[i] not in touched)
    for i in ranked:
        part = shapely.intersection(layers.zones[i], sheet.view)
        if part.is_empty or part.area == 0:
            continue
        name = layers.zone_names[i]
        tries = [(LINE_CHARS, 2, True), (LINE_CHARS * 2 // 3, 3, True)]
        if layers.zone_ids[i] in touched:
            tries += [(LINE_CHARS, 2, False)]
        for width, count, keep_off in tries:
            lines = wrapped(name, width, count)
            place = free_place(part, sheet, lines, (obstacles if keep_off else []) + labels)
            if place is None:
                continue
            x, y, box = place
            labels.append(box)
            bold = " touched" if layers.zone_ids[i] in touched else ""
            first = box[1] + 0.4 + LINE_MM * 0.78
            spans = "".join(
                f'<tspan x="{x:.2f}" y="{first + n * LINE_MM:.2f}">{escape(line)}</tspan>'
                for n, line in enumerate(lines)
            )
            out.append(label_box(box))
            out.append(
                f'<text class="zone-label{bold}" text-anchor="middle">{spans}'
                f"<title>{escape(name)}</title></text>"
            )
            break
    return out


def free_place(part, sheet: Sheet, lines: list[str], taken):
    """(x, y, box) of the first spot for ``lines`` (mm, on a 1.5 mm grid) whose centre is in
    ``part`` and whose box overlaps nothing ``taken``, nearest the part's centre; or None."""
    left, top, k = sheet.left, sheet.top, sheet.mm_per_metre
    right, bottom = left + sheet.width, top + sheet.height
    half_w = max(len(line) for line in lines) * LABEL_EM / 2 + 0.6
    half_h = len(lines) * LINE_MM / 2 + 0.4
    xs, ys = np.meshgrid(
        np.arange(left + half_w + 1, right - half_w - 1, 1.5),
        np.arange(top + half_h + 1, bottom - half_h - 1, 1.5),
    )
    xs, ys = xs.ravel(), ys.ravel()
    inside = shapely.contains_xy(part, sheet.minx + (xs - left) / k, sheet.miny + (bottom - ys) / k)
    ax, ay = sheet.point(*shapely.point_on_surface(part).coords[0])
    order = np.argsort((xs - ax) ** 2 + (ys - ay) ** 2)
    for j in order[inside[order]]:
        x, y = float(xs[j]), float(ys[j])
        box = (x - half_w, y - half_h, x + half_w, y + half_h)
        if not overlaps(box, taken):
            return x, y, box
    return None
