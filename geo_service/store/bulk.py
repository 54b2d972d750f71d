"""A whole layer version written from batches (a generated 10^6-feature layer): the same
rows, hashes, changes and summary as ``SqlStore.add_version``, in one transaction, without
ever holding every feature (each batch is written, then dropped).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from sqlalchemy import Engine, select

from geo_service.errors import Conflict
from geo_service.store import schema
from geo_service.store.big import SummaryBuilder, box_values
from geo_service.store.engine import now
from geo_service.store.features import FeatureRow, diff


def write_version(
    engine: Engine,
    layer_id: str,
    batches: Iterable[list[tuple[FeatureRow, dict]]],
    *,
    user: str,
    message: str,
    source_name: str,
    source_sha256: str,
) -> int:
    """Write ``batches`` of (row, properties) as the layer's next version and make it
    current; its number. Another writer meanwhile: Conflict (409), nothing written."""
    v, f, layer = schema.layer_versions, schema.layer_features, schema.layers
    with engine.begin() as db:
        current = db.execute(select(layer.c.current).where(layer.c.id == layer_id)).scalar()
        number = (current or 0) + 1
        db.execute(
            v.insert().values(
                layer_id=layer_id,
                number=number,
                created_at=now(),
                user=user,
                message=message,
                source_name=source_name,
                source_sha256=source_sha256,
                feature_count=0,
                content_sha256="",
                changes="{}",
            )
        )
        content, builder, after, seq = hashlib.sha256(), SummaryBuilder(), {}, 0
        for batch in batches:
            values = []
            for row, properties in batch:
                content.update(row.sha256.encode("ascii"))
                builder.add(properties, row.bounds)
                after[row.fid] = row.sha256
                values.append(
                    {
                        "layer_id": layer_id,
                        "version": number,
                        "seq": seq,
                        "fid": row.fid,
                        "geometry": row.geometry,
                        "properties": row.properties,
                        "sha256": row.sha256,
                        **box_values(row.bounds),
                    }
                )
                seq += 1
            if values:
                db.execute(f.insert(), values)
        before = {}
        if current is not None:
            query = select(f.c.fid, f.c.sha256).where(
                f.c.layer_id == layer_id, f.c.version == current
            )
            before = dict(db.execute(query).all())
        changes = diff(before, after)
        db.execute(
            v.update()
            .where(v.c.layer_id == layer_id, v.c.number == number)
            .values(
                feature_count=seq,
                content_sha256=content.hexdigest(),
                changes=json.dumps(changes, ensure_ascii=False),
            )
        )
        db.execute(schema.layer_summaries.insert().values(builder.row(layer_id, number)))
        if current is None:
            db.execute(layer.insert().values(id=layer_id, current=number))
        else:
            moved = db.execute(
                layer.update()
                .where(layer.c.id == layer_id, layer.c.current == current)
                .values(current=number)
            )
            if moved.rowcount != 1:
                raise Conflict(
                    "store.version_moved", collection=layer_id, current=current, based_on=current
                )
    return number
