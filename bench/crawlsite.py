"""The news site of the crawl benchmark (``bench/crawl.py``): static files, seeded, in seconds.

    python bench/crawlsite.py DIR [--articles 5000] [--base-url http://127.0.0.1:8080]

One site, "The Daily Bench", on one host: a home page linking every section, ten sections in three
templates, each section paginated (20 stories a page), and the articles:

- ``modern`` (world, politics, business, technology, science, sport): JSON-LD ``NewsArticle``, Open
  Graph and ``article:*`` meta tags, ``<time datetime>``, a byline, share bar, newsletter box inside
  the story, related stories, "most read", a mega menu and a large footer; pages ``/S/page/N/``
  with ``rel="next"``;
- ``blog`` (opinion, culture): WordPress-like: ``entry-content``, "Posted on" line, tags, previous
  and next post, "You might also like", a comment thread and its form, a sidebar; pages
  ``/S/page/N/`` behind an "Older posts" link;
- ``legacy`` (regional, archive): a 2000s table layout with ``<font>`` tags, the byline and date in
  text and no metadata at all; pages ``/S/list_N.html`` behind a "Next &raquo;" link.

Articles are at ``/SECTION/YYYY/MM/DD/SLUG/`` (``.../index.html`` on disk), each linking 3 to 5
related articles of its section (and, on modern and blog pages, "most read" and previous/next
stories). Every page is padded to a size drawn between 10 and 150 KB (mode 45 KB for articles) the
way real pages are: inline styles, an SVG icon sprite, an inline application-state script and
analytics snippets. Story text is several paragraphs (about 300 to 1,500 words) of English function
words and made-up content words, so no two stories share their sentences. Besides the pages:
``robots.txt`` (naming the sitemap), ``sitemap.xml`` (every article) and ``feed.xml`` (RSS, the
newest 50), which only the product's crawl reads; no ``<a>`` links to them.

Absolute URLs (canonical, ``og:url``, JSON-LD, sitemap, feed) use ``--base-url``; the crawl
benchmark serves the site there.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

SITE_NAME = "The Daily Bench"
PER_PAGE = 20
SEED = 12
VERSION = 1  # bump when the pages change: a kept site (crawl.py --keep) is then made again
META_FILE = ".bench-site.json"

# (path, title, template)
SECTIONS = (
    ("world", "World", "modern"),
    ("politics", "Politics", "modern"),
    ("business", "Business", "modern"),
    ("technology", "Technology", "modern"),
    ("science", "Science", "modern"),
    ("sport", "Sport", "modern"),
    ("opinion", "Opinion", "blog"),
    ("culture", "Culture", "blog"),
    ("regional", "Regional", "legacy"),
    ("archive", "Archive", "legacy"),
)
TEMPLATE_OF = {s: t for s, _, t in SECTIONS}
TITLE_OF = {s: t for s, t, _ in SECTIONS}
STATIC_PAGES = ("about", "contact", "privacy", "terms")
# Articles: /world/2026/01/31/some-slug-123/ (what the benchmark's site file names as articles)
ARTICLE_PATTERN = r"^https?://[^/]+/[a-z]+/\d{4}/\d{2}/\d{2}/[a-z0-9-]+/$"

_FUNCTION_TEXT = (
    "the of and to in a is that for on was with he it as at by his be from are this have but "
    "had they not were which an she has their one her all been would will there who more its "
    "said also after when we new two than about into over could first some other most last "
    "year years people may only before under while since between during three where against "
    "because officials minister city government council report week monday friday"
)
_NAMES = (
    "Anna Ben Clara David Elena Farid Grace Hugo Irene Jonas Kemi Liam Maya Noor Omar Priya",
    "Abbott Baker Chen Duarte Evans Fischer Garcia Haddad Ito Jensen Kowalski Lopez Mensah",
)
_FUNCTION_WORDS = _FUNCTION_TEXT.split()
_FIRST, _LAST = (names.split() for names in _NAMES)


@dataclass
class Article:
    id: int
    section: str
    published: datetime
    slug: str
    title: str
    dek: str
    author: str

    @property
    def path(self) -> str:
        d = self.published
        return f"/{self.section}/{d:%Y/%m/%d}/{self.slug}/"


@dataclass
class SiteInfo:
    root: Path
    base_url: str
    articles: int
    pages: int  # HTML pages: home, static pages, section pages, articles
    section_pages: int  # the most pages one section has
    bytes: int
    seconds: float


def esc(text: str) -> str:
    return html.escape(text, quote=True)


class Text:
    """Seeded words, sentences and paragraphs: English function words among made-up words."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        syllables = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"] + ["an", "el", "or"]
        words = set()
        while len(words) < 6000:
            words.add("".join(rng.choice(syllables) for _ in range(rng.choice((1, 2, 2, 3, 3, 4)))))
        content = sorted(words)
        rng.shuffle(content)
        self.words = _FUNCTION_WORDS + content
        # Zipf-like: the function words first, the rest ever rarer
        self.cum: list[float] = []
        total = 0.0
        for rank in range(len(self.words)):
            total += 1.0 / (rank + 1) ** 0.9
            self.cum.append(total)

    def words_(self, n: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cum, k=n)

    def sentence(self, lo: int = 8, hi: int = 26) -> str:
        w = self.words_(self.rng.randint(lo, hi))
        if self.rng.random() < 0.3:
            w.insert(self.rng.randrange(len(w)), str(self.rng.randint(2, 2026)))
        if self.rng.random() < 0.25:
            w[self.rng.randrange(len(w))] += ","
        return " ".join(w).capitalize() + "."

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 5)))

    def title(self) -> str:
        w = [x for x in self.words_(self.rng.randint(6, 11)) if x]
        return " ".join(x if i else x.capitalize() for i, x in enumerate(w))

    def name(self) -> str:
        return f"{self.rng.choice(_FIRST)} {self.rng.choice(_LAST)}"


class Padding:
    """What makes real pages heavy, cut from seeded pools at whole-rule boundaries."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        css = []
        while sum(map(len, css)) < 200_000:
            name = f"c-{rng.getrandbits(24):06x}"
            css.append(
                f".{name}{{margin:{rng.randint(0, 32)}px {rng.randint(0, 32)}px;"
                f"padding:{rng.randint(0, 24)}px;color:#{rng.getrandbits(24):06x};"
                f"font:{rng.randint(11, 28)}px/{rng.randint(12, 18) / 10} var(--f-{rng.randint(1, 4)})}}"
                f"@media (min-width:{rng.choice((480, 768, 1024, 1280))}px){{.{name}"
                f"{{display:{rng.choice(('flex', 'grid', 'block', 'none'))};gap:{rng.randint(2, 40)}px}}}}\n"
            )
        self.css = "".join(css)
        svg = []
        while sum(map(len, svg)) < 200_000:
            d = " ".join(
                f"{rng.choice('MLCQ')}{rng.randint(0, 240) / 10} {rng.randint(0, 240) / 10}"
                for _ in range(rng.randint(6, 30))
            )
            svg.append(f'<symbol id="i{len(svg)}" viewBox="0 0 24 24"><path d="{d}Z"/></symbol>')
        self.svg = "".join(svg)
        state = []
        while sum(map(len, state)) < 300_000:
            state.append(
                json.dumps(
                    {
                        "id": rng.getrandbits(40),
                        "kind": rng.choice(("teaser", "ad", "widget", "video", "promo")),
                        "slot": f"slot-{rng.randint(1, 40)}",
                        "targeting": {
                            "k": [f"{rng.getrandbits(20):05x}" for _ in range(rng.randint(1, 6))]
                        },
                        "track": f"{rng.getrandbits(128):032x}",
                        "w": rng.choice((300, 320, 728, 970)),
                        "h": rng.choice((50, 90, 250, 600)),
                    },
                    separators=(",", ":"),
                )
            )
        self.state = ",".join(state)

    def _cut(self, pool: str, n: int, start: str, end: str) -> str:
        if n <= 0:
            return ""
        n = min(n, len(pool) // 2)
        at = pool.find(start, self.rng.randrange(len(pool) - n))
        stop = pool.rfind(end, at, at + n)
        return pool[at : stop + len(end)].lstrip("\n") if stop > at else ""

    def style(self, n: int) -> str:
        return f"<style>\n{self._cut(self.css, n, chr(10) + '.c-', chr(10))}</style>\n"

    def sprite(self, n: int) -> str:
        body = self._cut(self.svg, n, "<symbol", "</symbol>")
        return f'<svg xmlns="http://www.w3.org/2000/svg" style="display:none">{body}</svg>\n'

    def script(self, n: int) -> str:
        body = self._cut(self.state, n, '{"id"', "}")
        return f'<script>window.__APP_STATE__={{"modules":[{body}]}};</script>\n'

    def fill(self, page: str, target: int, *, legacy: bool = False) -> tuple[str, str, str]:
        """(head, body top, body end) padding that brings ``page`` to about ``target`` bytes."""
        room = target - len(page)
        if room <= 600:
            return "", "", ""
        if legacy:  # old sites: ad scripts and styles, no sprite
            return self.style(room // 4), "", self.script(room * 3 // 4)
        return self.style(room // 4), self.sprite(room // 6), self.script(room * 7 // 12)


ANALYTICS = """<script>(function(w,d,s,l,i){w[l]=w[l]||[];w[l].push({'start':new Date().getTime(),
event:'load'});var f=d.getElementsByTagName(s)[0],j=d.createElement(s);j.async=true;
j.src='/static/tag.js?id='+i;f.parentNode.insertBefore(j,f);})(window,document,'script','dl','B-12');
</script>
"""


class Generator:
    def __init__(self, root: Path, articles: int, base_url: str, seed: int = SEED) -> None:
        self.root = root
        self.base = base_url.rstrip("/")
        self.rng = random.Random(seed)  # noqa: S311 - the same site in every run
        self.text = Text(self.rng)
        self.pad = Padding(self.rng)
        self.bytes = 0
        self.pages = 0
        self.articles = self._articles(articles)
        self.by_section: dict[str, list[Article]] = {s: [] for s, _, _ in SECTIONS}
        self.position: dict[int, int] = {}  # article id -> its place in its section
        for a in self.articles:  # newest first
            self.position[a.id] = len(self.by_section[a.section])
            self.by_section[a.section].append(a)

    def _articles(self, n: int) -> list[Article]:
        rng, text = self.rng, self.text
        when = datetime(2026, 1, 31, 18, 0, tzinfo=UTC)
        out = []
        for i in range(n):
            when -= timedelta(minutes=rng.randint(5, 70))
            section = rng.choice(SECTIONS)[0]
            title = text.title()
            slug = "-".join(title.lower().split()[:7]) + f"-{i}"
            out.append(Article(i, section, when, slug, title, text.sentence(14, 30), text.name()))
        return out

    # -- files -------------------------------------------------------------------------------------

    def write(self, url_path: str, content: str, *, page: bool = True) -> None:
        rel = url_path.lstrip("/")
        path = self.root / rel / "index.html" if url_path.endswith("/") else self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8")
        path.write_bytes(data)
        self.bytes += len(data)
        self.pages += page

    def section_page_path(self, section: str, n: int) -> str:
        if n <= 1:
            return f"/{section}/"
        if TEMPLATE_OF[section] == "legacy":
            return f"/{section}/list_{n}.html"
        return f"/{section}/page/{n}/"

    def section_page_count(self, section: str) -> int:
        return max(1, -(-len(self.by_section[section]) // PER_PAGE))

    def target(self, lo: int, hi: int, mode: int) -> int:
        return int(self.rng.triangular(lo, hi, mode))

    # -- shared chrome -----------------------------------------------------------------------------

    def nav(self) -> str:
        items = "".join(f'<li><a href="/{s}/">{t}</a></li>' for s, t, _ in SECTIONS)
        return f'<nav class="main-nav" aria-label="Sections"><ul><li><a href="/">Home</a></li>{items}</ul></nav>'

    def mega_menu(self) -> str:
        cols = []
        for s, t, _ in SECTIONS:
            links = "".join(
                f'<li><a href="{self.section_page_path(s, n)}">{t}: page {n}</a></li>'
                for n in range(2, min(5, self.section_page_count(s)) + 1)
            )
            cols.append(
                f'<div class="mega-col"><h3><a href="/{s}/">{t}</a></h3><ul>{links}</ul></div>'
            )
        return f'<div class="mega-menu" hidden>{"".join(cols)}</div>'

    def footer(self) -> str:
        static = "".join(f'<li><a href="/{p}/">{p.capitalize()}</a></li>' for p in STATIC_PAGES)
        sections = "".join(f'<li><a href="/{s}/">{t}</a></li>' for s, t, _ in SECTIONS)
        return (
            '<footer class="site-footer"><div class="footer-cols">'
            f'<ul class="footer-sections">{sections}</ul><ul class="footer-corp">{static}</ul>'
            '<div class="footer-apps"><p>Get the app</p><span class="badge">App Store</span>'
            '<span class="badge">Google Play</span></div></div>'
            f'<p class="legal">&copy; 2026 {SITE_NAME} Ltd. All rights reserved. '
            "Registered in England and Wales. Reproduction without permission prohibited.</p>"
            "</footer>"
        )

    def most_read(self, n: int = 5) -> str:
        picks = self.rng.sample(self.articles, min(n, len(self.articles)))
        items = "".join(f'<li><a href="{a.path}">{esc(a.title)}</a></li>' for a in picks)
        return f'<aside class="most-read"><h2>Most read</h2><ol>{items}</ol></aside>'

    def modern_page(self, title: str, canonical: str, head: str, main: str, target: int) -> str:
        top = (
            '<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(title)} | {SITE_NAME}</title>\n"
            f'<link rel="canonical" href="{esc(canonical)}">\n'
            '<link rel="alternate" type="application/rss+xml" title="RSS" href="/feed.xml">\n'
            f"{head}"
        )
        body = (
            '<body class="page">\n<a class="skip-link" href="#main">Skip to content</a>\n'
            '<div class="cookie-banner" role="dialog"><p>We use cookies to improve your '
            "experience and for advertising.</p><button>Accept all</button><button>Manage "
            "choices</button></div>\n"
            '<header class="site-header"><a class="logo" href="/">'
            f"{SITE_NAME}</a>{self.nav()}{self.mega_menu()}</header>\n"
            f'<main id="main">\n{main}\n</main>\n{self.most_read()}\n{self.footer()}\n'
        )
        core = top + body + ANALYTICS + "</body>\n</html>\n"
        style, sprite, script = self.pad.fill(core, target)
        return (
            f"{top}{style}</head>\n{body[:18]}{sprite}{body[18:]}{script}{ANALYTICS}"
            "</body>\n</html>\n"
        )

    # -- articles ----------------------------------------------------------------------------------

    def story_paragraphs(self, related: list[Article]) -> list[str]:
        rng, text = self.rng, self.text
        n = rng.randint(5, 22)
        paras = [text.paragraph() for _ in range(n)]
        out = []
        for i, p in enumerate(paras):
            out.append(f"<p>{p}</p>")
            if i == 2 and n > 6:
                a = related[0]
                out.append(
                    f'<p class="read-more">Read more: <a href="{a.path}">{esc(a.title)}</a></p>'
                )
            if i and i % 6 == 0 and i < n - 1:
                out.append(f"<h2>{esc(text.title())}</h2>")
            if i == n // 2 and rng.random() < 0.5:
                out.append(f"<blockquote><p>{text.sentence()}</p></blockquote>")
        return out

    def related(self, a: Article) -> list[Article]:
        pool = self.by_section[a.section]
        others = [x for x in self.rng.sample(pool, min(len(pool), 6)) if x is not a]
        return others[: self.rng.randint(3, 5)] or [a]

    def article(self, a: Article) -> str:
        related = self.related(a)
        template = TEMPLATE_OF[a.section]
        target = self.target(10_000, 150_000, 45_000)
        if template == "modern":
            return self.modern_article(a, related, target)
        if template == "blog":
            return self.blog_article(a, related, target)
        return self.legacy_article(a, related, target)

    def modern_article(self, a: Article, related: list[Article], target: int) -> str:
        url = self.base + a.path
        published = a.published.isoformat()
        image = f"{self.base}/img/{a.id}.jpg"
        tags = [w for w in self.text.words_(12) if len(w) > 4][:4]
        ld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "mainEntityOfPage": {"@type": "WebPage", "@id": url},
            "headline": a.title,
            "description": a.dek,
            "image": [image],
            "datePublished": published,
            "dateModified": published,
            "author": [{"@type": "Person", "name": a.author}],
            "publisher": {"@type": "NewsMediaOrganization", "name": SITE_NAME},
            "articleSection": TITLE_OF[a.section],
            "keywords": ", ".join(tags),
        }
        og = [
            ("og:type", "article"),
            ("og:site_name", SITE_NAME),
            ("og:title", a.title),
            ("og:description", a.dek),
            ("og:url", url),
            ("og:image", image),
            ("article:published_time", published),
            ("article:section", TITLE_OF[a.section]),
        ] + [("article:tag", t) for t in tags]
        head = f'<meta name="description" content="{esc(a.dek)}">\n'
        head += "".join(f'<meta property="{p}" content="{esc(v)}">\n' for p, v in og)
        head += f'<script type="application/ld+json">{json.dumps(ld)}</script>\n'
        paras = self.story_paragraphs(related)
        paras.insert(
            min(4, len(paras)),
            '<aside class="newsletter"><h3>Sign up to the morning briefing</h3><p>The stories '
            'that matter, in your inbox every weekday.</p><form><input type="email" '
            'placeholder="Your email"><button>Sign up</button></form></aside>',
        )
        rel = "".join(
            f'<li><a href="{r.path}"><img src="/img/{r.id}-s.jpg" alt=""><span>{esc(r.title)}'
            "</span></a></li>"
            for r in related
        )
        main = (
            f'<nav class="breadcrumbs"><a href="/">Home</a> &rsaquo; '
            f'<a href="/{a.section}/">{TITLE_OF[a.section]}</a></nav>\n'
            f'<article class="story">\n<header><h1>{esc(a.title)}</h1>'
            f'<p class="standfirst">{esc(a.dek)}</p>'
            f'<p class="byline">By <span class="author">{esc(a.author)}</span> &middot; '
            f'<time datetime="{published}">{a.published:%-d %B %Y, %H:%M} GMT</time></p>'
            '<div class="share"><button>Share</button><button>Facebook</button>'
            "<button>X</button><button>Email</button></div></header>\n"
            f'<figure><img src="/img/{a.id}.jpg" alt="" width="1200" height="675">'
            f"<figcaption>{esc(self.text.sentence(6, 14))} Photograph: Agency</figcaption></figure>\n"
            f'<div class="article-body">\n{chr(10).join(paras)}\n</div>\n'
            f'<ul class="tags">{"".join(f"<li>{esc(t)}</li>" for t in tags)}</ul>\n</article>\n'
            f'<section class="related"><h2>Related stories</h2><ul>{rel}</ul></section>'
        )
        return self.modern_page(a.title, url, head, main, target)

    def blog_article(self, a: Article, related: list[Article], target: int) -> str:
        url = self.base + a.path
        rng, text = self.rng, self.text
        published = a.published.isoformat()
        pos = self.by_section[a.section]
        i = self.position[a.id]
        prev_a = pos[i + 1] if i + 1 < len(pos) else None
        next_a = pos[i - 1] if i > 0 else None
        head = (
            f'<meta name="description" content="{esc(a.dek)}">\n'
            '<meta property="og:type" content="article">\n'
            f'<meta property="og:title" content="{esc(a.title)}">\n'
            f'<meta property="og:url" content="{esc(url)}">\n'
            f'<meta property="article:published_time" content="{published}">\n'
        )
        comments = "".join(
            f'<li class="comment"><div class="comment-author">{esc(text.name())} says:</div>'
            f'<div class="comment-meta">{a.published + timedelta(hours=k + 1):%B %-d, %Y at %H:%M}'
            f'</div><p>{text.sentence(5, 30)}</p><a class="reply" href="#respond">Reply</a></li>'
            for k in range(rng.randint(0, 8))
        )
        navlinks = ""
        if prev_a:
            navlinks += f'<div class="nav-previous"><a href="{prev_a.path}" rel="prev">&larr; {esc(prev_a.title)}</a></div>'
        if next_a:
            navlinks += f'<div class="nav-next"><a href="{next_a.path}" rel="next">{esc(next_a.title)} &rarr;</a></div>'
        rel = "".join(f'<li><a href="{r.path}">{esc(r.title)}</a></li>' for r in related)
        recent = "".join(f'<li><a href="{r.path}">{esc(r.title)}</a></li>' for r in pos[:5])
        cats = "".join(f'<li><a href="/{s}/">{t}</a></li>' for s, t, _ in SECTIONS)
        tags = ", ".join(f'<span rel="tag">{esc(w)}</span>' for w in text.words_(3))
        main = (
            '<div id="primary" class="content-area">\n'
            f'<article class="post type-post status-publish hentry category-{a.section}">\n'
            f'<header class="entry-header"><h1 class="entry-title">{esc(a.title)}</h1>'
            f'<div class="entry-meta"><span class="posted-on">Posted on <time class="entry-date '
            f'published" datetime="{published}">{a.published:%B %-d, %Y}</time></span> '
            f'<span class="byline">by <span class="author vcard">{esc(a.author)}</span></span>'
            "</div></header>\n"
            f'<div class="entry-content">\n{chr(10).join(self.story_paragraphs(related))}\n</div>\n'
            f'<footer class="entry-footer"><span class="tags-links">Tagged {tags}</span></footer>\n'
            "</article>\n"
            f'<nav class="navigation post-navigation"><h2 class="screen-reader-text">Post navigation'
            f'</h2><div class="nav-links">{navlinks}</div></nav>\n'
            f'<section class="related-posts"><h3>You might also like</h3><ul>{rel}</ul></section>\n'
            f'<div id="comments" class="comments-area"><h2 class="comments-title">'
            f'Comments</h2><ol class="comment-list">{comments}</ol>'
            '<div id="respond" class="comment-respond"><h3>Leave a Reply</h3><form>'
            "<p>Your email address will not be published.</p><textarea></textarea>"
            '<input type="submit" value="Post Comment"></form></div></div>\n</div>\n'
            '<aside id="secondary" class="widget-area"><section class="widget"><h2>Recent Posts'
            f'</h2><ul>{recent}</ul></section><section class="widget"><h2>Categories</h2>'
            f"<ul>{cats}</ul></section></aside>"
        )
        return self.modern_page(a.title, url, head, main, target)

    def legacy_chrome(self, title: str, content: str, target: int) -> str:
        links = "<br>\n".join(f'<a href="/{s}/">{t}</a>' for s, t, _ in SECTIONS)
        top = (
            '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">\n<html>\n<head>\n'
            '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
            f"<title>{esc(title)} - {SITE_NAME}</title>\n"
        )
        body = (
            '<body bgcolor="#ffffff" leftmargin="0" topmargin="0">\n'
            '<table width="100%" border="0" cellpadding="0" cellspacing="0">\n'
            f'<tr><td colspan="2" bgcolor="#003366"><a href="/"><img src="/img/banner.gif" '
            f'alt="{SITE_NAME}" border="0"></a></td></tr>\n'
            '<tr><td width="160" valign="top" bgcolor="#eeeeee"><font face="Verdana" size="1">'
            f"<b>Sections</b><br>\n{links}</font></td>\n"
            f'<td valign="top"><font face="Arial, Helvetica" size="2">\n{content}\n</font></td></tr>\n'
            '<tr><td colspan="2" align="center"><font size="1">'
            + " | ".join(f'<a href="/{p}/">{p.capitalize()}</a>' for p in STATIC_PAGES)
            + f"<br>Copyright &copy; 1998-2026 {SITE_NAME}. All rights reserved.</font></td></tr>\n"
            "</table>\n"
        )
        core = top + "</head>\n" + body + "</body>\n</html>\n"
        style, _, script = self.pad.fill(core, target, legacy=True)
        return f"{top}{style}</head>\n{body}{script}</body>\n</html>\n"

    def legacy_article(self, a: Article, related: list[Article], target: int) -> str:
        paras = "<br><br>\n".join(self.text.paragraph() for _ in range(self.rng.randint(5, 22)))
        rel = "<br>\n".join(f'<a href="{r.path}">{esc(r.title)}</a>' for r in related)
        content = (
            f'<font size="4"><b>{esc(a.title)}</b></font><br>\n'
            f"<i>By {esc(a.author)}, Staff Writer</i><br>\n"
            f"Posted: {a.published:%B %-d, %Y %H:%M}<br><br>\n{paras}<br><br>\n"
            f"<b>Related stories:</b><br>\n{rel}<br><br>\n"
            '<a href="javascript:window.print()">Print this story</a> | '
            f'<a href="/{a.section}/">More {TITLE_OF[a.section]} news</a>'
        )
        return self.legacy_chrome(a.title, content, target)

    # -- lists -------------------------------------------------------------------------------------

    def section_page(self, section: str, n: int, pages: int) -> str:
        items = self.by_section[section][(n - 1) * PER_PAGE : n * PER_PAGE]
        template = TEMPLATE_OF[section]
        title = TITLE_OF[section] + (f" - page {n}" if n > 1 else "")
        target = self.target(20_000, 150_000, 70_000)
        nxt = self.section_page_path(section, n + 1) if n < pages else None
        if template == "legacy":
            rows = "".join(
                f'<tr><td><a href="{a.path}"><b>{esc(a.title)}</b></a><br>'
                f'<font size="1">{a.published:%m/%d/%Y}</font> - {esc(a.dek)}</td></tr>\n'
                for a in items
            )
            more = f'<a href="{nxt}">Next &raquo;</a>' if nxt else ""
            back = (
                f'<a href="{self.section_page_path(section, n - 1)}">&laquo; Prev</a> '
                if n > 1
                else ""
            )
            content = (
                f'<font size="4"><b>{TITLE_OF[section]}</b></font> (page {n} of {pages})<br>\n'
                f'<table width="100%" cellpadding="4">{rows}</table>\n<p>{back}{more}</p>'
            )
            return self.legacy_chrome(title, content, target)
        teasers = "".join(
            f'<article class="teaser"><a href="{a.path}"><img src="/img/{a.id}-s.jpg" alt="">'
            f"<h3>{esc(a.title)}</h3></a><p>{esc(a.dek)}</p>"
            f'<time datetime="{a.published.isoformat()}">{a.published:%-d %b %Y}</time></article>\n'
            for a in items
        )
        numbers = " ".join(
            f'<a href="{self.section_page_path(section, k)}">{k}</a>'
            for k in range(max(1, n - 2), min(pages, n + 3) + 1)
            if k != n
        )
        if template == "blog":
            more = f'<a class="older" href="{nxt}">Older posts</a>' if nxt else ""
        else:
            more = f'<a rel="next" href="{nxt}">Next</a>' if nxt else ""
        head = f'<meta name="description" content="{TITLE_OF[section]} news and analysis">\n'
        if nxt and template == "modern":
            head += f'<link rel="next" href="{nxt}">\n'
        main = (
            f'<h1 class="section-title">{TITLE_OF[section]}</h1>\n<div class="teasers">\n'
            f'{teasers}</div>\n<nav class="pagination">{numbers} {more}</nav>'
        )
        canonical = self.base + self.section_page_path(section, n)
        return self.modern_page(title, canonical, head, main, target)

    def home(self) -> str:
        top = "".join(
            f'<article class="teaser"><a href="{a.path}"><h3>{esc(a.title)}</h3></a>'
            f"<p>{esc(a.dek)}</p></article>\n"
            for a in self.articles[:40]
        )
        blocks = "".join(
            f'<section class="section-block"><h2><a href="/{s}/">{t}</a></h2><ul>'
            + "".join(
                f'<li><a href="{a.path}">{esc(a.title)}</a></li>' for a in self.by_section[s][:5]
            )
            + "</ul></section>\n"
            for s, t, _ in SECTIONS
        )
        main = (
            f'<h1 class="visually-hidden">{SITE_NAME}</h1>\n<div class="top">{top}</div>\n{blocks}'
        )
        return self.modern_page("Home", self.base + "/", "", main, 140_000)

    def static(self, name: str) -> str:
        paras = "".join(f"<p>{self.text.paragraph()}</p>" for _ in range(self.rng.randint(3, 8)))
        main = f"<h1>{name.capitalize()}</h1>\n{paras}"
        return self.modern_page(name.capitalize(), f"{self.base}/{name}/", "", main, 30_000)

    # -- not pages ---------------------------------------------------------------------------------

    def sitemap(self) -> str:
        urls = "".join(
            f"<url><loc>{self.base}{a.path}</loc><lastmod>{a.published:%Y-%m-%dT%H:%M:%S+00:00}"
            "</lastmod></url>\n"
            for a in self.articles
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}</urlset>\n'
        )

    def feed(self) -> str:
        items = "".join(
            f"<item><title>{esc(a.title)}</title><link>{self.base}{a.path}</link>"
            f"<description>{esc(a.dek)}</description>"
            f"<pubDate>{a.published:%a, %d %b %Y %H:%M:%S} +0000</pubDate></item>\n"
            for a in self.articles[:50]
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
            f"<title>{SITE_NAME}</title><link>{self.base}/</link>"
            f"<description>Latest stories</description>\n{items}</channel></rss>\n"
        )

    def generate(self) -> None:
        self.write("/", self.home())
        for name in STATIC_PAGES:
            self.write(f"/{name}/", self.static(name))
        for section, _, _ in SECTIONS:
            pages = self.section_page_count(section)
            for n in range(1, pages + 1):
                self.write(self.section_page_path(section, n), self.section_page(section, n, pages))
        for a in self.articles:
            self.write(a.path, self.article(a))
        self.write(
            "/robots.txt",
            f"User-agent: *\nAllow: /\nSitemap: {self.base}/sitemap.xml\n",
            page=False,
        )
        self.write("/sitemap.xml", self.sitemap(), page=False)
        self.write("/feed.xml", self.feed(), page=False)


def generate(root: Path, articles: int, base_url: str, seed: int = SEED) -> SiteInfo:
    """Write the site into ``root`` (emptied first)."""
    started = time.monotonic()
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    gen = Generator(root, articles, base_url, seed)
    gen.generate()
    info = SiteInfo(
        root=root,
        base_url=gen.base,
        articles=len(gen.articles),
        pages=gen.pages,
        section_pages=max(gen.section_page_count(s) for s, _, _ in SECTIONS),
        bytes=gen.bytes,
        seconds=round(time.monotonic() - started, 1),
    )
    meta = {**info.__dict__, "root": str(root), "seed": seed, "version": VERSION}
    (root / META_FILE).write_text(json.dumps(meta))
    return info


def existing(root: Path, articles: int, seed: int = SEED) -> SiteInfo | None:
    """The site already in ``root`` when it was made with these parameters, else None."""
    try:
        meta = json.loads((root / META_FILE).read_text())
    except (OSError, ValueError):
        return None
    if (meta.get("articles"), meta.get("seed"), meta.get("version")) != (articles, seed, VERSION):
        return None
    fields = {k: meta[k] for k in SiteInfo.__dataclass_fields__}
    return SiteInfo(**{**fields, "root": root})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--base-url", default="http://127.0.0.1:8080")
    args = parser.parse_args(argv)
    info = generate(args.dir, args.articles, args.base_url)
    print(
        f"{info.pages} pages ({info.articles} articles, up to {info.section_pages} pages a "
        f"section), {info.bytes / 1e6:.0f} MB, in {info.seconds} s: {info.root}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
