"""Layer features as stored rows: id, geometry WKB, properties JSON and a SHA-256.

A row must read back as the very feature that was written (same JSON text): the hash of the
canonical JSON is taken before writing and checked after reading back, so a layer whose
coordinates or keys would not survive the database stops start-up instead of changing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import shapely
from shapely.geometry import mapping


@dataclass(frozen=True)
class FeatureRow:
    fid: str
    geometry: bytes | None
    properties: str
    sha256: str
    #: (minx, miny, maxx, maxy) of the geometry; None without one (store/big.py).
    bounds: tuple[float, float, float, float] | None = None


def canonical(feature: dict) -> bytes:
    """The feature's JSON with sorted keys and no spaces: what its hash is taken over."""
    text = json.dumps(feature, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def feature_hash(feature: dict) -> str:
    return hashlib.sha256(canonical(feature)).hexdigest()


def content_hash(hashes: list[str]) -> str:
    """One hash over a version's features in order: equal features, equal hash."""
    digest = hashlib.sha256()
    for value in hashes:
        digest.update(value.encode("ascii"))
    return digest.hexdigest()


def to_row(feature: dict) -> FeatureRow:
    geometry = feature.get("geometry")
    wkb = bounds = None
    if geometry is not None:
        shape = shapely.from_geojson(json.dumps(geometry))
        wkb = shapely.to_wkb(shape, output_dimension=3)
        if not shape.is_empty:
            bounds = tuple(float(v) for v in shapely.bounds(shape))
    properties = json.dumps(feature.get("properties") or {}, ensure_ascii=False)
    return FeatureRow(str(feature["id"]), wkb, properties, feature_hash(feature), bounds)


def lists(value):
    """Shapely's ``mapping`` gives tuples; GeoJSON read from a file has lists."""
    if isinstance(value, tuple | list):
        return [lists(v) for v in value]
    return value


def geometry_of(wkb: bytes | None) -> dict | None:
    if wkb is None:
        return None
    shape = mapping(shapely.from_wkb(wkb))
    if shape["type"] == "GeometryCollection":
        return {
            "type": "GeometryCollection",
            "geometries": [geometry_of(shapely.to_wkb(g)) for g in shapely.from_wkb(wkb).geoms],
        }
    return {"type": shape["type"], "coordinates": lists(shape["coordinates"])}


def from_row(fid: str, wkb: bytes | None, properties: str) -> dict:
    """The GeoJSON feature of a stored row, keys in the order the layer files use."""
    return {
        "type": "Feature",
        "id": fid,
        "geometry": geometry_of(wkb),
        "properties": json.loads(properties),
    }


def diff(before: dict[str, str], after: dict[str, str]) -> dict[str, list[str]]:
    """Feature ids added, removed and changed between two versions ({fid: sha256} each)."""
    return {
        "added": [f for f in after if f not in before],
        "removed": [f for f in before if f not in after],
        "changed": [f for f in after if f in before and before[f] != after[f]],
    }
