"""The extraction's shortcuts for speed give every page the article it had without them."""

from __future__ import annotations

import pytest
import trafilatura.utils
from lxml import html

from pipelines import extract
from pipelines.decode import page_text
from pipelines.extract import extract_article
from tests.test_extract_shortcut import _demo_pages, _edge_pages

pytestmark = pytest.mark.fast

PARAGRAPH = (
    "The ferry company said the winter timetable would keep two crossings a day, and that the "
    "older of its two boats would be refitted in the spring rather than sold."
)


def _form_pages() -> dict[str, bytes]:
    """Pages whose elements lxml.html would give form classes: forms, inputs, selects, labels."""
    paragraphs = "".join(f"<p>{PARAGRAPH} ({n})</p>" for n in range(6))
    form = (
        '<form action="/search"><label for="q">Search</label><input id="q" name="q" value="ferry">'
        '<select name="s"><option selected>News</option><option>Sport</option></select>'
        "<textarea name=t>Your comment</textarea><input type=checkbox checked></form>"
    )
    return {
        "story beside a search form": (
            f"<html><head><title>Ferry</title></head><body>{form}"
            f"<article><h1>Ferry timetable</h1>{paragraphs}</article></body></html>"
        ).encode(),
        "story inside a form": (
            "<html><head><title>Ferry</title></head><body><form><div>"
            f"<h1>Ferry timetable</h1>{paragraphs}</div>{form}</form></body></html>"
        ).encode(),
    }


@pytest.fixture
def lxml_classes():
    """Switch trafilatura's parser back to lxml.html's own element classes, then lean again."""
    parser = trafilatura.utils.HTML_PARSER
    yield lambda: parser.set_element_class_lookup(html.HtmlElementClassLookup())
    extract._lean_element_classes()


def test_trafilatura_parser_makes_plain_html_elements():
    tree = trafilatura.utils.load_html(_form_pages()["story beside a search form"])
    assert type(tree.find(".//form")) is html.HtmlElement
    assert type(tree.find(".//input")) is html.HtmlElement


@pytest.mark.parametrize("favor", ["balanced", "precision", "recall"])
def test_every_page_gets_the_article_it_gets_with_lxml_classes(favor, lxml_classes):
    pages = {**_form_pages(), **_edge_pages(), **_demo_pages()}
    lean = {url: extract_article(page, url, favor=favor) for url, page in pages.items()}
    lxml_classes()
    assert type(trafilatura.utils.load_html(pages["story inside a form"]).find(".//form")) is (
        html.FormElement
    )
    for url, page in pages.items():
        assert extract_article(page, url, favor=favor) == lean[url], url
    assert "winter timetable" in lean["story beside a search form"]["body"]


def _odd_character_pages() -> dict[str, bytes]:
    """Pages holding characters XML forbids: control characters and U+FFFE, U+FFFF."""
    paragraphs = "".join(f"<p>{PARAGRAPH} ({n})</p>" for n in range(6))
    story = f"<html><head><title>Ferry</title></head><body><article>{paragraphs}"
    return {
        "U+FFFE and U+FFFF in the story": (
            story + "<p>Timetables\ufffe are posted at the\uffff harbour office.</p></article>"
        ).encode(),
        "NUL and escape bytes in the story": (
            story + "<p>Timetables\x00 are posted at the\x1b harbour office.</p></article>"
        ).encode(),
        "windows-1252 with a control byte": (
            story.replace("<head>", '<head><meta charset="windows-1252">')
            + "<p>Caf\xe9 timetables\x07 are posted at the harbour office.</p></article>"
        ).encode("latin-1"),
    }


@pytest.mark.parametrize("decoded", [False, True])
def test_characters_xml_forbids_leave_the_story_whether_or_not_the_scan_is_skipped(
    decoded, monkeypatch
):
    pages = {**_odd_character_pages(), **_edge_pages()}
    if decoded:  # as the crawl hands pages over: text from page_text
        pages = {name: page_text(page)[0] for name, page in pages.items()}

    def run():
        return {n: extract_article(p, n, decoded=decoded) for n, p in pages.items()}

    skipped = run()
    monkeypatch.setattr(extract, "_KNOWN_CLEAN", None)
    assert run() == skipped
    for name in _odd_character_pages():
        body = skipped[name]["body"]
        assert "harbour office" in body, name
        assert not set(body) & {"\ufffe", "\uffff", "\x00", "\x1b", "\x07"}, name


def test_the_scan_is_skipped_in_the_trafilatura_the_project_pins():
    assert isinstance(trafilatura.utils.INVALID_XML_CHARS, extract._KnownClean)
