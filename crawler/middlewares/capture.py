"""Downloader middleware that writes every HTTP exchange of the crawl into the archive.

It sits closer to the downloader (950) than everything that changes requests and than the
decoders (HttpCompressionMiddleware 590, RedirectMiddleware 600), so it records robots.txt,
redirects, error pages and bodies exactly as the server sent them, Content-Encoding intact. Twisted
has already removed the chunked framing by then, so a ``Transfer-Encoding: chunked`` header is
replaced by the ``Content-Length`` of the stored body: the stored HTTP message stays self-consistent.

``DOWNLOAD_MAXSIZE`` is enforced here instead of in the download handler, so an over-size body is
archived cut at the limit and marked ``WARC-Truncated: length`` (then dropped, like Scrapy would).
The request's own limit is put back as soon as the answer is archived, so the decoders above
(HttpCompressionMiddleware) still stop a compressed body that expands past it (a gzip bomb).
The capture pointer of the final response is left in ``request.meta[CAPTURE]`` (see :mod:`crawler.meta`).

Records are built with the archive's warcio ``RecordBuilder`` and written through the crawl's
:class:`~crawler.extensions.archive.WarcArchive` extension.

Payload dedupe (``DEDUPE_REVISITS_ENABLED``, default on): a ``200`` whose payload digest the archive
already holds (this crawl or an earlier one, same URL or another; the crawl state remembers the
first capture of each digest) is written as a ``revisit`` record, profile
``identical-payload-digest``, with its HTTP headers and without the payload, pointing at that first
capture (``WARC-Refers-To``, ``WARC-Refers-To-Target-URI``, ``WARC-Refers-To-Date``). A ``304``
answer to a conditional request (``crawler.middlewares.refetch``) becomes a ``revisit`` record,
profile ``server-not-modified``, pointing at the last full capture of that URL; it carries the
payload digest of that capture and no HTTP block (see ``_not_modified_record`` for why).
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

from crawler.dedupe_state import DedupeState
from crawler.extensions.archive import WarcArchive
from crawler.meta import CAPTURE, CONDITIONAL, REFETCH
from crawler.urls import UrlCanonicalizer

log = structlog.get_logger(__name__)

_HOP_BY_HOP_FRAMING = b"transfer-encoding"
NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"


class WarcCaptureMiddleware:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.archive = WarcArchive.of(crawler)
        self.builder = self.archive.builder
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        self.revisits = crawler.settings.getbool("DEDUPE_REVISITS_ENABLED")
        self.state = DedupeState.from_crawler(crawler) if self.revisits else None
        self.canonicalize = UrlCanonicalizer.from_settings(crawler.settings)
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
        _restore_maxsize(request)
        body = response.body
        truncated = None
        if request.meta.get("_archive_truncated"):
            body = body[: request.meta["_archive_maxsize"]]
            truncated = "length"
        elif "dataloss" in response.flags or "partial" in response.flags:
            truncated = "disconnect"

        warc_date = datetime_to_iso_date(date.replace(tzinfo=None), use_micros=True)
        request_record = self._request_record(request, warc_date)
        record, original = self._capture_record(request, response, body, warc_date, truncated)
        record.rec_headers.add_header(
            "WARC-Concurrent-To", request_record.rec_headers.get_header("WARC-Record-ID")
        )
        _, location = self.archive.write(request_record, record)
        capture = location.as_dict()
        if original is not None:
            capture["revisit_of"] = {k: original[k] for k in ("record_id", "uri", "date")}
        request.meta[CAPTURE] = capture
        self.stats.inc_value("archive/exchanges")
        if self.state is not None and response.status == 200 and body and not truncated:
            self._remember(request, record, location, original)
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

    def process_exception(self, request: Request, exception: Exception) -> None:
        if request.meta.pop("_archive_date", None) is not None:
            _restore_maxsize(request)  # a retry or an errback sees the request as it came

    def _capture_record(self, request, response, body: bytes, warc_date: str, truncated):
        """The record for the answer, and the capture it refers to if it is a revisit."""
        if self.state is not None and not truncated:
            if response.status == 304 and request.meta.get(CONDITIONAL):
                original = self.state.last_capture(self._key(request.url))
                if original is not None:
                    self.stats.inc_value("archive/revisits/server_not_modified")
                    return self._not_modified_record(request, warc_date, original), original
                # validators from before this archive kept captures: store the 304 as it came
                self.stats.inc_value("archive/revisits/unresolved_304")
            elif response.status == 200 and body:
                record = self._response_record(request, response, body, warc_date, None)
                digest = record.rec_headers.get_header("WARC-Payload-Digest")
                original = self.state.payload_seen(digest)
                if original is None:
                    return record, None
                self.stats.inc_value("archive/revisits/identical_payload")
                self.stats.inc_value("archive/revisits/bytes_saved", len(body))
                revisit = self.builder.create_revisit_record(
                    request.url,
                    digest,
                    original["uri"],
                    original["date"],
                    http_headers=self._http_headers(response, body),
                    warc_headers_dict=self._warc_headers(response, warc_date, None),
                )
                revisit.rec_headers.add_header("WARC-Refers-To", original["record_id"])
                return revisit, original
        return self._response_record(request, response, body, warc_date, truncated), None

    def _not_modified_record(self, request, warc_date: str, original: dict):
        """A ``304`` as a server-not-modified revisit of ``original`` (the URL's last capture).

        The record says which capture the answer confirmed (``WARC-Refers-To*``) and carries that
        capture's payload digest, so a replay engine can find the payload by digest. It has no
        HTTP block: pywb (2.8) replays a revisit with the HTTP headers *of the revisit* when it
        has any, so the 304's own status line would be served instead of the page (and with a
        3xx status pywb does not even load the payload); with no block it uses the original's
        headers and payload, i.e. the page as it still is. What the 304 said is not lost: the
        request record holds the validators sent, and the original holds the same ETag and
        Last-Modified.
        """
        record = self.builder.create_revisit_record(
            request.url,
            original["digest"],
            original["uri"],
            original["date"],
            warc_headers_dict={"WARC-Date": warc_date},
        )
        record.rec_headers.replace_header("WARC-Profile", NOT_MODIFIED_PROFILE)
        record.rec_headers.add_header("WARC-Refers-To", original["record_id"])
        record.rec_headers.remove_header("Content-Type")  # an empty block has no type
        return record

    def _remember(self, request: Request, record, location, original: dict | None) -> None:
        """First capture of a new payload; last full capture of a page fetched every crawl."""
        headers = record.rec_headers
        digest = headers.get_header("WARC-Payload-Digest")
        if original is None:
            original = {"record_id": location.record_id, "uri": request.url, "date": location.date}
            self.state.remember_payload(digest, **original)
        if request.meta.get(REFETCH):
            self.state.remember_capture(self._key(request.url), digest=digest, **original)

    def _key(self, url: str) -> str:
        return self.canonicalize(url)

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
        return self.builder.create_warc_record(
            request.url,
            "request",
            payload=BytesIO(request.body),
            length=len(request.body),
            http_headers=http_headers,
            warc_headers_dict={"WARC-Date": warc_date},
        )

    def _response_record(self, request, response, body: bytes, warc_date: str, truncated):
        return self.builder.create_warc_record(
            request.url,
            "response",
            payload=BytesIO(body),
            length=len(body),
            http_headers=self._http_headers(response, body),
            warc_headers_dict=self._warc_headers(response, warc_date, truncated),
        )

    def _http_headers(self, response: Response, body: bytes) -> StatusAndHeaders:
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
        return StatusAndHeaders(f"{response.status} {reason}".rstrip(), headers, protocol=protocol)

    def _warc_headers(self, response: Response, warc_date: str, truncated) -> dict[str, str]:
        warc_headers = {"WARC-Date": warc_date}
        if response.ip_address is not None:
            warc_headers["WARC-IP-Address"] = str(response.ip_address)
        if truncated:
            warc_headers["WARC-Truncated"] = truncated
        return warc_headers


def _restore_maxsize(request: Request) -> None:
    """Give the request its own size limit back for the decoders above (see the module doc)."""
    request.meta["download_maxsize"] = request.meta["_archive_maxsize"]


def _header_list(headers) -> list[tuple[str, str]]:
    out = []
    for name, values in headers.items():
        key = name.decode("latin-1")
        for value in values:
            out.append((key, value.decode("latin-1")))
    return out


def _archivable(url: str) -> bool:
    return url.startswith(("http://", "https://"))
