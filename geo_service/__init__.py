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
    from geo_service.land.jobs import Jobs, Slots
    from geo_service.land.register import Register
    from geo_service.store import open_store, store_url
    from geo_service.web.http import BodyCache, LocalisingJSON

    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(REPO_ROOT / "templates"),
        static_folder=None,  # served by geo_service.web.assets (gzip, ETag)
    )
    load_config(app, config)
    app.json = LocalisingJSON(app)
    data_dir = Path(app.instance_path) / "data"
    auth_db = Path(app.config["AUTH_DB"] or data_dir / "auth.sqlite")
    app.extensions["geo_service.auth"] = AuthStore(auth_db)
    app.secret_key = secret_key(app.config["SECRET_KEY"], auth_db.parent / "secret_key")
    store = open_store(store_url(app.config["DATABASE_URL"], auth_db.parent))
    app.extensions["geo_service.store"] = store
    app.extensions["geo_service.catalog"] = load_catalog(app.config["LAYERS_DIR"], store)
    app.extensions["geo_service.bodies"] = BodyCache()
    checks_db = app.config["CHECKS_DB"] or Path(app.instance_path) / "data" / "checks.sqlite"
    inline = int(app.config["CHECK_INLINE_PARCELS"])
    app.extensions["geo_service.register"] = Register(Path(checks_db), inline)
    app.extensions["geo_service.jobs"] = Jobs(
        Path(checks_db), app.config["CHECK_WORKERS"], app.config["MAX_QUEUED_CHECKS"], inline
    )
    app.extensions["geo_service.renders"] = Slots(
        app.config["MAX_RENDERS"], app.config["MAX_RENDER_WAITING"]
    )
    actuals_db = app.config["ACTUALS_DB"] or Path(app.instance_path) / "data" / "actuals.sqlite"
    app.extensions["geo_service.actuals"] = ActualsStore(Path(actuals_db))
    app.extensions["geo_service.targets"] = load_targets(app.config["LAYERS_DIR"])
    web.register(app)
    return app


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
