"""The store's tables, in portable SQLAlchemy Core types (no dialect's own SQL).

Geometries are WKB in the layer's storage CRS (CRS84 for layers, CGCS2000 lon/lat for the
register): ``store.geometry.Geometry`` is a BLOB on SQLite and a PostGIS ``geometry`` with that
SRID (4326, 4490) on PostgreSQL, read back as the same bytes. JSON documents are text.
Column names follow today's SQLite files so that their rows copy across unchanged (``user``
is quoted by SQLAlchemy where a dialect reserves it).
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from geo_service.store.geometry import LAYER_SRID, REGISTER_SRID, Geometry

metadata = MetaData()

#: One row per migration applied: the database's schema version is the highest.
schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("applied_at", String(32), nullable=False),
    Column("description", Text, nullable=False),
)

# layers --------------------------------------------------------------------------------

#: A layer's versions are immutable; ``current`` names the one served.
layers = Table(
    "layers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("current", Integer, nullable=False),
)
layer_versions = Table(
    "layer_versions",
    metadata,
    Column("layer_id", String(64), nullable=False),
    Column("number", Integer, nullable=False, autoincrement=False),
    Column("created_at", String(32), nullable=False),
    Column("user", String(64), nullable=False),
    Column("message", Text, nullable=False),
    Column("source_name", Text, nullable=False),
    Column("source_sha256", String(64), nullable=False),
    Column("feature_count", Integer, nullable=False),
    #: sha256 over the features' hashes in order: equal content, equal hash.
    Column("content_sha256", String(64), nullable=False),
    #: JSON: {"added": [...], "removed": [...], "changed": [...]} against the previous version.
    Column("changes", Text, nullable=False),
    PrimaryKeyConstraint("layer_id", "number"),
)
layer_features = Table(
    "layer_features",
    metadata,
    Column("layer_id", String(64), nullable=False),
    Column("version", Integer, nullable=False, autoincrement=False),
    Column("seq", Integer, nullable=False, autoincrement=False),
    Column("fid", String(200), nullable=False),
    Column("geometry", Geometry(LAYER_SRID), nullable=True),
    Column("properties", Text, nullable=False),
    #: sha256 of the feature's canonical JSON (sorted keys, no spaces, UTF-8).
    Column("sha256", String(64), nullable=False),
    #: The geometry's bounding box (CRS84; migration 5, store/big.py): big layers' bbox pages.
    Column("minx", Float),
    Column("miny", Float),
    Column("maxx", Float),
    Column("maxy", Float),
    PrimaryKeyConstraint("layer_id", "version", "seq"),
    ForeignKeyConstraint(
        ["layer_id", "version"], ["layer_versions.layer_id", "layer_versions.number"]
    ),
)
Index(
    "layer_features_fid", layer_features.c.layer_id, layer_features.c.version, layer_features.c.fid
)

#: Each version's count, extent, property types and whether a feature is schematic, written
#: with the version (migration 5): a big layer's metadata without reading its features.
layer_summaries = Table(
    "layer_summaries",
    metadata,
    Column("layer_id", String(64), nullable=False),
    Column("number", Integer, nullable=False, autoincrement=False),
    Column("feature_count", Integer, nullable=False),
    Column("minx", Float),
    Column("miny", Float),
    Column("maxx", Float),
    Column("maxy", Float),
    Column("property_types", Text, nullable=False),
    Column("schematic", Integer, nullable=False),
    PrimaryKeyConstraint("layer_id", "number"),
    ForeignKeyConstraint(
        ["layer_id", "number"], ["layer_versions.layer_id", "layer_versions.number"]
    ),
)

#: A cache, not data (migration 7; store/tile_boxes.py): a big version's row boxes and
#: polygon flags as packed arrays, in parts of up to PART_ROWS rows, so that a server's first
#: overfull tile after a start reads a few blobs instead of every row. Derived from
#: layer_features, rebuilt when missing or of another ``format``; ``db copy`` leaves it.
tile_boxes = Table(
    "tile_boxes",
    metadata,
    Column("layer_id", String(64), nullable=False),
    Column("version", Integer, nullable=False, autoincrement=False),
    Column("part", Integer, nullable=False, autoincrement=False),
    Column("format", Integer, nullable=False),
    Column("row_count", Integer, nullable=False),
    Column("boxes", LargeBinary, nullable=False),
    Column("polygons", LargeBinary, nullable=False),
    PrimaryKeyConstraint("layer_id", "version", "part"),
    ForeignKeyConstraint(
        ["layer_id", "version"], ["layer_versions.layer_id", "layer_versions.number"]
    ),
)

# the check register (today's checks.sqlite, schema 2) ------------------------------------

checks = Table(
    "checks",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("created_at", String(32), nullable=False),
    Column("input_name", Text, nullable=False),
    Column("input_sha256", String(64), nullable=False),
    Column("input_format", String(32), nullable=False),
    Column("input_crs", Text, nullable=False),
    Column("zones_source", Text, nullable=False),
    Column("zones_sha256", String(64), nullable=False),
    Column("parameters", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("document", Text, nullable=False),
    Column("user", String(64), nullable=False, server_default=""),
    Column("client_addr", String(64), nullable=False, server_default=""),
)
Index("checks_created", checks.c.created_at)
check_parcels = Table(
    "check_parcels",
    metadata,
    Column("check_id", String(64), nullable=False),
    Column("seq", Integer, nullable=False, autoincrement=False),
    Column("parcel_id", Text, nullable=False),
    Column("status", String(32), nullable=False),
    Column("area_m2", Float),
    Column("area_mu", Float),
    Column("inside_m2", Float),
    Column("outside_m2", Float),
    Column("distance_m", Float),
    Column("crs_used", Text),
    Column("zones", Text, nullable=False),
    Column("warnings", Text, nullable=False),
    Column("geometry", Geometry(REGISTER_SRID), nullable=False),
    Column("record", Text),
    PrimaryKeyConstraint("check_id", "seq"),
    ForeignKeyConstraint(["check_id"], ["checks.id"], ondelete="CASCADE"),
)
check_zones = Table(
    "check_zones",
    metadata,
    Column("check_id", String(64), nullable=False),
    Column("zone_id", Text, nullable=False),
    Column("name", Text),
    Column("geometry", Geometry(REGISTER_SRID), nullable=False),
    ForeignKeyConstraint(["check_id"], ["checks.id"], ondelete="CASCADE"),
)
Index("check_zones_check", check_zones.c.check_id)
jobs = Table(
    "jobs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("status", String(32), nullable=False),
    Column("stage", String(64), nullable=False),
    Column("done", Integer, nullable=False, server_default="0"),
    Column("total", Integer, nullable=False, server_default="0"),
    Column("error", Text),
    Column("user", String(64), nullable=False, server_default=""),
    Column("client_addr", String(64), nullable=False, server_default=""),
    Column("owner", String(64), nullable=False, server_default=""),
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
)
Index("jobs_status", jobs.c.status)

# actual figures (today's actuals.sqlite) ------------------------------------------------

actuals = Table(
    "actuals",
    metadata,
    Column("year", Integer, nullable=False, autoincrement=False),
    Column("subject", String(16), nullable=False),
    Column("id", String(64), nullable=False),
    Column("indicator", String(64), nullable=False),
    Column("value", Float, nullable=False),
    Column("source", Text, nullable=False),
    Column("sample", Integer, nullable=False),
    Column("file_name", Text, nullable=False),
    Column("imported_at", String(32), nullable=False),
    Column("imported_by", String(64), nullable=False, server_default=""),
    PrimaryKeyConstraint("year", "subject", "id", "indicator"),
)
actuals_imports = Table(
    "actuals_imports",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("imported_at", String(32), nullable=False),
    Column("user", String(64), nullable=False),
    Column("address", String(64), nullable=False),
    Column("file_name", Text, nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    sqlite_autoincrement=True,
)

# accounts and the audit log (today's auth.sqlite) ---------------------------------------

users = Table(
    "users",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text, nullable=False, server_default=""),
    Column("disabled", Integer, nullable=False, server_default="0"),
    Column("created_at", String(32), nullable=False),
    Column("changed_at", String(32), nullable=False),
)
tokens = Table(
    "tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user", String(64), nullable=False),
    Column("label", String(64), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("created_at", String(32), nullable=False),
    Column("revoked_at", String(32)),
    Column("last_used_at", String(32)),
    ForeignKeyConstraint(["user"], ["users.name"]),
)
audit = Table(
    "audit",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("user", String(64), nullable=False),
    Column("address", String(64), nullable=False),
    Column("action", String(200), nullable=False),
    Column("target", String(500), nullable=False),
    Column("status", Integer, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("detail", Text, nullable=False),
    sqlite_autoincrement=True,
)
Index("audit_at", audit.c.at)
ended_sessions = Table(
    "ended_sessions",
    metadata,
    Column("sid", String(64), primary_key=True),
    Column("ended_at", String(32), nullable=False),
)

#: Which legacy files were imported (path, their SHA-256, the row counts): imported once.
legacy_imports = Table(
    "legacy_imports",
    metadata,
    Column("kind", String(16), nullable=False),
    Column("path", Text, nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("imported_at", String(32), nullable=False),
    Column("counts", Text, nullable=False),
    PrimaryKeyConstraint("kind", "file_sha256"),
)

# re-checks of the register against a zones version (migration 2; land/recheck.py) --------

#: One re-check: what was asked (selection), against which zones version, its progress while
#: it runs and its counts when done; the checks it re-ran are never touched.
rechecks = Table(
    "rechecks",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("finished_at", String(32)),
    Column("user", String(64), nullable=False, server_default=""),
    Column("client_addr", String(64), nullable=False, server_default=""),
    Column("owner", String(64), nullable=False, server_default=""),
    Column("status", String(32), nullable=False),
    Column("stage", String(64), nullable=False),
    Column("done", Integer, nullable=False, server_default="0"),
    Column("total", Integer, nullable=False, server_default="0"),
    Column("zones_layer", String(64), nullable=False),
    Column("zones_version", Integer, nullable=False),
    Column("zones_sha256", String(64), nullable=False),
    Column("selection", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("error", Text),
)
Index("rechecks_created", rechecks.c.created_at)
#: The parcels whose status, overlap or zones changed (unchanged ones are only counted).
recheck_parcels = Table(
    "recheck_parcels",
    metadata,
    Column("recheck_id", String(64), nullable=False),
    Column("seq", Integer, nullable=False, autoincrement=False),
    Column("check_id", String(64), nullable=False),
    Column("parcel_id", Text, nullable=False),
    Column("before_status", String(32), nullable=False),
    Column("after_status", String(32), nullable=False),
    Column("change_m2", Float, nullable=False),
    Column("geometry", Geometry(REGISTER_SRID), nullable=False),
    Column("record", Text, nullable=False),
    PrimaryKeyConstraint("recheck_id", "seq"),
    ForeignKeyConstraint(["recheck_id"], ["rechecks.id"], ondelete="CASCADE"),
)

# big checks' parcels as compressed blocks (migration 6; land/blocks.py) -----------------

#: A big check's parcels, ``count`` of them from ``first_seq`` on, in one compressed block
#: (ids, attributes, warnings, areas, overlaps, WKB): no row per parcel, nothing derivable.
check_parcel_blocks = Table(
    "check_parcel_blocks",
    metadata,
    Column("check_id", String(64), nullable=False),
    Column("block", Integer, nullable=False, autoincrement=False),
    Column("first_seq", Integer, nullable=False),
    Column("count", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    PrimaryKeyConstraint("check_id", "block"),
    ForeignKeyConstraint(["check_id"], ["checks.id"], ondelete="CASCADE"),
)

# the shared job queue (migration 4; store/queue.py, land/dispatch.py) ---------------------

#: One queued check or re-check (``kind``), shared by every server on the database: waiting
#: (``queued``), held by one server under a lease (``running``: owner, lease token, lease
#: end in epoch seconds, renewed while it runs), then ``done`` or ``failed``. ``spec`` is the
#: job's parameters (JSON); its uploaded bytes are in job_inputs until it ends.
job_queue = Table(
    "job_queue",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("spec", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("owner", String(128), nullable=False, server_default=""),
    Column("lease_token", String(32)),
    Column("lease_until", Float),
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
)
Index("job_queue_state", job_queue.c.state, job_queue.c.created_at)
#: A queued job's uploaded files (``part``: parcels, zones, default_zones), deleted at its end.
job_inputs = Table(
    "job_inputs",
    metadata,
    Column("job_id", String(64), nullable=False),
    Column("part", String(32), nullable=False),
    Column("name", Text, nullable=False),
    Column("data", LargeBinary, nullable=False),
    PrimaryKeyConstraint("job_id", "part"),
    ForeignKeyConstraint(["job_id"], ["job_queue.id"], ondelete="CASCADE"),
)
