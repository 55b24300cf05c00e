"""End to end: crawl the demo site with the real CLI and read the archive back independently."""

from __future__ import annotations

import json
import re
import urllib.request
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.archive.stores import open_store
from tests.helpers import (
    REPO,
    gzip_members,
    read_jsonl_gz,
    records,
    run_cli,
    warc_files,
    write_demo_site_file,
)

NAME_RE = re.compile(r"^newsarchive-\d{17}-\d{5}-[A-Za-z0-9_.-]+-\d+\.warc\.gz$")


@pytest.fixture(scope="module")
def crawl(demo_site, tmp_path_factory):
    """One crawl of the demo site through ``newsarchive crawl demo``."""
    work = tmp_path_factory.mktemp("crawl")
    write_demo_site_file(work / "sites", demo_site.base_url)
    result = run_cli("crawl", "demo", "--archive", str(work / "archive"), cwd=work)
    assert result.returncode == 0, result.stderr[-3000:]
    archive = work / "archive"
    all_records = [r for path in warc_files(archive) for r in records(path)]
    return {"work": work, "archive": archive, "result": result, "records": all_records}


def _responses(crawl):
    return [r for r in crawl["records"] if r.rec_type == "response"]


def test_archive_passes_warcio_check(crawl):
    import subprocess
    import sys
    from pathlib import Path

    files = warc_files(crawl["archive"])
    assert files, "the crawl wrote no WARC file"
    warcio = Path(sys.executable).parent / "warcio"
    check = subprocess.run(
        [warcio, "check", *map(str, files)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert not list(crawl["archive"].rglob("*.open")), "a WARC was left open"
    assert all(NAME_RE.match(f.name) for f in files), [f.name for f in files]


def test_each_gzip_member_holds_exactly_one_record(crawl):
    for path in warc_files(crawl["archive"]):
        members = gzip_members(path)
        assert (
            members[0].startswith(b"WARC/1.1\r\nWARC-Type: warcinfo")
            or b"WARC-Type: warcinfo" in members[0]
        )
        for member in members:
            assert member.count(b"WARC/1.1\r\n") >= 1
            parsed = list(ArchiveIterator(__import__("io").BytesIO(member)))
            assert len(parsed) == 1


def test_every_file_opens_with_warcinfo_naming_software_and_policy(crawl):
    for path in warc_files(crawl["archive"]):
        first = records(path)[0]
        assert first.rec_type == "warcinfo"
        info = first.body.decode()
        for field in (
            "software: newsarchive/",
            "hostname: ",
            "isPartOf: demo-",
            "robots: obey",
            "http-header-user-agent: newsarchive/",
        ):
            assert field in info, info


def test_every_response_has_its_request(crawl):
    requests = {
        r.rec_headers.get_header("WARC-Record-ID"): r
        for r in crawl["records"]
        if r.rec_type == "request"
    }
    responses = _responses(crawl)
    assert len(responses) >= 30
    for response in responses:
        concurrent = response.rec_headers.get_header("WARC-Concurrent-To")
        assert concurrent in requests, response.rec_headers.get_header("WARC-Target-URI")
        request = requests[concurrent]
        assert request.rec_headers.get_header("WARC-Target-URI") == response.rec_headers.get_header(
            "WARC-Target-URI"
        )
        assert response.rec_headers.get_header("WARC-Payload-Digest")
        assert response.rec_headers.get_header("WARC-Block-Digest")
        assert response.rec_headers.get_header("WARC-IP-Address") == "127.0.0.1"


def test_crawl_records_every_kind_of_exchange_and_obeys_robots(crawl, demo_site):
    from crawler.demo_site import demo_manifest

    manifest = demo_manifest(demo_site.base_url)
    fetched = {r.rec_headers.get_header("WARC-Target-URI"): r for r in _responses(crawl)}
    statuses = {url: int(r.http_headers.get_statuscode()) for url, r in fetched.items()}
    paths = {urlsplit(u).path for u in fetched}
    assert "/robots.txt" in paths
    assert 404 in statuses.values()
    assert any(s in (301, 302) for s in statuses.values())
    kinds = {}
    for url, info in manifest["urls"].items() if isinstance(manifest.get("urls"), dict) else []:
        kinds.setdefault(info["kind"], []).append(url)
    for kind in ("feed", "sitemap", "section", "redirect", "404"):
        assert any(u in fetched for u in kinds.get(kind, [])), f"no {kind} archived"
    assert not any(u in fetched for u in kinds.get("private", [])), "robots.txt Disallow ignored"
    articles = kinds["article"]
    assert len(articles) >= 20
    missing = [u for u in articles if u not in fetched]
    assert not missing, f"articles not archived: {missing}"


def test_bodies_are_stored_as_sent_and_self_consistent(crawl):
    encoded = 0
    for r in _responses(crawl):
        headers = r.http_headers
        assert headers.get_header("Transfer-Encoding") is None, (
            "chunked framing over a de-chunked body"
        )
        length = headers.get_header("Content-Length")
        if length is not None and not r.rec_headers.get_header("WARC-Truncated"):
            assert int(length) == len(r.body), r.rec_headers.get_header("WARC-Target-URI")
        if (headers.get_header("Content-Encoding") or "").lower() == "gzip":
            assert r.body[:2] == b"\x1f\x8b", "a gzip-encoded body was stored decoded"
            encoded += 1
    assert encoded > 0, "the demo site sends gzip: some response must keep its Content-Encoding"


def test_pywb_replays_every_html_page_byte_identical(crawl, demo_site, pywb):
    from crawler.demo_site import expected_body

    base = pywb(warc_files(crawl["archive"]))
    html_pages = [
        r
        for r in _responses(crawl)
        if r.http_headers.get_statuscode() == "200"
        and "text/html" in (r.http_headers.get_header("Content-Type") or "")
    ]
    assert len(html_pages) >= 25
    for r in html_pages:
        url = r.rec_headers.get_header("WARC-Target-URI")
        stamp = re.sub(r"\D", "", r.rec_headers.get_header("WARC-Date"))[:14]
        with urllib.request.urlopen(f"{base}/{stamp}id_/{url}", timeout=30) as resp:
            replayed = resp.read()
            if resp.headers.get("Content-Encoding") == "gzip":
                import gzip

                replayed = gzip.decompress(replayed)
        assert replayed == expected_body(url), f"replay of {url} differs from what the site sent"


def test_every_cdxj_line_reads_back_exactly_its_record(crawl):
    archive = crawl["archive"]
    store = open_store(str(archive))
    lines = [
        line
        for path in sorted(archive.glob("cdxj/*/*.cdxj"))
        for line in path.read_text().splitlines()
    ]
    assert len(lines) >= 30
    assert lines == sorted(lines) or all(
        sorted(p.read_text().splitlines()) == p.read_text().splitlines()
        for p in archive.glob("cdxj/*/*.cdxj")
    )
    crawl_dir = next(archive.glob("warc/*")).name
    for line in lines:
        _urlkey, _stamp, data = line.split(" ", 2)
        fields = json.loads(data)
        blob = store.read_range(
            f"warc/{crawl_dir}/{fields['filename']}", int(fields["offset"]), int(fields["length"])
        )
        got = list(ArchiveIterator(__import__("io").BytesIO(blob)))
        assert len(got) == 1
        record = got[0]
        assert record.rec_headers.get_header("WARC-Target-URI") == fields["url"]
        if "digest" in fields:
            assert record.rec_headers.get_header("WARC-Payload-Digest") == fields["digest"]


def test_cdxj_matches_an_independent_indexer(crawl):
    """cdxj-indexer (pywb's own) indexes our WARCs to the same keys, offsets and lengths."""
    import io

    from cdxj_indexer.main import CDXJIndexer

    archive = crawl["archive"]
    for warc in warc_files(archive):
        out = io.StringIO()
        CDXJIndexer(output=out, inputs=[str(warc)]).process_all()
        theirs = {
            (
                line.split(" ", 2)[0],
                json.loads(line.split(" ", 2)[2])["offset"],
                json.loads(line.split(" ", 2)[2])["length"],
            )
            for line in out.getvalue().splitlines()
        }
        cdxj = archive / "cdxj" / warc.parent.name / (warc.name.removesuffix(".warc.gz") + ".cdxj")
        ours = {
            (
                line.split(" ", 2)[0],
                json.loads(line.split(" ", 2)[2])["offset"],
                json.loads(line.split(" ", 2)[2])["length"],
            )
            for line in cdxj.read_text().splitlines()
        }
        assert ours == theirs


def test_manifest_lists_every_file_with_its_sha256(crawl):
    import hashlib

    archive = crawl["archive"]
    manifest = json.loads(next(archive.glob("manifests/*.json")).read_text())
    assert manifest["finish_reason"] == "finished"
    names = {f["name"]: f for f in manifest["files"]}
    files = warc_files(archive)
    assert set(names) == {f.name for f in files}
    for path in files:
        entry = names[path.name]
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert entry["size"] == path.stat().st_size
        assert entry["records"]["response"] >= 1
    assert manifest["stats"]["response_received_count"] >= 30


def test_one_item_per_article_page_with_its_capture(crawl, demo_site):
    from crawler.demo_site import demo_manifest

    archive = crawl["archive"]
    items = [i for p in archive.glob("articles/*/*.jsonl.gz") for i in read_jsonl_gz(p)]
    articles = {
        u
        for u, info in demo_manifest(demo_site.base_url)["urls"].items()
        if info["kind"] == "article"
    }
    exported = {i["final_url"] for i in items}
    assert articles <= exported, articles - exported
    assert len(items) == len(exported), "an article was exported twice"
    by_id = {r.rec_headers.get_header("WARC-Record-ID"): r for r in crawl["records"]}
    metadata = [r for r in crawl["records"] if r.rec_type == "metadata"]
    assert len(metadata) == len(items)
    for item in items:
        response = by_id[item["capture"]["record_id"]]
        assert response.rec_headers.get_header("WARC-Target-URI") == item["final_url"]
    for record in metadata:
        response = by_id[record.rec_headers.get_header("WARC-Refers-To")]
        target = response.rec_headers.get_header("WARC-Target-URI")
        assert record.rec_headers.get_header("WARC-Target-URI") == "urn:article:" + target
        assert record.rec_headers.get_header("WARC-Refers-To-Target-URI") == target
        assert record.rec_headers.get_header("Content-Type") == "application/json"


def test_logs_are_json_lines_including_scrapys_and_a_summary(crawl):
    result = crawl["result"]
    events = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert any(e.get("logger", "").startswith("scrapy.") for e in events)
    assert any(e["event"] == "crawl.summary" for e in events)
    assert not [e for e in events if e["level"] == "debug"], (
        "LOG_LEVEL=INFO must hold for Scrapy too"
    )
    assert "Crawl demo-" in result.stdout and "archive:" in result.stdout
    assert "articles" in result.stdout


def test_content_farm_article_comes_out_clean_from_a_crawl(crawl):
    """Issue 4's bar, through the real crawl: the demo site serves the content-farm fixture beside
    sibling pages of the same template, and the exported article is exactly the expected one."""
    expected = json.loads((REPO / "tests/fixtures/content-farm-article.expected.json").read_text())
    path = urlsplit(expected["url"]).path
    items = [i for p in crawl["archive"].glob("articles/*/*.jsonl.gz") for i in read_jsonl_gz(p)]
    (article,) = [i for i in items if urlsplit(i["final_url"]).path == path]
    assert article["title"] == expected["title"]
    assert article["published"] == expected["published"]
    assert article["tags"] == expected["tags"]
    assert article["body"].split("\n\n") == expected["body_paragraphs"]
    for line in expected["boilerplate_lines"]:
        assert line not in article["body"]
    assert article["word_count"] > 300 and article["extractor_version"]


def test_non_article_pages_are_not_exported(crawl, demo_site):
    from crawler.demo_site import demo_manifest

    articles = {
        u for u, i in demo_manifest(demo_site.base_url)["urls"].items() if i["kind"] == "article"
    }
    items = [i for p in crawl["archive"].glob("articles/*/*.jsonl.gz") for i in read_jsonl_gz(p)]
    assert {i["final_url"] for i in items} == articles
    for item in items:
        assert item["title"] and item["body"] and item["published"]
