"""One registry of output formats (geo_service/formats.py): the routes, the links, the /api
enums and the error texts all come from it, so a format added or taken away there changes all
of them at once."""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from conftest import dbs
from land_fixtures import PARCEL_SHAPES, ZONE_SHAPES, collection

from geo_service import create_app, formats
from geo_service.messages import CATALOGUE


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    """An app with one stored check (the bureau's zones, seven parcels in GK zone 36)."""
    app = create_app({"TESTING": True, **dbs(tmp_path_factory.mktemp("formats"))})
    client = app.test_client()
    data = {
        "file": (io.BytesIO(collection(PARCEL_SHAPES, 36)), "地块.geojson"),
        "zones": (io.BytesIO(collection(ZONE_SHAPES, 36)), "zones.geojson"),
    }
    answer = client.post("/api/checks", data=data, content_type="multipart/form-data")
    assert answer.status_code == 201, answer.json
    return app, answer.json


def file_name(answer) -> str:
    """The file's name as Content-Disposition gives it (filename*, else filename)."""
    value = answer.headers["Content-Disposition"]
    found = re.search(r"filename\*=UTF-8''([^;]+)", value) or re.search(
        r'filename="([^"]+)"', value
    )
    return unquote(found.group(1))


def disposition(answer) -> str:
    return answer.headers["Content-Disposition"].split(";")[0]


def test_the_tables_are_what_the_service_offers():
    assert list(formats.LAYER_DOWNLOADS) == ["geojson", "gpkg", "shp", "csv", "kml"]
    assert list(formats.CHECK_EXPORTS) == [
        *("json", "geojson", "csv", "xlsx", "html", "pdf", "gpkg", "shp", "kml", "jzd"),
    ]
    assert list(formats.CHECK_PARTS) == ["zones"]
    assert formats.crs_formats(formats.LAYER_DOWNLOADS) == ("gpkg", "shp")
    assert formats.crs_formats(formats.CHECK_EXPORTS) == ("gpkg", "shp")
    for table in (formats.LAYER_DOWNLOADS, formats.CHECK_EXPORTS, formats.REGISTER_EXPORTS):
        for key, fmt in table.items():
            assert fmt.key == key and fmt.extension and "/" in fmt.media
            assert fmt.title("zh") and fmt.title("en")
            if fmt.label in CATALOGUE:  # a label that differs by language is a message
                assert fmt.title("zh") != fmt.title("en")


@pytest.mark.parametrize("fmt", list(formats.LAYER_DOWNLOADS.values()), ids=lambda f: f.key)
def test_every_layer_download_has_its_media_type_and_extension(client, fmt):
    answer = client.get(f"/collections/counties/download?f={fmt.key}")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == fmt.media
    assert file_name(answer) == f"县级行政区.{fmt.extension}"
    assert disposition(answer) == "attachment"
    with_crs = client.get(f"/collections/counties/download?f={fmt.key}&crs=EPSG:4545")
    assert with_crs.status_code == (200 if fmt.takes_crs else 400)


def test_an_unregistered_layer_format_is_a_406_listing_the_registry(client):
    answer = client.get("/collections/counties/download?f=dwg")
    assert answer.status_code == 406
    choices = ", ".join(formats.LAYER_DOWNLOADS)
    assert answer.json["error"]["message"] == f"此处不提供 f=dwg；可选：{choices}。"


def test_the_default_layer_download(client):
    answer = client.get("/collections/counties/download")
    default = formats.LAYER_DOWNLOADS[formats.DEFAULT_LAYER_DOWNLOAD]
    assert answer.headers["Content-Type"] == default.media


@pytest.mark.parametrize("fmt", list(formats.CHECK_EXPORTS.values()), ids=lambda f: f.key)
def test_every_check_format_answers_with_its_media_type_and_extension(checked, fmt):
    app, check = checked
    answer = app.test_client().get(f"/api/checks/{check['id']}?f={fmt.key}")
    assert answer.status_code == 200, answer.data[:300]
    assert answer.headers["Content-Type"] == fmt.media
    if fmt.writer is None:  # the check itself, with its links
        assert answer.json["id"] == check["id"]
        return
    name = file_name(answer)
    assert name.startswith("用地检查_地块_") and name.endswith(f".{fmt.extension}")
    assert (f"_{fmt.part}." in name) == bool(fmt.part)
    assert disposition(answer) == ("inline" if fmt.inline else "attachment")
    with_crs = app.test_client().get(f"/api/checks/{check['id']}?f={fmt.key}&crs=EPSG:4545")
    assert with_crs.status_code == (200 if fmt.takes_crs else 400)


def test_a_checks_zones_part(checked):
    app, check = checked
    answer = app.test_client().get(f"/api/checks/{check['id']}?f=geojson&part=zones")
    zones = formats.CHECK_PARTS["zones"]
    assert answer.headers["Content-Type"] == zones.media
    assert file_name(answer).endswith(f"_{zones.part}.{zones.extension}")
    assert len(answer.json["features"]) == len(ZONE_SHAPES)


@pytest.mark.parametrize("asked", ["dwg", "zones", "GPKG", "pdfx"])
def test_an_unregistered_check_format_is_a_406_listing_the_registry(checked, asked):
    app, check = checked
    answer = app.test_client().get(f"/api/checks/{check['id']}?f={asked}")
    assert answer.status_code == 406
    choices = ", ".join(formats.CHECK_EXPORTS)
    assert answer.json["error"]["message"] == f"此处不提供 f={asked}；可选：{choices}。"


def test_the_register_formats(checked):
    client = checked[0].test_client()
    gpkg = client.get("/api/checks?f=gpkg")
    assert gpkg.headers["Content-Type"] == formats.REGISTER_EXPORTS["gpkg"].media
    assert file_name(gpkg).endswith(".gpkg")
    refused = client.get("/api/checks?f=csv")
    assert refused.status_code == 406
    assert refused.json["error"]["message"].endswith(
        f"可选：{', '.join(formats.REGISTER_EXPORTS)}。"
    )


def test_a_checks_links_are_the_linked_formats(checked):
    app, check = checked
    links = app.test_client().get(f"/api/checks/{check['id']}").json["links"]
    alternate = [link for link in links if link["rel"] == "alternate"]
    linked = [f for f in formats.CHECK_EXPORTS.values() if f.linked]
    assert [parse_qs(urlsplit(a["href"]).query)["f"][0] for a in alternate] == [
        f.key for f in linked
    ]
    assert [a["title"] for a in alternate] == [f.title("zh") for f in linked]
    english = app.test_client().get(f"/api/checks/{check['id']}", headers={"Accept-Language": "en"})
    titles = [link["title"] for link in english.json["links"] if link["rel"] == "alternate"]
    assert titles == [f.title("en") for f in linked]


def parameter(operation: dict, name: str) -> dict:
    return next(p for p in operation["parameters"] if p["name"] == name)


def test_the_api_document_enumerates_the_registry(client):
    paths = client.get("/api?f=json").json["paths"]
    download = paths["/collections/{collectionId}/download"]["get"]
    assert parameter(download, "f")["schema"]["enum"] == list(formats.LAYER_DOWNLOADS)
    assert set(download["responses"]["200"]["content"]) == {
        f.media_type for f in formats.LAYER_DOWNLOADS.values()
    }
    check = paths["/api/checks/{checkId}"]["get"]
    assert parameter(check, "f")["schema"]["enum"] == list(formats.CHECK_EXPORTS)
    assert parameter(check, "part")["schema"]["enum"] == ["parcels", *formats.CHECK_PARTS]
    assert set(check["responses"]["200"]["content"]) == {
        f.media_type for f in formats.CHECK_EXPORTS.values()
    }
    assert "f=gpkg, f=shp" in parameter(check, "crs")["description"]
    register = paths["/api/checks"]["get"]
    assert parameter(register, "f")["schema"]["enum"] == list(formats.REGISTER_EXPORTS)


@pytest.mark.parametrize("key", ["crs.check_format", "crs.lonlat_format"])
def test_the_crs_errors_name_exactly_the_formats_that_take_crs(key):
    """These sentences name the formats in words (articles, 和/或): they must name the ones
    the registry says take crs=, and no other."""
    for text in CATALOGUE[key]:
        named = set(re.findall(r"f=(\w+)\)", text.replace("）", ")")))
        assert named == set(formats.crs_formats(formats.CHECK_EXPORTS)), text


def test_the_pages_list_the_registry(client):
    page = client.get("/", headers={"Accept": "text/html"}).get_data(as_text=True)
    found = re.findall(r'/collections/counties/download\?f=(\w+)">([^<]+)</a>', page)
    assert found == [(f.key, f.title()) for f in formats.LAYER_DOWNLOADS.values()]
    check_page = client.get("/check").get_data(as_text=True)
    taking = re.search(r'id="gs-export-crs" data-formats="([^"]*)"', check_page).group(1)
    assert taking.split() == list(formats.crs_formats(formats.CHECK_EXPORTS))


@pytest.mark.parametrize(
    ("kind", "table"),
    [("coverage", formats.ANALYSIS_EXPORTS), ("reach", formats.REACH_EXPORTS)],
)
def test_every_analysis_format_answers_and_others_are_a_406(client, kind, table):
    for fmt in table.values():
        answer = client.get(f"/api/analysis/{kind}?f={fmt.key}")
        assert answer.status_code == 200, (kind, fmt.key)
        assert answer.headers["Content-Type"] == fmt.media
        if fmt.writer is not None:
            assert file_name(answer).endswith(f".{fmt.extension}")
            assert disposition(answer) == ("inline" if fmt.inline else "attachment")
    refused = client.get(f"/api/analysis/{kind}?f=pdf")
    assert refused.status_code == 406
    assert refused.json["error"]["message"].endswith(f"可选：{', '.join(table)}。")


def test_the_template_formats(client):
    for fmt in formats.TEMPLATE_EXPORTS.values():
        answer = client.get(f"/api/analysis/targets/template?f={fmt.key}&year=2022")
        assert answer.headers["Content-Type"] == fmt.media
        assert file_name(answer) == f"实际数据模板_2022.{fmt.extension}"
    refused = client.get("/api/analysis/targets/template?f=json")
    assert refused.status_code == 406
    choices = ", ".join(formats.TEMPLATE_EXPORTS)
    assert refused.json["error"]["message"].endswith(f"可选：{choices}。")


def test_the_analysis_api_and_page_follow_the_registry(client):
    paths = client.get("/api?f=json").json["paths"]
    analysis = paths["/api/analysis/{kind}"]["get"]
    assert parameter(analysis, "f")["schema"]["enum"] == list(formats.REACH_EXPORTS)
    template = paths["/api/analysis/targets/template"]["get"]
    assert parameter(template, "f")["schema"]["enum"] == list(formats.TEMPLATE_EXPORTS)
    assert set(template["responses"]["200"]["content"]) == {
        f.media_type for f in formats.TEMPLATE_EXPORTS.values()
    }
    page = client.get("/analysis").get_data(as_text=True)
    linked = re.search(r'id="gs-an-downloads" data-formats="([^"]*)"', page).group(1)
    assert linked.split() == [f.key for f in formats.ANALYSIS_EXPORTS.values() if f.linked]
