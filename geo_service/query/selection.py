"""Which features, in which order, with which properties: Part 3's queryables and the items
query's ``filter``, ``filter-lang``, ``filter-crs``, ``properties`` and ``sortby``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from geo_service.catalog import Layer
from geo_service.errors import BadRequest
from geo_service.query import cql
from geo_service.store.big import json_type

#: The items query's parameters handled here (carried into its paging links).
PARAMETERS = ("filter", "filter-lang", "filter-crs", "properties", "sortby")
#: Kept in every feature whatever ``properties`` asks: where a feature comes from and how exact.
ALWAYS = ("source", "precision")
MAX_NAMES = 50
SCHEMA = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_JSON = "application/schema+json"
#: The link relation from a collection to its queryables.
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
#: The drafts' relation, which GDAL's OAPIF driver (3.12) follows (see DRAFT_LANGUAGES in cql).
DRAFT_QUERYABLES_REL = "queryables"
#: Part 3 and CQL2 conformance classes, for what this module and query.cql really do.
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus-points",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
]
#: The same in words, for the conformance page (by the URI's last segment).
CONFORMANCE_ZH = {
    "queryables": "可查询字段（第 3 部分）",
    "filter": "过滤（第 3 部分）",
    "features-filter": "要素过滤参数 filter、filter-lang、filter-crs（第 3 部分）",
    "cql2-text": "CQL2 文本编码",
    "cql2-json": "CQL2 JSON 编码",
    "basic-cql2": "CQL2 基本比较与逻辑运算（=、<>、<、>、AND、OR、NOT、IS NULL）",
    "advanced-comparison-operators": "CQL2 高级比较（LIKE、IN、BETWEEN）",
    "case-insensitive-comparison": "CQL2 不区分大小写比较（CASEI）",
    "basic-spatial-functions": "CQL2 基本空间运算（S_INTERSECTS 与点、范围）",
    "basic-spatial-functions-plus-points": "CQL2 基本空间运算，含任意几何与点",
    "spatial-functions": "CQL2 全部空间运算（S_WITHIN、S_CONTAINS 等）",
    "property-property": "CQL2 字段与字段比较",
}
GEOMETRY_FORMATS = {
    "Point": "geometry-point-or-multipoint",
    "LineString": "geometry-linestring-or-multilinestring",
    "Polygon": "geometry-polygon-or-multipolygon",
}


def property_types(layer: Layer) -> dict[str, str | None]:
    """Every property the layer's features have, in order, with its JSON Schema type.

    Inferred from the values (nulls ignored): boolean, integer, number (integers and
    decimals) or string; None when the values have different types. A layer served from
    the store: as its version's summary recorded them when it was written (store/big.py).
    """
    if layer.in_store:
        return dict(layer.summary.property_types)
    seen: dict[str, set[str]] = {}
    for feature in layer.features:
        for name, value in feature["properties"].items():
            kinds = seen.setdefault(name, set())
            if value is not None:
                kinds.add(json_type(value))
    types = {}
    for name, kinds in seen.items():
        if kinds == {"integer", "number"}:
            kinds = {"number"}
        types[name] = next(iter(kinds)) if len(kinds) == 1 else None
    return types


def queryables_schema(layer: Layer, labels: Mapping[str, str], schema_id: str) -> dict:
    """The layer's queryables as a JSON Schema (draft 2020-12), Chinese titles first."""
    base = layer.geometry_type.removeprefix("Multi")
    properties: dict[str, dict] = {
        cql.GEOMETRY: {
            "title": "几何 geometry",
            "format": GEOMETRY_FORMATS.get(base, "geometry-any"),
            "x-ogc-role": "primary-geometry",
        }
    }
    for name, kind in property_types(layer).items():
        entry = {"title": f"{labels[name]} {name}" if name in labels else name}
        if kind in ("string", "number", "integer", "boolean"):
            entry["type"] = kind
        properties[name] = entry
    return {
        "$schema": SCHEMA,
        "$id": schema_id,
        "type": "object",
        "title": f"{layer.title} {layer.title_en}",
        "properties": properties,
        "additionalProperties": False,
        # the drafts' list of names, which GDAL 3.12 reads (JSON Schema ignores the keyword)
        "queryables": [{"id": name} for name in properties if name != cql.GEOMETRY],
    }


@dataclass(frozen=True)
class ItemQuery:
    """A parsed items query: the filter, the properties to return, the sort keys."""

    predicate: cql.Predicate | None = None
    properties: tuple[str, ...] | None = None
    sortby: tuple[tuple[str, bool], ...] = ()  # (name, descending)

    def select(self, layer: Layer, indices: list[int]) -> list[int]:
        """The indices that pass the filter, in ``sortby`` order (stable, nulls last)."""
        if self.predicate is not None:
            test = self.predicate
            indices = [
                i
                for i in indices
                if test(layer.features[i]["properties"], layer.geometries[i]) is True
            ]
        for name, descending in reversed(self.sortby):
            indices = _sorted(layer, indices, name, descending)
        return indices

    def feature(self, feature: dict) -> dict:
        """The feature with only the asked properties (and always source and precision)."""
        if self.properties is None:
            return feature
        keep = set(self.properties) | set(ALWAYS)
        shown = {k: v for k, v in feature["properties"].items() if k in keep}
        return {**feature, "properties": shown}


def _sorted(layer: Layer, indices: list[int], name: str, descending: bool) -> list[int]:
    present = [i for i in indices if layer.features[i]["properties"].get(name) is not None]
    missing = [i for i in indices if layer.features[i]["properties"].get(name) is None]

    def key(i: int):
        value = layer.features[i]["properties"][name]
        if isinstance(value, bool | int | float):
            return (0, value, "")  # numbers before strings if a field mixes them
        if isinstance(value, str):
            return (1, 0, value)
        # a list or object (an edit may store one): after the rest, by its JSON text
        return (2, 0, json.dumps(value, ensure_ascii=False, sort_keys=True))

    return sorted(present, key=key, reverse=descending) + missing


def item_query(layer: Layer, args: Mapping[str, str]) -> ItemQuery:
    """Read ``filter``, ``filter-lang``, ``filter-crs``, ``properties`` and ``sortby``."""
    types = property_types(layer)
    predicate = None
    text = args.get("filter")
    if text is not None:
        to_crs84 = cql.literal_crs(args.get("filter-crs"))
        node = cql.parse_filter(text, args.get("filter-lang"))
        predicate = cql.compile_filter(node, types, to_crs84)
    else:  # still checked without a filter: a typo there is worth a 400
        cql.literal_crs(args.get("filter-crs"))
        cql.check_language(args.get("filter-lang"))
    properties = None
    if "properties" in args:
        properties = tuple(_names(args["properties"], "properties", types))
    sortby = []
    for item in _names(args.get("sortby", ""), "sortby", types, signed=True):
        sortby.append((_unsigned(item), item.startswith("-")))
    return ItemQuery(predicate, properties, tuple(sortby))


def _names(raw: str, parameter: str, types: dict, signed: bool = False) -> list[str]:
    """A comma-separated list of property names (``+``/``-`` before each in ``sortby``)."""
    names = [part.strip() for part in raw.split(",") if part.strip()]
    if len(names) > MAX_NAMES:
        raise BadRequest("cql.too_many_names", parameter=parameter, limit=MAX_NAMES)
    unknown = [n for n in names if (_unsigned(n) if signed else n) not in types]
    if unknown:
        raise BadRequest(
            "cql.unknown_property",
            parameter=parameter,
            names=", ".join(unknown)[:200],
            known=", ".join(types),
        )
    return names


def _unsigned(item: str) -> str:
    """A ``sortby`` name without its one ``+`` or ``-`` (``--name`` stays unknown)."""
    return item[1:] if item[:1] in ("+", "-") else item
