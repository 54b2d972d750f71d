"""PNG and PDF from an HTML page by headless Chromium (Debian's ``chromium``), run as a process.

The page is written to a private temporary folder and opened as a file; Chromium is started
with networking limited to what the page itself needs (nothing, for our snapshots).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from geo_service.errors import GeoServiceError

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
    "--disable-extensions",
]
TIMEOUT_S = 60


class RendererUnavailable(GeoServiceError):
    """PNG/PDF need Chromium and a Chinese font on the server (HTTP 503)."""

    status = 503
    code = "renderer_unavailable"


def find_chromium(configured: str = "") -> str:
    for candidate in (configured, "chromium", "chromium-browser", "google-chrome"):
        if candidate and (path := shutil.which(candidate)):
            return path
    raise RendererUnavailable(
        "PNG and PDF snapshots need Chromium on the server: apt-get install chromium "
        "fonts-wqy-microhei (or set CHROMIUM_PATH); SVG snapshots work without it"
    )


def has_cjk_font() -> bool:
    """Whether fontconfig knows a font with Chinese glyphs (else text renders as boxes)."""
    try:
        listed = subprocess.run(
            ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return bool(listed.stdout.strip())


def run(chromium: str, html: str, args: list[str], output_name: str) -> bytes:
    if not has_cjk_font():
        raise RendererUnavailable(
            "no Chinese font on the server: apt-get install fonts-wqy-microhei (or fonts-noto-cjk)"
        )
    with tempfile.TemporaryDirectory(prefix="geo_service-render-") as folder:
        page = Path(folder) / "page.html"
        page.write_text(html, encoding="utf-8")
        output = Path(folder) / output_name
        args = [a.replace("{out}", str(output)) for a in args]
        command = [chromium, *FLAGS, f"--user-data-dir={folder}/profile", *args, page.as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise RendererUnavailable(
                f"Chromium took over {TIMEOUT_S} s; try a smaller size or dpi"
            ) from None
        if not output.exists():
            tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
            raise RendererUnavailable(f"Chromium produced no output ({' '.join(tail)})")
        return output.read_bytes()


def png(chromium: str, html: str, width: int, height: int, scale: float) -> bytes:
    """A screenshot of ``width`` × ``height`` CSS px at ``scale`` device px per CSS px."""
    return run(
        chromium,
        html,
        [
            f"--window-size={width},{height}",
            f"--force-device-scale-factor={scale:.6f}",
            "--default-background-color=ffffffff",
            "--screenshot={out}",
        ],
        "page.png",
    )


def pdf(chromium: str, html: str) -> bytes:
    """A vector PDF; the page size comes from the page's CSS ``@page`` rule."""
    return run(chromium, html, ["--no-pdf-header-footer", "--print-to-pdf={out}"], "page.pdf")
