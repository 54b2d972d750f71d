"""OGC API - Tiles: the tile matrix set, each collection's tileset, and Mapbox Vector Tiles
decoding to the layer's features, ids and properties (mapbox-vector-tile's decoder)."""

from __future__ import annotations

import gzip
import math
import re

import mapbox_vector_tile
import pytest
import shapely

from geo_service.tiles import matrix

MVT = "application/vnd.mapbox-vector-tile"
TILESET = "/collections/{}/tiles/WebMercatorQuad"


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """(z, y, x) of the tile holding lon/lat (the slippy-map formula, written out here)."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    phi = math.radians(lat)
    y = int((1 - math.asinh(math.tan(phi)) / math.pi) / 2 * n)
    return z, y, x


def decode(body: bytes) -> dict:
    return mapbox_vector_tile.decode(body) if body else {}


def test_tile_matrix_set_is_the_ogc_definition(client):
    listing = client.get("/tileMatrixSets").get_json()
    assert [s["id"] for s in listing["tileMatrixSets"]] == ["WebMercatorQuad"]
    tms = client.get("/tileMatrixSets/WebMercatorQuad").get_json()
    assert tms["uri"] == "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
    assert tms["crs"] == "http://www.opengis.net/def/crs/EPSG/0/3857"
    zero, ten = tms["tileMatrices"][0], tms["tileMatrices"][10]
    # OGC 17-083r4 Annex D.1's figures
    assert zero["scaleDenominator"] == pytest.approx(559082264.028717)
    assert zero["cellSize"] == pytest.approx(156543.033928041)
    assert ten["matrixWidth"] == ten["matrixHeight"] == 1024
    assert zero["pointOfOrigin"] == pytest.approx([-20037508.3427892, 20037508.3427892])
    assert len(tms["tileMatrices"]) == 25
    response = client.get("/tileMatrixSets/WorldCRS84Quad")
    assert (
        response.status_code == 404 and "WebMercatorQuad" in response.get_json()["error"]["message"]
    )


def test_tile_bounds_match_pyproj():
    from pyproj import Transformer

    tile = matrix.Tile(12, 1655, 3288)
    west, south, east, north = tile.lonlat_bounds()
    to_3857 = Transformer.from_crs(4326, 3857, always_xy=True)
    minx, miny = to_3857.transform(west, south)
    maxx, maxy = to_3857.transform(east, north)
    assert (minx, miny, maxx, maxy) == pytest.approx(tile.bounds, abs=1e-3)
    projected = matrix.to_mercator(shapely.points([[109.0, 32.7]]))[0]
    assert (projected.x, projected.y) == pytest.approx(to_3857.transform(109.0, 32.7), abs=1e-3)


def test_conformance_and_links(client):
    classes = client.get("/conformance").get_json()["conformsTo"]
    for name in ("core", "tileset", "tilesets-list", "geodata-tilesets", "mvt"):
        assert f"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/{name}" in classes
    page = client.get("/conformance?f=html").get_data(as_text=True)
    assert "矢量瓦片（Mapbox Vector Tile）" in page and "瓦片核心" in page
    landing = client.get("/?f=json").get_json()
    rels = {link["rel"] for link in landing["links"]}
    assert "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes" in rels
    for collection in client.get("/collections").get_json()["collections"]:
        vector = [
            link
            for link in collection["links"]
            if link["rel"] == "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
        ]
        assert len(vector) == 1, collection["id"]
        assert client.get(vector[0]["href"]).status_code == 200


def test_tileset_metadata(client, catalog):
    tilesets = client.get("/collections/zones/tiles").get_json()
    (entry,) = tilesets["tilesets"]
    assert entry["dataType"] == "vector" and entry["tileMatrixSetURI"].endswith("WebMercatorQuad")
    meta = client.get(TILESET.format("zones")).get_json()
    assert meta["crs"] == "http://www.opengis.net/def/crs/EPSG/0/3857"
    (template,) = [link for link in meta["links"] if link["rel"] == "item"]
    assert template["templated"] is True and template["type"] == MVT
    assert template["href"].endswith(
        "/collections/zones/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}"
    )
    layer, overview = meta["layers"]
    assert layer["id"] == "zones" and layer["geometryDimension"] == 2
    assert overview["id"] == "gs_overview" and "请放大查看" in overview["description"]
    assert "20000" in overview["description"]  # the configured cap, TILE_MAX_FEATURES
    fields = layer["propertiesSchema"]["properties"]
    assert {"gs_fid", "name", "source", "precision", "precision_zh", "gs_label"} <= set(fields)
    assert fields["name"]["title"] == catalog.fields.get("name", "name")
    assert [lim["tileMatrix"] for lim in meta["tileMatrixSetLimits"]] == [str(z) for z in range(23)]
    # every zone lies within the limits of zoom 12
    z12 = meta["tileMatrixSetLimits"][12]
    for feature in catalog.get("zones").features:
        geometry = shapely.geometry.shape(feature["geometry"])
        z, y, x = tile_of(geometry.centroid.x, geometry.centroid.y, 12)
        assert z12["minTileRow"] <= y <= z12["maxTileRow"]
        assert z12["minTileCol"] <= x <= z12["maxTileCol"]


def test_tile_decodes_to_the_layers_features(client, catalog):
    layer = catalog.get("zones")
    feature = layer.features[3]
    centre = layer.geometries[3].representative_point()
    z, y, x = tile_of(centre.x, centre.y, 11)
    response = client.get(f"{TILESET.format('zones')}/{z}/{y}/{x}")
    assert response.status_code == 200 and response.mimetype == MVT
    assert response.headers["Cache-Control"] == "no-cache" and response.headers["ETag"]
    tile = decode(response.data)
    decoded = {f["properties"]["gs_fid"]: f for f in tile["zones"]["features"]}
    assert tile["zones"]["extent"] == 4096
    found = decoded[feature["id"]]
    assert found["id"] == 3 + 1  # the MVT id: position in the version + 1
    props = feature["properties"]
    assert found["properties"]["name"] == props["name"]
    assert found["properties"]["source"] == props["source"]
    assert found["properties"]["precision"] == props["precision"]
    assert found["properties"]["precision_zh"] == catalog.precision_labels[props["precision"]]
    assert found["properties"]["layer"] == "zones"
    assert found["properties"]["gs_label"] == props["name"]
    # the decoded shape (tile units, y up) back on the map lies on the feature
    west, south, east, north = matrix.Tile(z, y, x).lonlat_bounds()
    shape = shapely.geometry.shape(found["geometry"])
    px, py = shape.representative_point().coords[0]
    lon = west + px / 4096 * (east - west)
    merc_s, merc_n = (math.asinh(math.tan(math.radians(v))) for v in (south, north))
    lat = math.degrees(math.atan(math.sinh(merc_s + py / 4096 * (merc_n - merc_s))))
    assert layer.geometries[3].buffer(0.002).contains(shapely.Point(lon, lat))


def test_etag_304_and_gzip(client):
    z, y, x = tile_of(109.03, 32.69, 8)
    url = f"{TILESET.format('counties')}/{z}/{y}/{x}"
    plain = client.get(url)
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data and len(zipped.data) < len(plain.data)
    assert "Accept-Encoding" in zipped.headers["Vary"]
    again = client.get(url, headers={"If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == plain.headers["ETag"]
    other = client.get(f"{TILESET.format('counties')}/{z}/{y}/{x + 1}")
    assert other.headers["ETag"] != plain.headers["ETag"]


def test_empty_tile_is_200_with_an_empty_body(client):
    # inside the counties' limits at zoom 14 but on no zone: the tile is empty, not an error
    z, y, x = tile_of(109.9, 33.3, 10)
    response = client.get(f"{TILESET.format('zones')}/{z}/{y}/{x}")
    assert response.status_code == 200 and response.mimetype == MVT and response.data == b""
    assert decode(response.data) == {}


@pytest.mark.parametrize(
    ("path", "status", "fragment"),
    [
        ("8/100/abc", 400, "x=abc"),
        ("8/1.5/200", 400, "y=1.5"),
        ("-1/0/0", 400, "z=-1"),
        ("8/100/Ｘ", 400, "x=Ｘ"),
        ("８/100/200", 400, "z=８"),
        ("23/0/0", 404, "0–22"),
        ("99999999999999999999/0/0", 400, "z="),
        ("3/8/0", 404, "0–7"),
        ("3/0/99999999", 404, "0–7"),
        ("0/0/0x1", 400, "x=0x1"),
    ],
)
def test_bad_tile_addresses_are_4xx_in_chinese(client, path, status, fragment):
    response = client.get(f"{TILESET.format('zones')}/{path}")
    assert response.status_code == status
    message = response.get_json()["error"]["message"]
    assert fragment in message and re.search(r"[\u4e00-\u9fff]", message)


def test_outside_the_layer_is_404_and_other_errors(client):
    response = client.get(f"{TILESET.format('zones')}/10/0/0")
    assert (
        response.status_code == 404
        and "tileMatrixSetLimits" in response.get_json()["error"]["message"]
    )
    assert client.get("/collections/nope/tiles").status_code == 404
    assert client.get("/collections/zones/tiles/Other/0/0/0").status_code == 404
    assert client.get(f"{TILESET.format('zones')}/0/0/0?bbox=1,2,3,4").status_code == 400
    assert client.get(f"{TILESET.format('zones')}/0/0/0?f=json").status_code == 406
    assert client.get(f"{TILESET.format('zones')}/0/0/0?f=mvt").status_code == 200
    assert client.get(f"{TILESET.format('zones')}/0/0/0?version=abc").status_code == 400
    assert client.get(f"{TILESET.format('zones')}/0/0/0?version=999").status_code == 404


def test_features_smaller_than_a_pixel_wait_for_nearer_zooms():
    import numpy as np

    from geo_service.tiles import mvt

    metre = 1 / 111_000
    parcel = shapely.box(109.0, 32.7, 109.0 + 50 * metre, 32.7 + 50 * metre)
    road = shapely.LineString([(109.0, 32.7), (109.0 + 100 * metre, 32.7)])
    well = shapely.Point(109.0, 32.7)
    shapes = np.array([parcel, road, well], dtype=object)
    for z, drawn in (
        (8, [False, False, True]),
        (11, [False, True, True]),
        (16, [True, True, True]),
    ):
        z, y, x = tile_of(109.0001, 32.7001, z)
        found = mvt.tile_shapes(matrix.Tile(z, y, x), shapes)
        assert [not s.is_empty for s in found] == drawn, z


def test_values_kept_as_given():
    from geo_service.tiles.mvt import tile_value

    assert tile_value("  <b>恒口</b>\u3000") == "  <b>恒口</b>\u3000"
    assert tile_value(2**63 - 1) == 2**63 - 1 and tile_value(-(2**63)) == -(2**63)
    assert tile_value(2**70) == str(2**70)
    assert tile_value([1, "甲"]) == '[1,"甲"]' and tile_value({"a": None}) == '{"a":null}'
    assert tile_value(True) is True and tile_value(1.5) == 1.5 and tile_value(None) is None


def test_a_past_version_is_cached_longer(client, catalog):
    layer = catalog.get("zones")
    centre = layer.geometries[0].representative_point()
    z, y, x = tile_of(centre.x, centre.y, 10)
    url = f"{TILESET.format('zones')}/{z}/{y}/{x}"
    past = client.get(f"{url}?version={layer.version}")
    assert past.status_code == 200 and past.headers["Cache-Control"] == "max-age=86400"
    assert past.data == client.get(url).data
    meta = client.get(f"{TILESET.format('zones')}?version={layer.version}").get_json()
    assert meta["version"] == layer.version
