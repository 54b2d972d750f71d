"""A throwaway local PostgreSQL + PostGIS cluster: for the tests, CI and ``make run-postgis``.

Uses the server Debian installs (``apt-get install postgresql postgresql-15-postgis-3``);
installs nothing. PostgreSQL refuses to run as root: when this process is root the cluster's
folder is given to the ``postgres`` OS user and every server command runs as that user. The
server listens on 127.0.0.1 only, with trust authentication: for one machine, never a
deployment.

The test mapping (``GEO_SERVICE_TEST_BACKEND=postgis``): the test harness (tests/conftest.py)
starts a cluster (or uses ``GEO_SERVICE_TEST_PG_ADMIN_URL``), makes a template database with
PostGIS and the migrations, and sets ``GEO_SERVICE_TEST_PG_RUN``; then ``engine.default_url``
maps each data folder to its own database copied from the template, so every app (and every
server process a test starts) gets a fresh database, and two apps on one folder share one.
Nothing of this is read unless both variables are set.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

#: Settings of a throwaway cluster: speed over durability (its data is thrown away).
FAST = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "400",
    "shared_buffers": "64MB",
    "listen_addresses": "127.0.0.1",
}
INSTALL_HINT = "apt-get install postgresql postgresql-15-postgis-3"
#: Environment variables of the test mapping (see the module docstring).
BACKEND_VAR = "GEO_SERVICE_TEST_BACKEND"
ADMIN_VAR = "GEO_SERVICE_TEST_PG_ADMIN_URL"
RUN_VAR = "GEO_SERVICE_TEST_PG_RUN"


def bindir() -> Path | None:
    """The newest installed server's bin folder (initdb, pg_ctl), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version_key)
    if os.environ.get("GEO_SERVICE_PG_BINDIR"):
        found.append(os.path.join(os.environ["GEO_SERVICE_PG_BINDIR"], "initdb"))
    return Path(found[-1]).parent if found and Path(found[-1]).exists() else None


def version_key(path: str) -> int:
    try:
        return int(Path(path).parent.parent.name)
    except ValueError:
        return 0


def postgis_installed(bin_folder: Path) -> bool:
    major = bin_folder.parent.name
    return Path(f"/usr/share/postgresql/{major}/extension/postgis.control").exists()


def missing() -> str | None:
    """What is missing to run a local cluster (None when nothing is)."""
    found = bindir()
    if found is None:
        return "PostgreSQL (initdb)"
    if not postgis_installed(found):
        return "PostGIS"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def as_server_user(command: list[str]) -> list[str]:
    """``command`` run as the postgres OS user when we are root (the server refuses root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class Cluster:
    """A cluster in ``folder`` (made on first start), served on ``port`` at 127.0.0.1."""

    def __init__(self, folder: Path, port: int | None = None, settings: dict | None = None):
        self.folder = Path(folder).resolve()
        self.data = self.folder / "data"
        self.port = port or self.recorded_port() or free_port()
        self.settings = {**FAST, **(settings or {})}
        found = bindir()
        if found is None or not postgis_installed(found):
            raise RuntimeError(f"PostgreSQL/PostGIS not installed: {INSTALL_HINT}")
        self.bin = found

    def recorded_port(self) -> int | None:
        try:
            return int((self.folder / "port").read_text().strip())
        except (OSError, ValueError):
            return None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            as_server_user([str(self.bin / args[0]), *args[1:]]),
            capture_output=True,
            text=True,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stderr}{done.stdout}")
        return done

    def init(self) -> None:
        if (self.data / "PG_VERSION").exists():
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        self.data.mkdir(mode=0o700, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
            shutil.chown(self.data, "postgres", "postgres")
        # C collation: text sorts by code point, as SQLite's BINARY does
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip

    def running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def start(self) -> Cluster:
        """Made when missing, started when stopped; its port kept in ``folder/port``."""
        self.init()
        if self.running():
            return self
        options = " ".join(f"-c {k}={v}" for k, v in self.settings.items())
        options += f" -p {self.port} -k {self.data}"
        log = self.data / "server.log"
        started = self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(log), "-o", options, "-w", "-t", "60",
            "start", check=False,
        )  # fmt: skip
        if started.returncode != 0:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {started.stderr}{started.stdout}{tail}")
        (self.folder / "port").write_text(str(self.port))
        return self

    def stop(self) -> None:
        if self.running():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


# databases ---------------------------------------------------------------------------------


def admin_engine(admin_url: str):
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def quoted(name: str) -> str:
    if not name.replace("_", "").isalnum() or not name.isascii():
        raise ValueError(f"not a plain database name: {name!r}")
    return f'"{name}"'


def database_url(admin_url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def create_database(admin_url: str, name: str, template: str | None = None) -> bool:
    """CREATE DATABASE ``name`` (from ``template``); False when it was there already."""
    from sqlalchemy import text
    from sqlalchemy.exc import ProgrammingError

    statement = f"CREATE DATABASE {quoted(name)}"
    if template:
        statement += f" TEMPLATE {quoted(template)} STRATEGY FILE_COPY"
    engine = admin_engine(admin_url)
    try:
        for attempt in range(50):
            try:
                with engine.connect() as db:
                    db.execute(text(statement))
                return True
            except ProgrammingError as exc:
                if "already exists" in str(exc):
                    return False
                raise
            except Exception as exc:  # the template is briefly in use by another copy
                if "being accessed by other users" not in str(exc) or attempt == 49:
                    raise
                time.sleep(0.1)
    finally:
        engine.dispose()
    return False


def drop_databases(admin_url: str, prefix: str) -> int:
    """Drop every database whose name starts with ``prefix`` (closing their sessions)."""
    from sqlalchemy import text

    engine = admin_engine(admin_url)
    try:
        with engine.connect() as db:
            names = db.execute(
                text("SELECT datname FROM pg_database WHERE starts_with(datname, :p)"),
                {"p": prefix},
            ).scalars()
            names = list(names)
            for name in names:
                db.execute(text(f"DROP DATABASE IF EXISTS {quoted(name)} WITH (FORCE)"))
        return len(names)
    finally:
        engine.dispose()


# the test mapping ---------------------------------------------------------------------------


def test_run() -> tuple[str, str] | None:
    """(admin URL, run token) when the tests run on PostGIS (both variables set), else None."""
    if os.environ.get(BACKEND_VAR) != "postgis":
        return None
    admin, run = os.environ.get(ADMIN_VAR, ""), os.environ.get(RUN_VAR, "")
    return (admin, run) if admin and run else None


def template_name(run: str) -> str:
    return f"gst_{run}_template"


def seeded_name(run: str) -> str:
    """The template with the repo's layers already seeded as version 1 (what every app on
    the repo's layers writes at its first start): copied for those apps, for speed."""
    return f"gst_{run}_seeded"


#: Databases this process made or found already (no CREATE DATABASE twice).
_made: set[str] = set()


def test_database_url(data_dir: Path, layers_dir: Path | None = None) -> str | None:
    """The run's own database for ``data_dir`` (made from the template on first use: the
    seeded one for an app on the repo's layers), or None when the tests do not run on
    PostGIS."""
    found = test_run()
    if found is None:
        return None
    admin, run = found
    key = hashlib.sha256(str(Path(data_dir).resolve()).encode()).hexdigest()[:24]
    name = f"gst_{run}_{key}"
    if name not in _made:
        seeded = layers_dir is not None and Path(layers_dir).resolve() == repo_layers()
        create_database(admin, name, seeded_name(run) if seeded else template_name(run))
        _made.add(name)
    return database_url(admin, name)


def repo_layers() -> Path:
    from geo_service.config import REPO_ROOT

    return (REPO_ROOT / "layers").resolve()


def prepare_test_run(admin_url: str, run: str) -> None:
    """The run's template database: PostGIS and every migration, copied for each app."""
    from geo_service.catalog import load_catalog
    from geo_service.store.engine import migrate, open_engine
    from geo_service.store.sql import SqlStore

    name = template_name(run)
    create_database(admin_url, name)
    engine = open_engine(database_url(admin_url, name))
    try:
        migrate(engine)
    finally:
        engine.dispose()
    create_database(admin_url, seeded_name(run), name)
    store = SqlStore(database_url(admin_url, seeded_name(run)))
    try:
        load_catalog(repo_layers(), store)
    finally:
        store.engine.dispose()


@contextlib.contextmanager
def test_backend():
    """For a test session on PostGIS: a cluster in a temp folder (or the one at
    ``GEO_SERVICE_TEST_PG_ADMIN_URL``), the template, the variables; all dropped after."""
    import tempfile

    run = f"{os.getpid():x}{int(time.time()) % 100000:x}"[:12]
    cluster = None
    admin = os.environ.get(ADMIN_VAR, "")
    if not admin:
        cluster = Cluster(Path(tempfile.mkdtemp(prefix="geo_service-pgtest-"))).start()
        admin = cluster.url()
    saved = {k: os.environ.get(k) for k in (ADMIN_VAR, RUN_VAR)}
    os.environ[ADMIN_VAR], os.environ[RUN_VAR] = admin, run
    try:
        prepare_test_run(admin, run)
        yield admin
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        try:
            drop_databases(admin, f"gst_{run}_")
        finally:
            if cluster is not None:
                cluster.destroy()


def main(argv: list[str]) -> int:
    """``python -m geo_service.store.pg_local start|stop FOLDER`` (for .ci/run): start prints
    the admin URL of a throwaway cluster in FOLDER; stop stops it and removes FOLDER."""
    from geo_service.messages import Msg

    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print(Msg("db.pg_local_usage").text(), file=sys.stderr)
        return 2
    lacking = missing()
    if lacking:
        print(Msg("db.local_missing", what=lacking, hint=INSTALL_HINT).text(), file=sys.stderr)
        return 2
    cluster = Cluster(Path(argv[1]))
    if argv[0] == "stop":
        cluster.destroy()
        return 0
    print(cluster.start().url(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
