"""Data downloads read back with GDAL: same features, same attributes, Chinese intact."""

from __future__ import annotations

import io
import zipfile

import pyogrio
import pytest
import shapely
from conftest import dbs
from land_fixtures import EXPECTED, PARCEL_SHAPES, ZONE_SHAPES, collection
from test_checks_api import post

from geo_service import create_app
from geo_service.land.check import check_parcels, parcel_records
from geo_service.land.prepare import prepare_parcels
from geo_service.land.readers import read_parcel_file
from geo_service.land.zones import zones_from_file

LAYERS = [
    "counties",
    "zones",
    "new_materials_bases",
    "clusters",
    "logistics_nodes",
    "logistics_axes",
    "enclave_links",
]


def read_back(data: bytes, fmt: str, tmp_path, cpg_text: str = "UTF-8"):
    """A download read with GDAL; a Shapefile's .cpg must say ``cpg_text`` (layers UTF-8,
    check results 936: GBK)."""
    if fmt == "shp":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            cpg = next(n for n in names if n.endswith(".cpg"))
            assert archive.read(cpg).decode().strip().upper() == cpg_text
            assert any(n.endswith("字段说明.txt") for n in names)
            archive.extractall(tmp_path / "shp")
        shp = next((tmp_path / "shp").rglob("*.shp"))
        return pyogrio.read_dataframe(shp)
    path = tmp_path / f"download.{fmt}"
    path.write_bytes(data)
    if fmt == "csv":
        return pyogrio.read_dataframe(path, GEOM_POSSIBLE_NAMES="wkt", KEEP_GEOM_COLUMNS="NO")
    return pyogrio.read_dataframe(path)


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp", "csv", "kml"])
@pytest.mark.parametrize("layer_id", LAYERS)
def test_layer_downloads_read_back(client, catalog, tmp_path, layer_id, fmt):
    response = client.get(f"/collections/{layer_id}/download?f={fmt}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    frame = read_back(response.data, fmt, tmp_path)
    layer = catalog.get(layer_id)
    features = layer.features
    if fmt == "kml":  # KML keeps a name and a description, not an attribute table
        assert len(frame) == len(features)
        names = [f["properties"]["name"] for f in features if f["properties"].get("name")]
        assert sorted(frame["Name"].dropna()) == sorted(names)
        return
    assert len(frame) == len(features)
    assert list(frame["id"].astype(str)) == [str(f["id"]) for f in features]
    if "name" in features[0]["properties"]:
        assert list(frame["name"]) == [f["properties"]["name"] for f in features]
    assert list(frame["precision"]) == [f["properties"]["precision"] for f in features]
    for got, expected in zip(frame.geometry, layer.geometries):
        if expected is None:
            assert got is None or got.is_empty
        else:  # a Shapefile cannot tell a one-part MultiPolygon from a Polygon: compare parts
            parts = [shapely.normalize(p) for p in (got, expected)]
            assert shapely.get_num_geometries(parts[0]) == shapely.get_num_geometries(parts[1])
            assert all(
                shapely.equals_exact(a, b, tolerance=1e-6)
                for a, b in zip(*(sorted(shapely.get_parts(p), key=lambda g: g.wkt) for p in parts))
            )


def test_check_downloads_round_trip(tmp_path):
    app = create_app({"TESTING": True, **dbs(tmp_path)})
    client = app.test_client()
    check = post(client, collection(PARCEL_SHAPES, 37), zones=collection(ZONE_SHAPES, 37)).json
    url = f"/api/checks/{check['id']}"
    statuses = {p["parcel_id"]: p["status"] for p in check["parcels"]}
    for fmt in ("shp", "kml", "gpkg"):
        response = client.get(f"{url}?f={fmt}")
        assert response.status_code == 200, fmt
        if fmt == "gpkg":
            path = tmp_path / "check.gpkg"
            path.write_bytes(response.data)
            frame = pyogrio.read_dataframe(path, layer="check_parcels")
        else:
            (tmp_path / fmt).mkdir()
            frame = read_back(response.data, fmt, tmp_path / fmt, cpg_text="936")
        assert len(frame) == 7, fmt
        assert dict(zip(frame["地块编号"], frame["status"])) == statuses, fmt
        assert "园区A" in set(frame["涉及园区"]), fmt

    # 界址点 txt: back through the check's own reader, the same parcels and results
    text = client.get(f"{url}?f=jzd")
    assert '-jzd.txt"; filename*=' in text.headers["Content-Disposition"]
    raw = read_parcel_file(text.data, "export.txt")
    assert raw.format == "jzd" and raw.crs.to_epsg() == 4525  # zone 37 with prefix
    zones = zones_from_file(read_parcel_file(collection(ZONE_SHAPES, 37), "z.geojson"), "x")
    records = parcel_records(check_parcels(prepare_parcels(raw).frame, zones.frame))
    for record in records:
        expected = EXPECTED[record["parcel_id"]]
        assert record["status"] == expected.status
        assert record["area_m2"] == pytest.approx(expected.area, abs=0.01)
        assert record["inside_m2"] == pytest.approx(expected.inside, abs=0.01)
        assert record["warnings"] == []  # the declared 公顷 written matches


def test_unknown_download_format(client):
    assert client.get("/collections/zones/download?f=dwg").status_code == 406
    assert client.get("/collections/nope/download?f=gpkg").status_code == 404


def test_downloads_have_one_content_type_and_a_chinese_file_name(client):
    """One charset, never doubled; an ASCII filename and the Chinese filename* (RFC 6266)."""
    from urllib.parse import unquote

    for f, extension, media in (
        ("csv", "csv", "text/csv; charset=utf-8"),
        ("geojson", "geojson", "application/geo+json"),
        ("gpkg", "gpkg", "application/geopackage+sqlite3"),
    ):
        response = client.get(f"/collections/zones/download?f={f}")
        assert response.headers["Content-Type"] == media
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith(f'attachment; filename="zones.{extension}"; filename*=')
        assert unquote(disposition.split("UTF-8''")[1]) == f"工业集中区与产业园区.{extension}"
