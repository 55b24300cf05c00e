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

**Several processes, one crawl.** With ``REDIS_URL`` the add-on also enables, so that N processes
(one node or many, ``newsarchive crawl SITE --workers N`` or separate commands with the same
``ARCHIVE_CRAWL_ID``) crawl as one (coordination keys: :mod:`crawler.peers`):

- :class:`SeedOnce` (spider middleware): the start requests (sections, feeds, sitemaps, robots.txt
  of a discovery crawl) are enqueued by the one process that claims the crawl's seeding first;
  the others wait, up to ``FRONTIER_IDLE_SECONDS``, for the frontier to fill;
- :class:`FrontierIdle` (extension): every process beats in Redis every half second with its requests
  in flight (the beat expires, so a killed process stops counting after
  ``crawler.peers.HEARTBEAT_TTL`` seconds); a process closes only once the frontier has been empty,
  and no other process has had requests in flight or fetched anything, for
  ``FRONTIER_IDLE_SECONDS`` (at once when it is the last one alive). Scrapy would close a process
  the moment the shared queue is empty, even while another is about to fill it;
- :class:`crawler.middlewares.robots.SharedRobotsTxtMiddleware` in place of Scrapy's
  ``RobotsTxtMiddleware``: each host's robots.txt is fetched (and archived) once per crawl, by one
  process, and read by the others from Redis.

The story index (``pipelines.dedupe``) and the manifest (``crawler.extensions.archive``) are shared
the same way, by their own components.
"""

from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING

import structlog
from scrapy import signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.utils.asyncio import create_looping_call, sleep
from scrapy.utils.defer import deferred_from_coro
from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

from crawler.config import float_setting
from crawler.crawl_id import crawl_id
from crawler.middlewares.robots import RobotsTxtSitemapsMiddleware, SharedRobotsTxtMiddleware
from crawler.peers import HEARTBEAT_SECONDS, CrawlPeers
from crawler.state import redis_retry

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from scrapy import Request, Spider
    from scrapy.core.engine import ExecutionEngine
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector

log = structlog.get_logger(__name__)

QUEUE_KEY = "%(prefix)s:frontier:%(crawl_id)s:requests"
DUPEFILTER_KEY = "%(prefix)s:frontier:%(crawl_id)s:dupefilter"


class RedisFrontier:
    """Add-on: a scrapy-redis frontier when ``REDIS_URL`` is set, nothing otherwise."""

    @classmethod
    def check_settings(cls, settings: BaseSettings) -> None:
        float_setting(settings, "FRONTIER_IDLE_SECONDS")

    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.get("REDIS_URL"):
            return
        self.check_settings(settings)
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
        # several processes, one crawl (see the module doc)
        settings.set_in_component_priority_dict("EXTENSIONS", FrontierIdle, 60)
        settings.set_in_component_priority_dict("SPIDER_MIDDLEWARES", SeedOnce, 20)
        settings.set_in_component_priority_dict("DOWNLOADER_MIDDLEWARES", RobotsTxtMiddleware, None)
        settings.set_in_component_priority_dict(
            "DOWNLOADER_MIDDLEWARES", RobotsTxtSitemapsMiddleware, None
        )
        settings.set_in_component_priority_dict(
            "DOWNLOADER_MIDDLEWARES", SharedRobotsTxtMiddleware, 100
        )


def frontier_key(crawler: Crawler, template: str) -> str:
    """``template`` filled with this crawl's prefix, crawl id and spider name."""
    return template % {
        "prefix": crawler.settings.get("STATE_REDIS_PREFIX"),
        "crawl_id": crawl_id(crawler.settings),
        "spider": crawler.spider.name if crawler.spider else "",
    }


class RedisFrontierScheduler(Scheduler):
    """scrapy-redis's scheduler with queue and dupefilter keys per crawl (see the module doc).

    :meth:`take` hands the next request of the shared frontier to this process's engine at once
    (:class:`FrontierIdle` uses it when the engine sits idle while the frontier has requests:
    Scrapy looks at its scheduler again only every 5 s when idle, while the other processes keep
    the frontier empty).
    """

    crawler: Crawler | None = None
    _taken: Request | None = None  # popped by take(), on its way back in through engine.crawl

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
        self._ready: deque[Request] = deque()  # taken from the frontier, for this process
        log.info(
            "frontier.opened", queue=self.queue_key, dupefilter=self.df.key, pending=len(self.queue)
        )

    def take(self, engine: ExecutionEngine) -> bool:
        """Pop the next request of the shared frontier and give it to ``engine`` now; False if
        the frontier is empty. ``engine.crawl`` schedules it here again (and wakes the engine):
        it is kept for this process, not filtered again as a duplicate of itself."""
        request = super().next_request()
        if request is None:
            return False
        self._taken = request
        engine.crawl(request)
        return True

    def enqueue_request(self, request: Request) -> bool:
        if request is self._taken:
            self._taken = None
            self._ready.append(request)
            return True
        return super().enqueue_request(request)

    def next_request(self) -> Request | None:
        if self._ready:
            return self._ready.popleft()
        return super().next_request()

    def has_pending_requests(self) -> bool:
        return bool(self._ready) or super().has_pending_requests()

    def close(self, reason: str) -> None:
        while self._ready:  # taken but not sent (a shutdown): back into the frontier
            self.queue.push(self._ready.popleft())
        super().close(reason)


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


class SeedOnce:
    """Spider middleware: the start requests of a crawl come from one of its processes only.

    The first process to claim the crawl's seeding (``SET NX`` in Redis) passes the spider's start
    requests on; every other one drops them and waits, up to ``FRONTIER_IDLE_SECONDS``, for the
    frontier to hold requests, so that it does not find an empty frontier and stop at once.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.peers = CrawlPeers.from_settings(crawler.settings)
        if self.peers is None:
            raise NotConfigured("SeedOnce needs REDIS_URL")
        self.wait = float_setting(crawler.settings, "FRONTIER_IDLE_SECONDS")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SeedOnce:
        return cls(crawler)

    async def process_start(self, start: AsyncIterator) -> AsyncIterator:
        if self.peers.claim("seed"):
            self.crawler.stats.set_value("frontier/seeded", 1)
            log.info("frontier.seeding", worker=self.peers.me)
            self.peers.close()
            async for item_or_request in start:
                yield item_or_request
            return
        log.info("frontier.joined", worker=self.peers.me, seeded_by=self.peers.claimed_by("seed"))
        self.peers.close()
        scheduler = self.crawler.engine.scheduler if self.crawler.engine else None
        deadline = time.monotonic() + self.wait
        while (
            scheduler is not None
            and not scheduler.has_pending_requests()
            and time.monotonic() < deadline
        ):
            await sleep(0.1)


class FrontierIdle:
    """Extension: a process of a shared crawl closes only once the whole crawl is out of work.

    Each ``crawler.peers.HEARTBEAT_SECONDS`` it publishes its heartbeat (requests in flight, pages
    fetched) and, while idle itself (nothing in flight, the shared frontier empty), looks at the
    others: it closes (reason ``finished``) once none of them has had requests in flight or
    fetched a page for ``FRONTIER_IDLE_SECONDS``, or at once when no other is alive. Until then
    it keeps Scrapy from closing it on ``spider_idle``. With nothing in hand while the frontier
    has requests, it takes one (:meth:`RedisFrontierScheduler.take`), which sets the engine going
    again. The heartbeat goes on while the process closes its files (the last process to close
    writes the manifest), and stops when its engine stops.

    Stats: ``frontier/workers`` (most processes seen at once), ``frontier/seeded`` (this process
    enqueued the start requests), ``frontier/taken_when_idle``.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.peers = CrawlPeers.from_settings(crawler.settings)
        if self.peers is None:
            raise NotConfigured("FrontierIdle needs REDIS_URL")
        self.grace = float_setting(crawler.settings, "FRONTIER_IDLE_SECONDS")
        self.closing = False
        self._loop = None
        self._idle_since: float | None = None
        self._fetched: dict[str, int] = {}  # the others' page counts at the last look

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierIdle:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self._loop = create_looping_call(self._tick)
        self._loop.start(HEARTBEAT_SECONDS, now=True)

    def spider_idle(self, spider: Spider) -> None:
        if not self.closing:
            raise DontCloseSpider  # _tick decides, with the other processes in view

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.closing = True

    def engine_stopped(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self.peers.leave()
        self.peers.close()

    def _tick(self) -> None:
        engine = self.crawler.engine
        if engine is None:
            return
        inflight = len(engine.downloader.active)
        if engine.scraper.slot is not None:
            inflight += len(engine.scraper.slot.active)
        stats = self.crawler.stats
        self.peers.beat(inflight, stats.get_value("response_received_count", 0))
        if self.closing:
            return
        try:
            idle = engine.spider_is_idle()
        except RuntimeError:  # no spider open (yet, or any more)
            idle = False
        if not idle:
            self._idle_since = None
            scheduler = engine.scheduler
            # Nothing in hand while the frontier has requests: Scrapy would look again only at
            # its 5 s heartbeat, and meanwhile the other processes would take them all.
            taking = not inflight and isinstance(scheduler, RedisFrontierScheduler)
            if taking and scheduler.take(engine):
                stats.inc_value("frontier/taken_when_idle")
            return
        others = {n: b for n, b in self.peers.alive().items() if n != self.peers.me}
        stats.max_value("frontier/workers", len(others) + 1)
        fetched = {n: b.get("fetched", 0) for n, b in others.items()}
        working = [
            n for n, b in others.items() if b.get("inflight") or fetched[n] != self._fetched.get(n)
        ]
        self._fetched = fetched
        now = time.monotonic()
        if working:
            self._idle_since = None
            return
        if self._idle_since is None:
            self._idle_since = now
        if others and now - self._idle_since < self.grace:
            return
        self.closing = True
        log.info(
            "frontier.done",
            worker=self.peers.me,
            others=sorted(others),
            idle_seconds=round(now - self._idle_since, 1),
        )
        deferred_from_coro(engine.close_spider_async(reason="finished"))
