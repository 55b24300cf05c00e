"""``scrapy crawl`` for this project: Scrapy's command, with mistakes as one clear line.

Scrapyd runs jobs through it too. Before anything is fetched, every enabled component checks its
settings (:func:`crawler.config.check_settings`); a wrong setting, an unknown site (``-a site=NAME``,
or any of ``-a sites=NAME,NAME``: several sites in one process) or a broken site file is logged as
one error line (``crawl.config_error``, the message the ``newsarchive`` CLI prints) and the command
exits with status 2, instead of a traceback. A crawl that ran exits with
:func:`crawler.exitcodes.crawl_exit_status`, as ``newsarchive crawl`` does (non-zero when nothing
was fetched or the archive could not be written).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import structlog
from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from twisted.internet.defer import Deferred

from crawler.config import ConfigError, check_settings
from crawler.exitcodes import EXIT_USAGE, crawl_exit_status

if TYPE_CHECKING:
    import argparse

    from twisted.python.failure import Failure

log = structlog.get_logger(__name__)


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            super().run(args, opts)  # Scrapy's own usage errors
            return
        if self.crawler_process is None:  # set by scrapy.cmdline before run()
            raise RuntimeError("scrapy crawl: no crawler process")
        try:
            spidercls = self.crawler_process.spider_loader.load(args[0])
        except KeyError:
            spidercls = None  # an unknown spider: Scrapy says so below
        try:
            check_settings(self.settings, spidercls)
        except ConfigError as exc:
            self._config_error(exc)
            return
        crawler = self._create_crawler(args[0])
        crawl = self.crawler_process.crawl(crawler, **opts.spargs)
        if isinstance(crawl, Deferred):  # CrawlerProcess
            crawl.addErrback(self._failed)
        else:  # AsyncCrawlerProcess: an asyncio task, run by start()
            crawl.add_done_callback(self._finished)
        self.crawler_process.start()
        if self.exitcode == 0 and self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        if self.exitcode != 0:
            return  # it did not start (an unknown site: a config error, logged): no stats to read
        reason = crawler.stats.get_value("finish_reason")
        if reason is not None:
            # the same status as ``newsarchive crawl``: a crawl that fetched nothing is not a success
            self.exitcode, why = crawl_exit_status(reason, crawler.stats.get_stats())
            if why:
                log.error("crawl.exit_status", status=self.exitcode, why=why)

    def _failed(self, failure: Failure) -> None:
        # A component's from_crawler (e.g. the spider reading its site file) found the mistake.
        failure.trap(ConfigError)
        self._config_error(failure.value)

    def _finished(self, task: asyncio.Task) -> None:
        exc = None if task.cancelled() else task.exception()
        if isinstance(exc, ConfigError):
            self._config_error(exc)
        elif exc is not None:
            log.error("crawl.failed", exc_info=exc)

    def _config_error(self, exc: BaseException) -> None:
        log.error("crawl.config_error", error=str(exc))
        self.exitcode = EXIT_USAGE
