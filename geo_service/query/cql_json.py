"""CQL2 JSON: bounded, checked by JSON path, then handed to pygeofilter's parser."""

from __future__ import annotations

import json
import math

import shapely
import shapely.geometry
from pygeofilter import ast
from pygeofilter.parsers.cql2_json import parse as parse_cql2_json

from geo_service.errors import BadRequest

MAX_DEPTH = 26  # the filter's own depth (cql.MAX_DEPTH) plus geometry coordinates
MAX_NODES = 4000
SUPPORTED = (
    "and, or, not, isNull, =, <>, <, <=, >, >=, like, in, between, casei, s_intersects, "
    "s_disjoint, s_contains, s_within, s_touches, s_crosses, s_overlaps, s_equals"
)


def parse_json(text: str) -> ast.Node:
    """The AST of a CQL2 JSON filter; 400 with the line/column or the JSON path of a fault."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadRequest(
            "cql.json_syntax", line=exc.lineno, column=exc.colno, char=exc.pos + 1, reason=exc.msg
        ) from None
    document = check_json(document, "", 0, [0])
    try:
        return parse_cql2_json(document)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise BadRequest("cql.invalid", reason=str(exc)[:200]) from None


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
    if "bbox" in node and "type" not in node:
        box = node["bbox"]
        if not (isinstance(box, list) and len(box) in (4, 6)) or not numbers(box):
            raise BadRequest("cql.bad_bbox", where=where or "/")
        corners = (box[0], box[1], box[3], box[4]) if len(box) == 6 else tuple(box)
        return shapely.geometry.mapping(bbox_shape(corners, where or "/"))
    return {k: check_json(v, f"{where}/{k}", depth + 1, count) for k, v in node.items()}


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
