"""Finding a news site's articles without being told what their URLs look like.

Used by the news spider when a site has no ``article_patterns`` (``newsarchive crawl URL``, or a
site file that gives none):

- :func:`robots_sitemaps` reads the ``Sitemap:`` lines of a robots.txt; :data:`SITEMAP_PATHS` and
  :data:`FEED_PATHS` are the usual places to try when a site names none;
- :func:`feed_links` finds the feeds a page announces (``<link rel="alternate">``);
- :func:`page_number` / :func:`is_pagination` know the common pagination forms (``/page/N/``,
  ``list_N.html``, ``index_N.htm``, ``?page=N``) and :data:`NEXT_TEXT` the "Next"/"Older" links
  in the usual languages;
- :class:`UrlShapes` learns, per host, which URL shapes the pages themselves confirmed as articles
  and which as lists (sections, tags, authors), so links of an article shape are fetched first and
  links of a list shape are never taken for articles.
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import parse_qsl, urljoin, urlsplit

SITEMAP_PATHS = ("/sitemap.xml", "/sitemap_index.xml", "/news-sitemap.xml")
FEED_PATHS = ("/feed", "/rss", "/feed.xml", "/rss.xml", "/atom.xml", "/index.xml")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")

# "Next" / "Older" in English, French, German, Spanish, Portuguese, Italian, Dutch, Polish,
# Swedish, Danish/Norwegian, Russian, Chinese, Japanese, Korean, and the usual arrows.
NEXT_TEXT = re.compile(
    r"^\s*(?:next(?:\s+page)?|older(?:\s+(?:posts|entries|articles|stories))?|more(?:\s+stories)?"
    r"|suivant(?:e|es)?|page\s+suivante|plus\s+anciens?|weiter|nächste(?:\s+seite)?|ältere"
    r"|siguiente|anteriores|más\s+antiguos|próxima|seguinte|mais\s+antigos|successiv[oa]"
    r"|avanti|precedenti|volgende|oudere|następna|dalej|nästa|äldre|neste|næste|eldre|ældre"
    r"|следующая|далее|下一页|下一頁|次へ|次のページ|다음|›|»|→|>|>>)\W*\s*$",
    re.IGNORECASE,
)
_PAGE_IN_PATH = re.compile(r"/page/(\d+)/?$")
_PAGE_IN_NAME = re.compile(r"(?:^|/)(?:list|index|page|p)[_-](\d+)\.[a-z]{2,5}$", re.IGNORECASE)
_PAGE_PARAMS = ("page", "p", "pg", "paged", "pagina", "seite", "pagenum", "start")


def robots_sitemaps(body: bytes | str, base_url: str) -> list[str]:
    """The ``Sitemap:`` URLs of a robots.txt (absolute; any case, anywhere in the file)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    found = []
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() == "sitemap" and value.strip():
            found.append(urljoin(base_url, value.strip()))
    return found


def feed_links(root, base_url: str) -> list[str]:
    """Feeds a page announces with ``<link rel="alternate" type="application/rss+xml" ...>``."""
    found = []
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").strip().lower()
        href = (link.get("href") or "").strip()
        if "alternate" in rel and kind in FEED_TYPES and href:
            found.append(urljoin(base_url, href))
    return found


def page_number(url: str) -> int | None:
    """The page number a listing URL carries, or None (a first page usually carries none)."""
    parts = urlsplit(url)
    for pattern in (_PAGE_IN_PATH, _PAGE_IN_NAME):
        m = pattern.search(parts.path)
        if m:
            return int(m.group(1))
    for key, value in parse_qsl(parts.query):
        if key.lower() in _PAGE_PARAMS and value.isdigit():
            return int(value)
    return None


def _without_page(path: str) -> str:
    """A listing's path without its page number: ``/news/page/2/`` and ``/news/list_2.html`` ->
    ``/news/``."""
    path = _PAGE_IN_PATH.sub("/", path)
    m = _PAGE_IN_NAME.search(path)
    return path[: m.start()] + "/" if m else path


def is_next_page(current: str, candidate: str) -> bool:
    """``candidate`` is the page after ``current`` of the same listing."""
    number = page_number(candidate)
    return (
        number is not None
        and number == (page_number(current) or 1) + 1
        and is_page_of(current, candidate)
    )


def is_page_of(current: str, candidate: str) -> bool:
    """``candidate`` is a numbered page of the listing ``current`` is a page of."""
    here, there = urlsplit(current), urlsplit(candidate)
    if here.netloc != there.netloc or page_number(candidate) is None:
        return False
    base, other = _without_page(here.path), _without_page(there.path)
    directory = base if base.endswith("/") else base.rsplit("/", 1)[0] + "/"
    # /news/ -> /news/page/2/ or /news/?page=2 or /news/list_2.html; index.htm -> index_2.htm
    return other in (base, directory)


def url_shape(url: str) -> str:
    """The shape of a URL: its host and, per path segment, its kind of characters.

    ``/business/2019/0402_3.htm`` -> ``w/D/D_D.w``; ``/news/20240305/123.html`` -> ``w/D/D.w``;
    ``/world/2025/04/16/harbour-strike/`` -> ``w/D/D/D/s``; ``/tag/strikes/`` -> ``tag/w``.
    Section names are one kind (``w``), except the words that name a list page everywhere.
    """
    parts = urlsplit(url)
    shaped = [_segment_shape(seg.lower()) for seg in parts.path.split("/") if seg]
    query = "?" + "&".join(sorted(k for k, _ in parse_qsl(parts.query))) if parts.query else ""
    return f"{parts.hostname}/{'/'.join(shaped)}{'/' if parts.path.endswith('/') else ''}{query}"


def _segment_shape(segment: str) -> str:
    stem, dot, ext = segment.rpartition(".") if "." in segment else (segment, "", "")
    if re.sub(r"[-_]?\d+$", "", stem) in _LIST_WORDS:
        return re.sub(r"\d+", "D", segment)
    if re.fullmatch(r"\d+", stem):
        shape = "D"
    elif re.fullmatch(r"[^\W\d_]+", stem):
        shape = "w"
    elif re.search(r"[-_]", stem) and re.search(r"[^\W\d_]", stem):
        shape = "s"  # a slug, whatever its number of words
    else:
        shape = re.sub(r"\d+", "D", re.sub(r"[^\W\d_]+", "w", stem))
    return f"{shape}{dot}{ext}"


_LIST_WORDS = frozenset(
    {
        "tag", "tags", "topic", "topics", "category", "categories", "author", "authors", "section",
        "search", "archive", "archives", "page", "index", "list", "feed", "rss", "login", "about",
        "contact", "privacy", "terms", "subscribe", "video", "videos", "gallery", "photos",
    }
)  # fmt: skip


class UrlShapes:
    """Per-host evidence of which URL shapes are articles and which are lists."""

    def __init__(self, min_evidence: int = 3, agreement: float = 0.9) -> None:
        self.min_evidence = min_evidence
        self.agreement = agreement
        self._articles: Counter[str] = Counter()
        self._others: Counter[str] = Counter()

    def confirm(self, url: str, *, article: bool) -> None:
        """The page at ``url`` was seen to be an article (or not)."""
        (self._articles if article else self._others)[url_shape(url)] += 1

    def kind(self, url: str) -> str | None:
        """``"article"`` or ``"list"`` once the shape has enough agreeing evidence, else None."""
        shape = url_shape(url)
        articles, others = self._articles[shape], self._others[shape]
        seen = articles + others
        if seen < self.min_evidence:
            return None
        if articles >= self.agreement * seen:
            return "article"
        if others >= self.agreement * seen:
            return "list"
        return None
