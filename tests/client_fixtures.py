"""The service in its own process with a request log, so client tests see what a client sent.

GDAL, OWSLib and QGIS decide themselves which query parameters to send; a test that says a
filter was *pushed to the server* must read the URLs the server received. Run as a script
(``python tests/client_fixtures.py PORT LOG``) it serves the app on waitress and appends one
line per request, ``METHOD /path?query``, to LOG.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

HERE = Path(__file__).resolve()
REPO_ROOT = HERE.parent.parent


class RequestLog:
    """The requests one served process received, read back from its log file."""

    def __init__(self, url: str, path: Path) -> None:
        self.url = url
        self.path = path
        self.mark = 0

    def start(self) -> None:
        """Forget what came before: ``requests()`` lists what came after this call."""
        self.mark = self.path.stat().st_size

    def requests(self) -> list[str]:
        with self.path.open("rb") as log:
            log.seek(self.mark)
            return [line.decode().split(" ", 1)[1] for line in log.read().splitlines()]

    def items_queries(self, collection_id: str) -> list[dict[str, list[str]]]:
        """The decoded query strings of the ``/items`` requests for one collection."""
        wanted = f"/collections/{collection_id}/items"
        return [
            parse_qs(urlsplit(target).query)
            for target in self.requests()
            if urlsplit(target).path == wanted
        ]


@contextlib.contextmanager
def recording_service(timeout: float = 60) -> Iterator[RequestLog]:
    """This file as a script on a free port, as ``testing.running_service`` runs the service."""
    from geo_service.testing import free_port, wait_until_up

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="geo_service-clients-") as scratch:
        env = {
            **os.environ,
            "GEO_SERVICE_AUTH": "none",
            "GEO_SERVICE_AUTH_DB": f"{scratch}/auth.sqlite",
            "GEO_SERVICE_CHECKS_DB": f"{scratch}/checks.sqlite",
            "GEO_SERVICE_ACTUALS_DB": f"{scratch}/actuals.sqlite",
            "PYTHONPATH": str(REPO_ROOT),
        }
        log_path = Path(scratch) / "requests.log"
        log_path.touch()
        output = open(f"{scratch}/serve.log", "w+")  # noqa: SIM115 - a file, not a pipe
        process = subprocess.Popen(
            [sys.executable, str(HERE), str(port), str(log_path)],
            cwd=REPO_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(url, process, output, timeout, "recording service")
            yield RequestLog(url, log_path)
        finally:
            process.terminate()
            process.wait(timeout=10)
            output.close()


def recording_fixture():
    """A module's fixture: the service with its request log (``recorded = recording_fixture()``)."""

    @pytest.fixture(scope="module")
    def recorded() -> Iterator[RequestLog]:
        with recording_service() as log:
            yield log

    return recorded


def serve(port: int, log_path: str) -> None:
    import waitress

    from geo_service import create_app

    app = create_app({"PORT": port})
    inner = app.wsgi_app

    def logged(environ, start_response):
        query = environ.get("QUERY_STRING", "")
        target = environ.get("PATH_INFO", "")
        line = f"{environ['REQUEST_METHOD']} {target}{'?' + query if query else ''}\n"
        with open(log_path, "a", encoding="utf-8") as log:
            log.write(line)
        return inner(environ, start_response)

    app.wsgi_app = logged
    waitress.serve(app, host="127.0.0.1", port=port, threads=4, ident="geo_service")


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2])
