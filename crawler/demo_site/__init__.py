"""An offline demo news site, bundled for the demo crawl and the tests (stdlib only).

"The Harbour Courier": a home page, sections with pagination, 30 articles in two layouts (its own,
and the content-farm layout of ``data/content-farm-article.html``), tag pages, RSS and Atom feeds,
a sitemap index with a regular and a Google News sitemap, robots.txt with a disallowed /private/,
a 301, 404s, pages with broken or legacy charsets and malformed HTML, and HTTP/1.1 behaviour a
crawler must archive faithfully (gzip, chunked, ETag/Last-Modified with 304s). Edition 2 adds
three stories and changes nothing else, for re-crawl tests.

    python -m crawler.demo_site --host 127.0.0.1 --port 8765 [--edition 2] [--pid-file F]

    with DemoSite(port=0) as site:
        site.base_url, site.manifest(), site.expected_body("/world/")

Two more templates, each a whole site of its own on its own server (``templates.py``):
``DemoSite(template="legacy")``, a table-layout site of about 2002 in windows-1252 with bylines
and dates only in text (``legacy.py``), and ``DemoSite(template="farm")``, a content farm of
numeric ids with a naive ``Date:`` line, no author, a feed and a gzip'd sitemap (``farm.py``).
``template_manifest(template, base_url)`` is the ground truth of any of the three, in one shape.

``demo_manifest(base_url)`` is the ground truth a crawl is checked against; ``expected_body(url)``
the exact identity bytes the server sends. Both are deterministic for a base URL and edition.
"""

from __future__ import annotations

import copy
import functools

from crawler.demo_site.server import DemoSite
from crawler.demo_site.site import (
    ARTICLE_PATTERNS,
    DEFAULT_BASE_URL,
    SiteBuild,
    build_site,
    normalize_base_url,
)
from crawler.demo_site.templates import TEMPLATES, build_template, template_manifest

__all__ = [
    "ARTICLE_PATTERNS",
    "DEFAULT_BASE_URL",
    "TEMPLATES",
    "DemoSite",
    "SiteBuild",
    "build_site",
    "build_template",
    "demo_manifest",
    "expected_body",
    "served_body",
    "template_manifest",
]


@functools.lru_cache(maxsize=4)
def _build(base_url: str, edition: int) -> SiteBuild:
    # A pure function of its arguments; cached so that checking a whole crawl URL by URL with
    # expected_body() does not render the site hundreds of times.
    return build_site(base_url, edition)


def demo_manifest(base_url: str = DEFAULT_BASE_URL, edition: int = 1) -> dict:
    """Every URL of the site with its kind, and every article with its expected fields.

    Keys: ``base_url``, ``edition``, ``site_name``, ``start_urls`` (section pages),
    ``feeds``, ``sitemaps``, ``robots``, ``article_patterns``; ``urls`` maps each absolute URL to
    ``{kind, status, content_type, gzip, chunked, quirks, ...}`` where kind is one of home,
    section, article, tag, feed, sitemap, robots, redirect, 404, private, page, asset (articles
    add url, title, published, modified, authors, section, tags, description, image, site_name,
    language, template, special, edition, encoding, body_paragraphs, reachable_from);
    ``articles`` lists the article entries; ``redirects`` maps source to target;
    ``not_found`` and ``disallowed`` list URLs; ``aliases`` maps tracking-parameter variants
    to the article URL they show.
    """
    return copy.deepcopy(_build(normalize_base_url(base_url), edition).manifest)


def _split(path_or_url: str, base_url: str | None) -> tuple[str, str]:
    if "://" in path_or_url:
        return normalize_base_url(path_or_url), path_or_url
    return normalize_base_url(base_url or DEFAULT_BASE_URL), path_or_url


def expected_body(path_or_url: str, base_url: str | None = None, edition: int = 1) -> bytes:
    """The identity body (no gzip, no chunking) the site sends for a path or absolute URL.

    An absolute URL carries its own base URL; a bare path uses ``base_url`` (default
    http://127.0.0.1:8765/). Redirects and 404s give their small HTML bodies.
    """
    base, target = _split(path_or_url, base_url)
    return _build(base, edition).lookup(target).body


def served_body(
    path_or_url: str, gzip: bool, base_url: str | None = None, edition: int = 1
) -> bytes:
    """The entity bytes on the wire: gzip-coded if ``gzip`` and the page is served gzipped."""
    base, target = _split(path_or_url, base_url)
    res = _build(base, edition).lookup(target)
    return res.gzipped if gzip and res.gzip and res.status == 200 else res.body
