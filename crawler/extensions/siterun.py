"""What each crawl found, per site, kept in the crawl state for ``newsarchive schedule``.

The scheduler starts crawls in other processes (``newsarchive crawl`` or scrapyd jobs) and learns
how they went from here: when the spider closes, this extension writes one record per site the
crawl covered into the crawl state's namespace ``site_runs`` (key: the site's name)::

    {"crawl_id": ..., "started_at": epoch, "finished_at": epoch, "articles": exported articles,
     "pages": responses, "finish_reason": "finished", "exit_status": 0, "why": ""}

``exit_status`` and ``why`` are the crawl's (:func:`crawler.exitcodes.crawl_exit_status`), so a
scrapyd job, whose exit status scrapyd does not report, tells the scheduler whether it failed.

``articles`` counts the items the pipelines exported (``item_scraped``): articles archived before
are not fetched again, so on a site that published nothing it is 0. The crawl and the scheduler
must share the crawl state (the same ``STATE_DIR``, or the same ``REDIS_URL`` and
``STATE_REDIS_PREFIX``). The record stays until the site's next crawl replaces it.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from scrapy import signals

from crawler import meta
from crawler.crawl_id import crawl_id
from crawler.exitcodes import crawl_exit_status
from crawler.state import CrawlState, StateStore

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

NS_SITE_RUNS = "site_runs"


def site_run(state: StateStore, site: str) -> dict[str, Any] | None:
    """The record of the latest crawl of ``site`` that ended (None before its first)."""
    return state.get(NS_SITE_RUNS, site)


class SiteRuns:
    """Extension: count articles and pages per site; record them when the spider closes."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.state = CrawlState.from_crawler(crawler)
        self.articles: Counter[str] = Counter()
        self.pages: Counter[str] = Counter()
        self.started_at = time.time()
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteRuns:
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        self.started_at = time.time()

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        site = request.meta.get(meta.SITE) or _spider_site(spider)
        if site:
            self.pages[site] += 1

    def item_scraped(self, item, response: Response, spider: Spider) -> None:
        site = (item.get("site") if hasattr(item, "get") else None) or _spider_site(spider)
        if site:
            self.articles[site] += 1

    def spider_closed(self, spider: Spider, reason: str) -> None:
        finished_at = time.time()
        status, why = crawl_exit_status(reason, self.crawler.stats.get_stats())
        for site in sorted(set(self.pages) | set(self.articles) | set(_spider_sites(spider))):
            self.state.put(
                NS_SITE_RUNS,
                site,
                {
                    "crawl_id": crawl_id(self.crawler.settings),
                    "started_at": self.started_at,
                    "finished_at": finished_at,
                    "articles": self.articles[site],
                    "pages": self.pages[site],
                    "finish_reason": reason,
                    "exit_status": status,
                    "why": why,
                },
            )


def _spider_site(spider: Spider) -> str | None:
    """The crawl's site when it has one only (the site of a request or item that names none)."""
    return getattr(spider, "site_name", None)


def _spider_sites(spider: Spider) -> list[str]:
    """Every site the spider was given, so a site that answered nothing is recorded too."""
    sites = getattr(spider, "sites", None)
    if isinstance(sites, dict):
        return list(sites)
    one = _spider_site(spider)
    return [one] if one else []
