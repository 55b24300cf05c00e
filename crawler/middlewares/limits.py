"""Scrapy's decompression and redirect limits, counted in the crawl's stats.

Scrapy's HttpCompressionMiddleware stops decoding a body past ``DOWNLOAD_MAXSIZE`` (a gzip,
deflate, brotli or zstd bomb) and RedirectMiddleware stops a chain of redirects past
``REDIRECT_MAX_TIMES`` (a redirect loop through ever-new URLs); both drop the request with an
``IgnoreRequest`` that no stat records. These subclasses do exactly what Scrapy's do and count
each drop, so the crawl's closing stats (and its summary) say how many pages a limit held back:

- ``httpcompression/max_size_exceeded``: bodies whose decoding stopped at ``DOWNLOAD_MAXSIZE``
  (the capture middleware has archived them as sent, still encoded);
- ``redirect/max_reached``: redirect chains dropped at ``REDIRECT_MAX_TIMES`` (every hop is
  archived).

They replace Scrapy's own in ``DOWNLOADER_MIDDLEWARES`` at the same priorities (590, 600).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import IgnoreRequest

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.http import Response

log = structlog.get_logger(__name__)


class CountedHttpCompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's HttpCompressionMiddleware; a body that decodes past the limit is counted."""

    def process_response(self, request: Request, response: Response) -> Request | Response:
        try:
            return super().process_response(request, response)
        except IgnoreRequest:  # the one reason Scrapy's raises: the decoded body is too large
            self.stats.inc_value("httpcompression/max_size_exceeded")
            log.warning(
                "limits.decompression_stopped",
                url=request.url,
                encoding=response.headers.get(b"Content-Encoding", b"").decode("latin-1"),
                compressed_bytes=len(response.body),
                limit=request.meta.get("download_maxsize"),
                setting="DOWNLOAD_MAXSIZE",
            )
            raise


class CountedRedirectMiddleware(RedirectMiddleware):
    """Scrapy's RedirectMiddleware; a chain dropped at ``REDIRECT_MAX_TIMES`` is counted."""

    def process_response(self, request: Request, response: Response) -> Request | Response:
        try:
            return super().process_response(request, response)
        except IgnoreRequest:  # the one reason Scrapy's raises: max redirections reached
            self.crawler.stats.inc_value("redirect/max_reached")
            urls = request.meta.get("redirect_urls", [])
            log.warning(
                "limits.redirects_stopped",
                url=urls[0] if urls else request.url,
                last_url=request.url,
                redirects=request.meta.get("redirect_times", 0),
                setting="REDIRECT_MAX_TIMES",
            )
            raise
