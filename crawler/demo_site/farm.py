"""The "farm" demo template: NewsPoint 24, a content farm of numeric ids and no bylines.

Articles live at ``/<section>/YYYYMMDD/<id>.html`` with a sequential numeric id, and carry a
``Date: 2024-04-17 09:10`` line under the title (no zone, no seconds) and no author anywhere:
no byline, no meta, no JSON-LD, no Open Graph. Sections ``/<section>/`` page through
``list_2.html``, ``list_3.html``; tag pages ``/tag/<x>/``, the "hot" list ``/hot/`` (it has a
``Date:`` line too) and the weekly ``/ranking/`` are lists, not articles. Every page links the RSS
feed ``/rss.xml`` (the 20 newest articles) with ``<link rel="alternate"
type="application/rss+xml">``; ``robots.txt`` names ``/sitemap_index.xml``, an index of a
gzip-compressed sitemap of every article (``/sitemaps/articles.xml.gz``, served as
``application/x-gzip``) and a plain one of the list pages (``/sitemaps/pages.xml``).

Five articles (``UNLISTED``) are linked from no page: only the feed and the sitemap lead to
them, so a crawl that ignores either misses some. The ground truth (``template_manifest``) gives
each article's title, naive ``published`` (minutes), no authors, and body paragraphs. Texts are
the demo corpus (``stories.load_corpus``) moved back 52 weeks, to April 2024, unsigned and with
plain quotes as farms strip them.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from crawler.demo_site import feeds
from crawler.demo_site.site import Resource, SiteBuild
from crawler.demo_site.stories import SEED, Story, load_corpus, tag_slug

SITE_NAME = "NewsPoint 24"
SERVER = "nginx"
SHIFT = -timedelta(weeks=52)  # April 2025 to April 2024, same weekdays
PAGE_SIZE = 4
FEED_SIZE = 20
HOT_SIZE = 8
FIRST_ID = 58207
SECTIONS = {
    "world": ("international", "International"),
    "business": ("finance", "Finance"),
    "news": ("society", "Society"),
    "reviews": ("entertainment", "Entertainment"),
    "tech": ("tech", "Tech"),
}
# Linked from no page: found only through /rss.xml (the newer ones) and the sitemap (all).
UNLISTED = frozenset(
    {
        "veskar-president-pardons-jailed-journalists",
        "port-ellery-rents-rise-fastest-in-a-decade",
        "data-breach-at-ticketing-firm-exposes-customers",
        "envoy-urges-restraint-as-kestria-border-tensions-rise",
        "lighthouse-keepers-cottages-to-become-artists-studios",
    }
)
_HTML = "text/html; charset=utf-8"
_XML = "application/xml; charset=utf-8"
_EPOCH = datetime(2024, 1, 2, tzinfo=UTC)


@dataclass(frozen=True)
class FarmStory:
    story: Story
    id: int
    section: str  # the farm's section path ("finance" for the corpus's "business")
    views: int

    @property
    def path(self) -> str:
        return f"/{self.section}/{self.published:%Y%m%d}/{self.id}.html"

    @property
    def published(self) -> datetime:
        return self.story.published.replace(second=0)

    @property
    def listed(self) -> bool:
        return self.story.slug not in UNLISTED

    @property
    def summary(self) -> str:
        lede = self.story.paragraphs[0]
        return lede if len(lede) <= 150 else lede[:147].rsplit(" ", 1)[0] + "..."


def load_farm_stories(edition: int = 1) -> list[FarmStory]:
    """The farm's stories of an edition, newest first; ids are the same in every edition."""
    corpus = load_corpus(2, outlet="local media", reporters=("staff",), signed=False, shift=SHIFT)
    corpus.sort(key=lambda s: (s.published, s.slug))
    out, next_id = [], FIRST_ID
    for s in corpus:
        rng = random.Random(f"{SEED}:farm:{s.slug}")
        out.append(FarmStory(s, next_id, SECTIONS[s.section][0], rng.randint(300, 48000)))
        # Other sites' posts share the id sequence: the farm's own ids have gaps.
        next_id += 1 + int(hashlib.sha256(s.slug.encode()).hexdigest(), 16) % 9
    out = [fs for fs in out if fs.story.edition <= edition]
    out.sort(key=lambda fs: (fs.published, fs.story.slug), reverse=True)
    return out


def build_farm(base_url: str, edition: int = 1) -> SiteBuild:
    """Every page of NewsPoint 24 at ``base_url`` (``http://host:port/``)."""
    return _Builder(base_url, edition).build()


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def attr(text: str) -> str:
    return html.escape(text, quote=True)


def farm_date(d: datetime) -> str:
    return f"{d:%Y-%m-%d %H:%M}"


def _section_title(path: str) -> str:
    return next(title for p, title in SECTIONS.values() if p == path)


def _list_path(section: str, n: int) -> str:
    return f"/{section}/" if n == 1 else f"/{section}/list_{n}.html"


class _Pages:
    """The farm's HTML: one chrome (nav, hot list, tag cloud, feed link) around each main part."""

    def __init__(self, base: str, hot: list[FarmStory], cloud: list[str]) -> None:
        self.base = base
        self.hot = hot
        self.cloud = cloud

    def abs(self, path: str) -> str:
        return self.base.rstrip("/") + path

    def chrome(self, title: str, main: str, *, keywords: str = "", description: str = "") -> str:
        nav = "".join(f'<li><a href="/{p}/">{esc(t)}</a></li>' for p, t in SECTIONS.values())
        hot = "".join(
            f'\n      <li><span class="n">{i}</span><a href="{fs.path}">{esc(fs.story.headline)}</a></li>'
            for i, fs in enumerate(self.hot, start=1)
        )
        cloud = " ".join(f'<a href="/tag/{tag_slug(t)}/">{esc(t)}</a>' for t in self.cloud)
        meta = f'<meta name="keywords" content="{attr(keywords)}">\n' if keywords else ""
        meta += f'<meta name="description" content="{attr(description)}">\n' if description else ""
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
{meta}<link rel="alternate" type="application/rss+xml" title="{SITE_NAME}" href="/rss.xml">
<link rel="stylesheet" href="/static/np24.css">
</head>
<body>
<div class="header">
  <a class="logo" href="/">{SITE_NAME}</a>
  <form class="search" action="/search/" method="get"><input type="text" name="q" placeholder="Search"><button type="submit">Search</button></form>
</div>
<ul class="nav"><li><a href="/">Home</a></li>{nav}<li><a href="/hot/">Hot</a></li><li><a href="/ranking/">Ranking</a></li></ul>
<div class="wrap">
  <div class="main">
{main}
  </div>
  <div class="side">
    <div class="box hot"><h3>Hot</h3>
    <ol>{hot}
    </ol><a class="more" href="/hot/">More</a></div>
    <div class="box cloud"><h3>Tags</h3>
    <p>{cloud}</p></div>
    <div class="box ad"><span class="ad-label">AD</span> <a href="https://ads.example.net/click?slot=side">Low-rate loans in your area: compare now</a></div>
  </div>
</div>
<div class="footer">
  <p><a href="/about.html">About us</a> | <a href="/rss.xml">RSS</a> | <a href="/ranking/">Ranking</a></p>
  <p>Copyright &copy; 2024 {SITE_NAME}. All rights reserved.</p>
</div>
<script src="/static/np24.js"></script>
</body>
</html>
"""

    @staticmethod
    def crumb(section: str, last: str = "") -> str:
        tail = f" &gt; {esc(last)}" if last else ""
        return (
            f'    <div class="crumb"><a href="/">Home</a> &gt; '
            f'<a href="/{section}/">{esc(_section_title(section))}</a>{tail}</div>\n'
        )

    def article(
        self, fs: FarmStory, prev: FarmStory | None, nxt: FarmStory | None, related: list[FarmStory]
    ) -> str:
        s = fs.story
        paras = "\n".join(f"      <p>{esc(p)}</p>" for p in s.paragraphs)
        tags = " ".join(f'<a href="/tag/{tag_slug(t)}/">{esc(t)}</a>' for t in s.tags)
        url = attr(self.abs(fs.path))
        pn = "".join(
            f'<p>{label}: <a href="{other.path}">{esc(other.story.headline)}</a></p>'
            if other
            else f"<p>{label}: none</p>"
            for label, other in (("Previous", prev), ("Next", nxt))
        )
        rel = "".join(
            f'\n      <li><a href="{self.abs(r.path)}">{esc(r.story.headline)}</a>'
            f'<span class="date">{r.published:%Y-%m-%d}</span></li>'
            for r in related
        )
        main = (
            self.crumb(fs.section, "Text")
            + f"""    <div class="article">
    <h1>{esc(s.headline)}</h1>
    <div class="info"><span class="date">Date: {farm_date(fs.published)}</span> <span class="hits">Views: <em id="hits">{fs.views:,}</em></span> <a href="javascript:;" class="fav">Favorite</a></div>
    <div class="text" id="text">
{paras}
    </div>
    <div class="statement">Statement: this article is reprinted from the Internet for the purpose of passing on more information; it does not represent the views of this site.</div>
    <div class="share">Share to: <a href="https://twitter.com/intent/tweet?url={url}">Twitter</a> <a href="https://www.facebook.com/sharer.php?u={url}">Facebook</a></div>
    <div class="tags">Tags: {tags}</div>
    <div class="pn">{pn}</div>
    </div>
    <div class="related"><h3>Related articles</h3>
    <ul>{rel}
    </ul></div>"""
        )
        return self.chrome(
            f"{s.headline}_{SITE_NAME}", main, keywords=",".join(s.tags), description=fs.summary
        )

    def items(self, stories: list[FarmStory]) -> str:
        return "".join(
            f'\n      <li><h3><a href="{self.abs(fs.path)}">{esc(fs.story.headline)}</a></h3>'
            f"<p>{esc(fs.summary)}</p>"
            f'<span class="date">Date: {farm_date(fs.published)}</span></li>'
            for fs in stories
        )

    def listing(self, section: str, n: int, pages: int, chunk: list[FarmStory]) -> str:
        links = [f'<a href="{_list_path(section, 1)}">First</a>']
        if n > 1:
            links.append(f'<a href="{_list_path(section, n - 1)}">Prev</a>')
        for k in range(1, pages + 1):
            links.append(
                f'<span class="cur">{k}</span>'
                if k == n
                else f'<a href="{_list_path(section, k)}">{k}</a>'
            )
        if n < pages:
            links.append(f'<a href="list_{n + 1}.html">Next</a>')
        links.append(f'<a href="{_list_path(section, pages)}">Last</a>')
        title = _section_title(section)
        main = (
            self.crumb(section)
            + f"""    <h2 class="list-title">{esc(title)}</h2>
    <ul class="list">{self.items(chunk)}
    </ul>
    <div class="pages">{" ".join(links)} <span>{pages} pages in total</span></div>"""
        )
        suffix = f"_page {n}" if n > 1 else ""
        return self.chrome(f"{title}{suffix}_{SITE_NAME}", main, keywords=title)

    def tag(self, name: str, tagged: list[FarmStory]) -> str:
        empty = "" if tagged else "\n      <li>No articles yet.</li>"
        main = f"""    <div class="crumb"><a href="/">Home</a> &gt; Tag</div>
    <h2 class="list-title">Tag: {esc(name)}</h2>
    <ul class="list">{self.items(tagged)}{empty}
    </ul>"""
        return self.chrome(f"{name}_{SITE_NAME}", main, keywords=name)

    def hot_page(self, stories: list[FarmStory], updated: datetime) -> str:
        rows = "".join(
            f'\n      <li><span class="n">{i}</span><h3><a href="{fs.path}">{esc(fs.story.headline)}</a></h3>'
            f'<p>{esc(fs.summary)}</p><span class="hits">{fs.views:,} views</span></li>'
            for i, fs in enumerate(stories, start=1)
        )
        main = f"""    <div class="crumb"><a href="/">Home</a> &gt; Hot</div>
    <h1>Hot news today</h1>
    <div class="info"><span class="date">Date: {farm_date(updated)}</span></div>
    <ol class="hotlist">{rows}
    </ol>"""
        return self.chrome(f"Hot news_{SITE_NAME}", main, description="The most read news today")

    def ranking(self, week: list[FarmStory], by_section: dict[str, list[FarmStory]]) -> str:
        def table(stories: list[FarmStory]) -> str:
            return "".join(
                f'\n      <tr><td>{i}</td><td><a href="{self.abs(fs.path)}">{esc(fs.story.headline)}</a></td>'
                f"<td>{esc(_section_title(fs.section))}</td><td>{fs.views:,}</td></tr>"
                for i, fs in enumerate(stories, start=1)
            )

        blocks = [
            f"""    <h2>This week</h2>
    <table class="rank"><tr><th>No.</th><th>Title</th><th>Section</th><th>Views</th></tr>{table(week)}
    </table>"""
        ]
        for section, stories in by_section.items():
            blocks.append(f"""    <h2>{esc(_section_title(section))}</h2>
    <table class="rank"><tr><th>No.</th><th>Title</th><th>Section</th><th>Views</th></tr>{table(stories)}
    </table>""")
        main = '    <div class="crumb"><a href="/">Home</a> &gt; Ranking</div>\n' + "\n".join(
            blocks
        )
        return self.chrome(f"Ranking_{SITE_NAME}", main)

    def home(self, top: list[FarmStory], by_section: dict[str, list[FarmStory]]) -> str:
        lead, rest = top[0], top[1:]
        blocks = "".join(
            f'\n    <div class="block"><h2><a href="/{section}/">{esc(_section_title(section))}</a></h2><ul>'
            + "".join(
                f'<li><a href="{fs.path}">{esc(fs.story.headline)}</a> '
                f'<span class="date">{fs.published:%m-%d}</span></li>'
                for fs in stories
            )
            + "</ul></div>"
            for section, stories in by_section.items()
        )
        main = f"""    <div class="focus"><h2><a href="{lead.path}">{esc(lead.story.headline)}</a></h2><p>{esc(lead.summary)}</p></div>
    <ul class="list">{self.items(rest)}
    </ul>{blocks}"""
        return self.chrome(
            f"{SITE_NAME} - News around the clock",
            main,
            keywords="news,finance,international,society,entertainment,tech",
            description=f"{SITE_NAME}: news around the clock",
        )

    def notice(self, title: str, text: str) -> str:
        main = f'    <h1>{esc(title)}</h1>\n    <div class="text"><p>{esc(text)}</p></div>'
        return self.chrome(f"{title}_{SITE_NAME}", main)


class _Builder:
    def __init__(self, base_url: str, edition: int) -> None:
        self.base = base_url
        self.edition = edition
        self.stories = load_farm_stories(edition)
        self.listed = [fs for fs in self.stories if fs.listed]
        hot = sorted(self.listed, key=lambda fs: (-fs.views, fs.id))
        tag_counts = Counter(t for fs in self.stories for t in fs.story.tags)
        cloud = sorted(t for t, _ in sorted(tag_counts.items(), key=lambda x: (-x[1], x[0]))[:12])
        self.pages = _Pages(base_url, hot[:HOT_SIZE], cloud)
        self.res: dict[str, Resource] = {}
        self.entries: dict[str, dict] = {}
        self.articles: dict[str, dict] = {}
        self.feed = self.stories[:FEED_SIZE]
        self.updated = max(_utc(fs.published) for fs in self.stories)

    def abs(self, path: str) -> str:
        return self.base.rstrip("/") + path

    def add(
        self,
        path: str,
        kind: str,
        body: str | bytes,
        last_modified: datetime,
        *,
        content_type: str = _HTML,
        gzip_: bool = True,
        chunked: bool = False,
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.res[path] = Resource(
            path,
            kind,
            data,
            content_type=content_type,
            last_modified=last_modified,
            gzip=gzip_,
            chunked=chunked,
        )
        self.entries[self.abs(path)] = {"kind": kind, "status": 200, "content_type": content_type}

    def build(self) -> SiteBuild:
        by_section: dict[str, list[FarmStory]] = defaultdict(list)
        for fs in self.listed:
            by_section[fs.section].append(fs)
        by_section = {p: by_section[p] for p, _ in SECTIONS.values() if by_section[p]}
        for fs in self.stories:
            self.article(fs, by_section[fs.section])
        for section, stories in by_section.items():
            chunks = [stories[i : i + PAGE_SIZE] for i in range(0, len(stories), PAGE_SIZE)]
            for n, chunk in enumerate(chunks, start=1):
                self.add(
                    _list_path(section, n),
                    "section",
                    self.pages.listing(section, n, len(chunks), chunk),
                    _utc(chunk[0].published),
                    chunked=True,
                )
        for name in sorted({t for fs in self.stories for t in fs.story.tags}):
            tagged = [fs for fs in self.listed if name in fs.story.tags]
            self.add(
                f"/tag/{tag_slug(name)}/",
                "tag",
                self.pages.tag(name, tagged),
                max((_utc(fs.published) for fs in tagged), default=_EPOCH),
            )
        hot = sorted(self.listed[:12], key=lambda fs: (-fs.views, fs.id))[:10]
        hot_time = self.stories[0].published.replace(hour=23, minute=0)
        self.add("/hot/", "hot", self.pages.hot_page(hot, hot_time), _utc(hot_time))
        week = sorted(self.listed[:15], key=lambda fs: (-fs.views, fs.id))[:10]
        ranks = {p: sorted(s, key=lambda fs: (-fs.views, fs.id))[:5] for p, s in by_section.items()}
        self.add("/ranking/", "ranking", self.pages.ranking(week, ranks), self.updated)
        self.add(
            "/",
            "home",
            self.pages.home(self.listed[:6], {p: s[:4] for p, s in by_section.items()}),
            self.updated,
        )
        self.add(
            "/about.html",
            "page",
            self.pages.notice(
                "About us",
                (
                    f"{SITE_NAME} gathers the news of the day from around the web, around the clock. "
                    "Write to editor@newspoint24.example for corrections and copyright questions."
                ),
            ),
            _EPOCH,
        )
        self.machine_pages()
        self.add("/static/np24.css", "asset", _CSS, _EPOCH, content_type="text/css; charset=utf-8")
        self.add(
            "/static/np24.js",
            "asset",
            _JS,
            _EPOCH,
            content_type="application/javascript; charset=utf-8",
        )
        not_found = Resource(
            "",
            "404",
            self.pages.notice(
                "404 - Page not found",
                "The page you are looking for does not exist or has been removed.",
            ).encode("utf-8"),
            status=404,
            gzip=False,
        )
        return SiteBuild(
            self.base, self.edition, self.res, self.manifest(), not_found, server=SERVER
        )

    def article(self, fs: FarmStory, section_list: list[FarmStory]) -> None:
        prev = nxt = None
        if fs.listed:
            i = section_list.index(fs)
            nxt = section_list[i - 1] if i > 0 else None  # newer
            prev = section_list[i + 1] if i + 1 < len(section_list) else None  # older
        related = [r for r in section_list if r is not fs][:4]
        self.add(fs.path, "article", self.pages.article(fs, prev, nxt, related), _utc(fs.published))
        reachable = ["sitemap"]
        if fs in self.feed:
            reachable.append("feed")
        if fs.listed:
            reachable.append("section")
        s = fs.story
        self.articles[self.abs(fs.path)] = {
            "url": self.abs(fs.path),
            "title": s.headline,
            "authors": [],
            "published": fs.published.isoformat(),
            "section": _section_title(fs.section),
            "tags": list(s.tags),
            "description": fs.summary,
            "site_name": SITE_NAME,
            "language": "en",
            "encoding": "utf-8",
            "body_paragraphs": list(s.paragraphs),
            "id": fs.id,
            "listed": fs.listed,
            "reachable_from": reachable,
            "edition": s.edition,
        }

    def machine_pages(self) -> None:
        items = [
            (self.abs(fs.path), fs.story.headline, _utc(fs.published), fs.summary)
            for fs in self.feed
        ]
        rss = feeds.channel_rss(
            SITE_NAME, self.base, "News around the clock", self.abs("/rss.xml"), items, self.updated
        )
        self.add(
            "/rss.xml", "feed", rss, self.updated, content_type="application/rss+xml; charset=utf-8"
        )
        articles = feeds.urlset(
            [(self.abs(fs.path), f"{fs.published:%Y-%m-%d}", "") for fs in self.stories]
        )
        # A sitemap file compressed on disk: the gzip is the entity, not a Content-Encoding.
        packed = gzip.compress(articles.encode("utf-8"), compresslevel=9, mtime=0)
        self.add(
            "/sitemaps/articles.xml.gz",
            "sitemap",
            packed,
            self.updated,
            content_type="application/x-gzip",
            gzip_=False,
        )
        list_pages = ["/", *(f"/{p}/" for p, _ in SECTIONS.values()), "/hot/", "/ranking/"]
        pages_xml = feeds.urlset([(self.abs(p), "", "hourly") for p in list_pages])
        self.add("/sitemaps/pages.xml", "sitemap", pages_xml, self.updated, content_type=_XML)
        index = feeds.sitemap_index(
            self.base,
            [("/sitemaps/articles.xml.gz", self.updated), ("/sitemaps/pages.xml", self.updated)],
        )
        self.add("/sitemap_index.xml", "sitemap", index, self.updated, content_type=_XML)
        robots = (
            "User-agent: *\nDisallow: /search/\nDisallow: /api/\n\n"
            f"Sitemap: {self.abs('/sitemap_index.xml')}\n"
        )
        self.add(
            "/robots.txt",
            "robots",
            robots,
            _EPOCH,
            content_type="text/plain; charset=utf-8",
            gzip_=False,
        )

    def manifest(self) -> dict:
        html_kinds = ("home", "section", "tag", "hot", "ranking", "page")
        return {
            "template": "farm",
            "base_url": self.base,
            "edition": self.edition,
            "site_name": SITE_NAME,
            "home": self.base,
            "feeds": [self.abs("/rss.xml")],
            "sitemaps": [self.abs("/sitemap_index.xml")],
            "robots": self.abs("/robots.txt"),
            "articles": dict(sorted(self.articles.items())),
            "non_articles": sorted(u for u, e in self.entries.items() if e["kind"] in html_kinds),
            "urls": self.entries,
        }


def _utc(d: datetime) -> datetime:
    # The farm's clock has no zone; Last-Modified and the feed take it as UTC.
    return d.replace(tzinfo=UTC)


_CSS = """body{font:14px/1.7 Arial,Helvetica,sans-serif;margin:0;color:#333}
.header,.nav{background:#1d4e89;color:#fff}.nav li{display:inline;margin:0 .6em}
.wrap{overflow:hidden;max-width:1000px;margin:0 auto}.main{float:left;width:680px}
.side{float:right;width:300px}.info,.date{color:#999;font-size:12px}.footer{clear:both;text-align:center}
"""
_JS = """var _np=_np||[];(function(){var h=document.getElementById('hits');if(h){_np.push(['view',location.pathname]);}})();
"""
