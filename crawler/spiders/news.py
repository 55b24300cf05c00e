"""The ``news`` spider: sections and their pagination, feeds and sitemaps, then article pages.

``scrapy crawl news -a site=NAME`` crawls the site file ``SITES_DIR/NAME.toml``;
``-a sites=NAME,NAME,...`` crawls several in one process (one WARC stream, politeness and robots
per host as for one); ``-a urls=URL,URL`` crawls from those pages as one ad hoc site. Each article
page yields one :class:`ArticleItem`; every other page is only archived (by the capture
middleware) and mined for links.

Every request carries the name of its site in ``meta[SITE]``, inherited from the response whose
links it follows; that site's file (patterns, discovery, pagination depth, scope) decides what is
done with the response, and its name is the item's ``site``.

Two ways to tell articles from the rest:

- a site file's ``article_patterns``: links matching them are articles, the start URLs and their
  pagination are sections;
- **discovery**, for ad hoc crawls and site files without patterns: the site's robots.txt
  ``Sitemap:`` lines (else the usual sitemap paths), the feeds its pages announce (else the usual
  feed paths), and every in-scope link followed up to ``DISCOVERY_DEPTH`` link hops from the start
  pages (pagination does not count as a hop). Each page says itself whether it is an article
  (:func:`pipelines.pagekind.page_kind`); URL shapes the pages confirmed are learned per host
  (:class:`crawler.discovery.UrlShapes`): links of an article shape are fetched first, and a page of
  a list shape is never taken for an article.

Requests for pages that change between crawls (sections, feeds, sitemaps) carry
``meta[REFETCH] = True``; article requests carry ``meta[ARTICLE] = True`` (:mod:`crawler.meta`): the dedupe
components use them to re-fetch conditionally and to skip articles archived before.
"""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator
from urllib.parse import urljoin, urlsplit

import scrapy
import structlog
from lxml import etree
from scrapy.http import Request, Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.utils.gz import gunzip

from crawler.config import int_setting
from crawler.crawl_id import crawl_id
from crawler.discovery import (
    FEED_PATHS,
    NEXT_TEXT,
    SITEMAP_PATHS,
    UrlShapes,
    feed_links,
    is_next_page,
    is_page_of,
    page_number,
    robots_sitemaps,
)
from crawler.items import ArticleItem
from crawler.meta import ARTICLE, CAPTURE, HINTS, HOPS, KIND, PAGE, REFETCH, SITE, SITEMAP_DEPTH
from crawler.signals import page_seen, robots_fetched
from crawler.sites import Site, SiteError, adhoc_site, load_site
from pipelines.decode import MAX_GUNZIPPED
from pipelines.pagekind import page_kind

log = structlog.get_logger(__name__)

_MAX_SITEMAP_DEPTH = 3

# Links to these are page assets and media, never sections or articles. Not Scrapy's
# IGNORED_EXTENSIONS: that list lets fonts and .gz through, and drops pages whose path merely ends
# like a file type, as news sites' tag pages do (/topics/mistral.ai, /tags/abc.net.au).
_SKIP_EXTENSIONS = "jpg jpeg png gif webp svg ico css js woff woff2 ttf pdf zip gz mp3 mp4 mov avi"


def _without_fragment(url: str) -> str:
    return url.split("#", 1)[0]


_LINK_EXTRACTOR = LinkExtractor(
    allow=r"^https?://",
    tags="a",
    attrs="href",
    deny_extensions=_SKIP_EXTENSIONS.split(),
    process_value=_without_fragment,
    canonicalize=False,
    unique=True,
)


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(
        self,
        site: str | None = None,
        urls: str | None = None,
        sites: str | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self._site_args = [n for n in (site or "", *(sites or "").split(",")) if n.strip()]
        #: The crawl's sites by name, in the order given.
        self.sites: dict[str, Site] = {}
        #: The one site's name, None when the crawl covers several (the crawl id then says "news").
        self.site_name: str | None = None
        self.shapes = UrlShapes()
        self._probed_feeds: set[str] = set()
        if urls:  # bare URLs need no site file: usable before from_crawler (link tests)
            self._add_sites([adhoc_site([u for u in urls.split(",") if u])])

    @classmethod
    def check_settings(cls, settings) -> None:
        int_setting(settings, "DISCOVERY_DEPTH")

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        sites_dir = crawler.settings.get("SITES_DIR")
        spider._add_sites(load_site(n.strip(), sites_dir) for n in spider._site_args)
        if not spider.sites:
            raise SiteError(
                "the news spider needs -a site=NAME, -a sites=NAME,NAME... or -a urls=URL[,URL...]"
            )
        spider.depth = int_setting(crawler.settings, "DISCOVERY_DEPTH")
        # Obeying robots.txt, the robots middleware fetches it (once per host and crawl) and
        # hands it over; else discovery asks for it itself.
        spider.robots_from_middleware = crawler.settings.getbool("ROBOTSTXT_OBEY")
        crawler.signals.connect(spider.robots_fetched, signal=robots_fetched)
        # a .gz sitemap is decompressed here (no Content-Encoding): bounded like the decoders
        spider.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        spider.allowed_domains = list(
            dict.fromkeys(d for site in spider.sites.values() for d in site.allowed_domains)
        )
        # Per-site politeness becomes per-domain download slots (settings are still open here).
        # A setting given on the command line (-s) still beats the site file; a domain two sites
        # share keeps the first one's.
        settings = crawler.settings
        slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
        for site in spider.sites.values():
            slot = {}
            if site.download_delay is not None and not _from_cmdline(settings, "DOWNLOAD_DELAY"):
                slot["delay"] = site.download_delay
            if site.concurrent_requests_per_domain is not None and not _from_cmdline(
                settings, "CONCURRENT_REQUESTS_PER_DOMAIN"
            ):
                slot["concurrency"] = site.concurrent_requests_per_domain
            for domain in site.allowed_domains if slot else ():
                slots[domain] = {**slot, **slots.get(domain, {})}
        if slots != settings.getdict("DOWNLOAD_SLOTS"):
            settings.set("DOWNLOAD_SLOTS", slots, priority="spider")
        return spider

    def _add_sites(self, sites) -> None:
        for site in sites:
            if site.name in self.sites:
                raise SiteError(
                    f"site {site.name!r} given twice ({self.sites[site.name].source}, {site.source})"
                )
            self.sites[site.name] = site
        self.site_name = next(iter(self.sites)) if len(self.sites) == 1 else None

    @property
    def site_names(self) -> list[str]:
        """The names of the crawl's sites, in the order given (the manifest and summary list them)."""
        return list(self.sites)

    def site_of(self, message: Request | Response) -> Site:
        """The site a request or response belongs to: its ``meta[SITE]``; for a request made
        elsewhere (robots.txt by Scrapy's middleware), the crawl's one site, else the first whose
        hosts cover the URL."""
        name = message.meta.get(SITE)
        if name in self.sites:
            return self.sites[name]
        if len(self.sites) > 1:
            for site in self.sites.values():
                if _in_scope(site, message.url):
                    return site
        return next(iter(self.sites.values()))

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if not self.sites:
            raise RuntimeError("NewsSpider must be built with from_crawler")
        for site in self.sites.values():
            for url in site.start_urls:
                yield self._section_request(site, url, page=0, hops=0)
            if site.adhoc and not self.robots_from_middleware:
                for root in dict.fromkeys(
                    f"{p.scheme}://{p.netloc}" for p in map(urlsplit, site.start_urls)
                ):
                    yield scrapy.Request(
                        root + "/robots.txt",
                        self.parse_robots,
                        meta={
                            SITE: site.name,
                            REFETCH: True,
                            KIND: "robots",
                            "dont_obey_robotstxt": True,
                        },
                    )
            for url in site.feeds:
                yield self._feed_request(site, url)
            for url in site.sitemaps:
                yield self._sitemap_request(site, url, depth=0)

    # --- sections --------------------------------------------------------------------------------

    def _section_request(self, site: Site, url: str, *, page: int, hops: int) -> scrapy.Request:
        return scrapy.Request(
            url,
            self.parse_page if site.adhoc else self.parse_section,
            meta={SITE: site.name, REFETCH: True, KIND: "section", PAGE: page, HOPS: hops},
        )

    def parse_section(self, response: Response):
        if not isinstance(response, TextResponse) or response.status != 200:
            return
        if self._still_compressed(response):
            return
        self.crawler.stats.inc_value("news/sections")
        site = self.site_of(response)
        self._page_seen(site, response)
        links = self._links(response)
        for url in links:
            if site.is_article_url(url):
                yield self._article_request(site, url)
        page = response.meta.get(PAGE, 0)
        next_url = self._next_page(response, links)
        if next_url and page < site.pagination_depth:
            yield self._section_request(site, next_url, page=page + 1, hops=response.meta[HOPS])
        elif next_url:  # an endless pagination ends here
            self.crawler.stats.inc_value("news/limits/pagination")

    def _still_compressed(self, response: Response) -> bool:
        """A page whose body is gzip data (sent without a ``Content-Encoding``) expanding past
        ``MAX_GUNZIPPED``: a gzip bomb, archived as sent but neither parsed nor cleaned.
        Smaller gzip data (a page gzipped twice by its server) goes on to be cleaned."""
        if response.body[:2] != b"\x1f\x8b":
            return False
        try:
            gunzip(response.body, max_size=MAX_GUNZIPPED)
        except ValueError:  # past the limit (Scrapy's size error is a ValueError)
            pass
        except (OSError, EOFError, struct.error):
            return False  # broken gzip: the cleaning says not_html
        else:
            return False
        self.crawler.stats.inc_value("news/skipped/compressed_body")
        log.warning("page.still_compressed", url=response.url, bytes=len(response.body))
        return True

    def _page_seen(self, site: Site, response: TextResponse) -> None:
        # the cleaning pipeline learns the site's template from its non-article pages too
        self.crawler.signals.send_catch_log(
            signal=page_seen,
            site=site.name,
            url=response.url,
            html=response.body,
            content_type=response.headers.get("Content-Type", b"").decode("latin-1"),
        )

    # --- discovery -------------------------------------------------------------------------------

    def robots_fetched(self, response: Response) -> None:
        """The robots middleware fetched a host's robots.txt: an ad hoc site on that host takes
        its sitemaps from it (the same requests ``parse_robots`` makes of the spider's own)."""
        if self.crawler.engine is None or not self.robots_from_middleware:
            return
        site = self.site_of(response)
        if not site.adhoc or not _in_scope(site, response.url):
            return
        for request in self.parse_robots(response):
            self.crawler.engine.crawl(request)

    def parse_robots(self, response: Response):
        sitemaps = robots_sitemaps(response.body, response.url) if response.status == 200 else []
        self.crawler.stats.inc_value("news/discovery/robots_sitemaps", len(sitemaps))
        base = response.url.rsplit("/", 1)[0]
        site = self.site_of(response)
        for url in sitemaps or [base + path for path in SITEMAP_PATHS]:
            yield self._sitemap_request(site, url, depth=0)

    def parse_page(self, response: Response):
        """Any page of a discovery crawl: an article becomes an item, every page is mined."""
        if not isinstance(response, TextResponse) or response.status != 200:
            return
        if self._still_compressed(response):
            return
        stats = self.crawler.stats
        site = self.site_of(response)
        root = response.selector.root
        kind = page_kind(root)
        learned = self.shapes.kind(response.url)
        is_article = kind.is_article and learned != "list"
        self.shapes.confirm(response.url, article=is_article)
        stats.inc_value(f"news/discovery/{'article' if is_article else kind.kind}")
        if is_article:
            yield self._article_item(site, response)
        else:
            self._page_seen(site, response)
        yield from self._feeds(site, response, root)
        yield from self._follow(site, response, is_article)

    def _feeds(self, site: Site, response: TextResponse, root):
        feeds = feed_links(root, response.url)
        host = urlsplit(response.url).netloc
        if not feeds and response.meta.get(HOPS) == 0 and host not in self._probed_feeds:
            self._probed_feeds.add(host)  # the site announces none: try where feeds usually are
            base = f"{urlsplit(response.url).scheme}://{host}"
            feeds = [base + path for path in FEED_PATHS]
        for url in feeds:
            if _in_scope(site, url):
                yield self._feed_request(site, url)

    def _follow(self, site: Site, response: TextResponse, is_article: bool):
        hops = response.meta.get(HOPS, self.depth)
        page = response.meta.get(PAGE, 0)
        links = [url for url in self._links(response) if _in_scope(site, url)]
        pages: dict[str, None] = {}
        if not is_article:
            next_url = self._next_page(response, links)
            if next_url and _in_scope(site, next_url):
                pages[next_url] = None
            # every numbered page the listing links to (1 2 3 ... Next): pages, not link hops
            pages.update(dict.fromkeys(url for url in links if is_page_of(response.url, url)))
        for url in pages:
            number = page_number(url) or page + 2
            if number - 1 <= site.pagination_depth:
                yield self._section_request(site, url, page=number - 1, hops=hops)
            else:  # an endless pagination ends here
                self.crawler.stats.inc_value("news/limits/pagination")
        if hops >= self.depth:
            # an endless calendar (or any link maze) ends here
            self.crawler.stats.inc_value(
                "news/limits/depth", sum(1 for url in links if url not in pages)
            )
            return
        for url in links:
            if url not in pages:
                yield self._page_request(site, url, hops=hops + 1)

    def _page_request(
        self, site: Site, url: str, *, hops: int, hints: dict | None = None
    ) -> scrapy.Request:
        """A page that may be an article (skipped when archived before): the page will tell."""
        learned = self.shapes.kind(url)
        return scrapy.Request(
            url,
            self.parse_page,
            # article-shaped links first; an archived article is not fetched again (refetch)
            priority={"article": 10, "list": -5}.get(learned, 0),
            meta={
                SITE: site.name,
                ARTICLE: learned != "list",
                KIND: "page",
                HOPS: hops,
                PAGE: 0,
                HINTS: hints or {},
            },
        )

    def _links(self, response: TextResponse) -> list[str]:
        """The page's http(s) links in page order, each once, without fragments; not limited to
        ``allowed_domains`` (OffsiteMiddleware and the site's scope or patterns decide that), and
        without the page itself (``#top``, ``#main`` and the like)."""
        here = _without_fragment(response.url)
        return [link.url for link in _LINK_EXTRACTOR.extract_links(response) if link.url != here]

    def _next_page(self, response: TextResponse, links: list[str]) -> str | None:
        for href in response.xpath(
            "//link[contains(concat(' ', @rel, ' '), ' next ')]/@href"
            " | //a[contains(concat(' ', @rel, ' '), ' next ')]/@href"
        ).getall():
            return urljoin(response.url, href.strip())
        for url in links:
            if is_next_page(response.url, url):
                return url
        for anchor in response.xpath("//a[@href]"):
            text = " ".join(anchor.xpath(".//text()").getall())
            if NEXT_TEXT.match(text):
                return urljoin(response.url, anchor.attrib["href"])
        return None

    # --- feeds and sitemaps ----------------------------------------------------------------------

    def _feed_request(self, site: Site, url: str) -> scrapy.Request:
        return scrapy.Request(
            url, self.parse_feed, meta={SITE: site.name, REFETCH: True, KIND: "feed"}
        )

    def _sitemap_request(self, site: Site, url: str, *, depth: int) -> scrapy.Request:
        return scrapy.Request(
            url,
            self.parse_sitemap,
            meta={SITE: site.name, REFETCH: True, KIND: "sitemap", SITEMAP_DEPTH: depth},
        )

    def parse_feed(self, response: Response):
        if response.status != 200:
            return
        root = self._xml_root(response)
        if root is None:
            self.crawler.stats.inc_value("news/feeds_unparsable")
            return
        self.crawler.stats.inc_value("news/feeds")
        site = self.site_of(response)
        for entry in root.xpath("//*[local-name()='item' or local-name()='entry']"):
            link = _first(entry, "./*[local-name()='link']/@href") or _first(
                entry, "./*[local-name()='link']/text()"
            )
            if not link:
                continue
            url = urljoin(response.url, link.strip())
            hints = {
                "title": _first(entry, "./*[local-name()='title']/text()"),
                "published": _first(
                    entry,
                    "./*[local-name()='pubDate' or local-name()='published' or local-name()='updated']/text()",
                ),
                "source": "feed",
            }
            if site.adhoc:
                if _in_scope(site, url):
                    yield self._page_request(site, url, hops=self.depth, hints=hints)
            elif site.is_article_url(url):
                yield self._article_request(site, url, hints)

    def parse_sitemap(self, response: Response):
        if response.status != 200:
            return
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                body = gunzip(body, max_size=self.maxsize)
            except (OSError, EOFError, ValueError) as exc:
                # ValueError: past DOWNLOAD_MAXSIZE (a sitemap bomb); the others: broken gzip
                too_large = isinstance(exc, ValueError)
                self.crawler.stats.inc_value(
                    "news/sitemaps_too_large" if too_large else "news/sitemaps_unparsable"
                )
                log.warning(
                    "sitemap.too_large" if too_large else "sitemap.bad_gzip",
                    url=response.url,
                    compressed_bytes=len(response.body),
                    limit=self.maxsize,
                    setting="DOWNLOAD_MAXSIZE",
                )
                return
        root = self._xml_root(response, body)
        if root is None:
            self.crawler.stats.inc_value("news/sitemaps_unparsable")
            return
        self.crawler.stats.inc_value("news/sitemaps")
        site = self.site_of(response)
        tag = etree.QName(root).localname
        if tag == "sitemapindex":
            depth = response.meta.get(SITEMAP_DEPTH, 0)
            if depth >= _MAX_SITEMAP_DEPTH:  # an index of indexes of ... ends here
                self.crawler.stats.inc_value("news/limits/sitemap_depth")
                return
            for loc in root.xpath("//*[local-name()='sitemap']/*[local-name()='loc']/text()"):
                yield self._sitemap_request(
                    site, urljoin(response.url, loc.strip()), depth=depth + 1
                )
            return
        for entry in root.xpath("//*[local-name()='url']"):
            loc = _first(entry, "./*[local-name()='loc']/text()")
            if not loc:
                continue
            url = urljoin(response.url, loc.strip())
            news = entry.xpath("./*[local-name()='news']")
            # Scrapy's SitemapSpider drops the news:* fields; they are the publisher's own word on
            # title and publication time, so they travel with the request.
            hints = {
                "source": "sitemap",
                "lastmod": _first(entry, "./*[local-name()='lastmod']/text()"),
            }
            if news:
                hints["title"] = _first(news[0], "./*[local-name()='title']/text()")
                hints["published"] = _first(news[0], "./*[local-name()='publication_date']/text()")
                hints["news_sitemap"] = True
            hints = {k: v for k, v in hints.items() if v}
            if site.adhoc:
                if _in_scope(site, url):
                    yield self._page_request(site, url, hops=self.depth, hints=hints)
            elif site.is_article_url(url):
                yield self._article_request(site, url, hints)

    # --- articles --------------------------------------------------------------------------------

    def _xml_root(self, response: Response, body: bytes | None = None):
        root = _xml_root(response.body if body is None else body)
        if root is not None and _declares_entities(root):
            self.crawler.stats.inc_value("news/xml_entities_ignored")
            log.warning("xml.entities_ignored", url=response.url)
        return root

    def _article_request(self, site: Site, url: str, hints: dict | None = None) -> scrapy.Request:
        return scrapy.Request(
            url,
            self.parse_article,
            meta={SITE: site.name, ARTICLE: True, KIND: "article", HINTS: hints or {}},
        )

    def parse_article(self, response: Response):
        stats = self.crawler.stats
        if response.status != 200:
            return
        if not isinstance(response, TextResponse):
            stats.inc_value("news/skipped/not_text")
            return
        if self._still_compressed(response):
            return
        stats.inc_value("news/article_pages")
        yield self._article_item(self.site_of(response), response)

    def _article_item(self, site: Site, response: TextResponse) -> ArticleItem:
        redirects = response.meta.get("redirect_urls") or [response.url]
        return ArticleItem(
            url=redirects[0],
            final_url=response.url,
            status=response.status,
            # Bytes and header, not response.text: the clean pipeline decodes them as
            # `newsarchive extract` decodes a saved page (pipelines.decode).
            html=response.body,
            content_type=response.headers.get("Content-Type", b"").decode("latin-1"),
            site=site.name,
            crawl_id=crawl_id(self.crawler.settings),
            hints=response.meta.get(HINTS) or {},
            capture=response.meta.get(CAPTURE),
        )


def _in_scope(site: Site, url: str) -> bool:
    """On one of the site's hosts (or their subdomains), like Scrapy's allowed_domains."""
    host = (urlsplit(url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in site.allowed_domains)


def _from_cmdline(settings, name: str) -> bool:
    return (settings.getpriority(name) or 0) >= SETTINGS_PRIORITIES["cmdline"]


def _xml_root(body: bytes):
    """The root of an XML document, or None. Entities are never expanded nor fetched (no XXE,
    no billion laughs) and no DTD is loaded: a feed or sitemap is data, not instructions."""
    try:
        parser = etree.XMLParser(
            recover=True,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
        )
        root = etree.fromstring(body.strip(), parser=parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    return root


def _declares_entities(root) -> bool:
    dtd = root.getroottree().docinfo.internalDTD
    return dtd is not None and any(True for _ in dtd.iterentities())


def _first(node, xpath: str) -> str | None:
    found = node.xpath(xpath)
    if not found:
        return None
    value = found[0]
    return str(value).strip() or None
