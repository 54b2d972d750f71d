"""The OGC API - Features contract, error shape, ETags and compression."""

from __future__ import annotations

import gzip
from urllib.parse import urlsplit

import pytest

GEOJSON = "application/geo+json"


def path_of(href: str) -> str:
    parts = urlsplit(href)
    return parts.path + ("?" + parts.query if parts.query else "")


def assert_error(response, status: int, code: str):
    assert response.status_code == status
    assert response.content_type == "application/json"
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]["message"]


def test_landing_page_links(client):
    body = client.get("/?f=json").get_json()
    rels = {link["rel"] for link in body["links"]}
    assert {"self", "service-desc", "conformance", "data", "alternate"} <= rels
    # a JSON client asking with Accept gets the landing page too
    assert client.get("/", headers={"Accept": "application/json"}).get_json() == body


def test_root_is_the_map_for_browsers(client):
    response = client.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.content_type.startswith("text/html")
    assert "产业集群筛选" in response.get_data(as_text=True)


def test_conformance_declares_core_and_geojson(client):
    classes = client.get("/conformance").get_json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in classes


def test_openapi_document_is_valid(client):
    from openapi_spec_validator import validate

    response = client.get("/api")
    assert response.content_type.startswith("application/vnd.oai.openapi+json")
    document = response.get_json()
    validate(document)
    assert "/collections/{collectionId}/items" in document["paths"]


def test_collections_describe_source_precision_and_schematic(client, catalog):
    body = client.get("/collections").get_json()
    by_id = {c["id"]: c for c in body["collections"]}
    assert list(by_id) == list(catalog.layers)
    assert by_id["zones"]["schematic"] is True and by_id["zones"]["precision"] == "schematic"
    assert by_id["counties"]["schematic"] is False
    for collection in by_id.values():
        assert collection["source"] and collection["licence"] and collection["style"]
        minx, miny, maxx, maxy = collection["extent"]["spatial"]["bbox"][0]
        assert 107.9 < minx < maxx < 110.3 and 31.6 < miny < maxy < 33.9


def test_items_are_geojson_with_counts(client):
    response = client.get("/collections/zones/items")
    assert response.content_type == GEOJSON
    body = response.get_json()
    assert body["numberMatched"] == body["numberReturned"] == len(body["features"]) == 16
    assert all(f["properties"]["precision"] == "schematic" for f in body["features"])


def test_paging_visits_every_feature_once(client):
    seen, url = [], "/collections/counties/items?limit=3"
    while url:
        body = client.get(url).get_json()
        assert body["numberMatched"] == 10 and body["numberReturned"] <= 3
        seen += [f["id"] for f in body["features"]]
        url = next((path_of(link["href"]) for link in body["links"] if link["rel"] == "next"), None)
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 10


def test_bbox_selects_by_intersection(client):
    # a box around 白河's county town (110.10, 32.82), east of every other county
    body = client.get("/collections/counties/items?bbox=110.05,32.78,110.15,32.86").get_json()
    assert [f["properties"]["name"] for f in body["features"]] == ["白河县"]
    body = client.get("/collections/zones/items?bbox=100,20,101,21").get_json()
    assert body["numberMatched"] == 0 and body["features"] == []


def test_single_feature(client):
    response = client.get("/collections/counties/items/610929")
    assert response.content_type == GEOJSON
    body = response.get_json()
    assert body["id"] == "610929" and body["properties"]["name"] == "白河县"
    assert {link["rel"] for link in body["links"]} >= {"self", "collection"}


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/collections/nope", 404, "not_found"),
        ("/collections/nope/items", 404, "not_found"),
        ("/collections/zones/items/nope", 404, "not_found"),
        ("/collections/zones/items?limit=0", 400, "bad_request"),
        ("/collections/zones/items?limit=abc", 400, "bad_request"),
        ("/collections/zones/items?limit=-5", 400, "bad_request"),
        ("/collections/zones/items?limit=2&limit=3", 400, "bad_request"),
        ("/collections/zones/items?name=foo", 400, "bad_request"),
        ("/collections/zones/items?offset=-1", 400, "bad_request"),
        ("/collections/zones/items?bbox=1,2,3", 400, "bad_request"),
        ("/collections/zones/items?bbox=110,33,109,32", 400, "bad_request"),
        ("/collections/zones/items?bbox=a,b,c,d", 400, "bad_request"),
        ("/collections/zones/items?bbox=nan,1,2,3", 400, "bad_request"),
        ("/collections/zones/items?bbox=0,-91,1,1", 400, "bad_request"),
        ("/collections/zones/items?bbox-crs=EPSG:4545&bbox=1,1,2,2", 400, "bad_request"),
        ("/collections?f=xml", 406, "not_acceptable"),
        ("/no/such/page", 404, "not_found"),
    ],
)
def test_errors_have_one_shape(client, url, status, code):
    message = assert_error(client.get(url), status, code)
    assert "Traceback" not in message and "/work" not in message


def test_error_page_for_browsers(client):
    response = client.get("/collections/nope", headers={"Accept": "text/html"})
    assert response.status_code == 404 and response.content_type.startswith("text/html")
    assert "错误 404" in response.get_data(as_text=True)


def test_hostile_queries_never_500(client):
    for url in [
        "/collections/%00",
        "/collections/zones/items?limit=" + "9" * 400,
        "/collections/zones/items?bbox=" + ",".join(["1e308"] * 4),
        "/collections/zones/items?offset=99999999999",
        "/collections/zones/items/%2e%2e",
        "/collections/../../etc/passwd",
        "/?f=",
        "/collections/zones/items?f=html&limit=1",
    ]:
        assert client.get(url).status_code < 500, url
    assert client.post("/collections").status_code == 405


def test_etag_and_conditional_get(client):
    first = client.get("/collections/counties/items")
    etag = first.headers["ETag"]
    assert etag.startswith('"')
    again = client.get("/collections/counties/items", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    other = client.get("/collections/zones/items", headers={"If-None-Match": etag})
    assert other.status_code == 200


def test_gzip_when_accepted(client):
    plain = client.get("/collections/counties/items")
    packed = client.get("/collections/counties/items", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 2


@pytest.mark.parametrize(
    "url",
    [
        "/collections?f=html",
        "/collections/zones?f=html",
        "/collections/zones/items?f=html",
        "/collections/zones/items/ankang-hitech?f=html",
        "/conformance?f=html",
        "/api?f=html",
    ],
)
def test_html_views(client, url):
    response = client.get(url)
    assert response.status_code == 200 and response.content_type.startswith("text/html")
    text = response.get_data(as_text=True)
    assert "安康市" in text
    if "zones" in url:
        assert "示意" in text


def test_static_assets_are_gzipped_and_cached(client):
    url = "/static/vendor/leaflet/leaflet.js"
    plain = client.get(url)
    assert plain.status_code == 200 and "javascript" in plain.mimetype
    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data
    assert len(zipped.data) < len(plain.data) / 3
    again = client.get(url, headers={"If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    image = client.get(
        "/static/vendor/leaflet/images/marker-icon.png", headers={"Accept-Encoding": "gzip"}
    )
    assert image.mimetype == "image/png" and "Content-Encoding" not in image.headers


@pytest.mark.parametrize(
    "url",
    [
        "/static/nothing.js",
        "/static/../geo_service/config.py",
        "/static/%2e%2e/%2e%2e/etc/passwd",
        "/static/vendor",
    ],
)
def test_static_outside_or_missing_is_404(client, url):
    response = client.get(url)
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


@pytest.mark.parametrize("name", ["rel", "title", "endpoint", "mimetype", "_external", "_method"])
def test_items_refuse_url_for_keywords_as_query_names(client, name):
    """Query names are never keywords of url_for: reserved ones were a 500 (found by review);
    now, as every unknown name, a 400 (Part 1 /req/core/query-param-unknown)."""
    response = client.get(f"/collections/zones/items?{name}=POST")
    assert response.status_code == 400
    assert f"“{name}”" in response.json["error"]["message"]


def test_every_route_is_in_the_openapi_document(app):
    """Walks the app's URL map: a new route (or method) that /api does not describe fails."""
    import re

    paths = app.test_client().get("/api?f=json").get_json()["paths"]
    documented = {
        (re.sub(r"\{[^}]+\}", "{}", path), method.upper())
        for path, operations in paths.items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }
    missing, checked = [], 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<[^>]+>", "{}", rule.rule)
        for method in sorted(set(rule.methods or ()) - {"HEAD", "OPTIONS"}):
            checked += 1
            if (path, method) not in documented:
                missing.append(f"{method} {rule.rule}")
    assert not missing, f"routes /api does not describe: {missing}"
    assert checked >= 30 and ("/collections/{}/queryables", "GET") in documented


def test_each_blueprints_paths_are_written_next_to_its_routes(app):
    """openapi.blueprint_paths: each function documents exactly its blueprints' routes (the
    OGC ones in openapi_paths.py, checks/exports/analysis in openapi_services.py, accounts in
    openapi_accounts.py), and every blueprint of the app is listed once."""
    import re

    from geo_service.web.ogc import catalog
    from geo_service.web.openapi import Paths, blueprint_paths

    def key(path: str, method: str) -> tuple[str, str]:
        return re.sub(r"\{[^}]+\}|<[^>]+>", "{}", path), method.upper()

    listed = [name for names, _ in blueprint_paths() for name in names]
    assert sorted(listed) == sorted(app.blueprints), "a blueprint without its paths function"
    with app.test_request_context("/api"):
        for names, write in blueprint_paths():
            api = Paths()
            write(api, catalog(), app.config)
            written = {key(p, m) for p, operations in api.paths.items() for m in operations}
            routes = {
                key(rule.rule, method)
                for rule in app.url_map.iter_rules()
                if rule.endpoint.split(".")[0] in names
                for method in set(rule.methods or ()) - {"HEAD", "OPTIONS"}
            }
            assert written == routes, (names, written ^ routes)
