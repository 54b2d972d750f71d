"""Heavy work with bounds: checks and re-checks in the shared queue, a cap on renders.

A check's upload and parameters go into the database's job queue (``store.queue``) with its
record in the ``jobs`` table, in one transaction; any server's dispatcher (``land.dispatch``)
claims it under a lease and runs it in a pool of worker *processes* (not threads: a check
holds the GIL for seconds) started at lower CPU priority, so the map keeps answering while
they run. The worker writes progress and outcome to the ``jobs`` table and the result to the
register, each under the lease: a server killed mid-job leaves the job to another server once
its lease ran out, and it completes once. Jobs left by a server from before the queue read
back ``interrupted``. Past ``max_queued`` waiting jobs (plus this server's free workers), or
``size`` renders, the answer is :class:`~geo_service.errors.Busy` (503 with Retry-After),
never an unbounded wait.
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

from sqlalchemy import Engine, insert, select, update

from geo_service.errors import Busy, GeoServiceError
from geo_service.messages import CATALOGUE, Msg, record
from geo_service.store import Store
from geo_service.store.queue import JobQueue
from geo_service.store.schema import jobs as jobs_table

log = logging.getLogger(__name__)
ACTIVE = ("queued", "running")
INTERRUPTED_MESSAGE = Msg("check.interrupted")
INTERNAL_MESSAGE = Msg("check.internal_error")
PROGRESS_EVERY_S = 0.5
QUEUE_RETRY_S = 30
RENDER_WAIT_S = 45.0  # the longest a render waits in line for a slot
RENDER_RETRY_S = 10
#: The queue's settings (config DEFAULTS has the same; tests pass their own).
QUEUE_DEFAULTS = {
    "JOB_LEASE_SECONDS": 30.0,
    "JOB_MAX_ATTEMPTS": 3,
    "JOB_POLL_SECONDS": 1.0,
    "JOB_START_DELAY_SECONDS": 0.0,
    "CHECK_WORKER_MAX_HELD_MB": 64.0,
}
#: Their bounds (a ConfigError outside them).
QUEUE_BOUNDS = {
    "JOB_LEASE_SECONDS": (1.0, 3600.0),
    "JOB_MAX_ATTEMPTS": (1, 20),
    "JOB_POLL_SECONDS": (0.05, 60.0),
    "JOB_START_DELAY_SECONDS": (0.0, 120.0),
    "CHECK_WORKER_MAX_HELD_MB": (0.0, 10**6),
}
_owners: dict[int, str] = {}

_pools: dict[tuple[int, int], ProcessPoolExecutor] = {}
_pools_lock = threading.Lock()


def process_owner() -> str:
    """This process as recorded in the jobs it runs: host:pid:token (the token tells a
    reused pid; a forked child gets its own)."""
    pid = os.getpid()
    if pid not in _owners:
        _owners[pid] = f"{socket.gethostname()}:{pid}:{uuid.uuid4().hex[:8]}"
    return _owners[pid]


def queue_settings(config) -> dict:
    """JOB_* settings from ``config``, bounded (ConfigError naming the setting)."""
    from geo_service.errors import ConfigError

    out = {}
    for name, default in QUEUE_DEFAULTS.items():
        low, high = QUEUE_BOUNDS[name]
        value = config.get(name, default)
        try:
            number = type(default)(value)
        except (TypeError, ValueError):
            number = None
        if isinstance(value, bool) or number is None or not low <= number <= high:
            raise ConfigError(
                "config.bad_job_setting", name=name, value=str(value)[:40], low=low, high=high
            )
        out[name] = number
    return out


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def worker_init(server: int) -> None:
    """Each worker process: lower CPU priority than the web process, and gone with it.

    A worker idle on the call queue never sees its server die (every worker holds the queue's
    write end too), so a watchdog thread ends the worker when its parent is no longer the
    server ``server`` (passed in, not read here: a server killed while this worker was still
    starting would otherwise leave it watching init). Its
    allocator is set to give a check's memory back after it (land.memory), and its RSS is
    noted once it has imported what jobs use (what it holds after a job is measured from it).
    """
    from geo_service.land import memory

    memory.tune()
    os.nice(10)

    def watch() -> None:
        while os.getppid() == server:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()
    memory.warm_up()


def warm() -> None:
    """A no-op job: makes a fresh pool start a worker now, not when the next check comes."""


def retire(workers: int, executor: ProcessPoolExecutor) -> None:
    """Replace a pool whose worker held too much after a job (celery's
    ``worker_max_memory_per_child``): its processes end their jobs and exit; a fresh pool,
    its first worker started at once, takes the next ones."""
    key = (os.getpid(), workers)
    with _pools_lock:
        if _pools.get(key) is not executor:
            return  # retired already
        del _pools[key]
    executor.shutdown(wait=False)
    log.info("check worker pool replaced: a worker held too much memory after a job")
    with contextlib.suppress(RuntimeError):  # the interpreter is shutting down
        pool(workers).submit(warm)


def pool(workers: int) -> ProcessPoolExecutor:
    """The worker pool of this size, shared by the apps of one process ("spawn": no forked
    copy of a threaded server)."""
    key = (os.getpid(), workers)  # a forked child never uses its parent's pool
    with _pools_lock:
        executor = _pools.get(key)
        if executor is None or getattr(executor, "_broken", False):
            executor = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=worker_init,
                initargs=(os.getpid(),),
            )
            _pools[key] = executor
        return executor


def owner_alive(owner: str) -> bool:
    """Whether the server process that wrote ``owner`` may still be running."""
    host, _, rest = owner.partition(":")
    pid, _, token = rest.partition(":")
    if owner == process_owner():
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
    """Checks and re-checks in the shared queue (``store.queue``), run by ``workers``
    processes of this server; its dispatcher (``land.dispatch``) starts with the first
    submission, or with ``start`` (serve, worker)."""

    def __init__(
        self,
        store: Store,
        workers: int = 2,
        max_queued: int = 8,
        inline_parcels: int = 1000,
        queue_settings: dict | None = None,
    ):
        self.store = store
        self.engine: Engine = store.engine
        self.queue = JobQueue(store.engine)
        self.workers = max(1, int(workers))
        self.max_queued = max(0, int(max_queued))
        self.inline_parcels = int(inline_parcels)
        settings = {**QUEUE_DEFAULTS, **(queue_settings or {})}
        self.lease_s = float(settings["JOB_LEASE_SECONDS"])
        self.max_attempts = int(settings["JOB_MAX_ATTEMPTS"])
        self.poll_s = float(settings["JOB_POLL_SECONDS"])
        self.start_delay_s = float(settings["JOB_START_DELAY_SECONDS"])
        self.max_held_mb = float(settings["CHECK_WORKER_MAX_HELD_MB"])
        self.futures: dict[str, Future] = {}
        self.held: dict[str, str] = {}  # job id -> lease token, of the jobs run here
        self.lock = threading.Lock()
        self.dispatcher = None
        self.recover()

    @property
    def owner(self) -> str:
        return process_owner()

    def start(self) -> None:
        """Run the dispatcher in this process (idempotent; a forked child starts its own)."""
        from geo_service.land.dispatch import Dispatcher

        with self.lock:
            if self.dispatcher is None or not self.dispatcher.is_alive():
                self.dispatcher = Dispatcher(self)
                self.dispatcher.start()

    def stop(self) -> None:
        """Claim no more jobs (those running go on to their end)."""
        if self.dispatcher is not None:
            self.dispatcher.stop()

    def recover(self) -> None:
        """Jobs left queued or running from before the shared queue (no queue row) by a dead
        server become ``interrupted``; queued ones are simply run again."""
        j = jobs_table
        with self.engine.begin() as db:
            rows = db.execute(select(j.c.id, j.c.owner).where(j.c.status.in_(ACTIVE))).all()
        queued = self.queue.known([job_id for job_id, _ in rows])
        dead = [i for i, owner in rows if i not in queued and not owner_alive(owner)]
        with self.engine.begin() as db:
            for job_id in dead:
                db.execute(
                    update(j)
                    .where(j.c.id == job_id, j.c.status.in_(ACTIVE))
                    .values(status="interrupted", updated_at=now())
                )

    def in_flight(self) -> int:
        return sum(not f.done() for f in self.futures.values())

    def room(self) -> int:
        """Workers of this process free for one more job."""
        with self.lock:
            return self.workers - self.in_flight()

    def refuse_when_full(self) -> None:
        """Busy (503, Retry-After) when the jobs no server runs yet reach ``max_queued`` plus
        this server's free workers; call under ``lock``."""
        free = max(0, self.workers - self.in_flight())
        if self.queue.waiting() >= self.max_queued + free:
            raise Busy(
                "check.queue_full",
                workers=self.workers,
                queued=self.max_queued,
                seconds=QUEUE_RETRY_S,
                retry_after=QUEUE_RETRY_S,
            )

    def enqueue(self, job_id: str, kind: str, spec: dict, inputs: dict, record_row) -> str:
        """Queue one job with its record (``record_row(db)`` writes it in the same
        transaction); Busy when the queue is full. The dispatcher is woken to claim it."""
        with self.lock:
            self.refuse_when_full()
            with self.engine.begin() as db:
                record_row(db)
                self.queue.enqueue(db, job_id, kind, spec, inputs)
        self.start()
        self.dispatcher.wake.set()
        return job_id

    def submit(self, request, zones, dataset_version: str) -> str:
        """Queue one check (a CheckRequest against default ``zones``); Busy when full."""
        from geo_service.land import check_job

        job_id = uuid.uuid4().hex[:16]
        stamp = now()

        def record_row(db) -> None:
            db.execute(
                insert(jobs_table).values(
                    id=job_id,
                    status="queued",
                    stage="queued",
                    user=request.user,
                    client_addr=request.client_addr,
                    owner=process_owner(),
                    created_at=stamp,
                    updated_at=stamp,
                )
            )

        spec = check_job.spec_of(request, dataset_version, self.inline_parcels)
        return self.enqueue(job_id, "check", spec, check_job.inputs_of(request, zones), record_row)

    def launch(self, claim) -> None:
        """Run a claimed job in this server's pool (the dispatcher's call)."""
        from geo_service.land.dispatch import run_claimed

        settings = {
            "lease_s": self.lease_s,
            "start_delay_s": self.start_delay_s,
            "parent": os.getpid(),
            "owner": self.owner,
            "max_held_mb": self.max_held_mb,
        }
        args = (self.store.url, claim.id, claim.kind, claim.token, claim.spec, settings)
        with self.lock:
            try:
                try:
                    executor = pool(self.workers)
                    future = executor.submit(run_claimed, *args)
                except BrokenProcessPool:
                    executor = pool(self.workers)  # a fresh pool
                    future = executor.submit(run_claimed, *args)
            except RuntimeError:  # the interpreter is shutting down: leave it to another
                self.queue.unclaim(claim.id, claim.token)
                self.stop()
                return
            self.futures[claim.id] = future
            self.held[claim.id] = claim.token
        future.add_done_callback(lambda f: self._settled(claim, f, executor))

    def _settled(self, claim, future: Future, executor: ProcessPoolExecutor) -> None:
        """A worker that died (killed, out of memory) gives its job back to the queue at
        once: another run, up to JOB_MAX_ATTEMPTS, then it fails saying why. A worker that
        holds more than CHECK_WORKER_MAX_HELD_MB after its job is replaced."""
        error = future.exception()
        if error is not None:
            log.error("job %s: worker failed: %r", claim.id, error)
            self.queue.release(claim.id, claim.token)
        elif (future.result() or {}).get("recycle"):
            retire(self.workers, executor)
        with self.lock:
            self.futures.pop(claim.id, None)
            self.held.pop(claim.id, None)
        if self.dispatcher is not None:
            self.dispatcher.wake.set()

    def wait(self, job_id: str, seconds: float) -> dict | None:
        """The job's state once it ended, or after ``seconds`` (whichever server runs it)."""
        deadline = time.monotonic() + max(0.0, seconds)
        while True:
            state = self.state(job_id)
            left = deadline - time.monotonic()
            if state is None or state["status"] not in ACTIVE or left <= 0:
                return state
            future = self.futures.get(job_id)
            if future is not None:
                concurrent.futures.wait([future], timeout=min(left, 0.5))
            else:
                time.sleep(min(left, 0.1))

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
