"""Checks run on a small worker pool so a long one reports progress instead of blocking.

Only the state of running or failed jobs is held in memory; a finished check lives in the
register, so nothing here needs to survive a restart (a check interrupted by one is simply
not recorded, and its job id answers 404).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from geo_service.errors import GeoServiceError

log = logging.getLogger(__name__)
KEEP_STATES = 500


class Jobs:
    def __init__(self, workers: int = 2):
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="check")
        self.states: OrderedDict[str, dict] = OrderedDict()
        self.events: dict[str, threading.Event] = {}
        self.lock = threading.Lock()

    def submit(self, work: Callable[[Callable, str], None]) -> str:
        """Run ``work(progress, job_id)``; it stores its result itself."""
        job_id = uuid.uuid4().hex[:16]
        with self.lock:
            self.states[job_id] = {
                "id": job_id,
                "status": "running",
                "stage": "queued",
                "done": 0,
                "total": 0,
                "started": time.time(),
            }
            self.events[job_id] = threading.Event()
            while len(self.states) > KEEP_STATES:
                old, _ = self.states.popitem(last=False)
                self.events.pop(old, None)
        self.pool.submit(self._run, work, job_id)
        return job_id

    def _run(self, work, job_id: str) -> None:
        def progress(stage: str, done: int, total: int) -> None:
            with self.lock:
                self.states[job_id].update(stage=stage, done=done, total=total)

        try:
            work(progress, job_id)
            self._finish(job_id, status="done")
        except GeoServiceError as exc:
            self._finish(job_id, status="failed", error=exc)
        except Exception as exc:  # a bug: keep it visible, never lose the job silently
            log.exception("check %s failed", job_id)
            self._finish(job_id, status="failed", error=exc)

    def _finish(self, job_id: str, **update) -> None:
        with self.lock:
            self.states[job_id].update(update)
            event = self.events[job_id]
        event.set()

    def wait(self, job_id: str, seconds: float) -> dict:
        event = self.events.get(job_id)
        if event is not None:
            event.wait(seconds)
        return self.state(job_id)

    def state(self, job_id: str) -> dict | None:
        with self.lock:
            state = self.states.get(job_id)
            return dict(state) if state else None
