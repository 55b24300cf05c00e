"""A job directory (``JOBDIR``) that a killed crawl left: start its frontier again.

Scrapy keeps a resumable crawl's frontier in ``JOBDIR``: the request queues, whose index
(``requests.queue/active.json``) is written only when the crawl closes, and the fingerprints of
every request seen (``requests.seen``), appended as the crawl goes. After ``kill -9`` the queues
are lost but the seen list is not, so a resumed crawl would skip every request it had queued:
it ends at once, and what it had not fetched yet is never fetched.

:class:`JobDirRecovery` holds a lock on ``JOBDIR/.running`` while the crawl runs and removes it
when the engine stops. Finding that file unlocked at start means the last run died: the
frontier is started afresh (queues and seen list removed, the crawl id kept), and the crawl
state decides again what to fetch (archived articles are skipped, sections re-fetched
conditionally). It is built with the other extensions, before Scrapy's scheduler opens the
job directory. Stat: ``jobdir/recovered_after_crash``.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from scrapy import signals
from scrapy.exceptions import NotConfigured

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

log = structlog.get_logger(__name__)

MARKER = ".running"
# What Scrapy keeps of a crawl's frontier in JOBDIR (its scheduler and dupefilter).
FRONTIER = ("requests.queue", "requests.seen")


class JobDirRecovery:
    """Scrapy extension: restart the frontier of a job directory whose last crawl died."""

    def __init__(self, crawler: Crawler) -> None:
        jobdir = crawler.settings.get("JOBDIR")
        if not jobdir:
            raise NotConfigured
        self.crawler = crawler
        self.jobdir = Path(jobdir)
        self.jobdir.mkdir(parents=True, exist_ok=True)
        self.marker = self.jobdir / MARKER
        died = self.marker.exists()
        self._fd = os.open(self.marker, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            # Another crawl uses this job dir now; Scrapy's own files are its business.
            log.warning("jobdir.in_use", jobdir=str(self.jobdir))
            return
        if died:
            self._restart_frontier()
        os.ftruncate(self._fd, 0)
        os.write(self._fd, f"{os.getpid()}\n".encode())
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JobDirRecovery:
        return cls(crawler)

    def _restart_frontier(self) -> None:
        removed = []
        for name in FRONTIER:
            path = self.jobdir / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
            else:
                continue
            removed.append(name)
        self.crawler.stats.set_value("jobdir/recovered_after_crash", 1)
        log.warning("jobdir.recovered_after_crash", jobdir=str(self.jobdir), removed=removed)

    def engine_stopped(self) -> None:
        # Scrapy has written its queues' index by now: the job dir can be resumed as it is.
        self.marker.unlink(missing_ok=True)
        os.close(self._fd)
