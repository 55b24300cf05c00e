"""The local archive store and the parts of open_store that need no server."""

from __future__ import annotations

import gzip
import io
import json
import os
import socket
import subprocess
import sys

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.archive.local import LocalStore
from crawler.archive.store import ArchiveConfigError, StoreSettings
from crawler.archive.stores import open_store
from crawler.archive.writer import RotatingWarcWriter

pytestmark = pytest.mark.fast


def test_files_written_in_the_spool_dir_stay_where_they_are(tmp_path):
    store = open_store(str(tmp_path / "archive"))
    store.check()
    spool = store.spool_dir("crawl1")
    assert spool == tmp_path / "archive" / "warc" / "crawl1"
    warc = spool / "NEWS-1.warc.gz"
    warc.write_bytes(b"warc bytes")

    store.submit(warc, "warc/crawl1/NEWS-1.warc.gz")
    summary = store.close()

    assert warc.read_bytes() == b"warc bytes"
    assert [(f.key, f.bytes) for f in summary.uploaded] == [("warc/crawl1/NEWS-1.warc.gz", 10)]
    assert summary.complete


def test_files_from_elsewhere_are_moved_under_their_key(tmp_path):
    store = open_store(f"file://{tmp_path / 'archive'}")
    cdxj = tmp_path / "work" / "NEWS-1.cdxj"
    cdxj.parent.mkdir()
    cdxj.write_text("com,example)/ 20240101000000 {}\n")

    store.submit(cdxj, "cdxj/crawl1/NEWS-1.cdxj")

    assert not cdxj.exists()
    assert store.read("cdxj/crawl1/NEWS-1.cdxj").startswith(b"com,example)/")
    assert store.exists("cdxj/crawl1/NEWS-1.cdxj")
    assert store.list("cdxj/") == ["cdxj/crawl1/NEWS-1.cdxj"]
    assert store.read_range("cdxj/crawl1/NEWS-1.cdxj", 4, 7) == b"example"


def test_unwritable_archive_path_is_one_clear_line(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the archive should be")
    store = open_store(str(blocker / "archive"))

    with pytest.raises(ArchiveConfigError) as err:
        store.check()

    assert str(err.value).startswith(f"ARCHIVE_URI={blocker / 'archive'}: cannot write to")
    assert "\n" not in str(err.value)


def test_open_warc_left_by_a_crash_is_repaired_in_place(tmp_path):
    store = open_store(str(tmp_path / "archive"))
    path = store.spool_dir("c1") / "NEWS-20240101000000000-00000-host-1.warc.gz.open"
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        for i in range(2):
            writer.write_record(
                writer.create_warc_record(
                    f"http://example.test/{i}",
                    "response",
                    payload=io.BytesIO(os.urandom(5000)),
                    http_headers=StatusAndHeaders("200 OK", [], protocol="HTTP/1.1"),
                )
            )
        f.write(b"\x1f\x8b\x08\x00torn")
    assert store.pending() == [path]

    summary = store.upload_pending()

    fixed = path.with_name("NEWS-20240101000000000-00000-host-1.warc.gz")
    assert [f.path for f in summary.uploaded] == [fixed] and summary.complete
    assert store.pending() == []
    with open(fixed, "rb") as f:
        assert len(list(ArchiveIterator(f))) == 2


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("", "ARCHIVE_URI is empty"),
        ("gs://bucket/x", "unsupported scheme 'gs'"),
        ("https://me:hunter2@host/x", "unsupported scheme 'https'"),
        ("s3:///prefix", "no bucket name"),
        ("s3://user:hunter2@bucket/x", "credentials do not belong in the URI"),
    ],
)
def test_bad_archive_uri_is_one_clear_line(uri, expected):
    with pytest.raises(ArchiveConfigError, match=expected) as err:
        open_store(uri)
    assert "hunter2" not in str(err.value)


def test_sizes_and_numbers_in_settings():
    config = StoreSettings.from_settings(
        {"ARCHIVE_UPLOAD_PART_SIZE": "8MB", "ARCHIVE_UPLOAD_RETRIES": "2", "ARCHIVE_SPOOL_DIR": "s"}
    )
    assert config.part_size == 8 << 20 and config.retries == 2 and str(config.spool_dir) == "s"
    with pytest.raises(ArchiveConfigError, match="ARCHIVE_UPLOAD_PART_SIZE"):
        StoreSettings.from_settings({"ARCHIVE_UPLOAD_PART_SIZE": "1MB"})
    with pytest.raises(ArchiveConfigError, match="ARCHIVE_UPLOAD_RETRIES='many': not a number"):
        StoreSettings.from_settings({"ARCHIVE_UPLOAD_RETRIES": "many"})


def test_a_live_writers_open_file_is_left_alone(tmp_path):
    store = LocalStore(tmp_path / "archive")
    name = f"NEWS-20240101000000000-00000-{socket.gethostname()}-{os.getpid()}.warc.gz.open"
    live = store.spool_dir("c1") / name
    live.write_bytes(b"being written")

    store.upload_pending()

    assert live.read_bytes() == b"being written"


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", ""])
    proc.wait()
    return proc.pid


def test_a_warc_closed_just_before_a_crash_is_indexed_and_gives_back_its_articles(tmp_path):
    """A kill between a WARC's close and its CDXJ: the restart writes the index, and the articles
    file the killed writer left open gets back the article only that WARC held."""
    store = LocalStore(tmp_path / "archive")
    writer = RotatingWarcWriter(store.spool_dir("c1"), prefix="NEWS", max_size=1 << 30)
    builder = writer.builder
    line = json.dumps({"url": "http://example.test/a", "title": "Only in the WARC"})
    writer.write(
        builder.create_warc_record(
            "http://example.test/a",
            "response",
            payload=io.BytesIO(b"<html>story</html>"),
            http_headers=StatusAndHeaders("200 OK", [], protocol="HTTP/1.1"),
        ),
        builder.create_warc_record(
            "urn:article:http://example.test/a",
            "metadata",
            payload=io.BytesIO(line.encode()),
            warc_content_type="application/json",
        ),
    )
    closed = writer.close()  # and then the kill: no CDXJ written, nothing handed on
    pid = _dead_pid()
    warc = closed.path.with_name(closed.name.replace(f"-{os.getpid()}.", f"-{pid}."))
    closed.path.rename(warc)
    stem = warc.name.removesuffix(".warc.gz")
    articles = store.root / "articles" / "c1" / f"articles-20240101000000-{pid}.jsonl.gz.open"
    articles.parent.mkdir(parents=True)
    articles.write_bytes(gzip.compress(b"")[:10])  # its gzip buffer never reached the disk

    summary = store.upload_pending()

    cdxj = (store.root / "cdxj" / "c1" / f"{stem}.cdxj").read_text().splitlines()
    assert sorted(json.loads(x.split(" ", 2)[2])["url"] for x in cdxj) == [
        "http://example.test/a",
        "urn:article:http://example.test/a",
    ]
    assert warc in [r.path for r in summary.repaired]
    fixed = articles.with_name(articles.name.removesuffix(".open"))
    with gzip.open(fixed, "rt") as lines:
        assert [json.loads(x) for x in lines] == [json.loads(line)]
    # a second restart finds nothing left to do
    assert store.upload_pending().repaired == []
