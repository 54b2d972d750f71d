"""Both languages for the web side's errors: Chinese by default, English with
``Accept-Language: en``, the same status and ``code``; the error page in the answer's language."""

from __future__ import annotations

import html
import io
import re
import subprocess
import sys

import pytest
from conftest import dbs
from i18n_checks import CJK, ENGLISH, assert_english
from test_auth import PARCEL

from geo_service import create_app
from geo_service.config import REPO_ROOT

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """A local-accounts app with a viewer and an admin token."""
    app = create_app({"TESTING": True, **dbs(tmp_path_factory.mktemp("local")), "AUTH": "local"})
    accounts = app.extensions["geo_service.auth"]
    accounts.add_user("viewer1", "viewer", PASSWORD)
    accounts.add_user("admin1", "admin", PASSWORD)
    app.viewer, _ = accounts.create_token("viewer1", "test")
    app.admin, _ = accounts.create_token("admin1", "test")
    return app


def both(client, method: str, url: str, **kwargs) -> tuple[dict, dict, int]:
    """The error a request gets in Chinese (no Accept-Language) and in English."""
    headers = kwargs.pop("headers", {})
    answers = []
    data = kwargs.get("data")
    for extra in ({}, ENGLISH):
        if isinstance(data, dict):  # files as (bytes, name): a fresh stream for each request
            kwargs["data"] = {
                k: (io.BytesIO(v[0]), v[1]) if isinstance(v, tuple) else v for k, v in data.items()
            }
        answers.append(client.open(url, method=method, headers={**headers, **extra}, **kwargs))
    chinese, english = answers
    assert chinese.status_code == english.status_code >= 400
    assert "Accept-Language" in chinese.headers.get("Vary", "")
    zh, en = chinese.get_json()["error"], english.get_json()["error"]
    assert zh["code"] == en["code"], "the code is the same in every language"
    return zh, en, chinese.status_code


PUBLIC_ERRORS = [
    # (method, url, keyword arguments, status, code, Chinese fragment, English fragment)
    ("GET", "/collections/nope", {}, 404, "not_found", "没有图层“nope”", "No collection 'nope'"),
    (
        "GET",
        "/collections/zones/items/nope",
        {},
        404,
        "not_found",
        "图层“zones”中没有要素“nope”",
        "Collection 'zones' has no feature 'nope'",
    ),
    ("GET", "/collections/zones/items?limit=abc", {}, 400, "bad_request", "不是整数", "integer"),
    (
        "GET",
        "/collections/zones/items?limit=0",
        {},
        400,
        "bad_request",
        "limit=0 超出范围",
        "limit=0 is out of range",
    ),
    ("GET", "/collections/zones/items?bbox=1,2", {}, 400, "bad_request", "四个数", "four numbers"),
    ("GET", "/collections/zones/items?bbox=1,5,2,4", {}, 400, "bad_request", "最小纬度", "miny"),
    (
        "GET",
        "/collections/zones/items?bbox-crs=x",
        {},
        400,
        "bad_request",
        "bbox-crs=x 不是本服务提供的坐标参考系",
        "bbox-crs=x is not a coordinate reference system offered",
    ),
    ("GET", "/collections?f=xml", {}, 406, "not_acceptable", "此处不提供 f=xml", "f=xml is not"),
    ("GET", "/static/nothing.js", {}, 404, "not_found", "没有静态文件", "No static file"),
    ("DELETE", "/collections", {}, 405, "method_not_allowed", "不支持 DELETE", "DELETE is not"),
    (
        "GET",
        "/api/analysis/nothing",
        {},
        404,
        "not_found",
        "没有名为“nothing”的分析",
        "No analysis",
    ),
    ("GET", "/api/analysis/coverage?f=pdf", {}, 406, "not_acceptable", "f=pdf", "f=pdf is not"),
    ("GET", "/api/analysis/targets?year=abc", {}, 400, "bad_request", "2000–2100", "2000 and 2100"),
    ("GET", "/api/analysis/reach?bands=400", {}, 400, "bad_request", "1 至 6 个", "1 to 6"),
    ("GET", "/api/analysis/reach?bands=a,b", {}, 400, "bad_request", "请写公里数", "kilometres"),
    ("POST", "/api/analysis/targets/actuals", {}, 400, "bad_request", "请上传 CSV", "Upload a CSV"),
    ("POST", "/api/checks", {}, 400, "bad_request", "请上传地块文件", "Upload the parcel file"),
    (
        "POST",
        "/api/checks",
        {"data": {"file": (b"", "空.geojson")}},
        400,
        "bad_request",
        "上传的文件“空.geojson”是空的",
        "The uploaded file '空.geojson' is empty",
    ),
    ("GET", "/api/snapshot?format=gif", {}, 400, "bad_request", "png、pdf 或 svg", "png, pdf or"),
    ("POST", "/api/users", {"data": "{"}, 400, "bad_request", "不是有效的 JSON", "not valid JSON"),
    ("POST", "/api/users", {"data": "[1]"}, 400, "bad_request", "须为 JSON 对象", "JSON object"),
    ("POST", "/api/users", {"data": "{}"}, 400, "bad_request", "字段 name 须为字符串", "string"),
    (
        "POST",
        "/api/users",
        {"json": {"name": "a/b", "role": "viewer", "password": PASSWORD}},
        400,
        "bad_request",
        "用户名须为 1–64 个字符",
        "User names are 1-64 characters",
    ),
    (
        "POST",
        "/api/users",
        {"json": {"name": "x", "role": "boss", "password": PASSWORD}},
        400,
        "bad_request",
        "没有角色“boss”",
        "No role 'boss'",
    ),
    (
        "POST",
        "/api/users",
        {"json": {"name": "x", "role": "viewer", "password": "short"}},
        400,
        "bad_request",
        "密码至少需要 10 个字符",
        "at least 10 characters",
    ),
    ("PATCH", "/api/users/nobody", {"json": {}}, 404, "not_found", "没有用户“nobody”", "No user"),
    ("DELETE", "/api/tokens/nope", {}, 404, "not_found", "没有令牌“nope”", "No token 'nope'"),
    ("GET", "/api/audit?f=xml", {}, 406, "not_acceptable", "可选：json, csv", "json, csv"),
]


@pytest.mark.parametrize(
    ("method", "url", "kwargs", "status", "code", "chinese", "english"),
    PUBLIC_ERRORS,
    ids=[f"{m} {u}" for m, u, *_ in PUBLIC_ERRORS],
)
def test_errors_in_both_languages(client, method, url, kwargs, status, code, chinese, english):
    zh, en, answered = both(client, method, url, **kwargs)
    assert (answered, zh["code"]) == (status, code)
    assert chinese in zh["message"] and CJK.search(zh["message"])
    assert english in en["message"]
    assert_english(en["message"], "空.geojson", "界址点")


AUTH_ERRORS = [
    # (method, url, headers, status, code, Chinese fragment, English fragment)
    ("GET", "/api/checks", {}, 401, "unauthorized", "请先登录：此操作需要 land 角色", "Log in"),
    ("GET", "/api/me", {"Authorization": "Basic eDp5"}, 401, "unauthorized", "Bearer", "bearer"),
    (
        "GET",
        "/api/me",
        {"Authorization": "Bearer gs_nope"},
        401,
        "unauthorized",
        "令牌无效或已吊销",
        "unknown or revoked",
    ),
    ("GET", "/api/checks", "viewer", 403, "forbidden", "需要 land 角色", "needs the land role"),
    (
        "POST",
        "/logout",
        {"Sec-Fetch-Site": "cross-site"},
        403,
        "forbidden",
        "跨站请求被拒绝",
        "Cross-site request refused",
    ),
    ("POST", "/logout", {}, 403, "forbidden", "CSRF 令牌", "CSRF token"),
]


@pytest.mark.parametrize(
    ("method", "url", "headers", "status", "code", "chinese", "english"),
    AUTH_ERRORS,
    ids=[f"{s} {m} {u}" for m, u, _, s, *_ in AUTH_ERRORS],
)
def test_auth_errors_in_both_languages(local, method, url, headers, status, code, chinese, english):
    if headers == "viewer":
        headers = {"Authorization": f"Bearer {local.viewer}"}
    zh, en, answered = both(local.test_client(), method, url, headers=headers)
    assert (answered, zh["code"]) == (status, code)
    assert chinese in zh["message"] and english in en["message"]
    assert_english(en["message"])


def test_host_and_throttle_errors_in_both_languages(tmp_path):
    app = create_app({"TESTING": True, **dbs(tmp_path), "ALLOWED_HOSTS": ["gis.example"]})
    zh, en, status = both(app.test_client(), "GET", "/collections")
    assert status == 400 and "主机名“localhost”不在允许列表中" in zh["message"]
    assert "Host 'localhost' is not allowed" in en["message"]


def test_token_note_follows_the_language(local):
    client = local.test_client()
    headers = {"Authorization": f"Bearer {local.admin}"}
    chinese = client.post("/api/tokens", json={"user": "viewer1"}, headers=headers).json
    english = client.post("/api/tokens", json={"user": "viewer1"}, headers={**headers, **ENGLISH})
    assert chinese["note"] == "令牌只显示这一次，请妥善保存。"
    assert english.json["note"] == "The token is shown only this once: keep it safe."


def test_check_links_follow_the_language(client):
    from test_checks_api import post

    check = post(client, PARCEL).json
    english = client.get(f"/api/checks/{check['id']}", headers=ENGLISH).json
    titles = {link["rel"] + " " + link["href"]: link.get("title") for link in check["links"]}
    english_titles = {
        link["rel"] + " " + link["href"]: link.get("title") for link in english["links"]
    }
    assert titles.keys() == english_titles.keys()
    assert (
        "逐块结果（分页）" in titles.values() and "Parcel results, paged" in english_titles.values()
    )
    assert "报告（PDF）" in titles.values() and "Report (PDF)" in english_titles.values()
    for title in english_titles.values():
        assert_english(title or "", "界址点")
    zh, en, status = both(client, "GET", f"/api/checks/{check['id']}?f=gpkg&crs=EPSG:3857")
    assert status == 400 and "crs=EPSG:3857 不可用于下载" in zh["message"]
    assert "crs=EPSG:3857 is not offered for downloads" in en["message"]
    zh, en, status = both(client, "GET", f"/api/checks/{check['id']}?f=doc")
    assert status == 406 and "此处不提供 f=doc" in zh["message"] and "f=doc is not" in en["message"]


def test_ogc_link_titles_follow_the_language(client):
    chinese = client.get("/collections").json
    english = client.get("/collections", headers=ENGLISH)
    assert "Accept-Language" in english.headers["Vary"]
    assert chinese["links"][0]["title"] == "本文档"
    assert english.json["links"][0]["title"] == "this document"
    assert (
        client.get("/", headers={"Accept": "application/json"})
        .json["description"]
        .startswith("安政办发〔2018〕71号、72号规划图层")
    )
    landing = client.get("/?f=json", headers=ENGLISH).json
    assert landing["description"].startswith("OGC API - Features for the plan layers")
    for link in landing["links"]:
        assert_english(link["title"])


@pytest.mark.parametrize("accept", [None, "en"])
def test_error_page_in_the_answers_language(client, accept):
    """The HTML error page: lang, title, navigation and message in one language, the message
    once, and a Vary header so that no cache serves one language for the other."""
    headers = {"Accept": "text/html", **({"Accept-Language": accept} if accept else {})}
    answer = client.get("/collections/nope?f=html", headers=headers)
    assert answer.status_code == 404 and answer.mimetype == "text/html"
    assert "Accept-Language" in answer.headers["Vary"] and "Cookie" in answer.headers["Vary"]
    page = html.unescape(answer.get_data(as_text=True))
    lang = re.search(r'<html lang="([^"]+)">', page).group(1)
    if accept == "en":
        assert lang == "en" and "<title>Error 404 · Ankang industrial zones" in page
        assert "No collection 'nope'" in page and "Back to the map" in page
        assert not CJK.search(page), "an English error page has no Chinese of its own"
    else:
        assert lang == "zh-CN" and "<title>错误 404 · 安康市工业集中区与产业集群" in page
        assert "没有图层“nope”" in page and "返回地图" in page
        assert "No collection" not in page
    message = "No collection 'nope'" if accept else "没有图层“nope”"
    assert page.count(message) == 1, "the message is shown once"


def test_error_page_lists_each_problem_once(client):
    """The message quotes the first problem; the list under it has the others, each once."""
    rows = (
        "年份,类型,编号,指标,数值\n"
        "2021,zone,nope,revenue_yi,1\n"
        "2021,zone,ankang-hitech,revenue_yi,-1\n"
    )
    for accept, first, second in (
        ("zh", "第 2 行：地图上没有编号为“nope”的集中区", "第 3 行：数值“-1”必须是不小于 0 的数"),
        ("en", "line 2: no zone with the id 'nope' on the map", "line 3: the value '-1' must be"),
    ):
        answer = client.post(
            "/api/analysis/targets/actuals?f=html",
            data={"file": (io.BytesIO(rows.encode()), "figures.csv")},
            content_type="multipart/form-data",
            headers={"Accept-Language": accept},
        )
        page = html.unescape(answer.get_data(as_text=True))
        assert answer.status_code == 422 and answer.mimetype == "text/html"
        assert page.count(first) == 1 and page.count(second) == 1
        assert f"<li>{second}" in page and f"<li>{first}" not in page


def test_cli_speaks_chinese(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "GEO_SERVICE_AUTH_DB": str(tmp_path / "auth.sqlite"),
        "GEO_SERVICE_CHECKS_DB": str(tmp_path / "c.sqlite"),
        "GEO_SERVICE_ACTUALS_DB": str(tmp_path / "a.sqlite"),
    }
    run = subprocess.run(
        [sys.executable, "-m", "geo_service", "tokens", "revoke", "nope"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    assert (
        run.stderr.strip()
        == "错误：没有令牌“nope”；GET /api/tokens（或 tokens list）列出全部令牌。"
    )
    missing = subprocess.run(
        [sys.executable, "-m", "geo_service", "check", str(tmp_path / "无.geojson")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 2 and "错误：找不到文件" in missing.stderr
    assert missing.stderr.count("无.geojson") == 1


def test_openapi_documents_the_languages(client):
    document = client.get("/api").json
    assert "Accept-Language: en" in document["info"]["description"]
    error = document["components"]["schemas"]["Error"]["properties"]["error"]["properties"]
    assert "the same in every language" in error["code"]["description"]
    assert "Accept-Language: en" in error["message"]["description"]
    record = document["components"]["schemas"]["Record"]
    assert set(record["properties"]) == {"message", "i18n"}
    problems = error["details"]["properties"]["problems"]["items"]
    assert problems == {"$ref": "#/components/schemas/Record"}
