"""``newsarchive crawl SITE --workers N``: N processes on this machine crawl one crawl together.

The parent settles the crawl id once (``ARCHIVE_CRAWL_ID`` if given, else ``SITE-YYYYmmddTHHMMSS``)
and starts the same ``newsarchive crawl`` command N times with ``-s ARCHIVE_CRAWL_ID=ID``. They
share the Redis frontier (``REDIS_URL`` is required): each page is fetched once, by one of them;
each writes its own WARC files (named with its ``HOST-PID``) into the archive; the last to close
writes the crawl's one manifest; the story index is shared (see :mod:`crawler.frontier`). More
processes on other machines join the same crawl with ``-s ARCHIVE_CRAWL_ID=ID``.

While they run, the parent logs a ``workers.progress`` line every ``PROGRESS_INTERVAL`` seconds
(each worker's pages, from its heartbeat in Redis). Ctrl-C and SIGTERM are passed on to every
worker (each runs in its own process group, so a terminal's Ctrl-C reaches it once, through the
parent; twice stops them at once, as for one crawl). At the end it prints a summary of the crawl
from its manifest, one line per worker, and exits with the worst status of the workers
(:mod:`crawler.exitcodes`), a worker that found nothing left to fetch (status 4 or 8) aside when
another one fetched.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from crawler.archive.manifest import UnknownCrawl, read_manifest
from crawler.archive.store import ArchiveConfigError
from crawler.archive.stores import open_store
from crawler.config import ConfigError, float_setting
from crawler.crawl_id import resolve_crawl_id
from crawler.exitcodes import (
    EXIT_ARCHIVE,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_NETWORK,
    EXIT_OK,
    EXIT_SERVER_ERRORS,
    EXIT_USAGE,
)
from crawler.peers import CrawlPeers

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

log = structlog.get_logger(__name__)

OPTION = "--workers"
# The worst first: which status the parent returns when its workers' differ.
_SEVERITY = (
    EXIT_ARCHIVE,
    EXIT_USAGE,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_SERVER_ERRORS,
    EXIT_NETWORK,
)
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class WorkersError(ConfigError):
    """``--workers`` cannot run as asked: one line naming the option or setting."""


def check_workers(settings: BaseSettings, workers: int) -> None:
    if workers < 1:
        raise WorkersError(f"{OPTION} {workers}: at least 1")
    if not settings.get("REDIS_URL"):
        raise WorkersError(
            f"{OPTION} needs REDIS_URL (env or -s REDIS_URL=redis://host:6379/0): "
            "the workers share their frontier there"
        )
    if settings.get("JOBDIR"):
        raise WorkersError(
            f"{OPTION} cannot be used with --job-dir (JOBDIR): the Redis frontier keeps the "
            "crawl; resume it with -s ARCHIVE_CRAWL_ID=ID"
        )


def worker_args(argv: list[str], crawl_id: str) -> list[str]:
    """``argv`` (``crawl SITE ... --workers N ...``) without ``--workers N``, with the crawl id."""
    args: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if len(name) > 2 and OPTION.startswith(name):  # argparse takes --work for --workers
            skip = "=" not in arg
            continue
        args.append(arg)
    return [*args, "-s", f"ARCHIVE_CRAWL_ID={crawl_id}"]


class Worker:
    """One ``newsarchive crawl`` child process; its stdout (the summary) is kept."""

    def __init__(self, number: int, args: list[str]) -> None:
        self.number = number
        # its own process group: a terminal's Ctrl-C reaches it through the parent only, once
        self.proc = subprocess.Popen(  # noqa: S603 - this interpreter, this program
            [sys.executable, "-m", "crawler.cli", *args],
            stdout=subprocess.PIPE,
            text=True,
            process_group=0,
        )
        self.stdout = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        self.stdout = self.proc.stdout.read() if self.proc.stdout else ""

    @property
    def pid(self) -> int:
        return self.proc.pid

    def running(self) -> bool:
        return self.proc.poll() is None

    def signal(self, signum: int) -> None:
        if self.running():
            self.proc.send_signal(signum)

    def wait(self) -> int:
        status = self.proc.wait()
        self._reader.join()
        return status


def run_workers(argv: list[str], settings: BaseSettings, site_name: str, workers: int) -> int:
    """Run ``workers`` processes of one crawl (see the module doc); the combined exit status."""
    check_workers(settings, workers)
    interval = float_setting(settings, "PROGRESS_INTERVAL")
    crawl_id = resolve_crawl_id(settings, site_name)
    settings.set("ARCHIVE_CRAWL_ID", crawl_id, priority="cmdline")
    args = worker_args(argv, crawl_id)
    interrupted: list[int] = []
    children: list[Worker] = []

    def forward(signum: int, _frame) -> None:
        interrupted.append(signum)
        log.warning("workers.interrupted", signal=signal.Signals(signum).name, crawl_id=crawl_id)
        for child in children:
            child.signal(signum)

    previous = {signum: signal.signal(signum, forward) for signum in _SIGNALS}
    peers = CrawlPeers.from_settings(settings)
    try:
        children.extend(Worker(n, args) for n in range(1, workers + 1))
        log.info("workers.started", crawl_id=crawl_id, pids=[c.pid for c in children])
        _watch(children, peers, crawl_id, interval)
        statuses = [child.wait() for child in children]
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if peers is not None:
            peers.close()
    for child, status in zip(children, statuses, strict=True):
        log.info("workers.exited", crawl_id=crawl_id, pid=child.pid, status=status)
    status = combined_status(statuses, interrupted=bool(interrupted))
    print(summary_text(settings, crawl_id, children, statuses, status))
    for child, code in zip(children, statuses, strict=True):
        if code not in (EXIT_OK, EXIT_NETWORK, EXIT_SERVER_ERRORS) and child.stdout.strip():
            print(f"--- worker {child.number} (pid {child.pid}) said:\n{child.stdout.rstrip()}")
    return status


def _watch(
    children: list[Worker], peers: CrawlPeers | None, crawl_id: str, interval: float
) -> None:
    """Wait for every child, logging the crawl's progress every ``interval`` seconds (0: none)."""
    last = time.monotonic()
    while any(child.running() for child in children):
        time.sleep(0.2)
        if interval <= 0 or time.monotonic() - last < interval or peers is None:
            continue
        last = time.monotonic()
        alive = peers.alive()
        log.info(
            "workers.progress",
            crawl_id=crawl_id,
            running=sum(child.running() for child in children),
            pages={name: beat.get("fetched", 0) for name, beat in alive.items()},
            in_flight=sum(beat.get("inflight", 0) for beat in alive.values()),
        )


def combined_status(statuses: list[int], *, interrupted: bool = False) -> int:
    """The parent's exit status: the worst of its workers'. A worker that fetched nothing (4, 8)
    while another fetched found the frontier empty: that is not a failure of the crawl."""
    if interrupted and all(s in (EXIT_OK, EXIT_INTERRUPTED) or s < 0 for s in statuses):
        return EXIT_INTERRUPTED
    statuses = [EXIT_FAILURE if s < 0 else s for s in statuses]  # killed by a signal
    if EXIT_OK in statuses:
        statuses = [s for s in statuses if s not in (EXIT_NETWORK, EXIT_SERVER_ERRORS)]
    failed = [s for s in statuses if s != EXIT_OK]
    if not failed:
        return EXIT_OK
    return next((s for s in _SEVERITY if s in failed), failed[0])


def summary_text(
    settings: BaseSettings, crawl_id: str, children: list[Worker], statuses: list[int], status: int
) -> str:
    manifest = _manifest(settings, crawl_id)
    codes = ", ".join(map(str, statuses))
    lines = [f"Crawl {crawl_id}: {len(children)} workers, exit status {status} (workers: {codes})"]
    by_pid = {}
    for worker in (manifest or {}).get("workers", []):
        by_pid[worker["worker"].rsplit("-", 1)[-1]] = worker
    for child, code in zip(children, statuses, strict=True):
        worker = by_pid.get(str(child.pid))
        if worker is None:
            lines.append(
                f"  worker {child.number}  pid {child.pid}  exit {code}  (no part in the manifest)"
            )
            continue
        stats = worker.get("stats") or {}
        lines.append(
            f"  worker {child.number}  {worker['worker']}  exit {code}  "
            f"pages {stats.get('response_received_count', 0)}  "
            f"articles {stats.get('item_scraped_count', 0)}  WARC files {len(worker['files'])}  "
            f"({worker.get('finish_reason')})"
        )
    archive = settings.get("ARCHIVE_URI")
    if "://" not in archive:
        archive = str(Path(archive).resolve())
    if manifest is None:
        lines.append(f"  no manifest for {crawl_id} in {archive}")
        return "\n".join(lines)
    stats = manifest.get("stats") or {}
    totals = manifest.get("totals") or {}
    total = (
        f"  all workers   pages {stats.get('response_received_count', 0)}  "
        f"articles {stats.get('item_scraped_count', 0)} exported  "
        f"WARC files {totals.get('files', len(manifest['files']))}  "
        f"({totals.get('bytes', 0):,} bytes)  {manifest.get('finish_reason')}"
    )
    lines += [total, f"  manifest      manifests/{crawl_id}.json", f"archive: {archive}"]
    return "\n".join(lines)


def _manifest(settings: BaseSettings, crawl_id: str) -> dict | None:
    try:
        store = open_store(
            settings.get("ARCHIVE_URI"),
            spool_dir=settings.get("ARCHIVE_SPOOL_DIR"),
            settings=settings,
        )
        return read_manifest(store, crawl_id)
    except (UnknownCrawl, ArchiveConfigError, OSError) as exc:
        log.warning("workers.no_manifest", crawl_id=crawl_id, error=str(exc))
        return None
