"""The OpenAPI 3.0 description of the service, generated from the catalog."""

from __future__ import annotations

from geo_service.catalog import Catalog

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}


def _param(
    name: str, schema: dict, description: str, where: str = "query", required: bool = False
) -> dict:
    return {
        "name": name,
        "in": where,
        "required": required,
        "schema": schema,
        "description": description,
    }


F_PARAM = _param("f", {"type": "string", "enum": ["json", "html"]}, "output format")


def _responses(media_type: str, description: str) -> dict:
    error = {"description": "error", "content": {"application/json": {"schema": ERROR_SCHEMA}}}
    return {
        "200": {
            "description": description,
            "content": {
                media_type: {"schema": {"type": "object"}},
                "text/html": {"schema": {"type": "string"}},
            },
        },
        "304": {"description": "not modified (If-None-Match matched the ETag)"},
        "400": error,
        "404": error,
    }


def openapi_document(catalog: Catalog) -> dict:
    """Paths for the landing page, conformance, collections and features of every layer."""
    collection_ids = list(catalog.layers)
    collection_param = _param(
        "collectionId",
        {"type": "string", "enum": collection_ids},
        "the collection (layer) id",
        "path",
        True,
    )
    items_params = [
        collection_param,
        _param(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100},
            "page size",
        ),
        _param("offset", {"type": "integer", "minimum": 0, "default": 0}, "features to skip"),
        _param(
            "bbox",
            {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
            "minx,miny,maxx,maxy in lon/lat (CRS84)",
        ),
        F_PARAM,
    ]
    return {
        "openapi": "3.0.3",
        "info": {
            "title": catalog.title,
            "version": catalog.version,
            "description": catalog.title_en + " - OGC API - Features Part 1",
        },
        "paths": {
            "/": {
                "get": {
                    "summary": "landing page (JSON) or the interactive map (HTML)",
                    "parameters": [F_PARAM],
                    "responses": _responses("application/json", "landing page"),
                }
            },
            "/conformance": {
                "get": {
                    "summary": "conformance classes",
                    "parameters": [F_PARAM],
                    "responses": _responses("application/json", "conformance"),
                }
            },
            "/collections": {
                "get": {
                    "summary": "the layers",
                    "parameters": [F_PARAM],
                    "responses": _responses("application/json", "collections"),
                }
            },
            "/collections/{collectionId}": {
                "get": {
                    "summary": "one layer's metadata",
                    "parameters": [collection_param, F_PARAM],
                    "responses": _responses("application/json", "collection"),
                }
            },
            "/collections/{collectionId}/items": {
                "get": {
                    "summary": "a layer's features",
                    "parameters": items_params,
                    "responses": _responses("application/geo+json", "features"),
                }
            },
            "/collections/{collectionId}/items/{featureId}": {
                "get": {
                    "summary": "one feature",
                    "parameters": [
                        collection_param,
                        _param("featureId", {"type": "string"}, "feature id", "path", True),
                        F_PARAM,
                    ],
                    "responses": _responses("application/geo+json", "feature"),
                }
            },
        },
    }
