"""The article of one page: metadata fields, main text without boilerplate, and whether it is an
article at all. Pure functions, no Scrapy: the crawl's pipeline, ``newsarchive extract`` and the
extraction benchmark all call :func:`extract_article`.

Main text, in order:

1. the page's navigation is read (short link texts, labels of link-dense menu blocks); the site's
   learned template is cut out of the page (:mod:`pipelines.template`); lists and blocks made only
   of links, small ``<article>`` teaser cards, and blocks whose class names them as not the story
   (author boxes, related stories, newsletter, share and cookie boxes, calls to action) are
   dropped; a tiny first container candidate
   loses its container markers (structural rules: no labels, any language);
2. trafilatura, recall-leaning (``favor_recall``, comments excluded, its recovery threshold
   ``MIN_EXTRACTED_SIZE`` raised to 500 characters), and precision-leaning on a copy (the core);
3. only when the recall-leaning text is under 30 % of the page's visible text (it locked onto a
   lead paragraph or a teaser) or is navigation: trafilatura's default run on the unpruned page,
   then its baseline (JSON-LD ``articleBody``, ``<article>``, paragraphs; comment threads cut
   out first, and never one ``<article>`` read as a single run of text), each without the menus
   printed in it (three or more navigation lines in a row), taken if clearly longer, never if
   it is mostly navigation, and never if it leaves out the story the first text found;
4. section headings trafilatura lost between two paragraphs it kept are put back;
5. short lines before the core's first line and after its last (labels, tickers, bylines,
   captions, calls to action) are dropped;
6. repeated long lines (responsive layouts print the article twice) and a first line equal to the
   title are dropped; paragraphs are separated by a blank line.

``favor`` (the crawl's ``CLEAN_FAVOR``) sets the trade-off: ``precision`` drops every line outside
the core (never more text than ``balanced``); ``recall`` skips step 5 and with it the
precision-leaning run (about half the extraction's CPU).

Measured by ``bench/extraction.py`` on the dev set and on trafilatura's evaluation pages. Each page
has a byte limit and a time limit: a page over either is archived by the crawl but not extracted,
and comes back as a skip with its reason.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import sys
import threading
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
from copy import deepcopy
from itertools import groupby
from typing import Any

import trafilatura
from htmldate import find_date
from lxml import etree
from trafilatura.settings import use_config
from trafilatura.utils import load_html
from trafilatura.xpaths import BODY_XPATH, COMMENTS_DISCARD_XPATH, COMMENTS_XPATH

from pipelines.decode import NotHtml, decode_html, document_text, page_text
from pipelines.metadata import INDEX_TYPES, extract_metadata, markup_authors, normalize_date
from pipelines.result import EXTRACTOR_VERSION, FAVOR_MODES, FIELDS, empty_result
from pipelines.template import Block, SiteTemplate, adopt_trailing_content, iter_blocks
from pipelines.textmeta import TextMeta, headline_metadata, strip_text_metadata, url_date


def _default(name: str) -> Any:
    """The crawl's default of ``name`` (crawler/settings.py), for callers outside a crawl (extract
    CLI, benchmarks). Read when first needed: an extraction worker, which is always given the
    crawl's values, then never imports Scrapy (30 MB a worker)."""
    from crawler.config import project_defaults  # noqa: PLC0415 - not in the workers

    return project_defaults()[name]


_WORD = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_SPACE = re.compile(r"\s+")
_LINE_BREAKS = str.maketrans("\r\n", "  ")
# Text with a line break and words in it, outside preformatted text (the XPath does the walking:
# in C, and only the few text nodes that need it come back to Python).
_WRAPPED_TEXT = etree.XPath(
    "//text()[contains(., '\n') and normalize-space(.) != '' "
    "and not(ancestor::pre) and not(ancestor::textarea)]"
)
_LINK_LIST_MIN_ITEMS = 3
# Class tokens of blocks that are not the story (prune_named_boilerplate), and the largest share of
# the page's text such a block may hold (more is a layout class on the story's own wrapper).
_BOILERPLATE_CLASS = re.compile(
    r"(?:^|[-_ ])(?:author-?(?:bio|box|info|card|profile|details|about)|about-?(?:the-?)?author"
    r"|related|newsletter|subscribe|cookie|consent|share|sharing|social|promo|cta)(?:[-_ ]|$)"
)
_BOILERPLATE_MAX_SHARE = 0.3
_BLOCK_ELEMENTS = ("div", "section", "aside", "ul", "ol", "form", "footer")
_LINK_LIST_DENSITY = 0.8
# Plain strings: the default "smart" ones each carry a link back to their element, built per node.
_LINK_TEXT = etree.XPath(".//a//text()", smart_strings=False)
# Below this many characters, trafilatura runs its own recovery (readability, jusText); the default
# (250) lets a recall-leaning run settle for a lead paragraph on long pages.
_CONFIG = use_config()
_CONFIG.set("DEFAULT", "MIN_EXTRACTED_SIZE", "500")
# When even the precision run stays far below the page's text, trafilatura's baseline (JSON-LD
# articleBody, <article>, or all paragraphs) replaces it if it is this much longer.
_BASELINE_LONGER_BY = 2.0
# A fallback text must hold this share of the words of a first text that is a story (one paragraph
# of _STORY_LINE_CHARS or more): see _holds_story.
_HOLD_SHARE = 0.5
_STORY_LINE_CHARS = 150
# A first text with no story paragraph (a toolbar, a shop's menus) gives way to a fallback that
# holds one, shorter or not, unless that is under this share of its length (one paragraph is not
# a long list's replacement).
_STORY_FOR_LINES_SHARE = 0.25
# A precision-run text of this many story paragraphs that shares no line with the text found is
# the story, read elsewhere on the page: see _core_elsewhere.
_CORE_STORY_LINES = 2
# Nor may a fallback swap a first text of _CARD_STORY_LINES story paragraphs or more for a text whose
# additions (lines of _CARD_LINE_CHARS or more) are at least _CARDS_SHARE teaser cards: see
# _adds_teaser_cards. A card holds its paragraph, a link of _HEADLINE_CHARS or more, and at most
# _CARD_SIZE times the paragraph's text plus _CARD_SLACK characters.
_CARD_STORY_LINES = 3
_CARD_LINE_CHARS = 100
_CARDS_SHARE = 0.8
_HEADLINE_CHARS = 15
_CARD_SIZE = 2.5
_CARD_SLACK = 200
# Comment threads and the reply form (trafilatura's XPaths for them), cut before the baseline reads
# a page; trafilatura's other discard rules (hidden elements) would cut collapsed article sections.
_COMMENT_XPATHS = (*COMMENTS_XPATH, COMMENTS_DISCARD_XPATH[0])
# trafilatura.baseline's tiers, read one by one (the package exports the function under the
# module's name); None when a trafilatura release moves them: the public baseline() is used then.
_TB = sys.modules.get("trafilatura.baseline")
if not all(
    hasattr(_TB, name)
    for name in (
        "_collect_json_content",
        "_attempt",
        "_render_text",
        "basic_cleaning",
        "block_text",
        "_MIN_CONTENT_LENGTH",
    )
):
    _TB = None


# Elements trafilatura's comparison calls unclean (its SANITIZED_XPATH), and paragraph text.
_UNCLEAN = getattr(sys.modules.get("trafilatura.external"), "SANITIZED_XPATH", None)
_UNCLEAN = etree.XPath(_UNCLEAN) if _UNCLEAN else None
_PARAGRAPH_TEXT = etree.XPath(".//p//text()")


def _own_extraction_stands(raw_tree, body, text: str, options) -> bool:
    """Whether trafilatura's comparison of its own extraction (``body``, ``text``) with
    readability and jusText (``trafilatura.external.compare_extraction``) is sure to keep it.

    jusText is asked when the text is short or holds elements it calls unclean. Readability is
    taken only when its text is longer than the own text by some factor, or when the own body has
    no paragraph text and readability's is long; readability returns part of the page's text, so
    the page's whole text bounds its length (in 3,348 runs on the pages of three corpora it never
    exceeded it). Where that bound settles every rule, readability need not run: it is most of the
    comparison's time, a fifth of trafilatura's."""
    len_text = len(text)
    minimum = options.min_extracted_size
    if len_text < minimum or _UNCLEAN(body):
        return False
    bound = len(raw_tree.text_content())
    if options.focus == "recall":
        if bound > 1.5 * len_text or (bound > len_text and not body.xpath(".//head")):
            return False
    elif bound > 2 * len_text:
        return False
    # readability is also taken, when long, for an own body without paragraph text or with more
    # tables than paragraphs
    return bound <= 2 * minimum or (
        bool(_PARAGRAPH_TEXT(body)) and len(body.findall(".//table")) <= len(body.findall(".//p"))
    )


def _install_comparison_shortcut() -> None:
    """Let trafilatura skip its comparison where :func:`_own_extraction_stands`: the same result,
    without running readability. Left alone when a trafilatura release moves or changes it."""
    core = sys.modules.get("trafilatura.core")
    compare = getattr(core, "compare_extraction", None)
    code = getattr(compare, "__code__", None)
    expected = ("cleaned_tree", "raw_tree", "body", "text", "options")
    if code is None or code.co_varnames[: code.co_argcount] != expected or _UNCLEAN is None:
        return

    @functools.wraps(compare)
    def compare_extraction(cleaned_tree, raw_tree, body, text, options):
        if _own_extraction_stands(raw_tree, body, text, options):
            return body, text
        return compare(cleaned_tree, raw_tree, body, text, options)

    compare_extraction.original = compare
    core.compare_extraction = compare_extraction


_install_comparison_shortcut()


def _one_justext_stoplist() -> None:
    """Keep the stopwords of trafilatura's jusText fallback once, as the set jusText reads.

    Given no language, trafilatura passes jusText the stopwords of every language it knows, as a
    tuple (154,000 words, 13 MB); jusText makes a frozenset of lower-cased copies of them (15 MB
    more, cached) and hashes the whole tuple on every call to find that set in its cache. The
    words are lower-case already: trafilatura is given the frozenset itself, which jusText here
    takes as it is. Same words, same results, 13 MB less in each extraction process. Left as it
    is if either library no longer has these names."""
    try:
        from justext import core as jt_core  # noqa: PLC0415
        from justext.utils import get_stoplist, get_stoplists  # noqa: PLC0415
        from trafilatura import external  # noqa: PLC0415
    except ImportError:
        return
    define = getattr(jt_core, "define_stoplist", None)
    if define is None or getattr(define, "takes_frozenset", False):
        return
    if not hasattr(external, "jt_stoplist_init") or getattr(external, "JT_STOPLIST", 0) is not None:
        return  # not the trafilatura this was written for, or its tuple is already made

    def define_stoplist(stoplist):
        return stoplist if type(stoplist) is frozenset else define(stoplist)

    def jt_stoplist_init() -> frozenset[str]:
        words = frozenset(w.lower() for language in get_stoplists() for w in get_stoplist(language))
        external.JT_STOPLIST = words
        return words

    define_stoplist.takes_frozenset = True
    jt_core.define_stoplist = define_stoplist
    external.jt_stoplist_init = jt_stoplist_init


_one_justext_stoplist()


def _lean_element_classes() -> None:
    """Let trafilatura's parser make every element an ``HtmlElement`` in C.

    lxml.html's parser picks each element's Python class in Python (``HtmlElementClassLookup``:
    ``FormElement`` for ``<form>``, ``InputElement`` for ``<input>`` ...), once for every element
    object made: about 1,800 calls per page across the extraction, 4 to 7 % of a worker's time.
    Nothing in the extraction (ours, trafilatura's, readability's, jusText's, htmldate's) uses
    those form classes; every element is still an ``HtmlElement``, with the same methods, so
    results are byte for byte the same (checked on 2,400 pages). Left alone if trafilatura no
    longer parses with an lxml.html parser of its own."""
    from lxml import html  # noqa: PLC0415

    parser = getattr(sys.modules.get("trafilatura.utils"), "HTML_PARSER", None)
    if not isinstance(parser, html.HTMLParser):
        return
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=html.HtmlElement,
            comment=html.HtmlComment,
            pi=html.HtmlProcessingInstruction,
            entity=html.HtmlEntity,
        )
    )


_lean_element_classes()


class _KnownClean:
    """trafilatura's ``INVALID_XML_CHARS`` (control characters, U+FFFE and U+FFFF), whose ``sub``
    returns as it is the one text this thread said holds none of them (:func:`_load_tree`).

    trafilatura's ``load_html`` scans the whole page for those characters before parsing it: a
    third of the parse. Every text this module parses comes from :func:`decode_html` or
    :func:`page_text`, which drop the control characters already; U+FFFE and U+FFFF are found
    with a plain substring search (0.3 ms for the scan of a 50 KB page, next to nothing for the
    search)."""

    def __init__(self, pattern: re.Pattern) -> None:
        self.pattern = pattern
        self.local = threading.local()

    def sub(self, repl, string, count=0):
        if string is getattr(self.local, "text", None):
            return string
        return self.pattern.sub(repl, string, count)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pattern, name)


def _install_known_clean() -> _KnownClean | None:
    """Wrap ``trafilatura.utils.INVALID_XML_CHARS`` in :class:`_KnownClean`, if it is there and
    is what this was written for: a compiled pattern that ``load_html`` calls ``sub`` on."""
    utils = sys.modules.get("trafilatura.utils")
    pattern = getattr(utils, "INVALID_XML_CHARS", None)
    if isinstance(pattern, _KnownClean):
        return pattern
    repair = getattr(utils, "repair_faulty_html", None)
    if not isinstance(pattern, re.Pattern) or "INVALID_XML_CHARS" not in getattr(
        getattr(repair, "__code__", None), "co_names", ()
    ):
        return None
    utils.INVALID_XML_CHARS = _KnownClean(pattern)
    return utils.INVALID_XML_CHARS


_KNOWN_CLEAN = _install_known_clean()


def _load_tree(text: str) -> etree._Element | None:
    """trafilatura's ``load_html`` of ``text``, a page decoded by :func:`decode_html` or
    :func:`page_text` (so without control characters)."""
    if _KNOWN_CLEAN is None or "\ufffe" in text or "\uffff" in text:
        tree = load_html(text)
    else:
        _KNOWN_CLEAN.local.text = text
        try:
            tree = load_html(text)
        finally:
            _KNOWN_CLEAN.local.text = None
    return None if tree is None else adopt_trailing_content(tree)


# Lines of _DUP_MIN_CHARS or more met again are copies (see _unique_lines) when _COPY_RUN of them
# follow one another (or as many as _COPY_SHARE of the lines before them), or when a line's first
# print is at most _COPY_NEAR such lines back.
_DUP_MIN_CHARS = 20
_COPY_RUN = 8
_COPY_SHARE = 0.5
_COPY_NEAR = 2
# Recall-leaning extraction sometimes locks onto one small block of a long page; when its text is
# under this share of the page's visible text, the precision-leaning run gets a say.
_SHORT_SHARE = 0.3
_LONGER_BY = 1.1
_TEASER_SHARE = 0.1
# Sibling <article>s inside the main one that together hold this share of it are its entries.
_ITEMS_SHARE = 0.5
# A first container under trafilatura's own minimum text (MIN_EXTRACTED_SIZE) holding under a fifth
# of the page's text is not the article; at most this many are unmarked in turn.
_MIN_CONTAINER_CHARS = _CONFIG.getint("DEFAULT", "MIN_EXTRACTED_SIZE")
_UNMARK_PAGE_RATIO = 5
_UNMARK_MAX = 3
_HEADING_MAX_CHARS = 200
# A lost heading is placed by the words around it: up to this many, read from this many text nodes,
# and at least this many must match the kept lines on both sides.
_CONTEXT_WORDS = 8
_CONTEXT_NODES = 6
_CONTEXT_MIN_WORDS = 3
# Which way main text leans where the extraction is in doubt (CLEAN_FAVOR): ``precision`` keeps
# less around the article, ``recall`` misses less of it, ``balanced`` is measured best on both.
# Navigation, which no fallback may bring in: link texts and the labels of link-dense menu blocks,
# each a short line (a paragraph that happens to be a link is not a menu item). A text with more
# than half its characters in such lines is navigation; this many of them in a row are a menu.
_NAV_LINE_CHARS = 100
_NAV_SHARE = 0.5
_MENU_RUN = 3
_MENU_BLOCKS = ("nav", "header", "footer", "aside", "menu")
_MENU_ROLES = ("navigation", "menu", "menubar", "banner", "contentinfo")
_MENU_LINK_DENSITY = 0.5
_AWAY_LINK_TEXT = etree.XPath(".//a[not(starts-with(@href, '#'))]//text()", smart_strings=False)
_ROLE_BLOCKS = etree.XPath(
    "//*[@role][contains(' " + " ".join(_MENU_ROLES) + " ', concat(' ', @role, ' '))]"
)
# Around the lines a precision-leaning run keeps (the core), a line shorter than this is a label,
# byline, caption, ticker or call to action, not article text (balanced; precision drops every
# line outside the core).
_CORE_EDGE_CHARS = 80
# A copyright notice or photo credit: the mark, "(c) 2019", or the phrase in the usual languages.
_COPYRIGHT = re.compile(
    r"©|\(c\)\s*\d{4}|all rights reserved|alle rechte vorbehalten|tous droits réservés"
    r"|todos los derechos reservados|tutti i diritti riservati|todos os direitos reservados"
    r"|alle rechten voorbehouden",
    re.IGNORECASE,
)
_COPYRIGHT_MAX_CHARS = 200
# Links to the rest of a page, in the main European languages.
_READ_MORE = (
    "read more", "continue reading", "weiterlesen", "mehr lesen", "lire la suite", "leer más",
    "continua a leggere", "leia mais", "lees meer",
)  # fmt: skip
# A page's interface printed as a line of its own: links to more, ad labels, widget headings.
_INTERFACE_LABELS = frozenset(_READ_MORE) | {
    "click here", "show more", "load more", "table of contents", "advertisement",
    "mehr anzeigen", "zum artikel", "bild anzeigen", "bild schließen", "inhaltsverzeichnis",
    "anzeige", "werbung", "publicité", "publicidad", "pubblicità",
}  # fmt: skip
_TEASER_MORE = re.compile(
    r"(?:\s|…|\.\.\.|\[…\]|\[\.\.\.\])\s*(?:" + "|".join(_READ_MORE) + r")\W{0,3}$", re.IGNORECASE
)
_LABEL_MARKS = "-*•|>»…. :"
_TEASER_ENDS = ("...", "…", "[…]", "[...]", "(...)", "(…)")
_CORE_KEY_CHARS = 50


class _Timeout(Exception):
    pass


def word_count(text: str) -> int:
    # Scripts written without spaces count a character as a word, as word processors do.
    cjk = len(_CJK.findall(text))
    return len(_WORD.findall(_CJK.sub(" ", text))) + cjk


def parse_page(
    body: bytes | str, *, declared_encoding: str | None = None, decoded: bool = False
) -> tuple[etree._Element | None, str | None, str]:
    """(tree, encoding, text) of a page body; tree is None when there is nothing to parse.
    ``decoded``: ``body`` is :func:`~pipelines.decode.page_text`'s text already (control
    characters dropped), not read again."""
    if isinstance(body, bytes):
        text, encoding = decode_html(body, declared_encoding)
    elif decoded:
        text, encoding = body, None
    else:
        text, encoding = page_text(body)
    text = document_text(text)
    return _load_tree(text), encoding, text


def visible_text_length(tree: etree._Element) -> int:
    """Characters of text a reader could see (scripts and styles must be gone already)."""
    body = tree.find("body")
    if body is None:
        return 0
    # str.split in C: a regex over the whole page's text costs more
    return len(" ".join(etree.tostring(body, method="text", encoding="unicode").split()))


def prune_link_lists(tree: etree._Element) -> None:
    """Drop lists and blocks that are all links (related, most-read, tag, share) before extraction.

    A structural rule, no labels: a list of three or more items whose text is mostly link text
    points at other pages; recall-leaning extraction would otherwise keep some of them. Block
    containers (``div``, ``section``, ``aside``, ``nav``) of three or more children count as lists
    too: teaser-card grids and link columns are built from them as often as from ``<ul>``.
    """
    for lst in list(tree.iter("ul", "ol", "div", "section", "aside", "nav")):
        if lst.tag in ("ul", "ol"):
            if sum(1 for li in lst if li.tag == "li") < _LINK_LIST_MIN_ITEMS:
                continue
        elif len(lst) < _LINK_LIST_MIN_ITEMS:
            continue
        # str.split() drops whitespace in C; a regex over every nested block's text costs more
        links = len("".join("".join(_LINK_TEXT(lst)).split()))
        if not links or lst.getparent() is None:
            continue
        text = len("".join(lst.text_content().split()))
        if links >= _LINK_LIST_DENSITY * text:
            lst.drop_tree()


def prune_teaser_articles(tree: etree._Element) -> None:
    """Drop the small ``<article>`` cards (teasers of other stories) beside the page's main one.

    Trafilatura takes the first ``<article>`` it meets as the main container; on a page whose first
    ``<article>`` is a related-story card it then falls back to loose paragraphs. A structural rule:
    among several ``<article>`` elements, one holding under a tenth of the largest one's text and
    not containing it is a card (cards nested inside the main one included), unless it is one of
    the entries of a list article: sibling ``<article>`` elements inside the main one that together
    hold ``_ITEMS_SHARE`` of its text (a ranked guide's products, a restaurant list).
    """
    articles = list(tree.iter("article"))
    if len(articles) < 2:
        return
    sizes = {a: len(_SPACE.sub("", a.text_content() or "")) for a in articles}
    main = max(articles, key=sizes.get)
    keep = set(main.iterancestors()) | {main}
    siblings: dict[etree._Element, list[etree._Element]] = defaultdict(list)
    for art in articles:
        if art is not main and main in art.iterancestors():
            siblings[art.getparent()].append(art)
    for group in siblings.values():
        if len(group) >= 2 and sum(sizes[a] for a in group) >= _ITEMS_SHARE * sizes[main]:
            keep.update(group)
    for art in articles:
        if (
            art not in keep
            and sizes[art] < _TEASER_SHARE * sizes[main]
            and art.getparent() is not None
        ):
            art.drop_tree()


def prune_named_boilerplate(tree: etree._Element, visible: int) -> None:
    """Drop the blocks a page names as not the story: author boxes, related stories, newsletter
    and subscription boxes, cookie notices, share bars, promotions and calls to action (a class
    token of ``_BOILERPLATE_CLASS``, on a block element).

    Trafilatura discards blocks by such names itself, but all or none: when anything it would
    discard holds most of the page (a layout class such as ``hide-bottom-border`` on the wrapper
    of every block), it keeps them all. Here each block is judged alone: one that holds under
    ``_BOILERPLATE_MAX_SHARE`` of the page's ``visible`` text and no ``<h1>`` goes. Classes only:
    ids are often made from a heading ("sharing-with-a-team"), and inline elements are left alone
    (a code sample's ``hljs-comment``).
    """
    for element in list(tree.iter(*_BLOCK_ELEMENTS)):
        if element.getparent() is None or not _BOILERPLATE_CLASS.search(
            (element.get("class") or "").lower()
        ):
            continue
        size = len(" ".join(element.text_content().split()))
        if size < _BOILERPLATE_MAX_SHARE * visible and element.find(".//h1") is None:
            element.drop_tree()


_NAMED_FOOTER = etree.XPath(
    "//body//*[contains(translate(@class, 'FOOTER', 'footer'), 'footer')"
    " or contains(translate(@id, 'FOOTER', 'footer'), 'footer')]"
)
# A block named a footer that holds this share of the page's text is the story's wrapper.
_FOOTER_STORY_SHARE = 0.5


def unmark_story_footers(tree: etree._Element, visible: int) -> None:
    """Take a footer's name off a block that holds most of the page's text.

    Trafilatura (its main run and its baseline alike) drops every block whose class or id
    says ``footer``; a layout that puts the story's list of entries in a "page-footer" below
    the introduction (a restaurant guide, a ranked list) then loses all of it. A footer holds
    links and a few lines, not most of what a reader sees: a block named so that holds
    ``_FOOTER_STORY_SHARE`` of the page's ``visible`` text keeps its text and loses the name.
    """
    for element in _NAMED_FOOTER(tree):
        size = len(" ".join(element.text_content().split()))
        if size >= _FOOTER_STORY_SHARE * visible:
            element.attrib.pop("class", None)
            element.attrib.pop("id", None)


# Class-name parts by which trafilatura drops a block as a small interface part (its "UI meta"
# tokens but "rating" and "slide", a review box's and a slideshow's own text, measured both ways;
# and "embed", an embedded post).
_UI_PART_NAMES = (
    "-icon",
    "meta",
    "overlay",
    "viewport",
    "attachment",
    "timestamp",
    "user-info",
    "user-profile",
    "article-infos",
    "message-container",
    "embed",
)
_UI_PART_BLOCKS = ("div", "section", "span", "p")
# A block holding this many story paragraphs (_STORY_LINE_CHARS or more) is no interface part.
_UI_PART_STORY_MIN = 2
# Trafilatura drops a block whose class holds "bar" (a sidebar, a toolbar); one that also holds
# _BAR_STORY_SHARE of the page's story paragraphs is the layout beside the sidebar.
_BAR_NAME = "bar"
_BAR_STORY_SHARE = 0.5
# Entries of a list article, each in a block of the same class holding one story paragraph: this
# many sibling blocks that together hold _ENTRIES_STORY_SHARE of the page's story paragraphs.
_ENTRIES_MIN = 3
_ENTRIES_STORY_SHARE = 0.15
# A site builder's HTML block ("w-embed") holding a data table of this many rows is the story's.
_EMBED_NAME = "embed"
_EMBED_TABLE_ROWS = 5
# Names trafilatura finds inside longer class words, each with the shape of a word that is one:
# "bar" or "bars" ending the word or a part of it (sidebar, navbar-toggle; not "bard",
# "contentbarheader"), "expand" not as the state "expanded" (an open answer is shown).
_NAMES_IN_WORDS = (
    ("bar", re.compile(r"bars?(?![a-z])", re.IGNORECASE)),
    ("expand", re.compile(r"expand(?!ed)", re.IGNORECASE)),
)
# An id of this many words that begin the block's first heading is an anchor made from it.
_ID_HEADING_WORDS = 3
_NOT_ID_LETTER = re.compile(r"[^a-z0-9]+")
_HEADINGS = ("h1", "h2", "h3", "h4")


def _story_paragraphs(element: etree._Element) -> int:
    return sum(1 for p in element.iter("p") if len(_spaced(p.text_content())) >= _STORY_LINE_CHARS)


def _story_lines(text: str) -> int:
    """How many of a text's paragraphs (lines between blank lines) are story paragraphs."""
    return sum(1 for line in text.split("\n\n") if len(_spaced(line)) >= _STORY_LINE_CHARS)


def unmark_story_ui_names(tree: etree._Element) -> None:
    """Take the names of interface parts off the class of a block that holds the story.

    Trafilatura drops a block whose class holds "-icon", "meta", "overlay", "embed" ... (an
    icon, a byline's metadata, a modal, an embedded post) or "bar" (a sidebar). Layouts also name a
    block's look so: an accordion that holds a buying guide's methodology is
    ``kt-accordion-wrap kt-accodion-icon-style-arrow``, a site builder's HTML block ``w-embed``,
    a story's wrapper ``main-with-sidebar`` or ``sidebar-layout``; all of it went. An icon or a
    timestamp holds no paragraphs: a block holding ``_UI_PART_STORY_MIN`` story paragraphs loses
    the words naming interface parts (:data:`_UI_PART_NAMES`) and keeps its other class words. A
    real sidebar may hold a few paragraphs (an author's note, a teaser): the words with "bar" go
    only when the block holds ``_BAR_STORY_SHARE`` of the page's story paragraphs too.

    Two more kinds of block hold the story with fewer paragraphs: a list's entries, each a block
    of one class holding one paragraph (``mover-profile embed``, :func:`_is_entry`), and a site
    builder's HTML block holding a data table (``w-embed`` around a comparison table of
    ``_EMBED_TABLE_ROWS`` rows; a product card's three-row spec table is not one).

    Trafilatura matches these names anywhere in a word, and ids too: a block holding a story
    paragraph loses the class words that only hold the letters of one ("bard",
    "contentbarheader", "answer_expanded": :data:`_NAMES_IN_WORDS`), and a section whose id is its
    heading's words ("menu-innovation-..." over "Menu Innovation Strategies") loses the id
    (:func:`_id_from_heading`).
    """
    total = None
    # renamed once all blocks are judged: a list's later entries still see their siblings' names
    renamed: list[tuple[etree._Element, str]] = []
    entries: dict[tuple[etree._Element, str], bool] = {}
    for element in tree.iter(*_UI_PART_BLOCKS):
        names = element.get("class")
        if not names:
            continue
        parts = tuple(part for part in (*_UI_PART_NAMES, _BAR_NAME) if part in names)
        words = names.split()
        lookalikes = {word for word in words if _names_nothing(word)}
        if not (parts or lookalikes):
            continue
        story = _story_paragraphs(element)
        gone = lookalikes if story else set()
        if story < _UI_PART_STORY_MIN:
            if _EMBED_NAME in parts and _holds_data_table(element):
                parts = (_EMBED_NAME,)
            else:
                total = _story_paragraphs(tree) if total is None else total
                if story < 1 or not _is_entry(element, names, total, entries):
                    parts = ()
        if _BAR_NAME in parts:
            total = _story_paragraphs(tree) if total is None else total
            if story < _BAR_STORY_SHARE * total:
                parts = tuple(part for part in parts if part != _BAR_NAME)
        gone.update(w for w in words if any(part in w for part in parts))
        if gone:
            renamed.append((element, " ".join(w for w in words if w not in gone)))
    for element, names in renamed:
        element.set("class", names)
    for element in tree.iter("div", "section"):
        if _id_from_heading(element):
            del element.attrib["id"]


def _id_from_heading(element: etree._Element) -> bool:
    """Whether the block's id is its first heading's words joined (``menu-innovation-strategies``
    on "Menu Innovation Strategies: ..."): a section's anchor, not a name of what the block is."""
    id_words = [word for word in re.split(r"[-_]+", (element.get("id") or "").lower()) if word]
    if len(id_words) < _ID_HEADING_WORDS:
        return False
    heading = next(element.iter(*_HEADINGS), None)
    if heading is None:
        return False
    # as slugs are made: accents folded, punctuation dropped ("Otter's cafés" -> otters-cafes)
    folded = unicodedata.normalize("NFKD", heading.text_content().lower())
    heading_letters = _NOT_ID_LETTER.sub("", folded.encode("ascii", "ignore").decode())
    return heading_letters.startswith("".join(id_words))


def _names_nothing(word: str) -> bool:
    """Whether a class word holds one of trafilatura's names only as letters of another word."""
    lowered = word.lower()
    return any(name in lowered and not shape.search(word) for name, shape in _NAMES_IN_WORDS)


def _holds_data_table(element: etree._Element) -> bool:
    return any(len(table.xpath(".//tr")) >= _EMBED_TABLE_ROWS for table in element.iter("table"))


def _is_entry(element: etree._Element, names: str, total: int, judged: dict) -> bool:
    """Whether ``element`` is one of a list's entries: ``_ENTRIES_MIN`` sibling blocks of its class,
    each holding a story paragraph, together ``_ENTRIES_STORY_SHARE`` of the page's ``total``.
    ``judged`` keeps the answer for the siblings (a list of a thousand is counted once)."""
    parent = element.getparent()
    if parent is None:
        return False
    if (parent, names) not in judged:
        counts = [_story_paragraphs(sibling) for sibling in parent if sibling.get("class") == names]
        judged[parent, names] = (
            len(counts) >= _ENTRIES_MIN
            and min(counts) >= 1
            and sum(counts) >= _ENTRIES_STORY_SHARE * total
        )
    return judged[parent, names]


def unmark_small_containers(tree: etree._Element, visible: int) -> None:
    """Take the container markers off a tiny block trafilatura would take as the article.

    Trafilatura uses the first element its container XPaths match (``class="post"``, ``<article>``,
    ``itemprop="articleBody"`` ...); when that is a teaser card or a byline box, its text is under
    trafilatura's own minimum and it falls back to loose paragraphs from the whole page. Renaming
    such a block to a plain ``<div>`` without class or id keeps its text in the page but lets the
    next candidate container be found. Only when the block holds a small share of the page's text.
    """
    for _ in range(_UNMARK_MAX):
        first = None
        for expr in BODY_XPATH:
            first = next((found for found in expr(tree) if found is not None), None)
            if first is not None:
                break
        if first is None:
            return
        size = len(" ".join(first.text_content().split()))
        if size >= _MIN_CONTAINER_CHARS or size * _UNMARK_PAGE_RATIO >= visible:
            return
        first.tag = "div"
        for attr in ("class", "id", "itemprop", "role"):
            first.attrib.pop(attr, None)


def section_headings(tree: etree._Element) -> list[tuple[tuple[str, ...], str, tuple[str, ...]]]:
    """(words before, heading, words after) for each short ``<h1>``-``<h6>`` of a tree.

    Read from the page itself, not from trafilatura's output: its recovery pass (taken when the
    container it chose holds little text) keeps paragraphs but never headings. The words around a
    heading are read across text nodes (a paragraph may open with a link or bold text).
    """
    heads = list(tree.iter("h1", "h2", "h3", "h4", "h5", "h6"))
    if not heads:
        return []
    owner = {el: head for head in heads for el in head.iter()}
    # One pass over the page's text nodes in reading order, each tagged with its heading (or None).
    runs: list[tuple[etree._Element | None, str]] = []
    for node in tree.xpath("//text()[normalize-space()]"):
        parent = node.getparent()
        if parent is None:
            continue
        holder = parent.getparent() if node.is_tail else parent
        runs.append((owner.get(holder), str(node)))
    found = []
    k = 0
    while k < len(runs):
        head = runs[k][0]
        if head is None:
            k += 1
            continue
        end = k
        while end < len(runs) and runs[end][0] is head:
            end += 1
        text = _SPACE.sub(" ", " ".join(t for _, t in runs[k:end])).strip()
        before = _words(" ".join(t for _, t in runs[max(0, k - _CONTEXT_NODES) : k]))
        after = _words(" ".join(t for _, t in runs[end : end + _CONTEXT_NODES]))
        before, after = before[-_CONTEXT_WORDS:], after[:_CONTEXT_WORDS]
        if len(text) <= _HEADING_MAX_CHARS and before and after:
            found.append((before, text, after))
        k = end
    return found


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text))


def restore_headings(
    text: str, headings: list[tuple[tuple[str, ...], str, tuple[str, ...]]]
) -> str:
    """Put back a section heading that extraction lost between two paragraphs it kept.

    A heading goes back only between the line that ends with the words before it in the page and
    the line that starts with the words after it: a heading inside the kept article is content (the
    truth keeps headings on their own lines); a heading next to a block that was dropped stays out.
    """
    if not text or not headings:
        return text
    lines = text.split("\n\n")
    # A line's words are read only when its first word could match (most lines never are).
    firsts = [_first_word(line) for line in lines]
    words: list[tuple[str, ...] | None] = [None] * len(lines)

    def words_of(k: int) -> tuple[str, ...]:
        if words[k] is None:
            words[k] = _words(lines[k])
        return words[k]

    for before, heading, after in headings:
        own = _words(heading)
        if any(firsts[k] == own[:1] and words_of(k) == own for k in range(len(lines))):
            continue  # already there
        for k in range(1, len(lines)):
            if firsts[k] != after[:1]:
                continue
            if _starts(words_of(k), after) and _ends(words_of(k - 1), before):
                lines.insert(k, heading)
                firsts.insert(k, own[:1])
                words.insert(k, own)
                break
    return "\n\n".join(lines)


def _first_word(line: str) -> tuple[str, ...]:
    match = _WORD.search(line)
    return (match.group(),) if match else ()


def _starts(line: tuple[str, ...], context: tuple[str, ...]) -> bool:
    # A line shorter than the context matches whole (a label or one-line paragraph).
    n = min(len(line), len(context))
    return (n >= _CONTEXT_MIN_WORDS or n == len(line) > 0) and line[:n] == context[:n]


def _ends(line: tuple[str, ...], context: tuple[str, ...]) -> bool:
    n = min(len(line), len(context))
    return (n >= _CONTEXT_MIN_WORDS or n == len(line) > 0) and line[-n:] == context[-n:]


def navigation_lines(tree: etree._Element) -> frozenset[str]:
    """The page's navigation as whitespace-normalized lines: every short text of a link to another
    page, and every short text of a link-dense menu block (``nav``, ``header``, ``footer``,
    ``aside``, ``menu``, or an ARIA navigation, menu, banner or footer role). Read before anything
    is cut out of the page."""
    lines = set()
    for link in tree.iter("a"):
        if (link.get("href") or "").startswith("#"):
            continue  # a table of contents points into the article: its entries are headings
        text = " ".join(link.text_content().split())
        if 0 < len(text) <= _NAV_LINE_CHARS:
            lines.add(text)
    blocks = {*tree.iter(*_MENU_BLOCKS), *_ROLE_BLOCKS(tree)}
    for block in blocks:
        # str.split() drops whitespace in C; a regex over every nested block's text costs more
        links = len("".join("".join(_AWAY_LINK_TEXT(block)).split()))
        if not links or links < _MENU_LINK_DENSITY * len("".join(block.text_content().split())):
            continue
        for piece in block.itertext():
            text = " ".join(piece.split())
            if 0 < len(text) <= _NAV_LINE_CHARS:
                lines.add(text)
    return frozenset(lines)


def _nav_key(line: str) -> str:
    # List items come out as "- item", table rows as "| cell |".
    return " ".join(line.strip("-*•|> \t").split())


def navigation_share(text: str, navigation: frozenset[str]) -> float:
    """Share of ``text``'s characters in lines that are the page's navigation."""
    lines = [_nav_key(line) for line in text.splitlines()]
    total = sum(len(line) for line in lines)
    if not total:
        return 0.0
    return sum(len(line) for line in lines if line in navigation) / total


def drop_menus(text: str, navigation: frozenset[str]) -> str:
    """``text`` without the menus printed in it: runs of ``_MENU_RUN`` or more navigation lines."""
    lines = [line for line in text.splitlines() if line.strip()]
    kept: list[str] = []
    run: list[str] = []
    for line in [*lines, ""]:
        if line and _nav_key(line) in navigation:
            run.append(line)
            continue
        if len(run) < _MENU_RUN:
            kept.extend(run)
        run = []
        if line:
            kept.append(line)
    return "\n\n".join(kept)


def drop_boilerplate_lines(text: str) -> str:
    """``text`` without the lines that are never an article's: copyright notices and photo credits
    ("© 2023 NPR. All rights reserved.", "Image: © Getty Images": a short line holding a copyright
    mark or phrase), a page's interface labels standing alone ("Read more", "Weiterlesen",
    "Advertisement", "Anzeige", "Table of contents", "Show more"), and teasers that end in a link
    to the rest of another page ("... guiding them through Read More", "… Weiterlesen")."""
    return "\n\n".join(
        line
        for line in text.split("\n\n")
        if (len(line) >= _COPYRIGHT_MAX_CHARS or not _COPYRIGHT.search(line))
        and " ".join(line.strip(_LABEL_MARKS).split()).casefold() not in _INTERFACE_LABELS
        and not _TEASER_MORE.search(line)
    )


def trim_to_core(text: str, core: str, max_chars: float = _CORE_EDGE_CHARS) -> str:
    """``text`` without the lines shorter than ``max_chars`` before the first and after the last
    line it shares with ``core``, the precision-leaning run's text of the same page.

    The recall-leaning run starts and ends wider: section labels, tickers, standfirsts, bylines,
    date lines, captions and calls to action come with it. What lies between the core's first and
    last line stays (that is where recall finds what precision missed), and so do long paragraphs
    and tables around it (a table's rows count together: :func:`_unit_sizes`), unless they are
    teasers of other stories cut short (:func:`_cut_short`). Without a line in common, ``text`` is
    returned as it is.
    """
    if not text or not core:
        return text
    keys = {_core_key(line) for line in core.split("\n\n")} - {""}
    lines = text.split("\n\n")
    shared = [k for k, line in enumerate(lines) if _core_key(line) in keys]
    if not shared:
        return text
    first, last = shared[0], shared[-1]
    size = _unit_sizes(lines)
    return "\n\n".join(
        line
        for k, line in enumerate(lines)
        if first <= k <= last or (size[k] >= max_chars and not _cut_short(line, k > last))
    )


def _unit_sizes(lines: list[str]) -> list[int]:
    """Each line's length, but a table row's is its table's (the rows that follow one another):
    at the text's edges a table stays or goes whole, its short rows with its long ones."""
    sizes = [len(_spaced(line)) for line in lines]
    for is_row, run in groupby(range(len(lines)), key=lambda k: lines[k].startswith("|")):
        if is_row:
            rows = list(run)
            table = sum(sizes[k] for k in rows)
            for k in rows:
                sizes[k] = table
    return sizes


def _cut_short(line: str, after: bool) -> bool:
    """Whether a long line outside the core is another story's excerpt cut short: it ends in an
    ellipsis ("War Volkswagen anfangs vom ...", "[…]"), or, ``after`` the story, it stops inside a
    sentence, on a comma or a lowercase word ("... At O'Malley Tunstall,", "... this challengin").

    Above the story a standfirst often ends without a full stop ("Il Nord mantiene temperature
    alte"), and below it a credit or a link may ("Editing by Simon Cameron-Moore", an address):
    those stay. Table rows and list items are not sentences, and stay too.
    """
    end = line.rstrip()
    if end.endswith(_TEASER_ENDS):
        return True
    if not after or end[:1] in "|-*" or len(end) < 2:
        return False
    word = end.split()[-1]
    return end[-1] == "," or (word.isalpha() and word[0].islower())


def _core_elsewhere(text: str, core: str) -> bool:
    """Whether ``core``, the precision-leaning run's text, is a story (``_CORE_STORY_LINES``
    paragraphs of ``_STORY_LINE_CHARS`` or more) that shares no line with ``text``.

    The two runs then read different parts of the page: the recall-leaning run (or a fallback
    after it) a programme description beside the news item, a teaser list, the whole page; the
    stricter run the story's own container. Its text is the story.
    """
    if not text or not core:
        return False
    keys = {_core_key(line) for line in text.split("\n\n")} - {""}
    shared = any(_core_key(line) in keys for line in core.split("\n\n") if _core_key(line))
    return not shared and _story_lines(core) >= _CORE_STORY_LINES


def add_core_lines(text: str, core: str) -> str:
    """``text`` followed by the short lines that end ``core`` (the precision-leaning run's text of
    the same page) after the last line the two share, when ``text`` lost them.

    The recall-leaning run reads the page wider, yet now and then drops the story's closing line
    (a short credit, "Additional reporting by ...") that the precision-leaning run kept, depending
    on what else the page held: a closing line the stricter run judged content is content.
    """
    if not text or not core:
        return text
    lines = text.split("\n\n")
    keys = {_core_key(line) for line in lines}
    tail: list[str] = []
    for line in reversed(core.split("\n\n")):
        key = _core_key(line)
        if key in keys:
            break
        if len(_spaced(line)) >= _CORE_EDGE_CHARS:
            return text  # a paragraph: the runs disagree on where the story ends, not on a credit
        if key:
            tail.append(line)
    else:
        return text  # no line in common: not the same text
    if not tail or _core_key(lines[-1]) != key:
        return text  # the core's last shared line is not where the text ends: nothing was cut off
    return "\n\n".join([*lines, *reversed(tail)])


def _core_key(line: str) -> str:
    return _spaced(line)[:_CORE_KEY_CHARS]


def _spaced(line: str) -> str:
    return " ".join(line.split())


def main_text(tree: etree._Element, url: str | None = None, *, lean: str = "recall") -> str:
    """Main text of a (template-stripped) tree, paragraphs separated by a blank line; ``lean`` is
    trafilatura's ``recall``, ``precision`` or default (``balanced``) run.

    The tree is left as it was: trafilatura (since 1.12) prunes a copy of the tree it is given.
    """
    text = trafilatura.extract(
        tree,
        url=url,
        include_comments=False,
        favor_recall=lean == "recall",
        favor_precision=lean == "precision",
        with_metadata=False,
        config=_CONFIG,
        deduplicate=False,  # trafilatura's dedupe cache is process-wide: pages would leak into others
    )
    if not text:
        return ""
    return "\n\n".join(_unique_lines(text))


def _unique_lines(text: str) -> list[str]:
    """The non-empty lines of ``text``, stripped, without the copies of the article a page prints
    more than once.

    Responsive layouts print the same article twice or three times (desktop, mobile, hidden tab),
    and the same card twice in a row (an image's and a text's version of it). Of the lines of
    ``_DUP_MIN_CHARS`` or more, one met again is such a copy when it is part of a run of lines
    all met before, of ``_COPY_RUN`` lines or of ``_COPY_SHARE`` of the lines before the run (a
    short article printed twice), or when its first print is at most ``_COPY_NEAR`` of them back.
    What a text repeats by itself stays: a training plan's "Warm up: 10-20 minutes of easy
    jogging" in every week, a course list's "Note: students must know ..." under each course, a
    label ("Key features", a table's row heading) between new lines.
    """
    # runs of spaces inside a line are a source's wrapped lines joined (join_wrapped_lines)
    lines = [
        " ".join(line.split()) if "  " in line else line
        for raw_line in text.split("\n")
        if (line := raw_line.strip())
    ]
    # positions, among the lines long enough to tell a copy by, of each such line
    long_lines = [k for k, line in enumerate(lines) if len(line) >= _DUP_MIN_CHARS]
    last_seen: dict[str, int] = {}
    again = [False] * len(long_lines)
    copy: set[int] = set()
    for n, k in enumerate(long_lines):
        first = last_seen.get(lines[k])
        if first is not None:
            again[n] = True
            if n - first <= _COPY_NEAR:
                copy.add(k)
        last_seen[lines[k]] = n
    if not any(again):
        return lines
    start = 0
    for repeated, run in groupby(again):
        size = sum(1 for _ in run)
        if repeated and size >= min(_COPY_RUN, _COPY_SHARE * start):
            copy.update(long_lines[start : start + size])
        start += size
    return [line for k, line in enumerate(lines) if k not in copy]


def extract_article(
    body: bytes | str,
    url: str,
    *,
    declared_encoding: str | None = None,
    template: SiteTemplate | None = None,
    hints: dict | None = None,
    max_bytes: int | None = None,
    timeout: float | None = None,
    min_words: int | None = None,
    favor: str = "balanced",
    observe: Callable[[list[Block]], SiteTemplate | None] | None = None,
    decoded: bool = False,
) -> dict[str, Any]:
    """Every article field of one page, plus ``is_article`` and ``skip_reason``.

    ``body`` is the page as bytes (decoded here: header charset ``declared_encoding``, then the
    page's ``<meta>``, then detection) or as already-decoded text. ``template`` is the site's learned
    template; ``hints`` what a feed or news sitemap said of the page (used where the page is silent).
    ``favor`` is ``balanced``, ``precision`` or ``recall`` (see the module's docstring).
    ``observe``: called with the page's template blocks (:func:`~pipelines.template.iter_blocks`)
    as soon as it is parsed, before anything is cut; it returns the template to strip the page
    with (the learner's, once it has learned from this page), which replaces ``template``, and
    the page's blocks are not cut again for stripping. Not called for a page that never parses.
    ``decoded``: ``body`` is text from :func:`~pipelines.decode.page_text` (the crawl decoded
    it), so it is not scanned for control characters again.
    Never raises on bad input: a page that cannot be cleaned comes back with ``is_article`` False and
    a ``skip_reason`` (``too_large``, ``not_html``, ``empty``, ``timeout``, ``no_text``,
    ``too_short``, ``index_page``).
    """
    if favor not in FAVOR_MODES:
        raise ValueError(f"favor={favor!r}: expected one of {', '.join(FAVOR_MODES)}")
    max_bytes = int(_default("CLEAN_MAX_BYTES")) if max_bytes is None else max_bytes
    timeout = float(_default("CLEAN_TIMEOUT")) if timeout is None else timeout
    min_words = int(_default("CLEAN_MIN_WORDS")) if min_words is None else min_words
    size = len(body) if isinstance(body, bytes) else len(body.encode("utf-8", "ignore"))
    if size > max_bytes:
        return empty_result(url, "too_large")
    deadline = time.monotonic() + timeout
    try:
        return _extract(
            body,
            url,
            declared_encoding,
            template,
            hints or {},
            deadline,
            min_words,
            favor,
            observe,
            decoded,
        )
    except NotHtml:
        return empty_result(url, "not_html")
    except _Timeout:
        return empty_result(url, "timeout")


def _without_site(names: list[str], site: list[str]) -> list[str]:
    """The people among ``names``, read where the metadata named only the site: without the
    site's own name printed beside them ("Brian Truitt USA TODAY"), and of two words or more (what
    is left of "El Colombiano Contactar", a section's or an agency's short name)."""
    out = []
    for name in names:
        person = name
        for own in site:
            person = re.sub(rf"\s*{re.escape(own)}\s*", " ", person, flags=re.IGNORECASE)
        if len(person.split()) >= 2:
            out.append(" ".join(person.split()))
    return out


def _check(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise _Timeout


def _extract(
    body,
    url,
    declared_encoding,
    template,
    hints,
    deadline,
    min_words,
    favor="balanced",
    observe=None,
    decoded=False,
) -> dict[str, Any]:
    tree, encoding, html_text = parse_page(
        body, declared_encoding=declared_encoding, decoded=decoded and isinstance(body, str)
    )
    blocks = None
    if observe is not None and tree is not None:
        blocks = list(iter_blocks(tree))
        template = observe(blocks)
    if tree is None or tree.find("body") is None:
        return empty_result(url, "empty")
    _check(deadline)
    result = empty_result(url, None)
    # CSS-in-JS prints <style> inside headings and bylines: its rules are no one's words.
    etree.strip_elements(tree, "style", with_tail=False)
    meta = extract_metadata(tree, url)
    for field in FIELDS:
        if field in meta:
            result[field] = meta[field]
    # A feed or news sitemap knows the title and date when the page does not say them.
    result["title"] = result["title"] or hints.get("title")
    # Where the markup is silent, a byline or date line under the headline speaks before the feed,
    # htmldate and the URL; read now, before the main text consumes the tree.
    lang, url_day = result["language"], url_date(url)
    near = TextMeta()
    if not (result["authors"] and result["published"]):
        near = headline_metadata(tree, result["title"], lang, url_day)
    # An element the page marks as the author speaks after the markup's metadata and the text.
    marked = [] if result["authors"] or near.authors else markup_authors(tree)
    later_date = None
    if not (result["published"] or near.published):
        later_date = normalize_date(hints.get("published")) or _htmldate(tree, url)
    result["encoding"] = encoding
    link_texts = _link_texts(tree)
    _check(deadline)
    text = _body_text(tree, html_text, url, template, favor, blocks)
    _check(deadline)
    text = _drop_title_line(text, result["title"])
    text = _drop_trailing_links(_drop_read_also(text, link_texts), link_texts)
    # Bylines, date lines and utility links at the top or bottom are not article text, whatever
    # the markup said; what they say counts only where the markup said nothing.
    text, above, below = strip_text_metadata(text, lang, url_day)
    said = above | near | below
    if site := meta.get("site_authors"):
        # a byline printed where the metadata named only the site, read without the site's name
        said = dataclasses.replace(said, authors=tuple(_without_site(list(said.authors), site)))
        marked = _without_site(marked, site)
        meta["linked_authors"] = _without_site(meta.get("linked_authors", []), site)
    result["authors"] = (
        result["authors"]
        or list(said.authors)
        or marked
        or meta.get("linked_authors", [])
        or meta.get("site_authors", [])
    )
    result["published"] = result["published"] or said.published or later_date or url_day
    result["modified"] = result["modified"] or said.modified
    result["body"] = text
    result["word_count"] = word_count(text)
    result["skip_reason"] = _skip_reason(result, meta, text, link_texts, min_words)
    result["is_article"] = result["skip_reason"] is None
    if result["is_article"] and not result["published"] and time.monotonic() < deadline:
        # the slow search of the text, only while the page's time allows it: an article that
        # stays undated is still an article
        result["published"] = _htmldate(tree, url, extensive=True)
    return result


_HIDDEN_PRE = etree.XPath("//pre[@hidden or @aria-hidden='true']")
# Elements whose blank lines (two <br> in a row, nothing but whitespace between them) make
# paragraphs; <p> and the like are left alone (a <p> cannot hold paragraphs).
_DOUBLE_BREAK_PARENTS = frozenset(
    (
        "td",
        "th",
        "div",
        "font",
        "body",
        "center",
        "span",
        "blockquote",
        "section",
        "article",
        "main",
    )
)
# Elements that end a paragraph where they stand.
_PARAGRAPH_BREAKERS = (
    *("address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt", "figure"),
    *("footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav"),
    *("ol", "p", "pre", "section", "table", "ul"),
)
# A blockquote that embeds another site's post (Twitter's, Instagram's ... embed codes).
_EMBEDDED_POST = re.compile(
    "tweet|twitter|instagram|tiktok|facebook|threads|bluesky|mastodon|embed", re.IGNORECASE
)


def as_rendered(tree: etree._Element) -> None:
    """The text of ``tree`` as a browser renders it, before any extraction run reads it: no hidden
    copy of the article (:func:`drop_hidden_copies`), no line breaks of the source inside
    paragraphs (:func:`join_wrapped_lines`), quotations set in a figure kept
    (:func:`keep_quotation_figures`)."""
    drop_hidden_copies(tree)
    join_wrapped_lines(tree)
    keep_quotation_figures(tree)


def paragraphs_from_breaks(tree: etree._Element) -> None:
    """Text that a page sets apart with blank lines (two or more ``<br>`` in a row) becomes
    paragraphs (``<p>``), as a browser shows it.

    Pages of the 2000s and many forums write a story as one run of text in a table cell or a
    ``<font>``, paragraphs made by ``<br><br>``. Read as one block, the story, its byline and date
    line and the links under it ("Printer-friendly version | E-mail this story") are one line, and
    a table cell with no paragraph is not recognised as the story's column
    (:func:`unwrap_layout_tables`). Block elements inside the run stay where they are; a single
    ``<br>`` stays a line break inside its paragraph.

    Run after the site's template is cut out: the template's blocks are the page's own, and a
    block split into paragraphs would no longer be found.
    """
    parents = {}  # in document order
    for br in tree.iter("br"):
        after = br.getnext()
        if after is not None and after.tag == "br" and not (br.tail or "").strip():
            parent = br.getparent()
            if parent.tag in _DOUBLE_BREAK_PARENTS:
                parents[parent] = None
    split = 0
    # innermost first: an element already split holds paragraphs, and ends a paragraph around it
    for parent in reversed(parents):
        if parent.getparent() is not None:
            split += _split_at_blank_lines(parent)
    if split:
        unwrap_layout_tables(tree)  # a cell now holding paragraphs may be the story's column


def _split_at_blank_lines(parent: etree._Element) -> bool:
    """``parent``'s content as paragraphs, one for each run of it between blank lines; left as it
    is unless that makes two paragraphs or more (a lone trailing ``<br><br>`` splits nothing)."""
    items: list = [parent.text] if parent.text else []
    for child in parent:
        items.append(child)
        if child.tail:
            items.append(child.tail)
    pieces: list = []  # lists of items (a paragraph's content) and block elements, in order
    run: list = []
    k = 0
    while k < len(items):
        item = items[k]
        if _is_break(item):
            j = k
            while j < len(items) and (_is_break(items[j]) or _is_blank(items[j])):
                j += 1
            if sum(map(_is_break, items[k:j])) >= 2:
                pieces.append(run)
                run = []
            else:
                run.extend(items[k:j])
            k = j
            continue
        if not isinstance(item, str) and (
            item.tag in _PARAGRAPH_BREAKERS or item.find(".//p") is not None
        ):
            pieces.extend((run, item))
            run = []
        else:
            run.append(item)
        k += 1
    pieces.append(run)
    runs = [piece for piece in pieces if isinstance(piece, list) and _has_content(piece)]
    if len(runs) < 2:
        return False
    parent.text = None
    for child in list(parent):
        child.tail = None
        parent.remove(child)
    for piece in pieces:
        if not isinstance(piece, list):
            parent.append(piece)
            continue
        if not _has_content(piece):
            continue
        while _is_break(piece[-1]) or _is_blank(piece[-1]):
            piece.pop()  # a single break that ends the run is no line of its own
        paragraph = etree.SubElement(parent, "p")
        last = None
        for item in piece:
            if not isinstance(item, str):
                paragraph.append(item)
                last = item
            elif last is None:
                paragraph.text = (paragraph.text or "") + item
            else:
                last.tail = (last.tail or "") + item
    return True


def _is_break(item) -> bool:
    return not isinstance(item, str) and item.tag == "br"


def _is_blank(item) -> bool:
    return isinstance(item, str) and not item.strip()


def _has_content(run: list) -> bool:
    return any(not (_is_break(item) or _is_blank(item)) for item in run)


def keep_quotation_figures(tree: etree._Element) -> None:
    """A ``<figure>`` holding a ``<blockquote>`` becomes a plain block, so its text is read.

    HTML sets a quotation with its attribution as ``<figure><blockquote>...</blockquote>
    <figcaption>name, role</figcaption></figure>``, and pull quotes and experts' quotes come so;
    trafilatura drops every ``<figure>`` (images). Embedded posts of social networks (a tweet's
    ``blockquote class="twitter-tweet"``) are another page's text, and stay figures."""
    for figure in tree.iter("figure"):
        quotes = figure.findall(".//blockquote")
        if quotes and not any(_EMBEDDED_POST.search(q.get("class") or "") for q in quotes):
            figure.tag = "div"


def drop_hidden_copies(tree: etree._Element) -> None:
    """Drop a ``<pre>`` kept hidden (``hidden`` or ``aria-hidden``): sites now put a raw Markdown
    copy of the article there for machines, which the paragraph fallback would read as the
    article. Hidden wrappers in general stay: scripts reveal the article from them."""
    for element in _HIDDEN_PRE(tree):
        if element.getparent() is not None:
            element.drop_tree()


def join_wrapped_lines(tree: etree._Element) -> None:
    """Line breaks inside the page's text become spaces, as a browser shows them, except in
    ``<pre>`` and ``<textarea>``.

    Pages written by hand or by old tools wrap their paragraphs in the source at 72 or 80 columns.
    Trafilatura's own run joins them, but the text its fallbacks (readability, jusText) return
    keeps each source line as a line, and every later step here reads lines: a paragraph cut into
    ten short lines is ten labels to trim.
    """
    for found in _WRAPPED_TEXT(tree):
        owner = found.getparent()
        if found.is_text:
            owner.text = owner.text.translate(_LINE_BREAKS)
        elif found.is_tail:
            owner.tail = owner.tail.translate(_LINE_BREAKS)


def unwrap_layout_tables(tree: etree._Element) -> int:
    """Tables that lay out a page (a cell holds paragraphs) become plain blocks, so the story in a
    cell reads as its paragraphs, not as one table row with the menus and the byline beside it.
    Returns how many tables were unwrapped."""
    unwrapped = 0
    for table in reversed(list(tree.iter("table"))):  # nested tables first
        rows = table.xpath("./tr | ./*[self::tbody or self::thead or self::tfoot]/tr")
        cells = [cell for row in rows for cell in row if cell.tag in ("td", "th")]
        story = [c for c in cells if _own_paragraphs(c, table) >= 2 and not _mostly_links(c)]
        # a page layout: the story in one column, a menu of links in another
        if not story or not any(_mostly_links(cell) for cell in cells if cell not in story):
            continue
        for el in [table, *table.xpath("./tbody | ./thead | ./tfoot"), *rows, *cells]:
            el.tag = "div"
        unwrapped += 1
    return unwrapped


def _mostly_links(cell: etree._Element) -> bool:
    text = _SPACE.sub(" ", cell.text_content() or "").strip()
    links = sum(len((a.text_content() or "").strip()) for a in cell.iter("a"))
    return bool(text) and links >= 0.5 * len(text)


def _own_paragraphs(cell: etree._Element, table: etree._Element) -> int:
    """Paragraphs of ``cell`` not inside a table nested in it."""
    return sum(1 for p in cell.iter("p") if next(p.iterancestors("table"), None) is table)


def _body_text(
    tree,
    html_text: str,
    url: str,
    template: SiteTemplate | None,
    favor: str = "balanced",
    blocks: list[Block] | None = None,
) -> str:
    etree.strip_elements(tree, "script", "style", with_tail=False)
    as_rendered(tree)
    if unwrap_layout_tables(tree):
        blocks = None  # tables became blocks: the page's blocks are cut again
    visible = visible_text_length(tree)
    navigation = navigation_lines(tree)
    if template is not None:
        template.strip(tree, blocks)
    paragraphs_from_breaks(tree)
    prune_link_lists(tree)
    prune_teaser_articles(tree)
    prune_named_boilerplate(tree, visible)
    unmark_small_containers(tree, visible)
    unmark_story_footers(tree, visible)
    unmark_story_ui_names(tree)
    headings = section_headings(tree)
    # The precision-leaning run reads the same pruned page: the core to trim to.
    core = "" if favor == "recall" else main_text(tree, url, lean="precision")
    text = main_text(tree, url)
    if navigation_share(text, navigation) > _NAV_SHARE:
        text = ""
    if len(text) < _SHORT_SHARE * visible:
        text = _fallback_text(text, html_text, url, template, navigation, visible)
    text = restore_headings(text, headings)
    if favor != "recall" and _core_elsewhere(text, core):
        text = core
    if favor != "recall":
        text = add_core_lines(text, core)
        text = trim_to_core(text, core, _CORE_EDGE_CHARS if favor == "balanced" else math.inf)
    return drop_boilerplate_lines(text)


def _fallback_text(
    text: str,
    html_text: str,
    url: str,
    template: SiteTemplate | None,
    navigation: frozenset[str],
    visible: int,
) -> str:
    """A longer text when recall-leaning extraction locked onto a small part of a long page (a lead
    paragraph, a teaser) or onto its menus: trafilatura's default run on the page without the
    pruning (it judges containers differently), then trafilatura's baseline (the JSON-LD
    ``articleBody``, else ``<article>``, else the page's paragraphs). Each candidate loses the menus
    printed in it and is taken only if clearly longer and not mostly navigation: no fallback
    returns a page's menus, however short the first text was. A first text of short lines only
    gives way to a candidate holding a story paragraph even when that is shorter
    (:func:`_story_for_lines`).
    """
    second = _load_tree(html_text)
    as_rendered(second)
    unwrap_layout_tables(second)
    if template is not None:
        template.strip(second)
    paragraphs_from_breaks(second)
    prune_named_boilerplate(second, visible)
    unmark_story_footers(second, visible)
    unmark_story_ui_names(second)
    # The baseline reads the same template-stripped page: a C-level copy, not a third parse.
    third = deepcopy(second)
    first = text
    other = drop_menus(main_text(second, url, lean="balanced"), navigation)
    if _better_candidate(other, text, _LONGER_BY, navigation) and not _adds_teaser_cards(
        other, first, second
    ):
        text = other
    base = drop_menus("\n\n".join(_unique_lines(baseline_text(third))), navigation)
    if _better_candidate(base, text, _BASELINE_LONGER_BY, navigation) and not _adds_teaser_cards(
        base, first, second
    ):
        text = base
    if text is first and not _story_lines(first):
        text = next((c for c in (other, base) if _story_for_lines(c, first, navigation)), first)
    return text if text is first else _with_tables(text, first)


def _story_for_lines(candidate: str, first: str, navigation: frozenset[str]) -> bool:
    """Whether a fallback ``candidate`` replaces a ``first`` text of short lines only (a web
    archive's toolbar, a shop's menus and basket): it holds a story paragraph, is not mostly
    navigation, and is not under ``_STORY_FOR_LINES_SHARE`` of the first text's length."""
    return (
        _story_lines(candidate) > 0
        and len(candidate) >= _STORY_FOR_LINES_SHARE * len(first)
        and not _is_navigation(candidate, navigation)
    )


def _adds_teaser_cards(candidate: str, first: str, tree: etree._Element) -> bool:
    """Whether what a fallback ``candidate`` adds to a ``first`` text that is already a story is
    mostly other stories' teasers: long lines each printed in a small card beside a link to another
    page (a news stream, related stories, the archive's other works, testimonials).

    A first text of _CARD_STORY_LINES story paragraphs or more is the story; a longer text made of
    it and the cards around it is the page, not more of the story. A first text of fewer (a list
    article's introduction) keeps every fallback: its entries are cards too, and are the story.
    ``tree`` is the page the candidate was read from."""
    if _story_lines(first) < _CARD_STORY_LINES:
        return False
    lines = first.split("\n\n")
    keys = {_core_key(line) for line in lines}
    added = [
        _spaced(line)
        for line in candidate.split("\n\n")
        if _core_key(line) not in keys and len(_spaced(line)) >= _CARD_LINE_CHARS
    ]
    if not added:
        return False
    elements = [
        (element, _spaced(element.text_content()))
        for element in tree.iter()
        if isinstance(element.tag, str) and element.tag not in ("script", "style")
    ]
    cards = 0
    for line in added:
        start = line[:_CORE_KEY_CHARS]
        # the last element in document order holding the line's start: the innermost one
        holder = next((e for e, text in reversed(elements) if start in text), None)
        if holder is not None and _in_teaser_card(holder, len(line)):
            cards += len(line)
    return cards >= _CARDS_SHARE * sum(map(len, added))


def _in_teaser_card(element: etree._Element, chars: int) -> bool:
    """Whether ``element`` (a paragraph of ``chars`` characters) sits in a small box that also
    holds a link of a headline's length outside the paragraph: a teaser card."""
    own = _spaced(element.text_content())
    for card in (element, *element.iterancestors()):
        if card.tag in ("body", "html"):
            return False
        if len(_spaced(card.text_content())) > _CARD_SIZE * chars + _CARD_SLACK:
            return False
        for link in card.iter("a"):
            words = _spaced(link.text_content())
            if link.get("href") and len(words) >= _HEADLINE_CHARS and words not in own:
                return True
    return False


def _with_tables(text: str, first: str) -> str:
    """``text``, a fallback's reading of the page, with the table rows of the ``first`` reading
    it replaced put back after the line they followed there.

    The baseline reads paragraphs, not tables: a fallback taken for a page's longer story would
    drop the comparison table the first reading had found inside it. Rows before any line the
    two share go before ``text``'s first line; when they share none, ``text`` stays as it is."""
    if "\n|" not in f"\n{first}":
        return text
    lines = text.split("\n\n")
    where: dict[str, int] = {}
    for k, line in enumerate(lines):
        where.setdefault(_core_key(line), k)
    first_lines = first.split("\n\n")
    if not any(_core_key(line) in where for line in first_lines):
        return text
    after: dict[int, list[str]] = defaultdict(list)
    at = -1
    for line in first_lines:
        key = _core_key(line)
        if line.startswith("|"):
            if key not in where:  # a row both hold (a "|---|" rule) places nothing
                after[at].append(line)
        elif key in where:
            at = where[key]
    out = list(after[-1])
    for k, line in enumerate(lines):
        out.append(line)
        out.extend(after[k])
    return "\n\n".join(out)


def _better_candidate(
    candidate: str, text: str, longer_by: float, navigation: frozenset[str]
) -> bool:
    """Whether a fallback ``candidate`` replaces ``text``: clearly longer, not mostly navigation,
    and holding the story ``text`` already found (:func:`_holds_story`)."""
    return (
        len(candidate) > longer_by * len(text)
        and not _is_navigation(candidate, navigation)
        and _holds_story(candidate, text)
    )


def _holds_story(candidate: str, text: str) -> bool:
    """Whether ``candidate`` holds at least ``_HOLD_SHARE`` of the words of ``text``, when ``text``
    is a story (a paragraph of ``_STORY_LINE_CHARS`` or more): a longer text that leaves out the
    paragraphs already found is another part of the page (a sidebar, the list of other stories),
    not more of the story. A first text of short lines only (a form, a teaser) holds no story to
    keep."""
    if not _story_lines(text):
        return True
    words = Counter(_WORD.findall(text.casefold()))
    found = Counter(_WORD.findall(candidate.casefold()))
    return sum((words & found).values()) >= _HOLD_SHARE * sum(words.values())


def baseline_text(tree: etree._Element) -> str:
    """Trafilatura's baseline (embedded JSON ``articleBody``, else ``<article>``, else the page's
    paragraphs) with two guards, so that it cannot bring a whole page in:

    - comment threads and reply forms (trafilatura's own comment XPaths) are cut out before the
      ``<article>`` and paragraph tiers read the page;
    - the ``<article>`` tier is taken only when it yields several blocks: it reads each
      ``<article>`` as one run of text, so a single one is the headline, date, share buttons,
      captions and story run together, and no later step can trim it.

    ``tree`` is consumed. Falls back to trafilatura's public ``baseline()`` when its internals
    are not where this version expects them.
    """
    if _TB is None:
        return trafilatura.baseline(tree)[1]
    collect, attempt, render = _TB._collect_json_content, _TB._attempt, _TB._render_text
    clean, block_text = _TB.basic_cleaning, _TB.block_text
    bodies, _teasers = collect(tree)
    if found := attempt(map(render, bodies), dedupe=True):
        return found[1]
    tree = clean(tree)
    for expr in _COMMENT_XPATHS:
        for element in expr(tree):
            if element.getparent() is not None:
                element.drop_tree()  # its tail is text of the page around it
    articles = [
        text
        for element in tree.xpath(".//article[not(ancestor::article)]")
        if len(text := block_text(element)) > _TB._MIN_CONTENT_LENGTH
    ]
    if articles:
        cutoff = max(map(len, articles)) / 5
        found = attempt(text for text in articles if len(text) >= cutoff)
        if found and not _one_block(found[1]):
            return found[1]
    blocks = ("blockquote", "code", "p", "pre", "q", "quote")
    found = attempt(
        (
            block_text(element)
            for element in tree.iter(*blocks)
            if not any(parent.tag in blocks for parent in element.iterancestors())
        ),
        dedupe=True,
    )
    return found[1] if found else ""


def _one_block(text: str) -> bool:
    lines = [len(line) for line in text.splitlines() if line.strip()]
    return max(lines, default=0) > 0.5 * sum(lines)


def _is_navigation(text: str, navigation: frozenset[str]) -> bool:
    # Mostly link text, or a menu printed in it: never taken over a shorter text.
    return navigation_share(text, navigation) > _NAV_SHARE or drop_menus(text, navigation) != text


def _htmldate(tree: etree._Element, url: str, *, extensive: bool = False) -> str | None:
    """htmldate's reading of the page's markup and URL; ``extensive``: its search of the page's
    text too, whose year-only answer (a copyright line: ``YYYY-01-01``) is not taken for a date.
    The text search costs tens of milliseconds a page: it runs only for an article that no other
    source dated."""
    try:
        found = find_date(tree, url=url or None, extensive_search=extensive, original_date=True)
    except Exception:  # noqa: BLE001 - a heuristic that fails gives no date, not a failed page
        return None
    if extensive and found and found.endswith("-01-01"):
        return None
    return normalize_date(found) if found else None


def _link_texts(tree: etree._Element) -> set[str]:
    texts = set()
    for a in tree.iter("a"):
        t = _SPACE.sub(" ", a.text_content() or "").strip()
        if len(t) > 15:
            texts.add(t)
    return texts


_TRAILING_LINE_WORDS = 6  # "More World headlines", "Related stories", "Read more on our site"
_TRAILING_LINES_MAX = 2
_SENTENCE_END = tuple('.!?…"”’»)')


def _drop_trailing_links(text: str, link_texts: set[str]) -> str:
    """The text without the short lines that end it and end no sentence: a link's whole text, or
    a heading whose list was left out ("More World headlines"): a way to more of the site, not
    the story's last words."""
    lines = text.split("\n\n")
    for _ in range(_TRAILING_LINES_MAX):
        if len(lines) < 2:
            break
        last = lines[-1].strip()
        words = word_count(last)
        short = words <= _TRAILING_LINE_WORDS and not last.endswith(_SENTENCE_END)
        if not (short or (last in link_texts and words <= 2 * _TRAILING_LINE_WORDS)):
            break
        lines.pop()
    return "\n\n".join(lines)


# A line that points the reader at other stories ("Read also", "Lesen Sie auch", "À lire
# aussi"), in the languages of the news the crawl meets.
_READ_ALSO = re.compile(
    r"(?:read (?:also|more|next)|see also|also read|related(?: (?:articles?|stories|story|posts?|"
    r"content|coverage|reading))?|more on (?:this|that)(?: (?:story|topic))?|"
    r"lesen sie (?:auch|mehr|hier)|mehr zum thema|mehr dazu|zum thema|auch interessant|"
    r"das könnte sie (?:auch )?interessieren|siehe auch|weiterlesen|"
    r"(?:à|a) lire (?:aussi|également)|lire aussi|voir aussi|"
    r"czytaj (?:też|także|również)|leer más|lee también|lea también|leia (?:também|mais)|"
    r"leggi anche|vedi anche|lees ook|zie ook|läs också|læs også|les også)\s*:?",
    re.IGNORECASE,
)


_READ_ALSO_MAX_CHARS = 40


def _drop_read_also(text: str, link_texts: set[str]) -> str:
    """The text without a "Read also" label alone on its line and the links to other stories
    under it (each line a link's whole text): the list it introduced, when the page's link lists
    are gone already, leaves the label behind among the story's paragraphs."""
    lines = text.split("\n\n")
    out: list[str] = []
    k = 0
    while k < len(lines):
        if len(lines[k]) <= _READ_ALSO_MAX_CHARS and _READ_ALSO.fullmatch(lines[k].strip()):
            k += 1
            while k < len(lines) and lines[k].strip() in link_texts:
                k += 1
            continue
        out.append(lines[k])
        k += 1
    return "\n\n".join(out)


_TITLE_WITHIN = 3  # lines at the top of the text where the headline may stand
_LABEL_MAX_WORDS = 6  # a section label or kicker above the headline


def _drop_title_line(text: str, title: str | None) -> str:
    """The text without the headline, nor the short labels above it (section name, kicker)."""
    if not text or not title:
        return text
    lines = text.split("\n\n")
    for i, line in enumerate(lines[:_TITLE_WITHIN]):
        if line.strip() == title.strip():
            if all(len(above.split()) <= _LABEL_MAX_WORDS for above in lines[:i]):
                return "\n\n".join(lines[i + 1 :])
            break
    return text


def _skip_reason(
    result: dict, meta: dict, text: str, link_texts: set[str], min_words: int
) -> str | None:
    if not text:
        return "no_text"
    types = {t.lower() for t in meta.get("jsonld_types", [])}
    if not meta.get("jsonld_article") and types & {t.lower() for t in INDEX_TYPES} - {"website"}:
        return "index_page"
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    linked = sum(len(p) for p in paragraphs if p.lstrip("- ").strip() in link_texts)
    if paragraphs and linked >= 0.5 * sum(len(p) for p in paragraphs):
        return "index_page"
    if result["word_count"] < min_words:
        return "too_short"
    return None


__all__ = ["EXTRACTOR_VERSION", "FAVOR_MODES", "FIELDS", "empty_result", "extract_article"]
