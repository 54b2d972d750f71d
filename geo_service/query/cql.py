"""CQL2 filters (OGC API - Features Part 3) evaluated on a layer's in-memory features.

pygeofilter parses CQL2 text and CQL2 JSON into its AST; this module bounds the input, checks
the AST against the layer's queryables and compiles it into plain Python closures (no ``eval``,
no SQL). Logic is three-valued as in SQL: a comparison with a null (missing) value is unknown,
and only features for which the whole filter is true are returned.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import lark
import shapely
import shapely.geometry
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_text import parse as parse_cql2_text

from geo_service.errors import BadRequest
from geo_service.query import crs as part2
from geo_service.query.cql_faults import invalid_filter, invalid_geometry, unreadable_geometry
from geo_service.query.cql_json import bbox_shape
from geo_service.query.cql_json import numbers as _numbers
from geo_service.query.cql_json import parse_json as _parse_json
from geo_service.query.like import like_matcher

LANGUAGES = ("cql2-text", "cql2-json")
#: The drafts' name of CQL2 text, which GDAL's OAPIF driver (3.12) looks for in the OpenAPI
#: document before it sends its ``where`` to the server; read as cql2-text.
DRAFT_LANGUAGES = {"cql-text": "cql2-text"}
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#: The name of the features' geometry in filters (the primary-geometry queryable).
GEOMETRY = "geometry"
MAX_CHARS = 8192
MAX_DEPTH = 20
MAX_NODES = 500

#: (properties, geometry) -> True / False / None (unknown)
Predicate = Callable[[dict, object], bool | None]
Value = Callable[[dict, object], object]

COMPARE: dict[type, Callable[[object, object], bool]] = {
    ast.Equal: lambda a, b: a == b,
    ast.NotEqual: lambda a, b: a != b,
    ast.LessThan: lambda a, b: a < b,
    ast.LessEqual: lambda a, b: a <= b,
    ast.GreaterThan: lambda a, b: a > b,
    ast.GreaterEqual: lambda a, b: a >= b,
}
SPATIAL: dict[type, Callable] = {
    ast.GeometryIntersects: shapely.intersects,
    ast.GeometryDisjoint: shapely.disjoint,
    ast.GeometryContains: shapely.contains,
    ast.GeometryWithin: shapely.within,
    ast.GeometryTouches: shapely.touches,
    ast.GeometryCrosses: shapely.crosses,
    ast.GeometryOverlaps: shapely.overlaps,
    ast.GeometryEquals: shapely.equals,
}
SUPPORTED = (
    "=, <>, <, <=, >, >=, AND, OR, NOT, IS [NOT] NULL, [NOT] LIKE, [NOT] IN, [NOT] BETWEEN, "
    "CASEI, S_INTERSECTS, S_DISJOINT, S_CONTAINS, S_WITHIN, S_TOUCHES, S_CROSSES, "
    "S_OVERLAPS, S_EQUALS"
)
TEMPORAL = (date, datetime, time, timedelta, values.Interval)


def literal_crs(uri: str | None) -> Callable[[object], object]:
    """The transform of ``filter-crs`` geometry literals to CRS84: any CRS ``crs`` offers
    (query/crs.py), its literals in that CRS's axis order."""
    if uri in (None, ""):
        return lambda geometry: geometry
    return part2.literal_to_crs84(part2.parse_crs(uri, "filter-crs"))


def check_language(language: str | None) -> str:
    """``filter-lang``: cql2-text (the default) or cql2-json."""
    language = DRAFT_LANGUAGES.get(language, "cql2-text" if language is None else language)
    if language not in LANGUAGES:
        raise BadRequest("cql.language", lang=language[:40], choices=", ".join(LANGUAGES))
    return language


def parse_filter(text: str, language: str | None) -> ast.Node:
    """The AST of a ``filter`` in ``filter-lang`` (default cql2-text); 400 on any fault."""
    language = check_language(language)
    if len(text) > MAX_CHARS:
        raise BadRequest("cql.too_long", chars=len(text), limit=MAX_CHARS)
    if not text.strip():
        raise BadRequest("cql.empty")
    try:
        if language == "cql2-json":
            return _parse_json(text)
        return parse_cql2_text(text)
    except RecursionError:
        raise BadRequest("cql.too_deep", limit=MAX_DEPTH) from None
    except lark.exceptions.UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    except lark.exceptions.VisitError as exc:
        raise invalid_filter(exc.orig_exc) from None


def _syntax_error(text: str, exc: lark.exceptions.UnexpectedInput) -> BadRequest:
    """Where a CQL2 text stops making sense: line, column, character and what is there."""
    position = getattr(exc, "pos_in_stream", None)
    token = getattr(exc, "token", None)
    if position is None or exc.line in (None, -1) or getattr(token, "type", "") == "$END":
        return BadRequest("cql.syntax_end", chars=len(text))
    found = text[position : position + 20]
    return BadRequest(
        "cql.syntax",
        line=exc.line,
        column=exc.column,
        char=position + 1,
        found=found or "…",
        before=text[max(0, position - 30) : position],
    )


class Compiler:
    """Turns a checked AST into a predicate over (properties, geometry)."""

    def __init__(self, types: dict[str, str | None], to_crs84: Callable[[object], object]):
        self.types = types
        self.to_crs84 = to_crs84
        self.nodes = 0
        self.unknown: list[str] = []

    def compile(self, node: ast.Node) -> Predicate:
        predicate = self.condition(node, 0)
        if self.unknown:
            names = ", ".join(dict.fromkeys(self.unknown))
            known = ", ".join([GEOMETRY, *self.types])
            raise BadRequest("cql.unknown_queryable", names=names[:200], known=known)
        return predicate

    def _count(self, depth: int) -> None:
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES:
            raise BadRequest("cql.too_complex", depth=MAX_DEPTH, nodes=MAX_NODES)

    def condition(self, node, depth: int) -> Predicate:  # noqa: C901 - one branch per operator
        self._count(depth)
        if isinstance(node, ast.And | ast.Or):
            parts = [self.condition(n, depth + 1) for n in _flatten(node, type(node))]
            return _all(parts) if isinstance(node, ast.And) else _any(parts)
        if isinstance(node, ast.Not):
            sub = self.condition(node.sub_node, depth + 1)
            return lambda p, g: None if (v := sub(p, g)) is None else not v
        if isinstance(node, ast.Include):
            return lambda p, g: not node.not_
        if type(node) in COMPARE:
            return self.comparison(node, depth)
        if isinstance(node, ast.Between):
            return self.between(node, depth)
        if isinstance(node, ast.Like):
            return self.like(node, depth)
        if isinstance(node, ast.In):
            return self.in_(node, depth)
        if isinstance(node, ast.IsNull):
            lhs = self.value(node.lhs, depth + 1)
            return lambda p, g: (lhs(p, g) is None) != node.not_
        if type(node) in SPATIAL:
            return self.spatial(SPATIAL[type(node)], node.lhs, node.rhs, depth)
        if isinstance(node, ast.BBox):
            box = bbox_shape((node.minx, node.miny, node.maxx, node.maxy), "BBOX(…)")
            return self.spatial(shapely.intersects, node.lhs, box, depth)
        raise BadRequest("cql.unsupported", what=_name(node), supported=SUPPORTED)

    def comparison(self, node, depth: int) -> Predicate:
        lhs, rhs = self.value(node.lhs, depth + 1), self.value(node.rhs, depth + 1)
        self._same_kind(node.lhs, node.rhs, _name(node))
        compare = COMPARE[type(node)]
        return lambda p, g: _safe(compare, lhs(p, g), rhs(p, g))

    def between(self, node, depth: int) -> Predicate:
        lhs = self.value(node.lhs, depth + 1)
        low, high = self.value(node.low, depth + 1), self.value(node.high, depth + 1)
        for bound in (node.low, node.high):
            self._same_kind(node.lhs, bound, "BETWEEN")
        le = COMPARE[ast.LessEqual]

        def between(p, g):
            value = lhs(p, g)
            inside = _and([_safe(le, low(p, g), value), _safe(le, value, high(p, g))])
            return None if inside is None else inside != node.not_

        return between

    def like(self, node, depth: int) -> Predicate:
        lhs = self.value(node.lhs, depth + 1)
        pattern = node.pattern
        if isinstance(pattern, ast.Function) and pattern.name.lower() in ("lower", "casei"):
            pattern = pattern.arguments[0].casefold() if _one_string(pattern.arguments) else None
        if not isinstance(pattern, str):
            raise BadRequest("cql.like_pattern")
        self._same_kind(node.lhs, pattern, "LIKE")
        matches = like_matcher(pattern)

        def like(p, g):
            value = lhs(p, g)
            if not isinstance(value, str):
                return None
            return matches(value) != node.not_

        return like

    def in_(self, node, depth: int) -> Predicate:
        lhs = self.value(node.lhs, depth + 1)
        options = [self.value(n, depth + 1) for n in node.sub_nodes]
        for option in node.sub_nodes:
            self._same_kind(node.lhs, option, "IN")
        equal = COMPARE[ast.Equal]

        def in_(p, g):
            value = lhs(p, g)
            found = _or([_safe(equal, value, option(p, g)) for option in options])
            return None if found is None else found != node.not_

        return in_

    def spatial(self, test: Callable, lhs_node, rhs_node, depth: int) -> Predicate:
        lhs, rhs = self.geometry(lhs_node, depth + 1), self.geometry(rhs_node, depth + 1)

        def spatial(p, g):
            a, b = lhs(p, g), rhs(p, g)
            return None if a is None or b is None else bool(test(a, b))

        return spatial

    def geometry(self, node, depth: int) -> Value:
        """A geometry operand: the feature's geometry or a literal (in CRS84)."""
        self._count(depth)
        if isinstance(node, ast.Attribute):
            if node.name != GEOMETRY:
                self._attribute(node.name)
                raise BadRequest("cql.not_geometry", name=node.name[:80], geometry=GEOMETRY)
            return lambda p, g: g
        if isinstance(node, shapely.Geometry):
            shape = node
        elif isinstance(node, values.Geometry | values.Envelope):
            shape = _shape(node)
        elif isinstance(node, ast.Function) and node.name.lower() == "bbox":
            if len(node.arguments) not in (4, 6) or not _numbers(node.arguments):
                raise BadRequest("cql.bad_bbox", where="BBOX(…)")
            n = node.arguments
            corners = tuple(n if len(n) == 4 else [n[0], n[1], n[3], n[4]])
            shape = bbox_shape(corners, "BBOX(…)")
        else:
            raise BadRequest("cql.not_geometry", name=_name(node), geometry=GEOMETRY)
        shape = self.to_crs84(shape)
        return lambda p, g: shape

    def value(self, node, depth: int) -> Value:
        """A scalar operand: a property, a literal, or CASEI(...)."""
        self._count(depth)
        if isinstance(node, ast.Attribute):
            name = node.name
            if name == GEOMETRY:
                raise BadRequest("cql.geometry_in_comparison", geometry=GEOMETRY)
            self._attribute(name)
            return lambda p, g: p.get(name)
        if isinstance(node, ast.Function) and node.name.lower() in ("lower", "casei"):
            if len(node.arguments) != 1:
                raise BadRequest("cql.function_args", name="CASEI", count=1)
            inner = self.value(node.arguments[0], depth + 1)
            return lambda p, g: v.casefold() if isinstance(v := inner(p, g), str) else v
        if isinstance(node, TEMPORAL):
            raise BadRequest("cql.temporal")
        if isinstance(node, str | int | float | bool) and not _non_finite(node):
            folded = node
            return lambda p, g: folded
        raise BadRequest("cql.unsupported", what=_name(node), supported=SUPPORTED)

    def _attribute(self, name: str) -> None:
        if name not in self.types:
            self.unknown.append(name)

    def _same_kind(self, lhs, rhs, operator: str) -> None:
        """A property of one type compared with a literal (or property) of another: a 400."""
        a, b = self._kind(lhs), self._kind(rhs)
        if a and b and a != b:
            raise BadRequest(
                "cql.type_mismatch", operator=operator, left=_label(lhs, a), right=_label(rhs, b)
            )

    def _kind(self, node) -> str | None:
        if isinstance(node, ast.Function) and node.arguments:
            return self._kind(node.arguments[0])
        if isinstance(node, ast.Attribute):
            kind = self.types.get(node.name)
            return "number" if kind == "integer" else kind
        if isinstance(node, bool):
            return "boolean"
        if isinstance(node, int | float):
            return "number"
        if isinstance(node, str):
            return "string"
        return None


def compile_filter(
    node: ast.Node, types: dict[str, str | None], to_crs84: Callable[[object], object]
) -> Predicate:
    """A predicate for ``node`` over a layer whose properties have ``types``."""
    return Compiler(types, to_crs84).compile(node)


def _flatten(node, kind: type) -> list:
    """The operands of a chain of ANDs (or ORs), without recursion."""
    out, todo = [], [node]
    while todo:
        current = todo.pop()
        if type(current) is kind:
            todo.extend([current.rhs, current.lhs])
        else:
            out.append(current)
    return out


def _and(results: list[bool | None]) -> bool | None:
    if False in results:
        return False
    return None if None in results else True


def _or(results: list[bool | None]) -> bool | None:
    if True in results:
        return True
    return None if None in results else False


def _all(parts: list[Predicate]) -> Predicate:
    return lambda p, g: _and([part(p, g) for part in parts])


def _any(parts: list[Predicate]) -> Predicate:
    return lambda p, g: _or([part(p, g) for part in parts])


def _safe(compare, a, b) -> bool | None:
    """A comparison; unknown when a side is null or the two cannot be compared."""
    if a is None or b is None or isinstance(a, bool) != isinstance(b, bool):
        return None
    try:
        return bool(compare(a, b))
    except TypeError:
        return None


def _shape(literal) -> object:
    try:
        shape = shapely.geometry.shape(literal.__geo_interface__)
    except (ValueError, TypeError, KeyError, IndexError, shapely.errors.ShapelyError) as exc:
        raise unreadable_geometry(exc) from None
    if shape.is_empty:
        raise BadRequest("cql.geometry_empty")
    if not all(math.isfinite(c) for c in shapely.get_coordinates(shape).ravel()):
        raise BadRequest("cql.geometry_not_finite")
    if not shape.is_valid:  # GEOS predicates are undefined on a self-intersecting polygon
        raise invalid_geometry(shape)
    return shape


def _one_string(arguments: list) -> bool:
    return len(arguments) == 1 and isinstance(arguments[0], str)


def _non_finite(value) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


OPERATORS = {ast.Equal: "=", ast.NotEqual: "<>", ast.LessThan: "<", ast.LessEqual: "<="}
OPERATORS |= {ast.GreaterThan: ">", ast.GreaterEqual: ">="}


def _name(node) -> str:
    """How a node is written in CQL2 text, for messages."""
    if type(node) in OPERATORS:
        return OPERATORS[type(node)]
    if isinstance(node, ast.Function):
        return f"{node.name.upper()}(…)"
    if isinstance(node, ast.Node):
        return type(node).__name__
    return type(node).__name__ if not isinstance(node, str) else repr(node[:40])


def _label(node, kind: str) -> str:
    if isinstance(node, ast.Attribute):
        return f"{node.name} ({kind})"
    return f"{str(node)[:40]!r} ({kind})" if isinstance(node, str) else f"{node} ({kind})"
