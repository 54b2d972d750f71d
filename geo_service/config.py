"""Configuration: embedded defaults, then an instance file, then ``GEO_SERVICE_*`` variables.

Each later source wins. Values from the environment are parsed as JSON when they can be
(``GEO_SERVICE_BASEMAPS='["osm"]'``), otherwise taken as strings (Flask's convention).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

DEFAULTS = {
    # Where the layer files and catalog.toml live.
    "LAYERS_DIR": str(REPO_ROOT / "layers"),
    # Optional basemaps, any of "tianditu", "osm", "gaode"; none by default (offline).
    "BASEMAPS": [],
    # 天地图 key (tk); the tianditu basemap is offered only when this is set.
    "TIANDITU_KEY": "",
    # 审图号 as 天地图 states it for its service (shown in the attribution when set).
    "TIANDITU_MAP_APPROVAL": "",
    # OGC API items paging.
    "ITEMS_DEFAULT_LIMIT": 100,
    "ITEMS_MAX_LIMIT": 10000,
    # Display simplification tolerance for the map (degrees, topology-preserving).
    "DISPLAY_TOLERANCE_DEG": 0.0015,
    "DISPLAY_DECIMALS": 5,
    # The map draws a layer with more features than this from its vector tiles
    # (/collections/{id}/tiles) instead of embedding it in the page (the offline file embeds all).
    "MAP_TILES_ABOVE_FEATURES": 5000,
    # A vector tile meeting more features than this (counted on the spatial index, up to this
    # many plus one) is an overview tile instead: the features counted per cell of a 16 x 16
    # grid, drawn as shaded cells saying to zoom in (README "Vector tiles"). 1 to 1,000,000.
    "TILE_MAX_FEATURES": 20_000,
    # The one database (SQLAlchemy URL): layers and their versions, the check register and
    # jobs, actual figures, users, tokens, audit log. Empty: the SQLite file geo_service.sqlite
    # beside AUTH_DB, else CHECKS_DB, else ACTUALS_DB when set, else in instance/data/.
    # See docs/store-plan.md.
    "DATABASE_URL": "",
    # How often a request asks the database whether another process wrote a layer version
    # (seconds; 0: every request). A write in this process is served at once.
    "LAYER_REFRESH_SECONDS": 1.0,
    # A layer whose version has more features than this is served from the database a page
    # at a time (keyset paging, spatial index), not held in memory (README: big layers).
    "LAYER_MEMORY_MAX_FEATURES": 20_000,
    # Legacy files imported into the database at start when it has none of their kind yet,
    # then renamed *.imported: the register (default instance/data/checks.sqlite) and the
    # actual figures (default instance/data/actuals.sqlite). AUTH_DB below likewise.
    "CHECKS_DB": "",
    "ACTUALS_DB": "",
    # Land checks: upload caps, how long POST /api/checks waits before answering 202 with
    # progress, worker processes.
    "MAX_CONTENT_LENGTH": 50 * 1024 * 1024,
    "MAX_UNPACKED_BYTES": 200 * 1024 * 1024,
    "CHECK_SYNC_SECONDS": 20,
    "CHECK_WORKERS": 2,
    # Caps on one uploaded file (a 422 names the cap and its value when one is passed).
    "MAX_PARCELS": 100_000,
    "MAX_VERTICES_PER_PARCEL": 20_000,
    "MAX_VERTICES": 5_000_000,
    "MAX_JSON_DEPTH": 64,
    # Heavy work: checks waiting beyond the running ones, and concurrent Chromium renders
    # (PNG/PDF) with how many may wait in line (45 s at most). Past a bound: 503 with
    # Retry-After at once, never a hang.
    "MAX_QUEUED_CHECKS": 8,
    "MAX_RENDERS": 2,
    "MAX_RENDER_WAITING": 8,
    # Checks of more parcels than this are stored without their parcel list in the document:
    # GET /api/checks/{id} gives the summary and a link to the paged parcels.
    "CHECK_INLINE_PARCELS": 1000,
    # Big checks (README "Big checks"): a GeoPackage of more parcels than BIG_CHECK_PARCELS
    # (0: none) is read BIG_CHECK_CHUNK parcels at a time and checked on a dask cluster
    # (a LocalCluster of BIG_CHECK_WORKERS threads, or worker processes when
    # BIG_CHECK_PROCESSES; or the cluster at DASK_SCHEDULER_ADDRESS), its parcels
    # stored as compressed blocks; it may hold up to BIG_CHECK_MAX_PARCELS parcels and
    # BIG_CHECK_MAX_VERTICES vertices in an upload of up to BIG_CHECK_MAX_BYTES.
    "BIG_CHECK_PARCELS": 100_000,
    "BIG_CHECK_MAX_PARCELS": 1_000_000,
    "BIG_CHECK_MAX_VERTICES": 50_000_000,
    "BIG_CHECK_MAX_BYTES": 512 * 1024 * 1024,
    "BIG_CHECK_CHUNK": 50_000,
    "BIG_CHECK_WORKERS": 2,
    "BIG_CHECK_PROCESSES": False,
    "DASK_SCHEDULER_ADDRESS": "",
    # The shared job queue (README "Several servers"): a server holds a running job under a
    # lease it renews; a job whose server died is run again by another once its lease ran
    # out, at most JOB_MAX_ATTEMPTS times. Servers look for waiting jobs every
    # JOB_POLL_SECONDS. JOB_START_DELAY_SECONDS (tests, demos; default 0) makes every
    # check this server runs wait so long before reading its file.
    "JOB_LEASE_SECONDS": 30.0,
    "JOB_MAX_ATTEMPTS": 3,
    "JOB_POLL_SECONDS": 1.0,
    "JOB_START_DELAY_SECONDS": 0.0,
    # A check worker process holding more than this many MB above its start after a job
    # (freed memory the allocators keep, after a big check) is replaced by a fresh one.
    "CHECK_WORKER_MAX_HELD_MB": 64.0,
    # Re-checks of the register against a zones version: at most this many checks and
    # parcels per re-check (a 413 says so and how to narrow the choice).
    "RECHECK_MAX_CHECKS": 5000,
    "RECHECK_MAX_PARCELS": 200_000,
    # An area change (inside the zones, or a zone's overlap) up to this many m² is reported as
    # no change; a status change always is one. At least 0.01 (the register's rounding).
    "RECHECK_TOLERANCE_M2": 0.01,
    # Accounts (see README "Accounts and roles"): "local" (users and tokens in the database;
    # AUTH_DB: the legacy accounts file to import, its folder keeps the secret_key file),
    # "proxy" (trust PROXY_USER_HEADER from TRUSTED_PROXIES only), "none" (loopback only).
    "AUTH": "local",
    "PUBLIC_READ": True,
    "AUTH_DB": "",
    "SECRET_KEY": "",
    "SESSION_HOURS": 12,
    "PROXY_USER_HEADER": "X-Remote-User",
    "TRUSTED_PROXIES": ["127.0.0.1", "::1"],
    # AUTH="local" behind a balancer that terminates TLS: read X-Forwarded-For/-Proto/-Host
    # from TRUSTED_PROXIES (always read under AUTH="proxy", never under AUTH="none").
    "FORWARDED_HEADERS": False,
    # Security headers: who may frame the pages (CSP frame-ancestors).
    "FRAME_ANCESTORS": "'none'",
    # Host names the service answers to (empty: any; with AUTH="none": loopback names only).
    "ALLOWED_HOSTS": [],
    # Headless Chromium for PNG/PDF snapshots (found on PATH when empty).
    "CHROMIUM_PATH": "",
    # Times are stored in UTC and shown in this IANA zone (report, check page, XLSX, register).
    "TIME_ZONE": "Asia/Shanghai",
    # The check report's signature block: the unit's name (单位; blank: a line to fill in),
    # the roles who sign (the first is pre-filled with the account that ran the check), each
    # with 签字 and 日期 lines. Environment: GEO_SERVICE_REPORT_SIGNATURES='["检查人","审核人"]'
    # or a comma-separated list.
    "REPORT_ORG": "",
    "REPORT_SIGNATURES": ["检查人", "审核人"],
    # serve
    "HOST": "127.0.0.1",
    "PORT": 8000,
    "THREADS": 32,
}

BASEMAP_CHOICES = ("tianditu", "osm", "gaode")


def load_config(app, overrides: dict | None) -> None:
    """Fill ``app.config`` in order: defaults, instance/config.toml, environment, overrides."""
    from geo_service.errors import ConfigError

    app.config.update(DEFAULTS)
    app.config.from_file("config.toml", load=tomllib.load, text=False, silent=True)
    app.config.from_prefixed_env("GEO_SERVICE")
    if overrides:
        app.config.update(overrides)
    basemaps = app.config["BASEMAPS"]
    if isinstance(basemaps, str):
        basemaps = [b.strip() for b in basemaps.split(",") if b.strip()]
    unknown = sorted(set(basemaps) - set(BASEMAP_CHOICES))
    if unknown:
        raise ConfigError(
            "config.unknown_basemap",
            unknown=", ".join(unknown)[:200],
            choices=", ".join(BASEMAP_CHOICES),
        )
    if "tianditu" in basemaps and not app.config["TIANDITU_KEY"]:
        raise ConfigError("config.tianditu_needs_key")
    app.config["BASEMAPS"] = basemaps
    app.config["LAYERS_DIR"] = Path(app.config["LAYERS_DIR"])
    app.config["LAYER_REFRESH_SECONDS"] = refresh_seconds(app.config["LAYER_REFRESH_SECONDS"])
    app.config["TILE_MAX_FEATURES"] = tile_max_features(app.config["TILE_MAX_FEATURES"])
    check_auth_config(app.config)
    check_report_config(app.config)


def refresh_seconds(value) -> float:
    """LAYER_REFRESH_SECONDS as a number of seconds from 0 to 3600, else a ConfigError."""
    from geo_service.errors import ConfigError

    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = float("nan")
    if isinstance(value, bool) or not 0 <= seconds <= 3600:
        raise ConfigError("config.bad_refresh_seconds", value=str(value)[:40])
    return seconds


#: The largest TILE_MAX_FEATURES: a tile of a million features is already minutes of work.
MAX_TILE_FEATURES = 1_000_000


def tile_max_features(value) -> int:
    """TILE_MAX_FEATURES as a whole number from 1 to MAX_TILE_FEATURES, else a ConfigError."""
    from geo_service.errors import ConfigError

    try:
        number = int(str(value).strip().replace("_", ""))
    except ValueError:
        number = 0
    if isinstance(value, bool | float) or not 1 <= number <= MAX_TILE_FEATURES:
        raise ConfigError(
            "config.bad_tile_max_features", value=str(value)[:40], most=MAX_TILE_FEATURES
        )
    return number


#: Bounds on the signature block: roles, and characters of a role or the unit's name.
MAX_SIGNATURES = 8
MAX_LABEL_CHARS = 40
MAX_ORG_CHARS = 100


def check_report_config(config) -> None:
    """TIME_ZONE must be a zone zoneinfo knows; the signature block's texts bounded."""
    from geo_service.clock import time_zone
    from geo_service.errors import ConfigError

    name = str(config.get("TIME_ZONE") or "").strip()
    try:
        time_zone(name)
    except ValueError:
        raise ConfigError("config.unknown_time_zone", name=name) from None
    config["TIME_ZONE"] = name
    roles = config.get("REPORT_SIGNATURES")
    if isinstance(roles, str):
        roles = [r.strip() for r in roles.replace("，", ",").split(",")]
    if not isinstance(roles, list | tuple) or not all(isinstance(r, str) for r in roles):
        raise ConfigError("config.signatures_not_list")
    roles = [r.strip() for r in roles if r.strip()]
    if len(roles) > MAX_SIGNATURES or any(len(r) > MAX_LABEL_CHARS for r in roles):
        raise ConfigError("config.signatures_too_many", roles=MAX_SIGNATURES, chars=MAX_LABEL_CHARS)
    config["REPORT_SIGNATURES"] = roles
    org = str(config.get("REPORT_ORG") or "").strip()
    if len(org) > MAX_ORG_CHARS:
        raise ConfigError("config.org_too_long", chars=MAX_ORG_CHARS)
    config["REPORT_ORG"] = org


def check_auth_config(config) -> None:
    """AUTH must be a known mode; "none" only on loopback; cookies as a browser expects."""
    from datetime import timedelta

    from geo_service.auth import AUTH_MODES
    from geo_service.errors import ConfigError

    if config["AUTH"] not in AUTH_MODES:
        raise ConfigError(
            "config.unknown_auth", auth=repr(config["AUTH"])[:100], choices=", ".join(AUTH_MODES)
        )
    if config["AUTH"] == "none" and config["HOST"] not in ("127.0.0.1", "::1", "localhost"):
        raise ConfigError("config.auth_none_not_loopback", host=repr(config["HOST"])[:100])
    for key in ("TRUSTED_PROXIES", "ALLOWED_HOSTS"):
        if isinstance(config[key], str):
            config[key] = [p.strip() for p in config[key].split(",") if p.strip()]
    for key in ("PUBLIC_READ", "FORWARDED_HEADERS"):
        config[key] = config[key] in (True, 1, "1", "true", "True", "yes")
    config["SESSION_COOKIE_NAME"] = "geo_service_session"
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=float(config["SESSION_HOURS"]))


def reads_forwarded(config) -> bool:
    """Whether this configuration takes X-Forwarded-* from TRUSTED_PROXIES at all."""
    if config["AUTH"] == "proxy":
        return True
    return config["AUTH"] == "local" and bool(config["FORWARDED_HEADERS"])
