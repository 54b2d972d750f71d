"""``make run-postgis``: the service on a local throwaway PostGIS cluster under instance/pg/.

Installs nothing: without PostgreSQL or PostGIS it says which Debian packages to install and
exits 2. Otherwise it starts the cluster kept in ``instance/pg/`` (made on first use, on a
spare port kept in ``instance/pg/port``; durable settings, its data stays between runs),
creates the database ``geo_service``, keeps a SECRET_KEY in ``instance/pg_secret_key``
(0600), and runs ``python -m geo_service serve`` with ``GEO_SERVICE_DATABASE_URL`` set to
it; when serve ends the cluster is stopped. Arguments are passed to ``serve``.
"""

from __future__ import annotations

import os
import subprocess
import sys

from geo_service.config import REPO_ROOT
from geo_service.messages import Msg
from geo_service.store import pg_local

FOLDER = REPO_ROOT / "instance" / "pg"
DATABASE = "geo_service"
#: A cluster to try the service on keeps what it is given (not the tests' fsync=off).
DURABLE = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}


def say(key: str, **params) -> None:
    print(Msg(key, **params).text(), flush=True)


def main(argv: list[str] | None = None) -> int:
    from geo_service import secret_key

    lacking = pg_local.missing()
    if lacking:
        say("db.local_missing", what=lacking, hint=pg_local.INSTALL_HINT)
        return 2
    cluster = pg_local.Cluster(FOLDER, settings=DURABLE).start()
    pg_local.create_database(cluster.url(), DATABASE)
    url = cluster.url(DATABASE)
    env = dict(os.environ)
    env["GEO_SERVICE_DATABASE_URL"] = url
    if not env.get("GEO_SERVICE_SECRET_KEY"):
        env["GEO_SERVICE_SECRET_KEY"] = secret_key("", REPO_ROOT / "instance" / "pg_secret_key")
    say("db.local_serving", url=url, folder=str(FOLDER))
    server = subprocess.Popen(
        [sys.executable, "-m", "geo_service", "serve", *(argv or [])], env=env
    )
    try:
        return server.wait()
    except KeyboardInterrupt:
        return server.wait()
    finally:
        cluster.stop()
        say("db.local_stopped", folder=str(FOLDER))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
