"""The OpenAPI entries of Part 3: the queryables path and the items query's filter parameters."""

from __future__ import annotations

from geo_service.query import cql, selection
from geo_service.query import crs as part2
from geo_service.web.openapi import OBJECT, Paths, comma_list, negotiated, param

#: A property name; an empty entry (``properties=``, ``a,,b``) is skipped by the service
#: (selection._names), so the documented pattern allows it too.
NAME = {"type": "string", "pattern": r"^([A-Za-z_][A-Za-z0-9_]*)?$", "maxLength": 80}


def filter_params() -> list[dict]:
    """``filter``, ``filter-lang``, ``filter-crs``, ``properties``, ``sortby`` for the items."""
    return [
        param(
            "filter",
            {"type": "string", "minLength": 1, "maxLength": cql.MAX_CHARS},
            "CQL2 filter on the collection's queryables (/collections/{collectionId}/queryables), "
            "e.g. name LIKE '%茶%' AND S_INTERSECTS(geometry, POINT(108.9 32.7)); "
            f"at most {cql.MAX_CHARS} characters, {cql.MAX_DEPTH} levels, "
            f"{cql.MAX_NODES} terms; a syntax error is a 400 giving line and column",
        ),
        param(
            "filter-lang",
            {
                "type": "string",
                "enum": [*cql.LANGUAGES, *cql.DRAFT_LANGUAGES],
                "default": "cql2-text",
            },
            "the filter's encoding (cql-text, the drafts' name GDAL sends, is read as cql2-text)",
        ),
        param(
            "filter-crs",
            {"type": "string", "enum": list(part2.SPELLED), "default": cql.CRS84},
            "the CRS of the filter's geometry literals (the crs table; its axis order)",
        ),
        comma_list(
            "properties",
            NAME,
            "the properties to return (source and precision always come back); "
            "an unknown name is a 400",
            max_items=selection.MAX_NAMES,
        ),
        comma_list(
            "sortby",
            {**NAME, "pattern": r"^([+-]?[A-Za-z_][A-Za-z0-9_]*)?$"},
            "sort keys, -name for descending; stable, nulls last; an unknown name is a 400",
            max_items=selection.MAX_NAMES,
        ),
    ]


def queryables_path(api: Paths, collection: dict, *query: dict) -> None:
    """``query``: its query parameters (geo_service.query.params.ACCEPTED["queryables"])."""
    api.add(
        "/collections/{collectionId}/queryables",
        "get",
        "the layer's queryables: a JSON Schema (draft 2020-12) with Chinese titles",
        ok=negotiated("queryables", OBJECT, selection.SCHEMA_JSON),
        errors=("400", "404", "406"),
        params=[collection, *query],
    )
