"""The news spider's link discovery on one page: what it follows, in what order, and its next page."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse

from crawler.spiders.news import NewsSpider

pytestmark = pytest.mark.fast

SECTION = "https://news.example/world/"


def links(body: str, url: str = SECTION) -> list[str]:
    response = HtmlResponse(url, body=body.encode(), encoding="utf-8")
    return NewsSpider(urls=url)._links(response)


def next_page(body: str, url: str = SECTION) -> str | None:
    response = HtmlResponse(url, body=body.encode(), encoding="utf-8")
    spider = NewsSpider(urls=url)
    return spider._next_page(response, spider._links(response))


def test_links_come_in_page_order_each_once_without_fragments():
    body = """<a href="/world/2024/05/b-story">B</a>
      <a href="/world/2024/05/a-story#comments">A</a>
      <a href=" /world/2024/05/b-story ">B again</a>
      <a href="/world/2024/05/a-story">A again</a>"""
    assert links(body) == [
        "https://news.example/world/2024/05/b-story",
        "https://news.example/world/2024/05/a-story",
    ]


def test_links_that_are_not_web_pages_are_not_followed():
    body = """<a href="#top">top</a> <a href="">here</a> <a href="/world/">this section</a>
      <a href="mailto:desk@news.example">mail</a> <a href="tel:+123">call</a>
      <a href="javascript:void(0)">menu</a> <a href="ftp://news.example/pub/">ftp</a>
      <a href="/img/photo.JPG">photo</a> <a href="/fonts/serif.woff2">font</a>
      <a href="/report.pdf">report</a> <a href="/dump.gz">dump</a> <a href="/app.js">js</a>
      <a href="/world/2024/05/kept">kept</a>"""
    assert links(body) == ["https://news.example/world/2024/05/kept"]


def test_pages_whose_path_ends_like_a_file_type_are_followed():
    # Scrapy's default IGNORED_EXTENSIONS would drop these tag pages (.ai, .au)
    body = '<a href="/topics/mistral.ai">Mistral</a> <a href="/tags/abc.net.au">ABC</a>'
    assert links(body) == [
        "https://news.example/topics/mistral.ai",
        "https://news.example/tags/abc.net.au",
    ]


def test_links_to_other_sites_are_kept_for_the_spider_to_judge():
    body = '<a href="https://wire.example/2024/05/story">wire</a> <a href="//cdn.example/x">cdn</a>'
    assert links(body) == ["https://wire.example/2024/05/story", "https://cdn.example/x"]


def test_relative_links_resolve_against_the_pages_base():
    body = '<head><base href="https://news.example/archive/"></head><a href="2024/05/s">s</a>'
    assert links(body) == ["https://news.example/archive/2024/05/s"]


def test_next_page_from_rel_next():
    body = '<link rel="prev" href="/world/page/1"><link rel="next" href="/world/page/3">'
    assert next_page(body, SECTION + "page/2") == "https://news.example/world/page/3"


def test_next_page_from_the_page_number_in_links():
    body = (
        '<a href="/world/page/3">3</a> <a href="/world/page/2">2</a> <a href="/sport/page/2">s</a>'
    )
    assert next_page(body) == "https://news.example/world/page/2"


def test_next_page_from_the_link_text():
    body = '<a href="/world/?before=123">Older <span>»</span></a> <a href="/about">About</a>'
    assert next_page(body) == "https://news.example/world/?before=123"


def test_no_next_page_on_the_last_page():
    assert next_page('<a href="/world/2024/05/story">story</a>') is None
