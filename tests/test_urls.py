"""URL canonicalization and the request fingerprinter built on it."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.settings import Settings
from scrapy.utils.request import RequestFingerprinter
from scrapy.utils.test import get_crawler

from crawler.urls import CanonicalRequestFingerprinter, UrlCanonicalizer, canonicalize_url
from tests.helpers import project_settings
from tests.local_site import LocalSite

pytestmark = pytest.mark.fast


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://News.Example.COM/a", "http://news.example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://example.com/story#comments", "https://example.com/story"),
        ("https://example.com/s?b=2&a=1", "https://example.com/s?a=1&b=2"),
        (
            "https://example.com/s?utm_source=tw&utm_medium=social&id=7",
            "https://example.com/s?id=7",
        ),
        ("https://example.com/s?UTM_Campaign=x", "https://example.com/s"),
        (
            "https://example.com/s?fbclid=IwAR0&gclid=Cj0&mc_cid=1&mc_eid=2&igshid=3",
            "https://example.com/s",
        ),
        ("https://example.com/s?page=2&fbclid=x#top", "https://example.com/s?page=2"),
        (
            "https://example.com/2019/04/02/story/?replytocom=17#respond",
            "https://example.com/2019/04/02/story/",
        ),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/caf%c3%a9", "https://example.com/caf%C3%A9"),
    ],
)
def test_link_variants_reduce_to_one_canonical_url(url, expected):
    assert canonicalize_url(url) == expected


def test_parameters_that_select_content_are_kept():
    # "source" and "ref" look like tracking but often pick an edition or a page: not on the list.
    url = "https://example.com/search?q=election&source=wire&ref=42"
    assert canonicalize_url(url) == "https://example.com/search?q=election&ref=42&source=wire"


def test_tracking_list_is_configurable_with_globs():
    url = "https://example.com/s?id=1&utm_source=x&cmp_a=1&cmp_b=2"
    assert canonicalize_url(url, ["cmp_*"]) == "https://example.com/s?id=1&utm_source=x"
    assert canonicalize_url(url, []) == "https://example.com/s?cmp_a=1&cmp_b=2&id=1&utm_source=x"


def test_fingerprinter_reads_tracking_params_setting():
    crawler = get_crawler(settings_dict=project_settings(DEDUPE_TRACKING_PARAMS=["sessionid"]))
    fp = CanonicalRequestFingerprinter.from_crawler(crawler)
    assert fp.fingerprint(Request("https://e.com/a?sessionid=9")) == fp.fingerprint(
        Request("https://e.com/a")
    )
    assert fp.fingerprint(Request("https://e.com/a?utm_source=x")) != fp.fingerprint(
        Request("https://e.com/a")
    )


def test_configured_canonicalizer_and_fingerprinter_agree_on_one_url():
    # As `-s DEDUPE_TRACKING_PARAMS=...` gives it: a comma-separated string.
    settings = {"DEDUPE_TRACKING_PARAMS": "sessionid,cmp_*"}
    canonical = UrlCanonicalizer.from_settings(Settings(settings))
    url = "https://E.com:443/a?cmp_x=1&id=2&sessionid=9&utm_source=x#top"
    assert canonical(url) == "https://e.com/a?id=2&utm_source=x"
    fp = CanonicalRequestFingerprinter.from_crawler(
        get_crawler(settings_dict=project_settings(**settings))
    )
    assert fp.fingerprint(Request(url)) == fp.fingerprint(Request(canonical(url)))


def test_fingerprint_tells_apart_what_scrapy_tells_apart():
    fp = CanonicalRequestFingerprinter()
    scrapy_fp = RequestFingerprinter()
    a = Request("https://e.com/a?x=1")
    variants = [
        Request("https://e.com/a?x=2"),
        Request("https://e.com/a?x=1", method="POST"),
        Request("https://e.com/a?x=1", method="POST", body=b"q=1"),
        Request("https://e.com/b?x=1"),
    ]
    for other in variants:
        assert scrapy_fp.fingerprint(a) != scrapy_fp.fingerprint(other)
        assert fp.fingerprint(a) != fp.fingerprint(other), other
    assert fp.fingerprint(a) == fp.fingerprint(Request("https://E.com:443/a?x=1&utm_term=z#c"))


def test_tracking_and_fragment_variants_are_fetched_once(run_crawl):
    section = """<html><body>
      <a href="/article/budget-vote.html">Budget vote</a>
      <a href="/article/budget-vote.html?utm_source=twitter&utm_medium=social">share</a>
      <a href="/article/budget-vote.html#comments">comments</a>
      <a href="/article/budget-vote.html?fbclid=IwAR123&utm_campaign=x#top">fb</a>
      <a href="/article/other.html?page=1">other, page 1</a>
      <a href="/article/other.html?page=2">other, page 2</a>
    </body></html>"""
    article = "<html><body><article><p>The council voted on the budget.</p></article></body></html>"
    pages = {
        "/": section,
        "/article/budget-vote.html": article,
        "/article/other.html": article,
    }
    with LocalSite(pages) as site:
        result = run_crawl(
            {
                "start_urls": [site.url("/")],
                "settings": {
                    "REQUEST_FINGERPRINTER_CLASS": "crawler.urls.CanonicalRequestFingerprinter"
                },
            }
        )
        budget_hits = site.hits("/article/budget-vote.html")
        other_hits = site.hits("/article/other.html")
    assert len(budget_hits) == 1, [h.path for h in budget_hits]
    # a parameter that selects content still makes a different page
    assert sorted(h.path for h in other_hits) == [
        "/article/other.html?page=1",
        "/article/other.html?page=2",
    ]
    assert result["stats"]["dupefilter/filtered"] >= 3
