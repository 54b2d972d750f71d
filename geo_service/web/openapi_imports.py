"""The OpenAPI paths of layer imports (geo_service.web.imports)."""

from __future__ import annotations

from geo_service.catalog import PRECISIONS, Catalog
from geo_service.web.openapi import (
    BINARY,
    HTML,
    JSON,
    OBJECT,
    STRING,
    WRITE,
    Paths,
    form,
    ok,
    param,
)

FLAG = {"type": "string", "enum": ["1", "0"]}


def import_paths(api: Paths, catalog: Catalog, max_body: int) -> None:
    collection = param(
        "collectionId", {"type": "string", "enum": list(catalog.layers)}, "layer id", "path"
    )
    upload = {
        "file": {
            **BINARY,
            "description": "boundaries: zipped Shapefile (GBK or .cpg), GeoPackage, KML/KMZ, "
            f"GeoJSON, CSV with WKT, 界址点坐标 txt; at most {max_body} bytes",
        },
        "id_field": {
            "type": "string",
            "description": "the id field (default: zone_id, id, code, 代码, 编号, YQDM, KFQDM, "
            "... recognised as a check's zones file)",
        },
        "name_field": {
            "type": "string",
            "description": "the name field (default: name, 名称, 区名, YQMC, KFQMC, ...)",
        },
        "crs": {"type": "string", "description": "the file's CRS when it does not say"},
        "precision": {"type": "string", "enum": list(PRECISIONS), "default": "surveyed"},
        "message": {"type": "string", "maxLength": 500, "description": "why (the version's)"},
        "dry_run": {**FLAG, "default": "1", "description": "1: only show; 0: write"},
        "preview": {**FLAG, "default": "0", "description": "dry run: add the map's shapes"},
        "keep_attributes": {
            **FLAG,
            "default": "1",
            "description": "keep the current attributes the file lacks, for ids it keeps",
        },
        "based_on": {
            "type": "integer",
            "minimum": 1,
            "description": "the version the dry run saw (its based_on): 409 if no longer current",
        },
    }
    location = {"Location": {"required": True, "description": "the new version", "schema": STRING}}
    api.add(
        "/collections/{collectionId}/imports",
        "post",
        "import official boundaries, points or lines into a layer (read for the layer's "
        "geometry type): dry run (fields chosen, diff, problems) or commit (a new version)",
        ok={
            "200": ok("the dry run", {JSON: OBJECT}),
            "201": ok("the new version", {JSON: OBJECT}, location),
        },
        errors=("400", *WRITE, "404", "409", "415", "422"),
        params=[collection],
        body=form(upload),
    )
    api.add(
        "/collections/{collectionId}/import",
        "get",
        "边界导入 page (planners)",
        ok={"200": ok("the page", {HTML: STRING})},
        errors=("403", "404"),
        params=[collection],
    )
