"""RFC 7946 GeoJSON: deterministic writing and coordinate hygiene.

The layer files are committed and compared byte for byte with what ``build-layers`` produces,
so the writer must be deterministic: fixed key order, fixed decimals, one feature per line.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import shapely

#: RFC 7946 recommends no more than 6-7 decimals; 7 decimals is ~1 cm.
DECIMALS = 7


def round_coordinates(geometries, decimals: int = DECIMALS):
    """Round every coordinate; vertices shared by neighbours stay shared (same in, same out)."""
    return shapely.transform(geometries, lambda coords: np.round(coords, decimals))


def rfc7946_orient(geometries):
    """Exterior rings counter-clockwise, holes clockwise (RFC 7946 §3.1.6)."""
    return shapely.orient_polygons(geometries, exterior_cw=False)


def clean_geometries(geometries, decimals: int = DECIMALS):
    """Round, repair what rounding may have broken, and orient per RFC 7946."""
    rounded = round_coordinates(np.asarray(geometries, dtype=object), decimals)
    invalid = ~shapely.is_valid(rounded)
    if invalid.any():
        rounded[invalid] = shapely.make_valid(rounded[invalid])
    return rfc7946_orient(rounded)


def feature_collection(features: list[dict], **members) -> dict:
    """A FeatureCollection with optional extra top-level members (name, metadata...)."""
    return {"type": "FeatureCollection", **members, "features": features}


def geometry_mapping(geometry) -> dict | None:
    """Shapely geometry to a GeoJSON geometry dict (None stays null)."""
    if geometry is None or shapely.is_empty(geometry):
        return None
    return json.loads(shapely.to_geojson(geometry))


def dumps(collection: dict) -> str:
    """Serialise a FeatureCollection with one feature per line (diff-friendly, deterministic)."""
    head = {k: v for k, v in collection.items() if k != "features"}
    lines = [
        json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in collection["features"]
    ]
    head_text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]
    body = ",\n".join(lines)
    return f'{head_text},"features":[\n{body}\n]}}\n'


def write(collection: dict, path: Path) -> None:
    """Write a FeatureCollection atomically (a crash never leaves half a file)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(dumps(collection), encoding="utf-8")
    tmp.replace(path)
