"""Readability runs only where its answer can change the article: the shortcut that skips
trafilatura's comparison with readability and jusText must give every page the body the full
comparison gives it."""

from __future__ import annotations

from pathlib import Path

import pytest
import trafilatura
import trafilatura.external

from crawler.demo_site.server import DemoSite
from pipelines import extract
from pipelines.extract import extract_article

pytestmark = pytest.mark.fast

FIXTURES = Path(__file__).parent / "fixtures"
PARAGRAPH = (
    "The harbour authority said on Tuesday that the new breakwater would be finished before the "
    "winter storms, after a year of delays caused by a shortage of stone and a dispute over pay."
)


def _page(main: str, *, menus: int = 0, aside: str = "") -> bytes:
    nav = "".join(
        f'<li><a href="/s/{n}">Section number {n} and its pages</a></li>' for n in range(menus)
    )
    return f"""<html><head><title>Breakwater</title></head><body>
    <nav><ul>{nav}</ul></nav><div id="main">{main}</div>{aside}
    <footer>Contact · Terms · Privacy</footer></body></html>""".encode()


def _edge_pages() -> dict[str, bytes]:
    """Pages on each side of each rule of the comparison."""
    paragraphs = "".join(f"<p>{PARAGRAPH} ({n})</p>" for n in range(8))
    rows = "".join(f"<tr><td>{PARAGRAPH} ({n})</td></tr>" for n in range(8))
    return {
        "article": _page(f"<article><h1>Breakwater</h1>{paragraphs}</article>"),
        "article beside long menus": _page(f"<article>{paragraphs}</article>", menus=120),
        "short story": _page(f"<article><p>{PARAGRAPH}</p></article>"),
        "story in a table, no paragraphs": _page(f"<table>{rows}</table>"),
        "story with a figure and a time": _page(
            f"<article><time>5 May</time><figure><figcaption>The breakwater</figcaption>"
            f"</figure>{paragraphs}</article>"
        ),
        "story in divs beside a long aside": _page(
            "".join(f"<div>{PARAGRAPH} ({n})</div>" for n in range(4)),
            aside="<div>" + " ".join([PARAGRAPH] * 12) + "</div>",
        ),
        "no text": _page(""),
    }


def _demo_pages() -> dict[str, bytes]:
    pages = {}
    for template in ("courier", "legacy", "farm"):
        with DemoSite(port=0, template=template) as site:
            for url in sorted(site.template_manifest()["articles"])[:12]:
                pages[url] = site.expected_body(url)
    for path in sorted((FIXTURES / "contentfarm").glob("*.html")):
        pages[path.name] = path.read_bytes()
    return pages


@pytest.fixture
def readability_calls(monkeypatch):
    calls = []
    original = trafilatura.external.try_readability

    def counted(tree):
        calls.append(1)
        return original(tree)

    monkeypatch.setattr(trafilatura.external, "try_readability", counted)
    return calls


def test_the_shortcut_is_installed_in_the_trafilatura_the_project_pins():
    import trafilatura.core

    assert trafilatura.core.compare_extraction.original is trafilatura.external.compare_extraction


@pytest.mark.parametrize("favor", ["balanced", "precision", "recall"])
def test_every_page_gets_the_body_the_full_comparison_gives_it(
    favor, monkeypatch, readability_calls
):
    pages = {**_edge_pages(), **_demo_pages()}
    fast = {url: extract_article(page, url, favor=favor) for url, page in pages.items()}
    with_shortcut = len(readability_calls)
    monkeypatch.setattr(extract, "_own_extraction_stands", lambda *args: False)
    readability_calls.clear()
    for url, page in pages.items():
        full = extract_article(page, url, favor=favor)
        assert fast[url]["body"] == full["body"], url
        assert fast[url]["is_article"] == full["is_article"], url
    # and the shortcut saved work: fewer readability runs for the same pages
    assert with_shortcut < len(readability_calls), (with_shortcut, len(readability_calls))


@pytest.mark.parametrize("focus", ["balanced", "precision", "recall"])
def test_trafilatura_returns_what_it_returns_without_the_shortcut(focus, monkeypatch):
    """The same, one level down: trafilatura's own text, before the project trims it (where a few
    characters of difference would not reach the article)."""
    options = {"favor_precision": focus == "precision", "favor_recall": focus == "recall"}
    pages = {**_edge_pages(), **_demo_pages()}
    fast = {url: trafilatura.extract(page, **options) for url, page in pages.items()}
    monkeypatch.setattr(extract, "_own_extraction_stands", lambda *args: False)
    for url, page in pages.items():
        assert fast[url] == trafilatura.extract(page, **options), url


def test_readability_still_decides_where_it_can_win(readability_calls):
    """A story laid out in table cells gives trafilatura's own run no paragraph text: readability
    must still be asked (and a short story still goes to jusText)."""
    pages = _edge_pages()
    extract_article(pages["story in a table, no paragraphs"], "https://x.test/t", favor="precision")
    assert readability_calls
    readability_calls.clear()
    extract_article(pages["short story"], "https://x.test/s", favor="precision")
    assert readability_calls
