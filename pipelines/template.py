"""Per-site template learning: which text blocks of a site's pages are its template, not its articles.

A page is cut into text blocks (an element's own text plus its inline children, the usual
segmentation of boilerplate detectors). Each block has a *path* (tag, id and classes of its
ancestors, digits removed, like a site style tree) and a *key* (its text lower-cased, digits masked,
so "veryGood! (6547)" and "veryGood! (12)" are one key). Over the pages of one site the learner
counts, per key, on how many distinct pages it occurs, and per path, how much of its text recurs and
how much of it is link text.

A block is template when

- its key occurs on many distinct pages of the site (labels, share bars, newsletter prompts, bylines
  such as "Date: 0000-00-00", like-counters, footers — in whatever language), or
- it sits on a *template path*: a path present on several pages whose blocks mostly recur or are
  mostly links (breadcrumbs, related / most-read / recommended lists whose headlines change from
  page to page), and the block itself is a link, recurs, or is a short label.

Except on a *prose path*, the path of a site's running text (paragraphs a page, few links): there a
short line that recurs ("Additional reporting by ...", a series' standing note) is the stories' own
unless it is on surely half of the pages with that path, as a prompt the template puts between the
paragraphs is. "Surely": the lower end of a confidence interval, so that the first few pages of a
crawl, in whatever order they come, do not decide it by chance.

Nothing here names a label or a language: the site's own pages are the evidence. The learned state is
plain JSON (:meth:`SiteTemplate.to_json` / :meth:`SiteTemplate.from_json`) so it persists in the crawl
state and the next crawl starts knowing the template.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from lxml import etree, html

from pipelines.decode import decode_html, document_text

FORMAT_VERSION = 1

# Inline elements: their text belongs to the enclosing block.
INLINE_TAGS = frozenset(
    [
        "a",
        "abbr",
        "acronym",
        "b",
        "bdi",
        "bdo",
        "big",
        "cite",
        "code",
        "data",
        "del",
        "dfn",
        "em",
        "font",
        "i",
        "img",
        "ins",
        "kbd",
        "label",
        "mark",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strike",
        "strong",
        "sub",
        "sup",
        "time",
        "tt",
        "u",
        "var",
        "wbr",
        "br",
    ]
)
# Never text a reader sees.
SKIP_TAGS = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "head",
        "iframe",
        "object",
        "embed",
        "canvas",
    ]
)

_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")
_PATH_DEPTH = 8  # the last N ancestors identify a block's place; deeper roots add only noise
_KEYS_PER_PATH = 48  # recent keys kept per path to measure how much of it recurs
_MAX_KEYS = 50_000  # bound on remembered keys; keys seen once are forgotten first
_LONG_BLOCK = 100  # characters: a sentence or more, not a label, link or counter
_PROSE_CHARS = 2 * _LONG_BLOCK  # characters per page on a path that carries running text
_LAYOUT_EXACT = 64  # pages: below, a site's layout is worked out again after every page
_MAX_PAGES_REMEMBERED = 5_000  # fingerprints of observed pages, so one page is counted once
_JOURNAL_MIN = 20_000  # key changes kept for replicas before a new epoch (see replica_update)
_MAX_SIGNATURES = 20_000  # (tag, id, class) -> path signature, shared by every site's pages
_SIGNATURES: dict[tuple[str, str | None, str | None], str] = {}


def text_key(text: str) -> str:
    return _DIGITS.sub("0", _SPACE.sub(" ", text).strip().lower())


def key_hash(key: str) -> str:
    return hashlib.blake2b(key.encode("utf-8"), digest_size=8).hexdigest()


def _signature(el: etree._Element) -> str:
    tag = el.tag if isinstance(el.tag, str) else "?"
    ident = el.get("id")
    classes = el.get("class")
    if not (ident or classes):
        return tag
    # A site repeats the same few dozen (tag, id, class) triples on every page: each is worked out
    # once (the regular expressions were a fifth of the time spent cutting a page into blocks).
    cached = _SIGNATURES.get((tag, ident, classes))
    if cached is not None:
        return cached
    parts = [tag]
    if ident:
        parts.append("#" + _DIGITS.sub("", ident)[:40])
    if classes:
        names = sorted({_DIGITS.sub("", c)[:40] for c in classes.split()})[:4]
        parts.append("." + ".".join(names))
    signature = "".join(parts)
    if len(_SIGNATURES) >= _MAX_SIGNATURES:
        _SIGNATURES.clear()
    _SIGNATURES[(tag, ident, classes)] = signature
    return signature


class Block:
    """One text block of a page."""

    __slots__ = ("element", "key", "link_chars", "path", "text")

    def __init__(
        self,
        element: etree._Element,
        path: str,
        text: str,
        link_chars: int,
        *,
        spaced: bool = False,
    ) -> None:
        self.element = element
        self.path = path
        self.text = text
        self.link_chars = link_chars
        # spaced: the text's white space is already one space between words (as iter_blocks
        # makes it), so its key is text_key's without the second pass over it
        key = _DIGITS.sub("0", text.lower()) if spaced else text_key(text)
        self.key = key_hash(key)

    @property
    def link_density(self) -> float:
        return min(1.0, self.link_chars / max(1, len(self.text)))


def iter_blocks(root: etree._Element) -> Iterator[Block]:
    """Text blocks of a parsed page, document order."""
    stack: list[tuple[etree._Element, tuple[str, ...]]] = [(root, ())]
    pop, extend = stack.pop, stack.extend
    while stack:
        el, parent_path = pop()
        tag = el.tag
        if tag.__class__ is not str or tag in SKIP_TAGS:
            continue  # a comment or processing instruction, or text no reader sees
        path = (*parent_path, _signature(el))
        if len(path) > _PATH_DEPTH:
            path = path[1:]
        pieces = [el.text or ""]
        link_chars = 0
        children = []
        for child in el:
            tag = child.tag
            if tag.__class__ is not str:
                pass  # a comment or processing instruction: only its tail is text
            elif tag in INLINE_TAGS and (not len(child) or not _has_block(child)):
                # an inline element: its text is its text_content(), less scripts and the like
                if tag == "br":
                    pieces.append(" ")
                else:
                    text = _inline_text(child)
                    pieces.append(text)
                    if tag == "a":
                        link_chars += len(text.strip())
                    elif len(child):
                        link_chars += sum(len(_inline_text(a).strip()) for a in child.iter("a"))
            else:
                children.append(child)
            if child.tail:
                pieces.append(child.tail)
        # one space between words (str.split's white space is the regular expressions' \s)
        text = " ".join("".join(pieces).split())
        if text:
            yield Block(el, "/".join(path), text, link_chars, spaced=True)
        if children:
            children.reverse()
            extend([(child, path) for child in children])


def _has_block(el: etree._Element) -> bool:
    """Whether an inline element holds a block element (script, style and the like do not count:
    a page reads the same with them stripped, as extraction strips them)."""
    stack = list(el)
    while stack:
        sub = stack.pop()
        tag = sub.tag
        if not isinstance(tag, str) or tag in SKIP_TAGS:
            continue
        if tag not in INLINE_TAGS:
            return True
        stack.extend(sub)
    return False


def _inline_text(el: etree._Element) -> str:
    """An inline element's text as a reader sees it: its ``text_content()`` less what script,
    style and the like hold (their tails are text)."""
    if not len(el):
        return el.text or ""
    parts = [el.text or ""]
    for sub in el:
        tag = sub.tag
        if isinstance(tag, str) and tag not in SKIP_TAGS:
            parts.append(_inline_text(sub))
        parts.append(sub.tail or "")
    return "".join(parts)


def parse(page: str | bytes | etree._Element) -> etree._Element:
    if isinstance(page, etree._Element):
        return page
    if isinstance(page, bytes):
        # Decoded exactly as extraction decodes it, so both see the same text (and keys).
        page, _ = decode_html(page)
    return adopt_trailing_content(html.document_fromstring(document_text(page)))


def adopt_trailing_content(root: etree._Element) -> etree._Element:
    """``root`` with what the page prints after its ``</html>`` moved to the end of its body.

    Pages that close their document early (a header template ending in ``</body></html>``, the
    article after it) are read by browsers as one body; libxml2 instead starts a second ``<html>``
    beside the root, which no XPath from the root reaches: the article is simply not there.
    """
    body = root.find("body")
    if body is None:
        return root
    for stray in list(root.itersiblings()):
        if not isinstance(stray.tag, str):
            continue
        _adopt_text(body, stray.text)
        for child in list(stray):
            if child.tag == "body":
                _adopt_text(body, child.text)
                body.extend(list(child))
                _adopt_text(body, child.tail)
            elif child.tag != "head":
                body.append(child)
        stray.text = None
    return root


def _adopt_text(body: etree._Element, text: str | None) -> None:
    if not text or not text.strip():
        return
    if len(body):
        body[-1].tail = (body[-1].tail or "") + text
    else:
        body.text = (body.text or "") + text


def observation(page: str | bytes | etree._Element) -> list[tuple[str, str, int, int]]:
    """What the learner takes from a page: (key, path, characters, link characters) of each of
    its blocks. Small and picklable: a worker process parses the page, the crawl learns."""
    return observed(iter_blocks(parse(page)))


def observed(blocks) -> list[tuple[str, str, int, int]]:
    """:func:`observation` of a page whose blocks are cut already."""
    return [(b.key, b.path, len(b.text), b.link_chars) for b in blocks]


class SiteTemplate:
    """What one site's template is, learned from its pages. Safe to share between threads."""

    def __init__(self, site: str = "", *, min_pages: int = 3) -> None:
        self.site = site
        self.min_pages = min_pages
        self.pages = 0
        self.key_pages: dict[str, int] = {}
        # path -> [pages with it, chars, link chars, recent keys]
        self.paths: dict[str, list[Any]] = {}
        self._seen: OrderedDict[str, None] = OrderedDict()
        # (pages, template paths, prose paths) as of that many pages
        self._compiled: tuple[int, frozenset[str], dict[str, int]] | None = None
        self._lock = threading.RLock()
        # What replicas in worker processes need (see replica_update): the keys seen on two pages
        # or more, and the (key, count) changes to them since the journal's epoch began.
        self._multi: dict[str, int] = {}
        self._journal: list[tuple[str, int]] = []
        self._epoch = 0

    # learning ------------------------------------------------------------------------------
    def observe(self, page: str | bytes | etree._Element, url: str = "") -> bool:
        """Learn from one page of the site. Returns False if this page was already observed."""
        return self.learn(observation(page), url)

    def learn(self, blocks: list[tuple[str, str, int, int]], url: str = "") -> bool:
        """Learn from one page's :func:`observation` (made here or in a worker process).
        Returns False if this page was already observed."""
        with self._lock:
            return self._learn(blocks, url)

    def _learn(self, blocks: list[tuple[str, str, int, int]], url: str) -> bool:
        fingerprint = key_hash(url) if url else key_hash("".join(b[0] for b in blocks))
        if fingerprint in self._seen:
            return False
        self._seen[fingerprint] = None
        if len(self._seen) > _MAX_PAGES_REMEMBERED:
            self._seen.popitem(last=False)
        self.pages += 1
        for key in {b[0] for b in blocks}:
            n = self.key_pages[key] = self.key_pages.get(key, 0) + 1
            if n >= 2:
                self._multi[key] = n
                self._journal.append((key, n))
        seen_paths: set[str] = set()
        for key, path, chars, link_chars in blocks:
            stats = self.paths.get(path)
            if stats is None:
                stats = self.paths[path] = [0, 0, 0, []]
            if path not in seen_paths:
                stats[0] += 1
                seen_paths.add(path)
            stats[1] += chars
            stats[2] += min(link_chars, chars)
            keys = stats[3]
            keys.append(key)
            if len(keys) > _KEYS_PER_PATH:
                del keys[0]
        if len(self.key_pages) > _MAX_KEYS:
            self._forget()
        elif len(self._journal) > max(_JOURNAL_MIN, 4 * len(self._multi)):
            self._new_epoch()  # a replica catches up by one copy, not by a longer journal
        return True

    def _new_epoch(self) -> None:
        """Start the journal again from the keys as they are: replicas take a whole copy."""
        self._multi = {k: n for k, n in self.key_pages.items() if n >= 2}
        self._journal = []
        self._epoch += 1

    def _forget(self) -> None:
        # Lossy counting: keys seen on one page only are the ones that say least about a template.
        self.key_pages = {k: n for k, n in self.key_pages.items() if n > 1}
        if len(self.key_pages) > _MAX_KEYS:
            keep = sorted(self.key_pages.items(), key=lambda kv: kv[1], reverse=True)[
                : _MAX_KEYS // 2
            ]
            self.key_pages = dict(keep)
        self._compiled = None  # keys went: the layout is worked out again
        self._new_epoch()  # keys went: the journal cannot say so

    # deciding ------------------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        return self.pages >= self.min_pages

    def key_threshold(self) -> int:
        # On 3 of a handful of pages, on a fifth of a few dozen, on 20 of a large site: the same text
        # block on 20 different article pages is not article text.
        return max(3, min(math.ceil(0.2 * self.pages), 20))

    def _layout(self) -> tuple[frozenset[str], dict[str, int]]:
        """(template paths, prose paths): the paths whose blocks mostly recur or are mostly links,
        and those that carry the site's running text (on average a few paragraphs a page, little
        of it links, not a template path), each with the number of pages it is on."""
        compiled = self._compiled
        if compiled is not None and (
            compiled[0] == self.pages
            or (compiled[0] >= _LAYOUT_EXACT and self.pages - compiled[0] < compiled[0] // 32)
        ):
            # Worked out again after every page of a small site; on a large one, when it has
            # grown by a thirtieth (after every page it was 4% of the crawl process's time, for a
            # layout that a few pages more do not change).
            return compiled[1], compiled[2]
        support = max(3, math.ceil(0.2 * self.pages)) if self.pages >= 3 else 10**9
        paths = set()
        prose = {}
        for path, (pages, chars, link_chars, keys) in self.paths.items():
            if not keys:
                continue
            if pages >= support:
                recurring = sum(1 for k in keys if self.key_pages.get(k, 0) >= 2) / len(keys)
                if recurring >= 0.5 or link_chars >= 0.5 * chars:
                    paths.add(path)
                    continue
            if chars >= _PROSE_CHARS * pages and link_chars < 0.2 * chars:
                prose[path] = pages
        result = frozenset(paths)
        self._compiled = (self.pages, result, prose)
        return result, prose

    def is_template(
        self, block: Block, layout: tuple[frozenset[str], dict[str, int]] | None = None
    ) -> bool:
        """Whether one block of a page is the site's template; ``layout``: :meth:`_layout`, when
        the caller has it already."""
        if not self.ready:
            return False
        seen_on = self.key_pages.get(block.key, 0)
        linked = block.link_density >= 0.5
        if len(block.text) >= _LONG_BLOCK and not linked:
            # A paragraph-length text on a few pages of a site is a story it ran more than once
            # (a wire copy, an AMP or print variant), not its template: only one on at least
            # half of the site's pages is (a newsletter prompt, a standing disclaimer).
            return seen_on >= max(self.key_threshold(), math.ceil(0.5 * self.pages))
        paths, prose = self._layout() if layout is None else layout
        if seen_on >= self.key_threshold():
            on_prose = None if linked else prose.get(block.path)
            if on_prose is None:
                return True
            # A short line among the site's running text recurs on some of its stories
            # ("Additional reporting by ...", a series' standing note): it is the story's. A
            # prompt or label the template puts there recurs on most pages that have the path.
            # Early in a crawl a few pages decide it: only a share that is surely half will do.
            return _share_at_least(seen_on, on_prose, 0.5)
        if block.path in paths:
            return linked or seen_on >= 2 or len(block.text) < 40
        return False

    def strip(self, root: etree._Element, blocks: list[Block] | None = None) -> int:
        """Remove the template's blocks from a parsed page in place; returns how many went.
        ``blocks``: the page's :func:`iter_blocks`, when the caller has them already."""
        with self._lock:
            if not self.ready:
                return 0
            layout = self._layout()
            if blocks is None:
                blocks = list(iter_blocks(root))
            doomed = [b.element for b in blocks if self.is_template(b, layout)]
        for el in doomed:
            _remove_own_text(el)
        return len(doomed)

    # replicas in worker processes -----------------------------------------------------------
    def replica_update(self, held: tuple | None) -> tuple[tuple, tuple | None]:
        """What a replica holding version ``held`` needs to strip pages exactly as this template
        does now: ``(version, update)``, the update None when it has it already.

        A replica keeps the keys seen on two pages or more (a key seen once decides nothing),
        the page count and the template paths. A worker process gets the whole of it once per
        epoch, then only the keys whose counts changed since its version: a page teaches a few
        dozen keys, so a crawl does not send (and copy) a site's 50,000 keys with every page."""
        with self._lock:
            paths, prose = self._layout()
            version = (self._epoch, len(self._journal), self.pages, hash(paths))
            if held == version:
                return version, None
            state = (self.pages, self.min_pages, paths, prose)
            if held is None or held[0] != self._epoch:
                return version, ("whole", dict(self._multi), *state)
            return version, ("changes", self._journal[held[1] :], *state)

    @classmethod
    def replica(cls, site: str, update: tuple, base: SiteTemplate | None = None) -> SiteTemplate:
        """The replica (in a worker process) after ``update`` from :meth:`replica_update`:
        ``base`` (the one held) updated in place, or a new one. It strips, it does not learn."""
        kind, keys, pages, min_pages, paths, prose = update
        tpl = base if base is not None and kind == "changes" else cls(site)
        if kind == "whole":
            tpl.key_pages = keys
        else:
            tpl.key_pages.update(keys)
        tpl.pages, tpl.min_pages = pages, min_pages
        tpl._compiled = (pages, paths, prose)
        return tpl

    # persistence ---------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "version": FORMAT_VERSION,
                "site": self.site,
                "min_pages": self.min_pages,
                "pages": self.pages,
                "keys": dict(self.key_pages),
                "paths": {p: [a, b, c, list(k)] for p, (a, b, c, k) in self.paths.items()},
                "seen": list(self._seen),
            }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None, site: str = "") -> SiteTemplate:
        tpl = cls(site)
        if not data or data.get("version") != FORMAT_VERSION:
            return tpl  # an unknown format is relearned, never misread
        tpl.site = data.get("site") or site
        tpl.min_pages = int(data.get("min_pages", tpl.min_pages))
        tpl.pages = int(data.get("pages", 0))
        tpl.key_pages = {str(k): int(v) for k, v in data.get("keys", {}).items()}
        tpl.paths = {
            str(p): [int(a), int(b), int(c), list(k)]
            for p, (a, b, c, k) in data.get("paths", {}).items()
        }
        tpl._seen = OrderedDict((s, None) for s in data.get("seen", []))
        tpl._new_epoch()
        return tpl


def _share_at_least(k: int, n: int, share: float, z: float = 1.645) -> bool:
    """Whether ``k`` of ``n`` is at least ``share`` beyond reasonable doubt: the lower end of
    the Wilson score interval (95% one-sided) for the proportion ``k / n``."""
    if n <= 0:
        return False
    p = min(1.0, k / n)
    z2 = z * z
    low = (p + z2 / (2 * n) - z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))) / (1 + z2 / n)
    return low >= share


def _remove_own_text(el: etree._Element) -> None:
    """Drop an element's own text and inline children, keep its block children (judged alone)."""
    el.text = None
    for child in list(el):
        if isinstance(child.tag, str) and child.tag in INLINE_TAGS and not _has_block(child):
            tail = child.tail
            el.remove(child)
            del tail  # the tail was part of this block's text
        else:
            child.tail = None
