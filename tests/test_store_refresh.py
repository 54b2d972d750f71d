"""How a request learns of a layer version another process wrote: it asks the database at
most every LAYER_REFRESH_SECONDS (default 1 s; 0: every request), while a write in this
process is served at once. Two real apps on one SQLite store, the Flask test client."""

from __future__ import annotations

import copy
import time

import pytest

from geo_service import create_app
from geo_service.errors import ConfigError
from geo_service.versions import commit_version


def config(folder, **more) -> dict:
    return {"TESTING": True, "AUTH": "none", "AUTH_DB": str(folder / "auth.sqlite"), **more}


def rename_first_zone(app, name: str) -> None:
    ext = app.extensions
    features = copy.deepcopy(ext["geo_service.catalog"].get("zones").features)
    features[0]["properties"]["name"] = name
    commit_version(
        ext["geo_service.store"],
        ext["geo_service.catalog"],
        "zones",
        features,
        user="tester",
        message="改名",
        source_name="test",
        source_sha256="0" * 64,
        based_on=None,
    )


def first_name(client) -> str:
    return client.get("/collections/zones/items?limit=1").get_json()["features"][0]["properties"][
        "name"
    ]


def test_another_processs_version_is_served_within_the_refresh_interval(tmp_path):
    every = 4.0
    writer = create_app(config(tmp_path))
    reader = create_app(config(tmp_path, LAYER_REFRESH_SECONDS=every))
    web, other = writer.test_client(), reader.test_client()
    old = first_name(other)  # the reader asked the database just now
    asked = time.monotonic()
    rename_first_zone(writer, "新名称")
    assert first_name(web) == "新名称"  # the writing process serves it at once
    if time.monotonic() - asked < every - 0.5:  # (a machine this slow proves nothing here)
        assert first_name(other) == old  # within the interval: no query, the version held
    time.sleep(max(0.0, every - (time.monotonic() - asked)) + 0.1)
    assert first_name(other) == "新名称"  # the next request past it asks, and serves it
    assert reader.extensions["geo_service.catalog"].get("zones").version == 2


def test_zero_asks_on_every_request(tmp_path):
    writer = create_app(config(tmp_path))
    reader = create_app(config(tmp_path, LAYER_REFRESH_SECONDS=0))
    other = reader.test_client()
    first_name(other)
    rename_first_zone(writer, "每次都查")
    assert first_name(other) == "每次都查"


@pytest.mark.parametrize("value", ["soon", -1, 7200, True, float("nan")])
def test_a_refresh_interval_that_is_not_one_stops_start_up(tmp_path, value):
    with pytest.raises(ConfigError) as caught:
        create_app(config(tmp_path, LAYER_REFRESH_SECONDS=value))
    assert caught.value.message.startswith("LAYER_REFRESH_SECONDS=")
    assert "0 到 3600 之间的秒数" in caught.value.message
