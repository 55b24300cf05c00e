"""A shared frontier on Redis (scrapy-redis) when ``REDIS_URL`` is set; Scrapy's own otherwise.

:class:`RedisFrontier` is a Scrapy add-on (listed in ``ADDONS``), so ``scrapy crawl``, scrapyd and
``newsarchive crawl`` all switch the same way: with ``REDIS_URL`` it sets ``SCHEDULER`` to
:class:`RedisFrontierScheduler` (scrapy-redis's scheduler), ``DUPEFILTER_CLASS`` to
:class:`CanonicalRedisDupeFilter` and ``SCHEDULER_PERSIST = True`` (without it the first worker to
finish deletes the queue the others still work on), and ``REDIS_PARAMS`` to a retry policy that
waits out a Redis restart (``crawler.state.REDIS_RECONNECT_SECONDS``). Settings given on the
command line win.

The frontier belongs to one crawl: its keys are ``STATE_REDIS_PREFIX:frontier:CRAWL_ID:requests``
and ``...:dupefilter`` (``SCHEDULER_QUEUE_KEY`` / ``SCHEDULER_DUPEFILTER_KEY``, which may use
``%(prefix)s``, ``%(crawl_id)s`` and ``%(spider)s``). Several processes given the same
``ARCHIVE_CRAWL_ID`` share one queue and one dupefilter; the next crawl (a new crawl id) starts
with an empty one, so it fetches sections, feeds and sitemaps again (conditionally, see
``crawler.middlewares.refetch``), while articles archived before are skipped by the crawl state.

scrapy-redis's dupefilter hashes URLs its own way and ignores ``REQUEST_FINGERPRINTER_CLASS``;
:class:`CanonicalRedisDupeFilter` uses the crawler's fingerprinter (``crawler.urls``), so tracking
and fragment variants of a link are one request here too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog
from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

from crawler.crawl_id import crawl_id
from crawler.state import redis_retry

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector

log = structlog.get_logger(__name__)

QUEUE_KEY = "%(prefix)s:frontier:%(crawl_id)s:requests"
DUPEFILTER_KEY = "%(prefix)s:frontier:%(crawl_id)s:dupefilter"


class RedisFrontier:
    """Add-on: a scrapy-redis frontier when ``REDIS_URL`` is set, nothing otherwise."""

    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.get("REDIS_URL"):
            return
        for name, value in (
            ("SCHEDULER", "crawler.frontier.RedisFrontierScheduler"),
            ("DUPEFILTER_CLASS", "crawler.frontier.CanonicalRedisDupeFilter"),
            ("SCHEDULER_PERSIST", True),
            ("SCHEDULER_QUEUE_KEY", QUEUE_KEY),
            ("SCHEDULER_DUPEFILTER_KEY", DUPEFILTER_KEY),
            # the frontier rides out a Redis restart like the crawl state (crawler.state)
            ("REDIS_PARAMS", {"retry": redis_retry()}),
        ):
            settings.set(name, value, priority="addon")


def frontier_key(crawler: Crawler, template: str) -> str:
    """``template`` filled with this crawl's prefix, crawl id and spider name."""
    return template % {
        "prefix": crawler.settings.get("STATE_REDIS_PREFIX"),
        "crawl_id": crawl_id(crawler.settings),
        "spider": crawler.spider.name if crawler.spider else "",
    }


class RedisFrontierScheduler(Scheduler):
    """scrapy-redis's scheduler with queue and dupefilter keys per crawl (see the module doc)."""

    crawler: Crawler | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisFrontierScheduler:
        instance = super().from_crawler(crawler)
        instance.crawler = crawler
        instance.stats = SpiderlessStats(crawler.stats)
        return instance

    def open(self, spider: Spider) -> None:
        if self.crawler is None:
            raise RuntimeError("RedisFrontierScheduler must be built with from_crawler")
        self.queue_key = frontier_key(self.crawler, self.queue_key)
        super().open(spider)
        log.info(
            "frontier.opened", queue=self.queue_key, dupefilter=self.df.key, pending=len(self.queue)
        )


class SpiderlessStats:
    """The crawler's stats collector for scrapy-redis 0.9, which still passes ``spider=`` to it:
    Scrapy 2.19 deprecates that argument with a warning in every crawl, and ignores it."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    def inc_value(
        self, key: str, count: int = 1, start: int = 0, spider: Spider | None = None
    ) -> None:
        self.stats.inc_value(key, count, start)

    def __getattr__(self, name: str):
        return getattr(self.stats, name)  # anything else scrapy-redis may read, unchanged


class CanonicalRedisDupeFilter(RFPDupeFilter):
    """scrapy-redis's dupefilter on the crawler's request fingerprints (canonical URLs)."""

    fingerprinter = None

    @classmethod
    def from_spider(cls, spider: Spider) -> CanonicalRedisDupeFilter:
        crawler = spider.crawler
        settings = crawler.settings
        template = settings.get("SCHEDULER_DUPEFILTER_KEY") or DUPEFILTER_KEY
        dupefilter = cls(
            get_redis_from_settings(settings),
            key=frontier_key(crawler, template),
            debug=settings.getbool("DUPEFILTER_DEBUG"),
        )
        dupefilter.fingerprinter = crawler.request_fingerprinter
        return dupefilter

    def request_fingerprint(self, request: Request) -> str:
        return self.fingerprinter.fingerprint(request).hex()
