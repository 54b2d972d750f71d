"""Checks that outgrow one process: a GeoPackage of 10^5-10^6 parcels on a dask cluster.

A GeoPackage of more than BIG_CHECK_PARCELS parcels is read BIG_CHECK_CHUNK features at a time
(pyogrio ``skip_features``/``max_features``; the feature numbers in messages stay the file's).
Each chunk is validated and checked by the in-process code itself (``prepare_parcels``,
``check_parcels``) on a dask worker (``distributed``: a LocalCluster of BIG_CHECK_WORKERS
processes started for the check and closed after it, or the cluster at
DASK_SCHEDULER_ADDRESS), which returns the chunk's results as one compressed block
(land.blocks). At most two chunks per worker are in flight, so memory does not grow with the
file; blocks wait in a temporary file and go to the register in one transaction at the end
(all or nothing). Progress is written as each chunk finishes.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo_service.errors import GeoServiceError
from geo_service.land import blocks
from geo_service.land.check import check_parcels
from geo_service.land.crs import parse_crs
from geo_service.land.model import ATTRIBUTES_CUT, IN_FILE, note
from geo_service.land.prepare import prepare_parcels
from geo_service.land.readers import guard, sniff
from geo_service.land.readers.caps import check_counts, over_cap
from geo_service.land.readers.ogr import raw_of_frame
from geo_service.messages import record

log = logging.getLogger(__name__)
IN_FLIGHT_PER_WORKER = 2
CLUSTER_TIMEOUT_S = 20
#: The local cluster's workers do not sample their threads' stacks (the profiler that feeds the
#: dashboard: CPU every 10 ms, and source lines it keeps in linecache after the check).
QUIET = {"distributed.worker.profile.enabled": False}


@dataclass
class BigUpload:
    """A GeoPackage upload the big path takes: where it was written, its layer, its size."""

    path: Path
    layer: str
    count: int


@dataclass(frozen=True)
class Spooled:
    """An upload whose bytes went to the big path's file: its name and hash stay."""

    name: str
    sha256: str
    size: int


@contextlib.contextmanager
def plan(request):
    """A BigUpload when ``request``'s parcels are a GeoPackage of more than
    ``big_check_parcels`` features, else None (the in-process path); the file lives until the
    block ends. On the big path ``request.parcels`` becomes a :class:`Spooled` (no bytes)."""
    limits = request.limits
    data = request.parcels.data
    if limits.big_check_parcels <= 0 or sniff(data) != "gpkg":
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="geo_service-big-") as folder:
        path = Path(folder) / "upload.gpkg"
        path.write_bytes(data)
        count, layer = gpkg_size(path, request.parcels.name, request.layer)
        if count is None or count <= limits.big_check_parcels:
            yield None
            return
        if count > limits.big_max_parcels:
            raise over_cap(
                request.parcels.name, layer, "big_max_parcels", count, limits.big_max_parcels
            )
        guard.require_driver(path, guard.GPKG_DRIVER, request.parcels.name)
        request.parcels = Spooled(request.parcels.name, request.parcels.sha256, len(data))
        del data  # the bytes are in the file now: let go of them (10^6 parcels: ~250 MB)
        yield BigUpload(path, layer, count)


def gpkg_size(path: Path, filename: str, layer: str | None) -> tuple[int | None, str]:
    """Features in the layer a check would read (None: not a GeoPackage the guard accepts;
    the in-process path then says what is wrong)."""
    if not guard.is_geopackage(path):
        return None, ""
    try:
        layers = guard.gpkg_layers(path, filename)
        chosen = guard.pick_gpkg_layer(filename, layers, layer, "polygon")
        with guard.readonly(path) as db:
            kind = db.execute("SELECT type FROM sqlite_master WHERE name = ?", (chosen,)).fetchone()
            if not kind or kind[0] != "table":
                return None, chosen
            quoted = '"' + chosen.replace('"', '""') + '"'
            (rows,) = db.execute(f"SELECT count(*) FROM {quoted}").fetchone()
    except GeoServiceError:
        return None, ""
    return int(rows), chosen


def check_chunk(raw, crs_text: str | None, zones) -> dict:
    """One chunk on a worker: validated, checked, encoded; or the error that stops the check."""
    try:
        crs_given = parse_crs(crs_text)
        parcels = prepare_parcels(raw, crs_given)
        result = check_parcels(parcels.frame, zones)
        wkb = shapely.to_wkb(parcels.frame.geometry.to_numpy()).tolist()
        frame = result.parcels
        names: dict[str, None] = {}
        for attributes in frame["attributes"]:
            names.update(dict.fromkeys(attributes))
        return {
            "block": blocks.encode(result, wkb),
            "count": len(frame),
            "columns": {
                k: frame[k].to_numpy(dtype=float) for k in ("area_m2", "inside_m2", "outside_m2")
            },
            "status": frame["status"].to_numpy(dtype=object),
            "fields": list(names),
            "crs": parcels.source_crs,
            "crs_note": record(crs_note=parcels.crs_note),
            "notes": parcels.notes,
        }
    except GeoServiceError as exc:
        return {"error": exc.to_record()}


class Chunks:
    """The upload's chunks in file order, each a RawFile, its vertex caps checked."""

    def __init__(self, big: BigUpload, filename: str, limits):
        self.big, self.filename, self.limits = big, filename, limits
        self.vertices = 0

    def __iter__(self):
        size = max(1, int(self.limits.big_chunk))
        for start in range(0, self.big.count, size):
            yield self.read(start, size)

    def read(self, start: int, size: int):
        try:
            frame = pyogrio.read_dataframe(
                f"GPKG:{self.big.path}",
                layer=self.big.layer,
                skip_features=start,
                max_features=size,
            )
        except Exception as exc:  # GDAL's message may quote the file: never sent to the client
            log.info("GDAL cannot read a big upload: %s", type(exc).__name__)
            raise guard.gdal_failed(self.filename, guard.GPKG_DRIVER) from None
        raw = raw_of_frame(frame, self.filename, "gpkg", first=start + 1)
        counts = shapely.get_num_coordinates(raw.table.geometry).astype(np.int64)
        check_counts(self.filename, raw.table.where, counts, self.chunk_limits(len(counts)))
        self.vertices += int(counts.sum())
        if self.vertices > self.limits.big_max_vertices:
            raise over_cap(
                self.filename,
                IN_FILE,
                "big_max_vertices",
                self.vertices,
                self.limits.big_max_vertices,
                at_least=True,
            )
        return raw

    def chunk_limits(self, count: int):
        from dataclasses import replace

        return replace(self.limits, max_parcels=count, max_vertices=self.limits.big_max_vertices)


@contextlib.contextmanager
def dask_client(limits):
    """A dask client: to DASK_SCHEDULER_ADDRESS, else to a LocalCluster made for this check."""
    import dask
    from distributed import Client, LocalCluster

    if limits.dask_scheduler:
        try:
            client = Client(limits.dask_scheduler, timeout=CLUSTER_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError):
            from geo_service.errors import Busy

            raise Busy(
                "big_check.scheduler_unreachable",
                address=limits.dask_scheduler[:200],
                seconds=CLUSTER_TIMEOUT_S,
                retry_after=CLUSTER_TIMEOUT_S,
            ) from None
        try:
            yield client, len(client.scheduler_info().get("workers", {})) or 1
        finally:
            client.close()
        return
    workers = max(1, int(limits.big_workers))
    if limits.big_processes:  # worker processes: more memory, no GIL shared
        shape = {"n_workers": workers, "threads_per_worker": 1, "processes": True}
        shape["host"] = "127.0.0.1"
    else:  # one worker of threads in this process (shapely and pyproj release the GIL)
        shape = {"n_workers": 1, "threads_per_worker": workers, "processes": False}
    # the scheduler's HTTP endpoint on a free loopback port (never 8787 on every interface)
    with dask.config.set(QUIET):
        cluster = LocalCluster(
            **shape,
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.WARNING,
        )
        client = Client(cluster)
        try:
            yield client, workers
        finally:
            client.close()
            cluster.close()


class Collected:
    """What the finished chunks gave: blocks spooled to a file, the columns the summary
    needs, the first chunk's notes, the attribute fields in the file's order."""

    def __init__(self, spool):
        self.spool = spool
        self.blocks: dict[int, tuple[int, int, int]] = {}  # index -> (offset, length, count)
        self.columns: dict[int, dict] = {}
        self.fields: dict[int, list[str]] = {}
        self.first: dict | None = None
        self.cut = False
        self.done = 0

    def add(self, index: int, result: dict) -> None:
        if "error" in result:
            from geo_service.land.jobs import StoredError

            raise StoredError(result["error"])
        self.spool.seek(0, 2)
        offset = self.spool.tell()
        self.spool.write(result["block"])
        self.blocks[index] = (offset, len(result["block"]), result["count"])
        self.columns[index] = {**result["columns"], "status": result["status"]}
        self.fields[index] = result["fields"]
        self.cut = self.cut or any(n.get("code") == ATTRIBUTES_CUT.key for n in result["notes"])
        if index == 0:
            self.first = result
        self.done += result["count"]

    def frame(self) -> pd.DataFrame:
        """The per-parcel status and areas of the whole check (24 bytes a parcel)."""
        parts = [pd.DataFrame(self.columns[i]) for i in sorted(self.columns)]
        return pd.concat(parts, ignore_index=True)

    def attribute_fields(self) -> list[str]:
        names: dict[str, None] = {}
        for index in sorted(self.fields):
            names.update(dict.fromkeys(self.fields[index]))
        return list(names)

    def iter_blocks(self):
        """(first seq, count, data) of each block in file order, read back from the spool."""
        seq = 0
        for index in sorted(self.blocks):
            offset, length, count = self.blocks[index]
            self.spool.seek(offset)
            yield seq, count, self.spool.read(length)
            seq += count


def run(
    big: BigUpload, request, default_zones, dataset_version, register, report, check_id, within=None
):
    """Check a BigUpload on dask and store it (``within(db)`` first in the register's
    transaction); returns the stored document."""
    from geo_service.land.service import check_document, summary_of, zones_for

    report("reading", 0, big.count)
    zones = zones_for(request, default_zones)
    chunks = Chunks(big, request.parcels.name, request.limits)
    with tempfile.TemporaryFile(prefix="geo_service-blocks-") as spool:
        collected = Collected(spool)
        with dask_client(request.limits) as (client, workers):
            from distributed import wait

            zones_future = client.scatter(zones.frame, broadcast=True, hash=False)
            pending: dict = {}
            report("checking", 0, big.count)

            def settle(finished) -> None:
                for future in finished:
                    index = pending.pop(future)
                    collected.add(index, future.result())
                    report("checking", collected.done, big.count)

            for index, raw in enumerate(chunks):
                # sent to a worker as data, not in the task graph; under a random key (dask's
                # default key hashes the pickled chunk: more CPU than checking it)
                data = client.scatter(raw, hash=False)
                del raw
                future = client.submit(check_chunk, data, request.crs, zones_future, pure=False)
                pending[future] = index
                del data  # released on the worker once the task is done
                while len(pending) >= IN_FLIGHT_PER_WORKER * workers:
                    settle(wait(list(pending), return_when="FIRST_COMPLETED").done)
            while pending:
                settle(wait(list(pending), return_when="FIRST_COMPLETED").done)
        first = collected.first
        given = {
            "format": "gpkg",
            "crs": first["crs"],
            **first["crs_note"],
            "notes": first["notes"] + cut_note(first["notes"], collected),
            "attribute_fields": collected.attribute_fields(),
        }
        document = check_document(
            request, given, zones, dataset_version, summary_of(collected.frame()), check_id
        )
        document["parcels_paged"] = True
        report("storing", big.count, big.count)
        register.save_blocks(document, collected.iter_blocks(), zones.frame, within=within)
    return document


def cut_note(notes: list[dict], collected: Collected) -> list[dict]:
    """The attributes-cut note, when a later chunk cut fields and the first chunk did not."""
    if not collected.cut or any(n.get("code") == ATTRIBUTES_CUT.key for n in notes):
        return []
    return [note(ATTRIBUTES_CUT)]


def upload_cap(config) -> int:
    """The largest body POST /api/checks reads: MAX_CONTENT_LENGTH, or BIG_CHECK_MAX_BYTES
    when big checks are on (only a GeoPackage may use the difference: :func:`admit`)."""
    cap = int(config["MAX_CONTENT_LENGTH"])
    if int(config["BIG_CHECK_PARCELS"]) > 0:
        cap = max(cap, int(config["BIG_CHECK_MAX_BYTES"]))
    return cap


def admit(request, config) -> None:
    """Refuse (413) an upload over MAX_CONTENT_LENGTH unless it is a GeoPackage for a big check."""
    from geo_service.errors import TooLarge

    limit = int(config["MAX_CONTENT_LENGTH"])
    for upload in (request.parcels, request.zones):
        if upload is None or len(upload.data) <= limit:
            continue
        big = upload is request.parcels and request.limits.big_check_parcels > 0
        if big and sniff(upload.data) == "gpkg":
            continue
        raise TooLarge(
            "big_check.upload_too_big",
            file=upload.name[:200],
            size=f"{len(upload.data) / 2**20:.1f}",
            limit=f"{limit / 2**20:g}",
            big=f"{int(config['BIG_CHECK_MAX_BYTES']) / 2**20:g}",
        )
