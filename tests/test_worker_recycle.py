"""A check worker that holds too much memory after a job is replaced by a fresh process
(CHECK_WORKER_MAX_HELD_MB, land.jobs.retire), and the next check runs on the fresh one."""

from __future__ import annotations

import io
import os
import time

from conftest import dbs
from land_fixtures import PARCEL_SHAPES, collection

from geo_service import create_app
from geo_service.land import jobs


def check(client) -> None:
    body = {"file": (io.BytesIO(collection(PARCEL_SHAPES, 36)), "parcels.geojson")}
    answer = client.post("/api/checks", data=body, content_type="multipart/form-data")
    assert answer.status_code == 201, answer.json
    assert answer.json["summary"]["parcels"] == len(PARCEL_SHAPES)


def worker_pid() -> int:
    """The pid of the one worker of this process's one-worker pool (as it is now)."""
    return jobs.pool(1).submit(os.getpid).result(timeout=60)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:  # a zombie is gone too
        return stat.read().rsplit(")", 1)[1].split()[0] == "Z"


def app_of(tmp_path, max_held_mb: float):
    config = {"CHECK_WORKERS": 1, "CHECK_SYNC_SECONDS": 60, "CHECK_WORKER_MAX_HELD_MB": max_held_mb}
    return create_app({"TESTING": True, **dbs(tmp_path), **config})


def test_a_worker_holding_more_than_the_limit_after_a_check_is_replaced(tmp_path):
    client = app_of(tmp_path, 0).test_client()  # any growth at all is too much
    first = worker_pid()
    check(client)
    deadline = time.monotonic() + 60
    while (fresh := worker_pid()) == first and time.monotonic() < deadline:
        time.sleep(0.2)
    assert fresh != first, "the worker was not replaced"
    while not gone(first) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert gone(first), "the replaced worker did not exit (its memory is still held)"
    check(client)  # the fresh pool runs the next check


def test_a_worker_within_the_limit_is_kept(tmp_path):
    client = app_of(tmp_path, 10**5).test_client()
    first = worker_pid()
    check(client)
    check(client)
    time.sleep(1)  # a replacement would have happened by now (it follows the job at once)
    assert worker_pid() == first


def test_a_worker_whose_server_died_while_it_started_ends():
    """A replacement worker is started right after a job; if its server dies before the
    worker's initializer runs, the worker must still end (it watches the server's pid it was
    given, not whatever parent it finds at start)."""
    import subprocess
    import sys

    from geo_service.config import REPO_ROOT

    code = (
        "import time\nfrom geo_service.land import jobs\n"
        "jobs.worker_init(2**22 + 1)  # not this process's parent: a dead server\n"
        "time.sleep(60)\n"
    )
    started = time.monotonic()
    ended = subprocess.run([sys.executable, "-c", code], timeout=90, cwd=REPO_ROOT, check=False)
    assert ended.returncode == 0
    assert time.monotonic() - started < 30, "the worker outlived its server"
