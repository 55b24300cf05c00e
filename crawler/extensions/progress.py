"""Progress lines during a crawl and a summary a person can read at its end.

Every ``PROGRESS_INTERVAL`` seconds (default 30): pages fetched, items, archive bytes and pages/s
since the last line, and the phase: ``crawling``, then ``closing`` while the last files are stored
(uploads to S3 may take minutes: the lines go on until the engine stops). When the spider closes,
one ``crawl.summary`` event with the totals and, under ``sites``, each site's pages, articles,
articles not exported and download errors; the CLI prints the same summary as text
(:func:`summary_text`, a line per site when the crawl covered several).

Each site's counts are crawl stats too, ``site/<name>/pages`` (responses), ``.../articles``
(items exported), ``.../dropped`` (items not exported) and ``.../errors`` (failed downloads),
keyed by the site in ``request.meta[SITE]`` and ``item["site"]``.
"""

from __future__ import annotations

import time

import structlog
from scrapy import signals
from twisted.internet import task

from crawler.config import float_setting
from crawler.crawl_id import crawl_id
from crawler.meta import SITE

log = structlog.get_logger(__name__)

# Per-site counts in the summary, by their name there; each is the crawl stat site/<name>/<count>.
SITE_COUNTS = ("pages", "articles", "dropped", "errors")


class CrawlProgress:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        # 0 or less: no progress lines; the per-site counts and the summary stay (the CLI prints
        # it, the scheduler and the exit status read it)
        self.interval = float_setting(crawler.settings, "PROGRESS_INTERVAL")
        self._loop: task.LoopingCall | None = None
        self._last = (0, time.monotonic())
        self._started = time.monotonic()
        self.summary: dict | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        # The summary waits for engine_stopped: the archive closes its last file on spider_closed.
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(
            self.request_left_downloader, signal=signals.request_left_downloader
        )
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)
        self._reason = "unknown"
        self._phase = "crawling"
        # requests the downloader answered, between response_downloaded and request_left_downloader
        self._answered: set[int] = set()

    @classmethod
    def from_crawler(cls, crawler) -> CrawlProgress:
        return cls(crawler)

    @classmethod
    def check_settings(cls, settings) -> None:
        float_setting(settings, "PROGRESS_INTERVAL")

    def spider_opened(self, spider) -> None:
        self._started = time.monotonic()
        self._last = (0, self._started)
        if self.interval > 0:
            self._loop = task.LoopingCall(self.log_progress)
            self._loop.start(self.interval, now=False)

    def log_progress(self) -> None:
        stats = self.crawler.stats
        pages = stats.get_value("response_received_count", 0)
        now = time.monotonic()
        last_pages, last_time = self._last
        rate = (pages - last_pages) / max(now - last_time, 1e-9)
        self._last = (pages, now)
        log.info(
            "crawl.progress",
            phase=self._phase,
            pages=pages,
            items=stats.get_value("item_scraped_count", 0),
            archive_bytes=stats.get_value("archive/bytes", 0),
            pages_per_s=round(rate, 2),
        )

    # --- per-site counts ---------------------------------------------------------------------------

    def _count(self, site: str | None, name: str) -> None:
        if site:
            self.crawler.stats.inc_value(f"site/{site}/{name}")

    def _site(self, request) -> str | None:
        # a request no site made (robots.txt, by Scrapy's middleware): the spider says by its host
        site = request.meta.get(SITE)
        site_of = getattr(self.crawler.spider, "site_of", None)
        return site if site or site_of is None else site_of(request).name

    def response_received(self, response, request, spider) -> None:
        self._count(self._site(request), "pages")

    def response_downloaded(self, response, request, spider) -> None:
        self._answered.add(id(request))

    def request_left_downloader(self, request, spider) -> None:
        # left without an answer: a download error (one per attempt, like downloader/exception_*)
        if id(request) in self._answered:
            self._answered.discard(id(request))
        else:
            self._count(self._site(request), "errors")

    def item_scraped(self, item, response, spider) -> None:
        self._count(item.get("site"), "articles")

    def item_dropped(self, item, response, exception, spider) -> None:
        self._count(item.get("site"), "dropped")

    def spider_closed(self, spider, reason: str) -> None:
        self._reason = reason
        self._phase = "closing"

    def engine_stopped(self) -> None:
        if self._loop and self._loop.running:
            self._loop.stop()
        self.summary = crawl_summary(self.crawler, self._reason, time.monotonic() - self._started)
        log.info("crawl.summary", **self.summary)


def crawl_summary(crawler, reason: str, seconds: float) -> dict:
    stats = crawler.stats.get_stats()
    errors = sum(
        v
        for k, v in stats.items()
        if k.startswith("downloader/exception_type_count/") and not k.endswith("IgnoreRequest")
    )
    statuses = {
        k.rsplit("/", 1)[-1]: v
        for k, v in stats.items()
        if k.startswith("downloader/response_status_count/")
    }
    return {
        "crawl_id": crawl_id(crawler.settings),
        "reason": reason,
        "seconds": round(seconds, 1),
        "pages": stats.get("response_received_count", 0),
        "statuses": statuses,
        "errors": errors,
        "articles": stats.get("item_scraped_count", 0),
        "dropped": stats.get("item_dropped_count", 0),
        "archive": crawler.settings.get("ARCHIVE_URI"),
        "warc_files": stats.get("archive/warc_files", 0),
        "archive_bytes": stats.get("archive/bytes", 0),
        "records": {
            k.rsplit("/", 1)[-1]: v for k, v in stats.items() if k.startswith("archive/records/")
        },
        "pending_uploads": stats.get("archive/pending_uploads", 0),
        "already_archived": stats.get("dedupe/article_already_archived", 0),
        "not_modified": stats.get("archive/revisits/server_not_modified", 0),
        "identical_payload": stats.get("archive/revisits/identical_payload", 0),
        "near_duplicates": stats.get("dedupe/near_duplicates", 0),
        "limits": crawl_limits(stats),
        "sites": site_counts(stats, getattr(crawler.spider, "site_names", None) or []),
    }


def site_counts(stats: dict, names: list[str]) -> dict[str, dict[str, int]]:
    """Each site's :data:`SITE_COUNTS`: the crawl's sites (``names``) in their order, then any
    other site the stats count."""
    counted = sorted(
        {k.split("/")[1] for k in stats if k.startswith("site/") and k.count("/") == 2}
    )
    return {
        name: {count: stats.get(f"site/{name}/{count}", 0) for count in SITE_COUNTS}
        for name in dict.fromkeys([*names, *counted])
    }


# What a hostile or broken site met in the crawl, by the stat that counts it (summary name: key).
LIMIT_STATS = {
    "truncated": "archive/truncated",  # bodies past DOWNLOAD_MAXSIZE, archived cut
    "decompression_stopped": "httpcompression/max_size_exceeded",  # gzip/deflate/... bombs
    "sitemaps_too_large": "news/sitemaps_too_large",  # .gz sitemaps past DOWNLOAD_MAXSIZE
    "compressed_pages_skipped": "news/skipped/compressed_body",  # gzip sent as a page, not parsed
    "redirects_stopped": "redirect/max_reached",  # chains past REDIRECT_MAX_TIMES
    "retry_after": "retry_after/received",  # 429/503 answers that paused their host
    "retries_exhausted": "retry/max_reached",  # given up after RETRY_TIMES
    "robots_forbidden": "robotstxt/forbidden",  # requests robots.txt disallowed
    "url_too_long": "urllength/request_ignored_count",  # links past URLLENGTH_LIMIT
    "depth_limited": "news/limits/depth",  # links not followed past DISCOVERY_DEPTH
    "pagination_limited": "news/limits/pagination",  # pages past the pagination depth
    "sitemap_depth_limited": "news/limits/sitemap_depth",  # sitemap indexes nested too deep
    "xml_entities_ignored": "news/xml_entities_ignored",  # feeds/sitemaps declaring entities
}


def crawl_limits(stats: dict) -> dict[str, int]:
    """How often each limit held a hostile site back (only those that did), and timeouts."""
    limits = {name: stats[key] for name, key in LIMIT_STATS.items() if stats.get(key)}
    timeouts = sum(
        v
        for k, v in stats.items()
        if k.startswith("downloader/exception_type_count/") and k.endswith("TimeoutError")
    )
    if timeouts:
        limits["timeouts"] = timeouts
    return limits


def summary_text(summary: dict) -> str:
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(summary["statuses"].items())) or "none"
    records = ", ".join(f"{k} {v}" for k, v in sorted(summary["records"].items())) or "none"
    pending = summary["pending_uploads"]
    lines = [
        f"Crawl {summary['crawl_id']} ended ({summary['reason']}) after {summary['seconds']} s",
        f"  pages fetched   {summary['pages']}  (status {statuses}; {summary['errors']} errors)",
        (
            f"  articles        {summary['articles']} exported, {summary['dropped']} not exported"
            f" ({summary['already_archived']} archived before, not fetched again;"
            f" {summary['near_duplicates']} copies of a story seen before)"
        ),
        (
            f"  unchanged       {summary['not_modified']} pages not modified since the last crawl,"
            f" {summary['identical_payload']} identical to a capture archived before"
        ),
        f"  archive         {summary['archive']}",
        f"  WARC files      {summary['warc_files']}  ({_size(summary['archive_bytes'])}; records: {records})",
        f"  pending upload  {pending if pending else 'none'}",
    ]
    limits = summary.get("limits") or {}
    if limits:
        held = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(limits.items()))
        lines.insert(4, f"  held back       {held}")
    sites = summary.get("sites") or {}
    if len(sites) > 1:
        lines.extend(_sites_table(summary, sites))
    return "\n".join(lines)


def _sites_table(summary: dict, sites: dict[str, dict[str, int]]) -> list[str]:
    """A line per site and the total: pages, articles exported, not exported, errors."""
    width = max(len("total"), *(len(name) for name in sites))

    def row(label: str, counts: dict) -> str:
        return (
            f"    {label:<{width}} {counts['pages']:>7} {counts['articles']:>9}"
            f" {counts['dropped']:>13} {counts['errors']:>7}"
        )

    return [
        f"  {'per site':<{width + 2}} {'pages':>7} {'articles':>9} {'not exported':>13} {'errors':>7}",
        *(row(name, counts) for name, counts in sites.items()),
        row("total", {count: summary[count] for count in SITE_COUNTS}),
    ]


def _size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"
