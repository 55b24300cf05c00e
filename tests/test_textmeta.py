"""Metadata written as text on pages without markup for it: bylines, date lines, utility links, the
URL's date; and those lines kept out of the article body."""

from __future__ import annotations

import json

import pytest

from pipelines.extract import extract_article
from pipelines.textmeta import (
    TextMeta,
    classify_line,
    name_list,
    parse_byline,
    parse_date,
    strip_text_metadata,
    url_date,
)

pytestmark = pytest.mark.fast

STORY = [
    (
        "The old paper mill on the river reopened on Monday after standing idle through the "
        "winter, and two hundred workers returned to the floor for the first shift in five months."
    ),
    (
        "The new owners said they expect to hire another fifty people by the summer if orders from "
        "packaging companies keep arriving at the pace they have since January."
    ),
    (
        "Union representatives welcomed the news but said the workers still wait for a written "
        "agreement on wages and pensions before they call the reopening a success."
    ),
    "The town council, which lent the buyers part of the money, will review the deal in May.",
]


def _legacy_page(byline: str, dateline: str, utility: str, *, title: str, head: str = "") -> bytes:
    """A hand-coded page of the early web: windows-1252 declared as iso-8859-1, <FONT>, unclosed
    <P>, <BR>, no metadata markup."""
    paragraphs = "".join(f"<P>{p}\n" for p in STORY)
    charset = '<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=iso-8859-1">'
    page = (
        f"<HTML><HEAD><TITLE>{title}</TITLE>{charset}{head}</HEAD><BODY BGCOLOR=white><CENTER>"
        '<FONT SIZE=2><A HREF="../index.htm">Home</A> | <A HREF="index.htm">Business</A></FONT>'
        '<HR><FONT FACE="Arial" SIZE=5><B>Old paper mill reopens after a long winter</B></FONT><BR>'
        f"<FONT SIZE=2>{byline}<BR>{dateline}</FONT>\n{paragraphs}"
        f"<P><FONT SIZE=1>{utility}</FONT>\n</CENTER></BODY></HTML>"
    )
    return page.encode("cp1252")


LEGACY_URL = "http://gazette.example.test/business/2019/0402_3.htm"


# --- legacy pages: what the issue saw ----------------------------------------------------------
def test_legacy_byline_and_date_line_become_fields_and_leave_the_body():
    page = _legacy_page(
        "By Jane Q. Smith, Business Editor",
        "Tuesday, April 2, 2019",
        '<A HREF="print.htm">Printer-friendly version</A> | <A HREF="mailto:">E-mail this story</A>'
        ' | <A HREF="index.htm">Back to Business</A>',
        title="The Valley Gazette - Old paper mill reopens after a long winter",
    )
    result = extract_article(page, "http://gazette.example.test/business/2019/story_3.htm")
    assert result["is_article"], result["skip_reason"]
    assert result["title"] == "Old paper mill reopens after a long winter"
    assert result["authors"] == ["Jane Q. Smith"]
    assert result["published"] == "2019-04-02"
    body = result["body"]
    assert body.split("\n\n")[-1] == STORY[-1]
    for line in ("Jane Q. Smith", "April 2, 2019", "Printer-friendly", "E-mail this", "Back to"):
        assert line not in body


def test_two_authors_and_a_date_in_german_on_a_legacy_page():
    page = _legacy_page(
        "Von Hans Müller und Petra Schmidt",
        "Dienstag, 2. April 2019, 14:22 Uhr",
        "Drucken | Versenden | Zurück zur Übersicht",
        title="Old paper mill reopens after a long winter",
        head='<META HTTP-EQUIV="Content-Language" CONTENT="de">',
    )
    result = extract_article(page, "http://zeitung.example.test/wirtschaft/artikel_3.htm")
    assert result["authors"] == ["Hans Müller", "Petra Schmidt"]
    assert result["published"] == "2019-04-02T14:22:00"
    assert "Müller" not in result["body"]
    assert "Drucken" not in result["body"]


def test_url_date_is_the_last_resort_for_a_page_that_prints_none():
    page = _legacy_page("", "", "", title="Old paper mill reopens after a long winter")
    result = extract_article(page, LEGACY_URL)
    assert result["published"] == "2019-04-02"
    assert result["authors"] == []


def test_content_farm_date_line_keeps_its_time_and_invents_no_zone():
    article = "".join(f"<p>{p}</p>" for p in STORY)
    page = (
        "<html><head><title>Mill reopens after winter | Daily Feed</title></head><body>"
        '<div class="nav"><a href="/">Home</a> <a href="/news/">News</a></div>'
        "<article><h1>Mill reopens after winter</h1><p>Date: 2024-03-05 14:22</p>"
        f"{article}</article></body></html>"
    )
    result = extract_article(page.encode(), "http://farm.example.test/news/20240305/1234.html")
    assert result["published"] == "2024-03-05T14:22:00"
    assert result["authors"] == []
    assert "Date:" not in result["body"]


# --- structured metadata still wins; its byline still leaves the body ---------------------------
def _jsonld_page(first_line: str, *, keywords: str = "", jsonld_keywords: str | None = None) -> str:
    article = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": "Old paper mill reopens after a long winter",
        "author": [{"@type": "Person", "name": "Ann Writer"}],
        "datePublished": "2025-01-10T06:15:00+01:00",
    }
    if jsonld_keywords is not None:
        article["keywords"] = jsonld_keywords
    meta = f'<meta name="keywords" content="{keywords}">' if keywords else ""
    paragraphs = "".join(f"<p>{p}</p>" for p in [first_line, *STORY])
    return (
        f"<html><head><title>Mill</title>{meta}"
        f'<script type="application/ld+json">{json.dumps(article)}</script></head>'
        f"<body><article><h1>Old paper mill reopens after a long winter</h1>{paragraphs}"
        "</article></body></html>"
    )


def test_byline_printed_in_a_jsonld_page_leaves_the_body_and_jsonld_authors_stay():
    page = _jsonld_page("By Ann Writer and Bo Reporter | Staff Writers")
    result = extract_article(page.encode(), "https://daily.example.test/world/mill")
    assert result["authors"] == ["Ann Writer"]
    assert result["published"] == "2025-01-10T06:15:00+01:00"
    assert result["body"].split("\n\n")[0] == STORY[0]


def test_a_sentence_starting_with_by_is_article_text():
    sentence = "By the end of the year, the mill expects to run three shifts again."
    result = extract_article(_jsonld_page(sentence).encode(), "https://daily.example.test/m")
    assert result["body"].split("\n\n")[0] == sentence
    assert result["authors"] == ["Ann Writer"]


def test_meta_keywords_give_tags_only_when_nothing_better_does():
    url = "https://daily.example.test/m"
    alone = extract_article(_jsonld_page(STORY[0], keywords="mill, jobs; river").encode(), url)
    assert alone["tags"] == ["mill", "jobs", "river"]
    both = _jsonld_page(STORY[0], keywords="news, gazette", jsonld_keywords="mill,reopening")
    assert extract_article(both.encode(), url)["tags"] == ["mill", "reopening"]


# --- lines -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "authors"),
    [
        ("By Jane Q. Smith, Business Editor", ["Jane Q. Smith"]),
        ("By Jane Smith and John Doe", ["Jane Smith", "John Doe"]),
        (
            "By Jane Smith, John Doe and Ann Lee, Staff Writers",
            ["Jane Smith", "John Doe", "Ann Lee"],
        ),
        ("Jane Smith | Staff Writer", ["Jane Smith"]),
        ("BY JANE SMITH", ["Jane Smith"]),
        ("By JANE SMITH Associated Press", ["Jane Smith"]),
        ("By JOHN DOE and ANN LEE Staff Writers", ["John Doe", "Ann Lee"]),
        ("By The Associated Press", ["The Associated Press"]),
        ("By Jane Smith in Brussels", ["Jane Smith"]),
        ("Par Marie Dupont, correspondante à Lyon", ["Marie Dupont"]),
        ("Por María José García y Luis Pérez", ["María José García", "Luis Pérez"]),
        ("Author: Jane Smith", ["Jane Smith"]),
        ("Escrito por José Pablo Segura", ["José Pablo Segura"]),
        ("Geschrieben von Petra Schmidt", ["Petra Schmidt"]),
        ("Submitted by Petra Novak", ["Petra Novak"]),
        (
            "Par Martin Untersinger (avec Damien Leloup et Morgane Tual)",
            ["Martin Untersinger", "Damien Leloup", "Morgane Tual"],
        ),
        ("By Jane Smith, with John Doe", ["Jane Smith", "John Doe"]),
        ("Ein Artikel von Pamela Sladky", ["Pamela Sladky"]),
        ("An article by Jane Smith", ["Jane Smith"]),
        # "By" and the name in two inline elements, their words run together
        ("ByJ.R. Stone", ["J.R. Stone"]),
        # a role in brackets after a labelled name
        ("By Jane Doe (Staff Writer)", ["Jane Doe"]),
        ("Redaktion: Eberhard Fuhr (Pressesprecher des EJW)", ["Eberhard Fuhr"]),
        # sentences, captions and quotes that merely look like bylines
        ("By the end of the year, the mill will hire again.", []),
        ("By Tuesday, the company had sold out.", []),
        ("By 2030 the town wants a new bridge", []),
        ("Bystanders said", []),
        ("By Jane Doe (who knows why)", []),
        ("Jane Doe (Staff Writer)", []),
        ("An article by the council says so.", []),
        ("Lawrence Yun, Chief Economist", []),
        ("Jane Smith", []),
        ("Eleanor Watson contributed reporting.", []),
    ],
)
def test_bylines_are_read_and_sentences_are_not(line, authors):
    assert parse_byline(line) == authors


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Jane Smith, John Doe and Ann Lee", ["Jane Smith", "John Doe", "Ann Lee"]),
        ("Jane Smith (with John Doe)", ["Jane Smith", "John Doe"]),
        ("Smith, Jane", []),  # one name, inverted: not two people
        ("Jane Smith, Reuters", []),
        ("Jane Smith, Senior Reporter", []),
    ],
)
def test_names_the_markup_marks_as_authors_are_listed_whole(text, names):
    assert name_list(text) == names


@pytest.mark.parametrize(
    ("line", "lang", "iso"),
    [
        ("Tuesday, April 2, 2019", None, "2019-04-02"),
        ("Apr. 2nd, 2019 10:30 a.m.", "en", "2019-04-02T10:30:00"),
        ("Date: 2024-03-05 14:22", None, "2024-03-05T14:22:00"),
        ("Published 2024-03-05T14:22:00Z", None, "2024-03-05T14:22:00+00:00"),
        ("Dienstag, 2. April 2019, 14:22 Uhr", "de", "2019-04-02T14:22:00"),
        ("Veröffentlicht am 3. März 2021", "de", "2021-03-03"),
        ("Publié le 1er avril 2019 à 10h30", "fr", "2019-04-01T10:30:00"),
        ("mardi 17 décembre 2019", "fr", "2019-12-17"),
        ("Publicado el 2 de abril de 2019", "es", "2019-04-02"),
        ("Pubblicato il 2 aprile 2019", "it", "2019-04-02"),
        ("Publicado em 2 de março de 2019", "pt", "2019-03-02"),
        ("Gepubliceerd op 2 april 2019 om 14:22", "nl", "2019-04-02T14:22:00"),
        ("Publicerad 2 april 2019", "sv", "2019-04-02"),
        ("2 kwietnia 2019, 14:22", "pl", "2019-04-02T14:22:00"),
        ("Publikováno 2. dubna 2019", "cs", "2019-04-02"),
        ("Publicat pe 2 aprilie 2019", "ro", "2019-04-02"),
        # numeric: a day over 12 decides, a dotted date is day first, else the page's locale
        ("13/04/2019", "en-US", "2019-04-13"),
        ("04/13/2019", "de", "2019-04-13"),
        ("2.4.2019", "en-US", "2019-04-02"),
        ("02/04/2019", "en-US", "2019-02-04"),
        ("02/04/2019", "en", "2019-02-04"),
        ("02/04/2019", "en-GB", "2019-04-02"),
        ("02/04/2019", "fr", "2019-04-02"),
        ("02/04/2019", None, "2019-04-02"),
        ("2019/04/02", "en-US", "2019-04-02"),
    ],
)
def test_dates_in_text_in_many_languages_and_orders(line, lang, iso):
    assert parse_date(line, lang) == iso
    assert classify_line(line, lang).published == iso


def test_a_date_the_url_carries_decides_an_ambiguous_numeric_date():
    known = url_date("https://wine.example.test/blog/2023/october/03/styles/")
    assert known == "2023-10-03"
    assert parse_date("03/10/2023", "en", known) == "2023-10-03"


def test_update_line_is_the_modified_date_not_the_published_one():
    said = classify_line("Published April 2, 2019 · Updated April 3, 2019 at 5 p.m.", "en")
    assert (said.published, said.modified) == ("2019-04-02", "2019-04-03T17:00:00")


@pytest.mark.parametrize(
    "line",
    [
        "Printer-friendly version | E-mail this story | Back to Business",
        "Print · Share · 12 comments",
        "Drucken | Versenden | Zurück zur Übersicht",
        "Imprimer | Envoyer à un ami | Partager",
        "Imprimir | Enviar | Compartir",
        "Stampa | Invia | Torna alla home",
        "Afdrukken | Delen | Terug naar overzicht",
        "Share this article",
        "8 min read",
    ],
)
def test_utility_lines_are_not_article_text(line):
    assert classify_line(line) is not None


@pytest.mark.parametrize(
    ("url", "iso"),
    [
        ("http://gazette.example.test/business/2019/0402_3.htm", "2019-04-02"),
        ("https://news.example.test/2019/04/02/mill-reopens/", "2019-04-02"),
        ("http://farm.example.test/news/20240305/123.html", "2024-03-05"),
        ("https://blog.example.test/posts/mill-reopens-2019-04-02", "2019-04-02"),
        ("https://news.example.test/story/1234567890123.html", None),
        ("https://news.example.test/2019/13/45/x", None),
    ],
)
def test_dates_in_urls(url, iso):
    assert url_date(url) == iso


# --- only the top and bottom of the body -------------------------------------------------------
def test_only_lines_at_the_top_and_bottom_leave_the_body():
    middle = "Tuesday, April 2, 2019"
    lines = ["By Jane Smith", "April 2, 2019", *STORY, middle, *STORY, "Print | Share"]
    body, above, below = strip_text_metadata("\n\n".join(lines), "en")
    assert body.split("\n\n") == [*STORY, middle, *STORY]
    assert above.authors == ("Jane Smith",)
    assert above.published == "2019-04-02"
    assert below.authors == ()


def test_story_paragraphs_are_never_taken_for_metadata():
    body = "\n\n".join(STORY)
    assert strip_text_metadata(body, "en")[0] == body


def test_a_label_alone_on_its_line_names_what_the_next_line_is():
    lines = ["Written by", "Jane Smith", "Last updated on:", "April 3, 2019", *STORY]
    body, above, _ = strip_text_metadata("\n\n".join(lines), "en")
    assert body.split("\n\n") == STORY
    assert above == TextMeta(("Jane Smith",), None, "2019-04-03")


# --- authors in markup -------------------------------------------------------------------------
def _graph_page(byline: str = "") -> bytes:
    """A WordPress page as Yoast writes it: the article's author a reference to a Person of the
    page's JSON-LD graph, and optionally a byline the theme prints."""
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {
                "@type": "Article",
                "@id": "https://blog.example.test/mill/#article",
                "headline": "Old paper mill reopens after a long winter",
                "author": {"@id": "https://blog.example.test/#/schema/person/1"},
                "datePublished": "2025-01-10T06:15:00+01:00",
            },
            {
                "@type": "Person",
                "@id": "https://blog.example.test/#/schema/person/1",
                "name": "webteam",
            },
        ],
    }
    paragraphs = "".join(f"<p>{p}</p>" for p in STORY)
    return (
        f'<html><head><script type="application/ld+json">{json.dumps(graph)}</script></head>'
        f"<body><article><h1>Old paper mill reopens after a long winter</h1>{byline}"
        f"{paragraphs}</article></body></html>"
    ).encode()


def test_the_person_an_article_points_at_is_its_author_when_nothing_is_printed():
    result = extract_article(_graph_page(), "https://blog.example.test/mill/")
    assert result["authors"] == ["webteam"]


def test_a_printed_byline_comes_before_the_account_the_graph_points_at():
    # a screen reader's label glued to the name ("AuthorAndreas Kalt" as one text) is a label
    byline = (
        '<span class="byline"><span class="author vcard"><span class="screen-reader-text">'
        'Author</span><a class="url fn n" href="/author/ak/">Andreas Kalt</a></span></span>'
    )
    result = extract_article(_graph_page(byline), "https://blog.example.test/mill/")
    assert result["authors"] == ["Andreas Kalt"]
