"""CQL2 JSON: bounded, checked by JSON path, then handed to pygeofilter's parser."""

from __future__ import annotations

import json
import math

import shapely
import shapely.errors
import shapely.geometry
from pygeofilter import ast
from pygeofilter.parsers.cql2_json import parse as parse_cql2_json

from geo_service.errors import BadRequest
from geo_service.messages import Msg
from geo_service.query.cql_faults import invalid_filter

MAX_DEPTH = 26  # the filter's own depth (cql.MAX_DEPTH) plus geometry coordinates
MAX_NODES = 4000
SUPPORTED = (
    "and, or, not, isNull, =, <>, <, <=, >, >=, like, in, between, casei, s_intersects, "
    "s_disjoint, s_contains, s_within, s_touches, s_crosses, s_overlaps, s_equals"
)


#: Python's JSON decoder's reasons (the start of exc.msg) in the catalogue's words.
JSON_REASONS = (
    ("Expecting value", "cql.json_reason_value"),
    ("Expecting property name", "cql.json_reason_name"),
    ("Expecting ',' delimiter", "cql.json_reason_comma"),
    ("Expecting ':' delimiter", "cql.json_reason_colon"),
    ("Unterminated string", "cql.json_reason_string"),
    ("Invalid control character", "cql.json_reason_control"),
    ("Invalid \\", "cql.json_reason_escape"),
    ("Extra data", "cql.json_reason_extra"),
)


def json_reason(reason: str) -> Msg:
    """What the JSON decoder found wrong, as a person reads it."""
    for start, key in JSON_REASONS:
        if reason.startswith(start):
            return Msg(key)
    return Msg("cql.json_reason_other")


def parse_json(text: str) -> ast.Node:
    """The AST of a CQL2 JSON filter; 400 with the line/column or the JSON path of a fault."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadRequest(
            "cql.json_syntax",
            line=exc.lineno,
            column=exc.colno,
            char=exc.pos + 1,
            reason=json_reason(exc.msg),
            details={"reason": exc.msg},
        ) from None
    document = check_json(document, "", 0, [0])
    try:
        return parse_cql2_json(document)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        # the arguments are checked above; the library's own words go to details only
        raise invalid_filter(exc) from None


JSON_OPS = {"and", "or", "not", "isNull", "between", "like", "in", "casei"} | set(
    ["=", "<>", "<", "<=", ">", ">="]
    + [f"s_{op}" for op in ("intersects", "equals", "disjoint", "touches")]
    + [f"s_{op}" for op in ("within", "overlaps", "crosses", "contains")]
)


def check_json(node, where: str, depth: int, count: list[int]):
    """Bound a CQL2 JSON document, check its operators by path, turn ``{"bbox"}`` into a polygon.

    (pygeofilter 0.4 reads ``{"bbox": [minx, miny, maxx, maxy]}`` in the wrong order.)
    """
    count[0] += 1
    if depth > MAX_DEPTH or count[0] > MAX_NODES:
        raise BadRequest("cql.json_too_complex", depth=MAX_DEPTH, nodes=MAX_NODES)
    if isinstance(node, list):
        return [check_json(n, f"{where}/{i}", depth + 1, count) for i, n in enumerate(node)]
    if not isinstance(node, dict):
        return node
    if "op" in node:
        op = node["op"]
        if not isinstance(op, str) or op not in JSON_OPS:
            raise BadRequest(
                "cql.json_op", op=str(op)[:40], where=where or "/", supported=SUPPORTED
            )
        if not isinstance(node.get("args"), list | dict):
            raise BadRequest("cql.json_args", op=op, where=where or "/")
    if "property" in node and (not isinstance(node["property"], str) or not node["property"]):
        raise BadRequest("cql.json_property", where=f"{where}/property")
    if node.get("type") in GEOMETRY_TYPES:
        check_geometry(node, where or "/")
    if "bbox" in node and "type" not in node:
        box = node["bbox"]
        if not (isinstance(box, list) and len(box) in (4, 6)) or not numbers(box):
            raise BadRequest("cql.bad_bbox", where=where or "/")
        corners = (box[0], box[1], box[3], box[4]) if len(box) == 6 else tuple(box)
        return shapely.geometry.mapping(bbox_shape(corners, where or "/"))
    checked = {k: check_json(v, f"{where}/{k}", depth + 1, count) for k, v in node.items()}
    return check_args(checked, where) if "op" in node else checked  # inner faults first


def numbers(items) -> bool:
    return all(
        isinstance(n, int | float) and not isinstance(n, bool) and math.isfinite(n) for n in items
    )


def bbox_shape(corners: tuple, where: str) -> shapely.Polygon:
    """The polygon of a filter's bbox (minx, miny, maxx, maxy); a minimum above its maximum is
    a 400 (as for the ``bbox`` parameter: no boxes across the antimeridian)."""
    minx, miny, maxx, maxy = corners
    if minx > maxx or miny > maxy:
        raise BadRequest("cql.bad_bbox", where=where)
    return shapely.box(minx, miny, maxx, maxy)


#: How many arguments each operator takes (``and``/``or`` at least two; ``between`` also in
#: pygeofilter's older form ``[value, [low, high]]``).
ARITY = {op: 2 for op in JSON_OPS} | {"not": 1, "isNull": 1, "casei": 1, "between": 3}
EXAMPLE = {
    "not": '{"op": "not", "args": [{"op": "=", "args": [{"property": "name"}, "…"]}]}',
    "isNull": '{"op": "isNull", "args": [{"property": "name"}]}',
    "casei": '{"op": "casei", "args": [{"property": "name"}]}',
    "between": '{"op": "between", "args": [{"property": "area_km2"}, 1000, 2500]}',
    "in": '{"op": "in", "args": [{"property": "name"}, ["…", "…"]]}',
    "like": '{"op": "like", "args": [{"property": "name"}, "%…%"]}',
}
SPATIAL_EXAMPLE = (
    '{{"op": "{op}", "args": [{{"property": "geometry"}}, '
    '{{"type": "Point", "coordinates": [108.9, 32.7]}}]}}'
)
GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon")
GEOMETRY_TYPES += ("MultiPolygon", "GeometryCollection")


def check_args(node: dict, where: str) -> dict:
    """The operator's argument count and shapes, by JSON path: a precise 400 instead of the
    library's TypeError; ``between``'s CQL2 1.0 form (three arguments) as pygeofilter reads it."""
    op, args = node["op"], node["args"]
    at, second = where or "/", f"{where}/args/1"
    if isinstance(args, dict):  # pygeofilter reads {"args": {...}} for not / isNull only
        if op in ("not", "isNull"):
            return node
        raise BadRequest("cql.json_args", op=op, where=at)
    example = EXAMPLE.get(op, f'{{"op": "{op}", "args": [{{"property": "name"}}, "…"]}}')
    if op.startswith("s_"):
        example = SPATIAL_EXAMPLE.format(op=op)
    if op in ("and", "or"):
        if len(args) < 2:
            raise BadRequest("cql.json_arity_min", op=op, where=at, count=len(args))
        return node
    if op == "between" and len(args) == 2 and isinstance(args[1], list) and len(args[1]) == 2:
        return node
    if len(args) != ARITY[op]:
        raise BadRequest(
            "cql.json_arity",
            op=op,
            where=at,
            expected=ARITY[op],
            count=len(args),
            example=example,
        )
    if op == "between":
        return {**node, "args": [args[0], [args[1], args[2]]]}
    if op == "in" and not isinstance(args[1], list):
        raise BadRequest("cql.json_in_list", where=second, example=example)
    if op == "like" and not isinstance(args[1], str):
        raise BadRequest("cql.json_like_pattern", where=second, example=example)
    return node


def check_geometry(node: dict, where: str) -> None:
    """A GeoJSON geometry literal that shapely can read, not empty; 400 naming its path."""
    try:
        shape = shapely.geometry.shape(node)
    except (
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
        shapely.errors.ShapelyError,
    ):
        raise BadRequest("cql.json_geometry", where=where, type=node["type"]) from None
    if shape.is_empty:
        raise BadRequest("cql.geometry_empty")
