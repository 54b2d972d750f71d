"""Which query parameters each OGC API request understands, and the Part 1 rules on them.

OGC API - Features Part 1 (1.0) /req/core/query-param-unknown: a query parameter the API
definition does not specify is a 400; /req/core/query-param-invalid: so is an invalid value.
``ACCEPTED`` is the one list: the views check requests against it and the OpenAPI document
(geo_service.web.openapi_paths) lists exactly these parameters for each operation.

``limit`` above the maximum is not an error: Part 1 says the server returns at most its maximum
("if you ask for 50000, you might get up to 10000 (server-limited) and if there are more, a next
link", §7.15.3, confirmed by the SWG on opengeospatial/ogcapi-features#368), so it is clamped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime

from werkzeug.datastructures import MultiDict

from geo_service.errors import BadRequest

#: Every OGC API request and the query parameters it accepts (``f`` everywhere). Part 2
#: (crs, bbox-crs) and Part 3 (filter, filter-lang, filter-crs, properties, sortby) included.
ACCEPTED: dict[str, tuple[str, ...]] = {
    "landing": ("f",),
    "conformance": ("f",),
    "api": ("f",),
    "collections": ("f",),
    "collection": ("f",),
    "queryables": ("f",),
    "items": (
        "f",
        "limit",
        "offset",
        "bbox",
        "bbox-crs",
        "datetime",
        "crs",
        "filter",
        "filter-lang",
        "filter-crs",
        "properties",
        "sortby",
        "version",
        "cursor",
    ),
    "item": ("f", "crs", "version"),
    "download": ("f", "crs", "version"),
    "versions": ("f",),
    "layer_version": ("f", "against"),
    "tile_matrix_sets": ("f",),
    "tile_matrix_set": ("f",),
    "tilesets": ("f",),
    "tileset": ("f", "version"),
    "tile": ("f", "version"),
    "edit": (),  # Part 4's writes and an item's history take no query parameters
}

#: Where each request is, for the messages (the path a client sent).
WHERE: dict[str, str] = {
    "landing": "/",
    "conformance": "/conformance",
    "api": "/api",
    "collections": "/collections",
    "collection": "/collections/{collectionId}",
    "queryables": "/collections/{collectionId}/queryables",
    "items": "/collections/{collectionId}/items",
    "item": "/collections/{collectionId}/items/{featureId}",
    "download": "/collections/{collectionId}/download",
    "versions": "/collections/{collectionId}/versions",
    "layer_version": "/collections/{collectionId}/versions/{version}",
    "edit": "/collections/{collectionId}/items/{featureId}",
    "tile_matrix_sets": "/tileMatrixSets",
    "tile_matrix_set": "/tileMatrixSets/{tileMatrixSetId}",
    "tilesets": "/collections/{collectionId}/tiles",
    "tileset": "/collections/{collectionId}/tiles/{tileMatrixSetId}",
    "tile": "/collections/{collectionId}/tiles/{tileMatrixSetId}/{z}/{y}/{x}",
}

NAME_CHARS = 40  # of a hostile parameter name or value quoted back in a message
DATETIME_CHARS = 80
INTEGER_CHARS = 1000  # digits of an integer parameter (a longer one is refused, not parsed)


def check_query(args: MultiDict, request_kind: str) -> None:
    """Refuse (400) a parameter ``request_kind`` does not accept, or one given twice."""
    accepted = ACCEPTED[request_kind]
    for name in args:
        if name not in accepted:
            raise BadRequest(
                "param.unknown",
                name=name[:NAME_CHARS],
                where=WHERE[request_kind],
                accepted=", ".join(accepted),
            )
        count = len(args.getlist(name))
        if count > 1:
            raise BadRequest("param.repeated", name=name, count=count)


def carried(args: Mapping[str, str], request_kind: str, *dropped: str) -> dict[str, str]:
    """The request's own parameters to carry into its links (``self``, ``alternate``, paging),
    without ``f`` (each link sets its own) and ``dropped``."""
    keep = set(ACCEPTED[request_kind]) - {"f", *dropped}
    return {name: value for name, value in args.items() if name in keep}


def int_param(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """An integer in ``[low, high]`` (400 otherwise); ``default`` when absent. The one integer
    parser of every query parameter (items, checks, accounts): ASCII digits only."""
    raw = args.get(name)
    if raw is None:
        return default
    value = integer(name, raw)
    if not low <= value <= high:
        raise BadRequest("param.out_of_range", name=name, value=value, low=low, high=high)
    return value


def limit_param(args: Mapping[str, str], default: int, maximum: int) -> int:
    """``limit``: at least 1 (0, negative or not an integer is a 400); above ``maximum`` it is
    served as ``maximum`` (Part 1: server-limited, not an error)."""
    raw = args.get("limit")
    if raw is None:
        return default
    value = integer("limit", raw)
    if value < 1:
        raise BadRequest("param.limit_too_small", value=value, maximum=maximum)
    return min(value, maximum)


#: An integer as a query parameter writes it: an optional sign and ASCII digits. Python's int()
#: also takes "1_0", full-width "１０", other scripts' digits and spaces: none of those here.
INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
#: A number: sign, ASCII digits, a decimal point, an exponent (float() also takes "1_0",
#: "１", "inf", "nan" and spaces).
NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)
NUMBER_CHARS = 40  # of one number (17 significant digits, exponent and sign fit easily)


def integer(name: str, raw: str) -> int:
    """``raw`` as an integer (``INTEGER``, at most ``INTEGER_CHARS``); 400 naming ``name``."""
    if not is_integer(raw):
        raise BadRequest("param.not_integer", name=name, value=raw[:NAME_CHARS])
    return int(raw)


def is_integer(raw: str) -> bool:
    """Whether ``raw`` is an integer as ``INTEGER`` writes it (at most ``INTEGER_CHARS``)."""
    return len(raw) <= INTEGER_CHARS and INTEGER.fullmatch(raw) is not None


def is_number(raw: str) -> bool:
    """Whether ``raw`` is one finite number as ``NUMBER`` writes it."""
    return (
        len(raw) <= NUMBER_CHARS and NUMBER.fullmatch(raw) is not None and math.isfinite(float(raw))
    )


def numbers(raw: str, counts: tuple[int, ...]) -> list[float] | None:
    """``raw`` as comma-separated finite numbers, ``len`` in ``counts``; None when it is not
    (the caller raises its own precise 400: which parameter, which order)."""
    parts = raw.split(",", max(counts))
    if len(parts) not in counts or not all(is_number(part) for part in parts):
        return None
    return [float(part) for part in parts]


def datetime_param(raw: str | None) -> tuple[datetime | None, datetime | None] | None:
    """``datetime``: an RFC 3339 instant or an interval ``start/end`` with ``..`` (or empty)
    for an open end. Checked, not applied: no layer carries time (README)."""
    if raw is None:
        return None
    if len(raw) > DATETIME_CHARS:
        raise BadRequest("param.datetime", value=raw[:NAME_CHARS])
    parts = raw.split("/")
    if len(parts) > 2 or parts == ["..", ".."] or (len(parts) == 1 and parts[0] in ("", "..")):
        raise BadRequest("param.datetime", value=raw[:NAME_CHARS])
    moments = [_moment(part, raw) for part in parts]
    start, end = moments[0], moments[-1]
    if start and end and _comparable(start) > _comparable(end):
        raise BadRequest("param.datetime", value=raw[:NAME_CHARS])
    return start, end


def _moment(part: str, raw: str) -> datetime | None:
    if part in ("", ".."):
        return None
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9:.]+([Zz]|[+-][0-9:]+)?)?", part):
        raise BadRequest("param.datetime", value=raw[:NAME_CHARS])
    try:
        return datetime.fromisoformat(part.replace("z", "Z"))
    except ValueError:
        raise BadRequest("param.datetime", value=raw[:NAME_CHARS]) from None


def _comparable(moment: datetime) -> datetime:
    """Naive UTC (a moment without an offset is taken as UTC, as far as order goes)."""
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)
