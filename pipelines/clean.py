"""Article cleaning pipeline: fills an :class:`~crawler.items.ArticleItem`'s article fields (title,
authors, dates, tags, body, ...) and drops pages that are not articles.

Extraction itself is :func:`pipelines.extract.extract_article` (pure, also used by
``newsarchive extract`` and ``bench/extraction.py``); it runs off the reactor thread.

The spider hands over the page as fetched: ``html`` the body bytes, ``content_type`` the
``Content-Type`` header. Each page is decoded once, by :func:`pipelines.decode.page_text` (the
decoding ``newsarchive extract`` uses: BOM, header charset, ``<meta>``, detection), and that text is
what both the template learner and the extractor see; ``encoding`` is set to the codec it chose.

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
   with them still held) or can fetch nothing until they go (the engine backs out: the held items'
   responses count against ``SCRAPER_SLOT_MAX_ACTIVE_SIZE``, or the spider is closing), when
   ``CLEAN_HOLD_TIMEOUT`` seconds have passed, or when more than ``CLEAN_HOLD_MAX`` items are held
   (memory bound). Items cleaned later see a template learned from more pages; a released item is
   cleaned with what is known by then;
3. the template persists in the crawl state (namespace ``template``, key = :func:`template_key`:
   the site name and the page's host, since each host of a site — www, amp, a partner's copy of
   the feed — has a layout of its own, and a story two hosts both carry is not template) when the
   spider closes, and is loaded at the site's first page, so the next crawl starts knowing it and
   holds nothing for sites it already knows.

Settings (defaults in ``crawler/settings.py``): ``CLEAN_ENABLED`` (True), ``CLEAN_MAX_BYTES``
(3,000,000: a bigger page is archived, not extracted), ``CLEAN_TIMEOUT`` (10 s per page),
``CLEAN_MIN_WORDS`` (30), ``CLEAN_WORKERS`` (one per core, at most 4: worker processes that
read pages for the learner and extract, each page killed at ``CLEAN_TIMEOUT``:
:mod:`pipelines.workers`; once a site's template is known an article goes to a worker once, which
reads it for the learner, waits for the crawl to learn from it, then extracts it; 0 does both in
threads of the crawl's process, where a page's time is checked only between stages), ``CLEAN_TEMPLATE_MIN_PAGES`` (5), ``CLEAN_HOLD_TIMEOUT`` (30 s),
``CLEAN_HOLD_MAX`` (200), ``CLEAN_TEMPLATE_PERSIST`` (True).

Stats: ``clean/pages_observed``, ``clean/articles``, ``clean/held``, ``clean/skipped/<reason>``
(``too_large``, ``timeout``, ``not_html``, ``empty``, ``no_text``, ``too_short``, ``index_page``),
``clean/workers_killed`` (a page overran its time in a worker).
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import structlog
from scrapy import signals
from scrapy.exceptions import DropItem, NotConfigured

from crawler.config import choice_setting, float_setting, int_setting
from crawler.memory import release_free_memory
from crawler.signals import page_seen
from crawler.state import CrawlState
from pipelines.decode import NotHtml, page_text
from pipelines.result import FAVOR_MODES, FIELDS, empty_result
from pipelines.template import SiteTemplate, observation
from pipelines.workers import ExtractionWorkers, WorkersClosed

log = structlog.get_logger(__name__)


TEMPLATE_NAMESPACE = "template"
_WATCH_INTERVAL = 0.5
# Every this many pages cleaned, the heap's free memory goes back to the OS (crawler.memory).
_RELEASE_EVERY = 500
# Seconds (at most) the crawl's close waits for pages the learner is still reading in the workers.
_CLOSE_WAIT = 5.0


def template_key(site: str | None, url: str) -> str:
    """Which template a page belongs to: ``SITE@HOST`` (the host alone without a site)."""
    host = (urlsplit(url).netloc or "").lower()
    return f"{site}@{host}" if site else host


class CleanPipeline:
    """Scrapy item pipeline: article fields in, non-articles out (counted, dropped)."""

    def __init__(self, crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("CLEAN_ENABLED"):
            raise NotConfigured("CLEAN_ENABLED is off")
        self.check_settings(settings)
        self.crawler = crawler
        self.stats = crawler.stats
        self.max_bytes = int_setting(settings, "CLEAN_MAX_BYTES", minimum=1)
        self.timeout = float_setting(settings, "CLEAN_TIMEOUT")
        self.min_words = int_setting(settings, "CLEAN_MIN_WORDS")
        self.favor = choice_setting(settings, "CLEAN_FAVOR", FAVOR_MODES)
        self.worker_count = int_setting(settings, "CLEAN_WORKERS")
        self.sign = self._dedupe_signing(settings) if self.worker_count else None
        self._workers: ExtractionWorkers | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self.min_pages = int_setting(settings, "CLEAN_TEMPLATE_MIN_PAGES")
        self.hold_timeout = float_setting(settings, "CLEAN_HOLD_TIMEOUT")
        self.hold_max = int_setting(settings, "CLEAN_HOLD_MAX")
        self.persist = settings.getbool("CLEAN_TEMPLATE_PERSIST")
        self.templates: dict[str, SiteTemplate] = {}
        self._ready: dict[str, asyncio.Event] = {}
        self._held = 0
        self._release_all = False
        self._watchdog: asyncio.Task | None = None
        self._background: set[asyncio.Task] = set()
        self._cleaned = 0
        self._state = None

    @classmethod
    def check_settings(cls, settings) -> None:
        int_setting(settings, "CLEAN_MAX_BYTES", minimum=1)
        choice_setting(settings, "CLEAN_FAVOR", FAVOR_MODES)
        for name in (
            "CLEAN_MIN_WORDS",
            "CLEAN_TEMPLATE_MIN_PAGES",
            "CLEAN_HOLD_MAX",
            "CLEAN_WORKERS",
        ):
            int_setting(settings, name)
        for name in ("CLEAN_TIMEOUT", "CLEAN_HOLD_TIMEOUT"):
            float_setting(settings, name)

    @staticmethod
    def _dedupe_signing(settings) -> tuple[int, int] | None:
        """(permutations, shingle size) with which the workers sign each body for the dedupe
        pipeline, when it is on (else None: no signing)."""
        for component, order in settings.getwithbase("ITEM_PIPELINES").items():
            name = component if isinstance(component, str) else getattr(component, "__name__", "")
            if name.rsplit(".", 1)[-1] == "DedupePipeline" and order is not None:
                return (
                    int_setting(settings, "DEDUPE_NUM_PERM", minimum=16),
                    int_setting(settings, "DEDUPE_SHINGLE_SIZE", minimum=1),
                )
        return None

    @classmethod
    def from_crawler(cls, crawler) -> CleanPipeline:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed_async, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.page_seen, signal=page_seen)
        return pipeline

    # templates ------------------------------------------------------------------------------
    def _crawl_state(self):
        if self._state is None and self.persist:
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

    def observe(
        self, site: str, url: str, html: str | bytes, content_type: str | None = None
    ) -> bool:
        """Let the learner of template ``site`` (a :func:`template_key`) see one page; True once
        it has seen enough pages.

        ``html`` is the body as fetched (bytes, decoded with :func:`page_text` and the charset of
        ``content_type``) or its text, already decoded. With ``CLEAN_WORKERS`` the page is parsed
        in a worker process and learned here. Blocking: call it off the reactor thread, or use
        :meth:`observe_async`.
        """
        self.template(site)
        if html and len(html) <= self.max_bytes:
            try:
                if self.worker_count:
                    blocks = self._pool().observe(
                        html, timeout=self.timeout, content_type=content_type, url=url
                    )
                else:
                    if isinstance(html, bytes):
                        html, _ = page_text(html, content_type)
                    blocks = observation(html)
                return self._learn(site, url, blocks)
            except WorkersClosed:
                pass  # the crawl is closing: nothing is learned or cleaned any more
            except Exception as exc:  # noqa: BLE001 - a page the learner cannot parse teaches nothing
                log.warning("clean.observe_failed", site=site, url=url, error=repr(exc))
        return self.templates[site].pages >= self.min_pages

    def _learn(self, site: str, url: str, blocks: list | None) -> bool:
        """Learn one page's observation (None: the worker could not read the page); True once the
        site's template is known."""
        tpl = self.templates[site]
        if blocks is None:
            log.warning("clean.observe_failed", site=site, url=url, error="worker")
        elif tpl.learn(blocks, url):
            self.stats.inc_value("clean/pages_observed")
        return tpl.pages >= self.min_pages

    async def observe_async(
        self, site: str, url: str, html: str | bytes, content_type: str | None = None
    ) -> None:
        """:meth:`observe` in a worker thread; wakes the site's held items when it is known."""
        self.template(site)  # created on the loop thread: the crawl state is read here, once
        if await asyncio.to_thread(self.observe, site, url, html, content_type):
            self._event(site).set()

    def page_seen(
        self, site: str, url: str, html: str | bytes, content_type: str | None = None, **kwargs: Any
    ) -> None:
        """Handler of :data:`page_seen`: learning runs in a worker thread, the spider goes on."""
        site = template_key(site, url)
        task = asyncio.get_running_loop().create_task(
            self.observe_async(site, url, html, content_type)
        )
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
        # Why a poll and not a signal: Scrapy counts an item in a pipeline as work in progress, so
        # while one is held the spider never goes idle and ``spider_idle`` never comes; and
        # ``scheduler_empty`` is only sent while the engine pulls requests, which it stops doing
        # when it backs out, as it does once the held items' responses fill the scraper's slot.
        # So, while items are held, the public engine state is read every _WATCH_INTERVAL.
        while self._held:
            await asyncio.sleep(_WATCH_INTERVAL)
            reason = self._no_page_coming()
            if reason:
                self._release(reason=reason)
                return

    def _no_page_coming(self) -> str | None:
        """Why no further page can arrive while items are held, or None if pages may still come.

        ``crawl_drained``: nothing is downloading and the scheduler has nothing left; waiting
        longer would only end the crawl with the items still held. ``crawl_stalled``: nothing is
        downloading and the engine backs out (the held items' responses count against
        ``SCRAPER_SLOT_MAX_ACTIVE_SIZE``, or the spider is closing, which waits for them): nothing
        will be fetched until the items go.

        Requests ``Spider.start()`` has yet to yield are not visible through a public API: a
        ``start()`` that pauses while nothing else is in flight may see held items released early,
        i.e. cleaned with a template learned from fewer pages (never lost, never delayed).
        """
        engine = self.crawler.engine
        scheduler = engine.scheduler if engine is not None else None
        if scheduler is None:  # outside a crawl, or before it starts: only the timeout releases
            return None
        if engine.downloader.active:
            return None
        if not scheduler.has_pending_requests():
            return "crawl_drained"
        if engine.needs_backout():
            return "crawl_stalled"
        return None

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
            tpl = self.template(site)  # created on the loop thread: the crawl state is read once
            try:
                if self.worker_count and (tpl.pages >= self.min_pages or self._release_all):
                    # Nothing to wait for: one hop, in which a worker reads the page for the
                    # learner, then extracts it with the template learned from it too.
                    text, encoding, result = await self._extract(item, html, url, site, learn=True)
                else:
                    # one hop to a thread for both: decoding and learning from the page
                    text, encoding, known = await asyncio.to_thread(
                        self._decode_and_observe, site, url, html, item.get("content_type")
                    )
                    if known:
                        self._event(site).set()
                    result = None
            except NotHtml:
                result = empty_result(url, "not_html")
            else:
                # From here on the item holds the page as text (what feeds and dedupe read).
                item["html"] = text
                if encoding:
                    item["encoding"] = encoding
                if result is None:
                    await self._wait_for_template(site)
                    _, _, result = await self._extract(item, text, url, site)
        self._cleaned += 1
        if self._cleaned % _RELEASE_EVERY == 0:
            # pages' texts are freed, glibc would keep them; a few ms, not on the reactor's thread
            asyncio.get_running_loop().run_in_executor(None, release_free_memory)
        if not result["is_article"]:
            reason = result["skip_reason"] or "unknown"
            self.stats.inc_value(f"clean/skipped/{reason}")
            log.info("clean.skipped", url=url, site=site, reason=reason)
            raise DropItem(f"not an article ({reason}): {url}")
        for field in FIELDS:
            if field != "url":
                item[field] = result[field]
        if result.get("body_signature"):
            item["body_signature"] = result["body_signature"]
        self.stats.inc_value("clean/articles")
        return item

    def _decode_and_observe(
        self, site: str, url: str, html: bytes, content_type: str | None
    ) -> tuple[str, str | None, bool]:
        """(the page as text, its encoding, whether the site's template is known now)."""
        text, encoding = page_text(html, content_type)
        return text, encoding, self.observe(site, url, text)

    async def _extract(
        self, item, html: str | bytes, url: str, site: str, *, learn: bool = False
    ) -> tuple[str, str | None, dict[str, Any]]:
        """(the page as text, its encoding, the extraction's result). ``html`` is the page's text;
        with ``learn`` (workers only) the body as fetched: decoded, learned from and extracted in
        one hop (:meth:`_decode_learn_extract`)."""
        started = time.monotonic()
        options = {
            "hints": item.get("hints") or None,
            "max_bytes": self.max_bytes,
            "min_words": self.min_words,
            "favor": self.favor,
            "decoded": True,  # the text of page_text (or the body as fetched, with learn)
        }
        text, encoding = html, None
        try:
            if self.worker_count:
                pool = self._pool()
                if learn:
                    call = functools.partial(
                        self._decode_learn_extract, pool, site, url, html,
                        item.get("content_type"), options,
                    )  # fmt: skip
                else:
                    call = functools.partial(
                        pool.extract, site, self.templates[site], timeout=self.timeout,
                        body=html, url=url, sign=self.sign, **options,
                    )  # fmt: skip
                killed = pool.killed
                answer = await asyncio.get_running_loop().run_in_executor(self._executor, call)
                if pool.killed > killed:
                    self.stats.inc_value("clean/workers_killed")
                text, encoding, result = answer if learn else (text, encoding, answer)
            else:
                from pipelines.extract import extract_article  # noqa: PLC0415 - only without workers

                work = asyncio.to_thread(
                    extract_article,
                    html,
                    url,
                    template=self.templates[site],
                    timeout=self.timeout,
                    **options,
                )
                # The thread checks the deadline between stages; this bounds the wait for a stage
                # that overruns (the thread finishes in the background, its result discarded).
                result = await asyncio.wait_for(work, self.timeout * 1.5 + 1)
        except NotHtml:
            raise
        except TimeoutError:
            result = empty_result(url, "timeout")
        except Exception as exc:  # noqa: BLE001 - one bad page must not stop the crawl
            log.warning("clean.failed", url=url, error=repr(exc))
            result = empty_result(url, "error")
        log.debug("clean.extracted", url=url, ms=round((time.monotonic() - started) * 1000, 1))
        return text, encoding, result

    def _decode_learn_extract(
        self, pool: ExtractionWorkers, site: str, url: str, body: bytes, content_type, options
    ) -> tuple[str, str | None, dict[str, Any]]:
        """In an executor thread: the page decoded, then a worker reads it for the learner and
        extracts it once the page is learned (the template it strips with includes the page)."""
        text, encoding = page_text(body, content_type)
        result = pool.extract(
            site,
            self.templates[site],
            timeout=self.timeout,
            learn=functools.partial(self._learn, site, url),
            body=text,
            url=url,
            sign=self.sign,
            **options,
        )
        return text, encoding, result

    def _pool(self) -> ExtractionWorkers:
        """The worker processes, started with the first page that needs them."""
        with self._pool_lock:  # observe() calls it from threads
            if self._workers is None:
                self._workers = ExtractionWorkers(self.worker_count)
                self._executor = ThreadPoolExecutor(self.worker_count, "clean-worker")
            return self._workers

    def close_workers(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        if self._workers is not None:
            self._workers.close()

    async def spider_closed_async(self, spider) -> None:
        """The crawl's handler: pages the learner is still reading in the workers (section pages
        seen last) are learned before the workers stop and the templates are saved, for at most
        ``min(CLEAN_TIMEOUT, 5 s)``; then :meth:`spider_closed`."""
        if self._background and self.worker_count:
            _, late = await asyncio.wait(
                list(self._background), timeout=min(self.timeout, _CLOSE_WAIT)
            )
            if late:
                log.warning("clean.observations_abandoned", pages=len(late))
        self.spider_closed(spider)

    def spider_closed(self, spider) -> None:
        self._release_all = True
        self._release(reason="spider_closed")
        if self._watchdog is not None:
            self._watchdog.cancel()
        self.close_workers()
        self.save_templates()
