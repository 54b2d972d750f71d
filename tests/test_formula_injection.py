"""No spreadsheet formula in any CSV or XLSX the service writes (OWASP CSV injection).

Text starting with = + - @ tab or CR gets a leading apostrophe in CSV and is a string cell
in XLSX; numbers stay numbers. Files are read back as a user's spreadsheet would: csv and
openpyxl.
"""

from __future__ import annotations

import csv
import io
import json

import geopandas as gpd
import pytest
import shapely
from conftest import dbs
from land_fixtures import PARCEL_SHAPES, ZONE_SHAPES, shifted
from openpyxl import load_workbook

from geo_service import create_app
from geo_service.analysis.tables import to_csv, to_xlsx
from geo_service.cells import safe_cell
from geo_service.formats import export_frame

HOSTILE = [
    '=HYPERLINK("http://x","y")',
    "=cmd|' /C calc'!A0",
    "+1",
    "-1+2",
    "@SUM(A1)",
    "\t=1+1",
    "\r=2+2",
]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def as_xml(text):
    """A CR in an XLSX cell comes back as a line feed when openpyxl writes with the standard
    library's XML writer, and as a CR when lxml is installed (OWSLib brings it in for the tests):
    both sides are compared with CR as LF."""
    return text.replace("\r", "\n") if isinstance(text, str) else text


def read_csv(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def read_xlsx(data: bytes):
    return load_workbook(io.BytesIO(data))


def no_live_cells(book) -> list:
    """Every cell of every sheet; asserts none is a formula."""
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    return cells


def test_the_rule():
    for text in HOSTILE:
        assert safe_cell(text) == "'" + text
    for kept in ("地块1", "a=b", " =1", "", "'=1", "1-2"):
        assert safe_cell(kept) == kept
    for number in (-1, -1.5, 0, 2.5, None, True):
        assert safe_cell(number) is number


# ---- the check's CSV and XLSX ------------------------------------------------------------


def geojson(names: dict, shapes: dict, key: str) -> bytes:
    features = [
        {
            "type": "Feature",
            "properties": {key: names[k], "id": f"z{i}"},
            "geometry": json.loads(shapely.to_geojson(shifted(shape, 36))),
        }
        for i, (k, shape) in enumerate(shapes.items())
    ]
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4545"}}
    return json.dumps(
        {"type": "FeatureCollection", "crs": crs, "features": features}, ensure_ascii=False
    ).encode("utf-8")


@pytest.fixture(scope="module")
def check(tmp_path_factory):
    app = create_app({"TESTING": True, **dbs(tmp_path_factory.mktemp("formula"))})
    client = app.test_client()
    ids = dict(zip(PARCEL_SHAPES, HOSTILE))
    zone_names = {"A": "=1+1园区", "B": "@园区B"}
    created = client.post(
        "/api/checks",
        data={
            "file": (io.BytesIO(geojson(ids, PARCEL_SHAPES, "parcel_id")), "=地块.geojson"),
            "zones": (io.BytesIO(geojson(zone_names, ZONE_SHAPES, "name")), "区界.geojson"),
        },
        content_type="multipart/form-data",
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    return client, created.json


def test_check_csv_quotes_formulas_and_keeps_numbers(check):
    client, document = check
    response = client.get(f"/api/checks/{document['id']}?f=csv")
    assert response.status_code == 200
    header, *rows = read_csv(response.data)
    stored = [p["parcel_id"] for p in document["parcels"]]
    # the ids as the reader kept them still start with a formula character
    assert sum(s.startswith(TRIGGERS) for s in stored) >= 5
    assert sorted(r[0] for r in rows) == sorted(safe_cell(s) for s in stored)
    for row in rows:
        for cell in row:
            assert not cell.startswith(TRIGGERS), row
        assert float(row[header.index("面积(m²)")]) > 0  # a number, no apostrophe
    zones = [r[header.index("涉及园区")] for r in rows if r[header.index("涉及园区")]]
    assert any(z.startswith("'=1+1园区") for z in zones)


def test_check_xlsx_has_text_cells_and_number_cells(check):
    client, document = check
    response = client.get(f"/api/checks/{document['id']}?f=xlsx")
    assert response.status_code == 200
    book = read_xlsx(response.data)
    no_live_cells(book)
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    ids = [row[0] for row in sheet.iter_rows(min_row=2)]
    stored = sorted(p["parcel_id"] for p in document["parcels"])
    assert sorted(as_xml(c.value) for c in ids) == sorted(map(as_xml, stored))  # no apostrophe
    assert all(c.data_type == "s" for c in ids)
    areas = [row[header.index("面积(m²)")].value for row in sheet.iter_rows(min_row=2)]
    assert all(isinstance(a, int | float) and a > 0 for a in areas)
    overlaps = book["涉及园区"]
    names = {row[2].value for row in overlaps.iter_rows(min_row=2)}
    assert "=1+1园区" in names
    assert all(isinstance(row[3].value, int | float) for row in overlaps.iter_rows(min_row=2))
    about = dict((r[0].value, r[1]) for r in book["说明"].iter_rows())
    assert about["地块文件"].value == "=地块.geojson" and about["地块文件"].data_type == "s"


# ---- layer and GIS downloads -------------------------------------------------------------


def test_export_frame_csv_quotes_text_not_numbers():
    frame = gpd.GeoDataFrame(
        {
            "id": HOSTILE,
            "name": ["普通名称"] * len(HOSTILE),
            "value": [-1.5, -2, 0, 3, 4, 5, 6],
            "notes": [["=a", "b"], None, "x", "-y", "", "@", "z"],
        },
        geometry=[shapely.Point(109.0 + i / 100, 32.7) for i in range(len(HOSTILE))],
        crs="EPSG:4326",
    )
    header, *rows = read_csv(export_frame(frame, "csv", "t", "t").data)
    assert [r[0] for r in rows] == ["'" + h for h in HOSTILE]
    assert [r[1] for r in rows] == ["普通名称"] * len(HOSTILE)
    assert [float(r[2]) for r in rows] == [-1.5, -2, 0, 3, 4, 5, 6]  # numbers stay numbers
    assert rows[0][3] == "'=a；b" and rows[3][3] == "'-y" and rows[5][3] == "'@"
    assert rows[0][header.index("wkt")].startswith("POINT")


def test_layer_download_csv_is_inert(client):
    response = client.get("/collections/zones/download?f=csv")
    assert response.status_code == 200
    header, *rows = read_csv(response.data)
    assert rows and all(not cell.startswith(TRIGGERS) for row in rows for cell in row)
    area = next(h for h in header if "area" in h)
    assert all(float(r[header.index(area)]) > 0 for r in rows if r[header.index(area)])


# ---- analysis tables ---------------------------------------------------------------------


def test_analysis_tables_quote_csv_and_type_xlsx():
    rows = [{"名称": h, "数值": -i - 0.5, "说明": "普通"} for i, h in enumerate(HOSTILE)]
    header, *read = read_csv(to_csv(rows))
    assert header == ["名称", "数值", "说明"]
    assert [r[0] for r in read] == ["'" + h for h in HOSTILE]
    assert [float(r[1]) for r in read] == [-i - 0.5 for i in range(len(HOSTILE))]
    book = read_xlsx(to_xlsx({"表": rows}, note="=note"))
    cells = no_live_cells(book)
    sheet = book["表"]
    assert sheet["A1"].value == "=note" and sheet["A1"].data_type == "s"
    texts = [sheet.cell(row=i + 3, column=1).value for i in range(len(HOSTILE))]
    assert [as_xml(t) for t in texts] == [as_xml(h) for h in HOSTILE]
    numbers = [sheet.cell(row=i + 3, column=2).value for i in range(len(HOSTILE))]
    assert numbers == [-i - 0.5 for i in range(len(HOSTILE))]
    assert any(c.data_type == "n" for c in cells)


@pytest.mark.parametrize("kind", ["coverage", "reach", "enclaves", "targets"])
def test_analysis_downloads_hold_no_formula(client, kind):
    book = read_xlsx(client.get(f"/api/analysis/{kind}?f=xlsx").data)
    cells = no_live_cells(book)
    assert any(isinstance(c.value, int | float) for c in cells) or kind == "enclaves"
    for row in read_csv(client.get(f"/api/analysis/{kind}?f=csv").data):
        assert all(not cell.startswith(TRIGGERS) for cell in row)


def test_control_characters_do_not_break_the_excel_download(tmp_path):
    """openpyxl refuses XML-illegal control characters: they become U+FFFD, never a 500."""
    client = create_app({"TESTING": True, **dbs(tmp_path)}).test_client()
    ring = [[109.0, 32.7], [109.001, 32.7], [109.001, 32.701], [109.0, 32.7]]
    parcels = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": "HY\x01-1",
                "properties": {},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        ],
    }
    data = {"file": (io.BytesIO(json.dumps(parcels).encode()), "p\x02.geojson")}
    check = client.post("/api/checks", data=data).json
    response = client.get(f"/api/checks/{check['id']}?f=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert "HY\ufffd-1" in [c.value for row in sheet.iter_rows() for c in row]
