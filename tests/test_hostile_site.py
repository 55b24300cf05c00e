"""Hostile answers a crawl meets on the open web, served by a real local site: bounded, archived."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from tests.helpers import REPO, read_jsonl_gz, records, warc_files
from tests.local_site import LocalSite, Page

GIB = 1 << 30
MB = 1_000_000

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


def gzip_bomb(expanded: int = GIB) -> bytes:
    """A valid gzip body of ``expanded`` zero bytes (about a thousandth of that on the wire)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    block = bytes(1 << 20)
    parts = [compressor.compress(block) for _ in range(expanded // len(block))]
    return b"".join(parts) + compressor.flush()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return gzip_bomb()


def _pages(bomb: bytes | None) -> dict[str, str | Page]:
    links = [f"/2024/05/0{n}/story-number-{n}.html" for n in range(1, 4)]
    pages: dict[str, str | Page] = {
        link: _ARTICLE.format(title=f"Story {n}", text=text)
        for n, (link, text) in enumerate(zip(links, _STORIES, strict=True), 1)
    }
    if bomb is not None:
        links.append("/2024/05/04/a-very-large-story.html")
        pages[links[-1]] = Page(bomb, headers={"Content-Encoding": "gzip"})
    anchors = "".join(f'<li><a href="{link}">{link}</a></li>' for link in links)
    pages["/news/"] = f"<html><body><ul>{anchors}</ul></body></html>"
    return pages


def _crawl_measuring_rss(url: str, work: Path) -> tuple[int, int]:
    """``newsarchive crawl URL`` in its own process; (exit status, peak RSS in bytes)."""
    work.mkdir()
    rss_file = work / "peak-rss"
    wrapper = (
        "import resource, sys\n"
        "from crawler import cli\n"
        "status = cli.main(sys.argv[1:])\n"
        f"open({str(rss_file)!r}, 'w').write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))\n"
        "sys.exit(status)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", wrapper, "crawl", url, "--archive", str(work / "archive")],
        cwd=work,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.returncode, int(rss_file.read_text()) * 1024  # ru_maxrss is in KiB on Linux


def test_gzip_bomb_is_cut_at_download_maxsize_and_archived_raw(tmp_path, bomb):
    with LocalSite(_pages(None)) as calm:
        _, calm_rss = _crawl_measuring_rss(calm.url("/news/"), tmp_path / "calm")
    with LocalSite(_pages(bomb)) as hostile:
        _, hostile_rss = _crawl_measuring_rss(hostile.url("/news/"), tmp_path / "hostile")

    # 1 GiB expanded: the decoder stops at DOWNLOAD_MAXSIZE (64 MiB) instead of holding it all.
    assert hostile_rss - calm_rss < 100 * MB, (calm_rss, hostile_rss)

    archive = tmp_path / "hostile" / "archive"
    responses = {
        r.rec_headers.get_header("WARC-Target-URI"): r
        for path in warc_files(archive)
        for r in records(path)
        if r.rec_type == "response"
    }
    bomb_record = responses[hostile.url("/2024/05/04/a-very-large-story.html")]
    assert bomb_record.http_headers.get_header("Content-Encoding") == "gzip"
    assert bomb_record.body == bomb  # the bytes as the server sent them, still compressed

    articles = [a for p in archive.glob("articles/*/*.jsonl.gz") for a in read_jsonl_gz(p)]
    assert sorted(a["title"] for a in articles) == ["Story 1", "Story 2", "Story 3"]
    manifest = json.loads(next(archive.glob("manifests/*.json")).read_text())
    assert manifest["stats"]["downloader/response_status_count/200"] >= 5
