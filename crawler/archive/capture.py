"""Downloader middleware that writes every HTTP exchange of the crawl into the archive.

It sits closer to the downloader (950) than everything that changes requests and than the
decoders (HttpCompressionMiddleware 590, RedirectMiddleware 600), so it records robots.txt,
redirects, error pages and bodies exactly as the server sent them, Content-Encoding intact. Twisted
has already removed the chunked framing by then, so a ``Transfer-Encoding: chunked`` header is
replaced by the ``Content-Length`` of the stored body: the stored HTTP message stays self-consistent.

``DOWNLOAD_MAXSIZE`` is enforced here instead of in the download handler, so an over-size body is
archived cut at the limit and marked ``WARC-Truncated: length`` (then dropped, like Scrapy would).
The capture pointer of the final response is left in ``request.meta["capture"]``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from urllib.parse import urlsplit

import structlog
from scrapy import signals
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http import Request, Response
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date

from crawler.archive.session import ArchiveSession

log = structlog.get_logger(__name__)

_HOP_BY_HOP_FRAMING = b"transfer-encoding"


class WarcCaptureMiddleware:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.archive = ArchiveSession.from_crawler(crawler)
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        crawler.signals.connect(self.bytes_received, signal=signals.bytes_received)

    @classmethod
    def from_crawler(cls, crawler) -> WarcCaptureMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if not _archivable(request.url):
            return
        meta = request.meta
        if "_archive_maxsize" not in meta:
            meta["_archive_maxsize"] = meta.get("download_maxsize", self.maxsize)
        meta["download_maxsize"] = 0  # ours to enforce: see bytes_received
        meta["_archive_bytes"] = 0
        meta["_archive_truncated"] = False
        meta["_archive_date"] = datetime.now(UTC)
        return

    def bytes_received(self, data: bytes, request: Request, spider) -> None:
        limit = request.meta.get("_archive_maxsize")
        if not limit:
            return
        received = request.meta.get("_archive_bytes", 0) + len(data)
        request.meta["_archive_bytes"] = received
        if received > limit:
            request.meta["_archive_truncated"] = True
            raise StopDownload(fail=False)

    def process_response(self, request: Request, response: Response) -> Response:
        date = request.meta.pop("_archive_date", None)
        if date is None:  # not fetched through us (cache, data: URL, ...)
            return response
        body = response.body
        truncated = None
        if request.meta.get("_archive_truncated"):
            body = body[: request.meta["_archive_maxsize"]]
            truncated = "length"
        elif "dataloss" in response.flags or "partial" in response.flags:
            truncated = "disconnect"

        warc_date = datetime_to_iso_date(date.replace(tzinfo=None), use_micros=True)
        request_record = self._request_record(request, warc_date)
        response_record = self._response_record(request, response, body, warc_date, truncated)
        response_record.rec_headers.add_header(
            "WARC-Concurrent-To", request_record.rec_headers.get_header("WARC-Record-ID")
        )
        _, location = self.archive.write(request_record, response_record)
        request.meta["capture"] = location.as_dict()
        self.stats.inc_value("archive/exchanges")

        if truncated == "length":
            self.stats.inc_value("archive/truncated")
            log.warning(
                "capture.truncated",
                url=request.url,
                limit=request.meta["_archive_maxsize"],
                setting="DOWNLOAD_MAXSIZE",
            )
            raise IgnoreRequest(
                f"body larger than DOWNLOAD_MAXSIZE, archived truncated: {request.url}"
            )
        return response

    def _request_record(self, request: Request, warc_date: str):
        parts = urlsplit(request.url)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        headers = []
        if b"Host" not in request.headers:
            headers.append(("Host", parts.netloc))
        headers += _header_list(request.headers)
        if request.body and b"Content-Length" not in request.headers:
            headers.append(("Content-Length", str(len(request.body))))
        http_headers = StatusAndHeaders(
            f"{request.method} {target} HTTP/1.1", headers, is_http_request=True
        )
        return self.archive.writer.builder.create_warc_record(
            request.url,
            "request",
            payload=BytesIO(request.body),
            length=len(request.body),
            http_headers=http_headers,
            warc_headers_dict={"WARC-Date": warc_date},
        )

    def _response_record(self, request, response, body: bytes, warc_date: str, truncated):
        headers = _header_list(response.headers)
        if response.headers.get(_HOP_BY_HOP_FRAMING):
            # Twisted de-chunked the body: store it under the framing it now has.
            headers = [
                (k, v)
                for k, v in headers
                if k.lower() not in ("transfer-encoding", "content-length")
            ]
            headers.append(("Content-Length", str(len(body))))
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
        protocol = response.protocol or "HTTP/1.1"
        http_headers = StatusAndHeaders(
            f"{response.status} {reason}".rstrip(), headers, protocol=protocol
        )
        warc_headers = {"WARC-Date": warc_date}
        if response.ip_address is not None:
            warc_headers["WARC-IP-Address"] = str(response.ip_address)
        if truncated:
            warc_headers["WARC-Truncated"] = truncated
        return self.archive.writer.builder.create_warc_record(
            request.url,
            "response",
            payload=BytesIO(body),
            length=len(body),
            http_headers=http_headers,
            warc_headers_dict=warc_headers,
        )


def _header_list(headers) -> list[tuple[str, str]]:
    out = []
    for name, values in headers.items():
        key = name.decode("latin-1")
        for value in values:
            out.append((key, value.decode("latin-1")))
    return out


def _archivable(url: str) -> bool:
    return url.startswith(("http://", "https://"))
