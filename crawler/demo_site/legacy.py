"""The "legacy" demo template: The Daily Ledger, a newspaper site built around 2002 and never redone.

Table layout with ``<FONT>``, uppercase tags, unclosed ``<P>`` and CRLF line ends; bytes in
windows-1252 (curly quotes 0x93/0x94, en dash 0x96 in the datelines, a euro sign 0x80) declared
as ``iso-8859-1`` in the header and the ``<META HTTP-EQUIV>``; no gzip, no JSON-LD, no Open Graph,
no ``<time>``, no author meta, no feed, no sitemap, no robots.txt (404). Every link is
document-relative (``0402_3.htm``, ``../index.htm``, ``../business/2019/0402_3.htm``).

Articles live at ``/<section>/YYYY/MMDD_N.htm`` (N counts the section's stories of that day) and
say who wrote them and when only in text, under the headline: "By Name, Role<BR>Wednesday,
April 17, 2019", and on some pages "By A and B", "By Name | Role", a mailto byline, or a date as
"April 17, 2019", "2019-04-17", "17.04.2019" (day first) or "04/17/2019" (month first, only where
the day is above 12, so that no date is ambiguous). The top bar of every page carries the
edition's date, which is not the date of most articles. The body ends with utility lines
("Printer-friendly version | E-mail this story | Back to Business") and a copyright line; some
bodies hold an "Advertisement" box. The ground truth (``template_manifest``) gives each
article's title, authors, date (``YYYY-MM-DD``: the page gives no time) and body paragraphs,
which hold none of those lines.

The home page ``/`` links the sections and the latest stories; section pages
``/<section>/index.htm`` page through ``index_2.htm``, ``index_3.htm``. Older stories are
reachable only through a section's later pages. Texts are the demo corpus
(``stories.load_corpus``) moved back 313 weeks, to April 2019, weekdays intact.
"""

from __future__ import annotations

import html
import posixpath
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from crawler.demo_site.site import Resource, SiteBuild
from crawler.demo_site.stories import Story, load_corpus

SITE_NAME = "The Daily Ledger"
SERVER = "Microsoft-IIS/5.0"
SHIFT = -timedelta(weeks=313)  # April 2025 to April 2019, same weekdays
PAGE_SIZE = 4
LATEST = 5  # "Latest headlines" in the left column of every page
CONTENT_TYPE = "text/html; charset=iso-8859-1"

# The corpus's sections, as the Ledger names them: (path, title).
SECTIONS = {
    "world": ("world", "World"),
    "business": ("business", "Business"),
    "news": ("local", "Local News"),
    "reviews": ("arts", "Arts"),
    "tech": ("tech", "Technology"),
}
STAFF = {
    "world": (
        ("Ruth Abernethy", "Foreign Editor"),
        ("Dana Whitcombe", "Ledger Correspondent"),
        ("Martin Keough", "Staff Writer"),
    ),
    "business": (
        ("Ellen Rourke", "Business Editor"),
        ("Paul Ferris", "Staff Writer"),
        ("Siobhán Doherty", "Markets Reporter"),
    ),
    "news": (("Simon Kettering", "City Hall Reporter"), ("Martin Keough", "Staff Writer")),
    "reviews": (("Grace Llewellyn", "Arts Critic"), ("Owen Pryce", "Staff Writer")),
    "tech": (("Nathan Oduya", "Technology Reporter"), ("Paul Ferris", "Staff Writer")),
}
# Named only in "Additional reporting by": never in a byline.
STRINGERS = ("Amos Tredwell", "Lena Marsh", "Victor Osei")
# How a story's byline and date are written, by its place in the corpus: (byline, date).
STYLES = (
    ("single", "long"),
    ("single", "long"),
    ("pair", "month"),
    ("pipe", "iso"),
    ("single", "long"),
    ("name-only", "dotted"),
    ("mailto", "long"),
    ("single", "slashed"),
)
_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
_IMAGES = ("/images/masthead.gif", "/images/spacer.gif", "/images/ads/sky_120x240.gif")


@dataclass(frozen=True)
class LegacyStory:
    """A corpus story as the Ledger prints it."""

    story: Story
    path: str
    section: str  # the Ledger's section path ("local" for the corpus's "news")
    authors: tuple[tuple[str, str], ...]  # (name, role)
    byline_html: str
    date_text: str
    paragraphs: tuple[str, ...]  # the body as a reader sees it: the dateline starts the first
    advert: bool

    @property
    def day(self) -> datetime:
        return self.story.published

    @property
    def section_title(self) -> str:
        return _section_title(self.section)


def _section_title(path: str) -> str:
    return next(title for p, title in SECTIONS.values() if p == path)


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def attr(text: str) -> str:
    return html.escape(text, quote=True)


def href(target: str, current: str) -> str:
    """``target`` as a document-relative link from the page at ``current`` (both paths)."""
    rel = posixpath.relpath(target, posixpath.dirname(current) or "/")
    if target.endswith("/"):
        rel = "./" if rel == "." else rel + "/"
    return rel


def long_date(d: datetime) -> str:
    return f"{d:%A}, {d:%B} {d.day}, {d.year}"


def _date_text(d: datetime, style: str) -> str:
    if style == "slashed" and d.day <= 12:
        style = "dotted"  # month-first with a day of 12 or less would read both ways
    return {
        "long": long_date(d),
        "month": f"{d:%B} {d.day}, {d.year}",
        "iso": f"{d:%Y-%m-%d}",
        "dotted": f"{d:%d.%m.%Y}",
        "slashed": f"{d:%m/%d/%Y}",
    }[style]


def _byline(
    style: str, staff: tuple[tuple[str, str], ...], i: int
) -> tuple[tuple[tuple[str, str], ...], str]:
    first = staff[i % len(staff)]
    if style == "pair":
        second = staff[(i + 1) % len(staff)]
        return (first, second), f"By {esc(first[0])} and {esc(second[0])}"
    name, role = first
    text = {
        "single": f"By {esc(name)}, {esc(role)}",
        "pipe": f"By <B>{esc(name)}</B> | {esc(role)}",
        "name-only": f"By {esc(name)}",
        "mailto": (
            f'By <A HREF="mailto:{name.split()[-1].lower()}@dailyledger.example">{esc(name)}</A>, '
            f"{esc(role)}"
        ),
    }[style]
    return (first,), text


def load_legacy_stories(edition: int = 1) -> list[LegacyStory]:
    """The Ledger's stories of an edition, newest first.

    Paths, bylines and styles are computed over every edition's stories, so a story is
    printed the same way in both editions.
    """
    corpus = load_corpus(2, outlet="the Ledger", reporters=STRINGERS, signed=True, shift=SHIFT)
    per_day: dict[tuple[str, str], list[Story]] = defaultdict(list)
    for s in corpus:
        per_day[(s.section, f"{s.published:%Y%m%d}")].append(s)
    number = {}
    for day_stories in per_day.values():
        for n, s in enumerate(sorted(day_stories, key=lambda s: (s.published, s.slug)), start=1):
            number[s.slug] = n
    out = []
    for i, s in enumerate(corpus):
        section = SECTIONS[s.section][0]
        byline_style, date_style = STYLES[i % len(STYLES)]
        authors, byline_html = _byline(byline_style, STAFF[s.section], i)
        paragraphs = list(s.paragraphs)
        if s.place[:1].isupper():
            paragraphs[0] = f"{s.place.upper()} – {paragraphs[0]}"
        out.append(
            LegacyStory(
                story=s,
                path=f"/{section}/{s.published:%Y}/{s.published:%m%d}_{number[s.slug]}.htm",
                section=section,
                authors=authors,
                byline_html=byline_html,
                date_text=_date_text(s.published, date_style),
                paragraphs=tuple(paragraphs),
                advert=i % 3 == 1,
            )
        )
    out = [ls for ls in out if ls.story.edition <= edition]
    out.sort(key=lambda ls: (ls.story.published, ls.story.slug), reverse=True)
    return out


def build_legacy(base_url: str, edition: int = 1) -> SiteBuild:
    """Every page of The Daily Ledger at ``base_url`` (``http://host:port/``)."""
    return _Builder(base_url, edition).build()


# ---------------------------------------------------------------------- pages


def _page(
    title: str,
    current: str,
    edition_day: datetime,
    latest: list[LegacyStory],
    main: str,
    right: str = "",
    head: str = "",
) -> str:
    """The Ledger's frame: masthead, date bar, left column of sections and latest headlines."""

    def a(target: str, text: str) -> str:
        return f'<A HREF="{attr(href(target, current))}">{text}</A>'

    sections = "<BR>\n".join(
        a(f"/{p}/index.htm", f'<FONT FACE="Verdana" SIZE="1"><B>{esc(t)}</B></FONT>')
        for p, t in SECTIONS.values()
    )
    headlines = "\n".join(f"<LI>{a(ls.path, esc(ls.story.headline))}" for ls in latest)
    return f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<HTML>
<HEAD>
<TITLE>{esc(title)}</TITLE>
<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=iso-8859-1">
{head}<SCRIPT LANGUAGE="JavaScript">
<!--
function popUp(u){{window.open(u,'ledger','width=420,height=500');}}
//-->
</SCRIPT>
</HEAD>
<BODY BGCOLOR="#FFFFFF" TEXT="#000000" LINK="#003366" VLINK="#663366" TOPMARGIN=0 LEFTMARGIN=0 MARGINWIDTH=0 MARGINHEIGHT=0>
<TABLE WIDTH=760 BORDER=0 CELLPADDING=0 CELLSPACING=0>
<TR><TD COLSPAN=3 BGCOLOR="#003366">{a("/", f'<IMG SRC="{attr(href("/images/masthead.gif", current))}" WIDTH=468 HEIGHT=60 BORDER=0 ALT="{SITE_NAME}">')}</TD></TR>
<TR><TD COLSPAN=3 BGCOLOR="#CCCCCC"><FONT FACE="Verdana" SIZE="1">&nbsp;{long_date(edition_day)} &nbsp;|&nbsp; Port Ellery's newspaper since 1902 &nbsp;|&nbsp; {a("/", "Home")}</FONT></TD></TR>
<TR>
<TD WIDTH=140 VALIGN=top BGCOLOR="#EEEEEE">
<IMG SRC="{attr(href("/images/spacer.gif", current))}" WIDTH=140 HEIGHT=8><BR>
{sections}
<P><FONT FACE="Verdana" SIZE="1"><B>Latest headlines</B></FONT>
<FONT FACE="Verdana" SIZE="1"><UL>
{headlines}
</UL></FONT>
<P><FONT FACE="Verdana" SIZE="1">{a("/about.htm", "About the Ledger")}<BR>
{a("/contact.htm", "Contact us")}<BR>
<A HREF="mailto:circulation@dailyledger.example">Subscribe</A></FONT>
</TD>
<TD WIDTH=470 VALIGN=top>
{main}
</TD>
<TD WIDTH=150 VALIGN=top ALIGN=center>
<FONT FACE="Verdana" SIZE="1" COLOR="#999999">ADVERTISEMENT</FONT><BR>
<IMG SRC="{attr(href("/images/ads/sky_120x240.gif", current))}" WIDTH=120 HEIGHT=240 BORDER=1><BR>
{right}</TD>
</TR>
<TR><TD COLSPAN=3 ALIGN=center><HR SIZE=1 NOSHADE>
<FONT FACE="Verdana" SIZE="1">Copyright &copy; 1998-{edition_day.year} {SITE_NAME}. All rights reserved.<BR>
Reproduction in whole or in part without permission is prohibited.</FONT></TD></TR>
</TABLE>
</BODY>
</HTML>
"""


def article_page(
    ls: LegacyStory, edition_day: datetime, latest: list[LegacyStory], more: list[LegacyStory]
) -> str:
    """An article: headline, byline and date in text, body, utility lines, more headlines."""
    s, cur = ls.story, ls.path
    section_index = f"/{ls.section}/index.htm"
    paras = []
    for i, p in enumerate(ls.paragraphs):
        paras.append(f"<P>{esc(p)}")
        if ls.advert and i == 2:
            paras.append(
                "<TABLE ALIGN=right WIDTH=130 BORDER=0 CELLPADDING=4><TR><TD ALIGN=center>"
                '<FONT FACE="Verdana" SIZE="1" COLOR="#999999">Advertisement</FONT><BR>'
                f'<IMG SRC="{attr(href("/images/ads/sky_120x240.gif", cur))}" WIDTH=120 '
                "HEIGHT=90></TD></TR></TABLE>"
            )
    body = "\n".join(paras)
    more_links = "\n".join(
        f'<LI><A HREF="{attr(href(m.path, cur))}">{esc(m.story.headline)}</A>' for m in more
    )
    subject = attr(s.headline)
    main = f"""<FONT FACE="Verdana" SIZE="1"><A HREF="{attr(href(section_index, cur))}">{esc(ls.section_title)}</A></FONT><BR>
<FONT FACE="Georgia, Times New Roman" SIZE="5"><B>{esc(s.headline)}</B></FONT><BR>
<IMG SRC="{attr(href("/images/spacer.gif", cur))}" WIDTH=1 HEIGHT=6><BR>
<FONT FACE="Arial" SIZE="2">{ls.byline_html}<BR>
{esc(ls.date_text)}</FONT>
<FONT FACE="Times New Roman" SIZE="3">
{body}
</FONT>
<P><FONT FACE="Arial" SIZE="1"><A HREF="javascript:popUp('{attr(href(cur, cur))}')">Printer-friendly version</A> | <A HREF="mailto:?subject={subject}">E-mail this story</A> | <A HREF="{attr(href(section_index, cur))}">Back to {esc(ls.section_title)}</A></FONT>
<P><FONT FACE="Arial" SIZE="1">Copyright &copy; {s.published.year} {SITE_NAME}. All rights reserved.</FONT>
<HR SIZE=1 NOSHADE>
<FONT FACE="Arial" SIZE="2"><B>More {esc(ls.section_title)} headlines</B></FONT>
<FONT FACE="Arial" SIZE="2"><UL>
{more_links}
</UL></FONT>"""
    head = (
        f'<META NAME="keywords" CONTENT="{attr(", ".join(s.tags))}">\n'
        f'<META NAME="description" CONTENT="{attr(s.dek)}">\n'
    )
    title = f"{SITE_NAME} - {ls.section_title} - {s.headline}"
    return _page(title, cur, edition_day, latest, main, head=head)


def _teaser(ls: LegacyStory, current: str, lead: bool = False) -> str:
    link = f'<A HREF="{attr(href(ls.path, current))}"><B>{esc(ls.story.headline)}</B></A>'
    size = "4" if lead else "3"
    return (
        f'<P><FONT FACE="Georgia, Times New Roman" SIZE="{size}">{link}</FONT><BR>\n'
        f'<FONT FACE="Arial" SIZE="1" COLOR="#666666">{esc(_date_text(ls.day, "month"))}</FONT><BR>\n'
        f'<FONT FACE="Arial" SIZE="2">{esc(ls.story.dek)}</FONT>'
    )


def section_page(
    section: str,
    n: int,
    pages: int,
    chunk: list[LegacyStory],
    also: list[LegacyStory],
    edition_day: datetime,
    latest: list[LegacyStory],
) -> str:
    """A section index page, with a numbered pager and an "Also in the Ledger" box."""
    cur = _index_path(section, n)
    title = _section_title(section)
    teasers = "\n".join(_teaser(ls, cur) for ls in chunk)
    pager = []
    for k in range(1, pages + 1):
        pager.append(
            f"<B>{k}</B>" if k == n else f'<A HREF="{href(_index_path(section, k), cur)}">{k}</A>'
        )
    if n < pages:
        pager.append(f'<A HREF="{href(_index_path(section, n + 1), cur)}">Next &gt;&gt;</A>')
    also_links = "<BR>\n".join(
        f'<A HREF="{attr(href(ls.path, cur))}">{esc(ls.story.headline)}</A>' for ls in also
    )
    main = f"""<FONT FACE="Georgia, Times New Roman" SIZE="5"><B>{esc(title)}</B></FONT>
{teasers}
<P><FONT FACE="Verdana" SIZE="1">Page: {" ".join(pager)}</FONT>"""
    right = f"""<P><TABLE WIDTH=140 BORDER=0 CELLPADDING=3 BGCOLOR="#EEEEEE"><TR><TD>
<FONT FACE="Verdana" SIZE="1"><B>Also in the Ledger</B><BR>
{also_links}</FONT></TD></TR></TABLE>"""
    page_note = f" - Page {n}" if n > 1 else ""
    return _page(f"{SITE_NAME} - {title}{page_note}", cur, edition_day, latest, main, right)


def _index_path(section: str, n: int) -> str:
    return f"/{section}/index.htm" if n == 1 else f"/{section}/index_{n}.htm"


def home_page(
    top: list[LegacyStory],
    by_section: dict[str, list[LegacyStory]],
    edition_day: datetime,
    latest: list[LegacyStory],
) -> str:
    cur = "/"
    lead, rest = top[0], top[1:]
    blocks = []
    for section, stories in by_section.items():
        links = "<BR>\n".join(
            f'<A HREF="{attr(href(ls.path, cur))}">{esc(ls.story.headline)}</A>' for ls in stories
        )
        blocks.append(
            f'<P><FONT FACE="Verdana" SIZE="2"><B><A HREF="{href(_index_path(section, 1), cur)}">'
            f"{esc(_section_title(section))}</A></B></FONT><BR>\n"
            f'<FONT FACE="Arial" SIZE="2">{links}</FONT>'
        )
    main = (
        _teaser(lead, cur, lead=True)
        + "\n"
        + "\n".join(_teaser(ls, cur) for ls in rest)
        + "\n<P><HR SIZE=1 NOSHADE>\n"
        + "\n".join(blocks)
    )
    return _page(f"{SITE_NAME} - Port Ellery's newspaper", cur, edition_day, latest, main)


def notice_page(
    title: str,
    paragraphs: list[str],
    current: str,
    edition_day: datetime,
    latest: list[LegacyStory],
) -> str:
    body = "\n".join(f"<P>{esc(p)}" for p in paragraphs)
    main = (
        f'<FONT FACE="Georgia, Times New Roman" SIZE="5"><B>{esc(title)}</B></FONT>\n'
        f'<FONT FACE="Arial" SIZE="2">\n{body}\n</FONT>'
    )
    return _page(f"{SITE_NAME} - {title}", current, edition_day, latest, main)


_NOT_FOUND = """<HTML><HEAD><TITLE>404 Not Found</TITLE></HEAD>
<BODY><H1>Not Found</H1>
The requested URL was not found on this server.<P>
<HR><ADDRESS>Microsoft-IIS/5.0</ADDRESS>
</BODY></HTML>
"""
_ABOUT = [
    (
        "The Daily Ledger has been Port Ellery’s newspaper since 1902. It is published every "
        "morning except Sunday from its offices on Chandlery Row."
    ),
    (
        "The Ledger’s newsroom of 40 reporters, editors and photographers covers the city, the "
        "region and the world – and, since 1997, this web site."
    ),
]
_CONTACT = [
    "Newsroom: 7 Chandlery Row, Port Ellery. Telephone 01632 960 214.",
    "Letters to the editor should be no longer than 250 words and must include a postal address.",
    "Advertising and circulation enquiries: 01632 960 300, Monday to Friday, 9am to 5pm.",
]


def _encode(page: str) -> bytes:
    # CRLF, as the Windows editors of the day saved it; windows-1252 whatever the header says.
    return page.replace("\n", "\r\n").encode("cp1252", errors="xmlcharrefreplace")


class _Builder:
    def __init__(self, base_url: str, edition: int) -> None:
        self.base = base_url
        self.edition = edition
        self.stories = load_legacy_stories(edition)
        self.latest = self.stories[:LATEST]
        self.edition_day = self.stories[0].day
        self.res: dict[str, Resource] = {}
        self.entries: dict[str, dict] = {}
        self.articles: dict[str, dict] = {}

    def abs(self, path: str) -> str:
        return self.base.rstrip("/") + path

    def add(
        self,
        path: str,
        kind: str,
        page: str | bytes,
        last_modified: datetime,
        content_type: str = CONTENT_TYPE,
    ) -> None:
        body = _encode(page) if isinstance(page, str) else page
        self.res[path] = Resource(
            path, kind, body, content_type=content_type, last_modified=last_modified, gzip=False
        )
        self.entries[self.abs(path)] = {"kind": kind, "status": 200, "content_type": content_type}

    def build(self) -> SiteBuild:
        by_section: dict[str, list[LegacyStory]] = defaultdict(list)
        for ls in self.stories:
            by_section[ls.section].append(ls)
        by_section = {p: by_section[p] for p, _ in SECTIONS.values() if by_section[p]}
        for ls in self.stories:
            more = [m for m in by_section[ls.section] if m is not ls][:3]
            self.add(
                ls.path,
                "article",
                article_page(ls, self.edition_day, self.latest, more),
                _utc(ls.day),
            )
            self.articles[self.abs(ls.path)] = self.ground_truth(ls)
        for section, stories in by_section.items():
            chunks = [stories[i : i + PAGE_SIZE] for i in range(0, len(stories), PAGE_SIZE)]
            also = [others[0] for p, others in by_section.items() if p != section][:3]
            for n, chunk in enumerate(chunks, start=1):
                page = section_page(
                    section, n, len(chunks), chunk, also, self.edition_day, self.latest
                )
                self.add(_index_path(section, n), "section", page, _utc(chunk[0].day))
        self.add(
            "/",
            "home",
            home_page(
                self.stories[:7],
                {p: s[:2] for p, s in by_section.items()},
                self.edition_day,
                self.latest,
            ),
            _utc(self.edition_day),
        )
        for path, title, text in (
            ("/about.htm", "About the Ledger", _ABOUT),
            ("/contact.htm", "Contact us", _CONTACT),
        ):
            self.add(
                path,
                "page",
                notice_page(title, text, path, self.edition_day, self.latest),
                datetime(2019, 1, 7, tzinfo=UTC),
            )
        for path in _IMAGES:
            self.add(path, "asset", _GIF, datetime(2002, 3, 1, tzinfo=UTC), "image/gif")
        not_found = Resource(
            "", "404", _encode(_NOT_FOUND), status=404, content_type=CONTENT_TYPE, gzip=False
        )
        return SiteBuild(
            self.base, self.edition, self.res, self.manifest(), not_found, server=SERVER
        )

    def ground_truth(self, ls: LegacyStory) -> dict:
        s = ls.story
        return {
            "url": self.abs(ls.path),
            "title": s.headline,
            "authors": [name for name, _ in ls.authors],
            "published": f"{s.published:%Y-%m-%d}",
            "section": ls.section_title,
            "tags": list(s.tags),
            "description": s.dek,
            "site_name": SITE_NAME,
            "language": "en",
            "encoding": "windows-1252",
            "body_paragraphs": list(ls.paragraphs),
            "byline": html_text(ls.byline_html),
            "date_text": ls.date_text,
            "edition": s.edition,
        }

    def manifest(self) -> dict:
        html_kinds = ("home", "section", "page")
        return {
            "template": "legacy",
            "base_url": self.base,
            "edition": self.edition,
            "site_name": SITE_NAME,
            "home": self.base,
            "feeds": [],
            "sitemaps": [],
            "robots": None,
            "articles": dict(sorted(self.articles.items())),
            "non_articles": sorted(u for u, e in self.entries.items() if e["kind"] in html_kinds),
            "urls": self.entries,
        }


def html_text(fragment: str) -> str:
    """The text a reader sees in a small HTML fragment (tags dropped, entities decoded)."""
    out, inside = [], False
    for ch in fragment:
        if ch == "<":
            inside = True
        elif ch == ">":
            inside = False
        elif not inside:
            out.append(ch)
    return html.unescape("".join(out))


def _utc(d: datetime) -> datetime:
    # The Ledger's clock is local time with no zone; Last-Modified takes it as UTC.
    return d.replace(tzinfo=UTC)
