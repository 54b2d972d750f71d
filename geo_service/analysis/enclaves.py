"""Enclave links (飞地经济, 72号 二（三）、（十八）): each checked against the map.

Checks per link: it ends inside its host park's polygon, that park is an enclave park, it
starts in its origin county, and it runs from the county to a park outside it ("种养基地在县区、
加工生产在飞地"). Per county: every land-short county public material names (白河, 紫阳, 宁陕,
镇坪, 岚皋; domain.md §6) has a link.
"""

from __future__ import annotations

import shapely

from geo_service.catalog import Catalog
from geo_service.messages import Msg, record

#: The counties short of flat land that build enclave parks (public material, domain.md §6).
NAMED_COUNTIES = {
    "610929": "白河县",
    "610924": "紫阳县",
    "610923": "宁陕县",
    "610927": "镇坪县",
    "610925": "岚皋县",
}
NAMED_SOURCE = Msg("enclaves.named_source")
MODEL = "种养基地在县区、加工生产在飞地、塑造品牌在全域"


def enclaves(catalog: Catalog) -> dict:
    counties = catalog.get("counties")
    county_shape = {
        f["properties"]["adcode"]: g for f, g in zip(counties.features, counties.geometries)
    }
    zones = catalog.get("zones")
    zone_by_id = {f["id"]: (f, g) for f, g in zip(zones.features, zones.geometries)}
    links, problems = [], []
    layer = catalog.get("enclave_links")
    for feature, line in zip(layer.features, layer.geometries):
        p = feature["properties"]
        start, end = shapely.Point(line.coords[0]), shapely.Point(line.coords[-1])
        park, park_shape = zone_by_id.get(p.get("host_zone"), (None, None))
        origin_shape = county_shape.get(str(p.get("origin")))
        checks = {
            "ends_in_park": bool(park_shape is not None and park_shape.contains(end)),
            "park_is_enclave_park": bool(park and park["properties"].get("kind") == "飞地园区"),
            "starts_in_origin_county": bool(
                origin_shape is not None and origin_shape.contains(start)
            ),
            "park_outside_origin_county": bool(
                park_shape is not None
                and origin_shape is not None
                and not origin_shape.contains(end)
            ),
        }
        link = {
            "id": feature["id"],
            "origin": str(p.get("origin", "")),  # an edit may have dropped any of these
            "origin_name": p.get("origin_name", ""),
            "host_zone": p.get("host_zone", ""),
            "host_zone_name": p.get("host_zone_name", ""),
            "host_county_name": p.get("host_county_name", ""),
            "industries": p.get("industries", ""),
            "host_industries": p.get("host_industries", ""),
            "model": p.get("model", MODEL),
            "checks": checks,
            "ok": all(checks.values()),
            "precision": p["precision"],
            "source": p["source"],
        }
        links.append(link)
        for name, passed in checks.items():
            if not passed:
                problems.append(
                    {
                        "link": feature["id"],
                        "check": name,
                        **record(
                            message=Msg(
                                PROBLEM_KEYS[name],
                                origin=link["origin_name"],
                                park=link["host_zone_name"],
                            )
                        ),
                    }
                )
    linked = {link["origin"] for link in links}
    for code, name in NAMED_COUNTIES.items():
        if code not in linked:
            problems.append(
                {
                    "link": None,
                    "check": "county_has_link",
                    **record(message=Msg("enclaves.county_without_link", county=name)),
                }
            )
    return {
        "links": links,
        "problems": problems,
        "named_counties": list(NAMED_COUNTIES.values()),
        "model": MODEL,
        # named_source, note: texts in Chinese, with ``i18n`` for other languages
        **record(named_source=NAMED_SOURCE, note=Msg("enclaves.note")),
    }


#: What each failed check says (geo_service.messages), naming the link's two ends.
PROBLEM_KEYS = {
    "ends_in_park": "enclaves.ends_in_park",
    "park_is_enclave_park": "enclaves.park_is_enclave_park",
    "starts_in_origin_county": "enclaves.starts_in_origin_county",
    "park_outside_origin_county": "enclaves.park_outside_origin_county",
}
