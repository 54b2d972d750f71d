"""Every download of a check is named in Chinese after the uploaded file (RFC 6266 ``filename*``)
with an ASCII fallback, carries one Content-Type and the right extension, and a hostile file
name (path, quotes, CRLF, 200 characters, emoji, bidi override) cannot shape the header."""

from __future__ import annotations

import email
import email.utils
import io
import unicodedata
import uuid
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import dbs
from land_fixtures import ZONE_SHAPES, collection
from werkzeug.http import parse_options_header

from geo_service import create_app
from geo_service.testing import chromium_available
from geo_service.web.http import STEM_CHARS, safe_stem

JZD = (Path(__file__).parent / "data" / "jzd" / "ankang_gbk.txt").read_bytes()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: f= (or part=zones) -> Content-Type, extension, Chinese part, ASCII part, first bytes
KINDS = {
    "csv": ("text/csv; charset=utf-8", "csv", "", "", b"\xef\xbb\xbf"),
    "xlsx": (XLSX, "xlsx", "", "", b"PK"),
    "geojson": ("application/geo+json", "geojson", "", "", b'{"type"'),
    "zones": ("application/geo+json", "geojson", "_园区边界", "-zones", b'{"type"'),
    "gpkg": ("application/geopackage+sqlite3", "gpkg", "", "", b"SQLite format 3\0"),
    "shp": ("application/zip", "zip", "", "", b"PK"),
    "kml": ("application/vnd.google-earth.kml+xml", "kml", "", "", b"<?xml"),
    "jzd": ("text/plain; charset=gb18030", "txt", "_界址点", "-jzd", b"[\xca\xf4"),  # [属性描述]
    "html": ("text/html; charset=utf-8", "html", "_报告", "-report", b"<!doctype html"),
    "pdf": ("application/pdf", "pdf", "_报告", "-report", b"%PDF-"),
}
HOSTILE = {
    "traversal": ('../../x"; evil.txt', "x_ evil"),
    "crlf": ("地块\r\nContent-Disposition: inline; filename=evil.exe\r\n.txt", None),
    "long": ("界址点" * 70 + ".txt", "界址点" * 13 + "界"),
    "emoji": ("😀恒口地块😀.txt", "恒口地块"),
    "windows": ("C:\\Users\\王\\..\\‮txt.exe", "txt"),
}


def post_named(client, data: bytes, name: str):
    """A multipart upload whose file name arrives as given (RFC 2231 ``filename*``, as a
    hostile client can send it), with the test zones."""
    boundary = uuid.uuid4().hex
    zones = collection(ZONE_SHAPES, 36)
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f"filename*=UTF-8''{quote(name, safe='')}\r\n\r\n"
    ).encode() + data
    body += (
        f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="zones"; '
        f'filename="zones.geojson"\r\n\r\n'
    ).encode() + zones
    body += f"\r\n--{boundary}--\r\n".encode()
    return client.post(
        "/api/checks", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def disposition(value: str) -> tuple[str, str, str]:
    """(type, ASCII filename, decoded filename*) as Python's email parser and Werkzeug read
    them; both parameters must be there, the header on one line."""
    assert "\r" not in value and "\n" not in value
    message = email.message_from_string(f"Content-Disposition: {value}\n\n")
    params = message.get_params(header="content-disposition")
    kind = params[0][0]
    plain = [v for k, v in params if k == "filename" and isinstance(v, str)]
    star = [email.utils.collapse_rfc2231_value(v) for k, v in params if isinstance(v, tuple)]
    assert len(plain) == 1 and len(star) == 1, params
    assert parse_options_header(value) == (kind, {"filename": star[0]})  # filename* wins
    return kind, plain[0], star[0]


def url_of(check_id: str, kind: str) -> str:
    if kind == "zones":
        return f"/api/checks/{check_id}?f=geojson&part=zones"
    return f"/api/checks/{check_id}?f={kind}"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("names")
    return create_app({"TESTING": True, **dbs(folder)}).test_client()


@pytest.mark.parametrize("case", list(HOSTILE))
def test_every_check_download_is_named_after_the_file(client, case):
    name, stem = HOSTILE[case]
    created = post_named(client, JZD, name)
    assert created.status_code == 201, created.get_data(as_text=True)[:300]
    document = created.json
    assert document["input"]["name"] == name  # kept as given in the register
    check_id = document["id"]
    stem = safe_stem(name) if stem is None else stem
    kinds = [k for k in KINDS if k != "pdf" or (case == "traversal" and chromium_available())]
    for kind in kinds:
        media, extension, part, ascii_part, magic = KINDS[kind]
        response = client.get(url_of(check_id, kind))
        assert response.status_code == 200, (kind, response.get_data(as_text=True)[:300])
        assert response.headers.getlist("Content-Type") == [media], kind
        assert response.data[: len(magic)].lower() == magic.lower(), (kind, response.data[:20])
        dtype, plain, chinese = disposition(response.headers["Content-Disposition"])
        assert dtype == ("inline" if kind in ("html", "pdf") else "attachment"), kind
        assert plain == f"check-{check_id}{ascii_part}.{extension}", kind
        assert chinese == f"用地检查_{stem}_{check_id[:8]}{part}.{extension}", kind
        assert chinese.rpartition(".")[2] == extension


def test_the_register_and_analyses_are_named_in_chinese(client):
    for url, media, chinese, plain in (
        ("/api/checks?f=gpkg", KINDS["gpkg"][0], "用地检查登记簿.gpkg", "geo_service-checks.gpkg"),
        (
            "/api/analysis/coverage?f=csv",
            KINDS["csv"][0],
            "规划分析_集群覆盖.csv",
            "analysis-coverage.csv",
        ),
        ("/api/analysis/reach?f=xlsx", XLSX, "规划分析_物流可达.xlsx", "analysis-reach.xlsx"),
        (
            "/api/analysis/targets/template?f=xlsx&year=2022",
            XLSX,
            "实际数据模板_2022.xlsx",
            "actuals-template-2022.xlsx",
        ),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers.getlist("Content-Type") == [media], url
        _, ascii_name, name = disposition(response.headers["Content-Disposition"])
        assert (name, ascii_name) == (chinese, plain), url


def test_a_zip_of_the_check_keeps_ascii_member_names(client):
    document = post_named(client, JZD, "恒口.txt").json
    data = client.get(f"/api/checks/{document['id']}?f=shp").data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        shapefile = [n for n in archive.namelist() if not n.endswith("字段说明.txt")]
    assert shapefile and all(n.isascii() and ".." not in n for n in shapefile)


@pytest.mark.parametrize(
    "name",
    [
        '../../x"; evil.txt',
        "a\r\nb\x00c\x1b[31m.txt",
        "\\\\server\\share\\名单.zip",
        "....",
        "‮gpj.exe",
        "😀" * 50,
        "长" * 300,
        "地块 'quoted' <b>.kml",
        "",
    ],
)
def test_safe_stem_keeps_no_path_quote_or_control_character(name):
    stem = safe_stem(name)
    assert len(stem) <= STEM_CHARS
    assert not set(stem) & set("/\\\"'<>:*?|;\r\n\x00")
    assert all(unicodedata.category(c)[0] != "C" for c in stem)
    assert not stem.startswith(".") and ".." not in stem.strip(".")
