"""Article cleaning: fields, boilerplate learned per site, bad input, the pipeline's skips."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import random
import resource
import zlib
from pathlib import Path

import pytest
from lxml import html as lxml_html
from scrapy import Request
from scrapy.exceptions import DropItem
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.items import ArticleItem
from crawler.spiders.news import NewsSpider
from crawler.state import CrawlState
from pipelines.clean import TEMPLATE_NAMESPACE, CleanPipeline, template_key
from pipelines.extract import extract_article, restore_headings, section_headings
from pipelines.extract_cli import extract_command
from pipelines.metadata import normalize_date
from pipelines.template import SiteTemplate
from tests.helpers import project_settings

pytestmark = pytest.mark.fast

FIXTURES = Path(__file__).parent / "fixtures"
ARTICLE = FIXTURES / "content-farm-article.html"
EXPECTED = json.loads((FIXTURES / "content-farm-article.expected.json").read_text(encoding="utf-8"))
SIBLINGS = sorted((FIXTURES / "contentfarm").glob("*.html"))
ARTICLE_URL = EXPECTED["url"]


def _learned_content_farm() -> SiteTemplate:
    template = SiteTemplate("news.example.test")
    for page in SIBLINGS:
        template.observe(page.read_bytes(), f"http://news.example.test/{page.name}")
    template.observe(ARTICLE.read_bytes(), ARTICLE_URL)
    return template


def _assert_matches_expected(result: dict) -> None:
    assert result["is_article"], result["skip_reason"]
    assert result["title"] == EXPECTED["title"]
    assert result["published"] == EXPECTED["published"]
    assert result["tags"] == EXPECTED["tags"]
    assert result["body"].split("\n\n") == EXPECTED["body_paragraphs"]
    lines = result["body"].split("\n")
    for boilerplate in EXPECTED["boilerplate_lines"]:
        assert all(boilerplate not in line for line in lines), boilerplate


# --- content farm acceptance -------------------------------------------------------------------
def test_content_farm_article_is_clean_after_the_learner_saw_its_siblings():
    result = extract_article(ARTICLE.read_bytes(), ARTICLE_URL, template=_learned_content_farm())
    _assert_matches_expected(result)


def test_learned_template_marks_every_boilerplate_line_of_the_content_farm():
    # Independent of trafilatura: the template alone cuts every boilerplate line out of the page,
    # including sidebar headlines that no sibling page shares.
    tree = lxml_html.document_fromstring(ARTICLE.read_bytes())
    _learned_content_farm().strip(tree)
    remaining = [t.strip() for t in tree.find("body").itertext() if t.strip()]
    text = "\n".join(remaining)
    for boilerplate in EXPECTED["boilerplate_lines"]:
        assert boilerplate not in remaining, boilerplate
    for paragraph in EXPECTED["body_paragraphs"]:
        assert paragraph in text


def _newsletter_site(n: int, story: list[str]) -> bytes:
    # A site whose newsletter prompt and like-counter sit *inside* the article container, where a
    # main-text extractor keeps them; the prompt is in German: no English label list can help.
    paragraphs = "".join(f"<p>{p}</p>" for p in story)
    return f"""<html lang="de"><head><title>Artikel {n} | Tagesblatt</title></head><body>
    <nav><a href="/">Start</a> <a href="/politik/">Politik</a></nav>
    <article><h1>Meldung Nummer {n} aus der Stadt</h1>
    <div class="text">{paragraphs}
    <p class="promo">Abonnieren Sie jetzt unseren Newsletter und verpassen Sie keine Nachricht mehr!</p>
    <p class="likes">Gefällt {n * 37} Lesern</p></div></article>
    <footer>Impressum · Datenschutz · Kontakt</footer></body></html>""".encode()


STORIES = [
    [
        (
            f"Die Stadtverwaltung hat am {d}. März einen Plan für {topic} vorgestellt, der vor allem "
            f"die Anwohner im Viertel {where} entlasten soll."
        ),
        (
            f"{who} will über den Vorschlag im kommenden Monat abstimmen, nachdem die Bürger ihre "
            f"Einwände zu {topic} schriftlich einreichen konnten."
        ),
        (
            f"{critic} hält die Kosten für zu hoch und verlangt ein unabhängiges Gutachten, bevor "
            f"das Geld für {topic} ausgegeben wird."
        ),
    ]
    for d, topic, where, who, critic in [
        (3, "neue Radwege", "Nord", "Der Gemeinderat", "Die Opposition"),
        (5, "eine Schwimmhalle", "Süd", "Der Bauausschuss", "Der Steuerzahlerbund"),
        (9, "den Hafenausbau", "Ost", "Die Hafenkommission", "Ein Umweltverband"),
        (12, "längere Busfahrten", "West", "Der Verkehrsverbund", "Die Fahrgastvertretung"),
        (17, "ein Jugendzentrum", "Mitte", "Der Sozialausschuss", "Die Nachbarschaftsinitiative"),
        (21, "neue Straßenlaternen", "Hafen", "Die Bezirksvertretung", "Der Rechnungshof"),
    ]
]


def test_recurring_prompt_inside_the_article_is_learned_and_removed():
    template = SiteTemplate("tagesblatt.test")
    pages = [_newsletter_site(n, story) for n, story in enumerate(STORIES)]
    for n, page in enumerate(pages):
        template.observe(page, f"http://tagesblatt.test/{n}")
    untaught = extract_article(pages[0], "http://tagesblatt.test/0")
    assert "Newsletter" in untaught["body"]  # the extractor alone keeps it
    result = extract_article(pages[0], "http://tagesblatt.test/0", template=template)
    assert "Newsletter" not in result["body"] and "Gefällt" not in result["body"]
    assert result["body"].split("\n\n") == STORIES[0]


def test_a_story_the_site_runs_under_several_urls_keeps_its_paragraphs():
    """A wire story a site carries three times (its own copy, AMP, print) is not its template:
    its paragraphs recur, but on a few pages, not on most of them as a newsletter prompt does."""
    template = SiteTemplate("tagesblatt.test")
    repeated = STORIES[0]
    stories = [repeated, repeated, repeated, *STORIES[1:], *STORIES[1:]]
    for n, story in enumerate(stories):
        template.observe(_newsletter_site(n, story), f"http://tagesblatt.test/{n}")
    result = extract_article(
        _newsletter_site(0, repeated), "http://tagesblatt.test/0", template=template
    )
    assert result["body"].split("\n\n") == repeated
    assert "Newsletter" not in result["body"]


TOWNS = ["Altdorf", "Bergheim", "Cranz", "Dornstadt", "Eschau", "Fahrenbach", "Gerstetten"]
TOWNS += ["Hausach", "Ilsfeld", "Jettingen", "Kuppenheim", "Lauda"]
PROMPT = "Abonnieren Sie jetzt unseren Newsletter!"


def _credited_site(n: int) -> tuple[bytes, list[str], str]:
    """Page ``n`` of a site whose template puts a short newsletter prompt among a story's plain
    paragraphs (same element, same classes), and whose stories close with a credit line that
    names one of two stringers on a third of the stories each. Returns (page, body, credit)."""
    story = [f"{TOWNS[n]}: {p}" for p in STORIES[n % len(STORIES)]]
    credit = ("Mitarbeit: Jana Roth.", "Mitarbeit: Ole Brandt.", "")[n % 3]
    body = [*story[:2], *story[2:], *([credit] if credit else [])]
    shown = [*story[:2], PROMPT, *story[2:], *([credit] if credit else [])]
    paragraphs = "".join(f"<p>{p}</p>" for p in shown)
    page = f"""<html lang="de"><head><title>Meldung aus {TOWNS[n]}</title></head><body>
    <nav><a href="/">Start</a> <a href="/politik/">Politik</a></nav>
    <article><h1>Meldung aus {TOWNS[n]}</h1><div class="text">{paragraphs}</div></article>
    <footer>Impressum · Datenschutz · Kontakt</footer></body></html>""".encode()
    return page, body, credit


@pytest.mark.parametrize("seed", range(8))
def test_a_credit_line_several_stories_share_stays_and_a_prompt_among_the_paragraphs_goes(seed):
    """A line on a third of a site's stories, among their paragraphs, is the stories' own; the
    prompt the template puts in the same place on every story is not. Whatever order the crawl
    sees the pages in, as soon as the template cleans (five pages), and after the last page."""
    pages = [_credited_site(n) for n in range(len(TOWNS))]
    order = list(range(len(pages)))
    random.Random(seed).shuffle(order)
    template = SiteTemplate("tagesblatt.test")
    for seen, n in enumerate(order, 1):
        template.observe(pages[n][0], f"http://tagesblatt.test/{n}")
        if seen < 5:
            continue
        for page, _, credit in pages:
            tree = lxml_html.document_fromstring(page)
            template.strip(tree)
            left = [t.strip() for t in tree.find("body").itertext() if t.strip()]
            assert PROMPT not in left, (seen, order)
            assert not credit or credit in left, (seen, order, credit)
    page, body, _ = pages[0]
    result = extract_article(page, "http://tagesblatt.test/0", template=template)
    assert result["body"].split("\n\n") == body


def test_template_persists_in_crawl_state_and_a_fresh_learner_cleans_with_it(tmp_path):
    template = SiteTemplate("tagesblatt.test")
    pages = [_newsletter_site(n, story) for n, story in enumerate(STORIES)]
    for n, page in enumerate(pages[1:], 1):
        template.observe(page, f"http://tagesblatt.test/{n}")
    state = CrawlState(tmp_path / "state.sqlite")
    state.put(TEMPLATE_NAMESPACE, "tagesblatt.test", template.to_json())
    state.close()

    reopened = CrawlState(tmp_path / "state.sqlite")
    fresh = SiteTemplate.from_json(reopened.get(TEMPLATE_NAMESPACE, "tagesblatt.test"))
    reopened.close()
    assert fresh.pages == template.pages
    # page 0 was never seen by either learner: the stored template alone cleans it
    result = extract_article(pages[0], "http://tagesblatt.test/0", template=fresh)
    assert result["body"].split("\n\n") == STORIES[0]


# --- fields ------------------------------------------------------------------------------------
JSONLD_PAGE = """<!doctype html><html lang="en-GB"><head>
<title>Storm hits coast | The Daily Test</title>
<link rel="canonical" href="/world/storm-hits-coast">
<meta property="og:site_name" content="The Daily Test">
<meta property="og:title" content="OG title loses to JSON-LD">
<meta property="og:image" content="https://cdn.example.test/og.jpg">
<meta name="description" content="Meta description">
<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
 {"@type": "WebSite", "name": "The Daily Test"},
 {"@type": ["NewsArticle"], "headline": "Storm hits the coast overnight",
  "author": [{"@type": "Person", "name": "Ann Writer"}, {"@type": "Person", "name": "Bo Reporter"}],
  "datePublished": "2025-01-10T06:15:00+01:00", "dateModified": "2025-01-10T09:00:00Z",
  "articleSection": "World", "keywords": ["storm", "coast"],
  "description": "A storm reached the coast overnight.",
  "image": {"@type": "ImageObject", "url": "https://cdn.example.test/storm.jpg"}}
]}</script></head><body><article><h1>Storm hits the coast overnight</h1>
<p>A strong storm reached the coast overnight, cutting power to thousands of homes and closing
several roads along the shore, the regional authorities said on Friday morning.</p>
<p>Emergency crews worked through the night to clear fallen trees, and schools in three towns
stayed closed while engineers checked the buildings for damage after the winds eased.</p>
<p>Forecasters expect calmer weather over the weekend, although another front could bring heavy
rain to the same region early next week, they said.</p></article></body></html>"""


def test_jsonld_fields_win_over_meta_and_keep_their_offsets():
    result = extract_article(JSONLD_PAGE.encode(), "https://daily.example.test/a?id=1")
    assert result["title"] == "Storm hits the coast overnight"
    assert result["authors"] == ["Ann Writer", "Bo Reporter"]
    assert result["published"] == "2025-01-10T06:15:00+01:00"
    assert result["modified"] == "2025-01-10T09:00:00+00:00"
    assert result["section"] == "World"
    assert result["tags"] == ["storm", "coast"]
    assert result["canonical_url"] == "https://daily.example.test/world/storm-hits-coast"
    assert result["image"] == "https://cdn.example.test/storm.jpg"
    assert result["description"] == "A storm reached the coast overnight."
    assert result["site_name"] == "The Daily Test"
    assert result["language"] == "en-GB"
    assert result["body"].startswith("A strong storm reached the coast overnight")
    assert result["word_count"] > 60


def test_meta_fields_and_a_date_without_zone_stays_without_zone():
    page = JSONLD_PAGE.split("<script", maxsplit=1)[0] + (
        '<meta property="article:published_time" content="2025-02-03T10:20:30">'
        '<meta property="article:tag" content="weather"><meta name="author" content="C. Meta">'
        "</head>" + JSONLD_PAGE.split("</head>")[1]
    )
    result = extract_article(page.encode(), "https://daily.example.test/b")
    assert result["published"] == "2025-02-03T10:20:30"
    # og:title is a share title; the headline the page prints in its <h1> is the story's title
    assert result["title"] == "Storm hits the coast overnight"
    assert result["authors"] == ["C. Meta"]
    assert result["tags"] == ["weather"]


_STORY = "".join(
    f"<p>Paragraph {n} of the story says what happened at the harbour, what the council said "
    "about the repairs it had promised and when the work will start.</p>"
    for n in range(1, 7)
)


def _article_page(head: str, top: str) -> bytes:
    """A page whose <head> and the start of whose <article> (headline, byline) a test chooses."""
    return (
        f"<html><head>{head}</head><body><nav><a href='/'>Home</a></nav><article>{top}{_STORY}"
        "</article></body></html>"
    ).encode()


def _plain_page(article_top: str = "", after: str = "") -> bytes:
    # No JSON-LD, no author or date <meta>, no byline line under the headline.
    return (
        "<html><head><title>Harbour wall gives way</title></head><body><nav><a href='/'>Home</a>"
        f"</nav><article><h1>Harbour wall gives way</h1>{article_top}{_STORY}</article>{after}"
        "</body></html>"
    ).encode()


@pytest.mark.parametrize(
    ("marked", "authors"),
    [
        ('<div class="entry-author"><span class="author-name">Jane Doe</span></div>', ["Jane Doe"]),
        ('<a rel="author" href="/u/jd">View all posts by Jane Doe</a>', ["Jane Doe"]),
        ('<span itemprop="author">Jane Doe and John Roe</span>', ["Jane Doe", "John Roe"]),
        ('<p class="byline">Erstellt von Jane Doe</p>', ["Jane Doe"]),
        ('<span class="author">Ursula von der Leyen</span>', ["Ursula von der Leyen"]),
        ('<span class="author">Autor</span>', []),
        ('<span class="author">Follow</span>', []),
        # a blog's user name, when no name is written as one
        ('<span class="author vcard"><a href="/author/gizzmo">gizzmo</a></span>', ["gizzmo"]),
        ('<span class="byline">von KleineGrüneMonster</span>', ["KleineGrüneMonster"]),
        ('<span class="author-link">| Autor: gnaddrig</span>', ["gnaddrig"]),
        ('<span class="author">Sponsored content</span>', []),
        (
            '<div class="authors"><a href="/author/jd"><img src="/jd.jpg"> Jane Doe</a></div>',
            ["Jane Doe"],
        ),
        ('<p>par <span class="auteurs">Jeanne Dupont</span>, 21 juin 2018</p>', ["Jeanne Dupont"]),
        # the story's own <aside> in its <article>: a page's sidebar <aside> is skipped
        ('<aside><span itemprop="author">Jane Doe</span> —</aside>', ["Jane Doe"]),
        ('<p class="author">Interview: Jane Doe</p>', ["Jane Doe"]),
        ('<span class="author-link">Text: Jane Doe</span>', ["Jane Doe"]),
    ],
)
def test_an_author_the_markup_marks_is_read_when_nothing_else_names_one(marked, authors):
    result = extract_article(_plain_page(article_top=marked), "https://daily.example.test/c")
    assert result["authors"] == authors
    assert "Paragraph 1 of the story" in result["body"]


def test_a_wordpress_entry_meta_names_the_author_whatever_the_page_and_wrapper_classes_say():
    page = _plain_page(
        article_top='<header class="entry-header"><p class="entry-meta"><span class="entry-author">'
        '<a class="entry-author-link" rel="author" href="/author/jd/">Jane Doe</a></span></p>'
        "</header>",
        after='<div class="comment-respond"><p class="comment-form-author">Name *</p></div>',
    )
    page = page.replace(
        b"<body>", b'<body class="single comments-open"><div class="content-sidebar-wrap">'
    )
    page = page.replace(b"</body>", b"</div></body>")
    assert extract_article(page, "https://daily.example.test/h")["authors"] == ["Jane Doe"]


@pytest.mark.parametrize(
    ("og_title", "h1", "title"),
    [
        # a site escapes the reference once more than the attribute needs
        (
            "Olive &amp;#038; Herb Focaccia &amp;#8211; a recipe",
            "",
            "Olive & Herb Focaccia – a recipe",
        ),
        ("Harbour wall gives way at last › The Daily Test", "Harbour wall gives way at last", None),
        ("The Daily Test - Harbour wall gives way at last", "Harbour wall gives way at last", None),
        # a short <h1> is the site's logo, not the headline
        (
            "Harbour wall gives way at last | THE DAILY",
            "THE DAILY",
            "Harbour wall gives way at last | THE DAILY",
        ),
    ],
)
def test_the_metadata_title_loses_escapes_and_the_site_name_the_page_does_not_print(
    og_title, h1, title
):
    page = _plain_page().replace(b"<h1>Harbour wall gives way</h1>", f"<h1>{h1}</h1>".encode())
    page = page.replace(
        b"</head>", f'<meta property="og:title" content="{og_title}"></head>'.encode()
    )
    result = extract_article(page, "https://daily.example.test/g")
    assert result["title"] == (title or h1)


_AMP = "I Tried Amp, the AI Strength Training System"
_TUNISIA = "Große Aufgaben für die Regierung"
_KRAMER = "Marita Kramer verpasst Olympia"
_PEANUTS = "Babies Who Eat Peanuts Early May Avoid Allergy"


@pytest.mark.parametrize(
    ("og_title", "h1", "title"),
    [
        # a search title beside the printed headline: the headline
        ("Amp AI Fitness Machine Review With Photos", _AMP, _AMP),
        ("Best Movers in NYC 2025 | Top 19 Companies", "Best Movers in NYC 2025", None),
        # a kicker printed before the headline, or the site's name after it: the headline alone
        (_TUNISIA, f"Tunesien {_TUNISIA}", _TUNISIA),
        (_TUNISIA, f"{_TUNISIA} | Zeitung", _TUNISIA),
        # but a headline's own first half stays with it
        (_KRAMER, f'"Pure Leere": {_KRAMER}', None),
        # a section's name in the <h1>, or the site's logo: the article's declared title
        (_PEANUTS, "Allergies Center", _PEANUTS),
        (_PEANUTS, "<a href='/'>The Daily Test</a>", _PEANUTS),
    ],
)
def test_the_title_is_the_headline_the_page_prints(og_title, h1, title):
    page = _plain_page().replace(b"<h1>Harbour wall gives way</h1>", f"<h1>{h1}</h1>".encode())
    page = page.replace(
        b"</head>", f'<meta property="og:title" content="{og_title}"></head>'.encode()
    )
    result = extract_article(page, "https://daily.example.test/t")
    assert result["title"] == (title or h1)


def test_style_rules_printed_inside_the_headline_and_byline_are_not_their_words():
    # CSS-in-JS sites (emotion, styled-components) print a <style> inside the elements it styles.
    style = "<style>.css-1x{font-size:16px;color:#707070}</style>"
    page = (
        _plain_page(article_top=f'<p class="byline">{style}By Jane Doe</p>')
        .replace(
            b"<h1>Harbour wall gives way</h1>", f"<h1>{style}Harbour wall gives way</h1>".encode()
        )
        .replace(b"<title>Harbour wall gives way</title>", b"<title>The Daily Test</title>")
    )
    result = extract_article(page, "https://daily.example.test/t")
    assert result["title"] == "Harbour wall gives way"
    assert result["authors"] == ["Jane Doe"]
    assert "font-size" not in result["body"]


@pytest.mark.parametrize(
    "title_tag",
    [
        "Four Years Remaining &raquo; Blog Archive &raquo; Interning of Small Integers",
        "Interning of Small Integers | Four Years Remaining",
    ],
)
@pytest.mark.parametrize(
    "home",
    [
        "/",
        "https://fouryears.example/",
        "https://web.archive.org/web/20191021/http://fouryears.example/",
    ],
)
def test_a_blogs_logo_heading_is_not_the_post_title(title_tag, home):
    # 2010s blog themes: the blog's name is the <h1> (a link home), the post's title an <h2>.
    page = (
        f"<html><head><title>{title_tag}</title></head><body><h1><a href='{home}'>Four Years "
        "Remaining</a></h1><div class='post'><h2><a href='/2019/10/21/interning/'>Interning of "
        f"Small Integers</a></h2>{_STORY}</div></body></html>"
    ).encode()
    result = extract_article(page, "https://fouryears.example/2019/10/21/interning/")
    assert result["title"] == "Interning of Small Integers"


@pytest.mark.parametrize(
    ("head", "heading", "url", "title"),
    [
        # the date, a small line or words only screen readers get, printed inside the <h1>
        (
            "",
            '<h1><time datetime="2022-02-01">1. Februar 2022</time> Harbour wall gives way</h1>',
            "",
            "Harbour wall gives way",
        ),
        (
            "",
            "<h1>Harbour wall gives way<br><small>02.02.2022 • Region</small></h1>",
            "",
            "Harbour wall gives way",
        ),
        (
            "",
            '<h1><span class="visually-hidden">Headline:</span> Harbour wall gives way</h1>',
            "",
            "Harbour wall gives way",
        ),
        # a kicker's hidden colon is punctuation, not a word: it stays
        (
            "",
            (
                '<h1><span>Storm</span><span class="sr-only">: </span><span>Harbour wall gives way'
                "</span></h1>"
            ),
            "",
            "Storm: Harbour wall gives way",
        ),
        # the <title> printed as the story's heading under a section's <h1>
        (
            "<title>Harbour wall gives way after the storm</title>",
            "<h1>Coastal Health Center</h1><h2>Harbour wall gives way after the storm</h2>",
            "",
            "Harbour wall gives way after the storm",
        ),
        # a title stored as mojibake by the site
        (
            '<meta property="og:title" content="Harbour wall gives way at St. Mary\u00e2\u0080\u0099s">',
            "<h1>Something else entirely</h1>",
            "",
            "Harbour wall gives way at St. Mary\u2019s",
        ),
        # the last part names the site's host
        (
            '<meta property="og:title" content="Harbour wall gives way | Bridgestone Tires">',
            "",
            "https://tires.bridgestone.example/a",
            "Harbour wall gives way",
        ),
        (
            '<meta property="og:title" content="Harbour wall gives way – Daily Planet">',
            "",
            "https://www.dailyplanet.example/a",
            "Harbour wall gives way",
        ),
        # ... and not when it names something else
        (
            '<meta property="og:title" content="Harbour wall gives way – Daily Planet">',
            "",
            "https://news.example/a",
            "Harbour wall gives way – Daily Planet",
        ),
    ],
)
def test_the_headline_is_read_without_what_is_printed_around_it(head, heading, url, title):
    page = _article_page(head or "<title>The Daily Test</title>", heading)
    result = extract_article(page, url or "https://daily.example.test/t")
    assert result["title"] == title


_COURIER = (
    '<meta name="author" content="Coast Courier">'
    '<meta property="og:site_name" content="Coast Courier">'
)
_COURIER_ORG = (
    '<script type="application/ld+json">{"@type": "NewsArticle", "author": {"@type": '
    '"NewsMediaOrganization", "name": "Courier Media"}}</script>'
)


@pytest.mark.parametrize(
    ("head", "byline", "url", "authors"),
    [
        # the metadata names the site (its og:site_name, its domain, an Organization): the
        # byline printed under the headline names the reporter
        (
            _COURIER,
            "<p>By Jane Doe</p>",
            "",
            ["Jane Doe"],
        ),
        (
            '<meta name="author" content="coastcourier.com">',
            "<p>By Jane Doe</p>",
            "https://www.coastcourier.com/a",
            ["Jane Doe"],
        ),
        (
            _COURIER_ORG,
            '<span class="author">Jane Doe</span>',
            "",
            ["Jane Doe"],
        ),
        # the site's name printed beside the reporter's is not part of it
        (
            _COURIER,
            '<span class="author">Jane Doe Coast Courier</span>',
            "",
            ["Jane Doe"],
        ),
        # an account's login gives way to the printed name too
        ('<meta name="author" content="jane.doe">', "<p>By Jane Doe</p>", "", ["Jane Doe"]),
        # ... and the site stays the author when the page names no one else
        (
            _COURIER,
            "",
            "",
            ["Coast Courier"],
        ),
        # a person the metadata names stays, whatever the page prints
        ('<meta name="author" content="John Roe">', "<p>By Jane Doe</p>", "", ["John Roe"]),
    ],
)
def test_an_author_that_is_the_site_itself_gives_way_to_the_printed_byline(
    head, byline, url, authors
):
    page = _article_page(
        f"<title>Harbour wall gives way</title>{head}", f"<h1>Harbour wall gives way</h1>{byline}"
    )
    result = extract_article(page, url or "https://news.example.test/a")
    assert result["authors"] == authors
    assert "Jane Doe" not in result["body"]


@pytest.mark.parametrize(
    ("meta_author", "authors"),
    [
        ("Frank Bueltge - http://bueltge.de", ["Frank Bueltge"]),
        ("By Ana Sandoiu", ["Ana Sandoiu"]),
        ("Tatyana Turner.", ["Tatyana Turner"]),
        ("Rob Picheta, CNN", ["Rob Picheta"]),
        ("Jillian Kubala, MS, RD", ["Jillian Kubala"]),
        ("Grant Tinsley, PhD", ["Grant Tinsley"]),
        ("Lindsey O&amp;#039;Donnell", ["Lindsey O'Donnell"]),
        ("No Author", []),
        ("admin", []),
        ("John Smith Jr.", ["John Smith Jr."]),
        ("AFP", ["AFP"]),
    ],
)
def test_author_metadata_loses_addresses_by_agencies_and_degrees(meta_author, authors):
    page = _plain_page().replace(
        b"</head>", f'<meta name="author" content="{meta_author}"></head>'.encode()
    )
    assert extract_article(page, "https://daily.example.test/n")["authors"] == authors


def test_an_author_marked_in_comments_or_a_sidebar_is_not_the_storys():
    elsewhere = (
        '<aside><span class="author">Sam Sidebar</span></aside><div id="comments"><div '
        'class="comment-author">Carl Commenter</div><p>Nice story.</p></div>'
        '<div class="c-list"><span class="comment-author-name">Cora Commenter</span></div>'
    )
    result = extract_article(_plain_page(after=elsewhere), "https://daily.example.test/d")
    assert result["authors"] == []


def test_a_wrapper_named_sidebar_that_holds_the_headline_is_the_storys():
    # Some WordPress themes give the content column the id "sidebar".
    page = (
        "<html><head><title>Harbour wall gives way</title></head><body><article>"
        '<div id="sidebar"><header><h1>Harbour wall gives way</h1><div class="entry-meta">'
        '<span class="author vcard"><a rel="author" href="/author/jd">Jane Doe</a></span></div>'
        f"</header>{_STORY}</div></article><aside id='secondary'><span class='author'>Sam Sidebar"
        "</span></aside></body></html>"
    ).encode()
    assert extract_article(page, "https://daily.example.test/s")["authors"] == ["Jane Doe"]


@pytest.mark.parametrize("label", ["Lesen Sie auch:", "Read also", "À lire aussi :", "Related"])
def test_a_read_also_label_and_its_links_among_the_paragraphs_are_not_body(label):
    other = "Council approves the new lighthouse budget after long debate"
    page = _plain_page(
        article_top=(
            "<p>The storm broke the harbour wall on Tuesday night, the council said.</p>"
            f"<p>{label}</p><p><a href='/other'>{other}</a></p>"
        )
    )
    body = extract_article(page, "https://daily.example.test/r")["body"]
    assert label.strip(" :") not in body
    assert other not in body
    assert "The storm broke the harbour wall" in body
    assert "Paragraph 1 of the story" in body


def test_a_date_only_the_pages_text_gives_is_found_and_a_copyright_year_is_not_a_date():
    dated = _plain_page(after="<div class='info'>Last changed: 14.03.2019, 10:12</div>")
    assert extract_article(dated, "https://daily.example.test/e")["published"] == "2019-03-14"
    year_only = _plain_page(after="<footer>© 2016 The Daily Test</footer>")
    assert extract_article(year_only, "https://daily.example.test/f")["published"] is None


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2025-04-15T15:22:30Z", "2025-04-15T15:22:30+00:00"),
        ("2025-04-15T15:22:30.123+0530", "2025-04-15T15:22:30+05:30"),
        ("2025-04-15 15:22", "2025-04-15T15:22:00"),
        ("2025-04-15", "2025-04-15"),
        ("Tue, 15 Apr 2025 15:22:30 GMT", "2025-04-15T15:22:30+00:00"),
        ("Tue, 15 Apr 2025 15:22:30 -0400", "2025-04-15T15:22:30-04:00"),
        ("not a date", None),
    ],
)
def test_dates_keep_the_offset_they_were_given_and_invent_none(raw, iso):
    assert normalize_date(raw) == iso


# --- bad input ---------------------------------------------------------------------------------
def _page(body: str, head: str = "") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n"))
    return f"<html><head>{head}<title>T</title></head><body><article>{paragraphs}</article></body></html>"


RUSSIAN = (
    "Городской совет утвердил новый план строительства велосипедных дорожек вдоль реки.\n"
    "Работы начнутся осенью и продлятся около полутора лет, сообщили в департаменте транспорта.\n"
    "Жители давно просили сделать поездки на работу безопаснее и удобнее для всех."
)
FRENCH = (
    "Le conseil municipal a approuvé lundi un réseau de pistes cyclables le long du fleuve.\n"
    "Les travaux débuteront à l'automne et dureront environ dix-huit mois, a précisé la mairie.\n"
    "Les commerçants du quai ont obtenu le maintien des aires de livraison près des boutiques."
)
JAPANESE = (
    "市議会は月曜日、川沿いに自転車専用レーンを整備する計画を承認した。工事は秋に始まる予定だ。\n"
    "交通局によると、工期はおよそ一年半で、費用は地域のインフラ基金から支払われるという。\n"
    "住民からは通勤が安全になるとの声が上がる一方、商店主は荷さばき場の確保を求めていた。"
)


@pytest.mark.parametrize(
    ("text", "codec", "header", "meta"),
    [
        (RUSSIAN, "windows-1251", "windows-1251", None),  # declared in the HTTP header only
        (RUSSIAN, "koi8-r", None, "koi8-r"),  # declared in the page only
        (FRENCH, "cp1252", None, None),  # undeclared legacy Western page
        (JAPANESE, "shift_jis", None, None),  # undeclared legacy Japanese page
    ],
)
def test_legacy_charsets_decode_to_the_right_text(text, codec, header, meta):
    head = f'<meta charset="{meta}">' if meta else ""
    body = _page(text, head).encode(codec)
    result = extract_article(body, "http://legacy.test/a", declared_encoding=header, min_words=5)
    assert result["body"].split("\n\n") == text.split("\n")


def test_nul_bytes_do_not_cut_the_page_short():
    body = (
        _page(FRENCH)
        .encode("utf-8")
        .replace(b"pistes", b"pis\x00tes")
        .replace(b"</p><p>", b"</p>\x00<p>")
    )
    result = extract_article(body, "http://nul.test/a", min_words=5)
    assert result["body"].split("\n\n") == FRENCH.split("\n")


def test_broken_html_still_gives_its_text():
    broken = (
        "<html><head><title>x</title><meta charset=utf-8 <body><div class=a'><article><p><b>"
        + FRENCH.replace("\n", "</i><p>")
        + "<div><span></b></i></table>& <<>> </html></html><p"
    )
    result = extract_article(broken.encode("utf-8"), "http://broken.test/a", min_words=5)
    for paragraph in FRENCH.split("\n"):
        assert paragraph in result["body"]


@pytest.mark.parametrize(
    "body",
    [
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
        b'{"articles": [1, 2, 3]}',
        b"\x89PNG\r\n\x1a\n\x00\x00",
    ],
)
def test_non_html_bodies_are_skipped_with_their_reason(body):
    result = extract_article(body, "http://binary.test/file")
    assert not result["is_article"] and result["skip_reason"] == "not_html"


def test_saved_gzip_page_is_read_like_the_page():
    result = extract_article(gzip.compress(ARTICLE.read_bytes()), ARTICLE_URL)
    assert result["title"] == EXPECTED["title"]


@pytest.mark.parametrize(
    "before",
    [
        # what a misconfigured PHP site prints before its page
        "<br />\n<b>Warning</b>:  Undefined variable $x in <b>/var/www/x.php</b> on line 12<br />\n",
        '<?xml version="1.0" encoding="utf-8"?>\n',  # lxml refuses such a str outright
    ],
    ids=["php-warning", "xml-declaration"],
)
def test_what_a_server_prints_before_the_page_is_not_the_page(before):
    page = ARTICLE.read_text(encoding="utf-8")
    result = extract_article(before + page, ARTICLE_URL)
    assert result["title"] == EXPECTED["title"]
    assert result["body"] == extract_article(page, ARTICLE_URL)["body"]
    assert "Warning" not in result["body"]
    template = SiteTemplate("farm")
    assert template.observe(before + page, ARTICLE_URL)  # learns from it, does not raise


def test_gzip_bomb_saved_as_a_page_is_skipped_without_expanding_it():
    # 200 MB of zeros gzipped to ~200 kB: expanding it whole is what a bomb wants
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    bomb = packer.compress(b"\0" * (200 << 20)) + packer.flush()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = extract_article(bomb, "http://bomb.test/page.html.gz")
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert result["skip_reason"] == "not_html"
    assert grown_mb < 100  # at most the bounded 32 MiB, never the 200 MB


# --- pipeline ------------------------------------------------------------------------------------
def _pipeline(tmp_path, **settings) -> CleanPipeline:
    crawler = get_crawler(settings_dict=project_settings(STATE_DIR=str(tmp_path), **settings))
    crawler.stats.open_spider()
    return CleanPipeline.from_crawler(crawler)


def _item(path: Path, url: str) -> ArticleItem:
    return ArticleItem(
        url=url,
        final_url=url,
        status=200,
        html=path.read_bytes(),
        content_type="text/html",
        site="news.example.test",
        crawl_id="t",
    )


def test_oversize_page_is_archived_but_counted_as_skipped(tmp_path):
    pipeline = _pipeline(tmp_path, CLEAN_MAX_BYTES=4000)
    with pytest.raises(DropItem):
        asyncio.run(pipeline.process_item(_item(ARTICLE, ARTICLE_URL)))
    assert pipeline.stats.get_value("clean/skipped/too_large") == 1


def test_section_page_is_not_an_article(tmp_path):
    pipeline = _pipeline(tmp_path, CLEAN_TEMPLATE_MIN_PAGES=1)
    section = FIXTURES / "contentfarm" / "section-news.html"
    with pytest.raises(DropItem):
        asyncio.run(pipeline.process_item(_item(section, "http://news.example.test/news/")))
    # a list of headlines, or what is left of it once its links are set aside: not an article
    skipped = {
        k: v for k, v in pipeline.stats.get_stats().items() if k.startswith("clean/skipped/")
    }
    assert skipped in ({"clean/skipped/index_page": 1}, {"clean/skipped/too_short": 1})


def test_pipeline_holds_first_articles_until_the_site_template_is_known(tmp_path):
    pipeline = _pipeline(tmp_path, CLEAN_TEMPLATE_MIN_PAGES=6)
    pages = [_newsletter_site(n, story) for n, story in enumerate(STORIES)]

    def item(n: int) -> ArticleItem:
        url = f"http://tagesblatt.test/{n}"
        return ArticleItem(
            url=url,
            final_url=url,
            status=200,
            html=pages[n],
            content_type="text/html; charset=utf-8",
            site="tagesblatt.test",
            crawl_id="t",
        )

    async def crawl() -> list:
        # page 0 arrives first, before anything is known of the site: it must wait for the others
        first = asyncio.ensure_future(pipeline.process_item(item(0)))
        await asyncio.sleep(0.2)
        assert not first.done()
        rest = asyncio.gather(*(pipeline.process_item(item(n)) for n in range(1, len(pages))))
        return [await first, *await rest]

    cleaned = asyncio.run(crawl())
    assert cleaned[0]["body"].split("\n\n") == STORIES[0]
    assert all("Newsletter" not in i["body"] for i in cleaned)
    assert pipeline.stats.get_value("clean/articles") == len(pages)
    pipeline.spider_closed(None)
    key = template_key("tagesblatt.test", "http://tagesblatt.test/")
    stored = CrawlState.from_crawler(pipeline.crawler).get(TEMPLATE_NAMESPACE, key)
    assert SiteTemplate.from_json(stored).pages == len(pages)


def test_next_crawl_starts_knowing_the_template(tmp_path):
    first = _pipeline(tmp_path, CLEAN_TEMPLATE_MIN_PAGES=2)
    for n, story in enumerate(STORIES[1:], 1):
        url = f"http://tagesblatt.test/{n}"
        first.observe(template_key("tagesblatt.test", url), url, _newsletter_site(n, story))
    first.spider_closed(None)
    CrawlState.from_crawler(first.crawler).close()

    second = _pipeline(tmp_path, CLEAN_TEMPLATE_MIN_PAGES=2)
    url = "http://tagesblatt.test/0"
    item = ArticleItem(
        url=url,
        final_url=url,
        html=_newsletter_site(0, STORIES[0]),
        site="tagesblatt.test",
    )
    cleaned = asyncio.run(second.process_item(item))
    assert cleaned["body"].split("\n\n") == STORIES[0]
    assert second.stats.get_value("clean/held") is None  # nothing waited: the site was known


# --- one decoding: a crawled page reads as its saved file does ---------------------------------
def _fetched(url: str, body: bytes, content_type: str) -> ArticleItem:
    """The item the news spider yields for an article fetched with this body and header."""
    crawler = get_crawler(NewsSpider, settings_dict=project_settings(ARCHIVE_CRAWL_ID="t"))
    spider = NewsSpider.from_crawler(crawler, urls=url)
    request = Request(url, meta={"article": True, "hints": {}})
    headers = {"Content-Type": content_type}
    [item] = spider.parse_article(HtmlResponse(url, body=body, headers=headers, request=request))
    return item


def _cleaned_in_crawl(tmp_path, item: ArticleItem) -> ArticleItem:
    pipeline = _pipeline(tmp_path, CLEAN_TEMPLATE_MIN_PAGES=1, CLEAN_MIN_WORDS=5)
    return asyncio.run(pipeline.process_item(item))


@pytest.mark.parametrize(
    ("text", "body"),
    [
        # gzipped twice by its server: the crawl gets gzip data after undoing Content-Encoding
        (FRENCH, gzip.compress(_page(FRENCH).encode("utf-8"))),
        (JAPANESE, _page(JAPANESE).encode("shift_jis")),  # declared nowhere
        (FRENCH, _page(FRENCH).encode("utf-8").replace(b"</p><p>", b"</p>\x00\x01<p>")),
    ],
    ids=["gzip-in-body", "undeclared-shift-jis", "control-bytes"],
)
def test_crawl_and_extract_command_clean_a_page_alike(tmp_path, text, body):
    url = "http://legacy.test/2025/01/02/river-bike-lanes"
    crawled = _cleaned_in_crawl(tmp_path, _fetched(url, body, "text/html"))
    saved = tmp_path / "page.html"
    saved.write_bytes(body)
    out = io.StringIO()
    assert extract_command([str(saved)], url, None, out) == 0
    from_file = json.loads(out.getvalue())
    assert crawled["body"].split("\n\n") == text.split("\n")
    assert crawled["body"] == from_file["body"]
    assert crawled["encoding"] == from_file["encoding"]


def test_header_charset_reaches_the_cleaner_through_the_item(tmp_path):
    # The header says windows-1251 and is right; the page's own <meta> is wrong. The header wins,
    # as in a browser, though the spider hands over bytes and the pipeline decodes them.
    body = _page(RUSSIAN, '<meta charset="koi8-r">').encode("windows-1251")
    url = "http://legacy.test/2025/01/02/river-bike-lanes"
    item = _fetched(url, body, "text/html; charset=windows-1251")
    assert isinstance(item["html"], bytes)
    cleaned = _cleaned_in_crawl(tmp_path, item)
    assert cleaned["body"].split("\n\n") == RUSSIAN.split("\n")
    assert cleaned["encoding"] == "cp1251"
    assert extract_article(body, url, min_words=5)["body"] != cleaned["body"]  # <meta> alone


# --- command line --------------------------------------------------------------------------------
def test_extract_command_cleans_a_batch_with_the_sites_template(tmp_path):
    urls = {p.name: f"http://news.example.test/{p.name}" for p in SIBLINGS}
    saved = tmp_path / "article.html.gz"
    saved.write_bytes(gzip.compress(ARTICLE.read_bytes()))
    urls["article"] = ARTICLE_URL
    url_map = tmp_path / "urls.json"
    url_map.write_text(json.dumps(urls))
    out = io.StringIO()
    files = [str(p) for p in SIBLINGS] + [str(saved)]
    assert extract_command(files, None, str(url_map), out) == 0
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["file"] for r in records] == files
    article = records[-1]
    assert article["url"] == ARTICLE_URL
    _assert_matches_expected(article)
    section = next(r for r in records if r["file"].endswith("section-news.html"))
    assert not section["is_article"]


def test_page_over_the_time_limit_is_skipped_not_extracted():
    result = extract_article(ARTICLE.read_bytes(), ARTICLE_URL, timeout=0)
    assert not result["is_article"] and result["skip_reason"] == "timeout"
    assert result["body"] == ""


# --- main text: structure-based repairs --------------------------------------------------------


def test_lost_section_heading_goes_back_between_the_paragraphs_it_separates():
    # Trafilatura's recovery pass (taken when it first locks onto a small teaser container) keeps
    # paragraphs but drops headings; a reader loses the article's sections.
    story = "Paragraph {} of the story says what happened at the harbour and what the council said."
    page = lxml_html.fromstring(
        "<html><body><div><p>"
        + story.format(1)
        + "</p><h2>What the council said</h2><p>"
        + story.format(2)
        + "</p></div><aside><h3>More stories</h3><p>"
        + "A teaser for another story that the extraction did not keep."
        + "</p></aside></body></html>"
    )
    extracted = story.format(1) + "\n\n" + story.format(2)
    body = restore_headings(extracted, section_headings(page))
    assert body.split("\n\n") == [story.format(1), "What the council said", story.format(2)]
    assert "More stories" not in body


def test_a_label_the_article_repeats_stays_and_a_copy_of_the_article_goes():
    # Reviews and guides repeat a label per item ("Key features and what we liked"); responsive
    # layouts print the whole article again for another screen. The first is the article, the
    # second is not: a copy is a run of lines met before, or a paragraph met before.
    review = (
        "Paragraph {} of the review says how the {} held up in a week of rain, mud and long "
        "climbs, and what it costs."
    )
    items = ["Alpine tent", "Ridge pack", "Summit stove", "Valley boots"]
    facts = [f"Weight of the {name}: {900 + n} grams" for n, name in enumerate(items)]
    story = (
        "".join(
            f"<h2>{name}</h2><h3>Key features and what we liked</h3><p>{review.format(n, name)}</p>"
            f"<h3>What we did not like about it</h3><p>{review.format(n + 10, name)} It is heavy.</p>"
            for n, name in enumerate(items)
        )
        + "<ul>"
        + "".join(f"<li>{fact}</li>" for fact in facts)
        + "</ul>"
    )
    page = (
        "<html><head><title>Best hiking gear</title></head><body><article><h1>Best hiking gear"
        f"</h1><div class='wide'>{story}</div><div class='narrow'>{story}</div></article></body>"
        "</html>"
    )
    lines = extract_article(page, "http://news.example.test/gear")["body"].split("\n\n")
    assert lines.count("Key features and what we liked") == len(items)
    assert lines.count("What we did not like about it") == len(items)
    for n, name in enumerate(items):
        assert lines.count(review.format(n, name)) == 1
    assert [line for line in lines if "grams" in line] == [f"- {fact}" for fact in facts]


def test_a_paragraph_a_plan_repeats_every_week_stays_and_a_short_story_printed_twice_goes_once():
    # A training plan says the same warm-up each week: a paragraph met again, between new lines,
    # is the text's own. A short story printed again for another screen, and a card printed twice
    # in a row, are copies.
    warm_up = (
        "Warm up: 10 to 20 minutes of easy jogging, then 5 minutes of running drills including "
        "five strides of fifteen seconds at a hard effort."
    )
    weeks = [
        (
            f"Week {n}: Tuesday is an interval run of {40 + 5 * n} minutes in all",
            f"Thursday is a steady run of {50 + 5 * n} minutes, and Sunday a long run of {n + 8} miles",
        )
        for n in range(1, 7)
    ]
    plan = "".join(f"<h3>{head}</h3><p>{warm_up}</p><p>{rest}</p>" for head, rest in weeks)
    story = [
        (
            "The club's coaches wrote this plan for runners who can already run for 45 minutes "
            "without stopping and want to finish their first marathon in ten weeks."
        ),
        (
            "Each week has three runs and four days of rest, and the long run grows by a mile a "
            "week until the taper."
        ),
    ]
    card = "Read the coaches' guide to choosing shoes for a marathon"
    page = (
        "<html><head><title>Ten week plan</title></head><body><article><h1>Ten week plan</h1>"
        "<div class='wide'>"
        + "".join(f"<p>{p}</p>" for p in story)
        + "</div><div class='narrow'>"
        + "".join(f"<p>{p}</p>" for p in story)
        + f"</div><div class='cards'><p>{card}</p><p>{card}</p></div>{plan}</article></body></html>"
    )
    lines = extract_article(page, "http://news.example.test/plan")["body"].split("\n\n")
    assert lines.count(warm_up) == len(weeks)
    assert [lines.count(p) for p in story] == [1, 1]
    assert lines.count(card) == 1


def test_copyright_notices_photo_credits_and_interface_labels_are_not_body_and_a_paragraph_about_rights_is():
    story = [
        f"Paragraph {n} of the story says what happened at the harbour and what the council said "
        "about the repairs it had promised."
        for n in range(1, 5)
    ]
    rights = (
        "The publisher of the old harbour maps says all rights reserved on the prints still apply, "
        "so the council cannot reproduce them in its report without paying a fee, and it has not "
        "yet decided whether it will."
    )
    page = (
        "<html><head><title>Harbour wall gives way</title></head><body><article>"
        f"<h1>Harbour wall gives way</h1><p>{story[0]}</p><p class='ad'>Advertisement</p>"
        "<figure><img src='/wall.jpg'>"
        "<figcaption>Photo: © Jane Doe / Harbour Press</figcaption></figure>"
        + "".join(f"<p>{p}</p>" for p in story[1:])
        + f"<p>{rights}</p><p><a href='/more'>Read more »</a></p><p>The ferry timetable changes "
        "for the winter season, and the first boat leaves later… <a href='/ferry'>Read more</a></p>"
        "<p>© 2019 The Daily Test. All rights reserved.</p></article></body></html>"
    )
    body = extract_article(page, "http://news.example.test/harbour")["body"]
    assert body.split("\n\n") == [*story, rights]


def test_a_teaser_card_article_inside_the_story_is_not_body():
    # Trafilatura takes the first <article> as the container: a related-story card there makes it
    # fall back to loose text, card date and all.
    story = (
        "Paragraph {} of the story says what happened at the harbour and what the council said "
        "about the repairs it had promised."
    )
    paragraphs = [story.format(n) for n in range(1, 6)]
    page = (
        "<html><head><title>Harbour wall gives way</title></head><body><article>"
        "<h1>Harbour wall gives way</h1><article class='post'><a href='/other'>Ferry timetable "
        "changes for the winter season</a><p>3 May</p></article><div>"
        + "".join(f"<p>{p}</p>" for p in paragraphs)
        + "</div></article></body></html>"
    )
    result = extract_article(page, "http://news.example.test/harbour")
    assert result["body"].split("\n\n") == paragraphs


def test_a_block_of_teaser_links_after_the_article_is_not_body():
    # Related-story blocks are built from <div>s and <p>s as often as from <ul>: a block of three or
    # more children whose text is nearly all link text points at other pages.
    story = (
        "Paragraph {} of the story says what happened at the harbour and what the council said "
        "about the repairs it had promised."
    )
    paragraphs = [story.format(n) for n in range(1, 6)]
    teasers = [
        "Ferry timetable changes for the winter season",
        "Lighthouse keeper retires after forty years",
        "New fish market opens on the quay",
        "Storm warning for the weekend",
    ]
    page = (
        "<html><head><title>Harbour wall gives way</title></head><body><div class='story'>"
        "<h1>Harbour wall gives way</h1>"
        + "".join(f"<p>{p}</p>" for p in paragraphs)
        + "<div>"
        + "".join(
            f"<p><a href='/{n}'>{t}, and what it means for the town's visitors</a></p>"
            for n, t in enumerate(teasers)
        )
        + "</div></div></body></html>"
    )
    result = extract_article(page, "http://news.example.test/harbour")
    assert result["body"].split("\n\n") == paragraphs


def test_an_author_box_first_in_the_page_does_not_become_the_article():
    # Trafilatura takes the first block marked like a post container; an author box marked so
    # made it fall back to loose text from the whole page, the box's bio and byline included.
    story = (
        "Paragraph {} of the story says what happened at the harbour and what the council said "
        "about the repairs it had promised."
    )
    paragraphs = [story.format(n) for n in range(1, 6)]
    page = (
        "<html><head><title>Harbour wall gives way</title></head><body>"
        "<div class='post'><a href='/author/ann'>Ann Smith</a>"
        "<p>Reporter on the harbour beat since 2009.</p></div>"
        "<div class='entry-content'>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</div>"
        "</body></html>"
    )
    result = extract_article(page, "http://news.example.test/harbour")
    assert result["body"].split("\n\n") == paragraphs


_SCRIPTED_BYLINE = (
    b'<html><body><div class="byline"><strong>Written by</strong> <strong><script>track(1)'
    b'</script><a href="/authors/ann">Ann Lee</a></strong>, <em>Reporter<style>.x{}</style></em>'
    b"</div><p>Story <!-- note --> text <b>bold<script>x()</script> tail</b>.</p></body></html>"
)


def _blocks_by_definition(root):
    """A page's blocks as the learner defines them, written plainly (no shortcuts) on a copy of
    the page without what a reader never sees (script, style ...): an element's own text plus its
    inline children's ``text_content()``, white space made one space."""
    import copy
    import re

    from lxml import etree

    from pipelines.template import INLINE_TAGS, SKIP_TAGS, key_hash, text_key

    page = copy.deepcopy(root)
    etree.strip_elements(page, *SKIP_TAGS, with_tail=False)
    out = []

    def has_block(el):
        return any(
            isinstance(d.tag, str) and d.tag not in INLINE_TAGS for d in el.iterdescendants()
        )

    def visit(el, path):
        if not isinstance(el.tag, str):
            return
        ident, classes = el.get("id"), el.get("class")
        sig = el.tag
        if ident:
            sig += "#" + re.sub(r"\d+", "", ident)[:40]
        if classes:
            sig += "." + ".".join(sorted({re.sub(r"\d+", "", c)[:40] for c in classes.split()})[:4])
        path = (*path, sig)[-8:]
        pieces, links, children = [el.text or ""], 0, []
        for child in el:
            if isinstance(child.tag, str) and child.tag in INLINE_TAGS and not has_block(child):
                text = " " if child.tag == "br" else child.text_content()
                pieces.append(text)
                anchors = [child] if child.tag == "a" else child.iter("a")
                links += sum(len(a.text_content().strip()) for a in anchors)
            elif isinstance(child.tag, str):
                children.append(child)
            pieces.append(child.tail or "")
        text = re.sub(r"\s+", " ", "".join(pieces)).strip()
        if text:
            out.append(
                (
                    key_hash(text_key(text)),
                    "/".join(path),
                    text,
                    links,
                    page.getroottree().getpath(el),
                )
            )
        for child in children:
            visit(child, path)

    visit(page, ())
    return out


def test_the_fast_block_cutter_cuts_pages_as_the_definition_says():
    """The template learner and the extraction's strip see the same blocks as the definition, on
    pages of every template in the fixtures (ids and classes with digits, inline links, comments,
    a script inside a byline's link) and on the page with its scripts stripped, as extraction
    strips them."""
    import copy

    from lxml import etree

    from pipelines.template import iter_blocks, parse

    pages = [ARTICLE, *SIBLINGS, *sorted(FIXTURES.rglob("*.htm*"))]
    assert len(pages) > 5
    bodies = [(page.name, page.read_bytes()) for page in pages] + [("byline", _SCRIPTED_BYLINE)]
    for name, body in bodies:
        root = parse(body)
        where = root.getroottree().getpath
        fast = [(b.key, b.path, b.text, b.link_chars, where(b.element)) for b in iter_blocks(root)]
        assert fast == _blocks_by_definition(root), name
        stripped = copy.deepcopy(root)
        etree.strip_elements(stripped, "script", "style", with_tail=False)
        assert [(b.key, b.path, b.text) for b in iter_blocks(stripped)] == [
            (key, path, text) for key, path, text, *_ in fast
        ], name
    byline = next(b for b in iter_blocks(parse(_SCRIPTED_BYLINE)) if "Written" in b.text)
    assert byline.text == "Written by Ann Lee, Reporter" and byline.link_chars == len("Ann Lee")


def test_an_article_printed_after_the_pages_closing_html_tag_is_read_as_a_browser_shows_it():
    # A header template that ends the document ("</body></html>") with the story after it: a
    # browser shows one page; libxml2 parses the story into a second <html> beside the root.
    head = (
        "<html><head><title>Harbour wall gives way</title></head><body><nav><a href='/'>Home</a>"
        "<a href='/news'>News</a></nav></body></html>"
    )
    story = (
        f"<div class='post'><h1>Harbour wall gives way</h1>{_STORY}</div><footer>Contact</footer>"
    )
    page = (head + story + "</body></html>").encode()
    result = extract_article(page, "https://daily.example.test/h")
    assert result["is_article"], result["skip_reason"]
    assert "Paragraph 1 of the story" in result["body"]
    assert "Paragraph 6 of the story" in result["body"]
    # the template learner reads the same page: the story's blocks are among the page's blocks
    from pipelines.template import iter_blocks, parse

    assert any("Paragraph 1" in block.text for block in iter_blocks(parse(page)))


def test_paragraphs_the_source_wraps_at_80_columns_come_out_whole():
    # Hand-written and old pages wrap their text in the source; a browser joins the lines, and so
    # must the body, whichever of trafilatura's runs read the page (its fallbacks kept them).
    wrapped = (
        "The council met on Tuesday to discuss the harbour wall that gave way in the storm,\n"
        "and the engineers told it the repairs would take until the spring at the earliest,\n"
        "because the stone has to come from the quarry   that closed last year."
    )
    page = "<html><body><div id='x'>" + "".join(
        f"<div>Part {n}. {wrapped}</div>" for n in range(1, 6)
    )
    page += "</div></body></html>"
    body = extract_article(page.encode(), "https://daily.example.test/w")["body"]
    joined = " ".join(wrapped.split())
    assert body.split("\n\n")[:5] == [f"Part {n}. {joined}" for n in range(1, 6)]


_TWELVE_NAMES = ["Alder House", "Birch Hall", "Cedar Room", "Dogwood", "Elm Table", "Fig Tree"]
_TWELVE_NAMES += ["Gorse", "Hazel", "Ivy Bar", "Juniper", "Kale & Co", "Larch"]


def _missing(paragraphs: list[str], body: str) -> list[str]:
    return [paragraph for paragraph in paragraphs if paragraph not in body]


def test_the_entries_of_a_list_article_built_as_nested_articles_are_body():
    # A ranked guide prints each entry as an <article> inside the story's own: each entry is under
    # a tenth of the whole (the size of a teaser card), but together they are most of it.
    intro = [
        f"Part {k} of the introduction: we rode each of these scooters to work for a month, over "
        "hills and in the rain, and timed the range of each on the same loop before ranking them."
        for k in range(1, 6)
    ]
    names = [name.split()[0] for name in _TWELVE_NAMES]
    entries = [
        f"The {name} kept its speed on hill number {n} of the loop and its brakes stopped it short "
        "on wet roads; it is a good choice for riders who commute every day."
        for n, name in enumerate(names, start=1)
    ]
    page = (
        "<html><head><title>Best scooters</title></head><body><article class='guide'>"
        "<h1>Best scooters for commuting</h1>"
        + "".join(f"<p>{p}</p>" for p in intro)
        + "<div class='entries'>"
        + "".join(
            f"<article class='entry'><h3>Scooter {name}</h3><p>{e}</p></article>"
            for name, e in zip(names, entries, strict=True)
        )
        + "</div></article></body></html>"
    )
    body = extract_article(page, "http://news.example.test/best-scooters")["body"]
    assert _missing([*intro, *entries], body) == []


def test_a_block_named_footer_that_holds_most_of_the_page_is_body():
    # Trafilatura drops every block whose class says "footer": a guide that prints its entries in a
    # "page-footer" below a short introduction lost all of them. The site's footer still goes.
    intro = [
        (
            "The inspectors named the restaurants of the city this week, and for the first time "
            "in years the list grew in every part of town, from the harbour to the hills above."
        ),
        (
            "Below is each of them that takes bookings, with what the inspectors said of its "
            "cooking and of its room, and a word from us on when to go and what to order."
        ),
    ]
    names = _TWELVE_NAMES
    entries = [
        f"{name} serves its menu in a small room on street number {n}, and the inspectors praised "
        "its cooking; book a week ahead for a table at the weekend."
        for n, name in enumerate(names, start=1)
    ]
    page = (
        "<html><head><title>The guide</title></head><body><div class='page'>"
        "<h1>The inspectors' guide</h1><div class='page-body'>"
        + "".join(f"<p>{p}</p>" for p in intro)
        + "</div><div class='page-footer'>"
        + "".join(
            f"<div class='venue'><h3>{name}</h3><p class='where'>Bib | Harbour</p><p>{e}</p></div>"
            for name, e in zip(names, entries, strict=True)
        )
        + "</div></div><footer class='site-footer'><p>About us</p><p>© 2025 The Guide</p>"
        "</footer></body></html>"
    )
    body = extract_article(page, "http://news.example.test/guide")["body"]
    assert _missing([*intro, *entries], body) == []
    assert "About us" not in body and "2025 The Guide" not in body
