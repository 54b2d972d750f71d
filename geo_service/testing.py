"""Helpers shared by the tests and the benchmarks: the service in its own process, Chromium."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from geo_service.config import REPO_ROOT

CHROMIUM = os.environ.get("GEO_SERVICE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_service(
    env: dict[str, str] | None = None, timeout: float = 60, args: tuple[str, ...] = ()
) -> Iterator[str]:
    """``python -m geo_service serve`` in its own process, as a user runs it (``args``: more
    options, e.g. ``--workers 2``); yields its URL.

    A separate process, not a thread: GDAL holds the GIL while it reads, which would
    deadlock a server thread in the same interpreter.
    """
    port = free_port()
    scratch = tempfile.TemporaryDirectory(prefix="geo_service-serve-")
    env = {
        "GEO_SERVICE_AUTH": "none",
        "GEO_SERVICE_AUTH_DB": f"{scratch.name}/auth.sqlite",
        "GEO_SERVICE_CHECKS_DB": f"{scratch.name}/checks.sqlite",
        "GEO_SERVICE_ACTUALS_DB": f"{scratch.name}/actuals.sqlite",
        # a loaded CI machine may take longer than 20 s to start a check worker
        "GEO_SERVICE_CHECK_SYNC_SECONDS": "120",
        **(env or {}),
    }
    env = {name: str(value) for name, value in env.items()}  # tests pass config values
    log = open(f"{scratch.name}/serve.log", "w+")  # noqa: SIM115 - a file, not a pipe that fills
    process = subprocess.Popen(
        [sys.executable, "-m", "geo_service", "serve", "--port", str(port), *args],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process, log, timeout, "geo_service serve")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
        scratch.cleanup()


def wait_until_up(
    url: str, process: subprocess.Popen, log: IO[str], timeout: float, what: str
) -> None:
    """Poll ``url``/conformance until it answers; ``what`` exited (its ``log`` in the error)
    or ``timeout`` seconds passed is an error."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"{what} exited: {log.read()}")
        try:
            urllib.request.urlopen(f"{url}/conformance", timeout=2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def chromium_available() -> bool:
    return Path(CHROMIUM).exists()
