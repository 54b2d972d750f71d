"""The store on PostgreSQL/PostGIS: geometry columns with SRIDs and GiST indexes, the same
bytes and digests as on SQLite, migrations applied once by servers starting together.

Real PostgreSQL: the PostGIS pass's cluster, else one this module starts itself (so these run
in the SQLite pass too). No PostgreSQL installed: skipped, which fails under GEO_SERVICE_CI=1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
import shapely
from sqlalchemy import text

from geo_service.config import REPO_ROOT
from geo_service.errors import ConfigError
from geo_service.land.register import Register
from geo_service.store import open_store, pg_local
from geo_service.store.engine import MIGRATIONS, SCHEMA_VERSION, migrate, open_engine

sys.path[:0] = [str(REPO_ROOT / "tests")]
from land_fixtures import PARCEL_SHAPES, ZONE_SHAPES, collection  # noqa: E402

#: Apps on a configured PostgreSQL URL need the secret every server shares (README).
SHARED_SECRET = {"SECRET_KEY": "test-secret-shared-by-every-server"}


@pytest.fixture(scope="session")
def pg_admin():
    """The admin URL of a running PostGIS cluster."""
    found = pg_local.test_run()
    admin = found[0] if found else os.environ.get(pg_local.ADMIN_VAR, "")
    if admin:  # the PostGIS pass's cluster, or the one CI started
        yield admin
        return
    lacking = pg_local.missing()
    if lacking:
        pytest.skip(f"{lacking} not installed: {pg_local.INSTALL_HINT}")
    # not under pytest's tmp folders: their parent is root's only, the server runs as postgres
    cluster = pg_local.Cluster(Path(tempfile.mkdtemp(prefix="geo_service-pg-"))).start()
    try:
        yield cluster.url()
    finally:
        cluster.destroy()


@pytest.fixture()
def pg_url(pg_admin):
    """A fresh, empty database of its own (dropped after the test)."""
    name = f"gst_t{uuid.uuid4().hex[:12]}"
    pg_local.create_database(pg_admin, name)
    yield pg_local.database_url(pg_admin, name)
    pg_local.drop_databases(pg_admin, name)


def features() -> list[dict]:
    """Features whose geometries test the round trip: 2D, Z, a hole, a collection, none."""
    shapes = [
        shapely.Point(108.123456789012345, 32.98765432101234),
        shapely.Point(108.5, 32.5, 312.25),
        shapely.from_wkt(
            "POLYGON ((108 32, 109 32, 109 33, 108 32), (108.6 32.2, 108.8 32.2, "
            "108.8 32.3, 108.6 32.2))"
        ),  # fmt: skip
        shapely.from_wkt("GEOMETRYCOLLECTION (POINT (108 32), LINESTRING (108 32, 109 33))"),
        shapely.from_wkt("MULTIPOLYGON Z (((108 32 1, 109 32 1, 109 33 2, 108 32 1)))"),
    ]
    made = [
        {
            "type": "Feature",
            "id": f"f{i}",
            "geometry": shapely.geometry.mapping(shape),
            "properties": {"name": f"要素 {i}", "source": "test", "precision": "generated"},
        }
        for i, shape in enumerate(shapes)
    ]
    made.append({"type": "Feature", "id": "none", "geometry": None, "properties": {}})
    return [shapely_free(f) for f in made]


def shapely_free(value):
    """Tuples as lists, as GeoJSON read from a file has them."""
    if isinstance(value, dict):
        return {k: shapely_free(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [shapely_free(v) for v in value]
    return value


def save_check(register: Register) -> str:
    from geo_service.land.readers import read_parcel_file
    from geo_service.land.service import CheckRequest, Upload, run_check
    from geo_service.land.zones import zones_from_file

    zones = zones_from_file(read_parcel_file(collection(ZONE_SHAPES, 36), "z.geojson"), "sha")
    request = CheckRequest(Upload("p.geojson", collection(PARCEL_SHAPES, 36)))
    document, parcels, used = run_check(request, zones, "test")
    document["id"], document["created_at"] = "check-1", "2026-12-01T18:00:00+00:00"
    register.save(document, parcels, used.frame)
    return document["id"]


def test_geometry_columns_have_their_srid_and_a_gist_index(pg_url):
    store = open_store(pg_url)
    assert store.schema_version() == SCHEMA_VERSION
    with store.engine.connect() as db:
        columns = dict(
            db.execute(
                text(
                    "SELECT f_table_name, srid FROM geometry_columns WHERE f_geometry_column = "
                    "'geometry'"
                )  # fmt: skip
            ).all()
        )
        assert columns == {
            "layer_features": 4326,  # CRS84: lon/lat, as PostGIS reads 4326
            "check_parcels": 4490,  # CGCS2000 lon/lat
            "check_zones": 4490,
            "recheck_parcels": 4490,
        }
        gist = db.execute(
            text("SELECT tablename FROM pg_indexes WHERE indexdef LIKE '%USING gist (geometry)%'")
        ).scalars()
        assert sorted(gist) == sorted(columns)
        wrong = text(
            "INSERT INTO check_zones VALUES ('x', 'z', 'n', ST_GeomFromText('POINT(1 2)'))"
        )
        with pytest.raises(Exception, match="check_zones_geometry_srid"):
            db.execute(wrong)  # an SRID other than the column's is refused by the database


def test_bytes_read_back_equal_bytes_written_and_digests_match_sqlite(pg_url, tmp_path):
    sqlite = open_store(f"sqlite:///{tmp_path / 'geo_service.sqlite'}")
    postgis = open_store(pg_url)
    written = features()
    for store in (sqlite, postgis):
        store.add_version(
            "zones", written, user="u", message="m", source_name="s", source_sha256="0"
        )
        assert store.features("zones") == written
        save_check(Register(store))
    for table in ("layer_features", "checks", "check_parcels", "check_zones"):
        assert sqlite.table_digest(table) == postgis.table_digest(table), table
    with postgis.engine.connect() as db:
        kinds = db.execute(
            text(
                "SELECT ST_GeometryType(geometry), ST_SRID(geometry), ST_NDims(geometry) "
                "FROM layer_features ORDER BY seq"
            )  # fmt: skip
        ).all()
        assert kinds[1] == ("ST_Point", 4326, 3) and kinds[-1] == (None, None, None)
        # what PostGIS does with them is right: the register's areas on the CGCS2000 ellipsoid
        area = db.execute(
            text("SELECT sum(ST_Area(geometry::geography)) FROM check_parcels")
        ).scalar()
    assert area > 0


def test_migrate_is_idempotent_and_servers_starting_together_apply_each_step_once(pg_url):
    starts = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from geo_service.store import open_store; "
                "print(open_store(sys.argv[1]).schema_version())",
                pg_url,
            ],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(4)
    ]
    for process in starts:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert out.strip() == str(SCHEMA_VERSION)
    engine = open_engine(pg_url)
    assert migrate(engine) == SCHEMA_VERSION  # once more: nothing to do
    with engine.connect() as db:
        steps = db.execute(text("SELECT version FROM schema_version ORDER BY version")).scalars()
        assert list(steps) == sorted(n for n, _, _ in MIGRATIONS)
        assert db.execute(text("SELECT count(*) FROM pg_extension WHERE extname = 'postgis'"))
    engine.dispose()


def test_a_step_not_recorded_is_applied_even_below_the_highest(tmp_path):
    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    engine = open_engine(url)
    migrate(engine)
    with engine.begin() as db:  # as if step 2 landed after step 3 had been applied
        db.execute(text("DROP TABLE recheck_parcels"))
        db.execute(text("DROP TABLE rechecks"))
        db.execute(text("DELETE FROM schema_version WHERE version = 2"))
    assert migrate(engine) == SCHEMA_VERSION
    with engine.connect() as db:
        assert db.execute(text("SELECT count(*) FROM rechecks")).scalar() == 0
        assert db.execute(text("SELECT count(*) FROM schema_version")).scalar() == len(MIGRATIONS)


def test_a_database_without_postgis_names_what_the_dba_must_run(pg_admin, pg_url):
    from sqlalchemy.engine import make_url

    role = f"gst_plain_{uuid.uuid4().hex[:8]}"
    engine = open_engine(pg_url)
    with engine.connect() as db:  # a role that may not create extensions
        db.execute(text(f"CREATE ROLE {role} LOGIN"))
        db.commit()
    plain = make_url(pg_url).set(username=role).render_as_string(hide_password=False)
    try:
        with pytest.raises(ConfigError) as caught:
            open_store(plain)
        assert "CREATE EXTENSION postgis" in caught.value.message
        assert "postgresql-15-postgis-3" in caught.value.message
    finally:
        with engine.connect() as db:
            db.execute(text(f"DROP OWNED BY {role}"))
            db.execute(text(f"DROP ROLE {role}"))
            db.commit()
        engine.dispose()


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "geo_service", *args],
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def filled_sqlite_install(folder: Path) -> tuple[str, dict]:
    """A SQLite store with real rows in every kind of table: the legacy files' checks,
    actuals, users, token, audit imported at start, a second zones version, a re-check."""
    from legacy_files import fill_legacy_files

    from geo_service import create_app
    from geo_service.store.rechecks import RecheckRecords

    written = fill_legacy_files(folder)
    url = f"sqlite:///{folder / 'install.sqlite'}"
    app = create_app({**dbs(folder), "AUTH": "local", "DATABASE_URL": url, **SHARED_SECRET})
    store = app.extensions["geo_service.store"]
    zones = store.features("zones")
    changed = json.loads(json.dumps(zones))
    changed[0]["properties"]["name"] = "改过的园区"
    store.add_version("zones", changed, user="planner1", message="改名", source_name="e",
                      source_sha256="0")  # fmt: skip
    records = RecheckRecords(store.engine)
    records.create(
        {
            "id": "re-1", "created_at": "2026-12-01T18:00:00+00:00",
            "updated_at": "2026-12-01T18:00:00+00:00", "user": "规划员", "client_addr": "::1",
            "owner": "x", "status": "done", "stage": "done", "done": 1, "total": 1,
            "zones_layer": "zones", "zones_version": 2, "zones_sha256": "ab" * 32,
            "selection": {"checks": "all"}, "summary": {"changed": 1},
        }
    )  # fmt: skip
    parcel = {
        "check_id": written["checks"][0]["id"],
        "parcel_id": "地块 1",
        "before": {"status": "inside"},
        "after": {"status": "partial"},
        "change_m2": 12.5,
    }
    records.add_parcels("re-1", 0, [parcel], [shapely.to_wkb(shapely.Point(109.0, 32.7))])
    app.extensions["geo_service.auth"].record("admin", "::1", "POST /x", "x", 200)
    return url, written


def dbs(folder: Path) -> dict:
    return {
        "TESTING": True,
        "AUTH_DB": str(folder / "auth.sqlite"),
        "CHECKS_DB": str(folder / "checks.sqlite"),
        "ACTUALS_DB": str(folder / "actuals.sqlite"),
    }


def test_db_copy_moves_an_install_to_postgis_with_nothing_lost(pg_url, tmp_path):
    from legacy_files import ADMIN_PASSWORD
    from test_store_upgrade import login

    from geo_service import create_app

    source, written = filled_sqlite_install(tmp_path)
    before = open_store(source)
    counts = before.counts()
    assert all(counts[t] for t in ("checks", "check_parcels", "check_zones", "layer_versions",
               "users", "tokens", "audit", "actuals", "rechecks", "recheck_parcels"))  # fmt: skip
    done = run_cli("db", "copy", source, pg_url)
    assert done.returncode == 0, done.stderr
    for table in ("checks", "check_parcels", "users", "audit", "recheck_parcels"):
        line = next(x for x in done.stdout.splitlines() if x.strip().startswith(f"{table}："))
        assert f"{counts[table]} 行 → {counts[table]} 行" in line and "一致" in line, line
    assert "每张表的行数与校验值一致" in done.stdout
    after = open_store(pg_url)
    assert after.counts() == counts
    for table in schema_tables():
        assert after.table_digest(table) == before.table_digest(table), table
    # the app on the PostGIS URL serves the same checks and layers, logs in the same users
    old_app = create_app({**dbs(tmp_path), "AUTH": "local", "DATABASE_URL": source})
    new_app = create_app(
        {**dbs(tmp_path), "AUTH": "local", "DATABASE_URL": pg_url, **SHARED_SECRET}
    )
    token = {"Authorization": f"Bearer {written['token']}"}
    old_client, client = old_app.test_client(), new_app.test_client()
    for path in ("/api/checks", f"/api/checks/{written['checks'][1]['id']}",
                 "/collections/zones/items", "/collections/zones/versions"):  # fmt: skip
        assert client.get(path, headers=token).json == old_client.get(path, headers=token).json
    assert (
        client.get("/collections/zones").headers["ETag"]
        == (old_client.get("/collections/zones").headers["ETag"])
    )
    assert login(client, "admin", ADMIN_PASSWORD).status_code == 303
    assert client.get("/api/me").json["user"] == "admin"
    # new rows get new ids after the copied ones (the sequences were moved on)
    new_app.extensions["geo_service.auth"].record("admin", "::1", "POST /y", "y", 200)
    assert after.counts()["audit"] > counts["audit"]
    # a second copy into the now full database is refused, naming a table
    again = run_cli("db", "copy", source, pg_url)
    assert again.returncode == 1 and "不是空的" in again.stderr and "表 " in again.stderr


def schema_tables() -> list[str]:
    from geo_service.store import schema

    return [name for name in schema.metadata.tables if name != "schema_version"]


def test_db_upgrade_migrates_either_backend_and_says_from_what_to_what(pg_url, tmp_path):
    sqlite = f"sqlite:///{tmp_path / 'new.sqlite'}"
    for url in (sqlite, pg_url):
        first = run_cli("db", "upgrade", "--url", url)
        assert first.returncode == 0, first.stderr
        assert f"结构版本 0 → {SCHEMA_VERSION}" in first.stdout
        second = run_cli("db", "upgrade", "--url", url)
        assert f"结构版本 {SCHEMA_VERSION} → {SCHEMA_VERSION}" in second.stdout
    gone = pg_url.rsplit("/", 1)[0] + "/no_such_database"
    failed = run_cli("db", "upgrade", "--url", gone)
    assert failed.returncode == 1 and "无法连接数据库" in failed.stderr
    assert "no_such_database" in failed.stderr


def test_db_copy_of_a_row_postgresql_refuses_names_the_table_and_copies_nothing(pg_url, tmp_path):
    source = f"sqlite:///{tmp_path / 'nul.sqlite'}"
    store = open_store(source)
    from geo_service.store.schema import audit

    # Written past AuthStore (which shows a NUL as ␀ since b755fed), as an older version or
    # another tool could have left it: SQLite takes it, PostgreSQL refuses it.
    with store.engine.begin() as db:
        db.execute(
            audit.insert().values(
                at="2026-01-01T00:00:00",
                user="admin",
                address="::1",
                action="POST /x",
                target="nul\x00byte",
                status=200,
                outcome="ok",
                detail="",
            )
        )
    with store.engine.connect() as db:
        assert "\x00" in db.execute(audit.select()).one().target
    done = run_cli("db", "copy", source, pg_url)
    assert done.returncode == 1
    assert "表 audit" in done.stderr and "未复制任何数据" in done.stderr
    assert sum(open_store(pg_url).counts().values()) == len(MIGRATIONS)  # schema_version only


def test_values_postgresql_refuses_are_4xx_and_store_nothing(pg_url, tmp_path):
    """SQLite takes a NUL in text, a 64-bit integer in INTEGER, any length in VARCHAR(n);
    PostgreSQL refuses them: a lookup is a 404, a write a 400 saying which rule, never 500."""
    import io

    from geo_service import create_app

    app = create_app(
        {
            **dbs(tmp_path),
            "AUTH": "none",
            "DATABASE_URL": pg_url,
            "CHECK_SYNC_SECONDS": 300,
            **SHARED_SECRET,
        }
    )
    client = app.test_client()
    store = app.extensions["geo_service.store"]
    before = store.counts()
    for path in ("/collections/zones/versions/3000000000", "/api/checks/%00abc",
                 "/api/rechecks/x%00"):  # fmt: skip
        answer = client.get(path)
        assert answer.status_code == 404, (path, answer.json)
    assert "NUL" in client.get("/api/checks/%00abc").json["error"]["message"]
    parcel = {
        "type": "Feature",
        "id": "地块\u00001",
        "properties": {"name": "n"},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[109.0, 32.7], [109.001, 32.7], [109.001, 32.701], [109.0, 32.7]]],
        },
    }
    data = json.dumps({"type": "FeatureCollection", "features": [parcel]}).encode()
    answer = client.post("/api/checks", data={"file": (io.BytesIO(data), "p.geojson")})
    error = answer.json.get("error") or {}
    assert error.get("status", answer.status_code) == 400, answer.json
    assert error["message"].startswith("未保存") and "NUL" in error["message"]
    after = store.counts()
    assert (after["checks"], after["check_parcels"]) == (before["checks"], before["check_parcels"])
    from geo_service.auth.store import AuthStore

    # the audit row of a refused login with a 65-character name (found by schemathesis)
    audited = store.counts()["audit"]
    AuthStore(store).record("（尝试 tried）" + "0" * 65, "::1" * 30, "POST accounts.login", "", 401)
    assert store.counts()["audit"] == audited + 1
    with pytest.raises(Exception) as caught:
        AuthStore(store).create_token("nobody" * 20, "x" * 100)
    assert getattr(caught.value, "status", 500) < 500
