"""Response helpers: negotiated format, strong ETags with 304, and gzip.

A body is a pure function of the request URL and of the layer versions served
(``Catalog.state``): bodies are cached (bounded) under both, together with their gzip form and
ETag, so a new layer version is answered at once with new ETags, and a conditional GET costs
a dictionary look-up.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import quote

from flask import Response, current_app, g, has_request_context, request
from flask.json.provider import DefaultJSONProvider

from geo_service.errors import NotAcceptable
from geo_service.messages import localise, negotiate

GEOJSON = "application/geo+json"
JSON = "application/json"
CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HTML = "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
GZIP_MIN_BYTES = 1024
CACHE_ENTRIES = 512
INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


@dataclass(frozen=True)
class Body:
    raw: bytes
    gzipped: bytes | None
    etag: str
    mimetype: str
    script_hashes: tuple[str, ...] = ()


class BodyCache:
    """A bounded LRU of rendered bodies keyed by request path and query."""

    def __init__(self, size: int = CACHE_ENTRIES):
        self.size = size
        self.entries: OrderedDict[str, Body] = OrderedDict()

    def get_or_make(self, key: str, make) -> Body:
        body = self.entries.get(key)
        if body is None:
            body = make()
            self.entries[key] = body
            if len(self.entries) > self.size:
                self.entries.popitem(last=False)
        else:
            self.entries.move_to_end(key)
        return body


def compressible(mimetype: str) -> bool:
    return mimetype.startswith("text/") or mimetype.endswith(("json", "javascript", "xml"))


def make_body(raw: bytes, mimetype: str, tag: str = "") -> Body:
    """A body with its gzip form and strong ETag; with ``tag`` (a single feature's content
    hash, see geo_service.feature_edits) the ETag is ``tag-<body hash>``, so that an If-Match
    can be checked against the feature whatever representation it was taken from."""
    worth_it = len(raw) >= GZIP_MIN_BYTES and compressible(mimetype)
    gzipped = gzip.compress(raw, compresslevel=6, mtime=0) if worth_it else None
    hashes = tuple(script_hashes(raw)) if mimetype == HTML else ()
    digest = hashlib.sha256(raw).hexdigest()
    etag = f"{tag}-{digest[:16]}" if tag else digest[:32]
    return Body(raw, gzipped, etag, mimetype, hashes)


def payload_body(payload, mimetype: str, tag: str = "") -> Body:
    """The body of a JSON payload (or an HTML text), as every cached answer writes it."""
    if isinstance(payload, str):
        raw = payload.encode("utf-8")
    else:
        raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return make_body(raw, mimetype, tag)


def script_hashes(html: bytes) -> list[str]:
    """CSP sources allowing each inline script of a page (Folium's included), and no other."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
        for body in INLINE_SCRIPT.findall(html)
    ]


def language() -> str:
    """The answer's language: Chinese unless Accept-Language prefers English."""
    return negotiate(request.accept_languages) if has_request_context() else "zh"


def wanted_format(allowed: tuple[str, ...] = ("json", "html")) -> str:
    """``f=`` wins; otherwise the Accept header; JSON when nothing says otherwise."""
    asked = request.args.get("f")
    if asked is not None:
        if asked not in allowed:
            raise NotAcceptable("format.not_offered", asked=asked[:40], choices=", ".join(allowed))
        return asked
    if "html" in allowed:
        best = request.accept_mimetypes.best_match([JSON, GEOJSON, HTML], default=JSON)
        if best == HTML and request.accept_mimetypes[HTML] > request.accept_mimetypes[JSON]:
            return "html"
    return "json"


def cached_response(make_payload, mimetype: str, tag=None) -> Response:
    """Serve a JSON or HTML body for this URL with ETag, 304 and gzip (``tag``: a function
    giving the ETag's prefix, see ``make_body``)."""
    cache: BodyCache = current_app.extensions["geo_service.bodies"]
    state = current_app.extensions["geo_service.catalog"].state
    key = f"{mimetype} {language()} {state} {request.full_path}"  # titles follow the language

    def make() -> Body:
        return payload_body(make_payload(), mimetype, tag() if tag else "")

    return send_body(cache.get_or_make(key, make))


def takes_gzip() -> bool:
    """Whether the client accepts gzip: named or ``*`` with a quality above 0 (``gzip;q=0``
    is a refusal, RFC 9110 12.5.3)."""
    return request.accept_encodings.quality("gzip") > 0


def send_body(body: Body) -> Response:
    """A response for a prepared body, honouring If-None-Match and Accept-Encoding."""
    headers = {
        "ETag": f'"{body.etag}"',
        "Vary": "Accept, Accept-Encoding, Accept-Language",
        "Cache-Control": "no-cache",
    }
    # before the 304 too: a browser keeps its cached page but takes the 304's CSP, which must
    # still allow the page's inline scripts (a reload, or the map after logging in)
    g.csp_script_hashes = list(body.script_hashes)
    if request.if_none_match.contains_weak(body.etag):
        return Response(status=304, headers=headers)
    data = body.raw
    if body.gzipped is not None and takes_gzip():
        data = body.gzipped
        headers["Content-Encoding"] = "gzip"
    return Response(data, mimetype=body.mimetype, headers=headers)


def file_response(
    data, content_type: str, filename: str, *, fallback: str | None = None, inline: bool = False
) -> Response:
    """A file: ``content_type`` sent as given (one charset, never doubled) and a
    Content-Disposition with an ASCII ``filename`` and, for a Chinese name, ``filename*``
    (RFC 6266 / RFC 5987). ``data`` may be bytes or an iterator of chunks (streamed)."""
    disposition = "inline" if inline else "attachment"
    ascii_name = fallback or ascii_fallback(filename)
    value = f'{disposition}; filename="{ascii_name}"'
    if ascii_name != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return Response(data, content_type=content_type, headers={"Content-Disposition": value})


#: Punctuation a file name stem may keep; any other character that is not a letter, digit or
#: combining mark becomes "_" (path separators, quotes, control and bidi characters, emoji).
STEM_PUNCTUATION = frozenset("-_.()（）·、，,[]【】 ")
STEM_CHARS = 40


def safe_stem(name: str, limit: int = STEM_CHARS) -> str:
    """The stem of an uploaded file's name, fit for a download's file name: the last path
    part without its extension, letters, digits and a little punctuation only, no leading
    dot, at most ``limit`` characters; "" when nothing is left."""
    last = re.split(r"[\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    stem, dot, extension = last.rpartition(".")
    if not dot or not re.fullmatch(r"[A-Za-z0-9]{1,8}", extension):
        stem = last
    kept = "".join(
        c if c in STEM_PUNCTUATION or unicodedata.category(c)[0] in "LNM" else "_" for c in stem
    )
    kept = re.sub(r" +", " ", re.sub(r"_+", "_", kept))
    return kept.strip(" ._-")[:limit].strip(" ._-")


def ascii_fallback(filename: str) -> str:
    """``filename`` reduced to safe ASCII for old clients: letters, digits, ``-_.`` only."""
    stem, dot, extension = filename.rpartition(".")
    if not dot:
        stem, extension = filename, ""
    plain = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    plain = re.sub(r"[^A-Za-z0-9._-]+", "-", plain).strip("-.") or "download"
    extension = re.sub(r"[^A-Za-z0-9]+", "", extension)
    return f"{plain}.{extension}" if extension else plain


class LocalisingJSON(DefaultJSONProvider):
    """Flask's JSON answers with every stored message record in the client's language.

    Records (geo_service.messages.record) are stored in Chinese; an English client
    (Accept-Language: en) gets them re-rendered. Answers say they vary by language.
    """

    ensure_ascii = False

    def response(self, *args, **kwargs) -> Response:
        lang = language()
        if lang != "zh" and len(args) == 1 and not kwargs:
            args = (localise(args[0], lang),)
        answer = super().response(*args, **kwargs)
        answer.vary.add("Accept-Language")
        return answer
