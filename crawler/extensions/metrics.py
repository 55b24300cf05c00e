"""The crawl's Prometheus metrics, on ``http://METRICS_HOST:METRICS_PORT/metrics`` while it runs.

Off unless ``METRICS_PORT`` is set (``METRICS_HOST`` defaults to ``127.0.0.1``). The server
(:mod:`crawler.metrics`) starts when the extension is built and stops when the engine stops,
``METRICS_LINGER`` seconds after the crawl ended (default 0), so that a Prometheus scraping
every N seconds still gets the final counts of a short crawl.

Crawl totals are read from the crawl's stats collector at each scrape, so they are the numbers
of the closing stats and of the ``crawl.summary`` line, never a second count:

==========================================  ===================================================
``newsarchive_pages_total``                  responses handed to the spider (``pages``)
``newsarchive_responses_total{status}``      responses from the downloader, by HTTP status
``newsarchive_received_bytes_total``         bytes received (``downloader/response_bytes``)
``newsarchive_warc_records_total{type}``     WARC records written, by ``WARC-Type``
``newsarchive_warc_files_total``             WARC files closed
``newsarchive_archive_bytes_total``          bytes written into WARC files
``newsarchive_revisits_total{reason}``       revisit records: ``not_modified``, ``identical_payload``
``newsarchive_articles_total``               articles exported (``articles``)
``newsarchive_items_dropped_total``          articles not exported (dropped by a pipeline)
``newsarchive_errors_total{kind}``           ``download`` (as the summary's errors), ``http`` (4xx
                                             and 5xx responses), ``spider``, ``item`` (pipeline
                                             errors), ``archive`` (write errors), ``index``
==========================================  ===================================================

Per site (``request.meta["site"]``, ``item["site"]``; for a request no site made, such as
robots.txt, the spider's ``site_of``), counted from Scrapy's signals where its stats count them,
so that each sums to its crawl total: ``newsarchive_site_pages_total``,
``newsarchive_site_received_bytes_total``, ``newsarchive_site_articles_total``,
``newsarchive_site_items_dropped_total`` and ``newsarchive_site_errors_total{kind}``
(``download``, ``http``, ``spider``, ``item``).

Gauges: ``newsarchive_up`` (1; 0 once the archive failed; ``/healthz`` answers 503 then),
``newsarchive_crawl_running`` (1 from spider open to close), ``newsarchive_requests_in_flight``,
``newsarchive_requests_queued``, ``newsarchive_upload_queue_warcs`` (closed WARC files waiting
in the spool for their upload to S3), ``newsarchive_crawl_start_time_seconds`` and
``newsarchive_crawl_info{crawl_id,spider,sites}``; and the process' own ``process_*`` (CPU,
memory, open files).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import structlog
from itemadapter import ItemAdapter
from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily
from prometheus_client.registry import Collector
from scrapy import signals
from scrapy.downloadermiddlewares.stats import get_header_size, get_status_size
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import task
from twisted.python.threadable import isInIOThread

from crawler.archive.stores import check_uri
from crawler.config import float_setting
from crawler.crawl_id import crawl_id
from crawler.extensions.archive import WarcArchive
from crawler.meta import SITE
from crawler.metrics import check_address, metrics_address, serve_metrics

if TYPE_CHECKING:
    from collections.abc import Iterator

    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

log = structlog.get_logger(__name__)

# How long a scrape waits for the reactor thread to read the crawl's state (it reads the stats
# itself, unordered with the crawl's own updates, past that).
SNAPSHOT_TIMEOUT = 5.0

# Per-site tallies, by name.
PAGES, BYTES, ARTICLES, DROPPED = "pages", "bytes", "articles", "dropped"
ERROR_KINDS = ("download", "http", "spider", "item")

# Finish reasons of a crawl whose archive failed: newsarchive_up goes to 0.
FAILED_REASONS = ("archive_unavailable", "archive_write_failed")


@dataclass
class _Snapshot:
    """The crawl's state at one moment (read on the reactor thread)."""

    stats: dict[str, Any]
    sites: dict[str, dict[str, int]]
    in_flight: int
    queued: int
    running: bool
    spider: str
    sites_crawled: list[str]


class CrawlMetrics:
    """Scrapy extension: the crawl's metrics (see the module doc)."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.check_settings(settings, probe=False)
        address = metrics_address(settings)
        if address is None:
            raise NotConfigured
        self.crawler = crawler
        self.linger = float_setting(settings, "METRICS_LINGER")
        self._sites: dict[str, Counter[str]] = {}
        self._downloaded: set[int] = set()  # requests whose response came (ids, a moment)
        self._running = False
        self.started: float | None = None  # Unix time the spider opened
        self._spider_name = ""
        self._site_name = ""
        self._site_names: list[str] = []
        self._archive: WarcArchive | None = None  # its spool holds the uploads waiting
        self.registry = CollectorRegistry()
        self.registry.register(_CrawlCollector(self))
        ProcessCollector(registry=self.registry)
        host, port = address
        self.server = serve_metrics(port, host, self.registry, health=self.healthy)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlMetrics:
        ext = cls(crawler)
        connect = crawler.signals.connect
        connect(ext.spider_opened, signal=signals.spider_opened)
        connect(ext.spider_closed, signal=signals.spider_closed)
        connect(ext.response_received, signal=signals.response_received)
        connect(ext.response_downloaded, signal=signals.response_downloaded)
        connect(ext.request_left_downloader, signal=signals.request_left_downloader)
        connect(ext.item_scraped, signal=signals.item_scraped)
        connect(ext.item_dropped, signal=signals.item_dropped)
        connect(ext.item_error, signal=signals.item_error)
        connect(ext.spider_error, signal=signals.spider_error)
        connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    @classmethod
    def check_settings(cls, settings: BaseSettings, *, probe: bool = True) -> None:
        """METRICS_PORT, METRICS_HOST and METRICS_LINGER; ``probe``: the port is free, too."""
        float_setting(settings, "METRICS_LINGER")
        address = metrics_address(settings)
        if address is not None and probe:
            check_address(*address)

    # -- signals (reactor thread) -----------------------------------------------------------

    def spider_opened(self, spider: Spider) -> None:
        self._running = True
        self.started = time.time()
        self._spider_name = spider.name
        self._site_name = getattr(spider, "site_name", None) or spider.name
        self._site_names = list(getattr(spider, "site_names", None) or [self._site_name])
        self._archive = self.crawler.get_extension(WarcArchive)
        for site in self._site_names:  # every site's series from the start, at 0
            self._sites.setdefault(site, Counter())

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self._running = False

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        self._tally(request, PAGES)

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        self._downloaded.add(id(request))
        # the size Scrapy's DownloaderStats adds to downloader/response_bytes, at the same point
        size = (
            len(response.body)
            + get_header_size(response.headers)
            + get_status_size(response.status)
            + 4
        )
        self._tally(request, BYTES, size)
        if response.status >= 400:
            self._tally(request, "http")

    def request_left_downloader(self, request: Request, spider: Spider) -> None:
        if id(request) in self._downloaded:
            self._downloaded.discard(id(request))
        else:  # no response: the download failed (refused, timed out, reset...)
            self._tally(request, "download")

    def item_scraped(self, item: Any, response: Response, spider: Spider) -> None:
        self._tally_site(self._item_site(item, response), ARTICLES)

    def item_dropped(self, item: Any, response: Response, spider: Spider) -> None:
        self._tally_site(self._item_site(item, response), DROPPED)

    def item_error(self, item: Any, response: Response, spider: Spider, failure: Any) -> None:
        self._tally_site(self._item_site(item, response), "item")

    def spider_error(self, failure: Any, response: Response, spider: Spider) -> None:
        self._tally(getattr(response, "request", None), "spider")

    async def engine_stopped(self) -> None:
        if self.linger > 0:
            log.info("metrics.lingering", url=self.server.url, seconds=self.linger)
            from twisted.internet import reactor  # noqa: PLC0415 - the installed one

            await maybe_deferred_to_future(task.deferLater(reactor, self.linger, lambda: None))
        self.server.stop()

    def _tally(self, request: Request | None, name: str, n: int = 1) -> None:
        self._tally_site(self._request_site(request), name, n)

    def _request_site(self, request: Request | None) -> str | None:
        if request is None:
            return None
        site = request.meta.get(SITE)
        # a request no site made (robots.txt, by Scrapy's middleware): the spider says by its host
        site_of = getattr(self.crawler.spider, "site_of", None)
        if not site and site_of is not None:
            site = getattr(site_of(request), "name", None)
        return site

    def _tally_site(self, site: str | None, name: str, n: int = 1) -> None:
        site = str(site or self._site_name or "unknown")
        counts = self._sites.get(site)
        if counts is None:
            counts = self._sites[site] = Counter()
        counts[name] += n

    def _item_site(self, item: Any, response: Response | None) -> str | None:
        site = ItemAdapter(item).get("site") if ItemAdapter.is_item(item) else None
        if not site and response is not None:
            site = self._request_site(getattr(response, "request", None))
        return site

    # -- scrape time ------------------------------------------------------------------------

    def healthy(self, stats: dict | None = None) -> bool:
        """False once the archive failed (unreachable at start, or a write failed)."""
        stats = self.crawler.stats.get_stats() if stats is None else stats
        return not (
            stats.get("archive/write_errors") or stats.get("finish_reason") in FAILED_REASONS
        )

    def snapshot(self) -> _Snapshot:
        """The crawl's state, read on the reactor thread between two of the crawl's updates."""
        from twisted.internet import reactor  # noqa: PLC0415 - the installed one

        if not reactor.running or isInIOThread():
            return self._read()
        done = threading.Event()
        box: list[_Snapshot] = []

        def read() -> None:
            try:
                box.append(self._read())
            finally:
                done.set()

        reactor.callFromThread(read)
        if done.wait(SNAPSHOT_TIMEOUT) and box:
            return box[0]
        log.warning("metrics.reactor_busy", seconds=SNAPSHOT_TIMEOUT)
        return self._read(scheduler=False)

    def _read(self, *, scheduler: bool = True) -> _Snapshot:
        in_flight = queued = 0
        # the engine exists from spider_opened on (reading it before raises)
        engine = self.crawler.engine if self._running else None
        if engine is not None:
            downloader = getattr(engine, "downloader", None)
            in_flight = len(downloader.active) if downloader is not None else 0
            sched = getattr(engine, "scheduler", None) if scheduler else None
            try:
                queued = len(sched) if sched is not None else 0
            except TypeError:  # a scheduler that cannot say
                queued = 0
        return _Snapshot(
            stats=self.crawler.stats.get_stats().copy(),
            sites={site: dict(counts) for site, counts in self._sites.copy().items()},
            in_flight=in_flight,
            queued=queued,
            running=self._running,
            spider=self._spider_name,
            sites_crawled=list(self._site_names),
        )

    def upload_queue(self) -> int:
        """Closed WARC files waiting in the spool for their upload (0 for a local archive)."""
        archive = self._archive
        if archive is None or check_uri(archive.uri)[0] == "local":
            return 0
        return sum(1 for path in archive.store.pending() if path.name.endswith(".warc.gz"))


class _CrawlCollector(Collector):
    """The metric families of one scrape, from one snapshot of the crawl."""

    def __init__(self, ext: CrawlMetrics) -> None:
        self.ext = ext

    def describe(self) -> list:
        return []  # families vary with what the crawl met (statuses, sites): nothing to check

    def collect(self) -> Iterator:
        ext = self.ext
        snap = ext.snapshot()
        stats = snap.stats
        item_errors = sum(counts.get("item", 0) for counts in snap.sites.values())
        yield from _totals(stats, item_errors)
        yield from _per_site(snap.sites)

        def gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
            return GaugeMetricFamily(name, doc, value=value)

        yield gauge(
            "newsarchive_up",
            "1 while the crawl archives; 0 once its archive failed",
            int(ext.healthy(stats)),
        )
        yield gauge("newsarchive_crawl_running", "1 from spider open to close", int(snap.running))
        yield gauge("newsarchive_requests_in_flight", "requests being downloaded", snap.in_flight)
        yield gauge("newsarchive_requests_queued", "requests waiting in the frontier", snap.queued)
        yield gauge(
            "newsarchive_upload_queue_warcs",
            "closed WARC files in the spool waiting for upload",
            ext.upload_queue(),
        )
        if ext.started is not None:
            yield gauge(
                "newsarchive_crawl_start_time_seconds",
                "when the crawl started (Unix time)",
                ext.started,
            )
        info = InfoMetricFamily("newsarchive_crawl", "the crawl this process runs")
        info.add_metric(
            [],
            {
                "crawl_id": _crawl_id(ext.crawler.settings),
                "spider": snap.spider,
                "sites": ",".join(snap.sites_crawled),
            },
        )
        yield info


def _crawl_id(settings: BaseSettings) -> str:
    try:
        return crawl_id(settings)
    except RuntimeError:  # not settled yet (the spider is not built)
        return ""


def _sum(stats: dict, prefix: str, *, skip: tuple[str, ...] = ()) -> int:
    return sum(
        v
        for k, v in stats.items()
        if k.startswith(prefix) and not k.endswith(skip) and isinstance(v, int | float)
    )


def _by_suffix(stats: dict, prefix: str) -> dict[str, int]:
    return {k[len(prefix) :]: v for k, v in stats.items() if k.startswith(prefix)}


def _totals(stats: dict, item_errors: int) -> Iterator[CounterMetricFamily]:
    def counter(name: str, doc: str, value: float) -> CounterMetricFamily:
        return CounterMetricFamily(name, doc, value=value)

    def labelled(name: str, doc: str, label: str, values: dict) -> CounterMetricFamily:
        family = CounterMetricFamily(name, doc, labels=[label])
        for key, value in sorted(values.items()):
            family.add_metric([key], value)
        return family

    statuses = _by_suffix(stats, "downloader/response_status_count/")
    yield counter(
        "newsarchive_pages",
        "pages fetched: responses handed to the spider",
        stats.get("response_received_count", 0),
    )
    yield labelled(
        "newsarchive_responses", "responses from the downloader, by HTTP status", "status", statuses
    )
    yield counter(
        "newsarchive_received_bytes",
        "bytes received: status lines, headers and bodies as sent",
        stats.get("downloader/response_bytes", 0),
    )
    yield labelled(
        "newsarchive_warc_records",
        "WARC records written, by WARC-Type",
        "type",
        _by_suffix(stats, "archive/records/"),
    )
    yield counter("newsarchive_warc_files", "WARC files closed", stats.get("archive/warc_files", 0))
    yield counter(
        "newsarchive_archive_bytes", "bytes written into WARC files", stats.get("archive/bytes", 0)
    )
    yield labelled(
        "newsarchive_revisits",
        "revisit records written, by why",
        "reason",
        {
            "not_modified": stats.get("archive/revisits/server_not_modified", 0),
            "identical_payload": stats.get("archive/revisits/identical_payload", 0),
        },
    )
    yield counter("newsarchive_articles", "articles exported", stats.get("item_scraped_count", 0))
    yield counter(
        "newsarchive_items_dropped",
        "articles not exported (dropped by a pipeline)",
        stats.get("item_dropped_count", 0),
    )
    yield labelled(
        "newsarchive_errors",
        "errors, by kind",
        "kind",
        {
            "download": _sum(stats, "downloader/exception_type_count/", skip=("IgnoreRequest",)),
            "http": sum(v for k, v in statuses.items() if k.isdigit() and int(k) >= 400),
            "spider": stats.get("spider_exceptions/count", 0),
            "archive": stats.get("archive/write_errors", 0),
            "index": stats.get("index/errors", 0),
            # Scrapy keeps no stat of a pipeline's errors: the item_error signals, over all sites
            "item": item_errors,
        },
    )


def _per_site(sites: dict[str, dict[str, int]]) -> Iterator[CounterMetricFamily]:
    families = {
        PAGES: CounterMetricFamily(
            "newsarchive_site_pages", "pages fetched, by site", labels=["site"]
        ),
        BYTES: CounterMetricFamily(
            "newsarchive_site_received_bytes", "bytes received, by site", labels=["site"]
        ),
        ARTICLES: CounterMetricFamily(
            "newsarchive_site_articles", "articles exported, by site", labels=["site"]
        ),
        DROPPED: CounterMetricFamily(
            "newsarchive_site_items_dropped", "articles not exported, by site", labels=["site"]
        ),
    }
    errors = CounterMetricFamily(
        "newsarchive_site_errors", "errors, by site and kind", labels=["site", "kind"]
    )
    for site, counts in sorted(sites.items()):
        for name, family in families.items():
            family.add_metric([site], counts.get(name, 0))
        for kind in ERROR_KINDS:
            errors.add_metric([site, kind], counts.get(kind, 0))
    yield from families.values()
    yield errors
