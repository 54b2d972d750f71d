"""``serve`` and ``worker``: the app on waitress, one process or N pre-forked ones.

``serve --workers N`` binds the port once, then forks N children that each run waitress on
the inherited socket (the kernel hands each connection to one of them). The parent only
watches: a child that dies is replaced (at most one restart a second), SIGTERM or SIGINT
stops them all. The app is made once in the parent (migrations, the catalog read once and
shared copy-on-write); each child opens its own database connections and runs its own job
dispatcher and worker pool. Layers written by one child reach the others as they reach
other servers: within LAYER_REFRESH_SECONDS.

Every serving process (and ``worker``) runs the dispatcher of the shared job queue
(``land.dispatch``). Stopped with SIGTERM or SIGINT it gives the jobs it holds back to the
queue at once (another server takes them) instead of leaving them to their lease's end.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
import threading
import time

from geo_service.messages import Msg

log = logging.getLogger(__name__)

#: The most server processes ``serve --workers`` starts.
MAX_WORKERS = 64


def say(key: str, **params) -> None:
    print(Msg(key, **params).text(), file=sys.stderr, flush=True)


def give_back(jobs) -> None:
    """Stop claiming and give the held jobs back to the queue (attempts not counted)."""
    jobs.stop()
    with jobs.lock:
        held = dict(jobs.held)
    for job_id, token in held.items():
        with contextlib.suppress(Exception):  # the database away: the lease runs out instead
            jobs.queue.unclaim(job_id, token)


def stop_on_signals(jobs) -> None:
    """SIGTERM / SIGINT: give the held jobs back, then exit at once (the worker processes
    follow their server)."""

    def stop(signum, _frame) -> None:
        give_back(jobs)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def run_waitress(app, threads: int, **where) -> None:
    """waitress strips every X-Forwarded-* header unless told otherwise: it keeps them only
    when this configuration reads them, and web.proxy then takes them from TRUSTED_PROXIES
    only."""
    import waitress

    from geo_service.config import reads_forwarded
    from geo_service.tiles.service import warm_in_background

    jobs = app.extensions["geo_service.jobs"]
    stop_on_signals(jobs)
    jobs.start()
    warm_in_background(app)  # what the first map after a start needs, made beside waitress
    strip = not reads_forwarded(app.config)
    waitress.serve(
        app, threads=threads, ident="geo_service", clear_untrusted_proxy_headers=strip, **where
    )


def serve(app, host: str, port: int, workers: int, threads: int) -> int:
    """Serve ``app`` on host:port with ``workers`` processes (1: this one)."""
    if workers <= 1:
        run_waitress(app, threads, host=host, port=port)
        return 0
    listener = socket.create_server((host, port), backlog=2048, reuse_port=False)
    say("cli.serving_workers", url=f"http://{host}:{port}", workers=workers, pid=os.getpid())
    return Parent(app, listener, workers, threads).run()


class Parent:
    """The pre-fork parent: starts, watches and stops the serving children."""

    def __init__(self, app, listener: socket.socket, workers: int, threads: int):
        self.app = app
        self.listener = listener
        self.workers = workers
        self.threads = threads
        self.children: set[int] = set()
        self.stopping = threading.Event()

    def spawn(self) -> int:
        """Fork one server. Stop signals are held back over the fork so that a child never
        runs the parent's handler: until it installs its own, a stop signal ends it."""
        stops = {signal.SIGTERM, signal.SIGINT}
        signal.pthread_sigmask(signal.SIG_BLOCK, stops)
        pid = os.fork()
        if pid == 0:  # the child: serve until stopped
            code = 1
            try:
                for number in (*stops, signal.SIGCHLD):
                    signal.signal(number, signal.SIG_DFL)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, stops)
                run_waitress(self.app, self.threads, sockets=[self.listener])
                code = 0
            finally:
                os._exit(code)
        self.children.add(pid)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, stops)
        return pid

    def stop(self, signum, _frame) -> None:
        self.stopping.set()
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        for _ in range(self.workers):
            self.spawn()
        last_restart = 0.0
        while self.children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            if pid not in self.children:
                continue  # not a server (a tool's helper)
            self.children.discard(pid)
            if self.stopping.is_set():
                continue
            time.sleep(max(0.0, 1.0 - (time.monotonic() - last_restart)))
            last_restart = time.monotonic()
            new = self.spawn()
            say("cli.server_restarted", old=pid, how=exit_words(status), new=new)
        self.listener.close()
        return 0


def exit_words(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"code {os.waitstatus_to_exitcode(status)}"


def work(app, seconds: float = 60.0) -> int:
    """``worker``: run queued jobs only (no HTTP) until SIGTERM/SIGINT; then claim no more
    and wait up to ``seconds`` for the running ones before giving them back."""
    jobs = app.extensions["geo_service.jobs"]
    stopping = threading.Event()

    def stop(signum, _frame) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    from geo_service.store.engine import redacted

    say("cli.worker_started", workers=jobs.workers, url=redacted(jobs.store.url))
    jobs.start()
    while not stopping.wait(1.0):
        pass
    jobs.stop()
    say("cli.worker_stopping", running=jobs.in_flight(), seconds=int(seconds))
    deadline = time.monotonic() + seconds
    while jobs.in_flight() and time.monotonic() < deadline:
        time.sleep(0.2)
    give_back(jobs)
    os._exit(0)
