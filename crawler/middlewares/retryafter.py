"""Downloader middleware that honours ``Retry-After`` on ``429`` and ``503`` answers, per host.

Scrapy's RetryMiddleware retries a 429 or 503 at once, ignoring the ``Retry-After`` header (RFC
9110 §10.2.3): the crawl hammers a server that asked it to wait. This middleware reads the header
(delay in seconds, or an HTTP date) and holds that host's download slot until then, the way a
download delay holds it: the slot (``request.meta["download_slot"]``, the host unless a spider
says otherwise) sends nothing before the pause ends — the retry, the requests already queued for
it and those that come later — while every other slot goes on. It touches the slot where
Scrapy's AutoThrottle does (``engine.downloader.slots``, ``Slot.delay``, ``Slot.lastseen``). A
pause longer than ``RETRY_AFTER_MAX`` seconds is cut to it (a server cannot stall the crawl for
a day). Retrying is still RetryMiddleware's (``RETRY_TIMES``, ``RETRY_HTTP_CODES``).

Priority 555: its ``process_response`` runs before RetryMiddleware (550) schedules the retry.

Stats: ``retry_after/received`` (answers that paused their host), ``retry_after/capped``
(pauses cut to ``RETRY_AFTER_MAX``), ``retry_after/invalid`` (an unreadable header, ignored),
``retry_after/longest_seconds``.

Settings: ``RETRY_AFTER_ENABLED`` (default True), ``RETRY_AFTER_MAX`` (seconds, default 600).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import structlog
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import call_later

from crawler.config import float_setting

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

log = structlog.get_logger(__name__)

STATUSES = frozenset({429, 503})
_HOLD_DELAY = 0.001  # seconds: the delay a slot without one gets while it is held


class RetryAfterMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("RETRY_AFTER_ENABLED"):
            raise NotConfigured
        self.crawler = crawler
        self.stats = crawler.stats
        self.max_pause = float_setting(settings, "RETRY_AFTER_MAX")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler)

    @classmethod
    def check_settings(cls, settings: BaseSettings) -> None:
        float_setting(settings, "RETRY_AFTER_MAX")

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in STATUSES:
            return response
        value = response.headers.get(b"Retry-After")
        if value is None:
            return response
        seconds = retry_after_seconds(value.decode("latin-1"))
        if seconds is None:
            self.stats.inc_value("retry_after/invalid")
            log.warning("retry_after.invalid", url=request.url, value=value.decode("latin-1"))
            return response
        self.stats.inc_value("retry_after/received")
        if seconds > self.max_pause:
            self.stats.inc_value("retry_after/capped")
            seconds = self.max_pause
        self.stats.max_value("retry_after/longest_seconds", seconds)
        key = request.meta.get("download_slot")
        slot = self.crawler.engine.downloader.slots.get(key)
        if slot is not None:
            self._hold(slot, time.monotonic() + seconds)
        log.info(
            "retry_after.pause",
            host=key,
            seconds=round(seconds, 3),
            status=response.status,
            url=request.url,
            setting="RETRY_AFTER_MAX",
        )
        return response

    def _hold(self, slot, resume_at: float) -> None:
        """The slot dispatches a request only ``delay`` seconds after ``lastseen`` (Scrapy's
        downloader): a ``lastseen`` in the future holds it until then. A slot without a delay
        skips that check, so it gets a token one until the pause is over."""
        slot.lastseen = max(slot.lastseen, resume_at)
        if not slot.delay:
            slot.delay = _HOLD_DELAY
            call_later(resume_at - time.monotonic() + _HOLD_DELAY, _release, slot)


def _release(slot) -> None:
    if slot.delay == _HOLD_DELAY:  # unless AutoThrottle or another pause changed it since
        slot.delay = 0.0


def retry_after_seconds(value: str, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delay-seconds or an HTTP date); None when
    the value is neither. A date in the past means no wait."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # HTTP dates are GMT
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
