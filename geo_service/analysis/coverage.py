"""Cluster coverage: where 71号/72号 host each of the ten clusters, county by county.

A county hosts a cluster when the plan names the county itself, or a zone, base or logistics
node in it, for that cluster (``clusters`` layer: host_counties / host_zones / host_bases /
host_nodes, each with its source).
"""

from __future__ import annotations

from geo_service.catalog import Catalog
from geo_service.messages import Msg, record

VIA = ("county", "zone", "base", "node")
#: How a county hosts a cluster, in words: the plan names the county, a zone, a base or a node.
VIA_NAMES = {"county": "县区", "zone": "园区", "base": "基地", "node": "物流节点"}


def split(text: str) -> list[str]:
    return [part for part in (text or "").split(",") if part]


def county_of(layer, counties: dict) -> dict[str, str]:
    """Each feature's county code, for the features whose ``county`` is a known county (an
    edited or imported feature may have none, or name one that is not there)."""
    found = ((f["id"], str(f["properties"].get("county"))) for f in layer.features)
    return {fid: code for fid, code in found if code in counties}


def coverage(catalog: Catalog) -> dict:
    counties = {
        f["properties"]["adcode"]: f["properties"]["name"] for f in catalog.get("counties").features
    }
    zone_county = county_of(catalog.get("zones"), counties)
    base_county = county_of(catalog.get("new_materials_bases"), counties)
    names = {
        f["id"]: f["properties"]["name"]
        for layer in ("zones", "new_materials_bases")
        for f in catalog.get(layer).features
    }
    clusters, matrix = [], {code: {} for code in counties}
    for feature in catalog.get("clusters").features:
        p = feature["properties"]
        hosts = {
            "county": [c for c in split(p.get("host_counties")) if c in counties],
            "zone": [z for z in split(p.get("host_zones")) if z in names],
            "base": [b for b in split(p.get("host_bases")) if b in names],
            "node": split(p.get("host_nodes")),
        }
        via: dict[str, set[str]] = {}
        for code in hosts["county"]:
            via.setdefault(code, set()).add("county")
        for zone in hosts["zone"]:
            if zone in zone_county:
                via.setdefault(zone_county[zone], set()).add("zone")
        for base in hosts["base"]:
            if base in base_county:
                via.setdefault(base_county[base], set()).add("base")
        for code, reasons in via.items():
            matrix[code][feature["id"]] = sorted(reasons, key=VIA.index)
        clusters.append(
            {
                "id": feature["id"],
                "name": p["name"],
                "target_2020_yi": p.get("target_2020_yi"),
                "target_wording": p.get("target_wording", ""),
                "counties": [{"adcode": c, "name": counties[c]} for c in sorted(via)],
                "zones": [{"id": z, "name": names[z]} for z in hosts["zone"]],
                "bases": [{"id": b, "name": names[b]} for b in hosts["base"]],
                "nodes": hosts["node"],
                "placed": bool(via),
                "hosts_source": p.get("hosts_source", ""),
                "assumption": p.get("assumption", ""),
            }
        )
    by_county = [
        {"adcode": code, "name": name, "clusters": sorted(matrix[code]), "count": len(matrix[code])}
        for code, name in counties.items()
    ]
    return {
        "clusters": clusters,
        "counties": by_county,
        "counties_hosting_none": [c["name"] for c in by_county if c["count"] == 0],
        "clusters_without_place": [c["name"] for c in clusters if not c["placed"]],
        "matrix": {code: matrix[code] for code in counties},
        "cluster_ids": [c["id"] for c in clusters],
        **record(note=Msg("coverage.note")),
    }


def matrix_rows(result: dict) -> list[dict]:
    """The county × cluster matrix as table rows (✓ with how, blank when not hosted)."""
    names = {c["id"]: c["name"] for c in result["clusters"]}
    rows = []
    for county in result["counties"]:
        row = {"县区": county["name"], "adcode": county["adcode"], "集群数": county["count"]}
        for cluster_id in result["cluster_ids"]:
            reasons = result["matrix"][county["adcode"]].get(cluster_id)
            row[names[cluster_id]] = (
                "✓ " + "/".join(VIA_NAMES[r] for r in reasons) if reasons else ""
            )
        rows.append(row)
    return rows
