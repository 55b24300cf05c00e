"""Where the scheduler's crawls run: scrapyd nodes, or ``newsarchive crawl`` processes here.

Both runners answer the same questions: start a crawl of a site (``start``), and, for a crawl
started earlier (by this scheduler or another one), whether it still runs (``outcome``).

:class:`ScrapydRunner` talks to each node's JSON API (``listjobs.json`` once per cycle,
``schedule.json`` to start a job) with HTTP basic auth. A crawl goes to the node with the fewest
pending and running jobs of the project (ties: the one used longest ago); a node that does not
answer, or refuses, is logged and skipped, and the crawl goes to the next one. A job is done when
its node lists it as finished, or no longer lists it at all (the node was restarted).

:class:`LocalRunner` runs at most ``SCHEDULE_MAX_LOCAL`` crawls at once, each a child process
``python -m crawler.cli crawl SITE`` with the scheduler's environment and working directory.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import unquote, urlencode, urlsplit
from urllib.request import Request, urlopen

import structlog

from crawler.crawl_id import host_name
from crawler.redact import without_userinfo

log = structlog.get_logger(__name__)

RUNNING = "running"  # pending or running: the site's lock stays
ENDED = "ended"  # finished, or gone (the node forgot it, the process is no more)
UNKNOWN = "unknown"  # cannot tell now (node down, a crawl another machine runs)


@dataclass(frozen=True)
class Outcome:
    """What became of a crawl: ``state`` (RUNNING, ENDED, UNKNOWN); for an ended local crawl its
    exit status; ``gone`` when nothing knows the crawl any more (no exit status, no end time)."""

    state: str
    exit_status: int | None = None
    gone: bool = False


class NodeError(Exception):
    """A scrapyd node did not do what was asked; the message is one line naming the node."""


class NoCapacity(Exception):
    """No crawl can start now: every node failed, or the local crawls are at their limit."""


class ScrapydNode:
    """One scrapyd node's JSON API (``project`` only), with basic auth when a password is given
    (in ``SCRAPYD_PASSWORD``, or as ``http://user:password@host:6800`` in the URL)."""

    def __init__(
        self, url: str, *, username: str, password: str | None, project: str, timeout: float
    ) -> None:
        parts = urlsplit(url)
        if parts.password is not None:
            username, password = unquote(parts.username or ""), unquote(parts.password)
        self.name = without_userinfo(url).rstrip("/")
        self.project = project
        self.timeout = timeout
        self._auth = None
        if password is not None:
            token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
            self._auth = f"Basic {token}"

    def list_jobs(self) -> dict[str, list[dict[str, Any]]]:
        """``{"pending": [...], "running": [...], "finished": [...]}`` of the project."""
        return self._call("listjobs.json", query={"project": self.project})

    def schedule(self, site: str, job: str, settings: dict[str, str]) -> str:
        """Start the ``news`` spider on ``site`` as job ``job`` with these settings."""
        data = [("project", self.project), ("spider", "news"), ("site", site), ("jobid", job)]
        data += [("setting", f"{name}={value}") for name, value in settings.items()]
        return self._call("schedule.json", data=data)["jobid"]

    def _call(
        self, path: str, *, query: dict | None = None, data: list | None = None
    ) -> dict[str, Any]:
        url = f"{self.name}/{path}" + (f"?{urlencode(query)}" if query else "")
        body = urlencode(data).encode() if data is not None else None
        request = Request(url, data=body)  # noqa: S310 - SCRAPYD_URLS are checked http(s) URLs
        if self._auth:
            request.add_header("Authorization", self._auth)
        try:
            with urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - as above
                payload = json.loads(response.read())
        except HTTPError as exc:
            if exc.code == 401:
                raise NodeError(
                    f"{self.name}: credentials refused (401): check SCRAPYD_USERNAME and "
                    "SCRAPYD_PASSWORD"
                ) from None
            raise NodeError(f"{self.name}: {path} answered HTTP {exc.code}") from None
        except (URLError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise NodeError(f"{self.name}: no answer ({reason})") from None
        except ValueError:
            raise NodeError(f"{self.name}: {path} did not answer JSON (a scrapyd node?)") from None
        if not isinstance(payload, dict) or payload.get("status") != "ok":
            message = payload.get("message") if isinstance(payload, dict) else payload
            hint = ""
            if "not found" in str(message) and "project" in str(message):
                hint = " (deploy the project there with scrapyd-deploy, or set SCRAPYD_PROJECT)"
            raise NodeError(f"{self.name}: {path}: {message}{hint}")
        return payload


class ScrapydRunner:
    """Crawls as scrapyd jobs, spread over ``nodes`` (see the module doc)."""

    kind = "scrapyd"

    def __init__(self, nodes: list[ScrapydNode]) -> None:
        self.nodes = {node.name: node for node in nodes}
        # per cycle: each node's jobs (None: it did not answer), and its load
        self._jobs: dict[str, dict[str, Any] | None] = {}
        self._load: dict[str, int] = {}
        self._last_used: dict[str, float] = dict.fromkeys(self.nodes, 0.0)
        self._errors: dict[str, str] = {}

    def refresh(self) -> None:
        """Ask every node for its jobs (one call per node)."""
        for name, node in self.nodes.items():
            try:
                listing = node.list_jobs()
            except NodeError as exc:
                self._node_failed(name, str(exc))
                self._jobs[name] = None
                continue
            if name in self._errors:
                log.info("schedule.node_back", node=name)
                del self._errors[name]
            self._jobs[name] = {
                "active": {j["id"] for j in listing["pending"] + listing["running"]},
                "finished": {j["id"]: j for j in listing["finished"]},
            }
            self._load[name] = len(listing["pending"]) + len(listing["running"])

    def outcome(self, run: dict[str, Any]) -> Outcome:
        jobs = self._jobs.get(run.get("node") or "")
        if jobs is None or not run.get("job"):
            return Outcome(UNKNOWN)
        if run["job"] in jobs["active"]:
            return Outcome(RUNNING)
        return Outcome(ENDED, gone=run["job"] not in jobs["finished"])

    def start(self, site: str, crawl_id: str, settings: dict[str, str]) -> tuple[str, str]:
        """Start the crawl on the least busy node that answers: ``(node, job id)``."""
        candidates = sorted(
            (name for name, jobs in self._jobs.items() if jobs is not None),
            key=lambda name: (self._load.get(name, 0), self._last_used[name]),
        )
        for name in candidates:
            try:
                job = self.nodes[name].schedule(site, crawl_id, settings)
            except NodeError as exc:
                self._node_failed(name, str(exc))
                self._jobs[name] = None
                continue
            self._load[name] = self._load.get(name, 0) + 1
            self._last_used[name] = time.monotonic()
            self._jobs[name]["active"].add(job)
            return name, job
        raise NoCapacity("no scrapyd node answered (SCRAPYD_URLS)")

    def has_capacity(self) -> bool:
        """Always: scrapyd queues what its slots cannot run yet (a node down: see ``start``)."""
        return True

    def load(self) -> dict[str, int | None]:
        """Pending and running jobs per node (None: it did not answer)."""
        return {n: (self._load.get(n, 0) if self._jobs.get(n) else None) for n in self.nodes}

    def node_errors(self) -> dict[str, str]:
        return dict(self._errors)

    def stop(self) -> None:
        """Nothing to stop: the jobs go on on their nodes; the next scheduler collects them."""

    def wait(self, stop: threading.Event) -> None:
        """Nothing to wait for here (see :meth:`stop`)."""

    def _node_failed(self, name: str, error: str) -> None:
        if self._errors.get(name) != error:  # once per problem, not once per cycle
            log.warning("schedule.node_unreachable", node=name, error=error)
        self._errors[name] = error


class LocalRunner:
    """Crawls as child processes of the scheduler, at most ``max_running`` at once."""

    kind = "local"

    def __init__(self, max_running: int, *, cwd: str | None = None) -> None:
        self.max_running = max_running
        self.cwd = cwd
        self.node = f"local:{host_name()}"
        self._procs: dict[str, subprocess.Popen] = {}  # crawl id -> its process
        self._asked: set[int] = set()  # pids already asked to finish

    def refresh(self) -> None:
        """Nothing to ask: the children are polled in :meth:`outcome`."""

    def outcome(self, run: dict[str, Any]) -> Outcome:
        proc = self._procs.get(run.get("crawl_id") or "")
        if proc is not None:
            status = proc.poll()
            if status is None:
                return Outcome(RUNNING)
            del self._procs[run["crawl_id"]]
            return Outcome(ENDED, exit_status=status)
        if run.get("node") != self.node or not run.get("job"):
            return Outcome(UNKNOWN)  # another machine's crawl, or one still being started
        # a crawl of an earlier scheduler on this machine: running while its process lives
        return Outcome(RUNNING) if _alive(int(run["job"])) else Outcome(ENDED, gone=True)

    def start(self, site: str, crawl_id: str, settings: dict[str, str]) -> tuple[str, str]:
        if not self.has_capacity():
            raise NoCapacity(f"{self.max_running} local crawls run already (SCHEDULE_MAX_LOCAL)")
        command = [sys.executable, "-m", "crawler.cli", "crawl", site]
        for name, value in settings.items():
            command += ["-s", f"{name}={value}"]
        # stdout holds the crawl's text summary; its log (stderr) goes where the scheduler's goes
        proc = subprocess.Popen(command, cwd=self.cwd, stdout=subprocess.DEVNULL)  # noqa: S603
        self._procs[crawl_id] = proc
        return self.node, str(proc.pid)

    def has_capacity(self) -> bool:
        return sum(p.poll() is None for p in self._procs.values()) < self.max_running

    def load(self) -> dict[str, int | None]:
        return {self.node: sum(p.poll() is None for p in self._procs.values())}

    def node_errors(self) -> dict[str, str]:
        return {}

    def stop(self) -> None:
        """Ask every running crawl to finish (SIGINT: it closes its files, as on Ctrl-C), once: a
        second SIGINT is Scrapy's "stop at once", which would leave its files open."""
        for proc in self._procs.values():
            if proc.poll() is None and proc.pid not in self._asked:
                self._asked.add(proc.pid)
                proc.send_signal(signal.SIGINT)

    def wait(self, stop: threading.Event) -> None:
        """Wait for every crawl this runner started; once ``stop`` is set, ask them to finish."""
        stopping = False
        while any(p.poll() is None for p in self._procs.values()):
            if stop.is_set() and not stopping:
                self.stop()
                stopping = True
            time.sleep(0.2)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
