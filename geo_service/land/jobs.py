"""Heavy work with bounds: checks in worker processes, a cap on concurrent renders.

Checks run in a pool of worker *processes* (not threads: a check holds the GIL for seconds)
started at lower CPU priority, so the map keeps answering while they run. The web process
writes the upload to a spool file and queues the job; the worker reads it, checks, saves to
the register and writes its progress and outcome to the store's ``jobs`` table, so a
job's state survives a restart: jobs left queued or running by a dead server read back
``interrupted``. Past ``workers + max_queued`` jobs in flight, or ``size`` renders, the answer
is :class:`~geo_service.errors.Busy` (503 with Retry-After), never an unbounded wait.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import logging
import multiprocessing
import os
import socket
import threading
import time
import uuid
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, insert, select, update

from geo_service.errors import Busy, GeoServiceError
from geo_service.messages import CATALOGUE, Msg, record
from geo_service.store import Store, shared_store
from geo_service.store.schema import jobs as jobs_table

log = logging.getLogger(__name__)
ACTIVE = ("queued", "running")
INTERRUPTED_MESSAGE = Msg("check.interrupted")
INTERNAL_MESSAGE = Msg("check.internal_error")
PROGRESS_EVERY_S = 0.5
QUEUE_RETRY_S = 30
RENDER_WAIT_S = 45.0  # the longest a render waits in line for a slot
RENDER_RETRY_S = 10
#: This process, as recorded in the jobs it owns (host:pid:token; the token tells a reused pid).
OWNER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

_pools: dict[int, ProcessPoolExecutor] = {}
_pools_lock = threading.Lock()


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def worker_init() -> None:
    """Each worker process: lower CPU priority than the web process, and gone with it.

    A worker idle on the call queue never sees its server die (every worker holds the queue's
    write end too), so a watchdog thread ends the worker when its parent changes.
    """
    os.nice(10)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def pool(workers: int) -> ProcessPoolExecutor:
    """The worker pool of this size, shared by the apps of one process ("spawn": no forked
    copy of a threaded server)."""
    with _pools_lock:
        executor = _pools.get(workers)
        if executor is None or getattr(executor, "_broken", False):
            executor = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=worker_init,
            )
            _pools[workers] = executor
        return executor


def owner_alive(owner: str) -> bool:
    """Whether the server process that wrote ``owner`` may still be running."""
    host, _, rest = owner.partition(":")
    pid, _, token = rest.partition(":")
    if owner == OWNER:
        return True
    if host != socket.gethostname():
        return True  # another machine's jobs: not ours to judge
    if not pid.isdigit() or int(pid) == os.getpid():
        return False  # our pid, another token: a dead process whose pid we reuse
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class StoredError(GeoServiceError):
    """An error a worker recorded (``GeoServiceError.to_record``), raised again with its
    status, code and details, its message in the reader's language. An error stored before
    messages had keys keeps its Chinese text."""

    def __init__(self, error: dict):
        ref = (error.get("i18n") or {}).get("message")
        msg = message_of(ref) if isinstance(ref, dict) and ref.get("key") in CATALOGUE else None
        super().__init__(
            msg or Msg("check.stored_error", message=str(error.get("message", ""))),
            details=error.get("details"),
        )
        self.status = int(error.get("status", 422))
        self.code = error.get("code", "invalid_input")


def message_of(ref: dict) -> Msg:
    """A Msg again from its stored form (``Msg.to_json``), nested messages included."""

    def value(item):
        if isinstance(item, dict) and isinstance(item.get("$msg"), dict):
            inner = item["$msg"]
            return message_of(inner) if inner.get("key") in CATALOGUE else ""
        return item

    return Msg(ref["key"], **{k: value(v) for k, v in (ref.get("params") or {}).items()})


class Jobs:
    """Checks queued in the store's ``jobs`` table, run by ``workers`` processes; uploads
    wait in ``spool`` until their worker has read them."""

    def __init__(
        self,
        store: Store,
        spool: Path,
        workers: int = 2,
        max_queued: int = 8,
        inline_parcels: int = 1000,
    ):
        self.store = store
        self.engine: Engine = store.engine
        self.workers = max(1, int(workers))
        self.max_queued = max(0, int(max_queued))
        self.inline_parcels = int(inline_parcels)
        self.spool = Path(spool)
        self.spool.mkdir(parents=True, exist_ok=True)
        self.futures: dict[str, Future] = {}
        self.lock = threading.Lock()
        self.recover()

    def recover(self) -> None:
        """Jobs left queued or running by a dead server become ``interrupted``."""
        j = jobs_table
        with self.engine.begin() as db:
            rows = db.execute(select(j.c.id, j.c.owner).where(j.c.status.in_(ACTIVE))).all()
            dead = [job_id for job_id, owner in rows if not owner_alive(owner)]
            for job_id in dead:
                db.execute(
                    update(j)
                    .where(j.c.id == job_id, j.c.status.in_(ACTIVE))
                    .values(status="interrupted", updated_at=now())
                )
        for job_id in dead:
            for path in self.spool.glob(f"{job_id}.*"):
                path.unlink(missing_ok=True)

    def in_flight(self) -> int:
        return sum(not f.done() for f in self.futures.values())

    def refuse_when_full(self) -> None:
        """Busy (503, Retry-After) when the pool and its queue are full; call under ``lock``."""
        if self.in_flight() >= self.workers + self.max_queued:
            raise Busy(
                "check.queue_full",
                workers=self.workers,
                queued=self.max_queued,
                seconds=QUEUE_RETRY_S,
                retry_after=QUEUE_RETRY_S,
            )

    def submit(self, request, zones, dataset_version: str) -> str:
        """Queue one check (a CheckRequest against default ``zones``); Busy when full."""
        with self.lock:
            self.refuse_when_full()
            job_id = uuid.uuid4().hex[:16]
            parcels_path = self.spool / f"{job_id}.parcels"
            parcels_path.write_bytes(request.parcels.data)
            zones_path = None
            if request.zones is not None:
                zones_path = self.spool / f"{job_id}.zones"
                zones_path.write_bytes(request.zones.data)
            spec = {
                "url": self.store.url,
                "id": job_id,
                "parent": os.getpid(),
                "inline_parcels": self.inline_parcels,
                "parcels": (request.parcels.name, str(parcels_path)),
                "zones_file": (request.zones.name, str(zones_path)) if zones_path else None,
                "crs": request.crs,
                "zones_crs": request.zones_crs,
                "zones_id_field": request.zones_id_field,
                "zones_name_field": request.zones_name_field,
                "zones_fields": list(request.zones_fields),
                "layer": request.layer,
                "limits": request.limits,
                "user": request.user,
                "client_addr": request.client_addr,
                "zones": zones,
                "version": dataset_version,
            }
            stamp = now()
            with self.engine.begin() as db:
                db.execute(
                    insert(jobs_table).values(
                        id=job_id,
                        status="queued",
                        stage="queued",
                        user=request.user,
                        client_addr=request.client_addr,
                        owner=OWNER,
                        created_at=stamp,
                        updated_at=stamp,
                    )
                )
            try:
                future = pool(self.workers).submit(run_job, spec)
            except BrokenProcessPool:
                future = pool(self.workers).submit(run_job, spec)  # a fresh pool
            self.futures[job_id] = future
        future.add_done_callback(lambda f: self._settled(job_id, f))
        return job_id

    def _settled(self, job_id: str, future: Future) -> None:
        """A worker that died (killed, out of memory) leaves its job failed, not running."""
        error = future.exception()
        if error is not None:
            log.error("check %s: worker failed: %r", job_id, error)
            record_error(self.engine, job_id, internal_error())
        with self.lock:
            self.futures.pop(job_id, None)

    def wait(self, job_id: str, seconds: float) -> dict | None:
        future = self.futures.get(job_id)
        if future is not None:
            concurrent.futures.wait([future], timeout=seconds)
        return self.state(job_id)

    def state(self, job_id: str) -> dict | None:
        with self.engine.connect() as db:
            row = db.execute(select(jobs_table).where(jobs_table.c.id == job_id)).mappings().first()
        if row is None:
            return None
        state = {k: row[k] for k in ("id", "status", "stage", "done", "total")}
        state["error"] = json.loads(row["error"]) if row["error"] else None
        if state["status"] == "interrupted":
            state.update(record(message=INTERRUPTED_MESSAGE))  # message and its i18n
        return state


class Slots:
    """At most ``size`` holders at once (Chromium renders) and at most ``waiting`` callers in
    line for them, each waiting at most ``wait`` seconds: past either bound, Busy at once."""

    def __init__(self, size: int, waiting: int = 8, wait: float = RENDER_WAIT_S):
        self.size = max(1, int(size))
        self.waiting = max(0, int(waiting))
        self.wait = wait
        self.semaphore = threading.BoundedSemaphore(self.size)
        self.lock = threading.Lock()
        self.in_line = 0

    def busy(self) -> Busy:
        return Busy(
            "jobs.renders_busy",
            size=self.size,
            waiting=self.waiting,
            seconds=RENDER_RETRY_S,
            retry_after=RENDER_RETRY_S,
        )

    @contextlib.contextmanager
    def hold(self):
        if not self.semaphore.acquire(blocking=False):
            with self.lock:
                if self.in_line >= self.waiting:
                    raise self.busy()
                self.in_line += 1
            try:
                acquired = self.semaphore.acquire(timeout=self.wait)
            finally:
                with self.lock:
                    self.in_line -= 1
            if not acquired:
                raise self.busy()
        try:
            yield
        finally:
            self.semaphore.release()


# ---- in the worker process ------------------------------------------------------------------


def internal_error() -> dict:
    return {"status": 500, "code": "internal_error", **record(message=INTERNAL_MESSAGE)}


def record_error(engine: Engine, job_id: str, error: dict) -> None:
    with engine.begin() as db:
        db.execute(
            update(jobs_table)
            .where(jobs_table.c.id == job_id, jobs_table.c.status.in_(ACTIVE))
            .values(
                status="failed",
                error=json.dumps(error, ensure_ascii=False, default=str),
                updated_at=now(),
            )
        )


def worker_store(url: str) -> Store:
    """The store at ``url`` for this process: opened once, its own engine and connections
    (a worker never uses connections made by its parent)."""
    return shared_store(url)


def run_job(spec: dict) -> dict:
    """Read the spooled upload, check it, store it; progress and outcome go to the jobs table.

    Only this small state goes back to the web process. A worker whose server died (its
    parent changed) stops at the next progress report instead of finishing unseen.
    """
    from geo_service.land.register import Register
    from geo_service.land.service import CheckRequest, Upload, check_and_store

    job_id = spec["id"]
    engine = worker_store(spec["url"]).engine
    j = jobs_table
    last = [0.0, ""]

    def alive() -> None:
        if os.getppid() != spec["parent"]:
            os._exit(0)

    def progress(stage: str, done: int, total: int, force: bool = False) -> None:
        alive()
        moment = time.monotonic()
        if force or stage != last[1] or moment - last[0] >= PROGRESS_EVERY_S:
            last[:] = [moment, stage]
            with engine.begin() as db:
                db.execute(
                    update(j)
                    .where(j.c.id == job_id)
                    .values(stage=stage, done=done, total=total, updated_at=now())
                )

    paths = [Path(spec["parcels"][1])] + (
        [Path(spec["zones_file"][1])] if spec["zones_file"] else []
    )
    try:
        with engine.begin() as db:
            started = db.execute(
                update(j)
                .where(j.c.id == job_id, j.c.status == "queued")
                .values(status="running", stage="reading", updated_at=now())
            ).rowcount
        if not started:
            return {"id": job_id, "status": "gone"}
        zones_upload = None
        if spec["zones_file"]:
            zones_upload = Upload(spec["zones_file"][0], paths[1].read_bytes())
        request = CheckRequest(
            parcels=Upload(spec["parcels"][0], paths[0].read_bytes()),
            zones=zones_upload,
            crs=spec["crs"],
            zones_crs=spec["zones_crs"],
            zones_id_field=spec.get("zones_id_field"),
            zones_name_field=spec.get("zones_name_field"),
            zones_fields=tuple(spec.get("zones_fields") or ()),
            layer=spec["layer"],
            limits=spec["limits"],
            user=spec["user"],
            client_addr=spec["client_addr"],
        )
        register = Register(worker_store(spec["url"]), spec["inline_parcels"])
        check_and_store(request, spec["zones"], spec["version"], register, progress, job_id)
        with engine.begin() as db:
            db.execute(
                update(j)
                .where(j.c.id == job_id, j.c.status == "running")
                .values(status="done", stage="done", updated_at=now())
            )
        return {"id": job_id, "status": "done"}
    except GeoServiceError as exc:
        record_error(engine, job_id, exc.to_record())
        return {"id": job_id, "status": "failed"}
    except Exception:  # a bug: keep it visible in the log, never lose the job silently
        log.exception("check %s failed", job_id)
        record_error(engine, job_id, internal_error())
        return {"id": job_id, "status": "failed"}
    finally:
        for path in paths:
            path.unlink(missing_ok=True)
