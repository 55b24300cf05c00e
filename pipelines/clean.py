"""Article cleaning pipeline: fills an :class:`~crawler.items.ArticleItem`'s article fields (title,
authors, dates, tags, body, ...) and drops pages that are not articles.

Extraction itself is :func:`pipelines.extract.extract_article` (pure, also used by
``newsarchive extract`` and ``bench/extraction.py``); it runs off the reactor thread.

Template learning and crawl order
---------------------------------
Boilerplate is removed with a per-site template (:mod:`pipelines.template`) learned from the site's
own pages. The first article pages of a site arrive before anything is known about its template, so:

1. every page of a site feeds the learner as soon as it arrives: article items passing through this
   pipeline, and any other HTML page the spider reports with the :data:`crawler.signals.page_seen` signal (section
   and index pages are template-rich: their navigation, footers and "most read" boxes are the same
   as on the articles);
2. an article item is *held* (its ``process_item`` awaits) until its site has been seen on
   ``CLEAN_TEMPLATE_MIN_PAGES`` pages. Held items are released early when the crawl has nothing
   left to fetch (no request in the downloader or scheduler: waiting longer would only end the crawl
   with them still held), when ``CLEAN_HOLD_TIMEOUT`` seconds have passed, or when more than
   ``CLEAN_HOLD_MAX`` items are held (memory bound). Items cleaned later see a template learned from
   more pages; a released item is cleaned with what is known by then;
3. the template persists in the crawl state (namespace ``template``, key = :func:`template_key`:
   the site name and the page's host, since each host of a site — www, amp, a partner's copy of
   the feed — has a layout of its own, and a story two hosts both carry is not template) when the
   spider closes, and is loaded at the site's first page, so the next crawl starts knowing it and
   holds nothing for sites it already knows.

Settings (defaults in ``crawler/settings.py``): ``CLEAN_ENABLED`` (True), ``CLEAN_MAX_BYTES``
(3,000,000: a bigger page is archived, not extracted), ``CLEAN_TIMEOUT`` (10 s per page),
``CLEAN_MIN_WORDS`` (30), ``CLEAN_TEMPLATE_MIN_PAGES`` (5), ``CLEAN_HOLD_TIMEOUT`` (30 s),
``CLEAN_HOLD_MAX`` (200), ``CLEAN_TEMPLATE_PERSIST`` (True).

Stats: ``clean/pages_observed``, ``clean/articles``, ``clean/held``, ``clean/skipped/<reason>``
(``too_large``, ``timeout``, ``not_html``, ``empty``, ``no_text``, ``too_short``, ``index_page``).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import urlsplit

import structlog
from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured

from crawler.signals import page_seen
from pipelines.extract import FIELDS, empty_result, extract_article
from pipelines.template import SiteTemplate

log = structlog.get_logger(__name__)


TEMPLATE_NAMESPACE = "template"
_WATCH_INTERVAL = 0.5


def template_key(site: str | None, url: str) -> str:
    """Which template a page belongs to: ``SITE@HOST`` (the host alone without a site)."""
    host = (urlsplit(url).netloc or "").lower()
    return f"{site}@{host}" if site else host


class CleanPipeline:
    """Scrapy item pipeline: article fields in, non-articles out (counted, dropped)."""

    def __init__(self, crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("CLEAN_ENABLED", True):
            raise NotConfigured("CLEAN_ENABLED is off")
        self.crawler = crawler
        self.stats = crawler.stats
        self.max_bytes = settings.getint("CLEAN_MAX_BYTES", 3_000_000)
        self.timeout = settings.getfloat("CLEAN_TIMEOUT", 10.0)
        self.min_words = settings.getint("CLEAN_MIN_WORDS", 30)
        self.min_pages = settings.getint("CLEAN_TEMPLATE_MIN_PAGES", 5)
        self.hold_timeout = settings.getfloat("CLEAN_HOLD_TIMEOUT", 30.0)
        self.hold_max = settings.getint("CLEAN_HOLD_MAX", 200)
        self.persist = settings.getbool("CLEAN_TEMPLATE_PERSIST", True)
        self.templates: dict[str, SiteTemplate] = {}
        self._ready: dict[str, asyncio.Event] = {}
        self._held = 0
        self._release_all = False
        self._watchdog: asyncio.Task | None = None
        self._background: set[asyncio.Task] = set()
        self._state = None

    @classmethod
    def from_crawler(cls, crawler) -> CleanPipeline:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.page_seen, signal=page_seen)
        return pipeline

    # templates ------------------------------------------------------------------------------
    def _crawl_state(self):
        if self._state is None and self.persist:
            from crawler.state import CrawlState

            self._state = CrawlState.from_crawler(self.crawler)
        return self._state

    def template(self, site: str) -> SiteTemplate:
        """The site's template: learned so far in this crawl, or as the crawl state kept it."""
        tpl = self.templates.get(site)
        if tpl is None:
            state = self._crawl_state()
            stored = state.get(TEMPLATE_NAMESPACE, site) if state is not None else None
            tpl = SiteTemplate.from_json(stored, site) if stored else SiteTemplate(site)
            self.templates[site] = tpl
            if stored:
                log.info("clean.template_loaded", site=site, pages=tpl.pages)
        return tpl

    def observe(self, site: str, url: str, html: str | bytes) -> bool:
        """Let the learner of template ``site`` (a :func:`template_key`) see one page; True once
        it has seen enough pages.

        Blocking (parses the page): call it off the reactor thread, or use :meth:`observe_async`.
        """
        tpl = self.template(site)
        if html and len(html) <= self.max_bytes:
            try:
                if tpl.observe(html, url):
                    self.stats.inc_value("clean/pages_observed")
            except Exception as exc:  # noqa: BLE001 - a page the learner cannot parse teaches nothing
                log.warning("clean.observe_failed", site=site, url=url, error=repr(exc))
        return tpl.pages >= self.min_pages

    async def observe_async(self, site: str, url: str, html: str | bytes) -> None:
        """:meth:`observe` in a worker thread; wakes the site's held items when it is known."""
        self.template(site)  # created on the loop thread: the crawl state is read here, once
        if await asyncio.to_thread(self.observe, site, url, html):
            self._event(site).set()

    def page_seen(self, site: str, url: str, html: str | bytes, **kwargs: Any) -> None:
        """Handler of :data:`page_seen`: learning runs in a worker thread, the spider goes on."""
        site = template_key(site, url)
        task = asyncio.get_running_loop().create_task(self.observe_async(site, url, html))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def save_templates(self) -> None:
        state = self._crawl_state()
        if state is None:
            return
        for site, tpl in self.templates.items():
            if tpl.pages:
                state.put(TEMPLATE_NAMESPACE, site, tpl.to_json())
                log.info("clean.template_saved", site=site, pages=tpl.pages)

    # holding --------------------------------------------------------------------------------
    def _event(self, site: str) -> asyncio.Event:
        event = self._ready.get(site)
        if event is None:
            event = self._ready[site] = asyncio.Event()
        return event

    async def _wait_for_template(self, site: str) -> None:
        tpl = self.templates[site]
        if tpl.pages >= self.min_pages or self._release_all:
            return
        self._ensure_watchdog()
        self._held += 1
        self.stats.inc_value("clean/held")
        try:
            if self._held > self.hold_max:
                self._release(reason="hold_max")
            await asyncio.wait_for(self._event(site).wait(), self.hold_timeout)
        except TimeoutError:
            log.info("clean.hold_timeout", site=site, pages=tpl.pages)
        finally:
            self._held -= 1

    def _release(self, reason: str) -> None:
        if self._held:
            log.info("clean.release_held", reason=reason, held=self._held)
        for event in self._ready.values():
            event.set()

    def _ensure_watchdog(self) -> None:
        if self._watchdog is None or self._watchdog.done():
            self._watchdog = asyncio.get_running_loop().create_task(self._watch())

    async def _watch(self) -> None:
        # Held items keep the spider from going idle, so idleness cannot be awaited as a signal:
        # when nothing is left to fetch, no further page of any site will come — release them all.
        while self._held:
            await asyncio.sleep(_WATCH_INTERVAL)
            if self._nothing_left_to_fetch():
                self._release(reason="crawl_drained")
                return

    def _nothing_left_to_fetch(self) -> bool:
        try:
            engine = self.crawler.engine
        except RuntimeError:  # no engine (pipeline used outside a crawl): only the timeout releases
            return False
        if engine is None:
            return False
        if engine.downloader.active or getattr(engine, "_start", None) is not None:
            return False
        slot = getattr(engine, "_slot", None) or getattr(engine, "slot", None)
        scheduler = getattr(slot, "scheduler", None)
        return not (scheduler is not None and scheduler.has_pending_requests())

    # items ----------------------------------------------------------------------------------
    async def process_item(self, item):
        html = item.get("html")
        url = item.get("final_url") or item.get("url") or ""
        site = template_key(item.get("site"), url)
        if html is None:
            return item  # not a page (another item type): nothing to clean
        if len(html) > self.max_bytes:
            result = empty_result(url, "too_large")
        else:
            await self.observe_async(site, url, html)
            await self._wait_for_template(site)
            result = await self._extract(item, html, url, site)
        if not result["is_article"]:
            reason = result["skip_reason"] or "unknown"
            self.stats.inc_value(f"clean/skipped/{reason}")
            log.info("clean.skipped", url=url, site=site, reason=reason)
            raise DropItem(f"not an article ({reason}): {url}")
        for field in FIELDS:
            if field != "url":
                item[field] = result[field]
        self.stats.inc_value("clean/articles")
        return item

    async def _extract(self, item, html: str, url: str, site: str) -> dict[str, Any]:
        started = time.monotonic()
        work = asyncio.to_thread(
            extract_article,
            html,
            url,
            template=self.templates[site],
            hints=item.get("hints") or None,
            max_bytes=self.max_bytes,
            timeout=self.timeout,
            min_words=self.min_words,
        )
        try:
            # The worker checks the deadline between stages; this bounds a stage that overruns
            # (the thread finishes in the background, its result is discarded).
            result = await asyncio.wait_for(work, self.timeout * 1.5 + 1)
        except TimeoutError:
            result = empty_result(url, "timeout")
        except Exception as exc:  # noqa: BLE001 - one bad page must not stop the crawl
            log.warning("clean.failed", url=url, error=repr(exc))
            result = empty_result(url, "error")
        log.debug("clean.extracted", url=url, ms=round((time.monotonic() - started) * 1000, 1))
        return result

    def spider_closed(self, spider) -> None:
        self._release_all = True
        self._release(reason="spider_closed")
        if self._watchdog is not None:
            self._watchdog.cancel()
        self.save_templates()
