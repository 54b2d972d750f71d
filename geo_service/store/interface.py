"""The store's interface: what the rest of the service may ask of the database.

One Protocol, implemented today on SQLite through SQLAlchemy Core (``store.sql.SqlStore``)
and by issue 14 on PostgreSQL/PostGIS. Nothing above it writes SQL. Layer versions are
immutable: a change is a new version, ``current`` only moves forward (a revert is a new
version equal to an old one).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sqlalchemy import Engine


@dataclass(frozen=True)
class LayerVersion:
    """One version of one layer, as ``GET /collections/{id}/versions`` will show it."""

    layer_id: str
    number: int
    created_at: str
    user: str
    message: str
    source_name: str
    source_sha256: str
    feature_count: int
    content_sha256: str
    changes: dict

    def to_dict(self) -> dict:
        return asdict(self)


class Store(Protocol):
    """Layers and their versions, the check register, actual figures, accounts, audit.

    The register (``land.register.Register``), the actual figures
    (``analysis.actuals.ActualsStore``), the accounts and audit log (``auth.store.AuthStore``)
    and the check jobs (``land.jobs``) query ``engine`` with SQLAlchemy Core on
    ``store.schema``'s tables only: portable statements with bound parameters, nothing a
    dialect adds (no ``INSERT OR ...``, no PRAGMA, no ``LIMIT -1``), so they run unchanged on
    the PostgreSQL store of issue 14. A worker process opens its own store from ``url``.
    """

    url: str
    #: The SQLAlchemy engine of the database (one per process).
    engine: Engine

    def schema_version(self) -> int:
        """The database's schema version (migrations applied)."""
        ...

    # layers and versions ---------------------------------------------------------------

    def layer_ids(self) -> list[str]: ...

    def current_numbers(self) -> dict[str, int]:
        """Every layer's current version number (one cheap query: asked per request)."""
        ...

    def current_version(self, layer_id: str) -> LayerVersion | None:
        """The version served, or None for a layer the store has never seen."""
        ...

    def versions(self, layer_id: str) -> list[LayerVersion]:
        """Every version of the layer, oldest first."""
        ...

    def version(self, layer_id: str, number: int) -> LayerVersion:
        """One version; NotFound (404, naming the versions there are) otherwise."""
        ...

    def features(self, layer_id: str, number: int | None = None) -> list[dict]:
        """The GeoJSON features of a version (the current one when None), in stored order."""
        ...

    def add_version(
        self,
        layer_id: str,
        features: list[dict],
        *,
        user: str,
        message: str,
        source_name: str,
        source_sha256: str,
        based_on: int | None = None,
    ) -> LayerVersion:
        """Write a new version atomically and make it current; its changes are against the
        version current before. With ``based_on``, Conflict (409) unless that version is
        still current (optimistic concurrency: two writers never both win)."""
        ...

    # big layers, a page at a time (store/big.py: keyset paging, spatial index) ---------

    def layer_summary(self, layer_id: str, number: int):
        """The version's count, extent, property types, schematic flag (``big.LayerSummary``),
        written with the version; None for none."""
        ...

    def feature_candidates(self, layer_id: str, number: int, bbox, after: int, limit: int):
        """Up to ``limit`` rows (``big.FeatureRecord``) with ``seq > after`` in seq order whose
        bounding box meets ``bbox`` (all when None): candidates for an exact test."""
        ...

    def feature_record(self, layer_id: str, number: int, fid: str):
        """The row of one feature of the version, None when it has none of that id."""
        ...

    # the other tables -----------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Rows per table (checks, check_parcels, actuals, users, audit, ...)."""
        ...

    def table_digest(self, table: str) -> str:
        """SHA-256 over a table's rows in primary-key order: equal content, equal digest
        (what the migration test compares with the legacy files)."""
        ...
