"""The legacy and content-farm demo sites are built the way their ground truth says.

Each template runs on a real server and is read with plain HTTP (urllib) and lxml, never with the
crawler: reachability is computed here by following ``<a href>`` with ``urljoin``, so these tests
prove the sites' structure (what an ad hoc crawl of the home page can find), not the crawler's.
"""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections import deque
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
import pytest

from crawler.demo_site import DemoSite, template_manifest
from crawler.demo_site.farm import UNLISTED

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[1]
SM = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


class Fetched:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def is_html(self) -> bool:
        return self.content_type.startswith("text/html")


class Reader:
    """GETs a site's URLs once each (no gzip asked for: bodies come back as sent)."""

    def __init__(self) -> None:
        self.cache: dict[str, Fetched] = {}

    def get(self, url: str) -> Fetched:
        if url not in self.cache:
            try:
                with urllib.request.urlopen(url, timeout=10) as resp:
                    got = Fetched(resp.status, _lower(resp.headers), resp.read())
            except urllib.error.HTTPError as err:
                got = Fetched(err.code, _lower(err.headers), err.read())
            self.cache[url] = got
        return self.cache[url]


def _lower(headers) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def links(page_url: str, body: bytes) -> list[str]:
    """Absolute http(s) URLs of a page's ``<a href>``, fragments dropped."""
    doc = lxml.html.document_fromstring(body)
    out = []
    for a in doc.iter("a"):
        href = (a.get("href") or "").strip()
        if not href:
            continue
        url = urldefrag(urljoin(page_url, href)).url
        if urlsplit(url).scheme in ("http", "https"):
            out.append(url)
    return out


def reachable(reader: Reader, base: str, seeds: list[str], skip=lambda url: False) -> set[str]:
    """Every URL of the site reached from ``seeds`` by following links in its HTML pages."""
    host = urlsplit(base).netloc
    seen, queue = set(seeds), deque(seeds)
    while queue:
        url = queue.popleft()
        page = reader.get(url)
        if page.status != 200 or not page.is_html:
            continue
        for link in links(url, page.body):
            if urlsplit(link).netloc == host and link not in seen and not skip(link):
                seen.add(link)
                queue.append(link)
    return seen


def page_text(body: bytes, encoding: str) -> str:
    doc = lxml.html.document_fromstring(body.decode(encoding))
    return " ".join(doc.body.text_content().split())


@pytest.fixture(scope="module")
def legacy():
    with DemoSite(port=0, template="legacy") as site:
        yield site, site.template_manifest(), Reader()


@pytest.fixture(scope="module")
def farm():
    with DemoSite(port=0, template="farm") as site:
        yield site, site.template_manifest(), Reader()


# ------------------------------------------------------------------ legacy


def test_legacy_declares_latin1_but_sends_windows_1252(legacy):
    _site, m, reader = legacy
    pages = [reader.get(u) for u in m["articles"]]
    assert {p.content_type for p in pages} == {"text/html; charset=iso-8859-1"}
    assert all(b'CONTENT="text/html; charset=iso-8859-1"' in p.body for p in pages)
    everything = b"".join(p.body for p in pages)
    for byte in (b"\x93", b"\x94", b"\x96", b"\x92", b"\x80"):  # “ ” – ’ €
        assert byte in everything
    with pytest.raises(UnicodeDecodeError):
        everything.decode("utf-8")
    # Read as the label says, the curly quotes are C1 control characters; as windows-1252, text.
    assert "\x93" in everything.decode("iso-8859-1")
    url, truth = next((u, a) for u, a in m["articles"].items() if "“" in a["body_paragraphs"][2])
    text = page_text(reader.get(url).body, "cp1252")
    assert truth["body_paragraphs"][2] in text
    assert "\r\n" in reader.get(url).body.decode("cp1252")


def test_legacy_pages_carry_no_machine_readable_metadata(legacy):
    site, m, reader = legacy
    for url in [*m["articles"], *m["non_articles"]]:
        body = reader.get(url).body.lower()
        for marker in (b"ld+json", b"og:", b"<time", b'name="author"', b"itemprop", b"<h1"):
            assert marker not in body, (url, marker)
        assert b'rel="alternate"' not in body
        assert b"<font" in body and b"<table" in body
    for path in ("/robots.txt", "/sitemap.xml", "/sitemap_index.xml", "/rss.xml", "/feed/"):
        assert reader.get(site.url(path)).status == 404, path
    assert m["feeds"] == [] and m["sitemaps"] == [] and m["robots"] is None


def test_legacy_links_are_document_relative(legacy):
    _site, m, reader = legacy
    hrefs = set()
    for url in [*m["articles"], *m["non_articles"]]:
        doc = lxml.html.document_fromstring(reader.get(url).body)
        hrefs |= {a.get("href") for a in doc.iter("a")}
    internal = {h for h in hrefs if not h.startswith(("mailto:", "javascript:"))}
    assert not [h for h in internal if h.startswith(("/", "http:", "https:"))]
    assert any(re.fullmatch(r"\d{4}_\d\.htm", h) for h in internal)  # same directory
    assert any(re.fullmatch(r"\.\./[a-z]+/\d{4}/\d{4}_\d\.htm", h) for h in internal)
    assert any(re.fullmatch(r"(\.\./)+", h) for h in internal)  # home
    assert {"index_2.htm", "index_3.htm"} <= internal


def test_legacy_home_page_reaches_every_article_some_only_through_later_section_pages(legacy):
    site, m, reader = legacy
    assert len(m["articles"]) >= 25
    for url in m["articles"]:
        assert re.fullmatch(r"/[a-z]+/\d{4}/\d{4}_\d+\.htm", urlsplit(url).path), url
    reached = reachable(reader, site.base_url, [m["home"]])
    assert set(m["articles"]) <= reached
    assert set(m["non_articles"]) <= reached
    # Nothing on the site links a page that does not exist.
    assert reached <= set(m["urls"]), reached - set(m["urls"])

    def later_page(url: str) -> bool:
        return re.search(r"/index_\d+\.htm$", url) is not None

    without_pagination = reachable(Reader(), site.base_url, [m["home"]], skip=later_page)
    only_paginated = set(m["articles"]) - without_pagination
    assert len(only_paginated) >= 3


def test_legacy_byline_and_date_are_text_under_the_headline_and_not_in_the_body(legacy):
    _site, m, reader = legacy
    bylines, dates = set(), set()
    for url, truth in m["articles"].items():
        text = page_text(reader.get(url).body, "cp1252")
        head = (
            f"{truth['title']} {truth['byline']} {truth['date_text']} {truth['body_paragraphs'][0]}"
        )
        assert head in text, url
        section = truth["section"]
        assert f"Printer-friendly version | E-mail this story | Back to {section}" in text
        assert truth["authors"] and all(a in truth["byline"] for a in truth["authors"])
        # The URL's date is the published date; the date line says the same day.
        y, md = re.search(r"/(\d{4})/(\d{4})_\d+\.htm$", url).groups()
        assert truth["published"] == f"{y}-{md[:2]}-{md[2:]}"
        for p in truth["body_paragraphs"]:
            assert p in text
            for boilerplate in (truth["byline"], truth["date_text"], "Printer-friendly",
                                "E-mail this story", "Copyright", "Advertisement"):  # fmt: skip
                assert boilerplate not in p, (url, boilerplate)
        bylines.add(truth["byline"])
        dates.add(truth["date_text"])
    assert any(" and " in b for b in bylines)
    assert any(" | " in b for b in bylines)
    assert any(re.fullmatch(r"By [\w ]+, [\w ]+", b) for b in bylines)
    assert any(re.fullmatch(r"[A-Z][a-z]+day, [A-Z][a-z]+ \d{1,2}, \d{4}", d) for d in dates)
    assert any(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in dates)
    assert any(re.fullmatch(r"\d{2}[./]\d{2}[./]\d{4}", d) for d in dates)
    assert any(len(a["authors"]) == 2 for a in m["articles"].values())


# ------------------------------------------------------------------ farm


def test_farm_articles_have_numeric_ids_a_naive_date_line_and_no_author(farm):
    _site, m, reader = farm
    assert len(m["articles"]) >= 25
    ids = set()
    for url, truth in m["articles"].items():
        day, num = re.fullmatch(r"/[a-z]+/(\d{8})/(\d+)\.html", urlsplit(url).path).groups()
        ids.add(num)
        assert truth["published"].replace("-", "")[:8] == day
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00", truth["published"])  # no zone
        assert truth["authors"] == []
        page = reader.get(url)
        assert page.status == 200 and page.content_type == "text/html; charset=utf-8"
        body = page.body.lower()
        for marker in (b"ld+json", b"og:", b"<time", b'name="author"', b'rel="author', b"byline"):
            assert marker not in body, (url, marker)
        text = page_text(page.body, "utf-8")
        date_line = f"Date: {truth['published'][:16].replace('T', ' ')}"
        assert f"{truth['title']} {date_line}" in text
        for p in truth["body_paragraphs"]:
            assert p in text
            text = text.replace(p, "")
        assert not re.search(r"\b[Bb]y [A-Z]", text), url  # no byline outside the story's words
    assert len(ids) == len(m["articles"])


def test_farm_lists_are_pages_of_their_own_and_answer_200(farm):
    site, m, reader = farm
    paths = {urlsplit(u).path for u in m["non_articles"]}
    assert {"/", "/hot/", "/ranking/", "/finance/list_2.html"} <= paths
    assert any(p.startswith("/tag/") for p in paths)
    assert not set(m["non_articles"]) & set(m["articles"])
    for url in m["non_articles"]:
        page = reader.get(url)
        assert page.status == 200 and page.is_html, url
    # The hot list looks dated like an article, but is a list of them.
    hot = page_text(reader.get(site.url("/hot/")).body, "utf-8")
    assert re.search(r"Date: \d{4}-\d{2}-\d{2} \d{2}:\d{2}", hot)
    assert len(links(site.url("/hot/"), reader.get(site.url("/hot/")).body)) > 30


def test_farm_every_page_links_its_feed_and_robots_names_a_gzipped_sitemap(farm):
    site, m, reader = farm
    for url in [*m["articles"], *m["non_articles"]]:
        doc = lxml.html.document_fromstring(reader.get(url).body)
        feeds = doc.xpath('//head/link[@rel="alternate"][@type="application/rss+xml"]/@href')
        assert [urljoin(url, f) for f in feeds] == m["feeds"], url
    robots = reader.get(site.url("/robots.txt")).body.decode()
    named = re.findall(r"(?m)^Sitemap: (\S+)$", robots)
    assert named == m["sitemaps"]
    index = ET.fromstring(reader.get(named[0]).body)
    children = [e.text for e in index.findall("sm:sitemap/sm:loc", SM)]
    gz = next(c for c in children if c.endswith(".xml.gz"))
    packed = reader.get(gz)
    assert packed.content_type == "application/x-gzip"
    assert "content-encoding" not in packed.headers and packed.body[:2] == b"\x1f\x8b"
    urls = {e.text for e in ET.fromstring(gzip.decompress(packed.body)).iterfind(".//sm:loc", SM)}
    assert urls == set(m["articles"])


def test_farm_articles_are_found_from_home_sitemap_and_feed_and_some_only_so(farm):
    site, m, reader = farm
    sitemap_urls = set()
    pending = list(m["sitemaps"])
    while pending:
        body = reader.get(pending.pop()).body
        if body[:2] == b"\x1f\x8b":
            body = gzip.decompress(body)
        root = ET.fromstring(body)
        pending += [e.text for e in root.findall("sm:sitemap/sm:loc", SM)]
        sitemap_urls |= {e.text for e in root.findall("sm:url/sm:loc", SM)}
    feed = ET.fromstring(reader.get(m["feeds"][0]).body)
    feed_urls = {e.text for e in feed.iterfind("channel/item/link")}
    assert feed_urls and feed_urls <= set(m["articles"])

    reached = reachable(reader, site.base_url, [m["home"], *sitemap_urls, *feed_urls])
    assert set(m["articles"]) <= reached
    assert reached <= set(m["urls"]), reached - set(m["urls"])

    from_home = reachable(Reader(), site.base_url, [m["home"]])
    hidden = set(m["articles"]) - from_home
    assert {urlsplit(u).path for u in hidden} == {
        urlsplit(u).path for u, a in m["articles"].items() if not a["listed"]
    }
    assert len(hidden) == len(UNLISTED)
    assert hidden & feed_urls and hidden - feed_urls  # some in the feed, some only in the sitemap


# ------------------------------------------------------------------ both


@pytest.mark.parametrize("template", ["legacy", "farm"])
def test_ground_truth_is_stable_and_edition_2_only_adds_stories(template):
    base = "http://127.0.0.1:8765/"
    one, again = template_manifest(template, base), template_manifest(template, base)
    assert one == again
    two = template_manifest(template, base, edition=2)
    assert len(two["articles"]) == len(one["articles"]) + 3
    for url, truth in one["articles"].items():
        # Only where an older story can be found changes (the feed keeps the newest).
        assert {**two["articles"][url], "reachable_from": []} == {**truth, "reachable_from": []}


def test_cli_serves_a_template(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.demo_site", "--template", "legacy", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        line = proc.stdout.readline()
        match = re.fullmatch(r"demo site: (http://127\.0\.0\.1:\d+/)\n", line)
        assert match, line
        with urllib.request.urlopen(match.group(1), timeout=10) as resp:
            assert resp.headers["Server"] == "Microsoft-IIS/5.0"
            assert b"The Daily Ledger" in resp.read()
        proc.terminate()
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
