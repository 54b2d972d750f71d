"""OWSLib's ``Features`` (a client the project did not write) against the served process.

Parts 1-3 of OGC API - Features as OWSLib uses them: landing page, conformance, collections,
queryables, items with ``bbox``, ``limit``, ``filter`` (CQL2 text), ``crs``, ``properties``,
``sortby`` and paging. Answers are compared with the catalog's own features: CQL2 results with
the same condition in pandas, coordinates with pyproj's transform of the CRS84 features.
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import COLLECTION_IDS
from owslib.ogcapi.features import Features

EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
PART2 = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"
PART3 = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/"
CQL2 = "http://www.opengis.net/spec/cql2/1.0/conf/"


@pytest.fixture(scope="module")
def api(live_server) -> Features:
    return Features(f"{live_server}/")


def frame(layer) -> pd.DataFrame:
    """The layer's properties as pandas sees them, one row per feature, index = feature id."""
    return pd.DataFrame([f["properties"] for f in layer.features], index=feature_ids(layer))


def feature_ids(layer) -> list[str]:
    return [f["id"] for f in layer.features]


def ids(answer: dict) -> list[str]:
    return [f["id"] for f in answer["features"]]


def test_landing_and_collections(api, catalog):
    rels = {link["rel"] for link in api.links}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    assert api.api()["openapi"].startswith("3.0")
    assert api.feature_collections() == COLLECTION_IDS == list(catalog.layers)


def test_items_with_bbox_and_limit(api, catalog):
    everything = api.collection_items("counties", limit=100)
    assert ids(everything) == feature_ids(catalog.get("counties"))
    assert everything["numberMatched"] == everything["numberReturned"] == 10
    one = api.collection_items("counties", bbox=[110.05, 32.78, 110.15, 32.86])
    assert [f["properties"]["name"] for f in one["features"]] == ["白河县"]


def test_paging_follows_the_offsets(api, catalog):
    seen, offset = [], 0
    while True:
        page = api.collection_items("zones", limit=3, offset=offset)
        seen += ids(page)
        if not any(link["rel"] == "next" for link in page["links"]):
            break
        offset += 3
    assert seen == feature_ids(catalog.get("zones"))
    assert page["numberMatched"] == 16 and page["numberReturned"] == 1
