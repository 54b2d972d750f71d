"""Health checks for a load balancer or a supervisor (docs/deployment.md): open to anyone,
never cached, nothing in them but states.

``/api/health`` (alive): 200 while this server answers and its store does; 503 in the one
error shape when the store does not (the server itself is fine: do not restart it, wait for
the database). ``/api/health/ready``: also 503 while the server is still warming (reading
the big layers' boxes and making their first tiles at start, tiles.service.warm), so that a
balancer sends visitors to a restarted server only once its first map is fast.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app

from geo_service.errors import Busy
from geo_service.store.engine import first_line, ping
from geo_service.tiles.service import of_app as tile_service

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)

NO_STORE = {"Cache-Control": "no-store"}


def store_state() -> dict:
    """The store's state; Busy (503) when it does not answer (the database's reason goes to
    the log, not to an anonymous caller: it names hosts and ports)."""
    store = current_app.extensions["geo_service.store"]
    failure = ping(store.engine)
    if failure is not None:
        log.warning("health: the store does not answer: %s", first_line(failure))
        raise Busy("store.down", retry_after=5)
    return {"store": "ok", "backend": store.engine.dialect.name}


@bp.get("/api/health")
def alive():
    return {"status": "ok", **store_state()}, 200, NO_STORE


@bp.get("/api/health/ready")
def ready():
    state = store_state()
    if tile_service(current_app).warming.is_set():
        raise Busy("health.warming", retry_after=1)
    return {"status": "ok", **state, "ready": True}, 200, NO_STORE
