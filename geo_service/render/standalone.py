"""The interactive map as one self-contained HTML file that opens offline from disk.

The web layer renders the page at ``/`` as usual and hands it here; every ``/static`` asset
it names is inlined: stylesheets (with the images they reference as data URIs), scripts, the
favicon. Links back to the service are dropped, since a file on a desk has no service behind it.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from datetime import date
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
LINK = re.compile(r'<link rel="(stylesheet|icon)"[^>]*href="/static/([^"]+)"[^>]*>')
SCRIPT = re.compile(r'<script[^>]*src="/static/([^"]+)"[^>]*></script>')
CSS_URL = re.compile(r"url\((['\"]?)([^)'\"]+)\1\)")
SERVICE_LINK = re.compile(r'<a\b[^>]*\shref="/[^"]*"[^>]*>([^<]*)</a>')
#: Parts of the page only the service can fill (links shown by role): dropped offline.
SERVICE_ONLY = re.compile(r"<span hidden data-gs-import[^>]*>.*?</span>", re.S)


def data_uri(path: Path) -> str:
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mimetype};base64,{base64.b64encode(path.read_bytes()).decode()}"


def inline_css(relative: str) -> str:
    path = STATIC_DIR / relative
    css = path.read_text(encoding="utf-8")

    def replace(match: re.Match) -> str:
        target = match.group(2)
        if target.startswith(("data:", "#")) or "://" in target:
            return match.group(0)
        resolved = (path.parent / target).resolve()
        if not resolved.is_file() or STATIC_DIR not in resolved.parents:
            return match.group(0)
        return f'url("{data_uri(resolved)}")'

    return CSS_URL.sub(replace, css)


def inline_assets(html: str) -> str:
    def link(match: re.Match) -> str:
        kind, relative = match.groups()
        if kind == "icon":
            return f'<link rel="icon" href="{data_uri(STATIC_DIR / relative)}">'
        return f"<style>/* {relative} */\n{inline_css(relative)}\n</style>"

    def script(match: re.Match) -> str:
        code = (STATIC_DIR / match.group(1)).read_text(encoding="utf-8")
        code = code.replace("</script", "<\\/script")
        return f"<script>/* {match.group(1)} */\n{code}</script>"

    html = LINK.sub(link, html)
    html = SCRIPT.sub(script, html)
    return SERVICE_LINK.sub(r"\1", SERVICE_ONLY.sub("", html))


def standalone_map(html: str) -> str:
    """The rendered map page ``html`` (``/``, without head links) with an offline note and
    everything inlined."""
    note = (
        f'<p class="gs-offline-note">离线版地图（导出于 {date.today().isoformat()}，'
        "数据版本见上）：可直接用浏览器打开，无需网络。</p>"
    )
    html = html.replace('<section class="gs-about">', note + '<section class="gs-about">', 1)
    html = html.replace("<script>", "<script>window.GS_OFFLINE = true;</script>\n<script>", 1)
    return inline_assets(html)
