"""OGC API - Features Part 1, strictly: unknown and repeated parameters are a 400, a limit above
the maximum is clamped, every answer has the links the standard asks for, and the OpenAPI
document lists exactly the parameters the service accepts (geo_service.query.params.ACCEPTED).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import dbs

from geo_service import create_app
from geo_service.errors import BadRequest
from geo_service.query.params import ACCEPTED, datetime_param

#: One URL for each request kind of the table.
URLS = {
    "queryables": "/collections/zones/queryables",
    "landing": "/?f=json",
    "conformance": "/conformance",
    "api": "/api",
    "collections": "/collections",
    "collection": "/collections/zones",
    "items": "/collections/zones/items",
    "item": "/collections/clusters/items/tea",
    "download": "/collections/zones/download?f=geojson",
}
OPERATIONS = {
    "queryables": "/collections/{collectionId}/queryables",
    "landing": "/",
    "conformance": "/conformance",
    "api": "/api",
    "collections": "/collections",
    "collection": "/collections/{collectionId}",
    "items": "/collections/{collectionId}/items",
    "item": "/collections/{collectionId}/items/{featureId}",
    "download": "/collections/{collectionId}/download",
}
EN = {"Accept-Language": "en"}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app({"TESTING": True, **dbs(tmp_path_factory.mktemp("strict"))})
    return app.test_client()


def joined(url: str, extra: str) -> str:
    return url + ("&" if "?" in url else "?") + extra


@pytest.mark.parametrize("kind", sorted(URLS))
def test_every_request_answers_200_and_refuses_an_unknown_parameter(client, kind):
    url = URLS[kind]
    assert client.get(url).status_code == 200, url
    answer = client.get(joined(url, "name=foo"))
    assert answer.status_code == 400, url
    error = answer.get_json()["error"]
    assert error["code"] == "bad_request"
    assert error["message"].startswith("未知的查询参数“name”")
    assert all(name in error["message"] for name in ACCEPTED[kind])
    english = client.get(joined(url, "name=foo"), headers=EN).get_json()["error"]["message"]
    assert english.startswith("Unknown query parameter 'name'") and "accepts only" in english


@pytest.mark.parametrize("kind", sorted(URLS))
def test_a_parameter_given_twice_is_a_400(client, kind):
    answer = client.get(joined(URLS[kind], "f=json&f=json"))
    assert answer.status_code == 400
    assert re.search("“f”给了 [23] 次", answer.get_json()["error"]["message"])
    limit = client.get("/collections/zones/items?limit=1&limit=2", headers=EN)
    assert limit.status_code == 400
    assert "'limit' is given 2 times" in limit.get_json()["error"]["message"]


def test_html_pages_refuse_with_the_error_page(client):
    """f=html answers an unknown parameter with the HTML error page, in either language."""
    page = client.get("/collections/zones/items?f=html&colour=red")
    assert page.status_code == 400 and page.content_type.startswith("text/html")
    assert "未知的查询参数“colour”" in page.get_data(as_text=True)
    english = client.get("/collections/zones?f=html&colour=red", headers=EN)
    assert "Unknown query parameter &#39;colour&#39;" in english.get_data(as_text=True)


def test_a_hostile_name_is_quoted_short(client):
    answer = client.get("/collections?" + "x" * 5000 + "=1")
    assert answer.status_code == 400
    assert len(answer.get_json()["error"]["message"]) < 200


def test_the_map_page_tolerates_what_messengers_append(client):
    """`/` as HTML is the map people share: WeChat adds from=singlemessage; JSON is strict."""
    page = client.get("/?from=singlemessage&isappinstalled=0", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.content_type.startswith("text/html")
    assert client.get("/?f=json&from=singlemessage").status_code == 400


def test_the_pages_own_requests_pass(client):
    """What the pages themselves fetch (check.html, analysis.html, the nav links)."""
    for url in (
        "/collections/zones/items?f=json&limit=1000",
        "/collections/counties/items?f=json&limit=1000",
        "/collections?f=html",
        "/api?f=json",
        "/collections/zones/items?f=html&limit=1&offset=1",
    ):
        assert client.get(url).status_code == 200, url


def test_limit_above_the_maximum_is_clamped(tmp_path):
    app = create_app({"TESTING": True, **dbs(tmp_path), "ITEMS_MAX_LIMIT": 3})
    client = app.test_client()
    page = client.get("/collections/counties/items?limit=50000").get_json()
    assert page["numberReturned"] == 3 and page["numberMatched"] == 10
    following = next(link for link in page["links"] if link["rel"] == "next")
    assert parse_qs(urlsplit(following["href"]).query)["offset"] == ["3"]
    huge = client.get("/collections/counties/items?limit=" + "9" * 400).get_json()
    assert huge["numberReturned"] == 3
    document = client.get("/api").get_json()
    limit = next(
        p
        for p in document["paths"]["/collections/{collectionId}/items"]["get"]["parameters"]
        if p["name"] == "limit"
    )
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 3, "default": 100}
    assert "clamped" in limit["description"]


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "1.5", "", " ", "1e3"])
def test_limit_zero_negative_or_not_an_integer_is_a_400(client, raw):
    answer = client.get(f"/collections/zones/items?limit={raw}")
    assert answer.status_code == 400, raw
    assert answer.get_json()["error"]["message"].startswith("limit=")


@pytest.mark.parametrize(
    "raw",
    ["2018-06-01T00:00:00Z", "2018-06-01", "../2018-06-01T00:00:00+08:00", "2018-01-01/.."],
)
def test_datetime_instants_and_intervals_are_accepted(client, raw):
    answer = client.get("/collections/zones/items", query_string={"datetime": raw})
    assert answer.status_code == 200 and answer.get_json()["numberMatched"] == 16


@pytest.mark.parametrize("raw", ["yesterday", "../..", "2019-01-01/2018-01-01", "2018-13-01", ""])
def test_bad_datetimes_are_a_400(client, raw):
    answer = client.get("/collections/zones/items", query_string={"datetime": raw})
    assert answer.status_code == 400, raw
    with pytest.raises(BadRequest):
        datetime_param(raw)


def rels(links: list[dict]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for entry in links:
        found.setdefault(entry["rel"], []).append(entry)
    return found


REQUIRED = {
    "landing": {"self", "alternate", "service-desc", "service-doc", "conformance", "data"},
    "conformance": {"self", "alternate"},
    "collections": {"self", "alternate"},
    "collection": {"self", "alternate", "items"},
    "items": {"self", "alternate", "next", "collection"},
    "item": {"self", "alternate", "collection"},
}


@pytest.mark.parametrize("kind", sorted(REQUIRED))
def test_json_answers_have_the_required_links(client, kind):
    url = URLS[kind] if kind != "items" else "/collections/counties/items?limit=2&offset=2"
    body = client.get(url).get_json()
    found = rels(body["links"])
    assert REQUIRED[kind] <= set(found), (kind, set(found))
    assert all(entry["href"].startswith("http://") and entry["title"] for entry in body["links"])
    if kind in ("items",):
        assert "prev" in found
    if kind != "landing":
        assert found["alternate"][0]["type"] == "text/html"


HEAD_LINK = re.compile(r'<link rel="([\w-]+)" type="([^"]+)" href="([^"]+)"')


@pytest.mark.parametrize("kind", sorted(REQUIRED))
def test_html_pages_have_the_same_links_in_their_head(client, kind):
    url = URLS[kind].replace("?f=json", "")
    if kind == "items":
        url = "/collections/counties/items?limit=2&offset=2"
    page = client.get(url, headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.content_type.startswith("text/html"), url
    head = page.get_data(as_text=True).split("</head>")[0]
    found = {rel: (media, href) for rel, media, href in HEAD_LINK.findall(head)}
    assert REQUIRED[kind] <= set(found), (kind, set(found))
    assert found["self"][0] == "text/html" and found["alternate"][0] != "text/html"
    if kind == "items":
        assert "f=html" in found["next"][1] and "f=html" in found["prev"][1]


def test_alternate_and_paging_links_carry_the_query(client):
    url = "/collections/counties/items?limit=2&offset=2&bbox=108,31,111,34&datetime=2018-01-01/.."
    found = rels(client.get(url).get_json()["links"])
    for rel in ("self", "alternate", "next", "prev"):
        query = parse_qs(urlsplit(found[rel][0]["href"]).query)
        assert query["bbox"] == ["108,31,111,34"] and query["limit"] == ["2"], rel
        assert query["datetime"] == ["2018-01-01/.."], rel
    assert parse_qs(urlsplit(found["alternate"][0]["href"]).query)["f"] == ["html"]


def test_openapi_lists_exactly_the_accepted_parameters(client):
    """One truth: each operation's query parameters are the table's, and every one of them
    has a schema; the unknown-parameter 400 is documented."""
    document = client.get("/api").get_json()
    for kind, path in OPERATIONS.items():
        operation = document["paths"][path]["get"]
        query = [p for p in operation["parameters"] if p["in"] == "query"]
        assert [p["name"] for p in query] == list(ACCEPTED[kind]), kind
        assert all(p["schema"] for p in query)
        assert "400" in operation["responses"], kind
    bad_request = document["components"]["responses"]["BadRequest"]["description"]
    assert "query-param-unknown" in bad_request


def test_conformance_stays_honest(client):
    """Only classes the service implements; Part 2 and 3 add theirs with their branches."""
    classes = client.get("/conformance").get_json()["conformsTo"]
    part1 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
    assert {part1 + c for c in ("core", "geojson", "html", "oas30")} <= set(classes)
    assert len(classes) == len(set(classes))
    assert all(c.startswith("http://www.opengis.net/spec/") for c in classes)
    # Part 1's HTML class: every resource answers as HTML too (checked above for the links)
