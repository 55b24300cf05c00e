"""robots.txt fetched once per host and crawl, however many processes crawl it (``REDIS_URL``),
and read for its ``Sitemap:`` lines from that one fetch.

:class:`RobotsTxtSitemapsMiddleware` is Scrapy's ``RobotsTxtMiddleware`` that also sends the
response it fetched as :data:`crawler.signals.robots_fetched`: a discovery crawl finds the site's
sitemaps there, instead of asking for robots.txt a second time.

Scrapy's ``RobotsTxtMiddleware`` fetches each host's robots.txt in every process, outside the
frontier: N processes of one crawl would fetch (and archive) it N times.
:class:`SharedRobotsTxtMiddleware` takes its place when the frontier is shared
(:class:`crawler.frontier.RedisFrontier` swaps them): the first process to claim a host's
robots.txt for the crawl (:meth:`crawler.peers.CrawlPeers.claim`) fetches it, through the
downloader like Scrapy's (so it is archived), and shares the answer in Redis; the others wait for
it there and parse the same bytes. A fetch that fails is shared as "no robots.txt", as Scrapy
treats it. If the fetching process dies first, its claim expires and another one fetches.

Stats: Scrapy's ``robotstxt/*`` in the fetching process, ``robotstxt/shared`` in the others.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

import structlog
from scrapy import Request, signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.asyncio import sleep
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler, load_object
from twisted.internet.defer import Deferred

from crawler.peers import CrawlPeers
from crawler.signals import robots_fetched

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.robotstxt import RobotParser

log = structlog.get_logger(__name__)

_POLL_SECONDS = 0.05


class RobotsTxtSitemapsMiddleware(RobotsTxtMiddleware):
    """Scrapy's ``RobotsTxtMiddleware``; the robots.txt it fetched goes to ``robots_fetched``."""

    async def _parse_robots(self, response, netloc: str, request: Request) -> None:
        await super()._parse_robots(response, netloc, request)
        await self.crawler.signals.send_catch_log_async(signal=robots_fetched, response=response)


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's ``RobotsTxtMiddleware`` with robots.txt fetched by one process per crawl."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.peers = CrawlPeers.from_settings(crawler.settings)
        if self.peers is None:
            raise NotConfigured("SharedRobotsTxtMiddleware needs REDIS_URL")
        self.parser_class = load_object(crawler.settings.get("ROBOTSTXT_PARSER"))
        self.parsers: dict[str, RobotParser | Deferred | None] = {}
        # a claim outlives the fetch it stands for (retries included), not a process that died
        settings = crawler.settings
        self.claim_seconds = (
            settings.getfloat("DOWNLOAD_TIMEOUT") * (settings.getint("RETRY_TIMES") + 1) + 10
        )

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        parser = self.parsers.get(netloc, False)
        if parser is False:  # the first request to this host in this process
            ready: Deferred = Deferred()
            self.parsers[netloc] = ready
            parser = None
            try:
                parser = await self._shared_parser(request, netloc)
            finally:  # the requests waiting for it go on, even if Redis failed this one
                self.parsers[netloc] = parser
                ready.callback(parser)
            return parser
        if isinstance(parser, Deferred):
            return await maybe_deferred_to_future(_when_fired(parser))
        return parser

    async def _shared_parser(self, request: Request, netloc: str) -> RobotParser | None:
        name = f"robots:{netloc}"
        while True:
            shared = self.peers.get(name)
            if shared is not None:
                self.crawler.stats.inc_value("robotstxt/shared")
                body = shared.get("body")
                if body is None:
                    return None
                return await self._parser(base64.b64decode(body), request)
            if self.peers.claim(name, ttl=self.claim_seconds):
                return await self._fetch(request, netloc, name)
            await sleep(_POLL_SECONDS)  # another process is fetching it

    async def _fetch(self, request: Request, netloc: str, name: str) -> RobotParser | None:
        stats = self.crawler.stats
        url = urlparse_cached(request)
        robots = Request(
            f"{url.scheme}://{netloc}/robots.txt",
            priority=self.DOWNLOAD_PRIORITY,
            meta={"dont_obey_robotstxt": True},
            callback=NO_CALLBACK,
        )
        stats.inc_value("robotstxt/request_count")
        try:
            response = await self.crawler.engine.download_async(robots)
        except Exception as exc:  # noqa: BLE001 - as Scrapy: no robots.txt, every page allowed
            if not isinstance(exc, IgnoreRequest):
                stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
                log.error(
                    "robots.fetch_failed", url=robots.url, error=f"{type(exc).__name__}: {exc}"
                )
            self.peers.put(name, {"body": None})
            return None
        stats.inc_value("robotstxt/response_count")
        stats.inc_value(f"robotstxt/response_status_count/{response.status}")
        self.peers.put(
            name, {"status": response.status, "body": base64.b64encode(response.body).decode()}
        )
        parser = await self._parser(response.body, request)
        # the process that fetched it tells its spider (the sitemaps enter the shared frontier)
        await self.crawler.signals.send_catch_log_async(signal=robots_fetched, response=response)
        return parser

    async def _parser(self, body: bytes, request: Request) -> RobotParser:
        parser = build_from_crawler(self.parser_class, self.crawler, body)
        await self.crawler.signals.send_catch_log_async(
            signal=signals.robots_parsed, robotparser=parser, request=request
        )
        return parser


def _when_fired(deferred: Deferred) -> Deferred:
    """A new Deferred with ``deferred``'s result, which stays there for the next waiter."""
    waiter: Deferred = Deferred()

    def fire(result):
        waiter.callback(result)
        return result

    deferred.addCallback(fire)
    return waiter
