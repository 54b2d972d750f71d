"""A map sheet on paper: a frame in millimetres at a round scale (1:N) on a CGCS2000 3° Gauss-
Kruger zone, with its furniture: GK grid ticks labelled in metres, a metric scale bar, a north
arrow. Used by the check report's maps (``render.report_map``); user units are millimetres, so
a printed sheet measures true.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from markupsafe import escape

from geo_service.query.crs import transform

#: Round scales a surveyor expects; past the last one, the next 1/2/5 × 10ⁿ.
SCALES = (500, 1000, 2000, 2500, 5000, 10_000, 20_000, 25_000, 50_000, 100_000, 200_000)
#: CGCS2000 3° zones 25-45 (CM 75°E-135°E) without prefix are EPSG:4534-4554.
EPSG_OF_ZONE = {zone: 4509 + zone for zone in range(25, 46)}
FONT = "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif"


def gk_zone_of_lon(lon: float) -> int:
    """The 3° zone whose central meridian (3 × zone °E) is nearest ``lon``."""
    return int((lon + 1.5) // 3)


def zone_of_crs(text: str | None) -> int | None:
    """The zone of a CGCS2000 GK plane named like ``EPSG:4545`` (a parcel's ``crs_used``)."""
    code = str(text or "").upper().removeprefix("EPSG:").split(" ")[0]
    if code.isdigit():
        for zone, epsg in EPSG_OF_ZONE.items():
            if int(code) == epsg:
                return zone
    return None


def plane_crs(zone: int) -> str:
    if zone in EPSG_OF_ZONE:
        return f"EPSG:{EPSG_OF_ZONE[zone]}"
    return f"+proj=tmerc +lat_0=0 +lon_0={3 * zone} +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m"


def plane_name(zone: int) -> str:
    epsg = f"，EPSG:{EPSG_OF_ZONE[zone]}" if zone in EPSG_OF_ZONE else ""
    return f"CGCS2000 3度带高斯-克吕格投影 第 {zone} 带（中央经线 {3 * zone}°E{epsg}）"


def to_gk(geometries, zone: int) -> np.ndarray:
    """Lon/lat (CGCS2000) geometries on the zone's plane, metres without the zone prefix."""
    return transform(geometries, "EPSG:4490", plane_crs(zone))


#: Finer steps for overviews, whose extent is the parcels' and not a sheet of the series.
FINE_STEPS = (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)


def round_scale(needed: float, smallest: int, fine: bool = False) -> int:
    """The first round scale denominator at least ``needed`` (and at least ``smallest``):
    of the survey series (1:500, 1:1 000, 1:2 000 …), or with ``fine`` steps of 1, 1.2, 1.5,
    2, 2.5, 3, 4, 5, 6, 8 × 10ⁿ."""
    needed = max(needed, smallest)
    if not fine:
        for denominator in SCALES:
            if denominator >= needed:
                return denominator
    power = 10 ** math.floor(math.log10(needed))
    steps = FINE_STEPS if fine else (1, 2, 5, 10)
    return round(min(step * power for step in steps if step * power >= needed))


def nice_step(metres: float) -> float:
    """The smallest 1, 2 or 5 × 10ⁿ metres at least ``metres``."""
    power = 10 ** math.floor(math.log10(metres))
    return min(step * power for step in (1, 2, 5, 10) if step * power >= metres)


def grouped(value: float) -> str:
    """``3620150`` → ``3 620 150`` (digits in threes, as on a survey sheet)."""
    return f"{round(value):,}".replace(",", " ")


@dataclass
class Sheet:
    """The frame (left, top, width, height in mm) showing plane metres from (minx, miny)."""

    left: float
    top: float
    width: float
    height: float
    minx: float
    miny: float
    denominator: int
    zone: int

    @property
    def mm_per_metre(self) -> float:
        return 1000 / self.denominator

    @property
    def view(self):
        span_x, span_y = self.width / self.mm_per_metre, self.height / self.mm_per_metre
        return shapely.box(self.minx, self.miny, self.minx + span_x, self.miny + span_y)

    def to_paper(self, xy: np.ndarray) -> np.ndarray:
        k = self.mm_per_metre
        px = self.left + (xy[:, 0] - self.minx) * k
        py = self.top + self.height - (xy[:, 1] - self.miny) * k
        return np.column_stack([px, py])

    def point(self, x: float, y: float) -> tuple[float, float]:
        ((px, py),) = self.to_paper(np.array([[x, y]]))
        return float(px), float(py)


def fit_sheet(
    bounds,
    zone: int,
    frame: tuple[float, float, float, float],
    pad: float = 0.2,
    min_span_m: float = 40.0,
    smallest: int = 500,
    fine: bool = False,
) -> Sheet:
    """A sheet centred on ``bounds`` (plane metres) at the first round scale that shows them
    with ``pad`` (a share of their size) on every side."""
    left, top, width, height = frame
    minx, miny, maxx, maxy = bounds
    span_x = max(maxx - minx, min_span_m) * (1 + 2 * pad)
    span_y = max(maxy - miny, min_span_m) * (1 + 2 * pad)
    needed = max(span_x / width, span_y / height) * 1000
    denominator = round_scale(needed, smallest, fine)
    metres_per_mm = denominator / 1000
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    return Sheet(
        left,
        top,
        width,
        height,
        cx - width * metres_per_mm / 2,
        cy - height * metres_per_mm / 2,
        denominator,
        zone,
    )


def path_data(geometry, sheet: Sheet) -> str:
    """SVG path data (mm) of a (multi)polygon or line on the sheet."""
    parts = []
    for part in shapely.get_parts(geometry):
        if part.is_empty:
            continue
        if part.geom_type == "Polygon":
            rings, close = [part.exterior, *part.interiors], " Z"
        elif part.geom_type in ("LineString", "LinearRing"):
            rings, close = [part], ""
        else:
            continue
        for ring in rings:
            xy = sheet.to_paper(np.asarray(ring.coords)[:, :2])
            parts.append("M" + " L".join(f"{a:.2f},{b:.2f}" for a, b in xy) + close)
    return " ".join(parts)


def grid_ticks(sheet: Sheet) -> list[str]:
    """Ticks on the frame every round number of metres (at least 16 mm apart), labelled
    below with Y (easting, with the zone number in front) and left with X (northing)."""
    step = nice_step(16 / sheet.mm_per_metre)
    minx, miny, maxx, maxy = sheet.view.bounds
    out = ['<g class="gk-grid">']
    left, top = sheet.left, sheet.top
    right, bottom = left + sheet.width, top + sheet.height
    tick = 1.6
    for easting in np.arange(math.ceil(minx / step) * step, maxx, step):
        x, _ = sheet.point(easting, miny)
        out.append(
            f'<path d="M{x:.2f},{top:.2f} v{tick} M{x:.2f},{bottom:.2f} v{-tick}" '
            'stroke="#222" stroke-width="0.25"/>'
        )
        if not left + 6 < x < right - 6:
            continue  # its label would run past the frame's corner
        out.append(
            f'<text class="gk-tick" data-axis="Y" data-metres="{easting:.0f}" x="{x:.2f}" '
            f'y="{bottom + 3.4:.2f}" text-anchor="middle">{sheet.zone} {grouped(easting)}</text>'
        )
    for northing in np.arange(math.ceil(miny / step) * step, maxy, step):
        _, y = sheet.point(minx, northing)
        out.append(
            f'<path d="M{left:.2f},{y:.2f} h{tick} M{right:.2f},{y:.2f} h{-tick}" '
            'stroke="#222" stroke-width="0.25"/>'
        )
        if top + 5 < y < bottom - 5:
            out.append(
                f'<text class="gk-tick" data-axis="X" data-metres="{northing:.0f}" '
                f'transform="translate({left - 1.4:.2f},{y:.2f}) rotate(-90)" '
                f'text-anchor="middle">{grouped(northing)}</text>'
            )
        for easting in np.arange(math.ceil(minx / step) * step, maxx, step):
            x, _ = sheet.point(easting, northing)
            out.append(
                f'<path d="M{x - 1.2:.2f},{y:.2f} h2.4 M{x:.2f},{y - 1.2:.2f} v2.4" '
                'stroke="#8a8a8a" stroke-width="0.15"/>'
            )
    out.append("</g>")
    return out


def scale_bar(sheet: Sheet) -> list[str]:
    """A metric bar of a round length (about a fifth of the frame) with the scale 1:N, below
    the frame's lower left (under the tick labels), where it covers nothing."""
    metres = nice_step(sheet.width * 0.22 / sheet.mm_per_metre)
    if metres * sheet.mm_per_metre > sheet.width * 0.4:
        metres /= 2
    length = metres * sheet.mm_per_metre
    x, y = sheet.left + 1, sheet.top + sheet.height + 9.6
    label = f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
    half = length / 2
    return [
        f'<g class="scale-bar" data-metres="{metres:g}" data-mm="{length:.3f}">',
        f'<rect x="{x:.2f}" y="{y - 1.2:.2f}" width="{half:.2f}" height="1.2" fill="#222"/>',
        f'<rect x="{x + half:.2f}" y="{y - 1.2:.2f}" width="{half:.2f}" height="1.2" '
        'fill="#fff" stroke="#222" stroke-width="0.2"/>',
        f'<text x="{x:.2f}" y="{y - 2:.2f}" text-anchor="middle">0</text>',
        f'<text x="{x + length:.2f}" y="{y - 2:.2f}" text-anchor="middle">{label}</text>',
        f'<text class="scale-ratio" x="{x + length + 5:.2f}" y="{y:.2f}">'
        f"比例尺 1:{grouped(sheet.denominator)}</text>",
        "</g>",
    ]


def north_arrow(sheet: Sheet) -> list[str]:
    """Grid north (up; off true north by the meridian convergence, under 1.5° in Ankang)."""
    x, y = sheet.left + sheet.width - 6, sheet.top + 3
    return [
        f'<g class="north-arrow"><rect x="{x - 4:.2f}" y="{y - 1:.2f}" width="8" height="14" '
        'fill="#fff" fill-opacity="0.85"/>'
        f'<path d="M{x:.2f},{y:.2f} L{x + 2.6:.2f},{y + 8:.2f} L{x:.2f},{y + 6.4:.2f} Z" '
        'fill="#222"/>'
        f'<path d="M{x:.2f},{y:.2f} L{x - 2.6:.2f},{y + 8:.2f} L{x:.2f},{y + 6.4:.2f} Z" '
        'fill="#fff" stroke="#222" stroke-width="0.2"/>'
        f'<text x="{x:.2f}" y="{y + 12:.2f}" text-anchor="middle" font-weight="bold">北</text>'
        "</g>"
    ]


def svg_open(width: float, height: float, css_class: str, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}mm" height="{height:g}mm" '
        f'viewBox="0 0 {width:g} {height:g}" class="{css_class}" role="img" '
        f'aria-label="{escape(label)}" font-family="{FONT}" font-size="2.3">'
    )
