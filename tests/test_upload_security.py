"""Hostile uploads: nothing reaches the server's files or network, caps hold, no 500s.

Payloads are real files (VRT, GeoPackage, Shapefile, KML/KMZ, GeoJSON, CSV, 界址点 txt)
posted to POST /api/checks as ``file`` and as ``zones``. A canary HTTP listener on loopback
must see no request; a marker file's secret must appear in no response.
"""

from __future__ import annotations

import http.server
import io
import json
import secrets
import sqlite3
import threading
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from conftest import dbs

from geo_service import create_app
from geo_service.errors import InputError
from geo_service.land.jzd_writer import write_jzd
from geo_service.land.readers import Limits, guard, read_parcel_file
from geo_service.land.readers.caps import json_depth

TO_LONLAT = pyproj.Transformer.from_crs("EPSG:4545", "EPSG:4490", always_xy=True)


@pytest.fixture(scope="module")
def canary():
    """A loopback HTTP server recording every request path."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        do_HEAD = do_POST = do_GET

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


@pytest.fixture()
def marker(tmp_path):
    """A file on the server holding a secret, as CSV so GDAL's CSV driver would read it."""
    secret = "MARKER" + secrets.token_hex(8)
    path = tmp_path / "secret.csv"
    path.write_text(f"name,WKT\n{secret},POINT (108.9 32.7)\n", encoding="utf-8")
    return path, secret


@pytest.fixture(scope="module")
def checks_app(tmp_path_factory):
    return create_app({"TESTING": True, **dbs(tmp_path_factory.mktemp("security"))})


def post(app, data: bytes, name: str, field: str = "file", **form):
    files = {field: (io.BytesIO(data), name)}
    if field == "zones":
        files["file"] = (io.BytesIO(good_geojson()), "parcels.geojson")
    return app.test_client().post(
        "/api/checks", data={**files, **form}, content_type="multipart/form-data"
    )


def square(x: float = 560100, y: float = 3620100, size: float = 100, points: int = 4):
    """A polygon of ``points`` distinct vertices (plus the closing one) in EPSG:4545."""
    if points == 4:
        return shapely.box(x, y, x + size, y + size)
    angles = np.linspace(0, 2 * np.pi, points, endpoint=False)
    return shapely.Polygon(np.column_stack([x + size * np.cos(angles), y + size * np.sin(angles)]))


def frame(polygons) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"编号": [f"P{i}" for i in range(1, len(polygons) + 1)]}, geometry=polygons, crs=4545
    )


def good_geojson() -> bytes:
    return frame([square()]).to_json().encode()


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def shapefile_parts(tmp_path, polygons, name: str = "parcels") -> dict[str, bytes]:
    folder = tmp_path / f"shp-{name}-{secrets.token_hex(3)}"
    folder.mkdir()
    frame(polygons).to_file(folder / f"{name}.shp", engine="pyogrio", encoding="UTF-8")
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def gpkg_bytes(tmp_path, polygons, layer: str = "parcels") -> bytes:
    path = tmp_path / f"{layer}-{secrets.token_hex(3)}.gpkg"
    frame(polygons).to_file(path, layer=layer, engine="pyogrio")
    return path.read_bytes()


def kml(polygons, extra: str = "") -> str:
    marks = []
    for number, polygon in enumerate(polygons, 1):
        coords = " ".join(
            f"{x:.7f},{y:.7f}" for x, y in zip(*TO_LONLAT.transform(*polygon.exterior.xy))
        )
        marks.append(
            f"<Placemark><name>P{number}</name><Polygon><outerBoundaryIs><LinearRing>"
            f"<coordinates>{coords}</coordinates></LinearRing></outerBoundaryIs></Polygon>"
            "</Placemark>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document>{extra}{''.join(marks)}</Document></kml>"
    )


def vrt(source: str) -> bytes:
    return (
        f'<OGRVRTDataSource><OGRVRTLayer name="upload"><SrcDataSource>{source}</SrcDataSource>'
        "</OGRVRTLayer></OGRVRTDataSource>"
    ).encode()


def sources(canary_url: str, marker_path) -> list[str]:
    """Every way a payload may name the marker file or the canary."""
    return [
        f"CSV:{marker_path}",
        str(marker_path),
        f"file://{marker_path}",
        f"/vsicurl/{canary_url}/vrt",
        f"/vsizip/{marker_path}",
        f"{canary_url}/plain",
    ]


def assert_safe(response, canary, secret, path) -> None:
    body = response.get_data(as_text=True)
    assert 400 <= response.status_code < 500, (response.status_code, body[:300])
    assert secret not in body and str(path) not in body
    assert canary[1] == [], canary[1]


# -- GDAL cannot be pointed anywhere ------------------------------------------------------


@pytest.mark.parametrize("field", ["file", "zones"])
def test_vrt_in_a_shapefile_zip_reaches_nothing(checks_app, canary, marker, tmp_path, field):
    path, secret = marker
    real = shapefile_parts(tmp_path, [square()])
    for source in sources(canary[0], path):
        hostile = {**real, "parcels.shp": vrt(source)}
        response = post(checks_app, zipped(hostile), "parcels.zip", field)
        assert_safe(response, canary, secret, path)
        assert "9994" in response.json["error"]["message"]  # refused by its header
        # a VRT given as .prj, .cpg or .dbf is never opened as anything but what it is
        for part in ("parcels.prj", "parcels.cpg"):
            response = post(checks_app, zipped({**real, part: vrt(source)}), "p.zip", field)
            body = response.get_data(as_text=True)
            assert secret not in body and str(path) not in body and canary[1] == []


@pytest.mark.parametrize("field", ["file", "zones"])
def test_vrt_or_broken_sqlite_as_geopackage_reaches_nothing(checks_app, canary, marker, field):
    path, secret = marker
    for source in sources(canary[0], path):
        for data in (vrt(source), b"SQLite format 3\x00" + vrt(source)):
            assert_safe(post(checks_app, data, "parcels.gpkg", field), canary, secret, path)


def hostile_gpkg(tmp_path, sql: str, name: str) -> bytes:
    """A real GeoPackage with one more layer, ``name``, whose schema is ``sql``."""
    path = tmp_path / f"hostile-{secrets.token_hex(3)}.gpkg"
    path.write_bytes(gpkg_bytes(tmp_path, [square()]))
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA writable_schema = ON")
        db.execute(
            "INSERT INTO sqlite_master (type, name, tbl_name, rootpage, sql) "
            "VALUES ('table', ?, ?, 0, ?)",
            (name, name, sql),
        )
        db.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
            "VALUES (?, 'features', ?, 4545)",
            (name, name),
        )
        db.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', 'POLYGON', 4545, 0, 0)",
            (name,),
        )
    return path.read_bytes()


@pytest.mark.parametrize("field", ["file", "zones"])
def test_geopackage_pointing_at_vsicurl_or_a_file_reaches_nothing(
    checks_app, canary, marker, tmp_path, field
):
    path, secret = marker
    for source in sources(canary[0], path):
        sql = f"CREATE VIRTUAL TABLE evil USING VirtualOGR('{source}')"
        data = hostile_gpkg(tmp_path, sql, "evil")
        for form in ({}, {"layer": "evil"}):
            response = post(checks_app, data, "parcels.gpkg", field, **form)
            assert_safe(response, canary, secret, path)
            assert "虚拟表" in response.json["error"]["message"]


def test_geopackage_view_layer_is_not_read(checks_app, tmp_path):
    source = tmp_path / "view.gpkg"
    source.write_bytes(gpkg_bytes(tmp_path, [square()]))
    with sqlite3.connect(source) as db:
        db.execute("CREATE VIEW v AS SELECT * FROM parcels")
        db.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
            "VALUES ('v', 'features', 'v', 4545)"
        )
        db.execute("INSERT INTO gpkg_geometry_columns VALUES ('v', 'geom', 'POLYGON', 4545, 0, 0)")
    response = post(checks_app, source.read_bytes(), "view.gpkg", layer="v")
    assert response.status_code == 422 and "视图" in response.json["error"]["message"]


def test_gdal_identification_is_a_second_lock(tmp_path):
    """Even a file that passed the magic-byte checks must be what GDAL would open it as."""
    parts = shapefile_parts(tmp_path, [square()])
    for name, content in parts.items():
        (tmp_path / name).write_bytes(content)
    (tmp_path / "fake.shp").write_bytes(vrt("CSV:/etc/passwd"))
    assert guard.identified_driver(tmp_path / "parcels.shp") == "ESRI Shapefile"
    assert guard.identified_driver(tmp_path / "fake.shp") == "OGR_VRT"
    with pytest.raises(InputError, match="OGR_VRT") as caught:
        guard.require_driver(tmp_path / "fake.shp", "ESRI Shapefile", "fake.zip")
    assert "passwd" not in str(caught.value.to_dict())


def test_gdal_never_fetches_vsicurl(canary):
    import pyogrio

    with pytest.raises(pyogrio.errors.DataSourceError):
        pyogrio.read_info(f"/vsicurl/{canary[0]}/direct.geojson")
    assert canary[1] == []


@pytest.mark.parametrize("field", ["file", "zones"])
def test_kml_with_external_entities_or_links_reaches_nothing(checks_app, canary, marker, field):
    path, secret = marker
    for source in sources(canary[0], path):
        dtd = f'<!DOCTYPE kml [<!ENTITY x SYSTEM "{source}">]>'
        hostile = kml([square()]).replace("\n", f"\n{dtd}\n", 1).replace("P1", "&x;")
        for data, name in ((hostile.encode(), "a.kml"), (zipped({"doc.kml": hostile}), "a.kmz")):
            response = post(checks_app, data, name, field)
            assert_safe(response, canary, secret, path)
            assert "DOCTYPE" in response.json["error"]["message"]
    # links in a KML without DTD are never followed: the check runs, nothing is fetched
    link = (
        f"<NetworkLink><Link><href>{canary[0]}/network.kml</href></Link></NetworkLink>"
        f"<Style><IconStyle><Icon><href>{canary[0]}/icon.png</href></Icon></IconStyle></Style>"
    )
    response = post(checks_app, kml([square()], link).encode(), "linked.kml", field)
    assert response.status_code == 201 and canary[1] == []


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_kmz_with_an_entity_is_refused(checks_app, canary, encoding):
    text = kml([square()]).replace('encoding="UTF-8"', f'encoding="{encoding.upper()}"')
    hostile = text.replace("\n", '\n<!DOCTYPE kml [<!ENTITY a "aaaa">]>\n', 1)
    for data in (zipped({"doc.kml": hostile.encode(encoding)}), hostile.encode(encoding)):
        response = post(checks_app, data, "utf16.kmz")
        assert response.status_code == 422, response.get_data(as_text=True)[:200]
        assert "ENTITY" in response.json["error"]["message"] or "DOCTYPE" in str(response.json)
    # the same KMZ without its DTD is read: UTF-16 itself is fine
    response = post(checks_app, zipped({"doc.kml": text.encode(encoding)}), "utf16.kmz")
    assert response.status_code == 201, response.get_data(as_text=True)[:300]


def test_geojson_crs_cannot_name_a_file(checks_app, marker):
    path, secret = marker
    for name in (f"+init={path}:x", str(path), f"file://{path}"):
        document = json.loads(good_geojson())
        document["crs"] = {"type": "name", "properties": {"name": name}}
        response = post(checks_app, json.dumps(document).encode(), "crs.geojson")
        assert response.status_code == 422 and secret not in response.get_data(as_text=True)
        assert str(path) not in response.get_data(as_text=True)


# -- caps ------------------------------------------------------------------------------------

CAPS = {"MAX_PARCELS": 3, "MAX_VERTICES_PER_PARCEL": 10, "MAX_VERTICES": 25}


@pytest.fixture(scope="module")
def capped_app(tmp_path_factory):
    return create_app({"TESTING": True, **dbs(tmp_path_factory.mktemp("caps")), **CAPS})


NO_CRS = {"parcels.geojson", "parcels.csv"}  # these say no CRS: crs= is given


def payloads(tmp_path, polygons) -> dict[str, bytes]:
    """The same parcels in every format the service reads."""
    lonlat = [shapely.transform(p, lambda xy: _lonlat(xy)) for p in polygons]
    rows = "".join(f"P{i};{p.wkt}\n" for i, p in enumerate(polygons, 1))
    return {
        "parcels.geojson": frame(polygons).to_json().encode(),
        "parcels.zip": zipped(shapefile_parts(tmp_path, polygons)),
        "parcels.gpkg": gpkg_bytes(tmp_path, polygons),
        "parcels.kml": kml(polygons).encode(),
        "parcels.kmz": zipped({"doc.kml": kml(polygons)}),
        "parcels.csv": f"编号;WKT\n{rows}".encode(),
        "界址点.txt": write_jzd(
            [f"P{i}" for i in range(1, len(polygons) + 1)], [""] * len(polygons), lonlat
        ),
    }


def _lonlat(xy):
    return np.column_stack(TO_LONLAT.transform(xy[:, 0], xy[:, 1]))


CASES = {
    # cap's config key: parcels that exceed it (the others are within)
    "MAX_PARCELS": [square(560100 + 300 * i, 3620100) for i in range(4)],
    "MAX_VERTICES_PER_PARCEL": [square(points=16)],
    "MAX_VERTICES": [square(560100 + 500 * i, 3620100, points=9) for i in range(3)],
}


@pytest.mark.parametrize("key", list(CASES))
def test_each_cap_is_a_422_in_every_format(capped_app, tmp_path, key):
    for name, data in payloads(tmp_path, CASES[key]).items():
        for field in ("file", "zones"):
            given = {"crs": "EPSG:4545", "zones_crs": "EPSG:4545"} if name in NO_CRS else {}
            response = post(capped_app, data, name, field, **given)
            message = response.get_data(as_text=True)
            assert response.status_code == 422, (name, field, message[:300])
            assert f"{key}={CAPS[key]}" in response.json["error"]["message"], (name, message)


def test_within_the_caps_every_format_is_checked(capped_app, tmp_path):
    within = [square(560100 + 300 * i, 3620100) for i in range(3)]
    for name, data in payloads(tmp_path, within).items():
        response = post(capped_app, data, name, **({"crs": "EPSG:4545"} if name in NO_CRS else {}))
        assert response.status_code == 201, (name, response.get_data(as_text=True)[:300])
        assert response.json["summary"]["parcels"] == 3


def test_deeply_nested_json_is_a_422_not_a_recursion_error(checks_app):
    for data in (
        b"[" * 100_000,
        b'{"type": "FeatureCollection", "features": [' + b"[" * 100_000,
        b'{"type": "FeatureCollection", "features": [{"properties": {"a": '
        + b"{" * 70
        + b"1"
        + b"}" * 70
        + b"}}]}",
    ):
        response = post(checks_app, data, "deep.geojson")
        assert response.status_code == 422, response.get_data(as_text=True)[:200]
        assert "MAX_JSON_DEPTH=64" in response.json["error"]["message"]
    assert json_depth('{"a": "[[[[{{{{", "b": [[1]]}') == 3  # brackets in strings do not count
    with pytest.raises(InputError, match="MAX_JSON_DEPTH=5"):
        read_parcel_file(b"[[[[[[1]]]]]]", "deep.json", limits=Limits(max_json_depth=5))


# -- no geometry, layer names -------------------------------------------------------------


def test_sources_without_geometry_are_422s(checks_app, tmp_path):
    table = tmp_path / "table.gpkg"
    pd.DataFrame({"编号": ["A"], "面积": [1.0]}).pipe(gpd.GeoDataFrame).to_file(
        table, layer="attributes", engine="pyogrio"
    )
    dbf_only = {
        k: v for k, v in shapefile_parts(tmp_path, [square()]).items() if k.endswith(".dbf")
    }
    empty_geometry = json.loads(good_geojson())
    empty_geometry["features"][0]["geometry"] = None
    cases = [
        (table.read_bytes(), "table.gpkg", {}),
        (table.read_bytes(), "table.gpkg", {"layer": "attributes"}),
        (zipped(dbf_only), "dbf.zip", {}),
        (zipped({**dbf_only, "parcels.shp": b"", "parcels.shx": b""}), "empty.zip", {}),
        ("编号,名称\nA,甲\n".encode(), "no-wkt.csv", {}),
        ("编号,WKT\n".encode(), "header-only.csv", {}),
        (json.dumps(empty_geometry).encode(), "null.geojson", {}),
        (b'{"type": "Feature", "geometry": "POLYGON", "properties": {}}', "odd.geojson", {}),
        (kml([]).encode(), "empty.kml", {}),
    ]
    for data, name, form in cases:
        for field in ("file", "zones"):
            response = post(checks_app, data, name, field, crs="EPSG:4545", **form)
            assert response.status_code == 422, (name, field, response.get_data(as_text=True))


def gbk_zip(parts: dict[str, bytes]) -> bytes:
    """A zip as Chinese Windows writes it: GBK names, no UTF-8 flag (0x800)."""
    placeholders = {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number, (name, content) in enumerate(parts.items()):
            stem, ext = name.rsplit(".", 1)
            encoded = stem.encode("gbk")
            placeholder = f"{number:0{len(encoded)}d}"[-len(encoded) :].encode()
            assert len(placeholder) == len(encoded)
            archive.writestr(f"{placeholder.decode()}.{ext}", content)
            placeholders[placeholder + b"." + ext.encode()] = encoded + b"." + ext.encode()
    data = buffer.getvalue()
    for placeholder, encoded in placeholders.items():
        data = data.replace(placeholder, encoded)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert all(not m.flag_bits & 0x800 for m in archive.infolist())
    return data


def test_gbk_member_names_and_unknown_layers(checks_app, tmp_path):
    parts = {}
    for stem, polygons in (("安康地块", [square()]), ("道路红线", [square(561000, 3620100)])):
        for name, content in shapefile_parts(tmp_path, polygons).items():
            parts[stem + "." + name.rsplit(".", 1)[1]] = content
    data = gbk_zip(parts)
    response = post(checks_app, data, "成果.zip", crs="EPSG:4545")
    message = response.json["error"]["message"]
    assert response.status_code == 422 and "安康地块" in message and "道路红线" in message
    response = post(checks_app, data, "成果.zip", layer="不存在")
    message = response.json["error"]["message"]
    assert response.status_code == 422 and "不存在" in message
    assert "安康地块" in message and "道路红线" in message and "可用图层" in message
    response = post(checks_app, data, "成果.zip", layer="道路红线")
    assert response.status_code == 201, response.get_data(as_text=True)[:300]
    # one shapefile, a layer= that is not it: a 422, not a silent check of the first
    single = gbk_zip({k: v for k, v in parts.items() if k.startswith("安康地块")})
    response = post(checks_app, single, "单个.zip", layer="道路红线")
    assert response.status_code == 422 and "安康地块" in response.json["error"]["message"]


def test_unknown_geopackage_layer_lists_the_layers(checks_app, tmp_path):
    path = tmp_path / "two.gpkg"
    frame([square()]).to_file(path, layer="地块", engine="pyogrio")
    frame([square()]).to_file(path, layer="区界", engine="pyogrio")
    response = post(checks_app, path.read_bytes(), "two.gpkg", layer="nothing")
    message = response.json["error"]["message"]
    assert response.status_code == 422 and "地块" in message and "区界" in message


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_xlsx_with_an_entity_declaration_is_refused(tmp_path, encoding):
    from openpyxl import Workbook

    from geo_service.analysis.actuals import rows_of

    book = Workbook()
    book.active.append(["年份", "类型", "编号", "指标", "数值"])
    book.active.append([2020, "zone", "z1", "firms", 3])
    book.save(tmp_path / "figures.xlsx")
    clean = (tmp_path / "figures.xlsx").read_bytes()
    assert len(rows_of(clean, "figures.xlsx")) == 1  # the workbook itself is readable
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(clean)) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = content.decode("utf-8").split("?>", 1)[-1]  # openpyxl may omit it
                text = (
                    f'<?xml version="1.0" encoding="{encoding.upper()}"?>'
                    f'<!DOCTYPE x [<!ENTITY e SYSTEM "/etc/passwd">]>{body}'
                )
                content = text.encode(encoding)
            target.writestr(info, content)
    with pytest.raises(InputError, match="ENTITY|DOCTYPE") as caught:
        rows_of(buffer.getvalue(), "figures.xlsx")
    assert caught.value.status == 422 and "root:" not in str(caught.value.to_dict())
