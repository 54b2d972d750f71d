"""Every attribute a parcel file gives travels with its parcel (issue 11, "the check keeps what
the file says"): into the result document, the paged rows, CSV, XLSX, the GIS downloads and the
界址点 txt, and back: a file read, checked, exported and checked again keeps its geometry and
its attributes, for every reader."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import geopandas as gpd
import openpyxl
import pyogrio
import pytest
import shapely
from conftest import dbs
from land_fixtures import ZONE_SHAPES, collection, shifted
from shapely.geometry import box
from test_checks_api import post

from geo_service import create_app
from geo_service.land.model import MAX_ATTRIBUTE_CHARS, MAX_ATTRIBUTES

DATA = __import__("pathlib").Path(__file__).parent / "data" / "jzd"

#: Two parcels in zone 36 (GK metres without prefix, EPSG:4545), the second with a hole.
SHAPES = {
    "DK-01": box(100, 100, 200, 200),
    "DK-02": box(300, 300, 500, 500).difference(box(350, 350, 400, 400)),
}
FIELDS = {
    "DK-01": {
        "地块编号": "DK-01",
        "项目名称": "安康某新材料项目",
        "用途": "工业用地",
        "地类编码": "0601",
        "批次": 3,
    },
    "DK-02": {
        "地块编号": "DK-02",
        "项目名称": "月河片区仓储",
        "用途": "仓储用地",
        "地类编码": "0602",
        "批次": 4,
    },
}


@pytest.fixture()
def client(tmp_path):
    return create_app({"TESTING": True, **dbs(tmp_path)}).test_client()


def frame_4545() -> gpd.GeoDataFrame:
    rows = [FIELDS[k] for k in SHAPES]
    geometries = [shifted(s, 36) for s in SHAPES.values()]
    return gpd.GeoDataFrame(rows, geometry=geometries, crs="EPSG:4545")


def as_geojson() -> bytes:
    features = [
        {
            "type": "Feature",
            "properties": FIELDS[key],
            "geometry": json.loads(shapely.to_geojson(shifted(shape, 36))),
        }
        for key, shape in SHAPES.items()
    ]
    document = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4545"}},
        "features": features,
    }
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def as_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    names = list(FIELDS["DK-01"])
    writer.writerow([*names, "wkt"])
    for key, shape in SHAPES.items():
        writer.writerow([*(FIELDS[key][n] for n in names), shifted(shape, 36).wkt])
    return buffer.getvalue().encode("gbk")


def as_kml() -> bytes:
    placemarks = []
    lonlat = frame_4545().to_crs("EPSG:4326")
    for key, geometry in zip(SHAPES, lonlat.geometry):
        data = "".join(
            f'<Data name="{k}"><value>{v}</value></Data>' for k, v in FIELDS[key].items()
        )
        rings = [geometry.exterior, *geometry.interiors]
        coords = [" ".join(f"{x!r},{y!r}" for x, y in r.coords) for r in rings]
        inner = "".join(
            f"<innerBoundaryIs><LinearRing><coordinates>{c}</coordinates></LinearRing>"
            "</innerBoundaryIs>"
            for c in coords[1:]
        )
        placemarks.append(
            f"<Placemark><name>{key}</name><ExtendedData>{data}</ExtendedData><Polygon>"
            f"<outerBoundaryIs><LinearRing><coordinates>{coords[0]}</coordinates></LinearRing>"
            f"</outerBoundaryIs>{inner}</Polygon></Placemark>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document>{''.join(placemarks)}</Document></kml>"
    ).encode()


def as_gpkg(tmp_path) -> bytes:
    path = tmp_path / "parcels.gpkg"
    frame_4545().to_file(path, layer="parcels", driver="GPKG", engine="pyogrio")
    return path.read_bytes()


def as_shapefile_zip(tmp_path) -> bytes:
    """A GBK shapefile without .cpg, as Chinese desktop GIS writes it."""
    folder = tmp_path / "shp"
    folder.mkdir()
    frame_4545().to_file(folder / "地块.shp", engine="pyogrio", encoding="cp936")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in folder.iterdir():
            if path.suffix != ".cpg":
                archive.write(path, path.name)
    return buffer.getvalue()


def upload(kind: str, tmp_path) -> tuple[bytes, str]:
    if kind == "geojson":
        return as_geojson(), "地块.geojson"
    if kind == "csv":
        return as_csv(), "地块.csv"
    if kind == "kml":
        return as_kml(), "地块.kml"
    if kind == "gpkg":
        return as_gpkg(tmp_path), "地块.gpkg"
    if kind == "shapefile":
        return as_shapefile_zip(tmp_path), "地块.zip"
    return (DATA / "ankang_gbk.txt").read_bytes(), "ankang_gbk.txt"


def check(client, data: bytes, name: str, **form) -> dict:
    response = post(client, data, name=name, zones=collection(ZONE_SHAPES, 36), **form)
    assert response.status_code == 201, response.json
    return response.json


def geometries(client, check_id: str) -> list:
    collection_ = json.loads(client.get(f"/api/checks/{check_id}?f=geojson").data)
    return [shapely.geometry.shape(f["geometry"]) for f in collection_["features"]]


def same_geometry(a: list, b: list) -> None:
    assert len(a) == len(b)
    for one, other in zip(a, b):
        assert shapely.equals_exact(shapely.normalize(one), shapely.normalize(other), 1e-6)


def text(value) -> str:
    return "" if value is None else str(value)


def kept(before: dict, after: dict) -> None:
    """Every attribute of ``before`` is in ``after`` with the same value (as text)."""
    missing = {k: v for k, v in before.items() if text(after.get(k)) != text(v)}
    assert not missing, (missing, after)


def test_attributes_travel_with_each_parcel_in_file_order(client):
    result = check(client, as_geojson(), "地块.geojson")
    first = result["parcels"][0]
    assert first["attributes"] == FIELDS["DK-01"]
    # the file's order (the JSON answer sorts object keys: attribute_fields keeps the order)
    stored = client.application.extensions["geo_service.register"].get(result["id"])
    assert list(stored["parcels"][0]["attributes"]) == list(FIELDS["DK-01"])
    assert first["name"] == ""  # no 地块名称 / name field in this file
    assert result["input"]["attribute_fields"] == list(FIELDS["DK-01"])
    page = client.get(f"/api/checks/{result['id']}/parcels?limit=1&offset=1").json
    assert page["parcels"][0]["attributes"] == FIELDS["DK-02"]


def test_jzd_header_fields_and_attribute_block(client):
    result = check(client, *upload("jzd", None))
    first = result["parcels"][0]
    assert first["name"] == "恒口示范区某项目用地"
    assert first["attributes"] == {
        "界址点数": "10",
        "地块面积": "1.6500",
        "地块编号": "AK-001",
        "地块名称": "恒口示范区某项目用地",
        "记录图形属性": "面",
        "图幅号": "H49G055040",
        "地块用途": "工业用地",
        "地类编码": "0601",
    }
    header = result["input"]["jzd_header"]
    assert header["数据产生单位"] == "安康市自然资源和规划局（测试数据）"
    assert result["input"]["attribute_fields"][:3] == ["界址点数", "地块面积", "地块编号"]
    exported = client.get(f"/api/checks/{result['id']}?f=jzd").data.decode("gb18030")
    assert "数据产生单位=安康市自然资源和规划局（测试数据）" in exported
    assert "数据产生日期=2026-11-22" in exported
    assert "10,1.6500,AK-001,恒口示范区某项目用地,面,H49G055040,工业用地,0601,@" in exported


def test_values_are_json_safe_and_bounded(client):
    many = {f"字段{n}": n for n in range(MAX_ATTRIBUTES + 20)}
    properties = {"名称": "长值", "备注": "很" * (MAX_ATTRIBUTE_CHARS + 50), "空": None, **many}
    document = json.loads(as_geojson())
    document["features"][0]["properties"] = properties
    data = json.dumps(document, ensure_ascii=False).replace('"空": null', '"空": NaN')
    result = check(client, data.encode("utf-8"), "big.geojson")
    attributes = result["parcels"][0]["attributes"]
    assert len(attributes) == MAX_ATTRIBUTES
    assert attributes["备注"] == "很" * MAX_ATTRIBUTE_CHARS and attributes["空"] is None
    assert result["parcels"][0]["name"] == "长值"
    assert "attributes.cut" in [note["code"] for note in result["input"]["notes"]]
    assert any("属性超出上限" in note["message"] for note in result["input"]["notes"])


def test_csv_and_xlsx_carry_the_attributes_after_the_results(client):
    result = check(client, as_geojson(), "地块.geojson")
    url = f"/api/checks/{result['id']}"
    rows = list(csv.reader(io.StringIO(client.get(f"{url}?f=csv").data.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:3] == ["地块编号", "地块名称", "检查结果"]
    # 地块编号 is already a result column: the file's own comes after the results, marked
    assert header[-5:] == ["地块编号（原文件）", "项目名称", "用途", "地类编码", "批次"]
    assert rows[1][-5:] == ["DK-01", "安康某新材料项目", "工业用地", "0601", "3"]
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"{url}?f=xlsx").data))
    sheet = book["地块检查结果"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][-4:] == ["项目名称", "用途", "地类编码", "批次"]
    assert values[2][-4:] == ["月河片区仓储", "仓储用地", "0602", 4]


def test_formula_like_attributes_stay_text(client):
    document = json.loads(as_geojson())
    document["features"][0]["properties"] = {"=cmd": "=1+1", "备注": "@SUM(A1)"}
    result = check(client, json.dumps(document).encode(), "f.geojson")
    text_ = client.get(f"/api/checks/{result['id']}?f=csv").data.decode("utf-8-sig")
    assert "'=cmd" in text_ and "'=1+1" in text_ and "'@SUM(A1)" in text_


@pytest.mark.parametrize("fmt", ["gpkg", "kml", "shp"])
def test_gis_downloads_carry_the_attributes(client, tmp_path, fmt):
    result = check(client, as_geojson(), "地块.geojson")
    data = client.get(f"/api/checks/{result['id']}?f={fmt}").data
    if fmt == "shp":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            archive.extractall(tmp_path / "out")
            notes = next(n for n in archive.namelist() if n.endswith("字段说明.txt"))
            lines = archive.read(notes).decode("utf-8-sig").splitlines()[1:]
            mapping = dict(line.split("\t")[:2] for line in lines if "\t" in line)
        frame = pyogrio.read_dataframe(next((tmp_path / "out").rglob("*.shp")))
        frame = frame.rename(columns=mapping)
    else:
        path = tmp_path / f"out.{fmt}"
        path.write_bytes(data)
        frame = pyogrio.read_dataframe(path, layer="check_parcels")
    assert list(frame["项目名称"]) == ["安康某新材料项目", "月河片区仓储"]
    assert list(frame["用途"]) == ["工业用地", "仓储用地"]
    zh = {"inside": "区内", "partial": "部分在区内", "outside": "区外"}
    assert list(frame["检查结果"]) == [zh[p["status"]] for p in result["parcels"]]
    assert list(frame["status"]) == [p["status"] for p in result["parcels"]]


@pytest.mark.parametrize("kind", ["jzd", "geojson", "csv", "kml", "gpkg", "shapefile"])
def test_round_trip_through_the_jzd_export(client, tmp_path, kind):
    """Read, check, export f=jzd, check again: same geometry, same attributes."""
    data, name = upload(kind, tmp_path)
    form = {"crs": "EPSG:4545"} if kind == "csv" else {}
    first = check(client, data, name, **form)
    exported = client.get(f"/api/checks/{first['id']}?f=jzd").data
    second = check(client, exported, "导出.txt")
    same_geometry(geometries(client, first["id"]), geometries(client, second["id"]))
    for before, after in zip(first["parcels"], second["parcels"]):
        assert after["parcel_id"] == before["parcel_id"]
        assert after["status"] == before["status"]
        assert after["area_m2"] == pytest.approx(before["area_m2"], abs=0.01)
        if kind == "jzd":
            assert after["attributes"] == before["attributes"]
            assert after["name"] == before["name"]
        else:
            kept(before["attributes"], after["attributes"])
    if kind == "jzd":
        assert second["input"]["jzd_header"] == first["input"]["jzd_header"]
        again = client.get(f"/api/checks/{second['id']}?f=jzd").data
        assert again == exported  # a second round changes nothing


def test_round_trip_through_the_shapefile_export(client, tmp_path):
    """A GBK shapefile checked, exported as a zipped Shapefile and checked again."""
    first = check(client, as_shapefile_zip(tmp_path), "地块.zip")
    assert first["parcels"][0]["attributes"]["项目名称"] == "安康某新材料项目"
    assert "没有 .cpg 文件：属性编码识别为 GB18030" in [
        n["message"] for n in first["input"]["notes"]
    ]
    exported = client.get(f"/api/checks/{first['id']}?f=shp").data
    second = check(client, exported, "导出.zip")
    same_geometry(geometries(client, first["id"]), geometries(client, second["id"]))
    for before, after in zip(first["parcels"], second["parcels"]):
        kept(before["attributes"], after["attributes"])  # names restored by 字段说明.txt
        assert after["attributes"]["status"] == before["status"]


def test_report_names_each_parcel(client):
    result = check(client, *upload("jzd", None))
    html = client.get(f"/api/checks/{result['id']}?f=html").data.decode()
    assert "<th>地块编号</th><th>地块名称</th>" in html  # the list's columns
    assert "<td>恒口示范区某项目用地</td>" in html
    assert " · 恒口示范区某项目用地<span" in html  # the parcel's own section heading


# --- downloads in the parcels' own coordinate system -------------------------------------------


def download_crs(client, tmp_path, url: str) -> tuple[int, gpd.GeoDataFrame]:
    response = client.get(url)
    assert response.status_code == 200, response.data[:300]
    fmt = "shp" if "f=shp" in url else "gpkg"
    if fmt == "shp":
        with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
            archive.extractall(tmp_path / "crs")
        frame = gpd.read_file(next((tmp_path / "crs").rglob("*.shp")), engine="pyogrio")
    else:
        (tmp_path / "crs.gpkg").write_bytes(response.data)
        frame = gpd.read_file(tmp_path / "crs.gpkg", engine="pyogrio", layer="check_parcels")
    return frame.crs.to_epsg(), frame


@pytest.mark.parametrize(
    ("kind", "query", "epsg"),
    [
        ("geojson", "f=gpkg", 4545),  # the file's GK zone, without prefix
        ("jzd", "f=shp", 4524),  # zone 36 with prefix, as the 界址点 file was
        ("kml", "f=gpkg", 4490),  # lon/lat files come as CGCS2000 lon/lat
        ("jzd", "f=gpkg&crs=EPSG:4490", 4490),
        ("geojson", "f=shp&crs=4546", 4546),
    ],
)
def test_downloads_come_in_the_parcels_own_crs(client, tmp_path, kind, query, epsg):
    result = check(client, *upload(kind, tmp_path))
    got, frame = download_crs(client, tmp_path, f"/api/checks/{result['id']}?{query}")
    assert got == epsg
    lonlat = frame.to_crs("EPSG:4490").geometry
    same_geometry(list(lonlat), geometries(client, result["id"]))


def test_download_crs_that_is_not_offered(client):
    result = check(client, as_geojson(), "地块.geojson")
    response = client.get(f"/api/checks/{result['id']}?f=gpkg&crs=EPSG:3857")
    assert response.status_code == 400
    assert response.json["error"]["message"].startswith("crs=EPSG:3857 不可用于下载")


@pytest.mark.parametrize("members", [{}, {"说明.txt": "只有说明"}])
def test_a_zip_without_data_files_says_so(client, members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    response = post(client, buffer.getvalue(), name="空.zip")
    assert response.status_code == 422
    assert (
        "没有可读取的数据文件（.shp、.gpkg、.kml、.geojson、.csv、.txt）"
        in (response.json["error"]["message"])
    )


def test_geopackage_dates_missing_numbers_and_long_text_are_json_safe(client, tmp_path):
    import pandas as pd

    frame = frame_4545()
    frame["批准日期"] = pd.to_datetime(["2026-11-22", None])
    frame["面积"] = [1.5, float("nan")]
    frame["说明"] = ["长" * (MAX_ATTRIBUTE_CHARS + 1), None]
    path = tmp_path / "dates.gpkg"
    frame.to_file(path, driver="GPKG", engine="pyogrio")
    result = check(client, path.read_bytes(), "dates.gpkg")
    first, second = (p["attributes"] for p in result["parcels"])
    assert first["批准日期"].startswith("2026-11-22") and second["批准日期"] is None
    assert first["面积"] == 1.5 and second["面积"] is None and second["说明"] is None
    assert first["说明"] == "长" * MAX_ATTRIBUTE_CHARS
    assert "attributes.cut" in [note["code"] for note in result["input"]["notes"]]
    assert any("属性超出上限" in note["message"] for note in result["input"]["notes"])
