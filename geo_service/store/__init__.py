"""One database behind one interface: layers with versions, register, actuals, accounts, audit.

``open_store(url)`` gives the ``Store`` (``store.interface``) at an SQLAlchemy URL, migrated
to the current schema. Today's implementation is ``store.sql.SqlStore`` on SQLite (WAL);
issue 14 adds PostgreSQL/PostGIS behind the same interface. See docs/store-plan.md.
"""

from __future__ import annotations

from pathlib import Path

from geo_service.store.engine import default_url
from geo_service.store.interface import LayerVersion, Store

__all__ = ["LayerVersion", "Store", "default_url", "open_store", "shared_store", "store_url"]

#: The store of each URL opened by ``shared_store``, per process (a child never uses its
#: parent's: the key holds the pid).
_shared: dict[tuple[int, str], Store] = {}


def store_url(configured: str, data_dir: Path, layers_dir: Path | None = None) -> str:
    """DATABASE_URL when set, else the SQLite file ``geo_service.sqlite`` in ``data_dir``
    (``layers_dir``: the app's layers, for the PostGIS test pass's templates only)."""
    if configured and configured.strip():
        return configured.strip()
    return default_url(data_dir, layers_dir)


def open_store(url: str) -> Store:
    from geo_service.store.sql import SqlStore

    return SqlStore(url)


def shared_store(url: str) -> Store:
    """The store at ``url`` for this process, opened once: what a worker process uses for
    every job it runs, and what an object pickled into a worker (``Register``) reopens."""
    import os

    key = (os.getpid(), url)
    store = _shared.get(key)
    if store is None:
        store = _shared[key] = open_store(url)
    return store
