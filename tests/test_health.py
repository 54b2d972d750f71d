"""Health checks for load balancers (web/health.py): open to anyone, 503 with Retry-After in
the one error shape when the store does not answer or the server is still warming; and a
database that goes away under any request is a 503 in Chinese, never a 500, with nothing
stored damaged.

The store going away is real: PostgreSQL refusing connections to the app's database
(``ALLOW_CONNECTIONS false`` and its sessions ended), on the PostGIS pass's cluster or one
test_store_postgis' fixtures start; skipped without PostgreSQL (fails under GEO_SERVICE_CI=1).
"""

from __future__ import annotations

import time

from conftest import dbs
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from test_store_postgis import pg_admin, pg_url  # noqa: F401 - fixtures

from geo_service import create_app
from geo_service.generated_parcels import LAYER_ID, generate
from geo_service.tiles.service import SEED_ZOOMS, of_app, warm_in_background


def test_alive_and_ready_answer_anyone_uncached(tmp_path):
    app = create_app({"TESTING": True, **dbs(tmp_path), "AUTH": "local", "PUBLIC_READ": False})
    client = app.test_client()
    assert client.get("/collections").status_code == 401  # not public: the map needs a login
    for url in ("/api/health", "/api/health/ready"):
        answer = client.get(url)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        assert answer.json["status"] == answer.json["store"] == "ok"
        assert answer.json["backend"] == app.extensions["geo_service.store"].engine.dialect.name
        assert answer.headers["Cache-Control"] == "no-store"
    assert client.get("/api/health/ready").json["ready"] is True


def test_ready_waits_for_warming(tmp_path):
    """A big store-served layer: ready is a 503 (Retry-After: 1, in Chinese) while warming
    reads its boxes and makes its first tiles, 200 once they are made; alive is 200 all along."""
    config = {"TESTING": True, **dbs(tmp_path), "LAYER_MEMORY_MAX_FEATURES": 1000}
    maker = create_app({**config, "LAYER_MEMORY_MAX_FEATURES": 10**7})
    generate(
        maker.extensions["geo_service.store"], maker.extensions["geo_service.catalog"], 2500, 3
    )
    app = create_app({**config, "TILE_MAX_FEATURES": 300})
    client = app.test_client()
    service = of_app(app)
    service.warming.set()  # as warm_in_background does before its thread starts
    answer = client.get("/api/health/ready", headers={"Accept-Language": "zh-CN"})
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "1"
    assert answer.json["error"]["code"] == "busy" and "正在" in answer.json["error"]["message"]
    assert client.get("/api/health").status_code == 200
    service.warming.clear()
    warm_in_background(app).join(60)
    assert client.get("/api/health/ready").status_code == 200
    assert not service.warming.is_set() and len(service._tiles) > 0
    layer = app.extensions["geo_service.catalog"].get(LAYER_ID)
    assert {key for key in service._layers if key[0] == LAYER_ID} and SEED_ZOOMS[0] == 9
    assert layer.in_store


def allow_connections(admin_url: str, database: str, allowed: bool) -> None:
    """ALTER DATABASE ... ALLOW_CONNECTIONS; when refused, end the sessions already open."""
    engine = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as db:
            db.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(allowed)}'))
            if not allowed:
                db.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": database},
                )
    finally:
        engine.dispose()


def test_a_database_gone_away_is_a_503_in_chinese_then_served_again(
    pg_admin,  # noqa: F811
    pg_url,  # noqa: F811
    tmp_path,
    caplog,
):
    app = create_app(
        {"TESTING": True, **dbs(tmp_path), "DATABASE_URL": pg_url, "SECRET_KEY": "shared-secret"}
    )
    client = app.test_client()
    items = "/collections/zones/items?limit=5"
    before = client.get(items)
    assert before.status_code == 200 and client.get("/api/health").status_code == 200
    database = make_url(pg_url).database
    allow_connections(pg_admin, database, False)
    caplog.set_level("ERROR", logger="geo_service")
    try:
        started = time.monotonic()
        health = client.get("/api/health", headers={"Accept-Language": "zh-CN"})
        assert health.status_code == 503 and health.headers["Retry-After"] == "5"
        message = health.json["error"]["message"]
        assert "数据库暂时无法连接" in message and "127.0.0.1" not in message, message
        assert time.monotonic() - started < 15
        # layers held in memory are still served; what needs the store is a 503, in words
        assert client.get(items).json["features"] == before.json["features"]
        square = [[[109.0, 32.7], [109.01, 32.7], [109.01, 32.71], [109.0, 32.7]]]
        feature = {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": square},
            "properties": {"name": "测试区"},
        }
        edit = client.post("/collections/zones/items", json=feature)
        for answer in (client.get("/api/checks"), client.get("/api/audit"), edit):
            assert answer.status_code == 503, answer.get_data(as_text=True)[:300]
            assert answer.json["error"]["code"] == "busy"
            assert "数据库暂时无法连接" in answer.json["error"]["message"]
        assert "audit line not stored" in caplog.text  # the refused write, in the log
    finally:
        allow_connections(pg_admin, database, True)
    assert client.get("/api/health").status_code == 200
    after = client.get(items)
    assert after.status_code == 200 and after.json["features"] == before.json["features"]
    assert client.get("/api/checks").status_code == 200
