"""The records the capture middleware builds from one exchange, without a crawl or a server.

The middleware is built in-process with the crawl's own settings and its ``WarcArchive``
extension; answers are Scrapy ``Response`` objects as the download handler hands them over.
"""

from __future__ import annotations

import gzip
import ipaddress
from io import BytesIO

import pytest
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http import Request, Response
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from crawler.archive.writer import RotatingWarcWriter
from crawler.extensions.archive import WarcArchive
from crawler.middlewares.capture import WarcCaptureMiddleware
from tests.helpers import project_settings

pytestmark = pytest.mark.fast

URL = "https://news.example.com/politics/budget-vote?page=2"
BODY = b"<html><body><p>The council voted.</p></body></html>"


class Capture:
    """The middleware, and what it wrote."""

    def __init__(self, tmp_path, **settings) -> None:
        crawler = get_crawler(
            settings_dict=project_settings(
                EXTENSIONS={"crawler.extensions.archive.WarcArchive": 100},
                ARCHIVE_URI=str(tmp_path / "archive"),
                ARCHIVE_CRAWL_ID="capture-test",
                STATE_DIR=str(tmp_path / "state"),
                REDIS_URL=None,
                **settings,
            )
        )
        crawler.stats.open_spider()
        archive = crawler.get_extension(WarcArchive)
        # What spider_opened does once the store is checked (that check needs the reactor).
        archive.writer = RotatingWarcWriter(
            tmp_path / "warc", prefix="test", max_size=1 << 30, builder=archive.builder
        )
        self.archive = archive
        self.middleware = WarcCaptureMiddleware.from_crawler(crawler)
        self.stats = crawler.stats

    def exchange(self, request: Request, response: Response) -> Response:
        self.middleware.process_request(request)
        return self.middleware.process_response(request, response)

    def records(self) -> list:
        """Every record written so far but the warcinfo, with its payload read as stored."""
        closed = self.archive.writer.close()
        out = []
        with open(closed.path, "rb") as fh:
            for record in ArchiveIterator(fh):
                record.content = record.raw_stream.read()  # not decoded (Content-Encoding)
                out.append(record)
        assert out[0].rec_type == "warcinfo"
        self.path = closed.path
        return out[1:]


@pytest.fixture
def capture(tmp_path) -> Capture:
    return Capture(tmp_path)


def answer(request: Request, headers, body: bytes = BODY, status: int = 200) -> Response:
    return Response(
        request.url,
        status=status,
        headers=headers,
        body=body,
        request=request,
        protocol="HTTP/1.1",
        ip_address=ipaddress.ip_address("192.0.2.7"),
    )


def test_dechunked_response_is_stored_with_the_length_of_its_body(capture):
    request = Request(URL)
    sent = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Transfer-Encoding", "chunked"),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
        ("Cache-Control", "max-age=60"),
    ]
    capture.exchange(request, answer(request, sent))

    [_, response] = capture.records()
    assert response.http_headers.protocol == "HTTP/1.1"
    assert response.http_headers.statusline == "200 OK"
    # Twisted removed the chunk framing: the stored message is framed by its length instead,
    # every other header kept with its values, in the order they came.
    assert response.http_headers.headers == [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
        ("Cache-Control", "max-age=60"),
        ("Content-Length", str(len(BODY))),
    ]
    assert response.content == BODY


def test_response_is_stored_as_sent_headers_in_order_body_still_encoded(capture):
    request = Request(URL)
    body = gzip.compress(BODY, mtime=0)
    sent = [
        ("Server", "nginx"),
        ("Content-Type", "text/html"),
        ("Content-Encoding", "gzip"),
        ("Content-Length", str(len(body))),
        ("Vary", "Accept-Encoding"),
        ("Vary", "Cookie"),
    ]
    capture.exchange(request, answer(request, sent, body=body))

    [_, response] = capture.records()
    assert response.http_headers.headers == sent
    assert response.content == body  # Content-Encoding intact: decoding happens above us


def test_exchange_is_a_request_and_a_response_record_pointing_at_each_other(capture):
    request = Request(URL, headers={"User-Agent": "newsarchive/test", "Accept": "text/html"})
    capture.exchange(request, answer(request, [("Content-Type", "text/html")]))

    [req, resp] = capture.records()
    assert req.rec_type == "request"
    assert req.http_headers.to_bytes() == (
        b"GET /politics/budget-vote?page=2 HTTP/1.1\r\n"
        b"Host: news.example.com\r\n"
        b"User-Agent: newsarchive/test\r\n"
        b"Accept: text/html\r\n"
        b"\r\n"
    )
    assert resp.rec_type == "response"
    for record in (req, resp):
        assert record.rec_headers.get_header("WARC-Target-URI") == URL
    assert resp.rec_headers.get_header("WARC-Concurrent-To") == req.rec_headers.get_header(
        "WARC-Record-ID"
    )
    assert resp.rec_headers.get_header("WARC-Date") == req.rec_headers.get_header("WARC-Date")
    assert resp.rec_headers.get_header("WARC-IP-Address") == "192.0.2.7"
    assert capture.stats.get_value("archive/exchanges") == 1


def test_capture_pointer_reads_back_the_response_record(capture):
    request = Request(URL)
    capture.exchange(request, answer(request, [("Content-Type", "text/html")]))
    pointer = request.meta["capture"]

    [_, response] = capture.records()
    assert pointer["warc_file"] == capture.path.name
    with open(capture.path, "rb") as fh:
        fh.seek(pointer["offset"])
        member = fh.read(pointer["length"])
    [record] = list(ArchiveIterator(BytesIO(member)))
    assert record.rec_headers.get_header("WARC-Record-ID") == pointer["record_id"]
    assert pointer["record_id"] == response.rec_headers.get_header("WARC-Record-ID")
    assert pointer["date"] == response.rec_headers.get_header("WARC-Date")


def test_same_payload_at_another_url_is_a_revisit_of_the_first_capture(capture):
    first = Request(URL)
    capture.exchange(first, answer(first, [("Content-Type", "text/html")]))
    copy = Request("https://news.example.com/print/budget-vote")
    capture.exchange(copy, answer(copy, [("Content-Type", "text/html"), ("X-Edition", "print")]))

    [_, original, _, revisit] = capture.records()
    headers = revisit.rec_headers
    assert revisit.rec_type == "revisit"
    assert headers.get_header("WARC-Profile") == (
        "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
    )
    assert headers.get_header("WARC-Refers-To") == original.rec_headers.get_header("WARC-Record-ID")
    assert headers.get_header("WARC-Refers-To-Target-URI") == URL
    assert headers.get_header("WARC-Payload-Digest") == original.rec_headers.get_header(
        "WARC-Payload-Digest"
    )
    # the copy's own HTTP headers are kept; the payload is not stored twice
    assert revisit.http_headers.headers == [
        ("Content-Type", "text/html"),
        ("X-Edition", "print"),
    ]
    assert revisit.content == b""
    assert copy.meta["capture"]["revisit_of"]["uri"] == URL
    assert capture.stats.get_value("archive/revisits/identical_payload") == 1


def test_body_over_download_maxsize_is_archived_cut_and_marked_truncated(tmp_path):
    capture = Capture(tmp_path, DOWNLOAD_MAXSIZE=20)
    request = Request(URL)
    capture.middleware.process_request(request)
    capture.middleware.bytes_received(BODY[:16], request, spider=None)
    with pytest.raises(StopDownload):
        capture.middleware.bytes_received(BODY[16:], request, spider=None)
    with pytest.raises(IgnoreRequest):
        capture.middleware.process_response(request, answer(request, [], body=BODY))

    [_, response] = capture.records()
    assert response.rec_headers.get_header("WARC-Truncated") == "length"
    assert response.content == BODY[:20]
    assert request.meta["download_maxsize"] == 20  # the decoders above get their limit back
    assert capture.stats.get_value("archive/truncated") == 1
