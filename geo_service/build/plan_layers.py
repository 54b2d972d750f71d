"""The plan layers (zones, bases, clusters, logistics, enclave links) from ``layers/src/plan.toml``.

The TOML file holds the facts and their sources; this module only turns them into geometry:
zones become schematic circles of their planned (or a display) area around an approximate
anchor, links and axes become straight segments between anchors. Nothing here adds a fact.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry import LineString, MultiPoint, MultiPolygon, Point

from geo_service.errors import BuildError
from geo_service.geo.geojson import clean_geometries
from geo_service.query.crs import transform

CIRCLE_SEGMENTS = 16  # per quarter circle: 64-gon
COUNTY_CENTRE_ASSUMPTION = (
    "71号 names the tier 县区配送中心, not the places: one per county seat assumed"
)
LOGISTICS_READING = "一心两轴多点 reading is an interpretation (domain.md §5), not stated in 71号"
ENCLAVE_MODEL = "种养基地在县区、加工生产在飞地、塑造品牌在全域"


@dataclass(frozen=True)
class Anchor:
    """An approximate position with its precision and where it comes from."""

    lon: float
    lat: float
    precision: str
    source: str
    name: str


def load_plan(path: Path) -> dict:
    """Read plan.toml; a syntax error names the file and line."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise BuildError("toml.invalid", file=path.name, error=str(exc)) from exc


def offset(lon: float, lat: float, east_km: float, north_km: float) -> tuple[float, float]:
    """Move a lon/lat by kilometres east and north (small offsets; schematic placement)."""
    return (
        lon + east_km / (111.320 * math.cos(math.radians(lat))),
        lat + north_km / 110.574,
    )


def circle(lon: float, lat: float, radius_m: float):
    """A true circle of the given radius, drawn in a local azimuthal equidistant plane."""
    local = f"+proj=aeqd +lat_0={lat} +lon_0={lon} +ellps=GRS80 +units=m"
    disc = Point(0, 0).buffer(radius_m, quad_segs=CIRCLE_SEGMENTS)
    return transform(disc, local, "EPSG:4326")


class PlanBuilder:
    """Resolves references inside plan.toml and builds one GeoDataFrame per layer."""

    def __init__(self, plan: dict, counties: gpd.GeoDataFrame):
        self.plan = plan
        self.counties = counties
        self.county_names = dict(zip(counties["adcode"], counties["name"]))
        self.documents = plan["documents"]
        self.zones_by_id = {z["id"]: z for z in plan["zones"]}
        self.zone_anchors: dict[str, Anchor] = {}

    # -- references ---------------------------------------------------------------------------
    def anchor(self, ref: str) -> Anchor:
        """Resolve ``seat:ADCODE`` or a key of [places]."""
        if ref.startswith("seat:"):
            seat = self.plan["seats"][ref[5:]]
            return Anchor(
                seat["lon"],
                seat["lat"],
                "county-seat",
                "county seat, public region table (±1 km)",
                seat["name"],
            )
        try:
            place = self.plan["places"][ref]
        except KeyError as exc:
            raise BuildError("build.unknown_place", place=ref) from exc
        return Anchor(
            place["lon"], place["lat"], place["precision"], place["source"], place["name"]
        )

    def placed(self, entry: dict, ref: str | None = None) -> Anchor:
        """An entry's anchor, moved by its ``offset_km`` if it has one."""
        base = self.anchor(ref or entry["anchor"])
        east, north = entry.get("offset_km", (0.0, 0.0))
        lon, lat = offset(base.lon, base.lat, east, north)
        return Anchor(lon, lat, base.precision, base.source, base.name)

    def document(self, key: str) -> str:
        return self.documents[key].split(" ")[0] if key else ""

    def county_name(self, adcode) -> str:
        return self.county_names[str(adcode)]

    def frame(self, records: list[dict], geometries: list) -> gpd.GeoDataFrame:
        cleaned = clean_geometries(geometries)
        frame = gpd.GeoDataFrame(records, geometry=list(cleaned), crs="EPSG:4326")
        frame.index = frame["id"]
        return frame

    # -- layers ---------------------------------------------------------------------------------
    def zones(self) -> gpd.GeoDataFrame:
        records, geometries = [], []
        for zone in self.plan["zones"]:
            refs = zone.get("anchors") or [zone["anchor"]]
            anchors = [self.placed(zone, ref) for ref in refs]
            self.zone_anchors[zone["id"]] = anchors[0]
            planned = zone.get("planned_area_km2")
            if "drawn_radius_km" in zone:
                radius_m = zone["drawn_radius_km"] * 1000
            else:
                area_km2 = planned or zone["drawn_area_km2"]
                radius_m = math.sqrt(area_km2 * 1e6 / len(anchors) / math.pi)
            discs = shapely.union_all([circle(a.lon, a.lat, radius_m) for a in anchors])
            geometries.append(discs if discs.geom_type == "MultiPolygon" else MultiPolygon([discs]))
            records.append(
                {
                    "id": zone["id"],
                    "name": zone["name"],
                    "name_en": zone["name_en"],
                    "county": str(zone["county"]),
                    "county_name": self.county_name(zone["county"]),
                    "level": zone["level"],
                    "kind": zone["kind"],
                    "parent": zone.get("parent", ""),
                    "industries": "、".join(zone["industries"]),
                    "industries_source": self.document(zone["industries_source"]),
                    "planned_area_km2": planned,
                    "drawn_area_km2": round(math.pi * radius_m**2 * len(anchors) / 1e6, 3),
                    "location_precision": anchors[0].precision,
                    "source": zone["source"],
                    "precision": "schematic",
                    "assumption": zone.get("assumption", ""),
                }
            )
        return self.frame(records, geometries)

    def bases(self) -> gpd.GeoDataFrame:
        records, geometries = [], []
        for base in self.plan["bases"]:
            host = base["host_zone"]
            where = self.zone_anchors[host] if host else self.anchor(f"seat:{base['county']}")
            geometries.append(Point(where.lon, where.lat))
            records.append(
                {
                    "id": base["id"],
                    "name": base["name"],
                    "specialty": base["specialty"],
                    "county": str(base["county"]),
                    "county_name": self.county_name(base["county"]),
                    "host_zone": host,
                    "host_zone_name": self.zones_by_id[host]["name"] if host else "",
                    "document": self.documents["71"].split(" ")[0] + " 二（三）",
                    "source": "安政办发〔2018〕71号 二（三）七大新型材料产业基地; position: "
                    + where.source,
                    "precision": where.precision,
                    "assumption": base.get("assumption", ""),
                }
            )
        return self.frame(records, geometries)

    def logistics_nodes(self) -> gpd.GeoDataFrame:
        records, geometries = [], []
        for node in self.plan["logistics_nodes"]:
            where = self.placed(node)
            geometries.append(Point(where.lon, where.lat))
            records.append(self._node_record(node, where, node.get("assumption", "")))
        for adcode in sorted(self.plan["seats"]):
            if adcode == "610902":  # the city centre is the 一心 hub itself
                continue
            where = self.anchor(f"seat:{adcode}")
            node = {
                "id": f"dc-{adcode}",
                "name": f"{self.county_name(adcode)}县区配送中心",
                "role": "多点",
                "tier": "县区配送中心",
                "county": adcode,
            }
            geometries.append(Point(where.lon, where.lat))
            records.append(self._node_record(node, where, COUNTY_CENTRE_ASSUMPTION))
        return self.frame(records, geometries)

    def _node_record(self, node: dict, where: Anchor, assumption: str) -> dict:
        named = node.get("named_in", "")
        return {
            "id": node["id"],
            "name": node["name"],
            "role": node["role"],
            "tier": node["tier"],
            "components": node.get("components", ""),
            "named_in": f"安政办发〔2018〕{named}" if named else "",
            "interpretation": LOGISTICS_READING,
            "source": "安政办发〔2018〕71号 三（一）“一心两轴多点”; position: " + where.source,
            "precision": where.precision,
            "assumption": assumption,
        }

    def logistics_axes(self, city) -> gpd.GeoDataFrame:
        records, geometries = [], []
        for axis in self.plan["logistics_axes"]:
            points = [(a.lon, a.lat) for a in map(self.anchor, axis["via"])]
            outside = axis.get("from_outside")
            if outside:
                entry = LineString([(outside["lon"], outside["lat"]), points[0]]).intersection(city)
                points.insert(0, entry.coords[0])
            geometries.append(LineString(points))
            records.append(
                {
                    "id": axis["id"],
                    "name": axis["name"],
                    "axis": axis["axis"],
                    "corridors": axis["corridors"],
                    "continues_to": axis.get("continues", ""),
                    "interpretation": LOGISTICS_READING,
                    "source": "安政办发〔2018〕71号 三（一）“两轴并进”; corridors: domain.md §5",
                    "precision": "schematic",
                    "assumption": "drawn straight between the places on the corridor, "
                    "not along roads or rails"
                    + (
                        "; enters the city on the line toward " + outside["name"] if outside else ""
                    ),
                }
            )
        return self.frame(records, geometries)

    def enclave_links(self) -> gpd.GeoDataFrame:
        industries = self.plan["county_industries"]
        records, geometries = [], []
        for link in self.plan["enclave_links"]:
            origin = self.anchor(f"seat:{link['origin']}")
            host = self.zones_by_id[link["host_zone"]]
            end = self.zone_anchors[host["id"]]
            geometries.append(LineString([(origin.lon, origin.lat), (end.lon, end.lat)]))
            records.append(
                {
                    "id": link["id"],
                    "origin": str(link["origin"]),
                    "origin_name": self.county_name(link["origin"]),
                    "host_zone": host["id"],
                    "host_zone_name": host["name"],
                    "host_county": str(host["county"]),
                    "host_county_name": self.county_name(host["county"]),
                    "industries": "、".join(industries[str(link["origin"])]),
                    "host_industries": "、".join(host["industries"]),
                    "model": ENCLAVE_MODEL,
                    "document": "安政办发〔2018〕72号 二（三）、（十八）",
                    "source": link["source"],
                    "precision": "schematic",
                    "assumption": link.get("assumption", ""),
                }
            )
        return self.frame(records, geometries)

    def clusters(self, bases: gpd.GeoDataFrame, nodes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        records, geometries = [], []
        for cluster in self.plan["clusters"]:
            counties = [str(c) for c in cluster["host_counties"]]
            points = [self.anchor(f"seat:{c}") for c in counties]
            points += [self.zone_anchors[z] for z in cluster["host_zones"]]
            xy = [(p.lon, p.lat) for p in points]
            xy += [bases.geometry[b].coords[0] for b in cluster["host_bases"]]
            xy += [nodes.geometry[n].coords[0] for n in cluster["host_nodes"]]
            unique = sorted(set(xy))
            geometries.append(MultiPoint(unique) if unique else None)
            records.append(
                {
                    "id": cluster["id"],
                    "name": cluster["name"],
                    "name_en": cluster["name_en"],
                    "target_2020_yi": cluster.get("target_2020_yi"),
                    "target_wording": cluster["target_wording"],
                    "document": self.documents["71"].split(" ")[0],
                    "host_counties": ",".join(counties),
                    "host_county_names": "、".join(self.county_name(c) for c in counties),
                    "host_zones": ",".join(cluster["host_zones"]),
                    "host_zone_names": "、".join(
                        self.zones_by_id[z]["name"] for z in cluster["host_zones"]
                    ),
                    "host_bases": ",".join(cluster["host_bases"]),
                    "host_nodes": ",".join(cluster["host_nodes"]),
                    "hosts_source": cluster["hosts_source"],
                    "source": "安政办发〔2018〕71号 一（二）targets, 二 hosts; "
                    "points are the hosts' anchors",
                    "precision": "schematic",
                    "assumption": ""
                    if unique
                    else "71号 names no place for this cluster: nothing to draw",
                }
            )
        frame = self.frame(records, geometries)
        frame["target_2020_yi"] = frame["target_2020_yi"].astype("Int64")
        return frame
