"""The ``news`` spider: sections and their pagination, feeds and sitemaps, then article pages.

``scrapy crawl news -a site=NAME`` crawls the site file ``SITES_DIR/NAME.toml``;
``-a urls=URL,URL`` crawls those section URLs ad hoc (same-domain discovery one level deep, and
articles recognised by URL heuristics). Each article page yields one :class:`ArticleItem`; every
other page is only archived (by the capture middleware) and mined for links.

Requests for pages that change between crawls (sections, feeds, sitemaps) carry
``meta[REFETCH] = True``; article requests carry ``meta[ARTICLE] = True`` (:mod:`crawler.meta`): the dedupe
components use them to re-fetch conditionally and to skip articles archived before.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl, urljoin, urlsplit

import scrapy
from lxml import etree
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.utils.gz import gunzip

from crawler.crawl_id import crawl_id
from crawler.items import ArticleItem
from crawler.meta import ARTICLE, CAPTURE, HINTS, HOPS, KIND, PAGE, REFETCH, SITEMAP_DEPTH
from crawler.signals import page_seen
from crawler.sites import Site, adhoc_site, load_site

# Heuristics for ad-hoc crawls, where no site file says what an article URL looks like.
_DATE_IN_PATH = re.compile(r"/(19|20)\d\d[/-](0?[1-9]|1[0-2])([/-](0?[1-9]|[12]\d|3[01]))?(/|-|$)")
_ARTICLE_WORDS = re.compile(r"/(article|articles|story|stories|news|post|posts)/[^/]*\d")
_NOT_ARTICLE = re.compile(
    r"/(tag|tags|topic|topics|category|categories|author|authors|section|page|search|feed|rss|"
    r"login|subscribe|about|contact|privacy|terms)(/|$)",
    re.IGNORECASE,
)
_NEXT_TEXT = re.compile(
    r"^\s*(next|older|more|suivant|weiter|siguiente|›|»|→|>)\W*\s*$", re.IGNORECASE
)
_PAGE_IN_PATH = re.compile(r"/page/(\d+)/?$")
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

    def __init__(self, site: str | None = None, urls: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self._site_arg = site
        self._urls_arg = urls
        self.site: Site | None = None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        sites_dir = crawler.settings.get("SITES_DIR")
        if spider._site_arg:
            spider.site = load_site(spider._site_arg, sites_dir)
        elif spider._urls_arg:
            spider.site = adhoc_site([u for u in spider._urls_arg.split(",") if u])
        else:
            raise ValueError("the news spider needs -a site=NAME or -a urls=URL[,URL...]")
        site = spider.site
        spider.site_name = site.name
        spider.allowed_domains = list(site.allowed_domains)
        # Per-site politeness becomes per-domain download slots (settings are still open here).
        # A setting given on the command line (-s) still beats the site file.
        settings = crawler.settings
        slot = {}
        if site.download_delay is not None and not _from_cmdline(settings, "DOWNLOAD_DELAY"):
            slot["delay"] = site.download_delay
        if site.concurrent_requests_per_domain is not None and not _from_cmdline(
            settings, "CONCURRENT_REQUESTS_PER_DOMAIN"
        ):
            slot["concurrency"] = site.concurrent_requests_per_domain
        if slot:
            slots = dict(crawler.settings.getdict("DOWNLOAD_SLOTS"))
            for domain in site.allowed_domains:
                slots[domain] = {**slot, **slots.get(domain, {})}
            crawler.settings.set("DOWNLOAD_SLOTS", slots, priority="spider")
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        site = self.site
        if site is None:
            raise RuntimeError("NewsSpider must be built with from_crawler")
        for url in site.start_urls:
            yield self._section_request(url, page=0, hops=0)
        for url in site.feeds:
            yield scrapy.Request(url, self.parse_feed, meta={REFETCH: True, KIND: "feed"})
        for url in site.sitemaps:
            yield scrapy.Request(
                url,
                self.parse_sitemap,
                meta={REFETCH: True, KIND: "sitemap", SITEMAP_DEPTH: 0},
            )

    # --- sections --------------------------------------------------------------------------------

    def _section_request(self, url: str, *, page: int, hops: int) -> scrapy.Request:
        return scrapy.Request(
            url,
            self.parse_section,
            meta={REFETCH: True, KIND: "section", PAGE: page, HOPS: hops},
        )

    def parse_section(self, response: Response):
        if not isinstance(response, TextResponse) or response.status != 200:
            return
        self.crawler.stats.inc_value("news/sections")
        # the cleaning pipeline learns the site's template from its non-article pages too
        self.crawler.signals.send_catch_log(
            signal=page_seen,
            site=self.site_name,
            url=response.url,
            html=response.body,
            content_type=response.headers.get("Content-Type", b"").decode("latin-1"),
        )
        site = self.site
        links = self._links(response)
        for url in links:
            if self.is_article(url):
                yield self._article_request(url)
        page = response.meta.get(PAGE, 0)
        if page < site.pagination_depth:
            next_url = self._next_page(response, links)
            if next_url:
                yield self._section_request(next_url, page=page + 1, hops=response.meta[HOPS])
        if site.adhoc and response.meta.get(HOPS, 0) == 0 and page == 0:
            # An ad-hoc crawl also walks one level of same-site section-like links.
            for url in links:
                if not self.is_article(url) and _looks_like_section(url):
                    yield self._section_request(url, page=0, hops=1)

    def _links(self, response: TextResponse) -> list[str]:
        """The page's http(s) links in page order, each once, without fragments; not limited to
        ``allowed_domains`` (OffsiteMiddleware and :meth:`is_article` decide that), and without
        the page itself (``#top``, ``#main`` and the like)."""
        here = _without_fragment(response.url)
        return [link.url for link in _LINK_EXTRACTOR.extract_links(response) if link.url != here]

    def _next_page(self, response: TextResponse, links: list[str]) -> str | None:
        for href in response.xpath(
            "//link[contains(concat(' ', @rel, ' '), ' next ')]/@href"
            " | //a[contains(concat(' ', @rel, ' '), ' next ')]/@href"
        ).getall():
            return urljoin(response.url, href.strip())
        here = urlsplit(response.url)
        current = _page_number(response.url)
        for url in links:
            parts = urlsplit(url)
            if parts.netloc != here.netloc or _page_number(url) != current + 1:
                continue
            if parts.path.rstrip("/").startswith(_PAGE_IN_PATH.sub("", here.path).rstrip("/")):
                return url
        for anchor in response.xpath("//a[@href]"):
            text = " ".join(anchor.xpath(".//text()").getall())
            if _NEXT_TEXT.match(text):
                return urljoin(response.url, anchor.attrib["href"])
        return None

    # --- feeds and sitemaps ----------------------------------------------------------------------

    def parse_feed(self, response: Response):
        if response.status != 200:
            return
        root = _xml_root(response.body)
        if root is None:
            self.crawler.stats.inc_value("news/feeds_unparsable")
            return
        self.crawler.stats.inc_value("news/feeds")
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
            if self.site.adhoc or self.is_article(url):
                yield self._article_request(url, hints)

    def parse_sitemap(self, response: Response):
        if response.status != 200:
            return
        body = response.body
        if body[:2] == b"\x1f\x8b":
            body = gunzip(body)
        root = _xml_root(body)
        if root is None:
            self.crawler.stats.inc_value("news/sitemaps_unparsable")
            return
        self.crawler.stats.inc_value("news/sitemaps")
        tag = etree.QName(root).localname
        if tag == "sitemapindex":
            depth = response.meta.get(SITEMAP_DEPTH, 0)
            if depth >= _MAX_SITEMAP_DEPTH:
                return
            for loc in root.xpath("//*[local-name()='sitemap']/*[local-name()='loc']/text()"):
                yield scrapy.Request(
                    urljoin(response.url, loc.strip()),
                    self.parse_sitemap,
                    meta={REFETCH: True, KIND: "sitemap", SITEMAP_DEPTH: depth + 1},
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
            if self.is_article(url) or (news and self.site.adhoc):
                yield self._article_request(url, {k: v for k, v in hints.items() if v})

    # --- articles --------------------------------------------------------------------------------

    def is_article(self, url: str) -> bool:
        site = self.site
        if not site.adhoc:
            return site.is_article_url(url)
        parts = urlsplit(url)
        if parts.hostname not in site.allowed_domains or _NOT_ARTICLE.search(parts.path):
            return False
        path = parts.path
        slug = path.rstrip("/").rsplit("/", 1)[-1]
        slug = re.sub(r"\.(s?html?|php|aspx?)$", "", slug)
        return bool(
            _DATE_IN_PATH.search(path)
            or _ARTICLE_WORDS.search(path)
            or slug.count("-") >= 3
            or (re.search(r"\d{5,}", slug) and len(slug) > 8)
        )

    def _article_request(self, url: str, hints: dict | None = None) -> scrapy.Request:
        return scrapy.Request(
            url, self.parse_article, meta={ARTICLE: True, KIND: "article", HINTS: hints or {}}
        )

    def parse_article(self, response: Response):
        stats = self.crawler.stats
        if response.status != 200:
            return
        if not isinstance(response, TextResponse):
            stats.inc_value("news/skipped/not_text")
            return
        stats.inc_value("news/article_pages")
        redirects = response.meta.get("redirect_urls") or [response.url]
        yield ArticleItem(
            url=redirects[0],
            final_url=response.url,
            status=response.status,
            # Bytes and header, not response.text: the clean pipeline decodes them as
            # `newsarchive extract` decodes a saved page (pipelines.decode).
            html=response.body,
            content_type=response.headers.get("Content-Type", b"").decode("latin-1"),
            site=self.site_name,
            crawl_id=crawl_id(self.crawler.settings),
            hints=response.meta.get(HINTS) or {},
            capture=response.meta.get(CAPTURE),
        )


def _from_cmdline(settings, name: str) -> bool:
    return (settings.getpriority(name) or 0) >= SETTINGS_PRIORITIES["cmdline"]


def _looks_like_section(url: str) -> bool:
    path = urlsplit(url).path
    segments = [s for s in path.split("/") if s]
    return (
        1 <= len(segments) <= 2
        and not re.search(r"\.\w{2,5}$", path)
        and not _NOT_ARTICLE.search(path)
    )


def _page_number(url: str) -> int:
    parts = urlsplit(url)
    m = _PAGE_IN_PATH.search(parts.path)
    if m:
        return int(m.group(1))
    for key, value in parse_qsl(parts.query):
        if key.lower() in ("page", "p", "pg") and value.isdigit():
            return int(value)
    return 1


def _xml_root(body: bytes):
    try:
        parser = etree.XMLParser(
            recover=True, resolve_entities=False, no_network=True, huge_tree=False
        )
        root = etree.fromstring(body.strip(), parser=parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    return root


def _first(node, xpath: str) -> str | None:
    found = node.xpath(xpath)
    if not found:
        return None
    value = found[0]
    return str(value).strip() or None
