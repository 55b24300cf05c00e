"""What a user gets wrong and what goes wrong mid-crawl: clear errors, nothing lost or left open."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from crawler.sites import SiteError, load_site
from tests.helpers import (
    REPO,
    read_jsonl_gz,
    records,
    run_cli,
    run_scrapy_crawl,
    warc_files,
    write_demo_site_file,
)
from tests.local_site import LocalSite, Page


def _one_clear_line(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_unknown_site_is_one_clear_line(tmp_path):
    (tmp_path / "sites").mkdir()
    result = run_cli("crawl", "nosuchsite", "--archive", str(tmp_path / "a"), cwd=tmp_path)
    line = _one_clear_line(result)
    assert "unknown site 'nosuchsite'" in line


def test_malformed_toml_names_the_file(tmp_path):
    (tmp_path / "sites").mkdir()
    (tmp_path / "sites" / "broken.toml").write_text('name = "broken"\nstart_urls = ["http://x/"\n')
    result = run_cli("crawl", "broken", "--archive", str(tmp_path / "a"), cwd=tmp_path)
    line = _one_clear_line(result)
    assert "broken.toml" in line and "TOML" in line


def test_invalid_field_names_file_and_field(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('name = "bad"\nstart_urls = ["ftp://x/"]\narticle_patterns = ["/a/"]\n')
    with pytest.raises(SiteError, match=r"bad\.toml: field 'start_urls'"):
        load_site(str(path))
    path.write_text('name = "bad"\nstart_urls = ["http://x/"]\narticle_patterns = ["(unclosed"]\n')
    with pytest.raises(SiteError, match=r"field 'article_patterns': bad regular expression"):
        load_site(str(path))


def test_unwritable_archive_is_one_clear_line(tmp_path, demo_site):
    write_demo_site_file(tmp_path / "sites", demo_site.base_url)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = run_cli("crawl", "demo", "--archive", str(blocker / "archive"), cwd=tmp_path)
    line = _one_clear_line(result)
    assert "ARCHIVE_URI" in line and "cannot write" in line


@pytest.mark.parametrize(
    "setting",
    ["ARCHIVE_WARC_MAX_SIZE=big", "ARCHIVE_WARC_GZIP_LEVEL=12", "ARCHIVE_WARC_GZIP_LEVEL=0"],
)
def test_bad_setting_is_named(tmp_path, demo_site, setting):
    write_demo_site_file(tmp_path / "sites", demo_site.base_url)
    result = run_cli("crawl", "demo", "--archive", str(tmp_path / "a"), "-s", setting, cwd=tmp_path)
    assert setting.split("=")[0] in _one_clear_line(result)


def test_sites_command_lists_site_files(tmp_path, demo_site):
    write_demo_site_file(tmp_path / "sites", demo_site.base_url)
    result = run_cli("sites", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("demo ") and demo_site.base_url in result.stdout


def test_rotation_and_truncation(tmp_path, demo_site):
    """Small WARCs rotate with every file closed and valid; over-size bodies are cut and marked."""
    write_demo_site_file(tmp_path / "sites", demo_site.base_url)
    result = run_cli(
        "crawl",
        "demo",
        "--archive",
        str(tmp_path / "archive"),
        "-s",
        "ARCHIVE_WARC_MAX_SIZE=30000",
        "-s",
        "DOWNLOAD_MAXSIZE=6000",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    files = warc_files(tmp_path / "archive")
    assert len(files) >= 3
    serials = [int(f.name.split("-")[2]) for f in files]
    assert serials == list(range(1, len(files) + 1))
    truncated = []
    for path in files:
        recs = records(path)
        assert recs[0].rec_type == "warcinfo"
        for r in recs:
            if r.rec_headers.get_header("WARC-Truncated"):
                truncated.append(r)
    assert truncated, "no body over DOWNLOAD_MAXSIZE was archived truncated"
    for r in truncated:
        assert r.rec_headers.get_header("WARC-Truncated") == "length"
        assert len(r.body) == 6000


def test_sigint_leaves_only_closed_valid_warcs(tmp_path, demo_site):
    write_demo_site_file(tmp_path / "sites", demo_site.base_url)
    archive = tmp_path / "archive"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crawler.cli",
            "crawl",
            "demo",
            "--archive",
            str(archive),
            "-s",
            "DOWNLOAD_DELAY=0.3",
            "-s",
            "AUTOTHROTTLE_ENABLED=False",
            "-s",
            "CONCURRENT_REQUESTS_PER_DOMAIN=1",
            "-s",
            "PROGRESS_INTERVAL=0.5",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(archive.glob("warc/*/*.open"))) == 0:
        time.sleep(0.1)
    time.sleep(1.5)  # let it write a few exchanges
    assert proc.poll() is None, "the crawl ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr[-2000:]  # interrupted, and said so
    assert not list(archive.rglob("*.open")), "SIGINT left a WARC open"
    events = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    progress = [e for e in events if e["event"] == "crawl.progress"]
    assert progress and {"pages", "items", "archive_bytes", "pages_per_s"} <= set(progress[-1])
    assert "ended (shutdown)" in stdout, stdout
    files = warc_files(archive)
    assert files
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    responses = [r for f in files for r in records(f) if r.rec_type == "response"]
    assert responses, "nothing fetched before SIGINT was kept"
    assert (archive / "manifests").is_dir()


def test_broken_pages_are_archived_and_the_crawl_goes_on(tmp_path, demo_site):
    from crawler.demo_site import demo_manifest

    write_demo_site_file(tmp_path / "sites", demo_site.base_url)
    result = run_cli("crawl", "demo", "--archive", str(tmp_path / "archive"), cwd=tmp_path)
    assert result.returncode == 0
    manifest = demo_manifest(demo_site.base_url)
    quirky = [
        u
        for u, info in manifest["urls"].items()
        if info.get("special") in ("legacy", "broken-charset", "malformed")
    ]
    assert quirky, "the demo site has no broken pages to test with"
    archived = {
        r.rec_headers.get_header("WARC-Target-URI")
        for f in warc_files(tmp_path / "archive")
        for r in records(f)
        if r.rec_type == "response"
    }
    assert len(quirky) == 3 and set(quirky) <= archived
    assert '"level": "error"' not in result.stderr
    from tests.helpers import read_jsonl_gz

    exported = {
        i["final_url"]
        for p in (tmp_path / "archive").glob("articles/*/*.jsonl.gz")
        for i in read_jsonl_gz(p)
    }
    assert set(quirky) <= exported, "a broken page stopped its article from being exported"


def test_adhoc_crawl_from_one_section_finds_the_articles_from_the_pages(tmp_path, demo_site):
    """No article patterns: sitemaps from robots.txt, feeds, links; each page says what it is."""
    from crawler.demo_site import demo_manifest

    result = run_cli(
        "crawl", demo_site.base_url + "world/", "--archive", str(tmp_path / "archive"), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr[-2000:]
    articles = {
        u for u, i in demo_manifest(demo_site.base_url)["urls"].items() if i["kind"] == "article"
    }
    from tests.helpers import read_jsonl_gz

    items = [
        i for p in (tmp_path / "archive").glob("articles/*/*.jsonl.gz") for i in read_jsonl_gz(p)
    ]
    found = {i["final_url"] for i in items}
    assert len(found & articles) >= 0.98 * len(articles)
    assert found <= articles, f"non-articles exported: {found - articles}"


def test_resumed_crawl_keeps_its_crawl_id_and_finishes(tmp_path, demo_site):
    write_demo_site_file(tmp_path / "sites", demo_site.base_url)
    archive = tmp_path / "archive"
    jobdir = tmp_path / "job"
    first = run_cli(
        "crawl",
        "demo",
        "--archive",
        str(archive),
        "--job-dir",
        str(jobdir),
        "-s",
        "CLOSESPIDER_PAGECOUNT=8",
        cwd=tmp_path,
    )
    assert first.returncode in (0, 1), first.stderr[-2000:]
    second = run_cli(
        "crawl", "demo", "--archive", str(archive), "--job-dir", str(jobdir), cwd=tmp_path
    )
    assert second.returncode == 0, second.stderr[-2000:]
    crawl_dirs = list(archive.glob("warc/*"))
    assert len(crawl_dirs) == 1, "a resumed crawl must continue the same crawl id"
    import json

    manifest = json.loads(next(archive.glob("manifests/*.json")).read_text())
    assert {f["name"] for f in manifest["files"]} == {p.name for p in warc_files(archive)}
    assert len(manifest["files"]) >= 2


def test_bad_setting_is_the_same_line_under_scrapy_crawl(tmp_path, demo_site):
    """`scrapy crawl` (and so scrapyd) checks every component's settings like the CLI does."""
    write_demo_site_file(tmp_path / "sites", demo_site.base_url)
    setting = ["-s", "ARCHIVE_WARC_MAX_SIZE=big", "-s", f"ARCHIVE_URI={tmp_path / 'a'}"]
    cli_line = _one_clear_line(run_cli("crawl", "demo", *setting, cwd=tmp_path))
    scrapy = run_scrapy_crawl("-a", "site=demo", *setting, cwd=tmp_path)
    assert scrapy.returncode == 2, scrapy.stderr[-2000:]
    assert "Traceback" not in scrapy.stderr
    errors = [json.loads(line) for line in scrapy.stderr.splitlines() if '"level": "error"' in line]
    assert [e["event"] for e in errors] == ["crawl.config_error"]
    assert cli_line == f"newsarchive: error: {errors[0]['error']}"
    assert not (tmp_path / "a").exists()


def test_adhoc_crawl_reads_sitemaps_from_the_one_robots_txt_it_fetches(tmp_path):
    """Discovery takes the sitemaps robots.txt names from the fetch the robots middleware makes:
    robots.txt is asked for once, and an article only a sitemap at an unusual path lists is
    found."""
    body = "<p>" + "The harbour board met again on Tuesday to weigh the ferry budget. " * 12
    article = (
        '<html><head><title>Ferry budget</title><meta property="og:type" content="article">'
        '<meta property="article:published_time" content="2025-04-16T08:00:00Z"></head>'
        f"<body><article><h1>Ferry budget</h1>{body}</p></article></body></html>"
    )
    with LocalSite({}) as site:
        site.pages.update(
            {
                "/": Page('<html><body><a href="/about/">About</a></body></html>'),
                "/about/": Page("<html><body><p>About us.</p></body></html>"),
                "/robots.txt": Page(
                    f"User-agent: *\nDisallow:\nSitemap: {site.url('/maps/all-stories.xml')}\n",
                    content_type="text/plain",
                ),
                "/maps/all-stories.xml": Page(
                    '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                    f"<url><loc>{site.url('/2025/04/16/ferry-budget')}</loc></url></urlset>",
                    content_type="application/xml",
                ),
                "/2025/04/16/ferry-budget": Page(article),
            }
        )
        result = run_cli(
            "crawl", site.url("/"), "--archive", str(tmp_path / "archive"), cwd=tmp_path
        )
        robots_hits = len(site.hits("/robots.txt"))
        sitemap_hits = len(site.hits("/maps/all-stories.xml"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert robots_hits == 1
    assert sitemap_hits == 1
    exported = {
        i["final_url"]
        for p in (tmp_path / "archive").glob("articles/*/*.jsonl.gz")
        for i in read_jsonl_gz(p)
    }
    assert site.url("/2025/04/16/ferry-budget") in exported
