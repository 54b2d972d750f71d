"""The basemaps: the offline reference layer (data, naming, source) and the online wiring
(天地图 URLs, the key escaped, the CSP admitting a tile host only when configured)."""

from __future__ import annotations

import json
import re
import tomllib

import numpy as np
import pytest
import shapely
from conftest import LAYERS_DIR, dbs

from geo_service import create_app
from geo_service.build.reference import chain, length_km, read_rivers
from geo_service.render.basemaps import BASEMAPS, tile_templates

SPEC = tomllib.loads((LAYERS_DIR / "src" / "reference.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rivers() -> dict:
    return json.loads((LAYERS_DIR / "reference_rivers.geojson").read_text(encoding="utf-8"))


def county(catalog, name: str):
    layer = catalog.get("counties")
    index = [f["properties"]["name"] for f in layer.features].index(name)
    return layer.geometries[index]


def test_hanjiang_is_named_and_crosses_hanbin(catalog, rivers):
    han = [f for f in rivers["features"] if f["properties"]["name"] == "汉江"]
    assert len(han) == 1 and rivers["features"][0] is han[0]  # 汉江 first
    line = shapely.geometry.shape(han[0]["geometry"])
    hanbin = county(catalog, "汉滨区")
    inside = shapely.intersection(line, hanbin)
    assert length_km(inside) > 50  # the Han runs right through 汉滨区 (about 90 km)
    # it enters and leaves the district: both ends of the part inside lie on its border
    assert shapely.crosses(line, hanbin)
    for name in ("石泉县", "紫阳县", "旬阳市", "白河县"):
        assert length_km(shapely.intersection(line, county(catalog, name))) > 5, name
    assert "判读" in han[0]["properties"]["name_basis"]


def test_every_river_cites_package_version_licence_and_is_reference_only(catalog, rivers):
    source = SPEC["source"]
    layer = catalog.get("reference_rivers")
    for feature in rivers["features"]:
        props = feature["properties"]
        assert props["precision"] == "reference"
        for part in (source["package"], source["version"], source["licence"], "GSHHG 2.3.6"):
            assert part in props["source"], (feature["id"], part)
        if not props["named"]:
            assert props["name"] == "河流（数据未给名称）" and props["name_en"] is None
    assert "LGPL-3.0" in layer.licence and "LGPL-3.0" in layer.attribution
    assert "示意" in catalog.precision_labels["reference"]
    assert layer.group == "参考底图"
    notice = LAYERS_DIR / "licences" / "gshhg"
    assert "reference_rivers.geojson" in (notice / "NOTICE.md").read_text(encoding="utf-8")
    lesser = (notice / "COPYING.LESSER").read_text(encoding="utf-8")
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in lesser and "Version 3" in lesser
    # small enough to embed: the map page's weight goal is 300 KB gzip for everything
    assert (LAYERS_DIR / "reference_rivers.geojson").stat().st_size < 40_000


def test_the_layer_stays_within_the_city_and_its_margin(catalog, rivers):
    city = shapely.union_all(catalog.get("counties").geometries)
    area = city.buffer(SPEC["source"]["margin_deg"] + 2e-5)  # + the 5-decimal rounding
    for feature in rivers["features"]:
        assert area.covers(shapely.geometry.shape(feature["geometry"])), feature["id"]


def test_gshhg_reader_and_chaining_on_a_file_of_that_layout(tmp_path):
    """riversmeta: `type area npts south north offset bytes id`; rivers: float32 lon/lat."""
    pieces = [
        np.array([[108.0, 33.0], [108.5, 32.9]]),
        np.array([[108.502, 32.901], [109.0, 32.7], [109.5, 32.8]]),  # a GSHHG-like gap
        np.array([[109.2, 33.4], [109.25, 32.76]]),  # a tributary meeting mid-line
        np.array([[120.0, 40.0], [120.5, 40.1]]),  # far away: not read
    ]
    data, meta, offset = b"", [], 0
    for number, points in enumerate(pieces):
        raw = points.astype("<f4").tobytes()
        south, north = points[:, 1].min(), points[:, 1].max()
        meta.append(f"-1 -1 {len(points)} {south} {north} {offset} {len(raw)} {number}")
        data, offset = data + raw, offset + len(raw)
    (tmp_path / "rivers_f.dat").write_bytes(data)
    (tmp_path / "riversmeta_f.dat").write_text("\n".join(meta) + "\n", encoding="ascii")
    lines = read_rivers(tmp_path, (107.5, 32.0, 110.0, 34.0))
    assert len(lines) == 3
    assert lines[1][1] == pytest.approx([109.0, 32.7], abs=1e-5)
    chained = chain(lines, 0.005)
    assert len(chained) == 2  # the two main pieces joined across the gap; tributary apart
    assert chained[0][0] == pytest.approx([108.0, 33.0]) and len(chained[0]) == 4
    assert chained[0][-1] == pytest.approx([109.5, 32.8], abs=1e-5)


# ---- online basemaps ------------------------------------------------------------------------
def page_of(app) -> str:
    return app.test_client().get("/", headers={"Accept": "text/html"}).get_data(as_text=True)


def test_tianditu_offers_vector_and_imagery_each_with_its_annotation():
    choices = BASEMAPS["tianditu"]["choices"]
    layers = {
        name: [re.search(r"LAYER=(\w+)", u).group(1) for u in c["tiles"]]
        for name, c in choices.items()
    }
    assert layers == {"tianditu-vec": ["vec", "cva"], "tianditu-img": ["img", "cia"]}
    for template in tile_templates("tianditu"):
        layer = re.search(r"LAYER=(\w+)", template).group(1)
        assert template.startswith(f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?")
        for part in (
            "SERVICE=WMTS",
            "REQUEST=GetTile",
            "VERSION=1.0.0",
            "STYLE=default",
            "TILEMATRIXSET=w",
            "FORMAT=tiles",
            "TILEMATRIX={z}",
            "TILEROW={y}",
            "TILECOL={x}",
            "tk={key}",
        ):
            assert part in template, (layer, part)
    assert BASEMAPS["tianditu"]["subdomains"] == "01234567"  # t0 … t7
    assert BASEMAPS["tianditu"]["attr"] == "© 天地图 / 国家地理信息公共服务平台"


HOSTILE_KEY = "k3y\"'</script><img src=x>{z}&tk=evil"


def test_a_hostile_key_stays_one_encoded_query_value(tmp_path):
    app = create_app(
        {"TESTING": True, "BASEMAPS": ["tianditu"], "TIANDITU_KEY": HOSTILE_KEY, **dbs(tmp_path)}
    )
    html = page_of(app)
    assert HOSTILE_KEY not in html and "<img src=x>" not in html
    encoded = "tk=k3y%22%27%3C%2Fscript%3E%3Cimg%20src%3Dx%3E%7Bz%7D%26tk%3Devil"
    urls = re.findall(r'L\.tileLayer\(\s*"([^"]+)"', html)
    assert len(urls) == 4 and all(u.endswith(encoded) for u in urls), urls
    assert html.count("</script>") == html.count("<script")  # nothing closed early


def test_csp_admits_tile_hosts_only_when_configured(tmp_path):
    offline = create_app({"TESTING": True, **dbs(tmp_path / "a")})
    csp = offline.test_client().get("/").headers["Content-Security-Policy"]
    img_src = re.search(r"img-src ([^;]+)", csp).group(1).split()
    assert img_src == ["'self'", "data:", "blob:"]
    online = create_app(
        {"TESTING": True, "BASEMAPS": ["tianditu"], "TIANDITU_KEY": "abc", **dbs(tmp_path / "b")}
    )
    csp = online.test_client().get("/").headers["Content-Security-Policy"]
    img_src = re.search(r"img-src ([^;]+)", csp).group(1).split()
    assert img_src == ["'self'", "data:", "blob:", "https://*.tianditu.gov.cn"]
    assert "connect-src 'self'" in csp


def test_map_approval_number_is_shown_only_when_configured(tmp_path):
    base = {"TESTING": True, "BASEMAPS": ["tianditu"], "TIANDITU_KEY": "abc"}
    assert "审图号" not in page_of(create_app({**base, **dbs(tmp_path / "a")}))
    approved = {**base, "TIANDITU_MAP_APPROVAL": "GS(0000)0000号", **dbs(tmp_path / "b")}
    html = page_of(create_app(approved))
    assert json.dumps("© 天地图 / 国家地理信息公共服务平台 · 审图号：GS(0000)0000号") in html
    hostile = {
        **base,
        "TIANDITU_MAP_APPROVAL": "<img src=x onerror=alert(1)>",
        **dbs(tmp_path / "c"),
    }
    html = page_of(create_app(hostile))
    # HTML-escaped for Leaflet's attribution (innerHTML), then JSON-escaped (& as \u0026)
    assert "\\uff1a\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in html
    assert "<img src=x" not in html and "\\u003cimg" not in html


def test_snapshots_draw_the_rivers_with_their_credit_only_when_shown(client):
    import xml.etree.ElementTree as ET

    svg = "{http://www.w3.org/2000/svg}"
    root = ET.fromstring(client.get("/api/snapshot?format=svg").data)
    rivers = root.find(f".//{svg}g[@data-layer='reference_rivers']")
    assert rivers is not None and len(rivers.findall(f".//{svg}path")) >= 1
    assert "河流 © GSHHG 2.3.6（LGPL-3.0）" in "".join(root.itertext())
    without = ET.fromstring(client.get("/api/snapshot?format=svg&layers=counties,zones").data)
    assert without.find(f".//{svg}g[@data-layer='reference_rivers']") is None
    assert "GSHHG" not in "".join(without.itertext())
