"""Issue 14 seen by a hostile user (the PostGIS store, tiles, store-served layers, big checks):
each test a payload that once got through, kept so that it stays refused."""

from __future__ import annotations

import contextlib
import gzip
import math
import subprocess
import sys
from pathlib import Path

import pytest

from geo_service.errors import ConfigError
from geo_service.store.engine import open_engine, redacted

SECRET = "S3cretPW"
ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql+psycopg://u:{SECRET}@127.0.0.1:1/x",
        f"postgresql+psycopg://u@127.0.0.1:1/x?password={SECRET}",
        f"postgresql+psycopg:///x?host=127.0.0.1&user=u&PassWord={SECRET}",
        f"postgresql+psycopg://u@127.0.0.1:1/x?sslpassword={SECRET}",
        f"postgresql+psycopg://u:{SECRET}@127.0.0.1:1:2/x",
        f"postgresql://u:{SECRET}@[::1",
        f"postgresql://u:{SECRET}@h/x?password={SECRET}&password={SECRET}",
    ],
)
def test_a_password_in_a_database_url_is_never_shown(url):
    assert SECRET not in redacted(url)


@pytest.mark.parametrize(
    "url",
    [f"postgresql+psycopg://u:{SECRET}@127.0.0.1:1:2/x", f"postgresql://u:{SECRET}@[::1"],
)
def test_a_database_url_with_a_bad_port_is_a_config_error_without_its_password(url):
    with pytest.raises(ConfigError) as caught:
        open_engine(url)
    assert SECRET not in str(caught.value) and "DATABASE_URL" in str(caught.value)


def test_db_upgrade_prints_no_password_given_in_the_query():
    url = f"postgresql+psycopg://u@127.0.0.1:1/x?password={SECRET}"
    done = subprocess.run(
        [sys.executable, "-m", "geo_service", "db", "upgrade", "--url", url],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    out = done.stdout + done.stderr
    assert done.returncode != 0 and "无法连接数据库" in out, out[-500:]
    assert SECRET not in out and "Traceback" not in out


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "geo_service", *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
    )


def foreign_database(path: Path) -> None:
    """Someone else's SQLite database: a ``layers`` table of its own and a row to keep."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE layers (x INTEGER)")
        db.execute("CREATE TABLE other (y TEXT)")
        db.execute("INSERT INTO other VALUES ('keep me')")
        db.commit()


def tables_of(path: Path) -> list:
    import sqlite3

    with contextlib.closing(sqlite3.connect(path)) as db:
        names = db.execute("SELECT name FROM sqlite_master ORDER BY name").fetchall()
        return [names, db.execute("SELECT y FROM other").fetchall()]


def test_db_copy_onto_someone_elses_database_is_refused_and_leaves_it_alone(tmp_path):
    source, target = tmp_path / "source.sqlite", tmp_path / "target.sqlite"
    assert run_cli("db", "upgrade", "--url", f"sqlite:///{source}").returncode == 0
    foreign_database(target)
    before = tables_of(target)
    done = run_cli("db", "copy", f"sqlite:///{source}", f"sqlite:///{target}")
    out = done.stdout + done.stderr
    assert done.returncode != 0 and "Traceback" not in out, out[-800:]
    assert "不属于本服务" in out and "layers" in out, out[-800:]
    assert tables_of(target) == before


def test_db_upgrade_of_someone_elses_database_is_refused_and_leaves_it_alone(tmp_path):
    target = tmp_path / "theirs.sqlite"
    foreign_database(target)
    before = tables_of(target)
    done = run_cli("db", "upgrade", "--url", f"sqlite:///{target}")
    out = done.stdout + done.stderr
    assert done.returncode != 0 and "不属于本服务" in out and "Traceback" not in out, out[-800:]
    assert tables_of(target) == before


def test_a_file_that_is_not_a_database_is_a_message_not_a_traceback(tmp_path):
    target = tmp_path / "notes.sqlite"
    target.write_bytes(b"not a database " * 100)
    done = run_cli("db", "upgrade", "--url", f"sqlite:///{target}")
    out = done.stdout + done.stderr
    assert done.returncode != 0 and "Traceback" not in out, out[-800:]
    assert "file is not a database" in out and target.read_bytes().startswith(b"not a db"[:4])


@pytest.mark.parametrize("refusal", ["gzip;q=0", "*;q=0", "gzip;q=0, *", "GZIP;Q=0"])
def test_a_client_refusing_gzip_gets_no_gzip(client, refusal):
    # Accept-Encoding with q=0 is "not acceptable" (RFC 9110 12.5.3): the raw bytes, never gzip
    n, lon, lat = 2**8, 109.03, 32.69
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    for url in (
        f"/collections/counties/tiles/WebMercatorQuad/8/{y}/{x}",
        "/collections/counties/items",
    ):
        wanted = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert wanted.headers.get("Content-Encoding") == "gzip", url
        refused = client.get(url, headers={"Accept-Encoding": refusal})
        assert refused.status_code == 200 and "Content-Encoding" not in refused.headers, url
        assert refused.data == gzip.decompress(wanted.data)


def test_a_nul_in_a_login_name_is_refused_and_audited_on_either_backend(tmp_path):
    """PostgreSQL's text holds no NUL: the refused login is still a 4xx and its audit row is
    written, the NUL shown as ␀ (schemathesis found a 500 in the PostGIS pass)."""
    import re

    from conftest import dbs

    from geo_service import create_app

    app = create_app({"TESTING": True, **dbs(tmp_path), "AUTH": "local"})
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post(
        "/login", data={"name": "ad\x00min", "password": "x\x00y", "csrf_token": token}
    )
    assert 400 <= answer.status_code < 500, answer.status_code
    rows = app.extensions["geo_service.auth"].audit(limit=5)
    assert any("ad\u2400min" in row["user"] for row in rows), rows
