"""Big layers served from the store (issue 14 §3): the same generated parcels layer, served a
page at a time from the database by one app and held in memory by another, on one database,
answer items, bbox, paging, single items, CRS and filters identically; keyset cursors walk
every feature once and a forged one is a 400; start-up reads no feature of a big layer."""

from __future__ import annotations

import json
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from geo_service import create_app
from geo_service.generated_parcels import LAYER_ID, SOURCE, generate
from tests.conftest import dbs

CJK = re.compile(r"[\u4e00-\u9fff]")
COUNT = 2500
ITEMS = f"/collections/{LAYER_ID}/items"
#: Around 安康高新区 (many of the generated parcels lie near the zones).
BBOX = "108.85,32.6,109.15,32.8"
GK36 = "http://www.opengis.net/def/crs/EPSG/0/4545"


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    """(store-served, in-memory): two apps on one database holding COUNT generated parcels."""
    folder = tmp_path_factory.mktemp("big")
    config = {"TESTING": True, **dbs(folder), "AUTH": "none"}
    first = create_app({**config, "LAYER_MEMORY_MAX_FEATURES": 10**7})
    generate(
        first.extensions["geo_service.store"], first.extensions["geo_service.catalog"], COUNT, 7
    )
    big = create_app({**config, "LAYER_MEMORY_MAX_FEATURES": 1000})
    small = create_app({**config, "LAYER_MEMORY_MAX_FEATURES": 10**7})
    return big, small


def get(app, url: str, status: int = 200):
    answer = app.test_client().get(url)
    assert answer.status_code == status, answer.get_data(as_text=True)[:500]
    return answer


def chinese_400(app, url: str) -> str:
    error = get(app, url, 400).get_json()["error"]
    assert CJK.search(error["message"]), error
    return error["message"]


def next_href(answer: dict) -> str | None:
    found = [link["href"] for link in answer["links"] if link["rel"] == "next"]
    return found[0] if found else None


def local(href: str) -> str:
    parts = urlsplit(href)
    return f"{parts.path}?{parts.query}"


def walk(app, url: str) -> list[dict]:
    """Every feature the pages from ``url`` give, following next links."""
    features, pages = [], 0
    while url:
        answer = get(app, url).get_json()
        features += answer["features"]
        url = next_href(answer) and local(next_href(answer))
        pages += 1
        assert pages < 200
    return features


def test_the_big_layer_is_served_from_the_store_and_labelled_generated(apps):
    big, small = apps
    served = big.extensions["geo_service.catalog"].get(LAYER_ID)
    held = small.extensions["geo_service.catalog"].get(LAYER_ID)
    assert served.in_store and served.features == [] and len(served.geometries) == 0
    assert not held.in_store and len(held.features) == COUNT
    assert not big.extensions["geo_service.catalog"].get("zones").in_store
    one = get(big, f"/collections/{LAYER_ID}").get_json()
    other = get(small, f"/collections/{LAYER_ID}").get_json()
    assert one["numberOfFeatures"] == other["numberOfFeatures"] == COUNT
    assert one["extent"] == other["extent"]
    assert "生成的示意地块" in one["title"] and one["schematic"] is True
    assert get(big, f"/collections/{LAYER_ID}/queryables").get_json() == (
        get(small, f"/collections/{LAYER_ID}/queryables").get_json()
    )
    feature = get(big, f"{ITEMS}?limit=1").get_json()["features"][0]
    assert feature["properties"]["source"] == SOURCE
    assert feature["properties"]["precision"] == "schematic"
    assert feature["properties"]["generated"] is True


@pytest.mark.parametrize(
    "query",
    [
        "limit=50",
        f"limit=40&bbox={BBOX}",
        f"limit=30&bbox={BBOX}&crs={GK36}",
        "limit=20&offset=2400",
        "limit=25&properties=name,county",
        "limit=30&filter=area_m2 > 30000 AND county = '610902'",
        f"limit=10&bbox={BBOX}&filter=S_INTERSECTS(geometry, POINT(109.0 32.7)) OR area_m2 < 2500",
    ],
)
def test_a_page_is_the_same_from_the_store_as_from_memory(apps, query):
    big, small = apps
    one = get(big, f"{ITEMS}?{query}")
    other = get(small, f"{ITEMS}?{query}")
    assert one.get_json()["features"] == other.get_json()["features"]
    assert one.get_json()["numberReturned"] == other.get_json()["numberReturned"]
    assert one.headers["Content-Crs"] == other.headers["Content-Crs"]
    assert one.get_json()["features"], query  # the comparison is about something


def test_paging_walks_every_feature_exactly_once(apps):
    big, small = apps
    for query in ("limit=700", f"limit=97&bbox={BBOX}", "limit=300&filter=area_m2 > 20000"):
        walked = walk(big, f"{ITEMS}?{query}")
        held = walk(small, f"{ITEMS}?{query}")
        ids = [f["id"] for f in walked]
        assert len(ids) == len(set(ids)) and ids == [f["id"] for f in held], query
        assert walked == held
    assert len(walk(big, f"{ITEMS}?limit=700")) == COUNT


def test_numbers_matched_only_when_they_cost_nothing(apps):
    big, _ = apps
    assert get(big, f"{ITEMS}?limit=5").get_json()["numberMatched"] == COUNT
    assert "numberMatched" not in get(big, f"{ITEMS}?limit=5&bbox={BBOX}").get_json()
    first = get(big, f"{ITEMS}?limit=5").get_json()
    assert [link["rel"] for link in first["links"]].count("prev") == 0
    cursor = parse_qs(urlsplit(next_href(first)).query)["cursor"][0]
    assert len(cursor) < 60 and "." not in cursor  # opaque


def test_a_single_item_is_the_same_and_an_unknown_one_a_404(apps):
    big, small = apps
    for query in ("", f"?crs={GK36}"):
        url = f"{ITEMS}/gen-0001234{query}"
        one, other = get(big, url), get(small, url)
        assert one.get_json() == other.get_json()
        assert one.headers["ETag"] == other.headers["ETag"]
    assert CJK.search(get(big, f"{ITEMS}/gen-9999999", 404).get_json()["error"]["message"])


def test_a_forged_or_malformed_cursor_is_a_400_in_chinese(apps):
    big, small = apps
    first = get(big, f"{ITEMS}?limit=5").get_json()
    good = parse_qs(urlsplit(next_href(first)).query)["cursor"][0]
    import base64

    version, after, tag = base64.urlsafe_b64decode(good + "==").decode().split(".")
    forged = base64.urlsafe_b64encode(f"{version}.{int(after) + 50}.{tag}".encode()).decode()
    for cursor in (forged.rstrip("="), "abc", "", "%00", "x" * 500, good[:-2], "9" * 60):
        assert "cursor" in chinese_400(big, f"{ITEMS}?limit=5&cursor={cursor}")
    assert get(big, f"{ITEMS}?limit=5&cursor={good}").get_json()["features"]
    # the same page from the app holding the layer (servers share the secret), but not
    # with offset, nor for another layer
    assert (
        get(small, f"{ITEMS}?limit=5&cursor={good}").get_json()["features"]
        == get(big, f"{ITEMS}?limit=5&cursor={good}").get_json()["features"]
    )
    chinese_400(big, f"{ITEMS}?limit=5&cursor={good}&offset=5")
    chinese_400(big, f"/collections/zones/items?cursor={good}")


def test_what_a_big_layer_cannot_do_is_a_clear_400(apps):
    big, _ = apps
    assert "sortby" in chinese_400(big, f"{ITEMS}?sortby=area_m2")
    assert "next" in chinese_400(big, f"{ITEMS}?offset=10&bbox={BBOX}")
    assert "next" in chinese_400(big, f"{ITEMS}?offset=10&filter=area_m2 > 1")
    assert "GeoJSON" in chinese_400(big, f"/collections/{LAYER_ID}/download?f=gpkg")
    chinese_400(big, f"/collections/{LAYER_ID}/download?crs={GK36}")
    answer = big.test_client().patch(
        f"{ITEMS}/gen-0000001",
        json={"properties": {"name": "x"}},
        headers={"If-Match": "*"},
    )
    assert answer.status_code == 409 and CJK.search(answer.get_json()["error"]["message"])


def test_a_diff_of_a_big_version_is_refused_in_chinese(apps):
    big, _ = apps
    message = chinese_400(big, f"/collections/{LAYER_ID}/versions/1?f=json")
    assert "下载" in message
    assert get(big, f"/collections/{LAYER_ID}/versions").get_json()["versions"][0]["counts"]


def test_the_download_streams_every_feature(apps):
    big, small = apps
    answer = get(big, f"/collections/{LAYER_ID}/download")
    assert answer.mimetype == "application/geo+json"
    streamed = json.loads(answer.get_data())
    held = json.loads(get(small, f"/collections/{LAYER_ID}/download?f=geojson").get_data())
    assert [f["id"] for f in streamed["features"]] == [f["id"] for f in held["features"]]
    # the in-memory download (GDAL) repeats the id among the properties
    assert streamed["features"][5]["properties"] == {
        k: v for k, v in held["features"][5]["properties"].items() if k != "id"
    }
    assert streamed["features"][5]["properties"]["source"] == SOURCE


def test_a_past_version_is_served_from_the_store_too(apps):
    big, small = apps
    store = big.extensions["geo_service.store"]
    catalog = big.extensions["geo_service.catalog"]
    generate(store, catalog, COUNT, 8)  # version 2, other parcels
    catalog.refresh(store)
    small.extensions["geo_service.catalog"].refresh(store)
    assert catalog.get(LAYER_ID).version == 2 and catalog.get(LAYER_ID).in_store
    old = walk(big, f"{ITEMS}?limit=900&version=1")
    assert old == walk(small, f"{ITEMS}?limit=900&version=1")
    assert old != walk(big, f"{ITEMS}?limit=900")
    # neither compared nor reverted online (both would be read whole)
    chinese_400(big, f"/collections/{LAYER_ID}/versions/2?f=json")
    answer = big.test_client().post(f"/collections/{LAYER_ID}/versions/1/revert", json={})
    assert answer.status_code == 409, answer.get_json()
    assert CJK.search(answer.get_json()["error"]["message"])
    # a cursor of version 2 keeps paging version 2 after version 3 is written
    first = get(big, f"{ITEMS}?limit=1000").get_json()
    generate(store, catalog, 10, 9)
    catalog.refresh(store)
    rest = walk(big, local(next_href(first)))
    assert len(first["features"]) + len(rest) == COUNT
    generate(store, catalog, COUNT, 7)  # big again, for the tests after this one
    catalog.refresh(store)


def test_the_rtree_follows_every_written_row(apps):
    big, _ = apps
    engine = big.extensions["geo_service.store"].engine
    if engine.dialect.name == "postgresql":  # there the GiST index on the geometry serves
        with engine.connect() as db:
            unboxed = db.execute(
                sa.text(
                    "SELECT count(*) FROM layer_features"
                    " WHERE minx IS NULL AND geometry IS NOT NULL"
                )
            ).scalar()
            gist = db.execute(
                sa.text(
                    "SELECT count(*) FROM pg_indexes WHERE tablename = 'layer_features'"
                    " AND indexdef ILIKE '%USING gist%'"
                )
            ).scalar()
        assert unboxed == 0 and gist >= 1
        return
    with engine.connect() as db:
        rows = db.execute(
            sa.text("SELECT count(*) FROM layer_features WHERE minx IS NOT NULL")
        ).scalar()
        indexed = db.execute(sa.text("SELECT count(*) FROM layer_features_rtree")).scalar()
    assert rows == indexed > COUNT


def feature_reads(config: dict) -> tuple[int, float]:
    """(statements reading the generated layer's feature rows, seconds) while an app starts."""
    from sqlalchemy.engine import Engine

    reads = []

    def seen(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if "FROM layer_features" in statement and LAYER_ID in repr(parameters):
            reads.append(statement)

    sa.event.listen(Engine, "before_cursor_execute", seen)
    try:
        started = time.perf_counter()
        create_app(config)
        return reads, time.perf_counter() - started
    finally:
        sa.event.remove(Engine, "before_cursor_execute", seen)


def test_start_up_reads_no_feature_of_a_big_layer(apps):
    big, _ = apps
    config = {
        "TESTING": True,
        "AUTH": "none",
        "DATABASE_URL": big.extensions["geo_service.store"].url,
        "SECRET_KEY": "test-shared-secret",  # a configured PostgreSQL URL needs one
    }
    reads, store_seconds = feature_reads({**config, "LAYER_MEMORY_MAX_FEATURES": 1000})
    held, memory_seconds = feature_reads({**config, "LAYER_MEMORY_MAX_FEATURES": 10**7})
    assert reads == [] and len(held) >= 1
    print(f"start-up {store_seconds:.2f} s (store) vs {memory_seconds:.2f} s (memory)")


def test_the_items_page_of_a_big_layer_pages_on(apps):
    big, _ = apps
    page = get(big, f"{ITEMS}?f=html&limit=20&bbox={BBOX}").get_data(as_text=True)
    assert "数据库分页" in page and "下一页" in page and "cursor=" in page
    assert "gen-" in page and "None" not in page


def test_a_store_only_layer_is_listed_once_the_store_has_it(tmp_path):
    app = create_app({"TESTING": True, **dbs(tmp_path), "AUTH": "none"})
    catalog, store = app.extensions["geo_service.catalog"], app.extensions["geo_service.store"]
    assert LAYER_ID not in catalog.layers and LAYER_ID in catalog.pending
    get(app, f"/collections/{LAYER_ID}", 404)
    generate(store, catalog, 40, 3)  # as the command does, from another process
    assert catalog.refresh(store) == [LAYER_ID]
    served = get(app, f"/collections/{LAYER_ID}/items?limit=50").get_json()
    assert served["numberMatched"] == 40 and not catalog.get(LAYER_ID).in_store
    assert LAYER_ID in [c["id"] for c in get(app, "/collections").get_json()["collections"]]


def test_a_small_box_looks_its_rows_up_by_rowid(tmp_path):
    """SQLite: a small box's candidates are looked up by the R*Tree's rowids and sorted, not
    found by walking the version's primary key in seq order and testing every row against
    the list (store.big._unindexed: 141 ms against 1 ms on 10^6 rows). The plan of the
    statement the items page really sends, asked of a real SQLite store on either pass (a
    SQLite planner's choice: PostGIS uses its GiST index)."""
    config = {
        "TESTING": True,
        **dbs(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite'}",
        "LAYER_MEMORY_MAX_FEATURES": 1000,
    }
    maker = create_app({**config, "LAYER_MEMORY_MAX_FEATURES": 10**7})
    store, catalog = maker.extensions["geo_service.store"], maker.extensions["geo_service.catalog"]
    generate(store, catalog, COUNT, 7)
    big = create_app(config)
    engine = big.extensions["geo_service.store"].engine
    assert engine.dialect.name == "sqlite"
    sent = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if "layer_features.rowid IN" in statement:
            sent.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        small_box = "109.0,32.69,109.01,32.70"
        features = get(big, f"{ITEMS}?limit=50&bbox={small_box}").get_json()["features"]
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)
    assert features and sent, "the small box did not take the R*Tree's rowids"
    statement, parameters = sent[0]
    with engine.connect() as db:
        plan = db.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    details = " | ".join(str(row[-1]) for row in plan)
    assert "INTEGER PRIMARY KEY (rowid=?)" in details, details
    assert "autoindex" not in details, details
