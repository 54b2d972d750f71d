"""PNG and PDF from an HTML page by headless Chromium (Debian's ``chromium``), run as a process.

Chromium renders only our markup, and nothing it could be tricked into fetching:

- the page is written to a private temporary folder and opened as a file, with a strict
  Content-Security-Policy ``<meta>`` put first in its ``<head>`` (``POLICY``: nothing may be
  loaded but ``data:`` images, fonts and styles; no frames, no scripts, no forms);
- no JavaScript runs: none of our rendered pages (snapshots, the check report) needs any, so
  the policy says ``script-src 'none'`` (no scripts, event handlers or ``javascript:`` URLs;
  ``--blink-settings=scriptEnabled=false`` would be the switch, but headless Chromium then
  prints nothing);
- no network at all: every host name resolves to nothing and every connection, loopback
  included, goes to a proxy that does not exist;
- the process runs at a lower CPU priority (``NICE``) so the map stays responsive.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
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
    # No network: names resolve to nothing, connections (loopback too) go to a dead proxy.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--dns-prefetch-disable",
    "--no-pings",
    "--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication",
]
TIMEOUT_S = 60
NICE = 10
#: Everything a rendered page may use: inline styles, data: images and fonts. Nothing else.
POLICY = (
    "default-src 'none'; style-src 'unsafe-inline' data:; img-src data:; font-src data:; "
    "script-src 'none'; connect-src 'none'; frame-src 'none'; child-src 'none'; "
    "object-src 'none'; media-src 'none'; form-action 'none'; base-uri 'none'"
)
HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)
REFRESH = re.compile(r"(<meta\b[^>]*?\bhttp-equiv\s*=\s*[\"']?\s*)refresh", re.IGNORECASE)


class RendererUnavailable(GeoServiceError):
    """PNG/PDF need Chromium and a Chinese font on the server (HTTP 503)."""

    status = 503
    code = "renderer_unavailable"


def find_chromium(configured: str = "") -> str:
    for candidate in (configured, "chromium", "chromium-browser", "google-chrome"):
        if candidate and (path := shutil.which(candidate)):
            return path
    raise RendererUnavailable("render.no_chromium")


def has_cjk_font() -> bool:
    """Whether fontconfig knows a font with Chinese glyphs (else text renders as boxes)."""
    try:
        listed = subprocess.run(
            ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return bool(listed.stdout.strip())


def harden(html: str, policy: str = POLICY) -> str:
    """``html`` with the policy ``<meta>`` first in its head and no meta refresh (a refresh
    would navigate away, which a CSP does not stop)."""
    html = REFRESH.sub(r"\1refused", html)
    if not policy:
        return html
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    match = HEAD.search(html)
    if match:
        return html[: match.end()] + meta + html[match.end() :]
    return f"<!DOCTYPE html><html><head>{meta}</head><body>{html}</body></html>"


def lower_priority() -> list[str]:
    """A command prefix: nice +10, and (when running as root) no way back: Chromium raises some
    of its threads to nice -8 when it may, so CAP_SYS_NICE leaves the bounding set first.

    A prefix, not ``preexec_fn``: forking a threaded server and running Python in the child
    can deadlock before ``exec`` (seen here under load)."""
    prefix = [shutil.which("nice") or "nice", "-n", str(NICE)]
    setpriv = shutil.which("setpriv")
    if os.geteuid() == 0 and setpriv:
        prefix += [setpriv, "--bounding-set", "-sys_nice"]
    return prefix


def end_group(process: subprocess.Popen) -> None:
    """Chromium and every helper it started: none outlives the render."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def run(chromium: str, html: str, args: list[str], output_name: str, policy: str = POLICY) -> bytes:
    """Render ``html`` with Chromium; ``policy`` is only ever changed by the tests."""
    if not has_cjk_font():
        raise RendererUnavailable("render.no_cjk_font")
    with tempfile.TemporaryDirectory(prefix="geo_service-render-") as folder:
        page = Path(folder) / "page.html"
        page.write_text(harden(html, policy), encoding="utf-8")
        output = Path(folder) / output_name
        args = [a.replace("{out}", str(output)) for a in args]
        command = [
            *lower_priority(),
            chromium,
            *FLAGS,
            f"--user-data-dir={folder}/profile",
            *args,
            page.as_uri(),
        ]
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
        )
        try:
            _, stderr = process.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise RendererUnavailable("render.timeout", seconds=TIMEOUT_S) from None
        finally:
            end_group(process)
        if not output.exists():
            tail = stderr.decode(errors="replace").strip().splitlines()[-1:]
            raise RendererUnavailable("render.no_output", detail=" ".join(tail)[:300])
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
