"""A check as a queued job: what goes into the queue (parameters and uploaded bytes, so that
any server can run it) and the run of a claimed check in a worker process.

The default zones travel with the job (``default_zones``: the zones the submitting server
served, as WKB with their ids, names and precision), so a check reads the same zones whichever
server runs it and whenever. Progress, the register's write and the job's end are each written
in one transaction that first renews the job's lease (``store.queue``): a worker whose lease
was taken over stops at its next report and never stores its result.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time

import geopandas as gpd
import shapely
from sqlalchemy import Connection, update

from geo_service.errors import GeoServiceError
from geo_service.land.zones import Zones
from geo_service.store.queue import LeaseLost
from geo_service.store.schema import jobs as jobs_table

log = logging.getLogger(__name__)
#: Test and demo aid: a check waits this long (at most 120 s) before reading its file.
MAX_START_DELAY_S = 120.0


def spec_of(request, dataset_version: str, inline_parcels: int) -> dict:
    """The check's parameters as JSON (the uploads go in ``inputs_of``)."""
    return {
        "crs": request.crs,
        "zones_crs": request.zones_crs,
        "zones_id_field": request.zones_id_field,
        "zones_name_field": request.zones_name_field,
        "zones_fields": list(request.zones_fields),
        "layer": request.layer,
        "limits": dataclasses.asdict(request.limits),
        "user": request.user,
        "client_addr": request.client_addr,
        "version": dataset_version,
        "inline_parcels": int(inline_parcels),
    }


def inputs_of(request, zones: Zones) -> dict[str, tuple[str, bytes]]:
    """The uploaded files and the default zones, as the queue keeps them."""
    parts = {
        "parcels": (request.parcels.name, request.parcels.data),
        "default_zones": ("default_zones.json", zones_bytes(zones)),
    }
    if request.zones is not None:
        parts["zones"] = (request.zones.name, request.zones.data)
    return parts


def zones_bytes(zones: Zones) -> bytes:
    frame = zones.frame
    return json.dumps(
        {
            "zone_id": [str(v) for v in frame["zone_id"]],
            "name": [str(v) for v in frame["name"]],
            "precision": [str(v) for v in frame["precision"]],
            "wkb": [blob.hex() for blob in shapely.to_wkb(frame.geometry.to_numpy())],
            "source": zones.source,
            "sha256": zones.sha256,
            "schematic": bool(zones.schematic),
            "layer_version": int(zones.layer_version),
        },
        ensure_ascii=False,
    ).encode("utf-8")


def zones_of(data: bytes) -> Zones:
    stored = json.loads(data)
    frame = gpd.GeoDataFrame(
        {k: stored[k] for k in ("zone_id", "name", "precision")},
        geometry=list(shapely.from_wkb([bytes.fromhex(h) for h in stored["wkb"]])),
        crs="EPSG:4326",
    )
    return Zones(
        frame,
        stored["source"],
        stored["sha256"],
        schematic=stored["schematic"],
        layer_version=stored["layer_version"],
    )


def request_of(spec: dict, inputs: dict[str, tuple[str, bytes]]):
    from geo_service.land.readers import Limits
    from geo_service.land.service import CheckRequest, Upload

    zones = inputs.get("zones")
    return CheckRequest(
        parcels=Upload(*inputs["parcels"]),
        zones=Upload(*zones) if zones else None,
        crs=spec["crs"],
        zones_crs=spec["zones_crs"],
        zones_id_field=spec.get("zones_id_field"),
        zones_name_field=spec.get("zones_name_field"),
        zones_fields=tuple(spec.get("zones_fields") or ()),
        layer=spec["layer"],
        limits=Limits(**spec["limits"]),
        user=spec["user"],
        client_addr=spec["client_addr"],
    )


def set_job(db: Connection, job_id: str, **values) -> None:
    from geo_service.land.jobs import now

    db.execute(
        update(jobs_table).where(jobs_table.c.id == job_id).values(updated_at=now(), **values)
    )


def run_check_job(store, held, spec: dict, settings: dict) -> dict:
    """Run the claimed check ``held`` (a ``dispatch.Held``) with ``spec``; write progress,
    then the register and the job's end in one transaction. ``settings``: the running
    server's ``lease_s``, ``start_delay_s`` and ``parent`` (its pid)."""
    from geo_service.land.jobs import PROGRESS_EVERY_S, internal_error
    from geo_service.land.register import Register
    from geo_service.land.service import check_and_store

    job_id = held.id
    engine = store.engine
    last = [0.0, ""]

    def progress(stage: str, done: int, total: int, force: bool = False) -> None:
        held.alive(settings)
        moment = time.monotonic()
        if force or stage != last[1] or moment - last[0] >= PROGRESS_EVERY_S:
            last[:] = [moment, stage]
            with engine.begin() as db:
                held.hold(db)
                set_job(db, job_id, stage=stage, done=done, total=total)

    def ended(status: str, error: dict | None = None):
        def write(db: Connection) -> None:
            held.finish(db, status)
            values = {"status": status}
            if status == "done":
                values["stage"] = "done"
            if error:
                values["error"] = json.dumps(error, ensure_ascii=False, default=str)
            set_job(db, job_id, **values)

        return write

    try:
        with engine.begin() as db:
            held.hold(db)
            owner = str(settings.get("owner", ""))[:64]
            set_job(db, job_id, status="running", stage="reading", done=0, total=0, owner=owner)
        delay = min(MAX_START_DELAY_S, float(settings.get("start_delay_s") or 0))
        until = time.monotonic() + delay
        while time.monotonic() < until:  # a slow start, still reporting (and renewing)
            progress("reading", 0, 1, force=True)
            time.sleep(min(0.5, max(0.0, until - time.monotonic())))
        inputs = held.queue.inputs(job_id)
        request = request_of(spec, inputs)
        default_zones = zones_of(inputs["default_zones"][1])
        del inputs
        register = Register(store, spec["inline_parcels"])
        check_and_store(
            request, default_zones, spec["version"], register, progress, job_id, ended("done")
        )
        return {"id": job_id, "status": "done"}
    except LeaseLost:
        log.warning("check %s: lease lost (another server runs it), stopped", job_id)
        return {"id": job_id, "status": "lost"}
    except GeoServiceError as exc:
        return failed(engine, job_id, ended("failed", exc.to_record()))
    except Exception:  # a bug: keep it visible in the log, never lose the job silently
        log.exception("check %s failed", job_id)
        return failed(engine, job_id, ended("failed", internal_error()))


def failed(engine, job_id: str, write) -> dict:
    try:
        with engine.begin() as db:
            write(db)
    except LeaseLost:
        return {"id": job_id, "status": "lost"}
    return {"id": job_id, "status": "failed"}
