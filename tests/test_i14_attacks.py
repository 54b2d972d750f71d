"""Issue 14 seen by a hostile user (the PostGIS store, tiles, store-served layers, big checks):
each test a payload that once got through, kept so that it stays refused."""

from __future__ import annotations

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
