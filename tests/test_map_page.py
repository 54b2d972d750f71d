"""The map page as HTML: every layer, the legend, local assets only, display simplification."""

from __future__ import annotations

import json
import re

import pytest
import shapely
from conftest import dbs

from geo_service import create_app
from geo_service.config import REPO_ROOT
from geo_service.render.map import display_collection

VENDOR_DIR = REPO_ROOT / "geo_service" / "static" / "vendor"


@pytest.fixture(scope="module")
def page(client) -> str:
    response = client.get("/", headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    return response.get_data(as_text=True)


def page_config(html: str) -> dict:
    match = re.search(r"window\.GS_CONFIG = (\{.*?\});\n</script>", html, re.S)
    return json.loads(match.group(1))


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


def test_every_layer_is_a_group_in_the_layer_control(page, catalog):
    config = page_config(page)
    assert set(config["layers"]) == set(catalog.layers)
    for layer in catalog.layers.values():
        var = config["layers"][layer.id]
        assert f"var {var} = L.featureGroup(" in page
        title = layer.title + ("（示意）" if layer.is_schematic else "")
        assert f"{json.dumps(title)} : {var}" in page, layer.id
    for group in ("基础", "园区", "集群", "物流", "飞地"):
        assert f"{json.dumps(group)} : {{" in page


def test_every_feature_is_embedded_with_its_source_and_precision(page, catalog):
    for layer in catalog.layers.values():
        for feature in layer.features:
            if feature["geometry"] is None:
                continue  # a cluster without a place (packaged water) has nothing to draw
            assert json.dumps(feature["id"]) in page, feature["id"]
    assert page.count('"precision": "schematic"') >= 16  # every schematic zone at least


def test_popups_and_tooltips_are_chinese(page, catalog):
    for label in catalog.fields.values():
        if label in ("来源", "精度"):
            assert label in page
    assert "GeoJsonPopup" in page or "bindPopup" in page
    assert "县区" in page and "精度" in page


def test_legend_is_generated_from_the_catalog(page, catalog):
    for layer in catalog.layers.values():
        assert f'data-layer="{layer.id}"' in page
        for by_value in (layer.style.get("categories") or {}).values():
            for value in by_value:
                assert f"<span>{value}</span>" in page, (layer.id, value)
    assert "示意几何" in page


def test_schematic_layers_are_marked(page, catalog):
    schematic = [layer for layer in catalog.layers.values() if layer.is_schematic]
    assert {layer.id for layer in schematic} >= {"zones", "logistics_axes", "enclave_links"}
    assert page.count('<span class="gs-badge">示意</span>') == len(schematic)
    assert f'"dashArray": "{catalog.schematic_dash}"' in page


def test_cluster_filter_lists_all_ten_clusters(page):
    select = page[page.index('<select id="gs-cluster">') : page.index("</select>")]
    options = re.findall(r'<option value="([^"]+)">([^<]+)</option>', select)
    assert len(options) == 10 and all(name.endswith("产业集群") for _, name in options), options
    assert len(page_config(page)["clusters"]) == 10


def test_no_request_leaves_the_app_without_a_basemap(page):
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", page)
    urls += re.findall(r"""(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s"')]*""", page)
    external = [u for u in urls if re.match(r"(https?:)?//", u)]
    assert external == [], external
    for url in re.findall(r"""(?:src|href)=["'](/static/[^"']+)["']""", page):
        assert (REPO_ROOT / "geo_service" / url.lstrip("/")).is_file(), url


def test_vendored_assets_carry_their_licences():
    manifest = (VENDOR_DIR / "VENDOR.md").read_text(encoding="utf-8")
    for package, licence in (
        ("leaflet", "LICENSE"),
        ("leaflet-groupedlayercontrol", "LICENSE.txt"),
        ("leaflet-textpath", "LICENSE"),
        ("leaflet-draw", "LICENSE"),
    ):
        text = (VENDOR_DIR / package / licence).read_text(encoding="utf-8")
        assert "Permission" in text or "Redistribution" in text, package
        assert f"| {package} |" in manifest


def test_basemaps_are_opt_in(tmp_path):
    app = create_app({"TESTING": True, "BASEMAPS": ["osm", "gaode"], **dbs(tmp_path)})
    html = app.test_client().get("/", headers={"Accept": "text/html"}).get_data(as_text=True)
    config = page_config(html)
    assert set(config["basemaps"]) == {"osm", "gaode"}
    assert config["basemaps"]["gaode"]["gcj02"] and not config["basemaps"]["osm"]["gcj02"]
    assert "tile.openstreetmap.org" in html and "autonavi.com" in html
    assert json.dumps("底图") + " : {" in html


def test_display_counties_are_simplified_as_one_coverage(catalog, app):
    """Display geometry is lighter but neighbours still share one border (no slivers)."""
    counties = catalog.get("counties")
    data = display_collection(
        catalog, counties, app.config["DISPLAY_TOLERANCE_DEG"], app.config["DISPLAY_DECIMALS"]
    )
    shapes = [shapely.geometry.shape(f["geometry"]) for f in data["features"]]
    full_vertices = sum(shapely.get_num_coordinates(g) for g in counties.geometries)
    display_vertices = sum(shapely.get_num_coordinates(g) for g in shapes)
    assert display_vertices < full_vertices / 2
    union = shapely.union_all(shapes)
    overlap = sum(g.area for g in shapes) - union.area
    assert overlap < 1e-9, overlap  # no overlaps between neighbours
    original = shapely.union_all(counties.geometries)
    assert union.symmetric_difference(original).area / original.area < 0.01
    assert union.geom_type == "Polygon" and shapely.get_num_interior_rings(union) == 0


def test_popup_values_in_words(catalog, app):
    """Codes and raw citations get words (``<field>_zh``) from one table; empty values none."""
    from geo_service.render.styles import display_value, readable_citation

    labels = catalog.precision_labels
    assert display_value("location_precision", "town", labels) == labels["town"]
    assert display_value("location_precision", "county-seat", labels) == labels["county-seat"]
    assert display_value("assumption", "", labels) is None
    assert display_value("parent", None, labels) is None
    assert readable_citation(
        "72号 二（三）: 汉阴; zone name from public material (domain.md §6)"
    ) == (
        "安政办发〔2018〕72号 二（三）：汉阴；园区名称来自公开资料"
        "（见项目资料说明 docs/domain.md §6）"
    )
    zones = display_collection(
        catalog, catalog.get("zones"), app.config["DISPLAY_TOLERANCE_DEG"], 5
    )
    by_id = {f["id"]: f["properties"] for f in zones["features"]}
    child = next(p for p in by_id.values() if p["parent"] == "ankang-hitech")
    assert child["parent_zh"] == by_id["ankang-hitech"]["name"]
    assert all(
        "domain.md §" not in p.get("source_zh", p["source"]) or "docs/" in p["source_zh"]
        for p in by_id.values()
    )
