"""Importing point and line layers (issue 13 §3, "any layer"): real GeoJSON, a GBK Shapefile
zip and KML into logistics_nodes and logistics_axes, with moves and lengths known by
construction on the GK plane; wrong kinds refused per feature in Chinese; the ids other
layers name kept; the check's own reading of polygons unchanged."""

from __future__ import annotations

import io
import json

import geopandas as gpd
import pytest
import shapely
from conftest import LAYERS_DIR as LAYERS
from conftest import dbs
from layer_import_files import polygon_geojson, shapefile_zip
from shapely.geometry import LineString, Point

from geo_service import create_app
from geo_service.land.readers import read_parcel_file

NODES = "/collections/logistics_nodes/imports"
AXES = "/collections/logistics_axes/imports"
GK = "EPSG:4545"  # CGCS2000 3° GK zone 36 (CM 108°E): every node and axis below lies in it


@pytest.fixture()
def app(tmp_path):
    return create_app({"TESTING": True, **dbs(tmp_path)})


def post(client, data: bytes, name: str, url: str, **form):
    fields = {"file": (io.BytesIO(data), name), **{k: str(v) for k, v in form.items()}}
    return client.post(url, data=fields, content_type="multipart/form-data")


def nodes_moved(east_m: float = 100.0) -> gpd.GeoDataFrame:
    """The repo's logistics nodes (EPSG:4545 metres), hub-central moved ``east_m`` m east,
    plus one new node 2 km north of it: 编号/名称 fields as a bureau's file names them."""
    nodes = gpd.read_file(LAYERS / "logistics_nodes.geojson", engine="pyogrio").to_crs(GK)
    rows, shapes = [], []
    for fid, name, tier, shape in zip(nodes["id"], nodes["name"], nodes["tier"], nodes.geometry):
        rows.append({"编号": fid, "名称": name, "层级": tier})
        shapes.append(Point(shape.x + east_m, shape.y) if fid == "hub-central" else shape)
    hub = shapes[list(nodes["id"]).index("hub-central")]
    rows.append({"编号": "node-new", "名称": "新建物流园（恒口）", "层级": "物流中心"})
    shapes.append(Point(hub.x, hub.y + 2000))
    return gpd.GeoDataFrame(rows, geometry=shapes, crs=GK)


def as_geojson(gdf: gpd.GeoDataFrame) -> bytes:
    document = json.loads(gdf.to_crs("EPSG:4326").to_json(drop_id=True))
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def kinds_of(answer: dict) -> dict[str, dict]:
    return {c["id"]: c for c in answer["diff"]["changes"]}


@pytest.mark.parametrize("form", ["geojson", "shapefile"])
def test_points_import_moved_and_added_then_commit_serves_them(app, tmp_path, form):
    data, name = {
        "geojson": lambda: (as_geojson(nodes_moved()), "物流节点.geojson"),
        "shapefile": lambda: (shapefile_zip(tmp_path, nodes_moved()), "物流节点.zip"),
    }[form]()
    client = app.test_client()
    dry = post(client, data, name, NODES)
    assert dry.status_code == 200, dry.json
    body = dry.json
    assert body["committable"], body["problems"]
    assert (body["fields"]["id"], body["fields"]["name"]) == ("编号", "名称")
    changes = kinds_of(body)
    assert changes["hub-central"]["kind"] == "moved"
    assert changes["hub-central"]["moved_m"] == pytest.approx(100, abs=0.5)
    assert changes["node-new"]["kind"] == "added"
    assert body["diff"]["counts"]["added"] == 1 and body["diff"]["counts"]["removed"] == 0
    assert body["diff"]["counts"]["moved"] == 1
    before = client.get("/collections/logistics_nodes/items?f=json").json["features"]
    assert "node-new" not in {f["id"] for f in before}

    done = post(client, data, name, NODES, dry_run=0, message="2026 年物流节点")
    assert done.status_code == 201, done.json
    assert done.json["version"]["number"] == 2
    items = client.get("/collections/logistics_nodes/items?f=json").json["features"]
    served = {f["id"]: f for f in items}
    assert served["node-new"]["properties"]["名称"] == "新建物流园（恒口）"
    assert served["node-new"]["properties"]["name"] == "新建物流园（恒口）"
    assert served["node-new"]["properties"]["precision"] == "surveyed"
    assert name in served["node-new"]["properties"]["source"]
    assert served["hub-central"]["properties"]["role"] == "一心"  # kept from the layer
    old = next(f for f in before if f["id"] == "hub-central")["geometry"]["coordinates"]
    new = served["hub-central"]["geometry"]["coordinates"]
    assert new[0] > old[0] and new[1] == pytest.approx(old[1], abs=1e-5)
    assert client.get("/collections/logistics_nodes/items?f=json&version=1").json[
        "numberReturned"
    ] == len(before)


def test_a_polygon_file_into_a_point_layer_is_refused_in_chinese(app):
    square = [[109.02, 32.69], [109.03, 32.69], [109.03, 32.70], [109.02, 32.70], [109.02, 32.69]]
    data = polygon_geojson([square], {"id": "hub-central", "name": "面"})
    client = app.test_client()
    etag = client.get("/collections/logistics_nodes/items").headers["ETag"]
    for dry_run in (1, 0):
        answer = post(client, data, "面.geojson", NODES, dry_run=dry_run)
        assert answer.status_code == 422, answer.json
        text = json.dumps(answer.json, ensure_ascii=False)
        assert "几何类型为 Polygon，本图层只收点（Point 或 MultiPoint）" in text
        assert "第 1 个要素" in text
    assert client.get("/collections/logistics_nodes/items").headers["ETag"] == etag
    english = client.post(
        NODES,
        data={"file": (io.BytesIO(data), "a.geojson")},
        headers={"Accept-Language": "en"},
        content_type="multipart/form-data",
    )
    assert "this layer takes points" in json.dumps(english.json)


def test_duplicate_positions_warn_and_dropping_a_named_node_is_an_error(app):
    gdf = nodes_moved(0)
    hub = gdf.geometry[list(gdf["编号"]).index("hub-central")]
    gdf.loc[len(gdf)] = {"编号": "hub-copy", "名称": "重复", "层级": "", "geometry": hub}
    gdf = gdf[gdf["编号"] != "tianmao"]  # clusters/logistics.host_nodes names it
    answer = post(app.test_client(), as_geojson(gdf), "n.geojson", NODES).json
    problems = {(p["code"], p["id"]): p for p in answer["problems"]}
    same = problems[("import.same_position", "hub-copy")]
    assert same["severity"] == "warning" and "位置相同" in same["message"]
    assert "hub-central" in same["message"]
    assert problems[("import.referenced", "tianmao")]["severity"] == "error"
    assert not answer["committable"]


def axes_kml(extend_m: float) -> bytes:
    """The repo's logistics axes as KML LineStrings; axis-east-west lengthened by
    ``extend_m`` metres at its west end (along its first segment, on the GK plane)."""
    axes = gpd.read_file(LAYERS / "logistics_axes.geojson", engine="pyogrio").to_crs(GK)
    marks = []
    for fid, name, shape in zip(axes["id"], axes["name"], axes.geometry):
        coords = list(shape.coords)
        if fid == "axis-east-west":
            (x0, y0), (x1, y1) = coords[0], coords[1]
            step = shapely.Point(x0, y0).distance(shapely.Point(x1, y1))
            coords[0] = (x0 - (x1 - x0) / step * extend_m, y0 - (y1 - y0) / step * extend_m)
        lonlat = gpd.GeoSeries([LineString(coords)], crs=GK).to_crs("EPSG:4326")[0]
        text = " ".join(f"{x!r},{y!r}" for x, y in lonlat.coords)
        marks.append(
            f"<Placemark><name>{name}</name><ExtendedData>"
            f'<Data name="编号"><value>{fid}</value></Data></ExtendedData>'
            f"<LineString><coordinates>{text}</coordinates></LineString></Placemark>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document>{''.join(marks)}</Document></kml>"
    ).encode()


def test_lines_from_kml_report_the_length_change_and_commit(app):
    client = app.test_client()
    data = axes_kml(500)
    dry = post(client, data, "物流轴线.kml", AXES)
    assert dry.status_code == 200, dry.json
    body = dry.json
    assert body["committable"], body["problems"]
    assert body["fields"]["id"] == "编号"
    axis = kinds_of(body)["axis-east-west"]
    assert axis["kind"] == "moved"
    assert axis["length_change_m"] == pytest.approx(500, abs=1)
    assert axis["length_after_m"] - axis["length_before_m"] == pytest.approx(500, abs=1)
    done = post(client, data, "物流轴线.kml", AXES, dry_run=0)
    assert done.status_code == 201, done.json
    items = client.get("/collections/logistics_axes/items?f=json").json["features"]
    assert {f["id"] for f in items} >= {"axis-east-west"}
    assert next(f for f in items if f["id"] == "axis-east-west")["properties"]["precision"] == (
        "surveyed"
    )


def test_a_point_placemark_into_the_lines_layer_is_refused_per_feature(app):
    kml = (
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        "<Document><Placemark><name>点</name><Point><coordinates>109.02,32.69</coordinates>"
        "</Point></Placemark></Document></kml>"
    ).encode()
    answer = post(app.test_client(), kml, "p.kml", AXES)
    assert answer.status_code == 422
    assert "本图层只收线（LineString 或 MultiLineString）" in json.dumps(
        answer.json, ensure_ascii=False
    )


def test_the_checks_reading_stays_polygons_only():
    """A land check still refuses points (its readers' default kind), as before."""
    data = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"id": "P"},
                    "geometry": {"type": "Point", "coordinates": [109.02, 32.69]},
                }
            ],
        }
    ).encode()
    assert read_parcel_file(data, "p.geojson").parcels == []
    kept = read_parcel_file(data, "p.geojson", kind="point").parcels
    assert [p.geometry.geom_type for p in kept] == ["Point"]


def test_a_geopackage_of_points_and_a_node_outside_ankang(app, tmp_path):
    gdf = nodes_moved(0)
    # in the check's box around Ankang (so the CRS is not doubted) but ~60 km past the city
    far = gpd.GeoSeries([Point(107.95, 31.65)], crs="EPSG:4326").to_crs(GK)[0]
    gdf.loc[len(gdf)] = {"编号": "far", "名称": "城外", "层级": "", "geometry": far}
    path = tmp_path / "nodes.gpkg"
    gdf.to_file(path, layer="物流节点", driver="GPKG", engine="pyogrio")
    answer = post(app.test_client(), path.read_bytes(), "nodes.gpkg", NODES)
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert body["file"]["format"] == "gpkg"
    far = [p for p in body["problems"] if p["id"] == "far"]
    assert [p["code"] for p in far] == ["import.outside_ankang_shape"]
    assert far[0]["severity"] == "error" and "安康市界以外" in far[0]["message"]
    assert not body["committable"] and body["diff"]["counts"]["added"] == 2


def test_the_cli_imports_points_and_prints_moves_in_metres(tmp_path, monkeypatch, capsys):
    from geo_service.__main__ import main

    for key, value in dbs(tmp_path).items():
        monkeypatch.setenv(f"GEO_SERVICE_{key}", value)
    path = tmp_path / "物流节点.zip"
    path.write_bytes(shapefile_zip(tmp_path, nodes_moved()))
    assert main(["layers", "import", "logistics_nodes", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "编号字段 编号，名称字段 名称" in out
    assert "移动 hub-central（中心城区物流核心（汉滨—高新区—恒口））：移动 100.0 米" in out
    assert main(["layers", "import", "logistics_nodes", str(path), "--message", "节点"]) == 0
    assert "已写入 logistics_nodes 第 2 版（15 个要素）" in capsys.readouterr().out


def test_a_line_layer_without_name_takes_its_label_field_and_bad_points_say_why(app):
    client = app.test_client()
    links = (LAYERS / "enclave_links.geojson").read_bytes()
    body = post(client, links, "飞地联系.geojson", "/collections/enclave_links/imports").json
    assert body["committable"], body["problems"]
    assert body["fields"]["name"] == "origin_name"
    assert any("标注字段 origin_name" in n["message"] for n in body["notes"])
    bad = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"id": "P", "name": "点"},
                "geometry": {"type": "Point", "coordinates": ["109.02", "x"]},
            }
        ],
    }
    answer = post(client, json.dumps(bad).encode(), "p.geojson", NODES)
    assert answer.status_code == 422
    text = json.dumps(answer.json, ensure_ascii=False)
    assert "第 1 个要素（P）" in text and "点为一个位置" in text
