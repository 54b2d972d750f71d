"""Every parcel format, read from real files written the way other tools write them."""

from __future__ import annotations

import io
import zipfile

import geopandas as gpd
import pytest
import shapely
from land_fixtures import EXPECTED, PARCEL_SHAPES, shifted

from geo_service.errors import InputError, UnsupportedFormat
from geo_service.land.crs import parse_crs
from geo_service.land.prepare import prepare_parcels
from geo_service.land.readers import read_parcel_file, sniff
from geo_service.messages import Msg, localise


def gk_frame(zone: int = 36, prefixed: bool = True, crs: str = "EPSG:4524") -> gpd.GeoDataFrame:
    names = {key: f"安康地块{key}" for key in PARCEL_SHAPES}
    return gpd.GeoDataFrame(
        {"地块编号": list(PARCEL_SHAPES), "地块名称": list(names.values())},
        geometry=[shifted(s, zone, prefixed) for s in PARCEL_SHAPES.values()],
        crs=crs,
    )


def zip_folder(folder, prefix: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"{prefix}{path.name}")
    return buffer.getvalue()


def test_gbk_shapefile_in_a_zip_subfolder_without_cpg(tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    gk_frame().to_file(folder / "地块.shp", engine="pyogrio", encoding="GBK")
    (folder / "地块.cpg").unlink(missing_ok=True)
    dbf = (folder / "地块.dbf").read_bytes()
    assert "安康地块in".encode("gbk") in dbf  # really GBK on disk
    data = zip_folder(folder, "成果/界址/")
    raw = read_parcel_file(data, "成果.zip")
    assert raw.format == "shapefile"
    assert list(raw.table.parcel_id) == list(PARCEL_SHAPES)
    assert raw.table.name[0] == "安康地块in"
    assert Msg("shp.no_cpg", encoding="GB18030") in raw.notes
    parcels = prepare_parcels(raw)
    assert parcels.source_crs.startswith("EPSG:4524")
    area = shapely.area(parcels.frame.geometry.to_crs("EPSG:4545").to_numpy())
    assert area == pytest.approx([e.area for e in EXPECTED.values()], abs=0.001)


def test_utf8_shapefile_with_cpg(tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    # dBASE field names hold 10 bytes: 4 Chinese characters fit in GBK, not in UTF-8
    frame = gk_frame(37, False, "EPSG:4546").rename(
        columns={"地块编号": "编号", "地块名称": "名称"}
    )
    frame.to_file(folder / "parcels.shp", engine="pyogrio")
    raw = read_parcel_file(zip_folder(folder, ""), "parcels.zip")
    assert raw.table.parcel_id[1] == "edge" and raw.table.name[1] == "安康地块edge"
    assert not raw.notes
    assert prepare_parcels(raw).source_crs.startswith("EPSG:4546")


def test_geopackage(tmp_path):
    path = tmp_path / "parcels.gpkg"
    gk_frame(36, False, "EPSG:4545").to_file(path, layer="地块", engine="pyogrio")
    data = path.read_bytes()
    assert sniff(data) == "gpkg"
    raw = read_parcel_file(data, "parcels.gpkg")
    assert len(raw.table.geometry) == 7 and raw.table.parcel_id[6] == "ring"
    assert prepare_parcels(raw).source_crs.startswith("EPSG:4545")


def test_geopackage_with_two_polygon_layers_asks_which(tmp_path):
    path = tmp_path / "two.gpkg"
    gk_frame().to_file(path, layer="a", engine="pyogrio")
    gk_frame().to_file(path, layer="b", engine="pyogrio")
    with pytest.raises(InputError, match="请用 layer=图层名 指定其一") as caught:
        read_parcel_file(path.read_bytes(), "two.gpkg")
    problem = caught.value.details["problems"][0]
    assert problem["code"] == "gpkg.several_polygon_layers"
    english = localise(problem, "en")
    assert english["message"] == "several polygon layers: a、b"
    assert english["hint"] == "pass layer=NAME to pick one"
    assert len(read_parcel_file(path.read_bytes(), "two.gpkg", layer="b").table.geometry) == 7


KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Placemark><name>恒口地块</name><Polygon>
 <outerBoundaryIs><LinearRing><coordinates>
  108.86,32.73,0 108.861,32.73,0 108.861,32.731,0 108.86,32.731,0 108.86,32.73,0
 </coordinates></LinearRing></outerBoundaryIs>
 <innerBoundaryIs><LinearRing><coordinates>
  108.8603,32.7303 108.8606,32.7303 108.8606,32.7306 108.8603,32.7306 108.8603,32.7303
 </coordinates></LinearRing></innerBoundaryIs>
</Polygon></Placemark>
</Document></kml>"""


def test_kml_and_kmz():
    raw = read_parcel_file(KML.encode(), "地块.kml")
    assert raw.format == "kml" and raw.parcels[0].parcel_id == "恒口地块"
    polygon = prepare_parcels(raw).frame.geometry[0]
    assert len(polygon.interiors) == 1
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("doc.kml", KML)
    assert read_parcel_file(buffer.getvalue(), "地块.kmz").parcels[0].parcel_id == "恒口地块"


def test_kml_entities_are_refused():
    hostile = KML.replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aaaa">]>',
    )
    with pytest.raises(InputError, match="DOCTYPE"):
        read_parcel_file(hostile.encode(), "bomb.kml")


def test_csv_with_wkt_in_gbk_and_line_numbers():
    text = (
        "编号;名称;WKT\n"
        "A1;甲;POLYGON((560100 3620100, 560200 3620100, 560200 3620200, 560100 3620200, "
        "560100 3620100))\n"
        "A2;乙;POLYGON((560100 3620100, 560200 3620100, 560200 3620200, 560100 3620200))\n"
    )
    raw = read_parcel_file(text.encode("gbk"), "地块.csv")
    assert raw.format == "csv" and raw.parcels[0].parcel_id == "A1"
    assert [p.where.text() for p in raw.problems] == ["第 3 行（A2）"]
    assert [p.where.text("en") for p in raw.problems] == ["line 3 (A2)"]
    assert raw.problems[0].message == Msg("wkt.not_closed")
    assert raw.problems[0].message.text() == "环未闭合：末点与首点不同"
    good = text.rsplit("\n", 2)[0] + "\n"
    parcels = prepare_parcels(read_parcel_file(good.encode(), "地块.csv"), parse_crs("EPSG:4545"))
    area = shapely.area(parcels.frame.geometry.to_crs("EPSG:4545").to_numpy())[0]
    assert area == pytest.approx(10_000, abs=0.001)


def test_xian80_parcels_carry_an_approximation_warning():
    frame = gk_frame(36, True, "EPSG:2360")  # Xian 1980 / 3-degree GK zone 36
    data = frame.to_json().encode()
    parcels = prepare_parcels(read_parcel_file(data, "xian80.geojson"), parse_crs("EPSG:2360"))
    warning = parcels.frame["warnings"][0][0]
    assert warning["code"] == "datum.approximate" and "近似" in warning["message"]
    assert "approximate" in localise(warning, "en")["message"]


@pytest.mark.parametrize("data", [b"", b"hello world", b"\x00\x01\x02", b"PK\x03\x04broken"])
def test_garbage_is_refused_clearly(data):
    with pytest.raises((UnsupportedFormat, InputError)) as caught:
        read_parcel_file(data, "garbage.bin")
    assert caught.value.message.startswith("garbage.bin")


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_zip_of_one_geopackage_geojson_or_jzd_file_is_read(tmp_path):
    """Clerks zip whatever they send: a zip holding one data file (and a readme) is that file."""
    from land_fixtures import jzd_text

    gk_frame().to_file(tmp_path / "p.gpkg", engine="pyogrio")
    files = {
        "成果/地块.gpkg": (tmp_path / "p.gpkg").read_bytes(),
        "地块.geojson": gk_frame().to_json().encode(),
        "界址点.txt": jzd_text(PARCEL_SHAPES, 36).encode("gbk"),
    }
    for name, data in files.items():
        raw = read_parcel_file(zipped({name: data, "说明.txt": "请查收".encode()}), "送审.zip")
        parcels = prepare_parcels(raw, parse_crs("EPSG:4524") if "geojson" in name else None)
        assert len(parcels.frame) == len(PARCEL_SHAPES), name
        assert raw.filename == "送审.zip"
    both = zipped({"a.geojson": files["地块.geojson"], "b.txt": files["界址点.txt"]})
    with pytest.raises(InputError) as caught:
        read_parcel_file(both, "两个.zip")
    assert caught.value.details["problems"][0]["code"] == "zip.several_data_files"
    assert "请用 layer=图层名 指定其一" in caught.value.message
    raw = read_parcel_file(both, "两个.zip", layer="b")
    assert raw.format == "jzd"


def test_an_empty_zip_names_the_real_problem():
    empty = zipped({})
    with pytest.raises(InputError) as caught:
        read_parcel_file(empty, "空.zip")
    error = caught.value
    assert error.message.startswith(
        "空.zip：压缩包是空的，没有可读取的数据文件（.shp、.gpkg、.kml、.geojson、.csv、.txt）"
    )
    assert error.details["problems"][0]["code"] == "zip.empty"
    assert error.to_dict("en")["error"]["message"].startswith(
        "空.zip: the archive is empty: no data file to read"
    )
    with pytest.raises(InputError) as caught:
        read_parcel_file(zipped({"照片.jpg": b"\xff\xd8\xff", "说明.txt": b"hello"}), "x.zip")
    assert caught.value.details["problems"][0]["code"] == "zip.no_data_file"
    assert "只有：照片.jpg、说明.txt" in caught.value.message
