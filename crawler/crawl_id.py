"""The crawl id: one name for one crawl, shared by the archive, the frontier, items and progress.

:class:`CrawlIdentity` is a Scrapy add-on (listed in ``ADDONS``). Add-ons are built once the spider
exists and while settings are still open, so it settles ``ARCHIVE_CRAWL_ID`` there, once:

1. the id kept in ``JOBDIR/crawl_id`` (a resumed crawl continues under its first id);
2. else ``ARCHIVE_CRAWL_ID`` as given;
3. else ``SITE-YYYYmmddTHHMMSS`` (the spider's ``site_name``, else its ``name``).

Every component then reads it with :func:`crawl_id` (``crawler.settings``), without touching the
archive or each other.
"""

from __future__ import annotations

import os
import re
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from crawler.config import ConfigError

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

SETTING = "ARCHIVE_CRAWL_ID"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def crawl_id(settings: BaseSettings) -> str:
    """This crawl's id (set by :class:`CrawlIdentity` before any component is built)."""
    value = settings.get(SETTING)
    if not value:
        raise RuntimeError(
            f"{SETTING} is not settled: is crawler.crawl_id.CrawlIdentity in ADDONS?"
        )
    return value


def resolve_crawl_id(settings: BaseSettings, default_name: str, now: datetime | None = None) -> str:
    """The id for a crawl with these settings (see the module doc); records it in ``JOBDIR``."""
    jobdir = settings.get("JOBDIR")
    id_file = Path(jobdir) / "crawl_id" if jobdir else None
    if id_file and id_file.is_file():
        return id_file.read_text().strip()
    value = settings.get(SETTING)
    if not value:
        value = f"{default_name}-{(now or datetime.now(UTC)).strftime('%Y%m%dT%H%M%S')}"
    value = _UNSAFE.sub("-", str(value))
    if id_file:
        id_file.parent.mkdir(parents=True, exist_ok=True)
        id_file.write_text(value + "\n")
    return value


class CrawlIdentity:
    """Add-on: settle ``ARCHIVE_CRAWL_ID`` for this crawl (see the module doc)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlIdentity:
        return cls(crawler)

    @classmethod
    def check_settings(cls, settings: BaseSettings) -> None:
        # The id names directories and object keys: "." or ".." would name their parents.
        value = settings.get(SETTING)
        if value is not None and _UNSAFE.sub("-", str(value)) in (".", ".."):
            raise ConfigError(
                f"setting {SETTING}={value!r}: not a name (use letters, digits, '_', '.', '-')"
            )

    def update_settings(self, settings: BaseSettings) -> None:
        spider = self.crawler.spider
        name = getattr(spider, "site_name", None) or self.crawler.spidercls.name
        # Above the command line: a JOBDIR's id must win over an -s given when resuming.
        settings.set(SETTING, resolve_crawl_id(settings, name), priority=100)


def host_name() -> str:
    """This machine's short host name, as WARC and article file names carry it."""
    return socket.gethostname().split(".")[0] or "localhost"


def writer_id(pid: int | None = None) -> str:
    """A writing process as file names name it: ``HOST-PID`` (this process by default)."""
    return f"{host_name()}-{os.getpid() if pid is None else pid}"
