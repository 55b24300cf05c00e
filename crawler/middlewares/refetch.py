"""What to fetch again: archived articles not, sections/feeds/sitemaps only if they changed.

A downloader middleware driven by two request meta keys the news spider sets:

- ``meta[ARTICLE] = True``: an article link. If its canonical URL was archived by an earlier
  crawl (``dedupe.archived`` in the crawl state) and ``ARTICLE_RECRAWL_AFTER`` has not passed,
  the request is dropped (``IgnoreRequest``; stat ``dedupe/article_already_archived``).
- ``meta[REFETCH] = True``: a page fetched every crawl (section, feed, sitemap). It is sent with
  ``If-None-Match`` / ``If-Modified-Since`` from the validators of its last 200 answer, and a 200
  answer's new validators are stored. A ``304`` reaches the spider callback (the middleware adds
  304 to ``meta["handle_httpstatus_list"]``) with ``meta[NOT_MODIFIED] = True`` (keys: :mod:`crawler.meta`).

Place it before the WARC capture middleware (so the archived request carries the conditional
headers) and before RedirectMiddleware (600, so it sees the final answer): priority 560.

Settings: ``DEDUPE_REFETCH_ENABLED`` (default True), ``ARTICLE_RECRAWL_AFTER`` (seconds or "7d";
default None: never), ``DEDUPE_TRACKING_PARAMS`` (see ``crawler.urls``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog
from scrapy.exceptions import IgnoreRequest, NotConfigured

from crawler.dedupe_state import DedupeState, parse_duration
from crawler.meta import ARTICLE, CONDITIONAL, NOT_MODIFIED, REFETCH
from crawler.urls import UrlCanonicalizer

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

log = structlog.get_logger(__name__)


class RefetchMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("DEDUPE_REFETCH_ENABLED"):
            raise NotConfigured
        self.stats = crawler.stats
        self.recrawl_after = parse_duration(settings.get("ARTICLE_RECRAWL_AFTER"))
        self.canonicalize = UrlCanonicalizer.from_settings(settings)
        self.state = DedupeState.from_crawler(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RefetchMiddleware:
        return cls(crawler)

    @classmethod
    def check_settings(cls, settings: BaseSettings) -> None:
        parse_duration(settings.get("ARTICLE_RECRAWL_AFTER"))

    def process_request(self, request: Request) -> None:
        meta = request.meta
        if meta.get(ARTICLE):
            url = self.canonicalize(request.url)
            if self.state.archived_recently(url, self.recrawl_after):
                self.stats.inc_value("dedupe/article_already_archived")
                log.debug("dedupe.article_already_archived", url=url)
                raise IgnoreRequest(f"already archived: {url}")
        elif meta.get(REFETCH):
            validators = self.state.validators(self.canonicalize(request.url))
            sent = False
            if validators["etag"] and b"If-None-Match" not in request.headers:
                request.headers[b"If-None-Match"] = validators["etag"]
                sent = True
            if validators["last_modified"] and b"If-Modified-Since" not in request.headers:
                request.headers[b"If-Modified-Since"] = validators["last_modified"]
                sent = True
            if sent:
                allowed = list(meta.get("handle_httpstatus_list", ()))
                if 304 not in allowed:
                    meta["handle_httpstatus_list"] = [*allowed, 304]
                meta[CONDITIONAL] = True
                self.stats.inc_value("dedupe/conditional_requests")

    def process_response(self, request: Request, response: Response) -> Response:
        if not request.meta.get(REFETCH):
            return response
        if response.status == 304 and request.meta.get(CONDITIONAL):
            request.meta[NOT_MODIFIED] = True
            self.stats.inc_value("dedupe/not_modified")
        elif response.status == 200:
            etag = response.headers.get(b"ETag")
            last_modified = response.headers.get(b"Last-Modified")
            self.state.remember_validators(
                self.canonicalize(response.url),
                etag.decode("latin-1") if etag else None,
                last_modified.decode("latin-1") if last_modified else None,
            )
        return response
