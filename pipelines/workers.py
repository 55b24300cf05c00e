"""Article extraction in worker processes, each page under a hard time limit.

:func:`pipelines.extract.extract_article` checks its deadline between stages, but a stage (one
trafilatura run over a pathological page) cannot be interrupted in a thread: a hostile site serving
such pages would keep every extraction thread busy long after their pages timed out. In a worker
process it can: a page that overruns ``CLEAN_TIMEOUT`` has its worker killed and replaced, and
comes back as a ``timeout`` skip on time. The workers also run beside the reactor's thread, so the
crawl uses a second core.

Each worker is a fresh interpreter (``python -m pipelines.workers FD``, the crawl's ``sys.path``
passed on, so a scrapyd egg works too): nothing of the crawl's process, no open WARC and no lock on
one, is inherited, and the crawl's ``__main__`` is never imported again. A job is the page's text,
what the worker's replica of the site's template lacks (:meth:`SiteTemplate.replica_update`: the
whole of it once, then the key counts that changed since; a replica strips exactly as the template,
it does not learn) and the extraction's options; the result is the same dict
:func:`~pipelines.extract.extract_article` returns in the crawl's own process.

A worker whose parent dies reads end-of-file on its pipe and exits.
"""

from __future__ import annotations

import contextlib
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

import structlog

from pipelines.extract import empty_result, extract_article
from pipelines.template import SiteTemplate

log = structlog.get_logger(__name__)

# Seconds a worker is given to start (import trafilatura, lxml) before its first page's clock runs.
_START_TIMEOUT = 60.0
# A killed worker is reaped within this many seconds.
_JOIN_TIMEOUT = 5.0


def _serve(conn: Connection) -> None:
    """A worker's loop: receive a job, extract, send the result; exit at end-of-file."""
    templates: dict[str, SiteTemplate] = {}
    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return  # the crawl's process is gone (or closed us): nothing left to do
        # update: what the site's replica lacks (or None: it is up to date); False: no template
        site, update, kwargs = job
        if update:
            templates[site] = SiteTemplate.replica(site, update, templates.get(site))
        try:
            template = templates.get(site) if update is not False else None
            result = extract_article(template=template, **kwargs)
        except Exception as exc:  # noqa: BLE001 - one bad page must not end the worker
            result = empty_result(kwargs.get("url", ""), "error")
            result["error"] = repr(exc)
        conn.send(result)


class _Worker:
    def __init__(self) -> None:
        mine, theirs = socket.socketpair()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.process = subprocess.Popen(  # noqa: S603 - our own module, no shell
            [sys.executable, "-m", "pipelines.workers", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            env=env,
        )
        theirs.close()
        self.conn = Connection(mine.detach())
        self.templates: dict[str, tuple] = {}  # site -> version of the replica it holds
        self.started = False

    def wait_started(self) -> None:
        if not self.started:
            if not self.conn.poll(_START_TIMEOUT):
                raise RuntimeError("an extraction worker did not start")
            self.conn.recv()
            self.started = True

    def stop(self, *, kill: bool = False) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()
        if kill:
            self.process.kill()
        try:
            self.process.wait(_JOIN_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(_JOIN_TIMEOUT)


class ExtractionWorkers:
    """``size`` worker processes; :meth:`extract` blocks (call it from a thread) until one is free
    and its page is done, or its time is up."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"size={size}: at least one worker")
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self.size = size
        self.killed = 0  # workers killed for overrunning their page's time
        for _ in range(size):
            self._idle.put(self._start())

    def _start(self) -> _Worker:
        worker = _Worker()
        with self._lock:
            self._all.add(worker)
        return worker

    def _retire(self, worker: _Worker, *, kill: bool) -> None:
        with self._lock:
            self._all.discard(worker)
        worker.stop(kill=kill)

    def extract(
        self, site: str, template: SiteTemplate | None, *, timeout: float, **kwargs: Any
    ) -> dict[str, Any]:
        """:func:`~pipelines.extract.extract_article` of ``kwargs`` (``body``, ``url`` ...) in a
        worker, never longer than ``timeout`` seconds once the worker has the page."""
        if self._closed:
            raise RuntimeError("the extraction workers are closed")
        worker = self._idle.get()
        try:
            worker.wait_started()
            update: tuple | bool | None = False
            if template is not None:
                version, update = template.replica_update(worker.templates.get(site))
                worker.templates[site] = version
            started = time.monotonic()
            worker.conn.send((site, update, {**kwargs, "timeout": timeout}))
            # extract_article keeps to its deadline between stages; the rest is the stage that
            # overran, which only killing the worker stops.
            if worker.conn.poll(timeout + max(0.0, started - time.monotonic())):
                result = worker.conn.recv()
                self._idle.put(worker)
                return result
        except (EOFError, OSError, RuntimeError) as exc:
            log.warning("clean.worker_failed", error=repr(exc), url=kwargs.get("url"))
            self._retire(worker, kill=True)
            self._idle.put(self._start())
            return empty_result(kwargs.get("url", ""), "error")
        self.killed += 1
        self._retire(worker, kill=True)
        self._idle.put(self._start())
        return empty_result(kwargs.get("url", ""), "timeout")

    def wait_ready(self) -> None:
        """Block until every idle worker has started (a replacement for a killed one imports
        trafilatura and lxml first): from then on a page's clock is all its own."""
        workers = []
        for _ in range(self.size):
            try:
                workers.append(self._idle.get(timeout=_START_TIMEOUT))
            except queue.Empty:
                break
        try:
            for worker in workers:
                worker.wait_started()
        finally:
            for worker in workers:
                self._idle.put(worker)

    def close(self) -> None:
        """Stop every worker (a page in progress is abandoned)."""
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.stop()


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1])))
