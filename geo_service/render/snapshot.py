"""Snapshots: parameters checked and bounded, then SVG, PNG or PDF of the static map.

Shared by ``GET /api/snapshot`` and ``python -m geo_service snapshot``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import shapely

from geo_service.catalog import Catalog
from geo_service.errors import BadRequest
from geo_service.query import params
from geo_service.render import chromium
from geo_service.render.layout import render_svg
from geo_service.render.static import CSS_PX_PER_MM, MapSpec, Overlay

PAPERS_MM = {"A4": (297, 210), "A3": (420, 297)}
FORMATS = {"png": "image/png", "pdf": "application/pdf", "svg": "image/svg+xml"}
DPI_RANGE = (72, 600)
MAX_PIXELS = 40_000_000  # an A3 landscape at 400 dpi is 34 MP
MAX_SIDE_PX = 10_000
DEFAULT_TITLE = "安康市县域工业集中区与产业集群"
CITY_MARGIN_DEG = 0.05
MAX_TITLE = 80


@dataclass
class SnapshotRequest:
    format: str = "png"
    layers: list[str] = field(default_factory=list)
    bbox: tuple[float, float, float, float] | None = None
    title: str = DEFAULT_TITLE
    paper: str = "A4-landscape"
    size: tuple[int, int] | None = None  # CSS px; replaces paper when given
    dpi: int = 200
    overlays: list[Overlay] = field(default_factory=list)
    subtitle: str = ""

    @property
    def page_px(self) -> tuple[float, float]:
        if self.size:
            return self.size
        name, orientation = self.paper.split("-")
        long, short = PAPERS_MM[name]
        width, height = (long, short) if orientation == "landscape" else (short, long)
        return width * CSS_PX_PER_MM, height * CSS_PX_PER_MM

    @property
    def scale(self) -> float:
        """Device pixels per CSS px: dpi for paper, 1 for an explicit pixel size."""
        return 1.0 if self.size else self.dpi / 96


def parse_request(args: dict, catalog: Catalog) -> SnapshotRequest:
    """Query (or CLI) arguments to a request; a precise 400 for anything out of bounds."""
    request = SnapshotRequest()
    request.format = (args.get("format") or "png").lower()
    if request.format not in FORMATS:
        raise BadRequest("snapshot.bad_format", format=request.format[:40])
    request.layers = parse_layers(args.get("layers"), catalog)
    request.bbox = parse_bbox(args.get("bbox"))
    if request.bbox and not shapely.box(*request.bbox).intersects(shapely.box(*city_bbox(catalog))):
        raise BadRequest(
            "snapshot.bbox_outside",
            bbox=",".join(f"{v:g}" for v in request.bbox),
            city=",".join(f"{v:.2f}" for v in city_bbox(catalog)),
        )
    title = (args.get("title") or DEFAULT_TITLE).strip()
    if len(title) > MAX_TITLE:
        raise BadRequest("snapshot.title_too_long", max=MAX_TITLE)
    request.title = title
    paper = args.get("paper") or "A4-landscape"
    if not re.fullmatch(r"(A4|A3)-(landscape|portrait)", paper):
        raise BadRequest("snapshot.bad_paper", paper=str(paper)[:40])
    request.paper = paper
    if args.get("size"):
        match = re.fullmatch(r"(\d{2,5})x(\d{2,5})", str(args["size"]))
        if not match:
            raise BadRequest("snapshot.bad_size", size=str(args["size"])[:40])
        request.size = (int(match.group(1)), int(match.group(2)))
        if request.size[0] < 600 or request.size[1] < 400 or max(request.size) > MAX_SIDE_PX:
            raise BadRequest("snapshot.size_range", max=MAX_SIDE_PX)
    dpi = str(args.get("dpi") or 200)
    if not params.is_integer(dpi):
        raise BadRequest("snapshot.bad_dpi", dpi=dpi[:40])
    request.dpi = int(dpi)
    if not DPI_RANGE[0] <= request.dpi <= DPI_RANGE[1]:
        raise BadRequest("snapshot.dpi_range", low=DPI_RANGE[0], high=DPI_RANGE[1])
    width, height = request.page_px
    pixels = width * height * request.scale**2
    if request.format == "png" and pixels > MAX_PIXELS:
        raise BadRequest(
            "snapshot.too_many_pixels",
            width=f"{width * request.scale:.0f}",
            height=f"{height * request.scale:.0f}",
            max=f"{MAX_PIXELS:,}",
        )
    return request


def parse_layers(text: str | None, catalog: Catalog) -> list[str]:
    """Layer ids in drawing order; the map's default set (all but clusters) when absent."""
    if not text:
        return [layer_id for layer_id in catalog.layers if layer_id != "clusters"]
    asked = [part.strip() for part in str(text).split(",") if part.strip()]
    if not asked:
        raise BadRequest(
            "snapshot.no_layers", layers=str(text)[:100], known=", ".join(catalog.layers)
        )
    unknown = [layer_id for layer_id in asked if layer_id not in catalog.layers]
    if unknown:
        raise BadRequest(
            "snapshot.unknown_layers",
            unknown=", ".join(unknown)[:200],
            known=", ".join(catalog.layers),
        )
    return [layer_id for layer_id in catalog.layers if layer_id in asked]


def parse_bbox(text) -> tuple[float, float, float, float] | None:
    if text in (None, ""):
        return None
    joined = ",".join(map(str, text)) if isinstance(text, (list, tuple)) else str(text)
    found = params.numbers(joined, (4,))  # the strict number parser of every query parameter
    if found is None:
        raise BadRequest("bbox.not_numbers", raw=joined[:100])
    minx, miny, maxx, maxy = found
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        raise BadRequest("snapshot.bbox_inverted", bbox=f"{minx:g},{miny:g},{maxx:g},{maxy:g}")
    if maxx - minx > 20 or maxy - miny > 20:
        raise BadRequest("snapshot.bbox_too_wide")
    if (maxx - minx) < 1e-4 or (maxy - miny) < 1e-4:
        raise BadRequest("snapshot.bbox_too_small")
    return minx, miny, maxx, maxy


def city_bbox(catalog: Catalog) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = catalog.get("counties").bbox
    m = CITY_MARGIN_DEG
    return minx - m, miny - m, maxx + m, maxy + m


def page_html(svg: str, width: float, height: float) -> str:
    """The SVG in a page sized to it, for Chromium's screenshot and print."""
    return (
        f"<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>snapshot"
        f"</title><style>@page{{size:{width:.2f}px {height:.2f}px;margin:0}}"
        "html,body{margin:0;padding:0;background:#fff}svg{display:block}</style></head>"
        f"<body>{svg}</body></html>"
    )


def render_held(request: SnapshotRequest, catalog: Catalog, chromium_path: str, renders) -> bytes:
    """``render``; a PNG or PDF (Chromium) holds one of ``renders`` (land.jobs.Slots: at most so
    many at once, else 503 with Retry-After), an SVG none."""
    if request.format == "svg":
        return render(request, catalog, chromium_path)
    with renders.hold():
        return render(request, catalog, chromium_path)


def render(request: SnapshotRequest, catalog: Catalog, chromium_path: str = "") -> bytes:
    """The snapshot's bytes in the requested format."""
    width, height = request.page_px
    spec = MapSpec(
        width,
        height,
        request.bbox or city_bbox(catalog),
        request.layers,
        request.title,
        request.subtitle,
        request.overlays,
    )
    svg = render_svg(catalog, spec)
    if request.format == "svg":
        return ('<?xml version="1.0" encoding="UTF-8"?>\n' + svg).encode("utf-8")
    browser = chromium.find_chromium(chromium_path)
    html = page_html(svg, width, height)
    if request.format == "pdf":
        return chromium.pdf(browser, html)
    return chromium.png(browser, html, round(width), round(height), request.scale)
