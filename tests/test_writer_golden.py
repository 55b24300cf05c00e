"""Golden records: what the WARC writer puts on disk, byte for byte, with fixed ids and dates.

As warcio's own tests do: records are built with ``RecordBuilder`` and a fixed ``WARC-Record-ID``
and ``WARC-Date``, written, and each gzip member is compared with the exact record text expected.
Digests and lengths in the expected text are computed here from the blocks, not read back.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import socket
import subprocess
import sys
import zlib
from io import BytesIO
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.recordbuilder import RecordBuilder
from warcio.statusandheaders import StatusAndHeaders

from crawler.archive.cdxj import index_warc
from crawler.archive.writer import ClosedWarc, RotatingWarcWriter

pytestmark = pytest.mark.fast

CDXJ_INDEXER = str(Path(sys.executable).with_name("cdxj-indexer"))
DATE = "2024-03-01T12:00:00.123456Z"
URL = "https://news.example.com/politics/budget-vote?page=2"
BODY = b"<!doctype html>\n<html><body><p>The council voted.</p></body></html>\n"
WARCINFO = {
    "software": "newsarchive/test",
    "format": "WARC File Format 1.1",
    "operator": "",  # empty fields are left out of the record
    "isPartOf": "demo-20240301T120000",
}

REQUEST_BLOCK = (
    b"GET /politics/budget-vote?page=2 HTTP/1.1\r\n"
    b"Host: news.example.com\r\n"
    b"User-Agent: newsarchive/0.1\r\n"
    b"Accept-Encoding: gzip, deflate\r\n"
    b"\r\n"
)
RESPONSE_BLOCK = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"Set-Cookie: a=1\r\n"
    b"Set-Cookie: b=2\r\n"
    b"Content-Length: 68\r\n"
    b"\r\n" + BODY
)


def record_id(n: int) -> str:
    return f"<urn:uuid:00000000-0000-4000-8000-{n:012d}>"


def sha1_b32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data, usedforsecurity=False).digest()).decode()


def expected_request(n: int) -> bytes:
    return (
        (
            "WARC/1.1\r\n"
            f"WARC-Record-ID: {record_id(n)}\r\n"
            f"WARC-Date: {DATE}\r\n"
            "WARC-Type: request\r\n"
            f"WARC-Target-URI: {URL}\r\n"
            f"WARC-Payload-Digest: {sha1_b32(b'')}\r\n"
            f"WARC-Block-Digest: {sha1_b32(REQUEST_BLOCK)}\r\n"
            "Content-Type: application/http; msgtype=request\r\n"
            f"Content-Length: {len(REQUEST_BLOCK)}\r\n"
            "\r\n"
        ).encode()
        + REQUEST_BLOCK
        + b"\r\n\r\n"
    )


def expected_response(n: int, concurrent_to: int) -> bytes:
    return (
        (
            "WARC/1.1\r\n"
            f"WARC-Record-ID: {record_id(n)}\r\n"
            f"WARC-Date: {DATE}\r\n"
            "WARC-IP-Address: 192.0.2.7\r\n"
            "WARC-Type: response\r\n"
            f"WARC-Target-URI: {URL}\r\n"
            f"WARC-Payload-Digest: {sha1_b32(BODY)}\r\n"
            f"WARC-Concurrent-To: {record_id(concurrent_to)}\r\n"
            f"WARC-Block-Digest: {sha1_b32(RESPONSE_BLOCK)}\r\n"
            "Content-Type: application/http; msgtype=response\r\n"
            f"Content-Length: {len(RESPONSE_BLOCK)}\r\n"
            "\r\n"
        ).encode()
        + RESPONSE_BLOCK
        + b"\r\n\r\n"
    )


def exchange(builder: RecordBuilder, n: int, body: bytes = BODY, url: str = URL):
    """Request record ``n`` and response record ``n + 1``, built as the capture middleware does."""
    request = builder.create_warc_record(
        url,
        "request",
        http_headers=StatusAndHeaders(
            "GET /politics/budget-vote?page=2 HTTP/1.1",
            [
                ("Host", "news.example.com"),
                ("User-Agent", "newsarchive/0.1"),
                ("Accept-Encoding", "gzip, deflate"),
            ],
            is_http_request=True,
        ),
        warc_headers_dict={"WARC-Record-ID": record_id(n), "WARC-Date": DATE},
    )
    response = builder.create_warc_record(
        url,
        "response",
        payload=BytesIO(body),
        length=len(body),
        http_headers=StatusAndHeaders(
            "200 OK",
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Set-Cookie", "a=1"),
                ("Set-Cookie", "b=2"),
                ("Content-Length", str(len(body))),
            ],
            protocol="HTTP/1.1",
        ),
        warc_headers_dict={
            "WARC-Record-ID": record_id(n + 1),
            "WARC-Date": DATE,
            "WARC-IP-Address": "192.0.2.7",
        },
    )
    response.rec_headers.add_header("WARC-Concurrent-To", record_id(n))
    return request, response


def gzip_members(data: bytes) -> list[bytes]:
    """The decompressed bytes of each gzip member of ``data``, in order."""
    members = []
    while data:
        inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)
        members.append(inflate.decompress(data) + inflate.flush())
        assert inflate.eof, "truncated gzip member"
        data = inflate.unused_data
    return members


def record_ids(path: Path) -> list[str | None]:
    with open(path, "rb") as fh:
        return [r.rec_headers.get_header("WARC-Record-ID") for r in ArchiveIterator(fh)]


@pytest.fixture
def builder() -> RecordBuilder:
    return RecordBuilder(warc_version="WARC/1.1")


@pytest.fixture
def closed() -> list[ClosedWarc]:
    return []


def make_writer(directory: Path, closed: list[ClosedWarc], max_size: int = 1 << 30):
    return RotatingWarcWriter(
        directory,
        prefix="demo",
        max_size=max_size,
        warcinfo=WARCINFO,
        on_closed=closed.append,
    )


def test_exchange_is_written_as_golden_records_one_gzip_member_each(tmp_path, builder, closed):
    writer = make_writer(tmp_path, closed)
    writer.write(*exchange(builder, 1))
    writer.close()

    [warc] = closed
    members = gzip_members(warc.path.read_bytes())
    assert len(members) == 3  # warcinfo, request, response
    assert members[1] == expected_request(1)
    assert members[2] == expected_response(2, concurrent_to=1)


@pytest.mark.parametrize("level", [1, 9])
def test_any_gzip_level_writes_the_same_records(tmp_path, builder, closed, level):
    """ARCHIVE_WARC_GZIP_LEVEL changes how hard each member is compressed, not what it holds:
    at 1 (fastest) and 9 (warcio's own level) the records are the golden ones."""
    writer = RotatingWarcWriter(
        tmp_path / "spool", prefix="t", max_size=10**9, gzip_level=level, on_closed=closed.append
    )
    writer.write(*exchange(builder, 1))
    writer.close()

    [warc] = closed
    members = gzip_members(warc.path.read_bytes())
    assert members[1:] == [expected_request(1), expected_response(2, concurrent_to=1)]


def test_every_file_starts_with_a_warcinfo_record_naming_it(tmp_path, builder, closed):
    writer = make_writer(tmp_path, closed)
    writer.write(*exchange(builder, 1))
    writer.close()

    [warc] = closed
    fields = (
        b"software: newsarchive/test\r\n"
        b"format: WARC File Format 1.1\r\n"
        b"isPartOf: demo-20240301T120000\r\n"
    )
    # The writer makes the warcinfo record itself: its id and date are the only free parts.
    expected = (
        re.escape(b"WARC/1.1\r\nWARC-Type: warcinfo\r\nWARC-Record-ID: <urn:uuid:")
        + rb"[0-9a-f-]{36}>\r\n"
        + re.escape(f"WARC-Filename: {warc.name}\r\nWARC-Date: ".encode())
        + rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\r\n"
        + re.escape(
            (
                f"WARC-Block-Digest: {sha1_b32(fields)}\r\n"
                "Content-Type: application/warc-fields\r\n"
                f"Content-Length: {len(fields)}\r\n"
                "\r\n"
            ).encode()
            + fields
            + b"\r\n\r\n"
        )
    )
    first = gzip_members(warc.path.read_bytes())[0]
    assert re.fullmatch(expected, first), first.decode()


def test_file_is_named_like_heritrix_and_open_while_written(tmp_path, builder, closed):
    writer = make_writer(tmp_path, closed)
    [_, location] = writer.write(*exchange(builder, 1))

    host = socket.gethostname().split(".")[0]
    pattern = rf"demo-\d{{17}}-00001-{re.escape(host)}-{os.getpid()}\.warc\.gz"
    assert re.fullmatch(pattern, location.filename)
    assert [p.name for p in tmp_path.iterdir()] == [location.filename + ".open"]

    writer.close()
    assert [p.name for p in tmp_path.iterdir()] == [location.filename]
    assert closed[0].name == location.filename
    assert closed[0].path == tmp_path / location.filename


def test_closed_file_summary_matches_the_file_on_disk(tmp_path, builder, closed):
    writer = make_writer(tmp_path, closed)
    writer.write(*exchange(builder, 1))
    writer.write(*exchange(builder, 3))
    returned = writer.close()

    [warc] = closed
    assert returned is warc
    data = warc.path.read_bytes()
    assert warc.sha256 == hashlib.sha256(data).hexdigest()
    assert warc.size == len(data) == writer.bytes_written
    assert warc.records == {"warcinfo": 1, "request": 2, "response": 2}
    assert writer.close() is None  # closing twice is harmless
    assert len(closed) == 1


def test_record_location_reads_back_exactly_that_record(tmp_path, builder, closed):
    writer = make_writer(tmp_path, closed)
    locations = writer.write(*exchange(builder, 1)) + writer.write(*exchange(builder, 3))
    writer.close()

    data = closed[0].path.read_bytes()
    warcinfo_length = len(data) - sum(loc.length for loc in locations)
    assert [loc.offset for loc in locations] == [
        warcinfo_length + sum(loc.length for loc in locations[:i]) for i in range(4)
    ]
    expected = [
        expected_request(1),
        expected_response(2, concurrent_to=1),
        expected_request(3),
        expected_response(4, concurrent_to=3),
    ]
    for n, (location, record_text) in enumerate(zip(locations, expected, strict=True), start=1):
        member = data[location.offset : location.offset + location.length]
        assert gzip_members(member) == [record_text]
        [record] = list(ArchiveIterator(BytesIO(member)))
        assert record.rec_headers.get_header("WARC-Record-ID") == location.record_id == record_id(n)
        assert location.date == DATE
        assert location.filename == closed[0].name


def test_rotation_splits_files_only_between_writes(tmp_path, builder, closed):
    # max_size=1: every write() fills a file, so each call ends one.
    writer = make_writer(tmp_path, closed, max_size=1)
    big = os.urandom(200_000)  # incompressible: this one exchange alone is far past max_size
    writer.write(*exchange(builder, 1))
    writer.write(*exchange(builder, 3, body=big))
    writer.write(*exchange(builder, 5))
    assert writer.close() is None  # the last write() already closed its file

    assert [warc.name.split("-")[2] for warc in closed] == ["00001", "00002", "00003"]
    for warc, n in zip(closed, (1, 3, 5), strict=True):
        ids = record_ids(warc.path)
        assert ids[1:] == [record_id(n), record_id(n + 1)]
        assert warc.records == {"warcinfo": 1, "request": 1, "response": 1}
    assert closed[1].size > 200_000
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(warc.name for warc in closed)


def test_file_grows_past_max_size_only_by_the_write_that_crossed_it(tmp_path, builder, closed):
    writer = make_writer(tmp_path, closed, max_size=3000)
    sizes = []
    n = 1
    while not closed:
        writer.write(*exchange(builder, n))
        sizes.append(writer.bytes_written)
        n += 2
    [warc] = closed
    assert sizes[-2] < 3000 <= sizes[-1] == warc.size
    # the next exchange starts the next file, with its own warcinfo record
    writer.write(*exchange(builder, n))
    writer.close()
    assert record_ids(closed[1].path)[1:] == [record_id(n), record_id(n + 1)]


def test_resumed_crawl_continues_the_serial_numbers(tmp_path, builder, closed):
    first = make_writer(tmp_path, closed)
    first.write(*exchange(builder, 1))
    first.close()
    resumed = make_writer(tmp_path, closed)
    resumed.write(*exchange(builder, 3))
    resumed.close()

    assert [warc.name.split("-")[2] for warc in closed] == ["00001", "00002"]


def test_cdxj_lines_agree_with_cdxj_indexer(tmp_path, builder, closed):
    writer = make_writer(tmp_path, closed)
    writer.write(*exchange(builder, 1))
    redirect = builder.create_warc_record(
        "http://news.example.com/old",
        "response",
        http_headers=StatusAndHeaders(
            "301 Moved Permanently",
            [("Location", URL), ("Content-Length", "0")],
            protocol="HTTP/1.1",
        ),
        warc_headers_dict={"WARC-Record-ID": record_id(3), "WARC-Date": DATE},
    )
    revisit = builder.create_revisit_record(
        "https://news.example.com/print/budget-vote",
        sha1_b32(BODY),
        URL,
        DATE,
        http_headers=StatusAndHeaders(
            "200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1"
        ),
        warc_headers_dict={"WARC-Record-ID": record_id(4), "WARC-Date": DATE},
    )
    article = b'{"url": "https://news.example.com/politics/budget-vote?page=2"}'
    metadata = builder.create_warc_record(  # an exported article, as pipelines/export.py writes it
        "urn:article:" + URL,
        "metadata",
        payload=BytesIO(article),
        length=len(article),
        warc_content_type="application/json",
        warc_headers_dict={
            "WARC-Record-ID": record_id(5),
            "WARC-Date": DATE,
            "WARC-Refers-To": record_id(2),
        },
    )
    writer.write(redirect)
    writer.write(revisit)
    writer.write(metadata)
    writer.close()

    [warc] = closed
    indexer = subprocess.run(
        [CDXJ_INDEXER, str(warc.path)], check=True, capture_output=True, text=True
    )
    independent = indexer.stdout.splitlines()
    assert len(independent) == 4  # response, redirect, revisit, metadata: not the request
    assert sorted(warc.cdxj_lines) == sorted(independent)
    assert index_warc(warc.path) == warc.cdxj_lines
