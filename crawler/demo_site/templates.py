"""The demo site's templates, each a news site of its own: build one by name, or get its truth.

``courier`` is The Harbour Courier (``site.py``, the default, what ``make demo`` crawls);
``legacy`` is The Daily Ledger, a table-layout site of about 2002 (``legacy.py``); ``farm`` is
NewsPoint 24, a content farm of numeric ids (``farm.py``). The three tell the same stories in
their own words and links, and a site links nothing of another, so a crawl of one home page
stays on its template.
"""

from __future__ import annotations

import copy
import functools

from crawler.demo_site.farm import build_farm
from crawler.demo_site.legacy import build_legacy
from crawler.demo_site.site import DEFAULT_BASE_URL, SiteBuild, build_site, normalize_base_url

TEMPLATES = ("courier", "legacy", "farm")
_BUILDERS = {"courier": build_site, "legacy": build_legacy, "farm": build_farm}
# Courier manifest kinds that are HTML pages a reader can open and that are not articles.
_COURIER_NON_ARTICLES = ("home", "section", "tag", "page")


def check_template(template: str) -> str:
    if template not in _BUILDERS:
        raise ValueError(
            f"demo site template must be one of {', '.join(TEMPLATES)}, not {template!r}"
        )
    return template


def build_template(template: str, base_url: str = DEFAULT_BASE_URL, edition: int = 1) -> SiteBuild:
    """Every resource of one template's site at ``base_url``, with its manifest."""
    if edition not in (1, 2):
        raise ValueError(f"edition must be 1 or 2, not {edition!r}")
    return _BUILDERS[check_template(template)](normalize_base_url(base_url), edition)


@functools.lru_cache(maxsize=8)
def _cached_manifest(template: str, base_url: str, edition: int) -> dict:
    build = build_template(template, base_url, edition)
    if template != "courier":
        return build.manifest
    return _courier_manifest(build.manifest)


def template_manifest(template: str, base_url: str = DEFAULT_BASE_URL, edition: int = 1) -> dict:
    """Ground truth for a crawl of one template's site, the same shape for every template.

    Keys: ``template``, ``base_url``, ``edition``, ``site_name``, ``home`` (the one start URL an
    ad hoc crawl needs), ``feeds``, ``sitemaps``, ``robots`` (None where the site has none);
    ``articles`` maps each article URL to ``{url, title, authors, published, section, tags,
    description, body_paragraphs, ...}`` (``published`` is ISO 8601: aware on the Courier,
    naive on the farm, a bare date on the legacy site, as each page gives it); ``non_articles``
    lists every HTML page that answers 200 and is not an article (home, sections and their
    later pages, tags, lists, notices); ``urls`` maps every URL served to its ``kind``.
    """
    return copy.deepcopy(
        _cached_manifest(check_template(template), normalize_base_url(base_url), edition)
    )


def _courier_manifest(m: dict) -> dict:
    return {
        "template": "courier",
        "base_url": m["base_url"],
        "edition": m["edition"],
        "site_name": m["site_name"],
        "home": m["base_url"],
        "feeds": m["feeds"],
        "sitemaps": m["sitemaps"],
        "robots": m["robots"],
        "articles": {a["url"]: a for a in m["articles"]},
        "non_articles": sorted(
            u
            for u, e in m["urls"].items()
            if e["kind"] in _COURIER_NON_ARTICLES and e["status"] == 200
        ),
        "urls": m["urls"],
    }
