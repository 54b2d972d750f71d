"""geo_service: Ankang's industrial zones and clusters on a map (安康市县域工业集中区与产业集群)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from geo_service.config import REPO_ROOT, load_config


def create_app(config: dict | None = None) -> Flask:
    """The one app factory: configuration, catalog, caches and blueprints."""
    from geo_service import web
    from geo_service.analysis.actuals import ActualsStore
    from geo_service.analysis.targets import load_targets
    from geo_service.auth.store import AuthStore
    from geo_service.catalog import load_catalog
    from geo_service.land.jobs import Jobs, Slots, queue_settings
    from geo_service.land.register import Register
    from geo_service.layer_source import memory_limit
    from geo_service.store import open_store, store_url
    from geo_service.store.legacy import upgrade_install
    from geo_service.web.http import BodyCache, LocalisingJSON

    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(REPO_ROOT / "templates"),
        static_folder=None,  # served by geo_service.web.assets (gzip, ETag)
    )
    load_config(app, config)
    app.json = LocalisingJSON(app)
    auth_db = legacy_files(app)["auth"]  # its folder keeps the secret key, as before
    auth_db.parent.mkdir(parents=True, exist_ok=True)
    data = data_folder(app)
    url = store_url(app.config["DATABASE_URL"], data, app.config["LAYERS_DIR"])
    shared_secret(app.config["SECRET_KEY"], app.config["DATABASE_URL"])
    app.secret_key = secret_key(app.config["SECRET_KEY"], auth_db.parent / "secret_key")
    store = open_store(url)
    app.extensions["geo_service.store"] = store
    app.extensions["geo_service.legacy"] = upgrade_install(store, legacy_files(app))
    app.extensions["geo_service.auth"] = AuthStore(store)
    memory_max = memory_limit(app.config["LAYER_MEMORY_MAX_FEATURES"])
    app.extensions["geo_service.catalog"] = load_catalog(
        app.config["LAYERS_DIR"], store, memory_max
    )
    app.extensions["geo_service.bodies"] = BodyCache()
    inline = int(app.config["CHECK_INLINE_PARCELS"])
    app.extensions["geo_service.register"] = Register(store, inline)
    app.extensions["geo_service.jobs"] = Jobs(
        store,
        app.config["CHECK_WORKERS"],
        app.config["MAX_QUEUED_CHECKS"],
        inline,
        queue_settings(app.config),
    )
    app.extensions["geo_service.renders"] = Slots(
        app.config["MAX_RENDERS"], app.config["MAX_RENDER_WAITING"]
    )
    app.extensions["geo_service.actuals"] = ActualsStore(store)
    app.extensions["geo_service.targets"] = load_targets(app.config["LAYERS_DIR"])
    web.register(app)
    return app


def data_folder(app: Flask) -> Path:
    """Where the default store (``geo_service.sqlite``) and the upload spool live: the folder
    of AUTH_DB, else of CHECKS_DB, else of ACTUALS_DB when one is set (so a test or an
    install that points them at a folder gets its own store there), else instance/data."""
    for key in ("AUTH_DB", "CHECKS_DB", "ACTUALS_DB"):
        if app.config[key]:
            return Path(app.config[key]).parent
    return Path(app.instance_path) / "data"


def legacy_files(app: Flask) -> dict[str, Path]:
    """The files an install kept before the store (CHECKS_DB, ACTUALS_DB, AUTH_DB or their
    defaults in ``instance/data/``): imported at start when their kind is still empty."""
    data = Path(app.instance_path) / "data"
    return {
        "checks": Path(app.config["CHECKS_DB"] or data / "checks.sqlite"),
        "actuals": Path(app.config["ACTUALS_DB"] or data / "actuals.sqlite"),
        "auth": Path(app.config["AUTH_DB"] or data / "auth.sqlite"),
    }


def shared_secret(configured: str, url: str) -> None:
    """A configured DATABASE_URL other than an SQLite file is shared by several servers: they
    must all sign sessions with the one SECRET_KEY from their configuration, never a key made
    here. (An empty DATABASE_URL is this install's own file, or a PostGIS test database.)"""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from geo_service.errors import ConfigError
    from geo_service.store.engine import redacted

    if not str(url or "").strip():
        return
    try:
        backend = make_url(url.strip()).get_backend_name()
    except ArgumentError:
        return  # open_store says what is wrong with the URL
    if backend != "sqlite" and not str(configured or "").strip():
        raise ConfigError("config.secret_key_shared", url=redacted(url))


def secret_key(configured: str, path: Path) -> str:
    """The key that signs session cookies: SECRET_KEY, else one made once and kept in
    ``path`` (next to the accounts database, readable by the service only) so that every
    process of this installation shares it."""
    if configured:
        return configured
    import os
    import secrets

    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(48)
    scratch = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key)
    try:
        os.link(scratch, path)  # atomic: a process starting at the same time reads a whole key
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
    finally:
        scratch.unlink()
    return key
