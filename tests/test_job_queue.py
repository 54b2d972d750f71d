"""The shared job queue (store.queue) on a real database: one claimer wins a job, an expired
lease is taken over and the old holder can write nothing, a job whose servers kept dying fails
in words, a server from before the queue leaves ``interrupted``; a shared database needs a
shared SECRET_KEY. On SQLite here, and on PostgreSQL when the PostGIS pass gives its URL
(``GEO_SERVICE_TEST_DATABASE_URL``) or ``GEO_SERVICE_TEST_QUEUE_PG`` names one."""

from __future__ import annotations

import os
import threading
import time

import pytest
from conftest import dbs
from sqlalchemy import create_engine, func, select

from geo_service import create_app
from geo_service.errors import ConfigError
from geo_service.land import jobs as land_jobs
from geo_service.land.dispatch import mark_abandoned
from geo_service.store import pg_local, schema
from geo_service.store.engine import migrate, open_engine
from geo_service.store.queue import JobQueue, LeaseLost


def backends() -> list[str]:
    """SQLite always; PostgreSQL in the PostGIS pass, or at GEO_SERVICE_TEST_QUEUE_PG."""
    found = ["sqlite"]
    if pg_local.test_run() is not None:
        found.append("postgis-pass")
    elif os.environ.get("GEO_SERVICE_TEST_QUEUE_PG", "").startswith("postgresql"):
        found.append(os.environ["GEO_SERVICE_TEST_QUEUE_PG"])
    return found


@pytest.fixture(params=backends(), ids=lambda u: u.split(":")[0])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'queue.sqlite'}"
    if request.param == "postgis-pass":
        return pg_local.test_database_url(tmp_path)  # this test's own database
    engine = create_engine(request.param)  # a clean queue in the given database
    migrate(engine)
    with engine.begin() as db:
        db.execute(schema.job_inputs.delete())
        db.execute(schema.job_queue.delete())
    engine.dispose()
    return request.param


@pytest.fixture()
def queue(url):
    engine = open_engine(url)
    migrate(engine)
    yield JobQueue(engine)
    engine.dispose()


def enqueue(queue: JobQueue, job_id: str, kind: str = "check") -> None:
    with queue.engine.begin() as db:
        queue.enqueue(db, job_id, kind, {"n": 1}, {"parcels": ("p.geojson", b"\x00bytes\xff")})


def test_two_claimers_one_job_one_wins(url, queue):
    """Two servers (their own engines) claiming at the same instant, many rounds: each job is
    taken by exactly one of them."""
    engines = [open_engine(url) for _ in range(2)]
    claimers = [JobQueue(e) for e in engines]
    try:
        for round_ in range(15):
            enqueue(queue, f"race-{round_}")
            start = threading.Barrier(len(claimers))
            won = []

            def claim(claimer, start=start, won=won):
                start.wait()
                won.append(claimer.claim(f"server-{id(claimer)}", 30, 3))

            threads = [threading.Thread(target=claim, args=(c,)) for c in claimers]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            claims = [c for c in won if c is not None]
            assert len(won) == 2 and len(claims) == 1, won
            assert claims[0].id == f"race-{round_}" and claims[0].attempts == 1
    finally:
        for e in engines:
            e.dispose()
    assert queue.waiting() == 0


def test_the_inputs_come_back_intact_and_go_with_the_job(queue):
    enqueue(queue, "intact")
    claim = queue.claim("me", 30, 3)
    assert claim.spec == {"n": 1} and claim.kind == "check"
    assert queue.inputs("intact") == {"parcels": ("p.geojson", b"\x00bytes\xff")}
    with queue.engine.begin() as db:
        queue.finish(db, "intact", claim.token, "done")
    assert queue.inputs("intact") == {}
    assert queue.get("intact")["state"] == "done" and queue.claim("me", 30, 3) is None


def test_an_expired_lease_is_taken_over_and_the_old_holder_writes_nothing(queue):
    enqueue(queue, "slow")
    first = queue.claim("server-a", 0.2, 3)
    assert queue.claim("server-b", 30, 3) is None  # held: nobody else takes it
    time.sleep(0.3)  # server-a died: its lease runs out
    assert queue.waiting() == 1
    second = queue.claim("server-b", 30, 3)
    assert second.id == "slow" and second.attempts == 2 and second.token != first.token
    for write in (
        lambda db: queue.hold(db, "slow", first.token, 30),
        lambda db: queue.finish(db, "slow", first.token, "done"),
    ):
        with pytest.raises(LeaseLost), queue.engine.begin() as db:
            write(db)
    with queue.engine.begin() as db:
        queue.hold(db, "slow", second.token, 30)
        queue.finish(db, "slow", second.token, "done")
    row = queue.get("slow")
    assert row["state"] == "done" and row["attempts"] == 2 and row["owner"] == "server-b"


def test_a_register_write_under_a_lost_lease_is_rolled_back(tmp_path):
    """The check and its job's end in one transaction: a worker whose job was taken over
    stores nothing, the one holding the lease stores it once."""
    from land_fixtures import PARCEL_SHAPES, collection

    from geo_service.land.dispatch import Held
    from geo_service.land.register import Register
    from geo_service.land.service import CheckRequest, Upload, run_check
    from geo_service.land.zones import zones_from_layer

    app = create_app({"TESTING": True, **dbs(tmp_path)})
    store, catalog = app.extensions["geo_service.store"], app.extensions["geo_service.catalog"]
    queue = JobQueue(store.engine)
    enqueue(queue, "twice")
    stale = queue.claim("server-a", 0.1, 3)
    time.sleep(0.2)
    fresh = queue.claim("server-b", 30, 3)
    request = CheckRequest(parcels=Upload("p.geojson", collection(PARCEL_SHAPES, 36)))
    zones = zones_from_layer(catalog.get("zones"), catalog.dataset_hash)
    document, parcels, used = run_check(request, zones, catalog.version, check_id="twice")
    register = Register(store)
    for claim in (stale, fresh, stale):
        held = Held("twice", claim.token, 30, queue)
        try:
            register.save(
                document, parcels, used.frame, within=lambda db, h=held: h.finish(db, "done")
            )
        except LeaseLost:
            assert claim is stale
    assert register.count() == 1 and register.get("twice")["summary"] == document["summary"]


def test_a_job_whose_servers_keep_dying_fails_saying_so(tmp_path):
    app = create_app({"TESTING": True, **dbs(tmp_path)})
    store = app.extensions["geo_service.store"]
    queue = JobQueue(store.engine)
    stamp = land_jobs.now()
    with store.engine.begin() as db:
        db.execute(
            schema.jobs.insert().values(
                id="doomed", status="running", stage="reading", created_at=stamp, updated_at=stamp
            )
        )
        queue.enqueue(db, "doomed", "check", {}, {"parcels": ("p.geojson", b"x")})
    for _ in range(2):  # two servers killed mid-run
        assert queue.claim("dying", 0.05, 2) is not None
        time.sleep(0.1)
    assert queue.claim("third", 30, 2) is None  # no attempts left
    assert [row[0] for row in queue.abandon(2, mark_abandoned)] == ["doomed"]
    client = app.test_client()
    answer = client.get("/api/checks/doomed")
    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "failed"
    assert answer.json["error"]["message"].startswith("这个任务运行了 2 次都没有完成")
    english = client.get("/api/checks/doomed", headers={"Accept-Language": "en"}).json
    assert english["error"]["message"].startswith("This job ran 2 times")
    assert queue.get("doomed")["state"] == "failed" and queue.inputs("doomed") == {}


def test_a_job_from_before_the_queue_left_by_a_dead_server_reads_interrupted(tmp_path):
    """A job row with no queue row (an install upgraded mid-check) whose server's pid on this
    host is gone cannot be run again (its upload was a spool file): it reads interrupted."""
    first = create_app({"TESTING": True, **dbs(tmp_path)})
    stamp = land_jobs.now()
    dead = f"{land_jobs.socket.gethostname()}:{2**22 + 12345}:dead"
    with first.extensions["geo_service.store"].engine.begin() as db:
        db.execute(
            schema.jobs.insert().values(
                id="legacy",
                status="running",
                stage="checking",
                owner=dead,
                created_at=stamp,
                updated_at=stamp,
            )
        )
    again = create_app({"TESTING": True, **dbs(tmp_path)})
    answer = again.test_client().get("/api/checks/legacy").json
    assert answer["status"] == "interrupted" and "重新提交" in answer["message"]


def test_the_queue_bound_counts_the_jobs_no_server_runs(tmp_path):
    app = create_app({"TESTING": True, **dbs(tmp_path), "CHECK_WORKERS": 1, "MAX_QUEUED_CHECKS": 1})
    jobs = app.extensions["geo_service.jobs"]
    enqueue(jobs.queue, "waiting-1")  # posted to another server, not yet claimed
    jobs.refuse_when_full()  # 1 waiting < 1 queued + 1 free worker here
    enqueue(jobs.queue, "waiting-2")
    with pytest.raises(land_jobs.Busy) as busy:
        jobs.refuse_when_full()
    assert busy.value.status == 503 and "检查队列已满" in busy.value.message
    with jobs.engine.connect() as db:
        assert db.execute(select(func.count()).select_from(schema.job_queue)).scalar() == 2


def test_a_shared_database_needs_the_same_secret_key_on_every_server(tmp_path):
    shared = "postgresql+psycopg://geo@db.internal:5432/geo_service"
    with pytest.raises(ConfigError) as refused:
        create_app({"TESTING": True, **dbs(tmp_path), "DATABASE_URL": shared})
    message = refused.value.message
    assert "GEO_SERVICE_SECRET_KEY" in message and "每台服务器" in message
    assert "db.internal" in message
    with pytest.raises(ConfigError):
        create_app({**dbs(tmp_path), "DATABASE_URL": shared, "SECRET_KEY": "   "})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("JOB_LEASE_SECONDS", "0"),
        ("JOB_MAX_ATTEMPTS", "many"),
        ("JOB_START_DELAY_SECONDS", 1e9),
        ("CHECK_WORKER_MAX_HELD_MB", -1),
    ],
)
def test_queue_settings_out_of_bounds_stop_start_up_in_words(tmp_path, name, value):
    with pytest.raises(ConfigError) as refused:
        create_app({"TESTING": True, **dbs(tmp_path), name: value})
    assert refused.value.message.startswith(f"{name}=") and "之间的数" in refused.value.message
