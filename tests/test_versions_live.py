"""A new layer version is served at once: by the process that wrote it (commit_version) and
by another process on the same database (the per-request refresh), with new bodies and
ETags; a write based on a version no longer current is refused (409) and changes nothing."""

from __future__ import annotations

import copy

import pytest

from geo_service import create_app
from geo_service.errors import Conflict, InputError
from geo_service.versions import commit_version


def config(folder) -> dict:
    return {
        "TESTING": True,
        "AUTH": "none",
        "AUTH_DB": str(folder / "auth.sqlite"),
        "CHECKS_DB": str(folder / "checks.sqlite"),
        "ACTUALS_DB": str(folder / "actuals.sqlite"),
    }


def renamed(features: list[dict], name: str) -> list[dict]:
    changed = copy.deepcopy(features)
    changed[0]["properties"]["name"] = name
    return changed


def write(app, features, based_on):
    ext = app.extensions
    return commit_version(
        ext["geo_service.store"],
        ext["geo_service.catalog"],
        "zones",
        features,
        user="tester",
        message="改名",
        source_name="test",
        source_sha256="0" * 64,
        based_on=based_on,
    )


def test_a_committed_version_is_served_at_once_here_and_by_another_process(tmp_path):
    reader_config = {**config(tmp_path), "LAYER_REFRESH_SECONDS": 0}  # asks every request
    writer, reader = create_app(config(tmp_path)), create_app(reader_config)
    web, other = writer.test_client(), reader.test_client()
    first = web.get("/collections/zones/items/" + _first_id(writer))
    seen_by_other = other.get(first.request.path)
    assert first.headers["ETag"] == seen_by_other.headers["ETag"]
    features = writer.extensions["geo_service.catalog"].get("zones").features

    version = write(writer, renamed(features, "新名称 <b>"), based_on=1)

    assert version.number == 2 and version.changes["changed"] == [features[0]["id"]]
    for client in (web, other):
        answer = client.get(first.request.path, headers={"If-None-Match": first.headers["ETag"]})
        assert answer.status_code == 200, "the old ETag must not match the new version"
        assert answer.get_json()["properties"]["name"] == "新名称 <b>"
        assert answer.headers["ETag"] != first.headers["ETag"]
    assert reader.extensions["geo_service.catalog"].get("zones").version == 2


def test_a_write_based_on_an_old_version_is_refused_and_keeps_the_current_one(tmp_path):
    app = create_app(config(tmp_path))
    features = app.extensions["geo_service.catalog"].get("zones").features
    write(app, renamed(features, "甲"), based_on=1)
    with pytest.raises(Conflict) as refused:
        write(app, renamed(features, "乙"), based_on=1)
    assert refused.value.status == 409 and "第 2 版" in refused.value.message
    served = app.extensions["geo_service.catalog"].get("zones")
    assert served.version == 2 and served.features[0]["properties"]["name"] == "甲"


def test_features_that_would_break_the_layer_are_refused_before_anything_is_written(tmp_path):
    app = create_app(config(tmp_path))
    features = copy.deepcopy(app.extensions["geo_service.catalog"].get("zones").features)
    del features[0]["properties"]["source"]
    with pytest.raises(InputError) as refused:
        write(app, features, based_on=1)
    assert refused.value.status == 422 and "source" in refused.value.message
    assert app.extensions["geo_service.store"].current_version("zones").number == 1


def _first_id(app) -> str:
    return app.extensions["geo_service.catalog"].get("zones").features[0]["id"]
