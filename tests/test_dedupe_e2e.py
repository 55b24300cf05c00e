"""Dedupe end to end, through the real ``newsarchive crawl`` (issue 5's acceptance).

- Two consecutive crawls of the demo site (the second against its edition 2: three new stories,
  everything else byte-identical): the second fetches no article the first archived, re-fetches
  sections, feeds and sitemaps with conditional headers, writes revisit records for what did not
  change, and pywb, given both crawls' WARCs, replays the newest capture of an unchanged page as
  the page itself.
- The syndication corpus (tests/syndication_corpus.py) served on three local sites and crawled:
  pairwise precision and recall of story grouping, printed, both >= 0.95.
- Both again with ``REDIS_URL`` (the machine's Redis), each crawl a separate process.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from crawler.demo_site import DemoSite
from crawler.middlewares.capture import NOT_MODIFIED_PROFILE
from tests.helpers import (
    REDIS_URL,
    read_jsonl_gz,
    records,
    redis_key_prefix,
    run_cli,
    warc_files,
    write_demo_site_file,
)
from tests.local_site import LocalSite
from tests.syndication_corpus import SITES, build_sites, ground_truth, pairwise_precision_recall

IDENTICAL_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
REFETCHED_KINDS = ("section", "feed", "sitemap")


@contextmanager
def backend_settings(backend: str):
    """CLI ``-s`` options for the crawl state: SQLite beside the archive, or Redis under a unique
    prefix (every key under it, frontier included, deleted afterwards)."""
    if backend == "sqlite":
        yield []
        return
    with redis_key_prefix() as prefix:
        yield ["-s", f"REDIS_URL={REDIS_URL}", "-s", f"STATE_REDIS_PREFIX={prefix}"]


def crawl(work: Path, target: str, options: list[str]) -> dict:
    """One ``newsarchive crawl`` in its own process; its manifest and exported articles."""
    before = set(work.glob("archive/manifests/*.json"))
    result = run_cli("crawl", target, "--archive", str(work / "archive"), *options, cwd=work)
    assert result.returncode == 0, result.stderr[-3000:]
    (manifest_path,) = set(work.glob("archive/manifests/*.json")) - before
    manifest = json.loads(manifest_path.read_text())
    crawl_id = manifest["crawl_id"]
    items = [
        i for p in work.glob(f"archive/articles/{crawl_id}/*.jsonl.gz") for i in read_jsonl_gz(p)
    ]
    recs = [r for p in sorted(work.glob(f"archive/warc/{crawl_id}/*.warc.gz")) for r in records(p)]
    return {"manifest": manifest, "items": items, "records": recs, "stdout": result.stdout}


def by_uri(recs, *types: str) -> dict:
    return {r.rec_headers.get_header("WARC-Target-URI"): r for r in recs if r.rec_type in types}


# --- two consecutive crawls of the demo site ---------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "redis"])
def recrawl(request, tmp_path_factory):
    """Crawl the demo site, switch it to edition 2, crawl it again (same archive, same state)."""
    work = tmp_path_factory.mktemp(f"recrawl-{request.param}")
    with backend_settings(request.param) as options, DemoSite(port=0) as site:
        write_demo_site_file(work / "sites", site.base_url)
        first = crawl(work, "demo", options)
        first_requests = site.requests
        site.clear_requests()
        site.set_edition(2)
        time.sleep(1.1)  # captures a second apart: index timestamps have whole seconds
        second = crawl(work, "demo", options)
        return {
            "work": work,
            "base_url": site.base_url,
            "first": first,
            "second": second,
            "first_requests": first_requests,
            "second_requests": site.requests,
            "manifest1": _manifest(site.base_url, 1),
            "manifest2": site.manifest(),
        }


def _manifest(base_url: str, edition: int) -> dict:
    from crawler.demo_site import demo_manifest

    return demo_manifest(base_url, edition)


def _urls_of_kind(manifest: dict, *kinds: str) -> set[str]:
    return {url for url, info in manifest["urls"].items() if info["kind"] in kinds}


def test_second_crawl_fetches_no_article_the_first_archived(recrawl):
    base = recrawl["base_url"].rstrip("/")
    old_articles = _urls_of_kind(recrawl["manifest1"], "article")
    new_articles = _urls_of_kind(recrawl["manifest2"], "article") - old_articles
    assert len(new_articles) == 3
    exported_first = {i["final_url"] for i in recrawl["first"]["items"]}
    assert old_articles <= exported_first
    fetched_again = {base + r["target"] for r in recrawl["second_requests"]}
    assert not fetched_again & old_articles, sorted(fetched_again & old_articles)
    assert {i["final_url"] for i in recrawl["second"]["items"]} == new_articles
    # the changed sections did list archived articles: they were skipped, not missed
    assert recrawl["second"]["manifest"]["stats"]["dedupe/article_already_archived"] > 0


def test_sections_feeds_and_sitemaps_are_refetched_conditionally(recrawl):
    first_responses = by_uri(recrawl["first"]["records"], "response")
    second_requests = by_uri(recrawl["second"]["records"], "request")
    refetched = _urls_of_kind(recrawl["manifest1"], *REFETCHED_KINDS) & set(second_requests)
    start = set(recrawl["manifest1"]["start_urls"] + recrawl["manifest1"]["feeds"])
    assert start | set(recrawl["manifest1"]["sitemaps"]) <= refetched
    for url in refetched:
        original = first_responses[url].http_headers
        sent = second_requests[url].http_headers
        assert sent.get_header("If-None-Match") == original.get_header("ETag"), url
        assert sent.get_header("If-Modified-Since") == original.get_header("Last-Modified"), url
    # and in the first crawl nothing was conditional
    for request in by_uri(recrawl["first"]["records"], "request").values():
        assert request.http_headers.get_header("If-None-Match") is None


def test_unchanged_pages_are_written_as_revisits_of_their_first_capture(recrawl):
    from crawler.demo_site import expected_body

    base = recrawl["base_url"]
    first = by_uri(recrawl["first"]["records"], "response")
    second = recrawl["second"]["records"]
    captures = by_uri(second, "response", "revisit")
    unchanged = [
        url
        for url in captures
        if url in first
        and first[url].http_headers.get_statuscode() == "200"
        and expected_body(url, base, edition=1) == expected_body(url, base, edition=2)
    ]
    changed = [url for url in captures if url in first and url not in unchanged]
    assert len(unchanged) >= 3 and changed, (unchanged, changed)
    not_modified = 0
    for url in unchanged:
        record, original = captures[url], first[url]
        headers = record.rec_headers
        assert record.rec_type == "revisit", url
        assert headers.get_header("WARC-Refers-To") == original.rec_headers.get_header(
            "WARC-Record-ID"
        )
        assert headers.get_header("WARC-Refers-To-Target-URI") == url
        assert headers.get_header("WARC-Refers-To-Date") == original.rec_headers.get_header(
            "WARC-Date"
        )
        assert headers.get_header("WARC-Payload-Digest") == original.rec_headers.get_header(
            "WARC-Payload-Digest"
        )
        assert record.body == b"", "a revisit must not store the payload again"
        if headers.get_header("WARC-Profile") == NOT_MODIFIED_PROFILE:
            not_modified += 1
        else:
            assert headers.get_header("WARC-Profile") == IDENTICAL_PROFILE
            assert record.http_headers.get_statuscode() == "200"  # headers kept
    assert not_modified >= 2  # /news/ and /reviews/ answered 304
    assert captures[base + "robots.txt"].rec_headers.get_header("WARC-Profile") == (
        IDENTICAL_PROFILE
    )
    for url in changed:
        assert captures[url].rec_type == "response", url
    stats = recrawl["second"]["manifest"]["stats"]
    assert stats["archive/records/revisit"] == len(unchanged)
    assert stats["archive/revisits/server_not_modified"] == not_modified
    # revisits are indexed as warc/revisit with the digest pywb resolves them by
    crawl_id = recrawl["second"]["manifest"]["crawl_id"]
    lines = [
        json.loads(line.split(" ", 2)[2])
        for p in recrawl["work"].glob(f"archive/cdxj/{crawl_id}/*.cdxj")
        for line in p.read_text().splitlines()
    ]
    revisit_lines = {f["url"]: f for f in lines if f.get("mime") == "warc/revisit"}
    assert set(revisit_lines) == set(unchanged)
    for url, fields in revisit_lines.items():
        assert fields["digest"] == first[url].rec_headers.get_header("WARC-Payload-Digest")


def test_both_crawls_pass_warcio_check(recrawl):
    files = warc_files(recrawl["work"] / "archive")
    warcio = Path(sys.executable).parent / "warcio"
    check = subprocess.run(
        [warcio, "check", *map(str, files)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_pywb_replays_the_merged_archive_with_revisits_resolved(recrawl, pywb):
    from crawler.demo_site import expected_body

    base_url = recrawl["base_url"]
    second = recrawl["second"]["records"]
    revisits = by_uri(second, "revisit")
    assert revisits
    replay = pywb(warc_files(recrawl["work"] / "archive"))
    latest = max(_date(r.rec_headers.get_header("WARC-Date")) for r in second)
    after = (latest + timedelta(minutes=1)).strftime("%Y%m%d%H%M%S")
    for url, record in revisits.items():
        with urllib.request.urlopen(f"{replay}/{after}id_/{url}", timeout=30) as resp:
            status, body = resp.status, resp.read()
            memento = resp.headers.get("Memento-Datetime")
            if resp.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
        assert status == 200, url
        # pywb chose the revisit (the newest capture) and found its payload in the first crawl
        revisit_date = _date(record.rec_headers.get_header("WARC-Date")).replace(microsecond=0)
        assert _http_date(memento) == revisit_date, (url, memento)
        assert body == expected_body(url, base_url, edition=2), f"replay of {url} differs"


def _date(warc_date: str) -> datetime:
    return datetime.fromisoformat(warc_date)


def _http_date(value: str) -> datetime:
    from email.utils import parsedate_to_datetime

    return parsedate_to_datetime(value).astimezone(UTC)


def test_a_payload_seen_under_another_url_is_a_revisit_that_pywb_resolves(tmp_path, pywb):
    """The same bytes at two addresses (``/`` and ``/index.html``): stored once, replayed twice."""
    page = (
        "<html><head><title>The Harbour Courier</title></head><body><ul>"
        + "".join(f'<li><a href="/news/story-{n}/">Story {n}</a></li>' for n in range(40))
        + "</ul></body></html>"
    )
    with LocalSite({"/": page, "/index.html": page}) as site:
        (tmp_path / "sites").mkdir()
        (tmp_path / "sites" / "aliases.toml").write_text(
            f'name = "aliases"\nstart_urls = ["{site.url("/")}", "{site.url("/index.html")}"]\n'
            'article_patterns = ["/no-articles-here/"]\n'
        )
        result = crawl(tmp_path, "aliases", ["-s", "CONCURRENT_REQUESTS=1"])
    captures = by_uri(result["records"], "response", "revisit")
    pair = [captures[site.url("/")], captures[site.url("/index.html")]]
    (revisit,) = [r for r in pair if r.rec_type == "revisit"]
    (original,) = [r for r in pair if r.rec_type == "response"]
    headers = revisit.rec_headers
    assert headers.get_header("WARC-Profile") == IDENTICAL_PROFILE
    assert headers.get_header("WARC-Refers-To-Target-URI") == original.rec_headers.get_header(
        "WARC-Target-URI"
    )
    assert headers.get_header("WARC-Refers-To") == original.rec_headers.get_header("WARC-Record-ID")
    assert result["manifest"]["stats"]["archive/revisits/bytes_saved"] == len(page)
    replay = pywb(warc_files(tmp_path / "archive"))
    url = headers.get_header("WARC-Target-URI")
    stamp = re.sub(r"\D", "", headers.get_header("WARC-Date"))[:14]
    with urllib.request.urlopen(f"{replay}/{stamp}id_/{url}", timeout=30) as resp:
        assert resp.status == 200
        assert resp.read() == page.encode()


# --- story grouping over the syndication corpus ------------------------------------------------


def write_corpus_site(sites_dir: Path, name: str, servers: list[LocalSite]) -> None:
    sites_dir.mkdir(parents=True, exist_ok=True)
    start = ", ".join(f'"{s.url("/")}"' for s in servers)
    (sites_dir / f"{name}.toml").write_text(
        f'name = "{name}"\nstart_urls = [{start}]\nallowed_domains = ["127.0.0.1"]\n'
        'article_patterns = ["/article/"]\n\n[politeness]\ndownload_delay = 0.0\n'
        "concurrent_requests_per_domain = 8\n"
    )


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_story_grouping_over_syndicated_copies(tmp_path, backend):
    """sqlite: one crawl of the three sites; redis: the original site, then the two others in a
    second process, grouped through the shared state."""
    truth = ground_truth()
    items = []
    with ExitStack() as stack:
        options = stack.enter_context(backend_settings(backend))
        sites = build_sites()
        servers = {name: stack.enter_context(LocalSite(sites[name])) for name in SITES}
        if backend == "sqlite":
            write_corpus_site(tmp_path / "sites", "corpus", list(servers.values()))
            items += crawl(tmp_path, "corpus", options)["items"]
        else:
            write_corpus_site(tmp_path / "sites", "origin", [servers[SITES[0]]])
            write_corpus_site(tmp_path / "sites", "copies", [servers[s] for s in SITES[1:]])
            items += crawl(tmp_path, "origin", options)["items"]
            time.sleep(1.1)  # another crawl id
            items += crawl(tmp_path, "copies", options)["items"]
    names = {urlsplit(s.base_url).port: name for name, s in servers.items()}
    predicted = {}
    for item in items:
        parts = urlsplit(item["final_url"])
        predicted[(names[parts.port], parts.path)] = item["story_id"]
    assert set(predicted) == set(truth)
    precision, recall = pairwise_precision_recall(predicted, truth)
    print(
        f"\nstory grouping ({backend}) over {len(truth)} copies of {len(set(truth.values()))} "
        f"stories: precision {precision:.3f} recall {recall:.3f}"
    )
    assert precision >= 0.95
    assert recall >= 0.95
    # every copy points at a capture of its own story, archived earlier
    first_of = {i["story_id"]: i for i in items if i["duplicate_of"] is None}
    copies = [i for i in items if i["duplicate_of"] is not None]
    assert len(copies) >= 20
    for item in copies:
        first = first_of[item["story_id"]]
        assert item["duplicate_of"]["capture"] == first["capture"]


# --- URL variants and user errors ----------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_tracking_and_fragment_variants_are_fetched_once(tmp_path, backend):
    """Scrapy's dupefilter and scrapy-redis's (which ignores REQUEST_FINGERPRINTER_CLASS unless
    replaced) both see one request for the variants of a link."""
    story = "/news/council-approves-harbour-budget/"
    links = [
        story,
        story + "?utm_source=rss&utm_medium=feed",
        story + "#comments",
        story + "?fbclid=x",
    ]
    section = "".join(f'<a href="{href}">link</a>' for href in links)
    paragraphs = "".join(
        f"<p>The harbour council approved its budget for year {n} after a long debate about the "
        "ferry terminal, the dredging contract and the wages of the pilots who bring ships in.</p>"
        for n in range(1, 4)
    )
    article = f"<html><body><article><h1>Budget approved</h1>{paragraphs}</article></body></html>"
    with backend_settings(backend) as options, LocalSite({"/": section, story: article}) as site:
        (tmp_path / "sites").mkdir()
        (tmp_path / "sites" / "variants.toml").write_text(
            f'name = "variants"\nstart_urls = ["{site.url("/")}"]\narticle_patterns = ["/news/"]\n'
        )
        result = crawl(tmp_path, "variants", options)
        hits = site.hits(story)
    assert len(hits) == 1, [h.path for h in hits]
    assert len(result["items"]) == 1
    if backend == "redis":
        assert result["manifest"]["stats"]["scheduler/enqueued/redis"] >= 2


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ("DEDUPE_MODE=keep", "DEDUPE_MODE='keep': expected one of flag, drop"),
        ("DEDUPE_NEAR_THRESHOLD=1.5", "DEDUPE_NEAR_THRESHOLD='1.5'"),
        ("DEDUPE_NUM_PERM=many", "DEDUPE_NUM_PERM='many'"),
        ("ARTICLE_RECRAWL_AFTER=soon", "ARTICLE_RECRAWL_AFTER='soon'"),
        ("REDIS_URL=redis://127.0.0.1:1/0", "REDIS_URL=redis://127.0.0.1:1/0: cannot use Redis"),
    ],
)
def test_bad_dedupe_setting_is_one_clear_line(tmp_path, setting, named):
    result = run_cli(
        "crawl", "http://127.0.0.1:9/news/", "--archive", str(tmp_path / "a"), "-s", setting,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0], result.stderr
    assert "Traceback" not in result.stderr
