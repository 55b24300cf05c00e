"""Article metadata from a parsed page: JSON-LD first, then Open Graph / meta / ``<time>``, then a
short element holding an ISO date with its time. Bylines and dates written as text, htmldate and
the URL's date come after these, in :mod:`pipelines.extract` (see :mod:`pipelines.textmeta`).

Dates are ISO 8601 and keep the offset the page gave; a date the page gave without a zone stays
without one (no zone is invented), and a date without a time stays a date.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from copy import deepcopy
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree

from pipelines.textmeta import (
    BY_WORDS,
    handle,
    name_list,
    page_lines,
    parse_byline,
    unlabelled,
)

ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "backgroundnewsarticle",
        "reviewnewsarticle",
        "askpublicnewsarticle",
        "satiricalarticle",
        "blogposting",
        "liveblogposting",
        "socialmediaposting",
        "techarticle",
        "scholarlyarticle",
        "report",
        "review",
    }
)
# Types that say "this page lists other pages".
INDEX_TYPES = frozenset(
    {
        "collectionpage",
        "itemlist",
        "searchresultspage",
        "profilepage",
        "website",
        "siteNavigationElement",
    }
)

_ISO = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?)?"
)
_SPACE = re.compile(r"\s+")
# What stands between a headline and the site or section name in a title ("A | B", "A › B").
_SEPARATORS = "|\\-–—·:»›"
_BARS = "|–—·»›"  # those that separate even with no space before them ("Headline| Site")
# A printed line longer than this is a paragraph, not the headline <title> shortened.
_HEADLINE_MAX_CHARS = 150
_HEADLINE_MIN_WORDS = 3
# An <h1> shorter than this is a label ("Menu", "News"), not the headline.
_H1_MIN_CHARS = 10
# An <h1> sharing few words with the article's declared title is its headline only if this long.
_H1_MIN_WORDS = 4
# Among several <h1>, the headline shares at least this share of its words with the title.
_H1_SHARED = 0.5
_WORD = re.compile(r"\w+")
# What separates a site's name from the headline it follows in an <h1> ("Headline | Site").
_TITLE_BARS = f"{_BARS}-•"
# Inside a heading, elements that are not the headline's words (see _heading_text).
_NOT_HEADLINE = frozenset(("time", "small", "style", "script"))
_SCREEN_READER_ONLY = re.compile(
    r"(?:^|\s)(?:sr-only|visually-?hidden|screen-reader-text|a11y-hidden|offscreen)(?:\s|$)", re.I
)
# UTF-8's lead byte of a two- or three-byte character read as Latin-1/Windows-1252 ("Ã©", "â€™",
# "Â®"), followed by a continuation byte read the same way.
_MOJIBAKE = re.compile(
    "[\u00c2-\u00f4]"
    "[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)
# A title's last part is the site's name when it names the site's host ("... | Bridgestone Tires"
# on tires.bridgestone.com): separators with a space on both sides only ("Wi-Fi" is a word).
_SECOND_LEVEL = frozenset(("com", "net", "org", "gov", "edu", "ac", "co", "or", "ne", "go", "gv"))
_LAST_PART = re.compile(r"^(.{10,}?)\s+[|\-–—·:»›]\s+([^|\-–—·:»›]{2,60})$")


# dates -------------------------------------------------------------------------------------
def normalize_date(value: Any) -> str | None:
    """ISO 8601 of a date string as a page writes it, or None. Offset kept; no zone invented."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    match = _ISO.search(text)
    if match:
        y, mo, d, h, mi, s, zone = match.groups()
        try:
            day = date(int(y), int(mo), int(d))
        except ValueError:
            return None
        if not 1990 <= day.year <= 2100:
            return None
        if h is None:
            return day.isoformat()
        try:
            moment = datetime(day.year, day.month, day.day, int(h), int(mi), int(s or 0))
        except ValueError:
            return day.isoformat()
        iso = moment.isoformat()
        if zone:
            iso += "+00:00" if zone == "Z" else (zone if ":" in zone else f"{zone[:3]}:{zone[3:]}")
        return iso
    try:  # RFC 2822, as in feeds and some meta tags
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None or not 1990 <= moment.year <= 2100:
        return None
    return moment.isoformat()


# JSON-LD -----------------------------------------------------------------------------------
# Read here rather than with extruct: extruct raises on a script that is still not JSON after its
# retry (one broken script loses every script of the page), matches the ``type`` attribute
# byte for byte and leaves CDATA wrappers in; pages in the wild have all three.
def jsonld_objects(root: etree._Element) -> list[dict]:
    """Every JSON object in the page's JSON-LD scripts, ``@graph`` and lists flattened."""
    found: list[dict] = []
    for script in root.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        raw = (script.text or "").strip()
        if not raw:
            continue
        raw = re.sub(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$", "", raw)
        try:
            data = json.loads(raw, strict=False)
        except ValueError:
            try:  # a trailing comma or a stray semicolon is common and harmless
                data = json.loads(re.sub(r",\s*([}\]])", r"\1", raw.rstrip(";")), strict=False)
            except ValueError:
                continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                found.append(item)
                if "@graph" in item:
                    stack.append(item["@graph"])
    return found


def _types(obj: dict) -> set[str]:
    t = obj.get("@type")
    values = t if isinstance(t, list) else [t]
    return {v.lower() for v in values if isinstance(v, str)}


def _resolved(value: Any, objects: dict[str, dict]) -> Any:
    """``value`` with each reference (``{"@id": ...}`` without a name) replaced by the JSON-LD
    object of that ``@id``, when the page holds it."""
    items = value if isinstance(value, list) else [value]
    return [
        objects.get(v["@id"], v)
        if isinstance(v, dict) and "name" not in v and isinstance(v.get("@id"), str)
        else v
        for v in items
    ]


def _linked_authors(objects: list[dict], art: dict) -> list[str]:
    """The names of the Persons the article's ``author`` points at by ``@id`` (the page's
    ``WebPage`` object's, when it has no article object)."""
    if not art:
        art = next((o for o in objects if "webpage" in _types(o)), {})
    people = {o["@id"]: o for o in objects if isinstance(o.get("@id"), str) and o.get("name")}
    return _names(_resolved(art.get("author"), people))


def _names(value: Any) -> list[str]:
    out: list[str] = []
    for v in value if isinstance(value, list) else [value]:
        if isinstance(v, str):
            v = _unescaped(v)  # noqa: PLW2901 - "O&#039;Donnell" is one name, not "O" and "#039;"
            out.extend(p.strip() for p in re.split(r"\s*(?:,|\band\b|&)\s*", v) if p.strip())
        elif isinstance(v, dict) and isinstance(v.get("name"), str):
            out.append(_unescaped(v["name"]).strip())
    names = [name for n in out if (name := _clean_name(n))]
    if len(names) > 1:
        # "Rob Picheta, CNN", "Jane Doe, Ph.D.": an agency or a degree beside a person's name
        names = [n for n in names if not _AGENCY_OR_DEGREE.fullmatch(n)] or names
    return names


# What CMSs fill an empty author field with.
_NO_AUTHOR = frozenset(("no author", "unknown", "anonymous", "n/a", "none", "null", "admin"))
# An account's login ("edilson.la.rosa", "jane_doe"), not the name a byline prints.
_USER_HANDLE = re.compile(r"[a-z0-9]+(?:[._][a-z0-9]+)+")
_URL_OR_MAIL = re.compile(r"\S*(?:://|www\.|@|\[at\])\S*")
_LEADING_BY = re.compile(rf"^(?:{'|'.join(BY_WORDS)})\s+(?=[A-ZÀ-Þ])", re.IGNORECASE)
_AGENCY_OR_DEGREE = re.compile(
    r"[A-Z]{2,5}|(?:[A-Za-z]{1,2}\.){1,3}|PhD|DPhil|MPhil|MSc|BSc|EdD|PsyD|PharmD|DrPH|MSed"
)


def _clean_name(name: str) -> str:
    """A name from metadata without what sites put beside it: a home page or e-mail address
    ("Frank Bueltge - http://bueltge.de"), a leading "By", a closing full stop."""
    name = _URL_OR_MAIL.sub(" ", name)
    name = _LEADING_BY.sub("", _SPACE.sub(" ", name).strip(" -–—|,;:"))
    last = name.split()[-1] if name else ""
    if last.endswith(".") and len(last) > 3 and "." not in last[:-1]:  # not "Jr." nor "Ph.D."
        name = name[:-1]
    return name.strip()


def _squashed(name: str) -> str:
    return "".join(_WORD.findall(name.casefold())).replace("_", "")


def _name_of(value: Any) -> str | None:
    return value["name"] if isinstance(value, dict) and isinstance(value.get("name"), str) else None


def _organization_names(value: Any) -> list[str]:
    """The names of the Organizations (NewsMediaOrganization, Corporation ...) in ``value``."""
    items = value if isinstance(value, list) else [value]
    return [
        _clean_name(name)
        for item in items
        if isinstance(item, dict)
        and any("organization" in t or t == "corporation" for t in _types(item))
        and (name := _name_of(item))
    ]


def _names_site(author: str, own: set[str], url: str) -> bool:
    """Whether ``author`` is the site's name: one of ``own`` (og:site_name, the publisher) or its
    domain's name, with or without the domain ending ("tagesschau.de", "Motorsport-Total.com",
    "El Colombiano" on elcolombiano.com)."""
    squashed = _squashed(author)
    if not squashed:
        return False
    if squashed in own:
        return True
    domain = _domain_name(url)
    return len(domain) >= 3 and squashed.startswith(domain) and len(squashed) - len(domain) <= 4


def _first_url(value: Any) -> str | None:
    for v in value if isinstance(value, list) else [value]:
        if isinstance(v, str) and v.strip():
            return v.strip()
        if isinstance(v, dict):
            for field in ("url", "contentUrl", "@id"):
                if isinstance(v.get(field), str) and v[field].strip():
                    return v[field].strip()
    return None


def _keywords(value: Any) -> list[str]:
    if isinstance(value, str):
        return [k.strip() for k in re.split(r"[,;]", value) if k.strip()]
    if isinstance(value, list):
        return [k.strip() for k in value if isinstance(k, str) and k.strip()]
    return []


# meta --------------------------------------------------------------------------------------
def _meta(root: etree._Element) -> dict[str, list[str]]:
    metas: dict[str, list[str]] = {}
    for el in root.iter("meta"):
        name = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        content = el.get("content")
        if name and content and content.strip():
            metas.setdefault(name, []).append(_SPACE.sub(" ", content).strip())
        equiv = (el.get("http-equiv") or "").strip().lower()
        if equiv == "content-language" and content:
            metas.setdefault("content-language", []).append(content.strip())
    return metas


def _text(el: etree._Element) -> str:
    return _SPACE.sub(" ", el.text_content() or "").strip()


def _heading_text(heading: etree._Element) -> str:
    """What a reader sees as the headline in a heading element: without the date (``<time>``) or
    the line set small under it (date, section, subtitle) printed inside it, and without the
    words only screen readers get ("Headline:"; a hidden ": " between kicker and headline stays,
    as a space)."""
    if not any(isinstance(el.tag, str) and _not_headline(el) for el in heading.iterdescendants()):
        return _text(heading)
    copy = deepcopy(heading)
    copy.tail = None
    for el in list(copy.iterdescendants()):
        if isinstance(el.tag, str) and _not_headline(el) and el.getparent() is not None:
            el.tail = " " + (el.tail or "")
            el.drop_tree()
    return _text(copy).rstrip(" :") or _text(heading)


def _not_headline(el: etree._Element) -> bool:
    if el.tag in _NOT_HEADLINE:
        return True
    return bool(
        _SCREEN_READER_ONLY.search(el.get("class") or "") and _WORD.search(el.text_content() or "")
    )


def _unmojibake(text: str) -> str:
    """``text`` read right when the site stored its UTF-8 bytes decoded as Latin-1 or
    Windows-1252 ("Investorâ\x80\x99s", "Investorâ€™s" for "Investor’s"); else as it is."""
    if not _MOJIBAKE.search(text):
        return text
    for codec in ("cp1252", "latin-1"):
        try:
            return text.encode(codec).decode("utf-8")
        except UnicodeError:
            continue
    return text


def _links_home(heading: etree._Element) -> bool:
    """Whether a heading is the site's logo: a link to its home page ("/", an archive's copy of
    the site's root)."""
    for a in heading.iter("a"):
        href = (a.get("href") or "").strip()
        href = href[href.rfind("http") :] if "http" in href else href  # web.archive.org/web/.../
        try:
            parts = urlsplit(href)
        except ValueError:
            continue
        if parts.path in ("", "/", "/index.html", "/index.php", "/index.htm") and not parts.query:
            return True
    return False


def _clean_title(title: str, root: etree._Element) -> str:
    """The page title without the site name a ``<title>`` usually appends."""
    logos = set()
    for h in root.iter("h1"):
        heading = _heading_text(h)
        if _links_home(h):
            logos.add(heading.casefold())
        elif heading and len(heading) > 10 and heading in title:
            return heading
    parts = [
        p.strip()
        for p in re.split(
            rf"\s+[{_SEPARATORS}]\s*|\s*[{_BARS}]\s+",
            title,
        )
        if p.strip()
    ]
    # the site's name, as its logo prints it, is not the headline
    headline_parts = [p for p in parts if p.casefold() not in logos]
    if len(headline_parts) == 1 and len(parts) > 1:
        return headline_parts[0]
    parts = headline_parts or parts
    if len(parts) > 1:
        # the page's <h1> is one of the title's parts, however short ("Mozilla - Wikipedia"),
        # unless it is a link: the site's logo ("<h1><a href="/">DimidoBlog</a></h1>")
        headings = {heading.casefold(): heading for heading in _printed_h1s(root)}
        exact = next((headings[p.casefold()] for p in parts if p.casefold() in headings), None)
        if exact:
            return exact
        # The headline is printed on the page as text (legacy pages: in <b> or <font>, no <h1>);
        # the site name is a logo link, a word or two, or part of a longer line ("© The Gazette").
        links = {_text(a) for a in root.iter("a")}
        lines = [x for x in page_lines(root) if len(x) <= _HEADLINE_MAX_CHARS and x not in links]
        printed: dict[str, str] = {}
        for part in parts:
            if len(part.split()) < _HEADLINE_MIN_WORDS:
                continue
            line = next((x for x in lines if x.casefold().startswith(part.casefold())), None)
            if line is not None:
                # <title> often shortens the headline: the printed line is the whole of it.
                printed[part] = line if line.endswith(("?", "!")) or line[-1:].isalnum() else part
        if printed:
            return printed[max(printed, key=len)]
        return max(parts, key=len)
    return title


_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-f]+|[a-z]+\d*);", re.IGNORECASE)
_TITLE_SEPARATOR = re.compile(rf"\s*[{_SEPARATORS}]\s*")
_SEPARATOR_BEFORE = re.compile(rf"\S\s*[{_SEPARATORS}]\s*$")


def _unescaped(text: str) -> str:
    """``text`` with the character references a page escaped twice ("&amp;#8211;" in an attribute
    reads as "&#8211;") resolved."""
    return html.unescape(text) if _ENTITY.search(text) else text


def _jsonld_title(art: dict, root: etree._Element, og_title: str | None) -> Any:
    """The article object's ``headline``, or its ``name`` when the two differ and only the name
    is the title the page prints (``og:title``, ``<title>``, ``<h1>``): some sites put a summary
    in ``headline`` ("constitutional monarchy in Oceania" for "New Zealand")."""
    headline, name = art.get("headline"), art.get("name")
    if not (isinstance(headline, str) and isinstance(name, str)) or not name.strip():
        return headline or name
    printed = " ".join(
        t.casefold() for t in (og_title, *(_text(h) for h in root.iter("title", "h1"))) if t
    )
    if headline.strip().casefold() not in printed and name.strip().casefold() in printed:
        return name
    return headline


def _printed_h1s(root: etree._Element) -> list[str]:
    """The text of each ``<h1>`` that is not a link (a link is the site's logo)."""
    return [_heading_text(h) for h in root.iter("h1") if not h.xpath("ancestor-or-self::a|.//a")]


def _printed_headline(title: str, root: etree._Element, declared: bool = True) -> str:
    """The headline the page prints in its ``<h1>`` rather than the title its metadata gives.

    Metadata titles are written for search results and shares ("Best Movers 2026 | Top 19
    Companies", "Fitness Trends 2025: 9 Things ..."); the reader sees the ``<h1>``: the one sharing
    most of its words with the title, or, when the title is not ``declared`` by the article's
    metadata (a ``<title>``, often the site's name alone), the page's only ``<h1>``, and when it
    is, the only one if it reads as a headline (``_H1_MIN_WORDS``: "I Tried Amp, the AI Strength
    Training System" for "Amp AI Fitness Machine Review"). An ``<h1>`` that is a link is the
    site's logo, one under ``_H1_MIN_CHARS`` a label ("Menu"), and a short one sharing few words
    with a declared title a section's name ("Allergies Health Center", "M&A Updates").
    """
    printed = _printed_h1s(root)
    if any(_wraps(heading, title) for heading in printed):
        return title
    # The title printed as a story's heading under a section's <h1> ("Allergies Health Center"),
    # unless an <h1> holds every word of it (the headline in full, the title shortened).
    folded, known = title.casefold(), set(_WORD.findall(title.casefold()))
    if not any(known <= set(_WORD.findall(h.casefold())) for h in printed) and any(
        _heading_text(h).casefold() == folded for h in root.iter("h2", "h3")
    ):
        return title
    headings = [text for text in printed if len(text) >= _H1_MIN_CHARS]
    if not headings:
        return title
    best, share = None, 0.0
    for heading in headings:
        words = set(_WORD.findall(heading.casefold()))
        if words and (overlap := len(words & known) / len(words)) > share:
            best, share = heading, overlap
    if best is not None and share >= _H1_SHARED:
        return best
    if len(headings) == 1 and (not declared or len(headings[0].split()) >= _H1_MIN_WORDS):
        return headings[0]
    return title


def _wraps(heading: str, title: str) -> bool:
    """Whether ``heading`` is ``title`` itself, or ``title`` with a kicker before it ("Tunesien
    Große Aufgaben ...", but not "Pure Leere": ..., a headline's own first half) or the site's
    name after a separator ("Headline | Site")."""
    heading, title = heading.casefold(), " ".join(title.casefold().split())
    if not title or heading == title:
        return bool(title)
    if heading.endswith(title):
        return not heading[: -len(title)].rstrip().endswith(":")
    return heading.startswith(title) and heading[len(title) :].lstrip()[:1] in _TITLE_BARS


def _site_name_off(title: str, root: etree._Element) -> str:
    """A metadata title without the site name or section glued to it, where the page prints its
    headline alone in an ``<h1>``: "Headline › Site", "Site - Headline"."""
    for h in root.iter("h1"):
        heading = _heading_text(h)
        if len(heading) <= 10 or heading == title or 2 * len(heading) < len(title):
            continue  # the headline is the longer part; a short <h1> is the site's logo
        if title.startswith(heading) and _TITLE_SEPARATOR.match(title[len(heading) :]):
            return heading
        if title.endswith(heading) and _SEPARATOR_BEFORE.search(title[: -len(heading)]):
            return heading
    return title


def _strip_site_name(title: str, site_name: str) -> str:
    """``title`` without "| Site" at its end (string work: a pattern per site name would be
    compiled for every page of every site)."""
    site, stripped = site_name.strip(), title.rstrip()
    if not site or not stripped.endswith(site):
        return title
    head = stripped[: -len(site)].rstrip()
    if not head or head[-1] not in _SEPARATORS:
        return title
    head = head[:-1].strip()
    return head if len(head) > 10 else title


def _strip_host_name(title: str, url: str) -> str:
    """``title`` without a last part that names the site: "Checklist | Bridgestone Tires" on
    tires.bridgestone.com, "Tips – Nationwide" on nationwide.com, "... | UC Davis Children's
    Hospital" on health.ucdavis.edu, "... - BBC News" on bbc.co.uk (the part holds the name the
    domain is registered under, or its first word starts that name)."""
    match = _LAST_PART.match(title)
    name = _domain_name(url) if match else ""
    if not name:
        return title
    words = _WORD.findall(match.group(2).casefold())
    squashed = _squashed(match.group(2))
    if (name in squashed if len(name) >= 4 else squashed.startswith(name)) or (
        len(words[0]) >= 4 and name.startswith(words[0])
    ):
        return match.group(1).strip()
    return title


def _domain_name(url: str) -> str:
    """The name a site's domain is registered under: "bridgestone" for tires.bridgestone.com,
    "bbc" for www.bbc.co.uk, "batterynews" for battery-news.de; "" for an address (127.0.0.1)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    labels = host.split(".")[:-1]
    if not labels or host.replace(".", "").isdigit():
        return ""
    for label in reversed(labels):
        if label not in _SECOND_LEVEL:
            return label.replace("-", "")
    return ""


def _date_in_text(root: etree._Element) -> str | None:
    """A date with its time written in a short line near the top (``Date: 2025-04-15 15:22:30``)."""
    body = root.find("body")
    if body is None:
        return None
    for el in body.iter("time", "span", "div", "p", "li", "em", "small"):
        own = (el.text or "").strip()
        if not own or len(own) > 80:
            continue
        match = _ISO.search(own)
        if match and match.group(4):
            return normalize_date(match.group(0))
    return None


# Elements a page marks as its author: a link with rel="author", itemprop="author", a class or id
# naming the author or the byline (trafilatura's author XPaths, narrowed to what names a person).
_AUTHOR_TAGS = ("a", "address", "div", "p", "span", "strong", "h3", "h4", "li")
# "author", "authors", "byline", "author-name"; French "auteur(s)", German "autor(en)", Italian
# and Spanish "autore", "autor(es)"
_AUTHOR_WORDS = r"(?:authors?|auteurs?|autor(?:en|es|in)?|autori?e?|byline|byl)"
_AUTHOR_MARK = re.compile(rf"(?:^|[ _-]){_AUTHOR_WORDS}(?:[ _-]|name|$)", re.IGNORECASE)
_AUTHOR_ID = re.compile(rf"^{_AUTHOR_WORDS}", re.IGNORECASE)


def _author_elements(root: etree._Element) -> Iterator[etree._Element]:
    for element in root.iter(_AUTHOR_TAGS):
        marks = element.get("class")
        if (marks and _AUTHOR_MARK.search(marks)) or (
            element.attrib
            and (
                element.get("rel") == "author"
                or "author" in (element.get("itemprop") or "")
                or _AUTHOR_ID.search(element.get("id") or "")
            )
        ):
            yield element


# Where an author element names someone else: a comment's, a sidebar's or another story's author.
# Whole class tokens and ids: a layout wrapper ("content-sidebar-wrap") holds the story too.
_NOT_THE_STORY = frozenset(
    {"sidebar", "widget", "related", "related-posts", "respond", "secondary", "teaser", "teasers"}
)
_AUTHOR_MAX_CHARS = 120
# "View all posts by Jane Doe", "Zeige alle Beiträge von Jane Doe": the name follows the last "by".
_LAST_BY = re.compile(
    r"^.*\b(?:" + "|".join((*BY_WORDS, "de")) + r")\s+(?=\S)", re.IGNORECASE | re.DOTALL
)


def markup_authors(root: etree._Element) -> list[str]:
    """The names in the first element the page marks as the story's author (``rel="author"``,
    ``itemprop="author"``, an ``author`` or ``byline`` class), read as a byline ("By A and B",
    "Posts by A", "A | Role") or as a name alone; [] when no such element holds one.

    Elements inside comments, sidebars, related-story lists, ``nav``, ``aside``, and a page footer
    outside the story are skipped: they name other people.
    """
    user = None
    for element in _author_elements(root):
        # words of two elements are two words ("<span>Author</span>Jane Doe", a screen reader's)
        text = _SPACE.sub(" ", " ".join(element.itertext())).strip(" |·•-–—:")
        if not text or len(text) > _AUTHOR_MAX_CHARS or _elsewhere(element):
            continue
        names = parse_byline(text) or _after_label(text) or name_list(unlabelled(text, by=False))
        if names and all(name_list(name) for name in names):  # "By Sponsored Content": no name
            return names
        if user is None:
            user = handle(text)
    # no name written as a name: a blog's user name ("by marc"), in the first marked element
    return [user] if user else []


def _after_label(text: str) -> list[str]:
    # "View all posts by Jane Doe", "Zum Profil von Jane Doe": the name after the last "by", when
    # what comes before it is not a name itself ("Ursula von der Leyen", "Jean de La Fontaine").
    found = _LAST_BY.match(text)
    if not found:
        return []
    before = text[: found.end()].split()[:-1]
    if not before or name_list(" ".join(before)):
        return []
    return name_list(text[found.end() :])


def _elsewhere(element: etree._Element) -> bool:
    for ancestor in (element, *element.iterancestors()):  # the element's own class counts too
        if ancestor.tag in ("body", "html"):
            return False  # their classes describe the page ("comments-open"), not a part of it
        if ancestor.tag in ("nav", "form"):
            return True
        if ancestor.tag == "aside" and not any(
            a.tag == "article" for a in ancestor.iterancestors()
        ):
            return True  # a page's sidebar; an <aside> in the story's <article> is the story's
        if ancestor.tag == "footer" and not any(
            a.tag in ("article", "main") for a in ancestor.iterancestors()
        ):
            return True
        marks = f"{ancestor.get('class', '')} {ancestor.get('id', '')}".lower().split()
        if any(m in _NOT_THE_STORY or m.startswith("comment") for m in marks) and (
            # a wrapper that holds the story's headline is the story's, whatever its name
            # (WordPress themes that call the content column "sidebar")
            ancestor.find(".//h1") is None
        ):
            return True
    return False


def extract_metadata(root: etree._Element, url: str) -> dict[str, Any]:
    """Every metadata field of an article page, None / [] where the page says nothing."""
    objects = jsonld_objects(root)
    articles = [o for o in objects if _types(o) & ARTICLE_TYPES]
    art = articles[0] if articles else {}
    meta = _meta(root)

    def m(*names: str) -> str | None:
        for n in names:
            if meta.get(n):
                return meta[n][0]
        return None

    fields: dict[str, Any] = {"jsonld_types": sorted({t for o in objects for t in _types(o)})}
    fields["jsonld_article"] = bool(articles)

    canonical = None
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            canonical = link.get("href").strip()
            break
    canonical = (
        canonical or m("og:url") or _first_url(art.get("mainEntityOfPage")) or art.get("url")
    )
    fields["canonical_url"] = urljoin(url, canonical) if isinstance(canonical, str) else None

    title = _jsonld_title(art, root, m("og:title", "twitter:title"))
    if not isinstance(title, str) or not title.strip():
        title = m("og:title", "twitter:title", "dc.title")
    declared = bool(title)  # the article's own metadata, not the page's <title>
    if not title:
        h1 = next((t for t in (_heading_text(h) for h in root.iter("h1")) if t), None)
        page_title = root.find(".//title")
        raw = _text(page_title) if page_title is not None else ""
        title = _clean_title(raw, root) if raw else h1
    publisher = art.get("publisher")
    site_name = m("og:site_name", "application-name")
    if not site_name and isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
        site_name = publisher["name"]
    if title:
        title = _site_name_off(_unescaped(title), root)
        if site_name:
            # off before the printed headline is looked for: the page may print the rest
            title = _strip_site_name(title, site_name)
        title = _printed_headline(title, root, declared)
    fields["title"] = _SPACE.sub(" ", title).strip() if title else None

    # Yoast and other graph builders name the author once, as a Person the article points at. That
    # is often the site's account that posted the story ("admin"), not its byline: linked_authors
    # is no field of the result; extract reads it after the page's printed byline.
    authors = _names(art.get("author")) or _names(art.get("creator"))
    fields["linked_authors"] = [] if authors else _linked_authors(objects, art)
    if not authors:
        for n in (
            "author",
            "article:author",
            "dc.creator",
            "byl",
            "parsely-author",
            "sailthru.author",
        ):
            authors = [a for a in _names(meta.get(n, [])) if not a.startswith("http")]
            if authors:
                break
    fields["authors"] = list(
        dict.fromkeys(
            re.sub(r"^(?:by|par|von|por|di)\s+", "", a, flags=re.IGNORECASE)
            for a in authors
            if a.casefold() not in _NO_AUTHOR
        )
    )

    published = normalize_date(art.get("datePublished")) or normalize_date(art.get("dateCreated"))
    published = published or normalize_date(
        m(
            "article:published_time",
            "og:article:published_time",
            "datepublished",
            "pubdate",
            "publishdate",
            "dc.date.issued",
            "dc.date",
            "date",
            "sailthru.date",
            "parsely-pub-date",
        )
    )
    if not published:
        for t in root.iter("time"):
            published = normalize_date(t.get("datetime") or "") or normalize_date(_text(t))
            if published:
                break
    published = published or _date_in_text(root)
    fields["published"] = published
    fields["modified"] = normalize_date(art.get("dateModified")) or normalize_date(
        m(
            "article:modified_time",
            "og:updated_time",
            "datemodified",
            "dc.date.modified",
            "last-modified",
        )
    )

    section = art.get("articleSection")
    if isinstance(section, list):
        section = next((s for s in section if isinstance(s, str)), None)
    fields["section"] = (section if isinstance(section, str) else None) or m("article:section")

    tags = _keywords(art.get("keywords"))
    tags += meta.get("article:tag", [])
    if not tags:
        tags = _keywords(m("news_keywords", "keywords"))
    fields["tags"] = list(dict.fromkeys(t for t in tags if t))

    lang = (
        root.get("lang")
        or root.get("xml:lang")
        or m("content-language", "og:locale", "dc.language")
    )
    lang = lang or (art.get("inLanguage") if isinstance(art.get("inLanguage"), str) else None)
    fields["language"] = lang.strip().replace("_", "-").split(",")[0] if lang else None

    description = art.get("description") if isinstance(art.get("description"), str) else None
    fields["description"] = description or m("og:description", "description", "twitter:description")

    image = _first_url(art.get("image")) or m("og:image", "og:image:url", "twitter:image")
    fields["image"] = urljoin(url, image) if image else None

    fields["site_name"] = site_name
    # An author that is the site itself (its name, its publisher, its domain, an Organization the
    # article names as author) says nothing a byline would not say better: extract reads it
    # after the page's printed byline and author elements.
    own = {_squashed(n) for n in (site_name, m("application-name"), _name_of(publisher)) if n}
    site_authors = set(_organization_names(art.get("author")))
    fields["site_authors"] = [
        a
        for a in fields["authors"]
        if a in site_authors or _names_site(a, own, url) or _USER_HANDLE.fullmatch(a)
    ]
    if fields["site_authors"]:
        # the rest of such a list is the site's address ("Kirche und Leben, Münster, Germany")
        fields["site_authors"], fields["authors"] = fields["authors"], []
    if fields["title"] and site_name:
        # "Headline - Site" / "Headline | Site" in og:title or <title>: the site is its own field.
        fields["title"] = _strip_site_name(fields["title"], site_name)
    if fields["title"]:
        fields["title"] = _strip_host_name(_unmojibake(fields["title"]), url)
    fields["og_type"] = (m("og:type") or "").lower() or None
    return fields
