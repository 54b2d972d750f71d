"""The store on SQLAlchemy Core: SQLite by default, any dialect SQLAlchemy speaks in principle.

Only portable Core constructs are used (select/insert/update with bound parameters); what
SQLite needs besides (WAL, foreign keys) is set on the connection in ``store.engine``.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import Connection, Engine, String, Table, func, select
from sqlalchemy.exc import IntegrityError

from geo_service.errors import Conflict, NotFound
from geo_service.store import big, schema
from geo_service.store import features as rows
from geo_service.store.engine import migrate, now, open_engine
from geo_service.store.geometry import Geometry
from geo_service.store.interface import LayerVersion

#: The largest value of an Integer column (PostgreSQL's is 32-bit).
INT32_MAX = 2**31 - 1
#: Features written per INSERT batch.
BATCH = 1000


def version_of(row) -> LayerVersion:
    return LayerVersion(
        layer_id=row.layer_id,
        number=row.number,
        created_at=row.created_at,
        user=row.user,
        message=row.message,
        source_name=row.source_name,
        source_sha256=row.source_sha256,
        feature_count=row.feature_count,
        content_sha256=row.content_sha256,
        changes=json.loads(row.changes),
    )


class SqlStore:
    """The store at ``url``, migrated to the current schema when opened."""

    def __init__(self, url: str):
        self.url = url
        self.engine: Engine = open_engine(url)
        self._schema = migrate(self.engine)

    def schema_version(self) -> int:
        return self._schema

    # layers ----------------------------------------------------------------------------

    def layer_ids(self) -> list[str]:
        with self.engine.connect() as db:
            return list(
                db.execute(select(schema.layers.c.id).order_by(schema.layers.c.id)).scalars()
            )

    def current_numbers(self) -> dict[str, int]:
        with self.engine.connect() as db:
            return dict(db.execute(select(schema.layers.c.id, schema.layers.c.current)).all())

    def current_version(self, layer_id: str) -> LayerVersion | None:
        v, layer = schema.layer_versions, schema.layers
        query = (
            select(v)
            .join(layer, (layer.c.id == v.c.layer_id) & (layer.c.current == v.c.number))
            .where(layer.c.id == layer_id)
        )
        with self.engine.connect() as db:
            row = db.execute(query).first()
        return None if row is None else version_of(row)

    def versions(self, layer_id: str) -> list[LayerVersion]:
        v = schema.layer_versions
        with self.engine.connect() as db:
            found = db.execute(select(v).where(v.c.layer_id == layer_id).order_by(v.c.number))
            return [version_of(row) for row in found]

    def version(self, layer_id: str, number: int) -> LayerVersion:
        v = schema.layer_versions
        query = select(v).where(v.c.layer_id == layer_id, v.c.number == int(number))
        row = None
        if 0 < int(number) <= INT32_MAX:  # an Integer column on every backend
            with self.engine.connect() as db:
                row = db.execute(query).first()
        if row is None:
            current = self.current_version(layer_id)
            raise NotFound(
                "store.no_version",
                collection=layer_id[:64],
                version=str(number)[:20],
                current=current.number if current else 0,
            )
        return version_of(row)

    def features(self, layer_id: str, number: int | None = None) -> list[dict]:
        if number is None:
            current = self.current_version(layer_id)
            if current is None:
                raise NotFound("catalog.no_collection", collection=layer_id[:200], known="")
            number = current.number
        else:
            self.version(layer_id, number)
        f = schema.layer_features
        query = (
            select(f.c.fid, f.c.geometry, f.c.properties)
            .where(f.c.layer_id == layer_id, f.c.version == number)
            .order_by(f.c.seq)
        )
        with self.engine.connect() as db:
            return [rows.from_row(*row) for row in db.execute(query)]

    def feature_hashes(self, layer_id: str, number: int) -> dict[str, str]:
        f = schema.layer_features
        query = select(f.c.fid, f.c.sha256).where(f.c.layer_id == layer_id, f.c.version == number)
        with self.engine.connect() as db:
            return {fid: sha for fid, sha in db.execute(query)}

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
        try:
            return self._add_version(
                layer_id, features, user, message, source_name, source_sha256, based_on
            )
        except IntegrityError:  # another writer took the same number first
            current = self.current_version(layer_id)
            raise Conflict(
                "store.version_moved",
                collection=layer_id,
                current=current.number if current else 0,
                based_on=based_on if based_on is not None else "?",
            ) from None

    def _add_version(
        self, layer_id, features, user, message, source_name, source_sha256, based_on
    ) -> LayerVersion:
        written = [rows.to_row(feature) for feature in features]
        v, f, layer = schema.layer_versions, schema.layer_features, schema.layers
        with self.engine.begin() as db:
            current = db.execute(select(layer.c.current).where(layer.c.id == layer_id)).scalar()
            if based_on is not None and (current or 0) != based_on:
                raise Conflict(
                    "store.version_moved",
                    collection=layer_id,
                    current=current or 0,
                    based_on=based_on,
                )
            before = {}
            if current is not None:
                query = select(f.c.fid, f.c.sha256).where(
                    f.c.layer_id == layer_id, f.c.version == current
                )
                before = {fid: sha for fid, sha in db.execute(query)}
            number = (current or 0) + 1
            changes = rows.diff(before, {r.fid: r.sha256 for r in written})
            db.execute(
                v.insert().values(
                    layer_id=layer_id,
                    number=number,
                    created_at=now(),
                    user=user,
                    message=message,
                    source_name=source_name,
                    source_sha256=source_sha256,
                    feature_count=len(written),
                    content_sha256=rows.content_hash([r.sha256 for r in written]),
                    changes=json.dumps(changes, ensure_ascii=False),
                )
            )
            for start in range(0, len(written), BATCH):
                db.execute(
                    f.insert(),
                    [
                        {
                            "layer_id": layer_id,
                            "version": number,
                            "seq": start + i,
                            "fid": r.fid,
                            "geometry": r.geometry,
                            "properties": r.properties,
                            "sha256": r.sha256,
                            **big.box_values(r.bounds),
                        }
                        for i, r in enumerate(written[start : start + BATCH])
                    ],
                )
            db.execute(
                schema.layer_summaries.insert().values(
                    big.summary_row(layer_id, number, features, written)
                )
            )
            if current is None:
                db.execute(layer.insert().values(id=layer_id, current=number))
            else:
                moved = db.execute(
                    layer.update()
                    .where(layer.c.id == layer_id, layer.c.current == current)
                    .values(current=number)
                )
                if moved.rowcount != 1:
                    raise IntegrityError("layers.current moved", None, Exception("raced"))
        return self.version(layer_id, number)

    # big layers, a page at a time (store/big.py) -------------------------------------

    def layer_summary(self, layer_id: str, number: int) -> big.LayerSummary | None:
        return big.summary(self.engine, layer_id, number)

    def feature_candidates(
        self, layer_id: str, number: int, bbox, after: int, limit: int
    ) -> list[big.FeatureRecord]:
        return big.candidates(self.engine, layer_id, number, bbox, after, limit)

    def feature_record(self, layer_id: str, number: int, fid: str) -> big.FeatureRecord | None:
        return big.feature_record(self.engine, layer_id, number, fid)

    # the other tables -----------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as db:
            return {
                name: db.execute(select(func.count()).select_from(table)).scalar()
                for name, table in schema.metadata.tables.items()
            }

    def table_digest(self, table: str) -> str:
        with self.engine.connect() as db:
            return digest_rows(db, schema.metadata.tables[table])


def digest_rows(db: Connection, table: Table) -> str:
    """SHA-256 over ``table``'s rows (JSON of each, bytes as hex) in primary-key order (all
    columns but geometries without one); text ordered by code point on every backend, as
    SQLite does, so equal rows give equal digests on SQLite and PostgreSQL."""
    order = list(table.primary_key.columns) or [
        c for c in table.columns if not isinstance(c.type, Geometry)
    ]
    if db.dialect.name == "postgresql":
        order = [c.collate("C") if isinstance(c.type, String) else c for c in order]
    digest = hashlib.sha256()
    query = select(table).order_by(*order).execution_options(yield_per=BATCH)
    for row in db.execute(query):
        values = [v.hex() if isinstance(v, bytes) else v for v in row]
        digest.update(json.dumps(values, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()
