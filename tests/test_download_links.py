"""The download links a layer offers are the formats its download answers (one registry,
formats.layer_downloads): a big layer served from the store (more than
LAYER_MEMORY_MAX_FEATURES) offers GeoJSON only, with its feature count, in the map's legend,
on its collection page, in its collection's OGC links and in its versions list; every link
offered answers 200, every format not offered stays a 400 in Chinese for a typed URL; a layer
held in memory offers every format."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from geo_service import create_app, formats
from geo_service.generated_parcels import LAYER_ID, generate
from tests.conftest import dbs

CJK = re.compile(r"[\u4e00-\u9fff]")
COUNT = 1200
ALL = list(formats.LAYER_DOWNLOADS)
DOWNLOAD = re.compile(r'href="([^"]*/download\?[^"]*)"')


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """An app with the generated parcels layer: version 1 small (held in memory), version 2
    (current) of COUNT parcels, above LAYER_MEMORY_MAX_FEATURES: served from the store."""
    config = {"TESTING": True, **dbs(tmp_path_factory.mktemp("links")), "AUTH": "none"}
    app = create_app({**config, "LAYER_MEMORY_MAX_FEATURES": 1000})
    store, catalog = app.extensions["geo_service.store"], app.extensions["geo_service.catalog"]
    generate(store, catalog, 40, 3)
    generate(store, catalog, COUNT, 7)
    catalog.refresh(store)
    assert catalog.get(LAYER_ID).in_store and catalog.get(LAYER_ID).version == 2
    assert not catalog.get("zones").in_store
    return app


def get(app, url: str, status: int = 200, **headers):
    answer = app.test_client().get(url, headers=headers)
    assert answer.status_code == status, (url, answer.get_data(as_text=True)[:300])
    return answer


def local(href: str) -> str:
    parts = urlsplit(html.unescape(href))
    return f"{parts.path}?{parts.query}"


def format_of(href: str) -> str:
    return parse_qs(urlsplit(html.unescape(href)).query)["f"][0]


def legend_block(page: str, layer_id: str) -> str:
    """The legend entry of ``layer_id`` in the map page."""
    start = page.index(f'<div class="gs-legend-layer" data-layer="{layer_id}">')
    end = page.index('<div class="gs-legend-layer', start + 10)
    return page[start:end]


def follow_all(app, hrefs: list[str]) -> None:
    for href in hrefs:
        answer = get(app, local(href))
        fmt = formats.LAYER_DOWNLOADS[format_of(href)]
        assert answer.mimetype == fmt.media.split(";")[0], href
        assert answer.get_data(), href


def refused_in_chinese(app, layer_id: str, keys) -> None:
    for key in keys:
        answer = get(app, f"/collections/{layer_id}/download?f={key}", 400)
        message = answer.get_json()["error"]["message"]
        assert CJK.search(message) and "GeoJSON" in message and f"f={key}" in message


def test_the_registry_says_what_each_kind_of_layer_offers():
    assert list(formats.layer_downloads(in_store=False)) == ALL
    assert list(formats.layer_downloads(in_store=True)) == ["geojson"]
    assert formats.default_layer_download(in_store=False) == "gpkg"
    assert formats.default_layer_download(in_store=True) == "geojson"


def test_the_legend_offers_only_what_answers(app):
    page = get(app, "/", Accept="text/html").get_data(as_text=True)
    big = legend_block(page, LAYER_ID)
    hrefs = DOWNLOAD.findall(big)
    assert [format_of(h) for h in hrefs] == ["geojson"]
    follow_all(app, hrefs)
    assert f"{COUNT:,} 个要素，文件较大" in big
    refused_in_chinese(app, LAYER_ID, [k for k in ALL if k != "geojson"])

    held = legend_block(page, "zones")
    hrefs = DOWNLOAD.findall(held)
    assert [format_of(h) for h in hrefs] == ALL
    follow_all(app, hrefs)
    assert "文件较大" not in held


def test_the_collection_page_and_its_links_offer_only_what_answers(app):
    page = get(app, f"/collections/{LAYER_ID}?f=html").get_data(as_text=True)
    body = page.split("<body", 1)[1]  # the page's own links; its head repeats the JSON's
    hrefs = DOWNLOAD.findall(body)
    assert [format_of(h) for h in hrefs] == ["geojson"]
    follow_all(app, hrefs)
    assert f"{COUNT:,} 个要素，文件较大" in body

    for url in (f"/collections/{LAYER_ID}", "/collections"):
        answer = get(app, url).get_json()
        collections = answer.get("collections", [answer])
        by_id = {c["id"]: c for c in collections}
        for layer_id, offered in ((LAYER_ID, ["geojson"]), ("zones", ALL)):
            if layer_id not in by_id:
                continue
            links = [k for k in by_id[layer_id]["links"] if "/download" in k["href"]]
            assert [format_of(k["href"]) for k in links] == offered, url
            assert {k["rel"] for k in links} == {"enclosure"}
            for entry in links:
                assert entry["type"] == formats.LAYER_DOWNLOADS[format_of(entry["href"])].media
                assert CJK.search(entry["title"])
            if layer_id == LAYER_ID:
                assert "文件较大" in links[0]["title"]
                follow_all(app, [k["href"] for k in links])
    english = app.test_client().get(f"/collections/{LAYER_ID}", headers={"Accept-Language": "en"})
    titles = [k["title"] for k in english.get_json()["links"] if "/download" in k["href"]]
    assert titles == [f"the whole layer (GeoJSON, {COUNT:,} features, a large file)"]


def test_the_versions_list_links_each_version_in_a_format_it_answers(app):
    page = get(app, f"/collections/{LAYER_ID}/versions?f=html").get_data(as_text=True)
    body = page.split("<body", 1)[1]
    hrefs = DOWNLOAD.findall(body)
    by_version = {parse_qs(urlsplit(html.unescape(h)).query)["version"][0]: h for h in hrefs}
    assert {v: format_of(h) for v, h in by_version.items()} == {"2": "geojson", "1": "gpkg"}
    follow_all(app, hrefs)
    assert f"{COUNT:,} 个要素，文件较大" in body
    answer = get(app, f"/collections/{LAYER_ID}/download?version=2&f=gpkg", 400)
    assert CJK.search(answer.get_json()["error"]["message"])


def test_a_small_past_version_of_a_big_layer_is_that_version(app):
    """Version 1 (40 parcels, held) of a layer whose current version is served from the
    store: its items and download are version 1's, not the current version's."""
    items = get(app, f"/collections/{LAYER_ID}/items?version=1&limit=100").get_json()
    assert items["numberMatched"] == 40 and len(items["features"]) == 40
    current = get(app, f"/collections/{LAYER_ID}/items?limit=1").get_json()
    assert current["numberMatched"] == COUNT
    assert items["features"][0]["geometry"] != current["features"][0]["geometry"]
    download = get(app, f"/collections/{LAYER_ID}/download?version=1&f=geojson").get_json()
    assert len(download["features"]) == 40
