"""The demo site as data: every resource it serves, and the ground-truth manifest of a crawl.

``build_site(base_url, edition)`` renders every page once into :class:`Resource` objects (body
bytes, status, headers policy), so the server only looks them up and the tests can ask for exactly
the bytes the server sends (``expected_body``). Edition 2 adds the stories marked ``edition = 2``;
every page that does not list them is byte-identical in both editions.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import struct
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from crawler.demo_site import feeds, pages
from crawler.demo_site.stories import (
    Story,
    data_file,
    fixture_html,
    load_stories,
    tag_slug,
)

DEFAULT_BASE_URL = "http://127.0.0.1:8765/"
ARTICLE_PATTERNS = (
    r"^https?://[^/]+/[a-z]+/\d{4}/\d{2}/\d{2}/[a-z0-9-]+/$",  # layout A: /world/2025/04/16/slug/
    r"^https?://[^/]+/[a-z]+/\d{4}-\d{2}-\d{2}/[a-z0-9-]+\.html$",  # layout B: /news/2025-04-16/slug.html
)
SECTIONS_A = ("world", "business")
SECTIONS_B = ("news", "reviews", "tech")
PAGE_SIZE_A = 5
PAGE_SIZE_B = 3
FEED_SIZE = 20
NEWS_SITEMAP_SIZE = 10
SITE_EPOCH = datetime(2025, 4, 1, tzinfo=UTC)  # Last-Modified of pages with no stories

PRIVATE_PATH = "/private/2025/04/16/marenne-budget-draft-leaked/"
PRIVATE_TITLE = "Leaked draft shows scale of Marenne’s planned budget cuts"
GONE_PATH = "/business/2025/04/09/lindqvist-shipping-issues-profit-warning/"
GONE_TITLE = "Lindqvist Shipping issues profit warning"
HOME_ALIAS_QUERY = "?utm_source=homepage&utm_medium=promo"

_HTML = "text/html; charset=utf-8"
_XML = "application/xml; charset=utf-8"


@dataclass(frozen=True)
class Resource:
    """One response the site gives: body as sent without content coding, and how it is sent."""

    path: str  # the lookup key: a path, or "path?page=N" for layout-B pagination
    kind: str
    body: bytes
    status: int = 200
    content_type: str = _HTML
    last_modified: datetime | None = None
    gzip: bool = True  # Content-Encoding: gzip when the client accepts it
    chunked: bool = False  # Transfer-Encoding: chunked (HTTP/1.1 clients)
    location: str = ""  # redirect target path
    quirks: tuple[str, ...] = ()
    gzipped: bytes = field(init=False, repr=False, compare=False)
    tag: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # mtime=0: the same body always compresses to the same bytes.
        packed = gzip.compress(self.body, compresslevel=6, mtime=0) if self.gzip else b""
        object.__setattr__(self, "gzipped", packed)
        object.__setattr__(self, "tag", hashlib.sha256(self.body).hexdigest()[:20])


@dataclass
class SiteBuild:
    """Every resource of one edition of the site at one base URL, plus its manifest."""

    base_url: str
    edition: int
    resources: dict[str, Resource]
    manifest: dict
    not_found: Resource
    server: str = "HarbourCourier/1.0"  # the Server header

    def lookup(self, target: str) -> Resource:
        """The resource for a request target (path and query, or an absolute URL).

        Unknown query parameters are ignored, as on most news sites: only ``page`` selects a
        layout-B listing page.
        """
        parts = urlsplit(target)
        path = parts.path or "/"
        page = parse_qs(parts.query).get("page")
        if page and (hit := self.resources.get(f"{path}?page={page[0]}")):
            return hit
        return self.resources.get(path, self.not_found)


def normalize_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}/"


def build_site(base_url: str = DEFAULT_BASE_URL, edition: int = 1) -> SiteBuild:
    if edition not in (1, 2):
        raise ValueError(f"edition must be 1 or 2, not {edition!r}")
    return _Builder(normalize_base_url(base_url), edition).build()


class _Builder:
    def __init__(self, base_url: str, edition: int) -> None:
        self.base = base_url
        self.edition = edition
        self.stories = load_stories(edition)
        self.listed = [s for s in self.stories if s.listed]
        self.headlines = [
            h for h in data_file("sidebar-headlines.txt").decode("utf-8").splitlines() if h.strip()
        ]
        self.res: dict[str, Resource] = {}
        self.entries: dict[str, dict] = {}
        self.feed_stories = [s for s in self.stories if s.in_feeds][:FEED_SIZE]
        self.sitemap_stories = [s for s in self.stories if s.in_sitemaps]
        self.news_stories = self.sitemap_stories[:NEWS_SITEMAP_SIZE]
        self.sidebar_paths: set[str] = set()
        self.aliases: dict[str, str] = {}

    def abs(self, path: str) -> str:
        return self.base.rstrip("/") + path

    def add(self, res: Resource, **extra: object) -> None:
        self.res[res.path] = res
        entry = {
            "kind": res.kind,
            "status": res.status,
            "content_type": res.content_type,
            "gzip": res.gzip,
            "chunked": res.chunked,
            "quirks": list(res.quirks),
        }
        if res.location:
            entry["location"] = self.abs(res.location)
        entry.update(extra)
        self.entries[self.abs(res.path)] = entry

    def build(self) -> SiteBuild:
        for story in self.stories:
            self.article(story)
        self.sections()
        self.home()
        self.tags()
        self.machine_pages()
        self.other_pages()
        not_found = Resource(
            "", "404", _encode(pages.courier_notice(
                "Page not found",
                "Sorry, we could not find that page. It may have been moved or removed.",
                "",
            )), status=404, gzip=False,
        )  # fmt: skip
        for path in self.sidebar_paths:
            self.entries.setdefault(self.abs(path), _not_found_entry("sidebar link"))
        self.entries[self.abs(GONE_PATH)] = _not_found_entry(
            "removed story, linked from /business/"
        )
        return SiteBuild(self.base, self.edition, self.res, self.manifest(), not_found)

    # ------------------------------------------------------------------ articles

    def related(self, story: Story) -> list[Story]:
        # Edition-1 stories only, so that a page never changes when edition 2 adds stories.
        pool = [
            s
            for s in self.listed
            if s.section == story.section and s.edition == 1 and s.slug != story.slug
        ]
        pool.sort(
            key=lambda s: (abs((s.utc_published - story.utc_published).total_seconds()), s.slug)
        )
        return pool[:4]

    def article(self, story: Story) -> None:
        quirks: list[str] = []
        content_type, encoding, use_gzip = _HTML, "utf-8", True
        if story.fixture:
            body = fixture_html()
            quirks.append("fixture: tests/fixtures/content-farm-article.html served verbatim")
        elif story.template == "B":
            sidebar = pages.farm_sidebar(story.path, self.headlines)
            body = _encode(pages.farm_article(story, sidebar, pages.farm_digg(story.path)))
        elif story.special == "legacy":
            content_type, encoding, use_gzip = "text/html", "windows-1252", False
            html = pages.courier_article(story, self.base, self.related(story), charset=encoding)
            body = html.encode("cp1252")
            quirks.append("legacy-charset: windows-1252 declared only in <meta charset>")
        elif story.special == "broken-charset":
            encoding = "windows-1252"
            html = pages.courier_article(story, self.base, self.related(story), charset="utf-8")
            body = html.encode("cp1252")
            quirks.append("charset-mismatch: header and <meta> say utf-8, bytes are windows-1252")
        else:
            html = pages.courier_article(story, self.base, self.related(story), charset="utf-8")
            body = _encode(html)
            if story.special == "malformed":
                quirks.append("malformed-html: unclosed <p>/<li>/<div>, stray </div>, no </html>")
        if story.template == "B":
            self.sidebar_paths.update(_sidebar_links(body))
        reachable = []
        if story.listed:
            reachable.append("section")
        if story in self.feed_stories:
            reachable += ["rss", "atom"]
        if story.in_sitemaps:
            reachable.append("sitemap")
        if story in self.news_stories:
            reachable.append("news-sitemap")
        if story.special in ("feed-only", "sitemap-only"):
            quirks.append(f"{story.special}: not linked from any page")
        self.add(
            Resource(
                story.path,
                "article",
                body,
                content_type=content_type,
                last_modified=story.utc_modified,
                gzip=use_gzip,
                quirks=tuple(quirks),
            ),
            **self.article_fields(story, encoding, reachable),
        )
        if story.old_slug:
            note = f'<html><body><p>Moved to <a href="{story.path}">{story.path}</a></p></body></html>\n'
            self.add(
                Resource(story.old_path, "redirect", note.encode(), status=301, gzip=False,
                         location=story.path, quirks=("301 to the renamed story",))
            )  # fmt: skip

    def article_fields(self, story: Story, encoding: str, reachable: list[str]) -> dict:
        url = self.abs(story.path)
        courier = story.template == "A"
        return {
            "url": url,
            "title": story.headline,
            "published": story.published.isoformat(),
            "modified": story.modified.isoformat() if story.modified else None,
            "authors": [story.author] if story.author else [],
            "section": pages.SECTION_TITLES[story.section],
            "tags": list(story.tags),
            "description": story.dek or None,
            "image": f"{self.base}static/img/{story.slug}.png" if courier else None,
            "site_name": pages.SITE_NAME if courier else pages.FARM_NAME,
            "language": "en",
            "template": story.template,
            "special": story.special,
            "edition": story.edition,
            "encoding": encoding,
            "body_paragraphs": list(story.paragraphs),
            "reachable_from": reachable,
        }

    # ------------------------------------------------------------------ listings

    def sections(self) -> None:
        for section in SECTIONS_A + SECTIONS_B:
            stories = [s for s in self.listed if s.section == section]
            size = PAGE_SIZE_A if section in SECTIONS_A else PAGE_SIZE_B
            chunks = [stories[i : i + size] for i in range(0, len(stories), size)] or [[]]
            for n, chunk in enumerate(chunks, start=1):
                if section in SECTIONS_A:
                    path = f"/{section}/" if n == 1 else f"/{section}/page/{n}/"
                    html = self.section_a(section, n, len(chunks), chunk)
                else:
                    path = f"/{section}/" if n == 1 else f"/{section}/?page={n}"
                    html = pages.farm_listing(section, path, chunk, len(chunks), n, self.headlines)
                body = _encode(html)
                if section in SECTIONS_B:
                    self.sidebar_paths.update(_sidebar_links(body))
                self.add(
                    Resource(path, "section", body, last_modified=_newest(chunk), chunked=True),
                    section=section,
                    page=n,
                )

    def section_a(self, section: str, n: int, pages_total: int, chunk: list[Story]) -> str:
        def page_href(k: int) -> str:
            return f"/{section}/" if k == 1 else f"/{section}/page/{k}/"

        # Sections link a renamed story by its old URL, which answers 301.
        teasers = [(s.old_path or s.path, s) for s in chunk]
        extra = ""
        if n == 1 and section == "world":
            extra = (
                '<aside class="subscriber-box"><h2>For subscribers</h2><ul>'
                f'<li><a href="{PRIVATE_PATH}">{pages.esc(PRIVATE_TITLE)}</a></li></ul></aside>\n'
            )
        if n == 1 and section == "business":
            extra = (
                '<aside class="archive-box"><h2>From the archive</h2><ul>'
                f'<li><a href="{GONE_PATH}">{pages.esc(GONE_TITLE)}</a></li></ul></aside>\n'
            )
        return pages.courier_listing(
            pages.SECTION_TITLES[section],
            self.abs(page_href(n)),
            teasers,
            extra=extra,
            prev_href=page_href(n - 1) if n > 1 else "",
            next_href=page_href(n + 1) if n < pages_total else "",
            page_label=f"Page {n} of {pages_total}",
        )

    def home(self) -> None:
        top = [s for s in self.listed if s.template == "A"][:6]
        top += [s for s in self.listed if s.template == "B"][:3]
        lead = top[0]
        # The promo box links the lead story with tracking parameters: the same page by another URL.
        alias = lead.path + HOME_ALIAS_QUERY
        extra = (
            '<aside class="promo"><h2>Editor’s pick</h2>'
            f'<a href="{pages.esc(alias)}">{pages.esc(lead.headline)}</a></aside>\n'
        )
        teasers = [(s.old_path or s.path, s) for s in top]
        html = pages.courier_listing("Top stories", self.base, teasers, extra=extra)
        self.add(Resource("/", "home", _encode(html), last_modified=_newest(top)))
        self.aliases = {self.abs(alias): self.abs(lead.path)}

    def tags(self) -> None:
        names = sorted({t for s in self.stories for t in s.tags})
        for name in names:
            tagged = [s for s in self.listed if name in s.tags]
            path = f"/tag/{tag_slug(name)}/"
            teasers = [(s.old_path or s.path, s) for s in tagged]
            html = pages.courier_listing(f"Tag: {name}", self.abs(path), teasers)
            # Served without gzip: the identity, Content-Length path for HTML.
            self.add(
                Resource(path, "tag", _encode(html), last_modified=_newest(tagged), gzip=False),
                tag=name,
            )

    # ------------------------------------------------------------------ feeds, sitemaps, misc

    def machine_pages(self) -> None:
        feed_updated = _newest(self.feed_stories)
        self.add(
            Resource("/feed.xml", "feed", _encode(feeds.rss(self.base, self.feed_stories, feed_updated)),
                     content_type="application/rss+xml; charset=utf-8",
                     last_modified=feed_updated, chunked=True),
            format="rss",
        )  # fmt: skip
        self.add(
            Resource("/atom.xml", "feed", _encode(feeds.atom(self.base, self.feed_stories, feed_updated)),
                     content_type="application/atom+xml; charset=utf-8",
                     last_modified=feed_updated, chunked=True),
            format="atom",
        )  # fmt: skip
        all_lm = _newest(self.sitemap_stories)
        news_lm = _newest(self.news_stories)
        index = feeds.sitemap_index(
            self.base, [("/sitemap-articles.xml", all_lm), ("/news-sitemap.xml", news_lm)]
        )
        self.add(
            Resource("/sitemap.xml", "sitemap", _encode(index), content_type=_XML,
                     last_modified=max(all_lm, news_lm)),
            format="sitemapindex",
        )  # fmt: skip
        self.add(
            Resource("/sitemap-articles.xml", "sitemap",
                     _encode(feeds.sitemap(self.base, self.sitemap_stories)),
                     content_type=_XML, last_modified=all_lm),
            format="urlset",
        )  # fmt: skip
        self.add(
            Resource("/news-sitemap.xml", "sitemap",
                     _encode(feeds.news_sitemap(self.base, self.news_stories)),
                     content_type=_XML, last_modified=news_lm),
            format="news",
        )  # fmt: skip
        self.add(
            Resource("/robots.txt", "robots", _encode(feeds.robots(self.base)),
                     content_type="text/plain; charset=utf-8", last_modified=SITE_EPOCH, gzip=False)
        )  # fmt: skip

    def other_pages(self) -> None:
        notices = [
            ("/about/", "page", "About us", ("The Harbour Courier has reported on Port Ellery "
             "and the wider world since 1871. This is an offline demonstration site.")),
            ("/contact/", "page", "Contact", "Write to the newsdesk at 14 Quay Street, Port Ellery."),
            ("/private/", "private", "Subscribers only", "Sign in to read subscriber stories."),
            (PRIVATE_PATH, "private", PRIVATE_TITLE, ("This story is for subscribers only. "
             "Crawlers that obey robots.txt never see this page.")),
        ]  # fmt: skip
        for path, kind, title, text in notices:
            html = pages.courier_notice(title, text, self.abs(path))
            self.add(Resource(path, kind, _encode(html), last_modified=SITE_EPOCH))
        assets = [
            ("/static/courier.css", "text/css; charset=utf-8", _COURIER_CSS),
            ("/static/css/style.css", "text/css; charset=utf-8", _FARM_CSS),
            ("/static/js/stat.js", "application/javascript; charset=utf-8", _STAT_JS),
        ]
        for path, ctype, text in assets:
            self.add(Resource(path, "asset", text.encode(), content_type=ctype,
                              last_modified=SITE_EPOCH))  # fmt: skip
        self.add(Resource("/static/logo.png", "asset", _png("logo"), content_type="image/png",
                          last_modified=SITE_EPOCH, gzip=False))  # fmt: skip
        for s in self.stories:
            if s.template == "A":
                path = f"/static/img/{s.slug}.png"
                self.add(Resource(path, "asset", _png(s.slug), content_type="image/png",
                                  last_modified=s.utc_published, gzip=False))  # fmt: skip

    def manifest(self) -> dict:
        articles = [e for e in self.entries.values() if e["kind"] == "article"]
        articles.sort(key=lambda e: e["url"])
        return {
            "base_url": self.base,
            "edition": self.edition,
            "site_name": pages.SITE_NAME,
            "start_urls": [self.abs(f"/{s}/") for s in SECTIONS_A + SECTIONS_B],
            "feeds": [self.abs("/feed.xml"), self.abs("/atom.xml")],
            "sitemaps": [self.abs("/sitemap.xml")],
            "robots": self.abs("/robots.txt"),
            "article_patterns": list(ARTICLE_PATTERNS),
            "urls": self.entries,
            "articles": articles,
            "redirects": {
                u: e["location"] for u, e in self.entries.items() if e["kind"] == "redirect"
            },
            "not_found": sorted(u for u, e in self.entries.items() if e["kind"] == "404"),
            "disallowed": sorted(u for u, e in self.entries.items() if e["kind"] == "private"),
            "aliases": dict(self.aliases),
        }


def _not_found_entry(note: str) -> dict:
    return {"kind": "404", "status": 404, "content_type": _HTML, "gzip": False, "chunked": False,
            "quirks": [], "note": note}  # fmt: skip


def _sidebar_links(body: bytes) -> set[str]:
    """The numbered sidebar links of a layout-B page (none of them exists on the site)."""
    return {m.decode() for m in re.findall(rb'href="(/(?:news|reviews)/\d+\.html)"', body)}


def _encode(html: str) -> bytes:
    return html.encode("utf-8")


def _newest(stories: list[Story]) -> datetime:
    return max((s.utc_modified for s in stories), default=SITE_EPOCH)


def _png(seed: str) -> bytes:
    """A 16x9 single-colour PNG, its colour taken from the seed: a stand-in lead image."""
    r, g, b = hashlib.sha256(seed.encode()).digest()[:3]
    row = b"\x00" + bytes((r, g, b)) * 16
    raw = row * 9

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", 16, 9, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


_COURIER_CSS = """body{font-family:Georgia,serif;margin:0 auto;max-width:46rem;color:#1a1a1a}
.masthead .logo{font-size:2rem;font-weight:bold;text-decoration:none;color:#0b3954}
nav ul,.tags,.river{list-style:none;padding:0}nav li{display:inline;margin-right:1em}
.standfirst{font-size:1.2rem;color:#444}.byline,.dateline,.share-bar{font-size:.9rem;color:#555}
.newsletter{border:1px solid #ccc;padding:1em;margin:1.5em 0;background:#f6f6f0}
.site-footer{border-top:1px solid #ccc;margin-top:2em;font-size:.8rem}
"""
_FARM_CSS = """body{font:14px/1.6 Arial,sans-serif}.top{background:#c00;color:#fff}
.main{overflow:hidden}.left{float:left;width:68%}.right{float:right;width:30%}
.footer{clear:both;text-align:center;color:#999}
"""
_STAT_JS = """function digg(n){var e=document.getElementById('diggnum');if(e){e.innerHTML=n+1;}}
"""
