"""Plan analysis: expectations worked out from the plans and the layer data, not the code."""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import subprocess
import sys
import tomllib

import openpyxl
import pyproj
import pytest
from conftest import LAYERS_DIR, SEEDS_DIR, dbs, squash
from i18n_checks import CJK, ENGLISH, assert_english

from geo_service import create_app
from geo_service.config import REPO_ROOT

SAMPLE = LAYERS_DIR / "src" / "samples" / "actuals_sample.csv"


@pytest.fixture()
def fresh(tmp_path):
    return create_app({"TESTING": True, **dbs(tmp_path)}).test_client()


def upload(client, data: bytes, name: str, headers: dict | None = None):
    return client.post(
        "/api/analysis/targets/actuals",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(data), name)},
        headers=headers or {},
    )


# ---- 1. coverage ------------------------------------------------------------------------------


def test_coverage_follows_the_plans(client):
    result = client.get("/api/analysis/coverage").json
    clusters = {c["id"]: c for c in result["clusters"]}
    # 71号 二（二）: 以紫阳、平利、汉滨、岚皋、白河基地县为重点
    assert {c["name"] for c in clusters["tea"]["counties"]} == {
        "紫阳县",
        "平利县",
        "汉滨区",
        "岚皋县",
        "白河县",
    }
    # the seven new-materials bases lie in 汉滨 (高新区 and 五里), 旬阳, 平利, 石泉, 汉阴, 紫阳
    assert {c["name"] for c in clusters["new-materials"]["counties"]} == {
        "汉滨区",
        "旬阳市",
        "平利县",
        "石泉县",
        "汉阴县",
        "紫阳县",
    }
    assert len(clusters["new-materials"]["bases"]) == 7
    # 包装饮用水: "existing water firms", no place named
    assert result["clusters_without_place"] == ["包装饮用水（涉水）产业集群"]
    counts = {c["name"]: c["count"] for c in result["counties"]}
    assert counts["宁陕县"] == 1 and counts["镇坪县"] == 1  # only 生物医药 (72号 中医药)
    assert counts["汉滨区"] == 9 and result["counties_hosting_none"] == []
    assert result["matrix"]["610922"]["equipment"] == ["county"]  # 72号: 石泉 装备制造


# ---- 2. reach ---------------------------------------------------------------------------------


def geodesic_km(a, b) -> float:
    return pyproj.Geod(ellps="GRS80").inv(a[0], a[1], b[0], b[1])[2] / 1000


def test_reach_beyond_60_km_of_the_hub(client, catalog):
    result = client.get("/api/analysis/reach?bands=10,30,60").json
    assert result["bands_km"] == [10, 30, 60]
    hubs = [
        f["geometry"]["coordinates"]
        for f in catalog.get("logistics_nodes").features
        if f["properties"]["role"] == "一心"
    ]
    seats = {
        "zhenping-zone": (109.52, 31.88),
        "baihe-zone": (110.10, 32.82),
        "ningshan-zone": (108.32, 33.32),
        "shiquan-zone": (108.246, 33.039),
    }
    radius_km = math.sqrt(2.0 / math.pi)  # the schematic 2 km² discs
    by_id = {t["id"]: t for t in result["targets"]}
    for zone_id, seat in seats.items():
        by_hand = min(geodesic_km(seat, hub) for hub in hubs) - radius_km
        assert by_id[zone_id]["hub_distance_km"] == pytest.approx(by_hand, rel=0.003), zone_id
    beyond = {name.split("（")[0] for name in result["outside_hub_bands"]}
    assert {"镇坪县县域工业集中区", "白河县县域工业集中区", "宁陕县县域工业集中区"} <= beyond
    assert "石泉县县域工业集中区" not in beyond  # 59.8 km: just inside the 60 km band
    assert by_id["shiquan-zone"]["hub_band"] == "≤60 km"
    # every zone sits by a 多点 node (county zones share their seat with its distribution centre)
    assert result["outside_every_band"] == []
    tight = client.get("/api/analysis/reach?bands=0.5").json
    assert "汉阴县月河工业集中区（3.37 km）" in tight["outside_every_band"]


def test_reach_bands_are_checked(client):
    for bad in ("abc", "0,10", "10,20,30,40,50,60,70", "500"):
        response = client.get(f"/api/analysis/reach?bands={bad}")
        assert response.status_code == 400, bad
    rings = json.loads(client.get("/api/analysis/reach?f=geojson&bands=10,30").data)
    assert [f["properties"]["band"] for f in rings["features"]] == ["≤10 km", "≤30 km"]


# ---- 3. enclaves ------------------------------------------------------------------------------


def test_enclave_links_on_the_committed_layers(client):
    result = client.get("/api/analysis/enclaves").json
    assert {link["origin_name"] for link in result["links"]} == {
        "白河县",
        "紫阳县",
        "宁陕县",
        "镇坪县",
        "岚皋县",
    }
    assert all(link["ok"] for link in result["links"]) and result["problems"] == []
    assert result["model"] == "种养基地在县区、加工生产在飞地、塑造品牌在全域"


@pytest.fixture()
def broken_layers(tmp_path):
    """A copy of the layers whose 白河 link is gone and whose 宁陕 link ends 30 km off."""
    shutil.copytree(LAYERS_DIR, tmp_path / "layers")
    path = tmp_path / "layers" / "enclave_links.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["features"] = [f for f in data["features"] if f["id"] != "enclave-baihe"]
    for feature in data["features"]:
        if feature["id"] == "enclave-ningshan":
            feature["geometry"]["coordinates"][-1] = [108.6, 32.9]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return tmp_path / "layers"


def test_enclave_problems_are_found(broken_layers, tmp_path):
    app = create_app({"TESTING": True, "LAYERS_DIR": str(broken_layers), **dbs(tmp_path)})
    result = app.test_client().get("/api/analysis/enclaves").json
    found = {(p["link"], p["check"]) for p in result["problems"]}
    assert found == {("enclave-ningshan", "ends_in_park"), (None, "county_has_link")}
    messages = " ".join(p["message"] for p in result["problems"])
    assert "白河县" in messages and "宁陕县飞地经济产业园" in messages
    assert "联系线的终点不在园区范围内" in messages
    english = app.test_client().get("/api/analysis/enclaves", headers=ENGLISH).json
    assert {(p["link"], p["check"]) for p in english["problems"]} == found
    for problem in english["problems"]:
        assert_english(problem["message"], "白河县", "宁陕县飞地经济产业园", "宁陕县")
    assert any("does not end inside the park" in p["message"] for p in english["problems"])


@pytest.mark.parametrize("kind", ["coverage", "reach", "enclaves", "targets"])
def test_notes_follow_the_language(client, kind):
    """Every note an analysis gives is Chinese by default and English for an English client;
    the figures and names are the same in both."""
    chinese = client.get(f"/api/analysis/{kind}").json
    english = client.get(f"/api/analysis/{kind}", headers=ENGLISH).json
    fields = sorted(chinese["i18n"])
    assert "note" in fields and sorted(english["i18n"]) == fields
    for field in fields:
        assert CJK.search(chinese[field]), f"{kind}.{field} is not Chinese: {chinese[field]!r}"
        assert english[field] and english[field] != chinese[field]
        assert_english(english[field], "一心", "多点", "71号", "72号", "三（一）")
    assert without_texts(chinese) == without_texts(english)


def without_texts(value):
    """A JSON value without its message records' texts: what must not change with language."""
    if isinstance(value, list):
        return [without_texts(v) for v in value]
    if not isinstance(value, dict):
        return value
    texts = set(value.get("i18n") or ()) | {"i18n"}
    return {k: without_texts(v) for k, v in value.items() if k not in texts}


# ---- 4. targets -------------------------------------------------------------------------------


def test_target_wordings_stand_in_the_plans():
    targets = tomllib.loads((LAYERS_DIR / "src" / "targets.toml").read_text(encoding="utf-8"))
    texts = {
        "71": squash((SEEDS_DIR / "71hao_chanye_jiqun.txt").read_text(encoding="utf-8")),
        "72": squash((SEEDS_DIR / "72hao_gongye_jizhongqu.txt").read_text(encoding="utf-8")),
    }
    for target in targets["targets"]:
        assert target["wording"] in texts[target["document"]], target["id"]
    assert targets["assessment"]["wording"] in texts["72"]


def test_sample_figures_are_labelled_and_progress_is_right(fresh):
    assert fresh.get("/api/analysis/targets").json["years"] == []
    response = upload(fresh, SAMPLE.read_bytes(), "sample.csv")
    assert response.status_code == 201
    assert response.json["imported"] == 137 and response.json["sample_rows"] == 137
    result = fresh.get("/api/analysis/targets").json
    assert result["sample"] and "样例数据" in result["sample_label"]
    targets = {t["id"]: t for t in result["targets"]}
    # by hand from the sample file: 2021 revenue = 1.12 × (420+260+180+150+120+110+90+60)
    assert targets["zones-revenue"]["actual"] == pytest.approx(1.12 * 1390, abs=0.05)
    assert targets["zones-revenue"]["progress"] == pytest.approx(1556.8 / 2000, abs=1e-4)
    assert targets["zones-revenue"]["met"] is False
    # 2020 cluster outputs: 560+610+150+60+120+80+35+42+18 = 1675 against "过2700亿元"
    assert (
        targets["clusters-output"]["actual"] == 1675
        and targets["clusters-output"]["figures_year"] == 2020
    )
    assert targets["leading-firms"]["actual"] == 5  # 9,7,6,5,5 reach 5; 4,4,3 do not
    # output = revenue × 1.05: 高新区 493.9 and 旬阳 305.8 are over 300, 恒口 211.7 over 200
    assert targets["tier-300"]["zones"] == [
        "安康高新技术产业开发区（安康高新区）",
        "旬阳高新技术产业开发区（旬阳高新区）",
    ]
    assert targets["tier-200"]["zones"] == ["安康恒口示范区（试验区）"]
    ranking = result["ranking"]
    assert [r["id"] for r in ranking if r["top"]] == [
        "ankang-hitech",
        "xunyang-hitech",
        "hengkou-demo",
        "hanbin-wuli",
        "hanyin-yuehe",
    ]
    csv_text = fresh.get("/api/analysis/targets?f=csv").data.decode("utf-8")
    assert "样例数据" in csv_text and "安政办发〔2018〕72号" in csv_text


def test_import_with_bad_rows_reports_lines_and_keeps_nothing(fresh):
    text = (
        "年份,类型,编号,指标,数值,来源\n"
        "2021,zone,ankang-hitech,revenue_yi,400,统计局\n"
        "2021,zone,no-such-zone,revenue_yi,10,统计局\n"
        "20x1,cluster,tea,output_yi,5,统计局\n"
        "2021,zone,pingli-ez,营业收入（亿元）,-3,统计局\n"
        "2021,zone,ankang-hitech,revenue_yi,401,统计局\n"
        "2021,zone,pingli-ez,revenue_yi,,\n"
    )
    response = upload(fresh, text.encode("gbk"), "figures.csv")
    assert response.status_code == 422
    problems = response.json["error"]["details"]["problems"]
    assert [p["where"] for p in problems] == ["第 3 行", "第 4 行", "第 5 行", "第 6 行"]
    assert [p["line"] for p in problems] == [3, 4, 5, 6]
    assert [p["code"] for p in problems] == [
        "actuals.unknown_id",
        "actuals.not_a_year",
        "actuals.negative",
        "actuals.repeated",
    ]
    assert "地图上没有编号为“no-such-zone”的集中区" in problems[0]["message"]
    assert "与第 2 行重复" in problems[3]["message"]
    assert response.json["error"]["message"].startswith("figures.csv：共 4 处问题，未导入任何数据")
    english = upload(fresh, text.encode("gbk"), "figures.csv", headers=ENGLISH).json["error"]
    assert english["code"] == "invalid_input"
    assert english["message"].startswith("figures.csv: 4 problem(s), nothing was imported")
    problems = english["details"]["problems"]
    assert [p["where"] for p in problems] == ["line 3", "line 4", "line 5", "line 6"]
    assert problems[0]["message"] == "no zone with the id 'no-such-zone' on the map"
    assert problems[3]["message"] == "repeats line 2 (same year, subject, id and indicator)"
    for problem in problems:
        assert_english(problem["message"], "营业收入（亿元）", "年份")
    assert fresh.get("/api/analysis/targets").json["years"] == []  # nothing imported
    good = "\n".join(text.splitlines()[:2]) + "\n"
    assert upload(fresh, good.encode("utf-8"), "figures.csv").status_code == 201
    result = fresh.get("/api/analysis/targets").json
    assert result["years"] == [2021] and not result["sample"]


def test_template_round_trips_as_xlsx(fresh):
    response = fresh.get("/api/analysis/targets/template?f=xlsx&year=2022")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book["实际数据"]
    assert [c.value for c in sheet[1]] == [
        "年份",
        "类型",
        "编号",
        "名称",
        "指标",
        "数值",
        "来源",
        "样例",
    ]
    sheet.cell(2, 6, 123.4)  # fill one value in, leave the rest empty
    buffer = io.BytesIO()
    book.save(buffer)
    response = upload(fresh, buffer.getvalue(), "template.xlsx")
    assert response.status_code == 201 and response.json["imported"] == 1
    assert fresh.get("/api/analysis/targets").json["years"] == [2022]


# ---- 5. the same results everywhere -----------------------------------------------------------


@pytest.mark.parametrize("kind", ["coverage", "reach", "enclaves", "targets"])
def test_cli_gives_what_the_api_gives(client, kind, tmp_path):
    env = {
        **os.environ,
        "GEO_SERVICE_CHECKS_DB": str(tmp_path / "c.sqlite"),
        "GEO_SERVICE_ACTUALS_DB": str(tmp_path / "a.sqlite"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "geo_service", "analyse", kind],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    expected = client.get(f"/api/analysis/{kind}").json
    if kind == "targets":  # the test app's figures may differ: compare the targets themselves
        assert [t["citation"] for t in json.loads(done.stdout)["targets"]] == [
            t["citation"] for t in expected["targets"]
        ]
    else:
        assert json.loads(done.stdout) == expected
    xlsx = tmp_path / f"{kind}.xlsx"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "geo_service",
            "analyse",
            kind,
            "--format",
            "xlsx",
            "--out",
            str(xlsx),
        ],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    assert openpyxl.load_workbook(xlsx).sheetnames


def test_unknown_analysis_and_format(client):
    assert client.get("/api/analysis/nothing").status_code == 404
    assert client.get("/api/analysis/coverage?f=pdf").status_code == 406
    assert client.get("/api/analysis/targets?year=abc").status_code == 400
    assert client.get("/api/analysis/targets?year=99999999999999999999").status_code == 400
    assert client.get("/api/analysis/reach?bands=nan").status_code == 400
    assert client.get("/api/analysis/targets/template?year=abc").status_code == 400
    assert client.get("/api/analysis/targets/template?f=pdf").status_code == 406


def test_hostile_figure_files(fresh):
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<" * (300 * 1024 * 1024))
    assert upload(fresh, buffer.getvalue(), "bomb.xlsx").status_code == 413
    assert upload(fresh, b"\x00\x01binary", "x.bin").status_code == 415
    assert upload(fresh, b"PK\x03\x04broken", "broken.xlsx").status_code == 422
    response = upload(fresh, "名称,数值\n甲,1\n".encode(), "wrong.csv")
    assert response.status_code == 422
    assert "第 1 行缺少列 年份、类型、编号、指标" in response.json["error"]["message"]
    assert response.json["error"]["details"]["problems"][0]["hint"].startswith("请使用模板的表头")
    english = upload(fresh, "名称,数值\n甲,1\n".encode(), "wrong.csv", headers=ENGLISH).json
    assert english["error"]["message"].startswith("wrong.csv: line 1 lacks the column(s)")
    assert english["error"]["details"]["problems"][0]["where"] == "line 1"
