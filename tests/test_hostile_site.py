"""Hostile answers a crawl meets on the open web, served by real local sites: bounded, archived,
counted.

One ad hoc crawl (``newsarchive crawl URL URL URL``, in its own process) of three sites:

- the news site (127.0.0.1): three good articles beside every trap — an endless calendar, an
  endless pagination, a 20 MB page, a gzip bomb and a deflate bomb (1 GiB each once decoded),
  duplicate and malformed headers, invalid UTF-8 and NUL bytes in headers and body, a link
  10,000 characters long, a redirect loop and an endless redirect chain, a body that stalls,
  a robots.txt naming a sitemap bomb (a .gz sitemap of 2 GiB) and a sitemap index that names
  itself and an endless chain of indexes, a feed with external entities;
- a busy site (``localhost``, so another host and download slot): its article first answers
  ``429`` with ``Retry-After``, a page ``503`` with ``Retry-After``, another asks for a day;
- a private site: its robots.txt disallows everything.

A calm crawl of the three articles alone gives the memory baseline. The crawl must end
normally, export the articles, write an archive ``warcio check`` accepts, keep the bytes the
servers sent, and count every condition in its closing stats (the manifest) and summary.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import REPO, read_jsonl_gz, records, warc_files
from tests.local_site import LocalSite, Page, Raw

GIB = 1 << 30
MB = 1_000_000
MAXSIZE = 8 * 1024 * 1024  # DOWNLOAD_MAXSIZE of the crawl: the 20 MB page is cut here
TIMEOUT = 3  # DOWNLOAD_TIMEOUT: the stalled body waits longer than this
RETRY_AFTER = 2  # what the busy site asks for, in seconds
RETRY_AFTER_MAX = 3  # the crawl's cap; the site that asks for a day gets this
LONG_PATH = "/long/" + "x" * 10_000
SECRET = "SECRET-FROM-A-LOCAL-FILE"

_ARTICLE = """<html><head><title>{title}</title></head><body><nav><a href="/news/">News</a></nav>
<article><h1>{title}</h1><p>By Ann Lee | May 1, 2024</p>
<p>{text}</p><p>{text}</p><p>{text}</p></article></body></html>"""
_STORIES = (
    (
        "The council met on Tuesday to weigh the budget for the coming year, and members argued "
        "over the cost of repairs to the old bridge that carries most of the town's traffic."
    ),
    (
        "Farmers in the valley say the late frost cost them half of the cherry harvest, and the "
        "cooperative has asked the regional government for help before the autumn markets open."
    ),
    (
        "The museum reopened its east wing after two years of work on the roof, with a show of "
        "maps drawn by sailors who charted the coast long before the first lighthouse was built."
    ),
)
_BAD_BYTES_STORY = (
    "The ferry company has cancelled the winter timetable after its oldest boat failed an "
    "inspection, and islanders fear the br\x00idge of boats to the mainland will not hold."
)
STORY = [f"/2024/05/0{n}/story-number-{n}.html" for n in range(1, 4)]
BAD_BYTES = "/2024/05/04/a-story-with-bad-bytes.html"


# --- bombs: built from one compressed block repeated, so a GiB costs a fraction of a second --------


def gzip_bomb(expanded: int = GIB, head: bytes = b"", filler: int = 0) -> bytes:
    """A valid gzip body (one member per 64 MiB, RFC 1952 allows many) of ``head`` and then
    ``expanded`` bytes of ``filler``: about a thousandth of that on the wire."""
    block = bytes([filler]) * (64 << 20)
    member = gzip.compress(block, 9)
    return (gzip.compress(head) if head else b"") + member * (expanded // len(block))


def deflate_bomb(expanded: int = GIB) -> bytes:
    """A valid zlib stream (``Content-Encoding: deflate``) of ``expanded`` zero bytes."""
    block = bytes(64 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, 15)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    # after a full flush the compressor forgets everything: each next block compresses the same
    repeat = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.flush()[:-4]  # the last block; the checksum must cover every block
    checksum = 1
    for _ in range(expanded // len(block)):
        checksum = zlib.adler32(block, checksum)
    count = expanded // len(block)
    return first + repeat * (count - 1) + end + checksum.to_bytes(4, "big")


# --- the sites -----------------------------------------------------------------------------------


def _article(n: int) -> str:
    return _ARTICLE.format(title=f"Story {n}", text=_STORIES[n - 1])


def _raw(status: str, headers: list[bytes], body: bytes, *tail: bytes | float) -> Raw:
    head = b"HTTP/1.1 " + status.encode() + b"\r\n" + b"".join(h + b"\r\n" for h in headers)
    return Raw([head + b"\r\n" + body, *tail], status=int(status.split(maxsplit=1)[0]))


def _calendar(path: str) -> str:
    """/calendar/YYYY/MM/: the month before and after, for ever."""
    year, month = (int(p) for p in path.strip("/").split("/")[1:3])
    index = year * 12 + month - 1
    links = "".join(
        f'<a href="/calendar/{i // 12}/{i % 12 + 1:02d}/">{i // 12}-{i % 12 + 1:02d}</a> '
        for i in (index - 1, index + 1)
    )
    return f"<html><body><h1>Events {year}-{month:02d}</h1>{links}</body></html>"


def _archive_page(path: str) -> str:
    """/archive/page/N/: numbered links and "Next", for ever."""
    n = int(path.strip("/").split("/")[-1]) if "/page/" in path else 1
    numbers = "".join(f'<a href="/archive/page/{i}/">{i}</a> ' for i in range(1, n + 3))
    return (
        f"<html><body><h1>Archive, page {n}</h1><p>{numbers}</p>"
        f'<a href="/archive/page/{n + 1}/">Next</a></body></html>'
    )


def _redirect_chain(path: str) -> Page:
    """/redirect/N -> /redirect/N+1, for ever: only REDIRECT_MAX_TIMES ends it."""
    n = int(path.rsplit("/", 1)[-1])
    return Page("", status=302, headers={"Location": f"/redirect/{n + 1}"})


def _sitemap_index(path: str) -> Page:
    """/sitemaps/index-N.xml names itself and /sitemaps/index-N+1.xml, for ever."""
    n = int(path.rsplit("-", 1)[-1].removesuffix(".xml"))
    locs = "".join(f"<sitemap><loc>/sitemaps/index-{i}.xml</loc></sitemap>" for i in (n, n + 1))
    body = f'<?xml version="1.0"?><sitemapindex xmlns="{_SM}">{locs}</sitemapindex>'
    return Page(body, content_type="application/xml")


_SM = "http://www.sitemaps.org/schemas/sitemap/0.9"


def _news_site(bombs: dict[str, bytes], secret_file: Path) -> tuple[dict, dict]:
    body_bytes = (
        _ARTICLE.format(title="Story with bad bytes", text=_BAD_BYTES_STORY)
        .encode()
        .replace(b"Ann Lee", b"Ann \xff\xfe Lee")  # not UTF-8 though the page says it is
    )
    header_bytes = [b"Content-Type: text/html; charset=utf-8", b"X-Note: caf\xe9 \xff\x00 end"]
    small = b"<html><body><p>a page with duplicate headers</p></body></html>"
    folded = b"<html><body><p>a page with malformed headers</p></body></html>"
    links = [
        STORY[0],
        STORY[2],
        BAD_BYTES,
        "/big.html",
        "/bomb/gzip.html",
        "/bomb/deflate.html",
        "/bomb/undeclared.html",
        "/headers/duplicate.html",
        "/headers/malformed.html",
        LONG_PATH,
        "/loop/a",
        "/redirect/0",
        "/stall.html",
        "/calendar/2024/05/",
        "/archive/",
    ]
    anchors = "".join(f'<li><a href="{link}">{link[:60]}</a></li>' for link in links)
    feed = f"""<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY secret SYSTEM "file://{secret_file}">
  <!ENTITY remote SYSTEM "/xxe/remote.txt">
  <!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<rss version="2.0"><channel><title>News &lol3;</title>
<item><title>&secret;&remote;</title><link>{STORY[0]}</link></item>
<item><title>Story 3</title><link>{STORY[2]}</link></item>
</channel></rss>"""
    pages: dict = {
        "/news/": (
            '<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml">'
            f"</head><body><ul>{anchors}</ul></body></html>"
        ),
        STORY[0]: _article(1),
        STORY[2]: _article(3),
        BAD_BYTES: _raw(
            "200 OK", [*header_bytes, f"Content-Length: {len(body_bytes)}".encode()], body_bytes
        ),
        "/big.html": Page(b"<html><body>" + b"<p>filler</p>\n" * (20 * MB // 14)),
        "/bomb/gzip.html": Page(bombs["gzip"], headers={"Content-Encoding": "gzip"}),
        "/bomb/deflate.html": Page(bombs["deflate"], headers={"Content-Encoding": "deflate"}),
        # gzip bytes served as HTML with no Content-Encoding: nothing in HTTP says to decode them
        "/bomb/undeclared.html": Page(bombs["undeclared"]),
        "/headers/duplicate.html": _raw(
            "200 OK",
            [
                b"Content-Type: text/html; charset=utf-8",
                b"Set-Cookie: first=1",
                b"Set-Cookie: second=2",
                b"X-Duplicate: one",
                b"X-Duplicate: two",
                f"Content-Length: {len(small)}".encode(),
            ],
            small,
        ),
        "/headers/malformed.html": _raw(
            "200 OK",
            [
                b"Content-Type: text/html",
                b"This line is no header at all",
                b"X-Folded: first part",
                b"  folded onto the next line",
                b"X-Long: " + b"v" * 8000,
                f"Content-Length: {len(folded)}".encode(),
            ],
            folded,
        ),
        "/loop/a": Page("", status=302, headers={"Location": "/loop/b"}),
        "/loop/b": Page("", status=302, headers={"Location": "/loop/a"}),
        # 100,000 bytes announced, 1,000 sent, then silence longer than DOWNLOAD_TIMEOUT
        "/stall.html": _raw(
            "200 OK",
            [b"Content-Type: text/html", b"Content-Length: 100000"],
            b"<html><body>" + b"x" * 988,
            60.0,
        ),
        "/archive/": _archive_page("/archive/"),
        "/feed.xml": Page(feed, content_type="application/rss+xml"),
        "/xxe/remote.txt": Page(SECRET, content_type="text/plain"),
        "/sitemaps/bomb.xml.gz": Page(bombs["sitemap"], content_type="application/x-gzip"),
    }
    routes = {
        "/calendar/": _calendar,
        "/archive/page/": _archive_page,
        "/redirect/": _redirect_chain,
        "/sitemaps/index-": _sitemap_index,
    }
    return pages, routes


def _busy_site() -> tuple[dict, dict]:
    """Story 2 behind a 429 (then 200), a page behind a 503 (then 200), one asking for a day."""
    answered: set[str] = set()

    def first_busy(status: int, page: str):
        def answer(path: str):
            if path in answered:
                return page
            answered.add(path)
            return Page("busy", status=status, headers={"Retry-After": str(RETRY_AFTER)})

        return answer

    links = "".join(
        f'<a href="{p}">{p}</a> ' for p in (STORY[1], "/busy/503.html", "/busy/day.html")
    )
    pages = {
        "/news/": f"<html><body>{links}</body></html>",
        "/busy/day.html": Page("come back tomorrow", status=429, headers={"Retry-After": "86400"}),
    }
    routes = {
        STORY[1]: first_busy(429, _article(2)),
        "/busy/503.html": first_busy(503, "<html><body><p>back again</p></body></html>"),
    }
    return pages, routes


# --- the crawls ----------------------------------------------------------------------------------


@dataclass
class Crawl:
    archive: Path
    stats: dict
    summary: dict
    stdout: str
    articles: list[dict]
    peak_rss: int
    news: LocalSite | None = None
    busy: LocalSite | None = None
    private: LocalSite | None = None
    bombs: dict[str, bytes] | None = None

    def responses(self) -> dict[str, list]:
        """WARC response records by target URI, in archive order."""
        out: dict[str, list] = {}
        for path in warc_files(self.archive):
            for record in records(path):
                if record.rec_type == "response":
                    out.setdefault(record.rec_headers.get_header("WARC-Target-URI"), []).append(
                        record
                    )
        return out


def _crawl(urls: list[str], work: Path, *settings: str) -> Crawl:
    """``newsarchive crawl URLS`` in its own process, its peak RSS measured."""
    work.mkdir()
    rss_file = work / "peak-rss"
    wrapper = (
        "import resource, sys\n"
        "from crawler import cli\n"
        "status = cli.main(sys.argv[1:])\n"
        f"open({str(rss_file)!r}, 'w').write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))\n"
        "sys.exit(status)\n"
    )
    args = ["crawl", *urls, "--archive", str(work / "archive")]
    for setting in ("AUTOTHROTTLE_START_DELAY=0.1", "PROGRESS_INTERVAL=600", *settings):
        args += ["-s", setting]
    proc = subprocess.run(
        [sys.executable, "-c", wrapper, *args],
        cwd=work,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    archive = work / "archive"
    events = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    (summary,) = [e for e in events if e.get("event") == "crawl.summary"]
    manifest = json.loads(next(archive.glob("manifests/*.json")).read_text())
    articles = [a for p in archive.glob("articles/*/*.jsonl.gz") for a in read_jsonl_gz(p)]
    return Crawl(
        archive=archive,
        stats=manifest["stats"],
        summary=summary,
        stdout=proc.stdout,
        articles=articles,
        peak_rss=int(rss_file.read_text()) * 1024,  # ru_maxrss is in KiB on Linux
    )


@pytest.fixture(scope="module")
def calm(tmp_path_factory) -> Crawl:
    pages = {STORY[n - 1]: _article(n) for n in (1, 2, 3)}
    pages["/news/"] = "".join(f'<a href="{link}">{link}</a>' for link in STORY)
    with LocalSite(pages) as site:
        return _crawl([site.url("/news/")], tmp_path_factory.mktemp("calm") / "crawl")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    work = tmp_path_factory.mktemp("hostile")
    secret_file = work / "secret.txt"
    secret_file.write_text(SECRET)
    bombs = {
        "gzip": gzip_bomb(GIB),
        "deflate": deflate_bomb(GIB),
        "undeclared": gzip_bomb(GIB, head=b"<html><body>"),
        "sitemap": gzip_bomb(
            2 * GIB, head=f'<?xml version="1.0"?><urlset xmlns="{_SM}">'.encode(), filler=0x20
        ),
    }
    news_pages, news_routes = _news_site(bombs, secret_file)
    busy_pages, busy_routes = _busy_site()
    with (
        LocalSite(news_pages, routes=news_routes) as news,
        LocalSite(busy_pages, routes=busy_routes, hostname="localhost") as busy,
        LocalSite({"/robots.txt": "User-agent: *\nDisallow: /\n", "/": "private"}) as private,
    ):
        news.pages["/robots.txt"] = Page(
            "User-agent: *\nAllow: /\n"
            f"Sitemap: {news.url('/sitemaps/bomb.xml.gz')}\n"
            f"Sitemap: {news.url('/sitemaps/index-0.xml')}\n",
            content_type="text/plain",
        )
        crawl = _crawl(
            [news.url("/news/"), busy.url("/news/"), private.url("/")],
            work / "crawl",
            f"DOWNLOAD_MAXSIZE={MAXSIZE}",
            f"DOWNLOAD_TIMEOUT={TIMEOUT}",
            "RETRY_TIMES=1",
            f"RETRY_AFTER_MAX={RETRY_AFTER_MAX}",
        )
        crawl.news, crawl.busy, crawl.private = news, busy, private
        crawl.bombs = bombs
        yield crawl


# --- the tests -----------------------------------------------------------------------------------


def test_crawl_finishes_and_exports_every_good_article(hostile):
    assert hostile.summary["reason"] == "finished"
    titles = sorted(a["title"] for a in hostile.articles)
    assert titles == ["Story 1", "Story 2", "Story 3", "Story with bad bytes"], titles


def test_archive_passes_warcio_check(hostile):
    warcio = Path(sys.executable).parent / "warcio"
    files = warc_files(hostile.archive)
    assert files
    check = subprocess.run(
        [warcio, "check", "-v", *map(str, files)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-3000:]


def test_bombs_are_bounded_in_memory_and_archived_raw(hostile, calm):
    # 1 GiB (gzip), 1 GiB (deflate) and 2 GiB (sitemap) once decoded: decoding stops at the limit
    assert hostile.peak_rss - calm.peak_rss < 100 * MB, (calm.peak_rss, hostile.peak_rss)
    responses = hostile.responses()
    for name, encoding in (("gzip", "gzip"), ("deflate", "deflate")):
        (record,) = responses[hostile.news.url(f"/bomb/{name}.html")]
        assert record.http_headers.get_header("Content-Encoding") == encoding
        assert record.body == hostile.bombs[name]  # as the server sent it, still compressed
    assert hostile.stats["httpcompression/max_size_exceeded"] == 2
    # gzip bytes sent as a page (no Content-Encoding): archived as sent, never expanded
    (undeclared,) = responses[hostile.news.url("/bomb/undeclared.html")]
    assert undeclared.body == hostile.bombs["undeclared"]
    assert hostile.stats["news/skipped/compressed_body"] == 1
    (sitemap,) = responses[hostile.news.url("/sitemaps/bomb.xml.gz")]
    assert sitemap.body == hostile.bombs["sitemap"]
    assert hostile.stats["news/sitemaps_too_large"] == 1


def test_big_page_is_cut_at_download_maxsize_and_marked_truncated(hostile):
    (record,) = hostile.responses()[hostile.news.url("/big.html")]
    assert record.rec_headers.get_header("WARC-Truncated") == "length"
    assert len(record.body) == MAXSIZE
    assert hostile.stats["archive/truncated"] == 1


def test_stalled_body_times_out_and_is_retried(hostile):
    timeouts = "downloader/exception_type_count/scrapy.exceptions.DownloadTimeoutError"
    assert hostile.stats[timeouts] == 2  # the first try and RETRY_TIMES=1 retry
    assert len(hostile.news.hits("/stall.html")) == 2
    assert hostile.summary["limits"]["timeouts"] == 2


def test_retry_after_pauses_only_that_host(hostile):
    busy = hostile.busy.requests
    asked = [r for r in busy if r.status in (429, 503)]
    assert {r.path for r in asked} >= {STORY[1], "/busy/503.html", "/busy/day.html"}
    for answer in asked:
        pause = RETRY_AFTER_MAX if answer.path == "/busy/day.html" else RETRY_AFTER
        # beyond requests already on the wire (0.3 s), the host sees nothing until the pause ends
        during = [r for r in busy if answer.time + 0.3 < r.time < answer.time + pause - 0.05]
        assert not during, (answer, during)
        again = [r for r in busy if r.path == answer.path and r.time > answer.time]
        if answer.path != "/busy/day.html" or again:  # the day's last 429 is not retried
            assert again[0].time - answer.time >= pause - 0.05
    # the pages behind a 429 and a 503 were fetched once the pause was over
    assert [r.status for r in hostile.busy.hits(STORY[1])] == [429, 200]
    assert [r.status for r in hostile.busy.hits("/busy/503.html")] == [503, 200]
    # while the busy host waits, the news site is crawled on
    first = asked[0]
    assert any(first.time < r.time < first.time + RETRY_AFTER for r in hostile.news.requests)
    stats = hostile.stats
    assert stats["downloader/response_status_count/429"] >= 3
    assert stats["downloader/response_status_count/503"] == 1
    assert stats["retry_after/received"] == len(asked)
    assert stats["retry_after/capped"] == 2  # the day, twice: cut to RETRY_AFTER_MAX
    assert stats["retry_after/longest_seconds"] == RETRY_AFTER_MAX


def test_robots_txt_disallowing_everything_is_obeyed(hostile):
    assert {r.path for r in hostile.private.requests} == {"/robots.txt"}
    assert hostile.stats["robotstxt/forbidden"] >= 1
    assert hostile.summary["limits"]["robots_forbidden"] >= 1


def test_endless_calendar_and_pagination_end_at_their_limits(hostile):
    calendar = hostile.news.hits_under("/calendar/")
    assert 1 <= len(calendar) <= 3, [r.path for r in calendar]  # DISCOVERY_DEPTH=2 link hops
    numbers = {int(r.path.split("/")[-2]) for r in hostile.news.hits_under("/archive/page/")}
    # the ad hoc pagination depth is 5: the first page and five more
    assert max(numbers) == 6, numbers
    assert hostile.stats["news/limits/depth"] >= 1
    assert hostile.stats["news/limits/pagination"] >= 1


def test_redirect_loop_and_endless_chain_end(hostile):
    assert len(hostile.news.hits("/loop/a")) == 1  # the loop back is a request seen before
    assert len(hostile.news.hits("/loop/b")) == 1
    chain = hostile.news.hits_under("/redirect/")
    assert len(chain) == 21  # the first request and REDIRECT_MAX_TIMES redirects, each archived
    responses = hostile.responses()
    assert all(hostile.news.url(r.path) in responses for r in chain)
    assert hostile.stats["redirect/max_reached"] == 1
    assert hostile.stats["dupefilter/filtered"] >= 1


def test_long_url_is_not_fetched(hostile):
    assert not hostile.news.hits_under("/long/")
    assert hostile.stats["urllength/request_ignored_count"] >= 1


def test_sitemap_index_naming_itself_ends(hostile):
    indexes = sorted(r.path for r in hostile.news.hits_under("/sitemaps/index-"))
    # each index once (itself again is a duplicate request); the chain ends at depth 3
    assert indexes == [f"/sitemaps/index-{n}.xml" for n in range(4)], indexes
    assert hostile.stats["news/limits/sitemap_depth"] == 1


def test_feed_entities_are_never_resolved(hostile):
    assert not hostile.news.hits_under("/xxe/")
    exported = json.dumps(hostile.articles)
    assert SECRET not in exported and "lollol" not in exported
    assert hostile.stats["news/xml_entities_ignored"] == 1
    assert hostile.stats["news/feeds"] == 1


def test_duplicate_and_malformed_headers_and_bad_bytes_are_archived(hostile):
    responses = hostile.responses()
    (dup,) = responses[hostile.news.url("/headers/duplicate.html")]
    headers = dup.http_headers.headers
    assert [v for k, v in headers if k == "Set-Cookie"] == ["first=1", "second=2"]
    assert [v for k, v in headers if k == "X-Duplicate"] == ["one", "two"]
    (bad,) = responses[hostile.news.url(BAD_BYTES)]
    assert b"Ann \xff\xfe Lee" in bad.body and b"br\x00idge" in bad.body  # byte for byte
    assert bad.http_headers.get_header("X-Note") == "caf\xe9 \xff\x00 end"  # byte for byte
    (malformed,) = responses[hostile.news.url("/headers/malformed.html")]
    # Twisted joins a folded header and drops a line that is no header before Scrapy sees them
    assert malformed.http_headers.get_header("X-Folded") == "first part  folded onto the next line"
    assert malformed.http_headers.get_header("X-Long") == "v" * 8000
    (article,) = [a for a in hostile.articles if a["title"] == "Story with bad bytes"]
    assert "\x00" not in json.dumps(article)


def test_summary_names_every_limit_met(hostile):
    limits = hostile.summary["limits"]
    assert {
        "truncated",
        "decompression_stopped",
        "sitemaps_too_large",
        "compressed_pages_skipped",
        "redirects_stopped",
        "retry_after",
        "robots_forbidden",
        "url_too_long",
        "depth_limited",
        "pagination_limited",
        "sitemap_depth_limited",
        "xml_entities_ignored",
        "timeouts",
    } <= set(limits), limits
    assert "held back" in hostile.stdout and "decompression stopped 2" in hostile.stdout
