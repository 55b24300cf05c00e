"""HTML pages of the demo site, in its two layouts.

Layout A is The Harbour Courier's own: JSON-LD NewsArticle, Open Graph, ``<time datetime>``, a byline,
a share bar, a newsletter prompt inside the body, a related-articles list and a footer. Layout B is the
content-farm layout of ``data/content-farm-article.html`` (breadcrumb, "View", a "Date:" with no zone,
a like-counter, Related/Ranking/Recommendation lists), with the same chrome on every page and different
sidebar headlines per page. Pages return ``str``; the site encodes them (most as UTF-8, a few not).
"""

from __future__ import annotations

import html
import json
import random
from collections.abc import Sequence
from datetime import datetime

from crawler.demo_site.stories import SEED, Story, tag_slug

# Related, Ranking and Recommendation: (href, headline) each.
Sidebar = Sequence[Sequence[tuple[str, str]]]

SITE_NAME = "The Harbour Courier"
FARM_NAME = "消息"
SECTION_TITLES = {
    "world": "World",
    "business": "Business",
    "news": "news",
    "reviews": "reviews",
    "tech": "tech",
}


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def courier_date(d: datetime) -> str:
    return f"{d.day} {d:%B %Y}, {d:%H:%M} BST"


def _courier_chrome(
    title: str, description: str, canonical: str, head: str, main: str, charset: str = "utf-8"
) -> str:
    nav = "".join(
        f'<li><a href="/{s}/">{esc(t[:1].upper() + t[1:])}</a></li>'
        for s, t in SECTION_TITLES.items()
    )
    canonical_link = f'<link rel="canonical" href="{esc(canonical)}">\n' if canonical else ""
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="{charset}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<meta name="description" content="{esc(description)}">
{canonical_link}<link rel="stylesheet" href="/static/courier.css">
{head}</head>
<body>
<header class="masthead">
  <a class="logo" href="/">{SITE_NAME}</a>
  <p class="tagline">News from Port Ellery and the world since 1871</p>
  <nav class="primary"><ul><li><a href="/">Home</a></li>{nav}</ul></nav>
</header>
{main}
<footer class="site-footer">
  <ul><li><a href="/about/">About us</a></li><li><a href="/contact/">Contact</a></li><li><a href="/feed.xml">RSS</a></li></ul>
  <p>&copy; 2025 The Harbour Courier Ltd, 14 Quay Street, Port Ellery. All rights reserved.</p>
</footer>
</body>
</html>
"""


def courier_article(story: Story, base_url: str, related: Sequence[Story], *, charset: str) -> str:
    """Layout A. ``story.special == "malformed"`` gets unclosed tags and stray end tags."""
    url = base_url.rstrip("/") + story.path
    image = f"{base_url.rstrip('/')}/static/img/{story.slug}.png"
    section = SECTION_TITLES[story.section]
    published = story.published.isoformat()
    modified = (story.modified or story.published).isoformat()
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "headline": story.headline,
        "description": story.dek,
        "image": [image],
        "datePublished": published,
        "dateModified": modified,
        "author": [{"@type": "Person", "name": story.author, "jobTitle": story.author_role}],
        "publisher": {
            "@type": "NewsMediaOrganization",
            "name": SITE_NAME,
            "logo": {"@type": "ImageObject", "url": f"{base_url.rstrip('/')}/static/logo.png"},
        },
        "articleSection": section,
        "keywords": ", ".join(story.tags),
        "inLanguage": "en-GB",
    }
    ld_text = json.dumps(ld, ensure_ascii=False, indent=1).replace("</", "<\\/")
    og = [
        ("og:type", "article"),
        ("og:site_name", SITE_NAME),
        ("og:title", story.headline),
        ("og:description", story.dek),
        ("og:url", url),
        ("og:image", image),
        ("og:locale", "en_GB"),
        ("article:published_time", published),
        ("article:modified_time", modified),
        ("article:section", section),
    ] + [("article:tag", t) for t in story.tags]
    head = "".join(f'<meta property="{p}" content="{esc(v)}">\n' for p, v in og)
    head += f'<meta name="author" content="{esc(story.author)}">\n'
    head += f'<meta name="keywords" content="{esc(", ".join(story.tags))}">\n'
    head += f'<script type="application/ld+json">\n{ld_text}\n</script>\n'

    bad = story.special == "malformed"
    share_url = esc(url)
    updated = ""
    if story.modified and story.modified != story.published:
        updated = (
            f' <span class="updated">Updated <time datetime="{modified}">'
            f"{courier_date(story.modified)}</time></span>"
        )
    newsletter = (
        '<aside class="newsletter"><h2>Morning Briefing</h2>'
        "<p>The day’s top stories from the Courier, in your inbox at 7am every weekday.</p>"
        '<form action="/newsletter/" method="post"><input type="email" name="email" '
        'placeholder="Your email address"><button>Sign up</button></form>'
        '<p class="small">You can unsubscribe at any time. See our privacy notice.</p></aside>'
    )
    paras = []
    for i, p in enumerate(story.paragraphs):
        # Malformed page: paragraphs never closed, as a hand-edited CMS template would leave them.
        paras.append(f"<p>{esc(p)}" if bad else f"<p>{esc(p)}</p>")
        if i == 2:
            paras.append(newsletter)
    body = "\n".join(paras)
    tags = "".join(
        f'<li><a href="/tag/{tag_slug(t)}/">{esc(t)}</a>' + ("" if bad else "</li>")
        for t in story.tags
    )
    rel = "".join(
        f'<li><a href="{s.path}">{esc(s.headline)}</a>'
        f' <time datetime="{s.published.isoformat()}">{s.published.day} {s.published:%B}</time></li>'
        for s in related
    )
    kicker = (
        f"<a href=/{story.section}/ class=kicker>{section}</a>"
        if bad
        else f'<a href="/{story.section}/" class="kicker">{section}</a>'
    )
    stray = "</div></div>\n" if bad else ""
    ad_open = '<div class="ad-slot" id="mpu-1">\n' if bad else ""
    main = f"""<main class="article-page">
<article class="story">
  <p class="section-label">{kicker}</p>
  <h1 class="headline">{esc(story.headline)}</h1>
  <p class="standfirst">{esc(story.dek)}</p>
  <div class="byline">By <span rel="author" class="author">{esc(story.author)}</span>, {esc(story.author_role)}</div>
  <div class="dateline"><time datetime="{published}" class="published">{courier_date(story.published)}</time>{updated}</div>
  <div class="share-bar">Share this article:
    <a href="https://twitter.com/intent/tweet?url={share_url}">Twitter</a>
    <a href="https://www.facebook.com/sharer/sharer.php?u={share_url}">Facebook</a>
    <a href="mailto:?subject={esc(story.headline)}&amp;body={share_url}">Email</a>
    <button class="copy-link" data-url="{share_url}">Copy link</button>
  </div>
{stray}  <figure class="lead-image"><img src="/static/img/{story.slug}.png" alt="{esc(story.place)}" width="16" height="9">
    <figcaption>{esc(story.place)}. Photograph: Courier staff</figcaption></figure>
{ad_open}  <div class="article-body">
{body}
  </div>
  <ul class="tags">{tags}</ul>
</article>
<section class="related"><h2>More from the Courier</h2><ul>{rel}</ul></section>
</main>"""
    page = _courier_chrome(
        f"{story.headline} | {SITE_NAME}", story.dek, url, head, main, charset=charset
    )
    if bad:
        # No closing document tags, and a stray end tag before them.
        page = page.replace("</body>\n</html>\n", "</div>\n")
    return page


def courier_listing(
    title: str,
    canonical: str,
    teasers: Sequence[tuple[str, Story]],
    *,
    extra: str = "",
    prev_href: str = "",
    next_href: str = "",
    page_label: str = "",
) -> str:
    """A section page, tag page or the home page: a river of teasers, with pagination links."""
    items = "\n".join(
        f'<li class="teaser"><h2><a href="{esc(href)}">{esc(s.headline)}</a></h2>'
        f"<p>{esc(s.dek)}</p>"
        f'<time datetime="{s.published.isoformat()}">{s.published.day} {s.published:%B %Y}</time></li>'
        for href, s in teasers
    )
    head = ""
    nav = []
    if prev_href:
        head += f'<link rel="prev" href="{esc(prev_href)}">\n'
        nav.append(f'<a rel="prev" href="{esc(prev_href)}">Previous page</a>')
    if page_label:
        nav.append(f'<span class="page">{page_label}</span>')
    if next_href:
        head += f'<link rel="next" href="{esc(next_href)}">\n'
        nav.append(f'<a rel="next" href="{esc(next_href)}">Next page</a>')
    pager = f'<nav class="pagination">{" ".join(nav)}</nav>' if nav else ""
    main = f"""<main class="listing">
<h1>{esc(title)}</h1>
<ul class="river">
{items}
</ul>
{extra}{pager}
</main>"""
    return _courier_chrome(
        f"{title} | {SITE_NAME}", f"{title}: the latest from {SITE_NAME}", canonical, head, main
    )


def courier_notice(title: str, text: str, canonical: str) -> str:
    """A plain page in the Courier chrome: about, contact, subscriber wall, errors."""
    main = f'<main class="notice"><h1>{esc(title)}</h1><p>{esc(text)}</p></main>'
    return _courier_chrome(f"{title} | {SITE_NAME}", text, canonical, "", main)


def farm_sidebar(path: str, headlines: Sequence[str]) -> Sidebar:
    """Related, Ranking and Recommendation lists of (href, headline), drawn afresh for every page.

    Like the fixture's, the links point at numbered pages the site does not have (404).
    """
    rng = random.Random(f"{SEED}:sidebar:{path}")
    picks = rng.sample(list(headlines), 26)
    base = rng.choice((3110, 3120, 3130))  # a few overlapping id ranges, as on the fixture
    related = [(f"/news/{base + i}.html", t) for i, t in enumerate(picks[:10])]
    rank = [(f"/news/{base + i}.html", t) for i, t in enumerate(picks[10:18])]
    recommend = [(f"/reviews/{base + i}.html", t) for i, t in enumerate(picks[18:26])]
    return [related, rank, recommend]


def _farm_lists(sidebar: Sidebar) -> tuple[str, str, str]:
    related, rank, recommend = (
        "".join(f'\n      <li><a href="{href}">{esc(t)}</a></li>' for href, t in links)
        for links in sidebar
    )
    return related, rank, recommend


def farm_digg(path: str) -> int:
    return random.Random(f"{SEED}:digg:{path}").randint(120, 9800)


def _farm_chrome(title: str, keywords: str, left: str, sidebar: Sidebar) -> str:
    related, rank, recommend = _farm_lists(sidebar)
    related_block = f"""
    <div class="related"><h3>Related</h3>
    <ul>{related}
    </ul></div>"""
    return f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{esc(title)} -{FARM_NAME}</title>
<meta name="keywords" content="{esc(keywords)}">
<link rel="stylesheet" href="/static/css/style.css">
<script src="/static/js/stat.js"></script>
</head>
<body>
<div class="top"><div class="logo"><a href="/">{FARM_NAME}</a></div>
  <ul class="nav"><li><a href="/">Home</a></li><li><a href="/news/">news</a></li><li><a href="/reviews/">reviews</a></li><li><a href="/tech/">tech</a></li></ul>
</div>
<div class="main">
  <div class="left">
{left}{related_block}
  </div>
  <div class="right">
    <div class="rank"><h3>Ranking</h3>
    <ul>{rank}
    </ul></div>
    <div class="recommend"><h3>Recommendation</h3>
    <ul>{recommend}
    </ul></div>
  </div>
</div>
<div class="footer">Copyright &copy; {FARM_NAME} All rights reserved.</div>
</body>
</html>
"""


def _breadcrumb(section: str) -> str:
    return (
        f'    <div class="position">Current:<a href="/">Home</a> &gt; '
        f'<a href="/{section}/">{section}</a></div>\n'
    )


def farm_article(story: Story, sidebar: Sidebar, digg: int) -> str:
    """Layout B, the content-farm article page (given the fixture's data, it is the fixture)."""
    paras = "\n".join(f"      <p>{esc(p)}</p>" for p in story.paragraphs)
    tags = "".join(f'<li><a href="/tag/{tag_slug(t)}/">{esc(t)}</a></li>' for t in story.tags)
    left = (
        _breadcrumb(story.section)
        + f"""    <div class="title"><h1>{esc(story.headline)}</h1></div>
    <div class="info"><span><a href="#" class="view">View</a></span> <span class="time">Date:{story.published:%Y-%m-%d %H:%M:%S}</span></div>
    <div class="content">
{paras}
    </div>
    <div class="tags">
      <ul><li>In:</li>{tags}</ul>
    </div>
    <div class="digg"><a href="javascript:;" onclick="digg({digg})">veryGood! (<span id="diggnum">{digg}</span>)</a></div>"""
    )
    return _farm_chrome(story.headline, ",".join(story.tags), left, sidebar)


def farm_listing(
    section: str,
    path: str,
    stories: Sequence[Story],
    pages: int,
    page: int,
    headlines: Sequence[str],
) -> str:
    """A section page in layout B; pagination by ``?page=N``."""
    items = "".join(
        f'\n      <li><a href="{s.path}">{esc(s.headline)}</a> '
        f'<span class="time">{s.published:%Y-%m-%d}</span></li>'
        for s in stories
    )
    links = []
    for n in range(1, pages + 1):
        href = f"/{section}/" if n == 1 else f"/{section}/?page={n}"
        links.append(f"<b>{n}</b>" if n == page else f'<a href="{href}">{n}</a>')
    if page < pages:
        links.append(f'<a href="/{section}/?page={page + 1}" class="next">Next</a>')
    left = (
        _breadcrumb(section)
        + f"""    <div class="list"><ul>{items}
    </ul></div>
    <div class="pages">{" ".join(links)}</div>"""
    )
    return _farm_chrome(section, section, left, farm_sidebar(path, headlines))
