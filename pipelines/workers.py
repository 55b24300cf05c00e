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

A worker also reads pages for the crawl's template learner, so that the crawl's process parses no
page: :meth:`ExtractionWorkers.observe` returns a page's
:func:`~pipelines.template.observation` (what the learner takes from it), and
:meth:`ExtractionWorkers.extract` with ``learn`` first sends the page's observation back, lets the
crawl learn from it, then extracts with the template as it is after that page — what the crawl's
own process does, with the page sent, parsed and cut into blocks once.

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
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from pipelines.decode import page_text
from pipelines.minhash import MinHasher, body_signature
from pipelines.result import empty_result
from pipelines.template import SiteTemplate, observation, observed

# Seconds a worker is given to start (import trafilatura, lxml) before its first page's clock runs.
_START_TIMEOUT = 60.0
# What a thread waiting for a free worker gets once the pool is closed.
_CLOSED = object()
# A killed worker is reaped within this many seconds.
_JOIN_TIMEOUT = 5.0


class WorkersClosed(RuntimeError):
    """A page handed to the pool after it closed (or waiting for a worker when it did): the crawl
    is ending."""


def _log():
    """The crawl's logger, for the crawl's side of the pool only: structlog imports Twisted and
    rich (20 MB), which a worker, a fresh interpreter that never logs, would hold for nothing."""
    import structlog  # noqa: PLC0415

    return structlog.get_logger(__name__)


def _observation(body: str | bytes, content_type: str | None = None) -> list | None:
    """The learner's :func:`~pipelines.template.observation` of a page (None: it cannot be read)."""
    try:
        if isinstance(body, bytes):
            body, _ = page_text(body, content_type)
        return observation(body)
    except Exception:  # noqa: BLE001 - a page the learner cannot parse teaches nothing
        return None


def _serve(conn: Connection) -> None:
    """A worker's loop: receive a job, answer it; exit at end-of-file.

    Jobs: ``("observe", body, content_type)`` -> ``("done", observation or None)``;
    ``("extract", site, update, kwargs)`` -> ``("done", result)``; ``("learn", site, None,
    kwargs)`` -> ``("observed", observation or None)``, then the crawl sends the template's
    ``update`` (it has learned from the page), then -> ``("done", result)``.
    """
    from pipelines.extract import extract_article  # noqa: PLC0415 - the worker's, not the crawl's

    templates: dict[str, SiteTemplate] = {}
    hashers: dict[tuple[int, int], MinHasher] = {}
    conn.send("ready")
    while True:
        try:
            job = conn.recv()
            if job[0] == "observe":
                conn.send(("done", _observation(job[1], job[2])))
                continue
            kind, site, update, kwargs = job
        except (EOFError, OSError):
            return  # the crawl's process is gone (or closed us): nothing left to do
        learning = _Learning(conn, site, templates) if kind == "learn" else None
        # a learn job's template comes with the update its observation brings back
        template = _apply(templates, site, update) if learning is None else None
        # sign: (permutations, shingle size) of the dedupe pipeline, which takes the body's
        # signature from here rather than shingle and hash it in the crawl's process
        sign = kwargs.pop("sign", None)
        try:
            observe = learning.observe if learning is not None else None
            result = extract_article(template=template, observe=observe, **kwargs)
            if learning is not None and not learning.done:
                # the page never parsed for extraction: the learner sees it as it would here
                learning.send(_observation(kwargs["body"]))
            if sign and result["is_article"]:
                hasher = hashers.get(sign) or hashers.setdefault(sign, MinHasher(*sign))
                result["body_signature"] = body_signature(hasher, result["body"])
        except (EOFError, OSError):
            return
        except Exception as exc:  # noqa: BLE001 - one bad page must not end the worker
            result = empty_result(kwargs.get("url", ""), "error")
            result["error"] = repr(exc)
        conn.send(("done", result))


def _apply(templates: dict[str, SiteTemplate], site: str, update) -> SiteTemplate | None:
    """The site's replica after ``update`` (what it lacks; None: up to date; False: no template)."""
    if update:
        templates[site] = SiteTemplate.replica(site, update, templates.get(site))
    return templates.get(site) if update is not False else None


class _Learning:
    """A ``learn`` job's exchange: the page's blocks, cut once for extraction, go to the crawl as
    its observation; the template update that comes back (the crawl has learned from the page)
    is what the page is stripped with."""

    def __init__(self, conn: Connection, site: str, templates: dict[str, SiteTemplate]) -> None:
        self.conn, self.site, self.templates = conn, site, templates
        self.done = False

    def send(self, blocks: list | None) -> SiteTemplate | None:
        self.done = True
        self.conn.send(("observed", blocks))
        return _apply(self.templates, self.site, self.conn.recv())

    def observe(self, blocks) -> SiteTemplate | None:
        return self.send(observed(blocks))


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
        # Free workers; after close(), _CLOSED, which each waiter puts back for the next one.
        self._idle: queue.SimpleQueue[_Worker | object] = queue.SimpleQueue()
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
        self,
        site: str,
        template: SiteTemplate | None,
        *,
        timeout: float,
        learn: Callable[[list | None], None] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """:func:`~pipelines.extract.extract_article` of ``kwargs`` (``body``, ``url`` ...) in a
        worker, never longer than ``timeout`` seconds once the worker has the page.

        ``learn``: called (in this thread) with the page's observation, made by the worker,
        before the worker extracts: the page is stripped with ``template`` as it is once learned
        from the page itself, as in the crawl's own process (``template`` is required)."""
        url = kwargs.get("url", "")
        job = {**kwargs, "timeout": timeout}

        def update(worker: _Worker) -> tuple | bool | None:
            if template is None:
                return False
            version, changes = template.replica_update(worker.templates.get(site))
            worker.templates[site] = version
            return changes

        if learn is None:
            first = lambda worker: ("extract", site, update(worker), job)  # noqa: E731
            between = None
        else:
            first = lambda _worker: ("learn", site, None, job)  # noqa: E731

            def between(worker: _Worker, blocks: list | None) -> tuple | bool | None:
                learn(blocks)
                return update(worker)

        return self._run(first, timeout, url, lambda why: empty_result(url, why), between)

    def observe(
        self, body: str | bytes, *, timeout: float, content_type: str | None = None, url: str = ""
    ) -> list | None:
        """:func:`pipelines.template.observation` of a page (its text, or its bytes decoded with
        the charset of ``content_type``) made in a worker; None if it cannot be read or took
        longer than ``timeout``."""
        first = lambda _worker: ("observe", body, content_type)  # noqa: E731
        return self._run(first, timeout, url, lambda _why: None)

    def _run(self, first, timeout: float, url: str, failed, between=None):
        """Send ``first(worker)`` to a free worker and answer its ``observed`` message with
        ``between(worker, observation)``; the worker's result, or ``failed("error" |
        "timeout")`` when it died or overran (it is killed and replaced)."""
        worker = self._take()
        try:
            worker.wait_started()
            message = first(worker)
            deadline = time.monotonic() + timeout
            worker.conn.send(message)
            # extract_article keeps to its deadline between stages; the rest is the stage that
            # overran, which only killing the worker stops.
            while worker.conn.poll(max(0.0, deadline - time.monotonic())):
                kind, answer = worker.conn.recv()
                if kind == "done":
                    self._idle.put(worker)
                    return answer
                worker.conn.send(between(worker, answer))
        except (EOFError, OSError, RuntimeError) as exc:
            if not self._closed:  # (closing stops every worker: not a failure)
                _log().warning("clean.worker_failed", error=repr(exc), url=url)
            self._replace(worker)
            return failed("error")
        self.killed += 1
        self._replace(worker)
        return failed("timeout")

    def _take(self) -> _Worker:
        """A free worker; WorkersClosed once the pool is closed, also in a thread that was waiting
        for one when it closed (no worker is started after close())."""
        worker = self._idle.get() if not self._closed else _CLOSED
        if worker is _CLOSED:
            self._idle.put(_CLOSED)  # wake the next waiter too
            raise WorkersClosed("the extraction workers are closed")
        return worker

    def _replace(self, worker: _Worker) -> None:
        self._retire(worker, kill=True)
        if not self._closed:  # a worker started after close() would outlive the crawl
            self._idle.put(self._start())

    def wait_ready(self) -> None:
        """Block until every idle worker has started (a replacement for a killed one imports
        trafilatura and lxml first): from then on a page's clock is all its own."""
        workers = []
        for _ in range(self.size):
            try:
                worker = self._idle.get(timeout=_START_TIMEOUT)
            except queue.Empty:
                break
            if worker is _CLOSED:
                self._idle.put(_CLOSED)
                break
            workers.append(worker)
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
        self._idle.put(_CLOSED)


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1])))
