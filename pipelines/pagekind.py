"""Is a fetched page an article, a list of articles, or something else? Decided from the page.

A crawl without article URL patterns (``newsarchive crawl URL``, or a site file that gives none)
fetches every in-scope link and asks :func:`page_kind` what it got. The page says it in order of
trust:

1. what the publisher declares: a JSON-LD ``@type`` (``NewsArticle``, ``BlogPosting``, ... against
   ``CollectionPage``, ``ItemList``, ...), ``og:type``, ``article:published_time`` or an
   ``itemprop="datePublished"``;
2. what the page looks like: one block of running text long enough to be a story, in a page whose
   text is not mostly links, helped by a dated line near the top (a dated byline, ``Date: ...``);
   a list page is mostly links with headline-like anchors.

The answer carries its reasons (for stats and logs); the clean pipeline still drops a page whose
extracted text is too short, so a wrong "article" costs a fetch and a skip, not an export.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from pipelines.metadata import ARTICLE_TYPES, INDEX_TYPES, jsonld_objects

ARTICLE = "article"
LIST = "list"
OTHER = "other"

# Words of running text in the page's largest block of paragraphs.
STORY_WORDS = 150  # enough on its own
DATED_STORY_WORDS = 60  # enough beside a dated line near the top
# A story split over several containers (sections with headings between): all running text.
LONG_TEXT_WORDS = 250
LONG_TEXT_LINK_SHARE = 0.35
MAX_LINK_SHARE = 0.65  # a story page is not mostly link text (sidebars can be half of it)
HEADLINE_WORDS = 4  # a link with this many words is a headline (of another page)
MAX_HEADLINES_IN_STORY = 4  # more headline links inside the text block: a list of teasers

_WORD = re.compile(r"\w+", re.UNICODE)
_SPACE = re.compile(r"\s+")
_SKIP = frozenset({"script", "style", "noscript", "template", "svg", "head", "select", "option"})
_BOILERPLATE = frozenset({"nav", "header", "footer", "aside", "menu", "form"})
_BLOCKS = ("p", "div", "td", "li", "section", "article", "blockquote", "font", "span")
_MONTHS = (
    "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|januar|februar|märz|maerz|mai|juni|juli|"
    "oktober|dezember|janvier|février|fevrier|mars|avril|juin|juillet|août|aout|septembre|octobre|"
    "novembre|décembre|decembre|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|"
    "octubre|noviembre|diciembre|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|"
    "dicembre|janeiro|fevereiro|março|maio|junho|julho|setembro|outubro|dezembro|januari|februari|"
    "maart|mei|augustus"
)
_DATE = re.compile(
    r"\b(?:(?:19|20)\d\d[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](?:19|20)\d\d"
    rf"|(?:{_MONTHS})[a-zé]*\.?\s+\d{{1,2}},?\s+(?:19|20)\d\d"
    rf"|\d{{1,2}}\.?\s+(?:de\s+)?(?:{_MONTHS})[a-zé]*\.?\s+(?:de\s+)?(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
_DATED_LINE_CHARS = 160
_SENTENCE_WORDS = 12
_TOP_LINES = 40


@dataclass
class PageKind:
    kind: str
    reasons: list[str] = field(default_factory=list)
    words: int = 0  # running text in the largest block
    link_share: float = 0.0

    @property
    def is_article(self) -> bool:
        return self.kind == ARTICLE


def page_kind(root: etree._Element) -> PageKind:
    """What the parsed HTML page ``root`` is (see the module doc)."""
    declared = _declared(root)
    words, link_share, dated, headlines, running = _shape(root)
    if declared is not None:
        kind, reason = declared
        return PageKind(kind, [reason], words, link_share)
    reasons = [f"words={words}", f"links={link_share:.2f}", f"headlines={headlines}"]
    if link_share <= MAX_LINK_SHARE and headlines <= MAX_HEADLINES_IN_STORY:
        if words >= STORY_WORDS:
            return PageKind(ARTICLE, [*reasons, "story-length text"], words, link_share)
        if dated and words >= DATED_STORY_WORDS:
            return PageKind(ARTICLE, [*reasons, "dated text"], words, link_share)
        if running >= LONG_TEXT_WORDS and link_share <= LONG_TEXT_LINK_SHARE:
            return PageKind(ARTICLE, [*reasons, f"running={running}"], words, link_share)
    kind = LIST if link_share > MAX_LINK_SHARE or headlines > MAX_HEADLINES_IN_STORY else OTHER
    return PageKind(kind, reasons, words, link_share)


def _declared(root: etree._Element) -> tuple[str, str] | None:
    types: set[str] = set()
    for obj in jsonld_objects(root):
        t = obj.get("@type")
        for value in t if isinstance(t, list) else [t]:
            if isinstance(value, str):
                types.add(value.lower())
    if types & ARTICLE_TYPES:
        return ARTICLE, "json-ld " + ",".join(sorted(types & ARTICLE_TYPES))
    metas = {}
    for el in root.iter("meta"):
        name = (el.get("property") or el.get("name") or "").strip().lower()
        if name and el.get("content"):
            metas.setdefault(name, el.get("content").strip().lower())
    if metas.get("og:type") == "article":
        return ARTICLE, "og:type article"
    if "article:published_time" in metas:
        return ARTICLE, "article:published_time"
    if root.xpath("//*[@itemprop='datePublished'][not(ancestor::a)]"):
        has_article_scope = root.xpath(
            "//*[@itemscope][contains(@itemtype, 'Article') or contains(@itemtype, 'Posting')]"
        )
        if has_article_scope:
            return ARTICLE, "microdata article"
    index_types = {t for t in types if t in {i.lower() for i in INDEX_TYPES}} - {"website"}
    if index_types:
        return LIST, "json-ld " + ",".join(sorted(index_types))
    return None


def _shape(root: etree._Element) -> tuple[int, float, bool, int, int]:
    """(words in the largest text block, share of visible text inside links, a dated line near
    the top of the page's text, headline links inside that block, words of running text in all
    blocks of at least a sentence)."""
    body = root.find("body")
    if body is None:
        body = root
    total = linked = 0
    block_words: dict[etree._Element, int] = {}
    headlines: dict[etree._Element, int] = {}
    lines: list[str] = []
    for el, text, in_link, block in _texts(body):
        n = len(text)
        total += n
        if in_link:
            linked += n
        elif block is not None:
            block_words[block] = block_words.get(block, 0) + len(_WORD.findall(text))
        if el.tag == "a" and text is el.text and len(_WORD.findall(text)) >= HEADLINE_WORDS:
            link_block = _block_of(el)
            headlines[link_block] = headlines.get(link_block, 0) + 1
        if len(lines) < _TOP_LINES and text.strip():
            lines.append(text.strip())
    link_share = linked / total if total else 0.0
    main = max(block_words, key=block_words.get, default=None)
    words = block_words[main] if main is not None else 0
    dated = any(len(line) <= _DATED_LINE_CHARS and _DATE.search(line) for line in lines)
    running = sum(n for n in block_words.values() if n >= _SENTENCE_WORDS)
    return words, link_share, dated, headlines.get(main, 0) if main is not None else 0, running


def _texts(body: etree._Element):
    """Each text piece of ``body``, about in reading order: (element, text, inside a link, the
    block whose running text it is: the parent of its paragraph, so a story's paragraphs count
    together). Scripts, styles and navigation, header, footer and aside regions are left out."""
    flags: dict[etree._Element, tuple[bool, bool]] = {}  # element -> (in a link, left out)
    parent_of = {}
    for el in body.iter():
        parent = el.getparent() if el is not body else None
        in_link, out = flags.get(parent, (False, False)) if parent is not None else (False, False)
        tag = el.tag if isinstance(el.tag, str) else ""
        here = (in_link or tag == "a", out or tag in _SKIP or tag in _BOILERPLATE or not tag)
        flags[el] = here
        parent_of[el] = parent
        if el.text and not here[1]:
            yield el, el.text, here[0], None if here[0] else _block_of(el)
        if parent is not None and el.tail and not out:
            yield el, el.tail, in_link, None if in_link else _block_of(parent)


def _block_of(el: etree._Element | None) -> etree._Element | None:
    """The container whose paragraphs a text belongs to: the parent of the nearest block."""
    while el is not None and not (isinstance(el.tag, str) and el.tag in _BLOCKS):
        el = el.getparent()
    if el is None:
        return None
    parent = el.getparent()
    return parent if el.tag == "p" and parent is not None else el
