"""Two app servers on one database answer alike: a check posted to one is read from the other,
a layer edit on one is served (new ETag) by the other, a login on one is valid on the other
and a logout on one ends it on both; a server killed with kill -9 mid-check leaves the job to
the other, which runs it once to completion. ``serve --workers 2``: two processes, one port.

Real ``serve`` processes on a real database: the SQLite file here, the PostGIS database in the
PostGIS pass (``shared_database_url``)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from land_fixtures import PARCEL_SHAPES, collection
from sqlalchemy import func, select

from geo_service.auth.store import AuthStore
from geo_service.config import REPO_ROOT
from geo_service.store import default_url, open_store
from geo_service.store.schema import checks, job_inputs, job_queue, jobs
from geo_service.testing import running_service

PASSWORD = "correct horse battery"
SECRET = "two-servers-" + "k" * 40
NODE = "/collections/logistics_nodes/items/hub-central"


def shared_database_url(folder: Path) -> str:
    """The database both servers use: the PostGIS pass's database for ``folder``, else the
    SQLite file there (store.default_url)."""
    return default_url(folder)


class Answer:
    def __init__(self, status: int, headers, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    @property
    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def call(url: str, method: str = "GET", body: bytes | None = None, headers=None) -> Answer:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=60) as response:
            return Answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.headers, error.read())


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def multipart(data: bytes, name: str) -> tuple[bytes, dict]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def bearer(token: str, **more) -> dict:
    return {"Authorization": f"Bearer {token}", **more}


def post_check(url: str, token: str, name: str = "parcels.geojson") -> Answer:
    body, headers = multipart(collection(PARCEL_SHAPES, 36), name)
    return call(f"{url}/api/checks", "POST", body, bearer(token, **headers))


def unbased(document, url: str):
    """The answer with this server's address taken out of its links."""
    return json.loads(json.dumps(document).replace(url, "<server>"))


def session_cookie(answer: Answer) -> str:
    found = re.search(r"geo_service_session=([^;]+)", answer.headers.get("Set-Cookie", ""))
    assert found, answer.headers
    return f"geo_service_session={found.group(1)}"


def login(url: str, name: str) -> str:
    """Log in on ``url`` as a browser does (form with its CSRF token): the session cookie."""
    page = call(f"{url}/login")
    cookie = session_cookie(page)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    form = urllib.parse.urlencode({"name": name, "password": PASSWORD, "csrf_token": token})
    answer = call(
        f"{url}/login",
        "POST",
        form.encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    assert answer.status == 303, answer.text[:500]
    return session_cookie(answer)


def wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds} s: {what}")


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """The database with a planner and a land user (token each), and its servers' settings."""
    folder = tmp_path_factory.mktemp("two_servers")
    url = shared_database_url(folder)
    accounts = AuthStore(open_store(url))
    tokens = {}
    for role in ("planner", "land"):
        accounts.add_user(f"q_{role}", role, PASSWORD)
        tokens[role], _ = accounts.create_token(f"q_{role}", role)
    env = {
        "GEO_SERVICE_DATABASE_URL": url,
        "GEO_SERVICE_SECRET_KEY": SECRET,
        "GEO_SERVICE_AUTH": "local",
        "GEO_SERVICE_CHECK_WORKERS": "1",
        "GEO_SERVICE_CHECK_SYNC_SECONDS": "0",
        "GEO_SERVICE_LAYER_REFRESH_SECONDS": "0.2",
        "GEO_SERVICE_JOB_LEASE_SECONDS": "3",
        "GEO_SERVICE_JOB_POLL_SECONDS": "0.3",
    }
    return url, env, tokens


def server_pid(port: str) -> int:
    """The pid of the ``serve`` process we started on ``port`` (our own child)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            ours = f"PPid:\t{os.getpid()}\n" in (entry / "status").read_text()
        except OSError:
            continue
        if ours and b"serve" in command and port.encode() in command:
            return int(entry.name)
    raise AssertionError(f"no serve process of ours on port {port}")


def queue_row(url: str, job_id: str) -> dict:
    store = open_store(url)
    with store.engine.connect() as db:
        row = db.execute(select(job_queue).where(job_queue.c.id == job_id)).mappings().one()
        job = db.execute(select(jobs).where(jobs.c.id == job_id)).mappings().one()
        stored = db.execute(select(func.count()).where(checks.c.id == job_id)).scalar()
        inputs = db.execute(select(func.count()).where(job_inputs.c.job_id == job_id)).scalar()
    store.engine.dispose()
    return {
        **row,
        "job_status": job["status"],
        "job_owner": job["owner"],
        "registered": stored,
        "inputs": inputs,
    }


def test_a_server_killed_mid_check_leaves_the_job_to_the_other_which_completes_it_once(shared):
    url, env, tokens = shared
    slow = {**env, "GEO_SERVICE_JOB_START_DELAY_SECONDS": "90"}  # A holds the job
    with running_service(slow) as a:
        posted = post_check(a, tokens["land"], "slow.geojson")
        assert posted.status == 202, posted.text
        job_id = posted.json["id"]
        a_pid = server_pid(a.rsplit(":", 1)[1])
        wait_for(lambda: queue_row(url, job_id)["job_status"] == "running", 60, "A runs the job")
        assert f":{a_pid}:" in queue_row(url, job_id)["owner"]
        with running_service(env) as b:
            running_on_a = call(f"{a}/api/checks/{job_id}", headers=bearer(tokens["land"]))
            running_on_b = call(f"{b}/api/checks/{job_id}", headers=bearer(tokens["land"]))
            assert running_on_a.status == running_on_b.status == 200
            assert running_on_b.json["status"] == "running"
            assert running_on_b.json["progress"]["stage"] == "reading"
            assert unbased(running_on_a.json, a) == unbased(running_on_b.json, b)
            time.sleep(4)  # longer than a lease: A renews it, B must not take the job
            assert queue_row(url, job_id)["attempts"] == 1
            os.kill(a_pid, signal.SIGKILL)
            done = wait_for(
                lambda: (
                    (
                        got := call(f"{b}/api/checks/{job_id}", headers=bearer(tokens["land"]))
                    ).json.get("summary")
                    and got
                ),
                90,
                "B takes the job over once A's lease ran out and completes it",
            )
            assert done.status == 200 and done.json["summary"]["parcels"] == len(PARCEL_SHAPES)
            row = queue_row(url, job_id)
            assert row["state"] == "done" and row["attempts"] == 2, row
            assert row["job_status"] == "done" and row["registered"] == 1 and row["inputs"] == 0
            b_pid = server_pid(b.rsplit(":", 1)[1])
            assert f":{b_pid}:" in row["job_owner"] and f":{b_pid}:" in row["owner"]
            time.sleep(1)  # nothing runs it again
            assert queue_row(url, job_id)["attempts"] == 2


def test_a_worker_host_runs_a_queued_check_and_stops_on_sigterm(shared, tmp_path):
    """``python -m geo_service worker``: a check put in the queue as a server puts it (no
    server running) is run by the worker host, once; SIGTERM stops it cleanly."""
    from geo_service import create_app
    from geo_service.land import check_job
    from geo_service.land.jobs import now
    from geo_service.land.service import CheckRequest, Upload
    from geo_service.land.zones import zones_from_layer

    url, env, _ = shared
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": SECRET})
    catalog, jobs_here = app.extensions["geo_service.catalog"], app.extensions["geo_service.jobs"]
    zones = zones_from_layer(catalog.get("zones"), catalog.dataset_hash)
    request = CheckRequest(
        parcels=Upload("worker.geojson", collection(PARCEL_SHAPES, 36)),
        user="q_land",
        client_addr="test",
    )
    job_id = "worker-" + uuid.uuid4().hex[:8]
    with jobs_here.engine.begin() as db:
        stamp = now()
        db.execute(
            jobs.insert().values(
                id=job_id, status="queued", stage="queued", created_at=stamp, updated_at=stamp
            )
        )
        jobs_here.queue.enqueue(
            db,
            job_id,
            "check",
            check_job.spec_of(request, catalog.version, 1000),
            check_job.inputs_of(request, zones),
        )
    with open(tmp_path / "worker.log", "w+") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "geo_service", "worker"],
            cwd=REPO_ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(lambda: queue_row(url, job_id)["state"] == "done", 120, "the worker ran it")
        finally:
            worker.send_signal(signal.SIGTERM)
            code = worker.wait(timeout=30)
        log.seek(0)
        said = log.read()
    assert code == 0, said
    assert "检查任务工作进程已启动" in said and "正在停止" in said
    row = queue_row(url, job_id)
    assert row["attempts"] == 1 and row["registered"] == 1 and row["job_status"] == "done"


@pytest.fixture(scope="module")
def pair(shared):
    """Servers A and B on the shared database."""
    _, env, _ = shared
    with running_service(env) as a, running_service(env) as b:
        yield a, b


def test_a_check_posted_to_one_server_is_read_alike_from_the_other(shared, pair):
    _, _, tokens = shared
    a, b = pair
    posted = post_check(a, tokens["land"])
    assert posted.status == 202, posted.text
    check_id = posted.json["id"]
    wait_for(
        lambda: call(f"{b}/api/checks/{check_id}", headers=bearer(tokens["land"])).json.get(
            "summary"
        ),
        90,
        "the check is done",
    )
    from_a, from_b = (
        call(f"{a}/api/checks/{check_id}", headers=bearer(tokens["land"])),
        call(f"{b}/api/checks/{check_id}", headers=bearer(tokens["land"])),
    )
    assert from_a.status == from_b.status == 200
    assert unbased(from_a.json, a) == unbased(from_b.json, b)
    assert from_b.json["summary"]["parcels"] == len(PARCEL_SHAPES)
    listed = call(f"{b}/api/checks", headers=bearer(tokens["land"])).json["checks"]
    assert check_id in [c["id"] for c in listed]


def test_a_layer_edit_on_one_server_is_served_with_its_new_etag_by_the_other(shared, pair):
    """Behind one address (the same Host header, as a load balancer sends) both servers give
    the same body and ETag, before and after an edit made through one of them."""
    _, _, tokens = shared
    a, b = pair
    host = {"Host": "gis.example"}
    before = call(f"{b}{NODE}", headers=host)
    assert before.status == 200
    assert call(f"{a}{NODE}", headers=host).headers["ETag"] == before.headers["ETag"]
    name = f"共享枢纽 <{uuid.uuid4().hex[:6]}>"
    edited = call(
        f"{a}{NODE}",
        "PATCH",
        json.dumps({"properties": {"name": name}}).encode(),
        bearer(
            tokens["planner"],
            **{"Content-Type": "application/json", "If-Match": before.headers["ETag"], **host},
        ),
    )
    assert edited.status == 200, edited.text

    def served_by_b():
        seen = call(f"{b}{NODE}", headers={"If-None-Match": before.headers["ETag"], **host})
        return seen if seen.status == 200 and seen.json["properties"]["name"] == name else None

    seen = wait_for(served_by_b, 5, "server B serves the edit")  # LAYER_REFRESH_SECONDS=0.2
    assert seen.headers["ETag"] != before.headers["ETag"]
    again = call(f"{a}{NODE}", headers=host)
    assert again.headers["ETag"] == seen.headers["ETag"] and again.body == seen.body


def test_a_login_on_one_server_is_valid_on_the_other_and_a_logout_ends_it_on_both(pair):
    a, b = pair
    cookie = login(a, "q_planner")
    for server in (a, b):
        me = call(f"{server}/api/me", headers={"Cookie": cookie}).json
        assert me["user"] == "q_planner" and me["role"] == "planner" and me["via"] == "session"
    csrf = call(f"{b}/api/me", headers={"Cookie": cookie}).json["csrf"]
    out = call(
        f"{a}/logout",
        "POST",
        f"csrf_token={csrf}".encode(),
        {
            "Cookie": cookie,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert out.status == 303
    for server in (a, b):  # the old cookie, replayed: ended on both
        assert call(f"{server}/api/me", headers={"Cookie": cookie}).json["user"] is None


def connection_owner(port: int, client: socket.socket, pids: list[int]) -> int | None:
    """Which of ``pids`` holds the server end of ``client``'s connection to ``port``."""
    local = client.getsockname()[1]
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        here, there = fields[1], fields[2]
        if int(here.split(":")[1], 16) == port and int(there.split(":")[1], 16) == local:
            inode = fields[9]
    if inode is None:
        return None
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
    return None


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if entry.name.isdigit() and f"PPid:\t{pid}\n" in (entry / "status").read_text():
                found.append(int(entry.name))
    return found


def answering_pids(port: int, servers: list[int], tries: int = 60) -> set[int]:
    """Open connections one by one (kept open) until two server processes answered."""
    seen, held = set(), []
    try:
        for _ in range(tries):
            client = socket.create_connection(("127.0.0.1", port), timeout=10)
            held.append(client)
            client.sendall(b"GET /conformance HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert client.recv(64).startswith(b"HTTP/1.1 200")
            owner = connection_owner(port, client, servers)
            if owner:
                seen.add(owner)
            if len(seen) == 2:
                break
    finally:
        for client in held:
            client.close()
    return seen


def test_serve_with_two_workers_answers_from_two_processes_and_replaces_a_dead_one(tmp_path):
    env = {
        "GEO_SERVICE_DATABASE_URL": shared_database_url(tmp_path),
        "GEO_SERVICE_SECRET_KEY": SECRET,
    }
    with running_service(env, args=("--workers", "2")) as url:
        port = int(url.rsplit(":", 1)[1])
        parent = server_pid(str(port))
        servers = wait_for(
            lambda: len(children(parent)) >= 2 and children(parent), 30, "2 children"
        )
        servers = [pid for pid in servers if b"serve" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        assert len(servers) == 2
        assert answering_pids(port, servers) == set(servers)
        os.kill(servers[0], signal.SIGKILL)
        replaced = wait_for(
            lambda: (
                (now := [p for p in children(parent) if p != servers[0]]) and len(now) >= 2 and now
            ),
            30,
            "the parent replaces the dead server",
        )
        assert servers[1] in replaced
        assert call(f"{url}/conformance").status == 200
    assert wait_for(lambda: not any(Path(f"/proc/{p}").exists() for p in replaced), 10, "stopped")
