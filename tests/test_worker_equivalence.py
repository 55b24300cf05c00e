"""Speed changes nothing a user gets (issue 12): a crawl of the demo site with two extraction
workers archives the same records and exports the same articles as one with one worker, and as one
that extracts in the crawl's own threads (CLEAN_WORKERS=0).

One thing depends on timing in any crawl, whatever its workers: the site's template is learned
while pages arrive, so a line on the edge of being template (a credit line that recurs on some
articles) can be cut from an article extracted after more pages were seen and kept in one
extracted before. Bodies are therefore compared line by line: they may differ only by whole
lines, on few articles.
"""

from __future__ import annotations

import pytest

from tests.helpers import (
    assert_bodies_agree,
    read_jsonl_gz,
    records,
    run_cli,
    warc_files,
    write_demo_site_file,
)

pytestmark = pytest.mark.e2e

# What differs between any two crawls of a site: when and where the page was captured, and
# which link reached it first (a sitemap's hints, or a section link's none), not what it holds.
_VOLATILE = {"capture", "crawl_id", "hints"}
_TEXT = {"body", "word_count"}


def _crawl(demo_site, work, workers: int) -> tuple[list, list]:
    write_demo_site_file(work / "sites", demo_site.base_url)
    result = run_cli(
        "crawl", "demo", "--archive", str(work / "archive"), "-s", f"CLEAN_WORKERS={workers}",
        cwd=work,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    archive = work / "archive"
    captured = sorted(
        (
            r.rec_type,
            r.rec_headers.get_header("WARC-Target-URI"),
            r.rec_headers.get_header("WARC-Payload-Digest") if r.rec_type != "metadata" else "",
        )
        for path in warc_files(archive)
        for r in records(path)
        if r.rec_type in ("response", "revisit", "metadata", "request")
    )
    items = [i for p in archive.glob("articles/*/*.jsonl.gz") for i in read_jsonl_gz(p)]
    articles = sorted(
        ({k: v for k, v in item.items() if k not in _VOLATILE} for item in items),
        key=lambda item: item["url"],
    )
    return captured, articles


def test_two_workers_one_worker_and_none_give_the_same_archive_and_articles(demo_site, tmp_path):
    one = _crawl(demo_site, tmp_path / "one", 1)
    captured, articles = one
    assert len(articles) >= 20 and any(kind == "metadata" for kind, *_ in captured)
    for workers in (2, 0):
        other_captured, other_articles = _crawl(demo_site, tmp_path / f"w{workers}", workers)
        assert other_captured == captured, workers
        for mine, theirs in zip(articles, other_articles, strict=True):
            fields = {k: v for k, v in mine.items() if k not in _TEXT}
            assert {k: v for k, v in theirs.items() if k not in _TEXT} == fields, workers
        assert_bodies_agree(
            {a["url"]: a["body"] for a in articles},
            {a["url"]: a["body"] for a in other_articles},
            f"{workers} workers",
        )
