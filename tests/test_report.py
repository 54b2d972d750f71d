"""The check report a bureau files (issue 11): the real PDF Chromium prints, read back with
pdfplumber (pages, page numbers, no blank page, no heading ending a page, names, Beijing time,
signature block), the report's SVG maps read as XML (zone labels, scale, GK ticks at the known
coordinates of tests/land_fixtures.py), hostile names as text, and the check's snapshot."""

from __future__ import annotations

import html as html_lib
import io
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import geopandas as gpd
import openpyxl
import pdfplumber
import pytest
import shapely
from conftest import dbs, squash
from land_fixtures import PARCEL_SHAPES, ZONE_SHAPES, named_crs_collection, shifted
from shapely.geometry import box
from test_checks_api import post

from geo_service import create_app
from geo_service.errors import ConfigError
from geo_service.render.report_map import ReportMaps
from geo_service.testing import chromium_available

needs_chromium = pytest.mark.skipif(not chromium_available(), reason="Chromium not installed")
SVG = "{http://www.w3.org/2000/svg}"
#: The layout's parcels and a 2 m × 2 m speck inside zone A.
SHAPES = {**PARCEL_SHAPES, "speck": box(700, 300, 702, 302)}
NAMES = {
    "in": "<img src=x onerror=alert(1)>一号地块",
    "edge": '"><svg onload=alert(2)>二号地块',
    "two": "</script><script>alert(3)</script>三号地块",
    **{key: f"{key}号测试地块" for key in ("out", "hole", "hole-part", "ring", "speck")},
}
ZONE_NAMES = {"A": "<img src=x onerror=alert(10)>园区甲", "B": "园区乙\"'&amp;"}
ORG = "安康市<script>alert(9)</script>自然资源局"
ROLES = ["检查人", "审核人", "批准人"]


def parcels_file(shapes=SHAPES, names=NAMES) -> bytes:
    features = [
        {
            "type": "Feature",
            "properties": {
                "地块编号": key,
                "地块名称": names[key],
                "用途": "工业用地",
                "地类编码": "0601",
                "备注": "<b>粗体</b>&amp;" if key == "in" else f"第{i}块",
            },
            "geometry": shapely.geometry.mapping(shifted(shape, 36)),
        }
        for i, (key, shape) in enumerate(shapes.items(), start=1)
    ]
    return named_crs_collection(features)


def zones_file() -> bytes:
    features = [
        {
            "type": "Feature",
            "properties": {"zone_id": key, "name": ZONE_NAMES[key]},
            "geometry": shapely.geometry.mapping(shifted(shape, 36)),
        }
        for key, shape in ZONE_SHAPES.items()
    ]
    return named_crs_collection(features)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    config = {"TESTING": True, **dbs(folder), "REPORT_ORG": ORG, "REPORT_SIGNATURES": ROLES}
    client = create_app(config).test_client()
    created = post(client, parcels_file(), zones=zones_file())
    assert created.status_code == 201, created.get_data(as_text=True)
    check = created.json
    page = client.get(f"/api/checks/{check['id']}?f=html")
    assert page.status_code == 200
    return {"client": client, "check": check, "html": page.get_data(as_text=True)}


@pytest.fixture(scope="module")
def pdf(made):
    if not chromium_available():
        pytest.skip("Chromium not installed")
    response = made["client"].get(f"/api/checks/{made['check']['id']}?f=pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    with pdfplumber.open(io.BytesIO(response.data)) as document:
        yield document


def body(page) -> tuple[float, float]:
    """(top, bottom) in pt of what a page shows between its header and its footer lines."""
    objects = [
        o
        for kind in ("chars", "rects", "curves", "lines")
        for o in getattr(page, kind)
        if o["top"] > 40 and o["bottom"] < page.height - 40
    ]
    return min(o["top"] for o in objects), max(o["bottom"] for o in objects)


@needs_chromium
@pytest.mark.browser
def test_pdf_is_a4_numbered_and_has_no_blank_page(pdf):
    pages = pdf.pages
    assert 3 <= len(pages) <= 8
    for number, page in enumerate(pages, start=1):
        assert abs(page.width - 595.3) < 2 and abs(page.height - 841.9) < 2  # A4 portrait
        text = page.extract_text()
        assert f"第 {number} 页 / 共 {len(pages)} 页" in text
        top, bottom = body(page)
        assert top < 80  # content starts at the top of every page
        if number < len(pages):  # every page but the last is at least half full
            assert bottom > page.height * 0.5, f"page {number} ends at {bottom:.0f} pt"
        else:
            assert len(squash(text)) > 150


def headings(report: str) -> list[str]:
    found = re.findall(r"<h[123][^>]*>(.*?)</h[123]>", report, re.S)
    return [squash(html_lib.unescape(re.sub(r"<[^>]+>", "", h))) for h in found]


@needs_chromium
@pytest.mark.browser
def test_no_heading_ends_a_page(pdf, made):
    titles = headings(made["html"])
    assert "附件：逐块位置图与属性（8块）" in titles and len(titles) >= 6 + len(SHAPES)
    for number, page in enumerate(pdf.pages, start=1):
        lines = [
            squash(line["text"])
            for line in page.extract_text_lines()
            if line["top"] > 40 and line["bottom"] < page.height - 40
        ]
        last = lines[-1]
        assert not any(last.startswith(t[:10]) for t in titles), f"page {number} ends: {last}"
    first = pdf.pages[0].extract_text()
    assert "建设用地检查报告" in first and "二、位置总览图" in first  # the overview on page 1


@needs_chromium
@pytest.mark.browser
def test_pdf_says_everything_as_text(pdf, made):
    check = made["check"]
    text = squash("".join(page.extract_text() for page in pdf.pages))
    for key in SHAPES:
        assert squash(NAMES[key]) in text and f"地块{key}" in text
    for name in ZONE_NAMES.values():
        assert squash(name)[:20] in text
    assert squash(ORG) in text and check["input"]["sha256"] in text
    beijing = datetime.fromisoformat(check["created_at"]).astimezone(ZoneInfo("Asia/Shanghai"))
    assert f"{beijing:%Y-%m-%d%H:%M:%S}（北京时间UTC+8）" in text
    title_block = squash(pdf.pages[0].extract_text())
    assert f"检查时间{beijing:%Y-%m-%d%H:%M:%S}（北京时间UTC+8）" in title_block
    assert check["created_at"][:16] not in title_block  # the stored UTC only in 方法与数据
    for label in ["单位（盖章）", *ROLES, "签字", "日期", "检查人local"]:
        assert squash(label) in text
    assert f"上传的区界文件 {check['zones']['source']}" in made["html"]
    assert "layer:zones" not in made["html"]
    assert "36560150" in text  # a GK tick label of parcel "in" (X labels run upwards)
    assert "<b>粗体</b>&amp;" in text  # an attribute, as written in the file


def svgs(report: str) -> list[ET.Element]:
    return [ET.fromstring(s) for s in re.findall(r"<svg\b.*?</svg>", report, re.S)]


def texts(svg: ET.Element, css_class: str) -> list[ET.Element]:
    return [t for t in svg.iter(f"{SVG}text") if css_class in (t.get("class") or "").split()]


def path_bounds(d: str) -> tuple[float, float, float, float]:
    numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", d)]
    xs, ys = numbers[0::2], numbers[1::2]
    return min(xs), min(ys), max(xs), max(ys)


def test_report_maps_know_where_the_parcels_are(made):
    maps = svgs(made["html"])
    overview, details = maps[0], maps[1:]
    assert "gs-overview-map" in overview.get("class") and len(details) == len(SHAPES)
    assert len([p for p in overview.iter(f"{SVG}path") if p.get("class") == "parcel"]) == 8
    labels = {t.find(f"{SVG}title").text for t in texts(overview, "zone-label")}
    assert labels == set(ZONE_NAMES.values())  # full names, as text
    # parcel "in": easting 560 100-560 200, northing 3 620 100-3 620 200 (zone 36, CM 108°E).
    # 1:2 000 on a 94 × 64 mm frame at x 8, y 1 mm: 188 × 128 m around its centre, ticks
    # every 50 m, so 560 150 / 3 620 150 fall on the frame's centre lines.
    parcel_in = details[0]
    assert parcel_in.get("aria-label") == "地块 in 位置图"
    ticks = {(t.get("data-axis"), t.text): t for t in texts(parcel_in, "gk-tick")}
    assert sorted(ticks) == [
        ("X", "3 620 100"),
        ("X", "3 620 150"),
        ("X", "3 620 200"),
        ("Y", "36 560 100"),
        ("Y", "36 560 150"),
        ("Y", "36 560 200"),
    ]
    assert float(ticks[("Y", "36 560 150")].get("x")) == pytest.approx(8 + 94 / 2, abs=0.01)
    assert float(ticks[("Y", "36 560 200")].get("x")) == pytest.approx(55 + 25, abs=0.01)
    translate = re.search(
        r"translate\(([\d.]+),([\d.]+)\)", ticks[("X", "3 620 150")].get("transform")
    )
    assert float(translate.group(2)) == pytest.approx(1 + 64 / 2, abs=0.01)
    (target,) = [p for p in parcel_in.iter(f"{SVG}path") if p.get("class") == "parcel target"]
    assert path_bounds(target.get("d")) == pytest.approx((30, 8, 80, 58), abs=0.01)
    assert float(target.get("stroke-width")) >= 0.5  # a thick outline
    (ratio,) = texts(parcel_in, "scale-ratio")
    assert ratio.text == "比例尺 1:2 000"
    bar = next(g for g in parcel_in.iter(f"{SVG}g") if g.get("class") == "scale-bar")
    assert bar.get("data-metres") == "50" and float(bar.get("data-mm")) == pytest.approx(25)
    assert any(t.text == "北" for t in parcel_in.iter(f"{SVG}text"))  # the north arrow
    # parcel "two" touches both zones: both labelled, in bold
    touched = {t.find(f"{SVG}title").text for t in texts(details[2], "touched")}
    assert touched == set(ZONE_NAMES.values())
    # the speck gets a ring marker; on its own map too
    speck = details[list(SHAPES).index("speck")]
    assert [c for c in speck.iter(f"{SVG}circle") if c.get("class") == "speck"]
    assert [c for c in overview.iter(f"{SVG}circle") if c.get("class") == "speck"]


def test_a_zone_37_parcel_is_mapped_on_its_own_zone():
    """A parcel east of 109.5°E is drawn on zone 37 (CM 111°E), its eastings prefixed 37."""
    plane = gpd.GeoSeries([shifted(PARCEL_SHAPES["in"], 37)], crs="EPSG:4546")
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["E-1"], "status": ["outside"]}, geometry=plane.to_crs("EPSG:4490")
    )
    zones = gpd.GeoDataFrame({"zone_id": [], "name": []}, geometry=[], crs="EPSG:4490")
    svg, sheet = ReportMaps(parcels, zones, False, ["EPSG:4546"]).parcel(0, set())
    assert sheet.zone == 37 and sheet.denominator == 2000
    labels = {t.text for t in texts(ET.fromstring(str(svg)), "gk-tick")}
    assert {"37 410 100", "37 410 150", "37 410 200", "3 620 150"} <= labels


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.handlers, self.scripts = set(), [], []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        if tag == "script":
            self.scripts.append(dict(attrs).get("src"))


def test_hostile_names_and_config_are_text_in_the_report(made):
    report = made["html"]
    tags = Tags()
    tags.feed(report)
    assert tags.handlers == [] and tags.scripts == ["/static/report.js"]
    assert not tags.tags & {"img", "iframe", "b", "object", "embed"}
    page_text = html_lib.unescape(re.sub(r"<[^>]+>", "", report))
    for text in [*NAMES.values(), *ZONE_NAMES.values(), ORG, "<b>粗体</b>&amp;"]:
        assert text in page_text
    for svg in svgs(report):  # only the elements the maps are drawn with
        names = {e.tag.removeprefix(SVG) for e in svg.iter()}
        assert names <= {
            "svg",
            "style",
            "defs",
            "clipPath",
            "rect",
            "g",
            "path",
            "text",
            "title",
            "circle",
            "tspan",
        }


def test_a_big_check_says_what_the_report_leaves_out(tmp_path):
    client = create_app({"TESTING": True, **dbs(tmp_path)}).test_client()
    shapes = {
        f"G{i:02d}": box(
            20 + 40 * (i % 5), 20 + 40 * (i // 5), 50 + 40 * (i % 5), 50 + 40 * (i // 5)
        )
        for i in range(25)
    }
    names = {key: f"{key}地块" for key in shapes}
    check = post(client, parcels_file(shapes, names), zones=zones_file()).json
    report = client.get(f"/api/checks/{check['id']}?f=html").get_data(as_text=True)
    assert report.count('<section class="gs-parcel gs-keep">') == 20
    assert report.count('<tr class="gs-status-') == 25  # the list has them all
    assert "本次检查共 25 块地块：本报告为前 20 块各附位置图和属性表" in report
    assert "其余 5 块的结果见“逐块结果一览”" in report
    overview = svgs(report)[0]
    assert len([p for p in overview.iter(f"{SVG}path") if p.get("class") == "parcel"]) == 25


def test_time_zone_and_signature_settings(tmp_path):
    with pytest.raises(ConfigError, match="不是已知的时区"):
        create_app({"TESTING": True, **dbs(tmp_path), "TIME_ZONE": "Mars/Olympus"})
    for bad in ([1, 2], ["角色"] * 9, ["很" * 41]):
        with pytest.raises(ConfigError, match="REPORT_SIGNATURES"):
            create_app({"TESTING": True, **dbs(tmp_path), "REPORT_SIGNATURES": bad})
    with pytest.raises(ConfigError, match="REPORT_ORG"):
        create_app({"TESTING": True, **dbs(tmp_path), "REPORT_ORG": "局" * 101})
    app = create_app(
        {
            "TESTING": True,
            **dbs(tmp_path),
            "TIME_ZONE": "UTC",
            "REPORT_SIGNATURES": "经办人，复核人",
        }
    )
    assert app.config["REPORT_SIGNATURES"] == ["经办人", "复核人"]
    client = app.test_client()
    check = post(client, parcels_file()).json
    stored = datetime.fromisoformat(check["created_at"])
    report = client.get(f"/api/checks/{check['id']}?f=html").get_data(as_text=True)
    assert f"{stored:%Y-%m-%d %H:%M:%S}（协调世界时 UTC）" in report
    assert "经办人" in report and "复核人" in report and "审核人" not in report
    # the XLSX 说明 in the configured zone, beside the stored UTC value
    default = create_app({"TESTING": True, **dbs(tmp_path)}).test_client()
    book = openpyxl.load_workbook(io.BytesIO(default.get(f"/api/checks/{check['id']}?f=xlsx").data))
    about = dict(book["说明"].iter_rows(values_only=True))
    beijing = stored.astimezone(ZoneInfo("Asia/Shanghai"))
    assert about["检查时间"] == f"{beijing:%Y-%m-%d %H:%M:%S}（北京时间 UTC+8）"
    assert about["检查时间（UTC，登记簿存储值）"] == check["created_at"]


def test_check_snapshot_draws_parcels_clearly(made):
    client, check = made["client"], made["check"]
    svg = ET.fromstring(client.get(f"/api/snapshot?check={check['id']}&format=svg").data)
    groups = {g.get("data-overlay"): g for g in svg.iter(f"{SVG}g") if g.get("data-overlay")}
    parcels = groups["地块检查结果"]
    outlines = [p for p in parcels.iter(f"{SVG}path")]
    assert len(outlines) == len(SHAPES) and all(float(p.get("stroke-width")) >= 2 for p in outlines)
    assert len([c for c in parcels.iter(f"{SVG}circle") if c.get("class") == "speck"]) == 1
    labels = {t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "overlay-label"}
    assert {"in", "out", "ring", "two", "speck"} <= labels
    assert any(name in labels for name in ZONE_NAMES.values())
    # fitted: the parcels span more than half of the map frame's width
    frame = next(r for r in svg.iter(f"{SVG}rect") if r.get("fill") == "#eef3f7")
    minx, _, maxx, _ = path_bounds(" ".join(p.get("d") for p in outlines))
    assert (maxx - minx) > 0.5 * float(frame.get("width"))
    subtitle = "".join(svg.itertext())
    assert "北京时间 UTC+8" in subtitle


def test_reading_notes_are_given_once(made):
    """A GBK 界址点 file's encoding note: in the 方法与数据 table, not again below it."""
    from conftest import REPO_ROOT

    data = (REPO_ROOT / "tests/data/jzd/ankang_desk_gbk.txt").read_bytes()
    check = post(made["client"], data, name="desk.txt").json
    report = made["client"].get(f"/api/checks/{check['id']}?f=html").get_data(as_text=True)
    assert check["input"]["notes"], "the fixture has a reading note"
    assert report.count("读取说明") == 1 and report.count("GB18030") == 1
