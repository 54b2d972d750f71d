"""Static files (our CSS/JS and the vendored Leaflet) with the same ETag, 304 and gzip as data.

Flask's own static view sends files uncompressed; Leaflet alone is 147 KB raw, 42 KB gzipped,
so the map page's weight depends on this.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from flask import Flask, current_app
from werkzeug.security import safe_join

from geo_service.errors import NotFound
from geo_service.web.http import BodyCache, make_body, send_body

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def static_file(filename: str):
    path = safe_join(str(STATIC_DIR), filename)
    if path is None or not Path(path).is_file():
        raise NotFound("static.not_found", name=filename[:200])
    cache: BodyCache = current_app.extensions["geo_service.bodies"]

    def make():
        mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return make_body(Path(path).read_bytes(), mimetype)

    return send_body(cache.get_or_make(f"static {filename}", make))


def register(app: Flask) -> None:
    app.add_url_rule("/static/<path:filename>", endpoint="static", view_func=static_file)
