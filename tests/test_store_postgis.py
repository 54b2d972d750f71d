"""The store on PostgreSQL/PostGIS: geometry columns with SRIDs and GiST indexes, the same
bytes and digests as on SQLite, migrations applied once by servers starting together.

Real PostgreSQL: the PostGIS pass's cluster, else one this module starts itself (so these run
in the SQLite pass too). No PostgreSQL installed: skipped, which fails under GEO_SERVICE_CI=1.
"""

from __future__ import annotations

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


@pytest.fixture(scope="session")
def pg_admin():
    """The admin URL of a running PostGIS cluster."""
    found = pg_local.test_run()
    if found:
        yield found[0]
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
