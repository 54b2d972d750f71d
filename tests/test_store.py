"""The store (geo_service/store): one database behind DATABASE_URL, layers with versions,
today's SQLite files imported with nothing lost. Real SQLite files, the real app, no mocks."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys

import pytest

from geo_service import create_app
from geo_service.catalog import load_catalog
from geo_service.config import REPO_ROOT
from geo_service.errors import ConfigError
from geo_service.store import default_url, open_store
from geo_service.store.engine import SCHEMA_VERSION
from geo_service.store.features import feature_hash
from geo_service.store.legacy import import_legacy

sys.path[:0] = [str(REPO_ROOT / "tests")]
from legacy_files import fill_legacy_files, legacy_facts, rows_digest  # noqa: E402

LAYERS = REPO_ROOT / "layers"


def config(folder, **more) -> dict:
    return {
        "TESTING": True,
        "AUTH": "none",
        "AUTH_DB": str(folder / "auth.sqlite"),
        "CHECKS_DB": str(folder / "checks.sqlite"),
        "ACTUALS_DB": str(folder / "actuals.sqlite"),
        **more,
    }


def test_first_start_makes_each_repo_file_version_1_and_serves_it_unchanged(tmp_path):
    app = create_app(config(tmp_path))
    store = app.extensions["geo_service.store"]
    assert store.url == default_url(tmp_path)  # the PostGIS pass: this folder's own database
    on_sqlite = store.url == f"sqlite:///{tmp_path.resolve() / 'geo_service.sqlite'}"
    assert on_sqlite or store.url.startswith("postgresql+psycopg://")
    assert store.schema_version() == SCHEMA_VERSION
    served = app.extensions["geo_service.catalog"]
    from_files = load_catalog(LAYERS)
    assert served.dataset_hash == from_files.dataset_hash  # same ETags as before the store
    for layer in served.layers.values():
        path = LAYERS / layer.file
        version = store.current_version(layer.id)
        assert (version.number, layer.version) == (1, 1)
        assert version.user == "system" and version.source_name == layer.file
        assert version.source_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        written = json.loads(path.read_text(encoding="utf-8"))["features"]
        assert version.feature_count == len(written)
        assert version.changes == {
            "added": [f["id"] for f in written],
            "removed": [],
            "changed": [],
        }
        # the very JSON text of the file's features, read back through the database
        assert json.dumps(layer.features, ensure_ascii=False) == json.dumps(
            written, ensure_ascii=False
        )
    if on_sqlite:
        assert (tmp_path / "geo_service.sqlite").stat().st_mode & 0o777 == 0o600
        with sqlite3.connect(tmp_path / "geo_service.sqlite") as raw:
            assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            version = raw.execute("SELECT max(version) FROM schema_version").fetchone()[0]
            assert version == SCHEMA_VERSION
    # a second start finds the versions and writes nothing
    again = create_app(config(tmp_path))
    assert again.extensions["geo_service.store"].counts() == store.counts()


def test_a_new_version_is_served_by_the_next_start(tmp_path):
    url = f"sqlite:///{tmp_path / 'elsewhere' / 'plan.sqlite'}"
    app = create_app(config(tmp_path, DATABASE_URL=url))
    assert (tmp_path / "elsewhere" / "plan.sqlite").is_file()
    assert not (tmp_path / "geo_service.sqlite").exists()
    store = app.extensions["geo_service.store"]
    zones = [dict(f) for f in store.features("zones")]
    grown = json.loads(json.dumps(zones[0]))
    grown["properties"]["precision"] = "surveyed"
    new = {**zones[1], "id": "new-park"}
    version = store.add_version(
        "zones",
        [grown, *zones[2:], new],
        user="planner1",
        message="测试：新版本",
        source_name="zones-2026.gpkg",
        source_sha256="ab" * 32,
    )
    assert version.number == 2 and version.feature_count == len(zones)
    assert version.changes == {
        "added": ["new-park"],
        "removed": [zones[1]["id"]],
        "changed": [zones[0]["id"]],
    }
    assert [v.number for v in store.versions("zones")] == [1, 2]
    assert store.features("zones", 1) == zones  # version 1 is kept as it was
    served = create_app(config(tmp_path, DATABASE_URL=url)).extensions["geo_service.catalog"]
    layer = served.get("zones")
    assert (layer.version, layer.sha256) == (2, version.content_sha256)  # what is served
    assert layer.feature(zones[0]["id"])["properties"]["precision"] == "surveyed"
    assert [feature_hash(f) for f in layer.features] == [
        feature_hash(f) for f in [grown, *zones[2:], new]
    ]


def test_a_version_that_is_not_there_is_a_404_naming_those_that_are(tmp_path):
    store = create_app(config(tmp_path)).extensions["geo_service.store"]
    from geo_service.errors import NotFound

    with pytest.raises(NotFound) as caught:
        store.version("zones", 7)
    assert "1–1" in caught.value.message


def test_a_database_url_that_is_not_one_stops_start_up(tmp_path):
    with pytest.raises(ConfigError) as caught:
        create_app(config(tmp_path, DATABASE_URL="not a url://x"))
    assert "DATABASE_URL" in caught.value.message


def test_a_database_newer_than_the_code_stops_start_up(tmp_path):
    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    open_store(url)
    with sqlite3.connect(tmp_path / "s.sqlite") as raw:
        raw.execute("INSERT INTO schema_version VALUES (99, '2030-01-01', 'from the future')")
    with pytest.raises(ConfigError) as caught:
        open_store(url)
    assert "99" in caught.value.message


# migration of an existing install --------------------------------------------------------


def test_an_existing_install_is_imported_with_nothing_lost(tmp_path):
    fill_legacy_files(tmp_path)
    before = legacy_facts(tmp_path)
    assert before["checks"][0] == 3 and before["check_parcels"][0] == 21
    assert before["actuals"][0] > 50 and before["audit"][0] == 3 and before["tokens"][0] == 1
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    files = {k: tmp_path / f"{k}.sqlite" for k in ("checks", "actuals", "auth")}
    report = import_legacy(store, files)
    assert [r["skipped"] for r in report] == [False, False, False]
    with sqlite3.connect(tmp_path / "store.sqlite") as raw:
        after = {target: rows_digest(raw, target) for target in before}
    assert after == before
    counts = store.counts()
    assert all(counts[t] == n for t, (n, _) in before.items())
    # a second run finds the same files imported and copies nothing
    assert [r["skipped"] for r in import_legacy(store, files)] == [True, True, True]
    assert store.counts() == counts
    # the old files still open as before (the service reads them until the switch)
    with sqlite3.connect(tmp_path / "checks.sqlite") as raw:
        assert raw.execute("SELECT count(*) FROM checks").fetchone()[0] == 3


def test_an_import_that_clashes_keeps_nothing_of_that_file(tmp_path):
    fill_legacy_files(tmp_path)
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    import_legacy(store, {"auth": tmp_path / "auth.sqlite"})
    counts = store.counts()
    from legacy_files import OldAuthStore

    OldAuthStore(tmp_path / "auth.sqlite").record("admin", "::1", "POST /x", "x", 200)
    with pytest.raises(ConfigError) as caught:  # the same users again, plus one audit row
        import_legacy(store, {"auth": tmp_path / "auth.sqlite"})
    assert "auth.sqlite" in caught.value.message and "冲突" in caught.value.message
    assert store.counts() == counts


def test_a_file_that_is_not_a_database_is_refused_by_name(tmp_path):
    (tmp_path / "actuals.sqlite").write_bytes(b"not sqlite at all" * 100)
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    with pytest.raises(ConfigError) as caught:
        import_legacy(store, {"actuals": tmp_path / "actuals.sqlite"})
    assert "actuals.sqlite" in caught.value.message and "不是 SQLite" in caught.value.message
    assert store.counts()["actuals"] == 0


def test_the_command_line_lists_versions_and_imports_the_old_files(tmp_path):
    import os
    import subprocess

    fill_legacy_files(tmp_path)
    env = {
        **os.environ,
        "GEO_SERVICE_AUTH": "none",
        "GEO_SERVICE_AUTH_DB": str(tmp_path / "auth.sqlite"),
        "GEO_SERVICE_CHECKS_DB": str(tmp_path / "checks.sqlite"),
        "GEO_SERVICE_ACTUALS_DB": str(tmp_path / "actuals.sqlite"),
    }

    def run(action: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "geo_service", "store", action],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    imported = run("import-legacy")  # start-up imports them; the command says so
    assert "已导入 checks.sqlite：4 张表共" in imported and "行数与校验值一致" in imported
    assert "checks.sqlite 已改名为" in imported and "checks.sqlite.imported" in imported
    assert "没有需要导入的旧数据文件" in run("import-legacy")
    status = run("status")
    assert f"结构版本 {SCHEMA_VERSION}" in status and "zones\t第 1 版\t16 个要素" in status
    store = open_store(default_url(tmp_path))
    assert store.counts()["checks"] == 3 and store.counts()["users"] == 2


def test_the_deploys_file_is_still_checked_and_a_changed_file_is_seen_not_served(tmp_path):
    import shutil

    layers = tmp_path / "layers"
    shutil.copytree(LAYERS, layers)
    create_app(config(tmp_path, LAYERS_DIR=str(layers)))
    path = layers / "zones.geojson"
    changed = json.loads(path.read_text(encoding="utf-8"))
    changed["features"] = changed["features"][:3]
    path.write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8")
    layer = (
        create_app(config(tmp_path, LAYERS_DIR=str(layers)))
        .extensions["geo_service.catalog"]
        .get("zones")
    )
    assert len(layer.features) == 16 and layer.version == 1  # the store's version is served
    assert layer.file_sha256 == hashlib.sha256(path.read_bytes()).hexdigest() != layer.sha256
    path.unlink()
    from geo_service.errors import CatalogError

    with pytest.raises(CatalogError):  # a deploy without the file fails as before
        create_app(config(tmp_path, LAYERS_DIR=str(layers)))
