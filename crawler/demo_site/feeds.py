"""Machine-readable pages of the demo site: RSS 2.0, Atom, sitemaps (index, urlset, Google News)
and robots.txt. All absolute URLs are built on the site's base URL.

Template-B stories carry no zone on their pages; where a format needs one they are given as UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

from crawler.demo_site.pages import SECTION_TITLES, SITE_NAME
from crawler.demo_site.stories import Story


def _iso(story: Story, modified: bool = False) -> str:
    d = (story.modified or story.published) if modified else story.published
    if d.tzinfo is None:
        return (story.utc_modified if modified else story.utc_published).isoformat()
    return d.isoformat()


def _abs(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


def rss(base_url: str, stories: Sequence[Story], updated: datetime) -> str:
    items = []
    for s in stories:
        link = escape(_abs(base_url, s.path))
        creator = f"\n  <dc:creator>{escape(s.author)}</dc:creator>" if s.author else ""
        items.append(
            f"""<item>
  <title>{escape(s.headline)}</title>
  <link>{link}</link>
  <guid isPermaLink="true">{link}</guid>
  <pubDate>{format_datetime(s.utc_published if s.published.tzinfo is None else s.published)}</pubDate>{creator}
  <category>{escape(SECTION_TITLES[s.section])}</category>
  <description>{escape(s.dek or s.paragraphs[0])}</description>
</item>"""
        )
    body = "\n".join(items)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
<title>{SITE_NAME}</title>
<link>{escape(base_url)}</link>
<description>News from Port Ellery and the world</description>
<language>en-gb</language>
<lastBuildDate>{format_datetime(updated)}</lastBuildDate>
<atom:link href="{escape(_abs(base_url, "/feed.xml"))}" rel="self" type="application/rss+xml"/>
{body}
</channel>
</rss>
"""


def atom(base_url: str, stories: Sequence[Story], updated: datetime) -> str:
    entries = []
    for s in stories:
        link = escape(_abs(base_url, s.path), {'"': "&quot;"})
        author = f"\n  <author><name>{escape(s.author)}</name></author>" if s.author else ""
        entries.append(
            f"""<entry>
  <title>{escape(s.headline)}</title>
  <link rel="alternate" type="text/html" href="{link}"/>
  <id>{link}</id>
  <published>{_iso(s)}</published>
  <updated>{_iso(s, modified=True)}</updated>{author}
  <category term="{escape(SECTION_TITLES[s.section])}"/>
  <summary>{escape(s.dek or s.paragraphs[0])}</summary>
</entry>"""
        )
    body = "\n".join(entries)
    self_href = escape(_abs(base_url, "/atom.xml"))
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-GB">
<title>{SITE_NAME}</title>
<subtitle>News from Port Ellery and the world</subtitle>
<link rel="self" type="application/atom+xml" href="{self_href}"/>
<link rel="alternate" type="text/html" href="{escape(base_url)}"/>
<id>{escape(base_url)}</id>
<updated>{updated.isoformat()}</updated>
{body}
</feed>
"""


def sitemap_index(base_url: str, children: Sequence[tuple[str, datetime]]) -> str:
    items = "\n".join(
        f"<sitemap><loc>{escape(_abs(base_url, p))}</loc><lastmod>{d.isoformat()}</lastmod></sitemap>"
        for p, d in children
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{items}
</sitemapindex>
"""


def sitemap(base_url: str, stories: Sequence[Story]) -> str:
    items = "\n".join(
        f"<url><loc>{escape(_abs(base_url, s.path))}</loc>"
        f"<lastmod>{_iso(s, modified=True)}</lastmod></url>"
        for s in stories
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{items}
</urlset>
"""


def news_sitemap(base_url: str, stories: Sequence[Story]) -> str:
    items = "\n".join(
        f"""<url>
  <loc>{escape(_abs(base_url, s.path))}</loc>
  <news:news>
    <news:publication><news:name>{SITE_NAME}</news:name><news:language>en</news:language></news:publication>
    <news:publication_date>{_iso(s)}</news:publication_date>
    <news:title>{escape(s.headline)}</news:title>
    <news:keywords>{escape(", ".join(s.tags))}</news:keywords>
  </news:news>
</url>"""
        for s in stories
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
{items}
</urlset>
"""


def robots(base_url: str) -> str:
    return f"""# robots.txt for {SITE_NAME}
User-agent: *
Disallow: /private/
Disallow: /newsletter/

Sitemap: {_abs(base_url, "/sitemap.xml")}
"""


# ---------------------------------------------------------------- the other templates' feeds


def channel_rss(
    title: str,
    link: str,
    description: str,
    self_href: str,
    items: Sequence[tuple[str, str, datetime, str]],
    updated: datetime,
) -> str:
    """A plain RSS 2.0 channel of ``(url, title, aware pubDate, description)`` items, no authors."""
    body = "\n".join(
        f"""<item>
  <title>{escape(t)}</title>
  <link>{escape(u)}</link>
  <guid isPermaLink="true">{escape(u)}</guid>
  <pubDate>{format_datetime(d)}</pubDate>
  <description>{escape(desc)}</description>
</item>"""
        for u, t, d, desc in items
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>{escape(title)}</title>
<link>{escape(link)}</link>
<description>{escape(description)}</description>
<language>en</language>
<lastBuildDate>{format_datetime(updated)}</lastBuildDate>
<atom:link href="{escape(self_href)}" rel="self" type="application/rss+xml"/>
{body}
</channel>
</rss>
"""


def urlset(entries: Sequence[tuple[str, str, str]]) -> str:
    """A sitemap of ``(absolute url, lastmod, changefreq)`` entries (empty fields left out)."""
    rows = []
    for url, lastmod, changefreq in entries:
        row = f"<url><loc>{escape(url)}</loc>"
        row += f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
        row += f"<changefreq>{changefreq}</changefreq>" if changefreq else ""
        rows.append(row + "</url>")
    items = "\n".join(rows)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{items}
</urlset>
"""
