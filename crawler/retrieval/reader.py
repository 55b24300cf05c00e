"""Reading a capture back: one ranged read of its record (local file or S3 ``Range`` request),
parsed with warcio; a revisit resolved to the record it refers to, as pywb does.

A revisit is replayed with its own HTTP headers when it has them (``identical-payload-digest``),
else with the original's (``server-not-modified``, stored without an HTTP block), and always with
the original's payload. The original is found in the index by payload digest, preferring the URL
and date the revisit names (``WARC-Refers-To-Target-URI`` / ``-Date``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser

from crawler.archive.store import ArchiveStore
from crawler.retrieval.index import ArchiveIndex


class RecordError(Exception):
    """A capture that cannot be read back; the message is one line for the user."""


@dataclass
class StoredRecord:
    """One record as stored: its WARC headers, the HTTP head bytes exactly as written (None for a
    record without an HTTP block), the parsed head, and the payload as stored."""

    rec_headers: StatusAndHeaders
    head: bytes | None
    http_headers: StatusAndHeaders | None
    payload: bytes

    @property
    def content_encoding(self) -> str | None:
        return self.http_headers.get_header("Content-Encoding") if self.http_headers else None


@dataclass
class Exchange:
    """What a capture replays as."""

    capture: dict  # the index row asked for
    original: dict  # the row the payload comes from (itself, unless a revisit)
    head: bytes  # the HTTP status line and headers replayed, byte for byte as stored
    payload: bytes  # as stored: Content-Encoding intact
    content_encoding: str | None  # of the stored payload

    def raw(self) -> bytes:
        """The HTTP response as the site sent it: status line, headers, stored payload."""
        return self.head + self.payload

    def headers(self) -> bytes:
        return self.head

    def body(self) -> bytes:
        """The payload as the site sent it, with its Content-Encoding removed (nothing else)."""
        encoding = (self.content_encoding or "").strip().lower()
        if not encoding or encoding == "identity":
            return self.payload
        if encoding not in BufferedReader.get_supported_decompressors():
            raise RecordError(
                f"cannot remove Content-Encoding {encoding!r} (use --raw for the bytes as stored)"
            )
        try:
            return BufferedReader(io.BytesIO(self.payload), decomp_type=encoding).read()
        except Exception as exc:  # noqa: BLE001 - zlib/brotli errors: a damaged or cut body
            raise RecordError(
                f"the stored body does not decode as {encoding} ({exc}); use --raw"
            ) from None


class RecordReader:
    """Reads captures of one archive store, resolving revisits through the index."""

    def __init__(self, store: ArchiveStore, index: ArchiveIndex) -> None:
        self.store = store
        self.index = index

    def record(self, row: dict) -> StoredRecord:
        """The record of an index row, from one ranged read."""
        try:
            blob = self.store.read_range(
                row["warc_key"], row["record_offset"], row["record_length"]
            )
        except FileNotFoundError:
            raise RecordError(
                f"{self.store.uri}: {row['warc_key']} is not in the archive"
            ) from None
        # no_record_parse: the block as stored, so the HTTP head is given back byte for byte
        for record in ArchiveIterator(io.BytesIO(blob), no_record_parse=True):
            block = record.raw_stream.read()
            content_type = record.rec_headers.get_header("Content-Type") or ""
            if not block or not content_type.startswith("application/http"):
                return StoredRecord(record.rec_headers, None, None, block)
            end = block.find(b"\r\n\r\n")
            head, payload = (block, b"") if end < 0 else (block[: end + 4], block[end + 4 :])
            parsed = _HTTP.parse(io.BytesIO(head))
            return StoredRecord(record.rec_headers, head, parsed, payload)
        raise RecordError(f"no WARC record at {row['warc_key']} offset {row['record_offset']}")

    def exchange(self, row: dict) -> Exchange:
        record = self.record(row)
        if row["record_type"] != "revisit":
            return Exchange(row, row, record.head or b"", record.payload, record.content_encoding)
        original_row = self.original_of(row)
        original = self.record(original_row)
        head = record.head or original.head or b""
        return Exchange(row, original_row, head, original.payload, original.content_encoding)

    def original_of(self, row: dict) -> dict:
        candidates = self.index.originals(row["digest"]) if row.get("digest") else []
        if not candidates:
            raise RecordError(
                f"revisit of {row['url']} at {row['timestamp']}: the capture it refers to "
                "is not in the index (newsarchive reindex)"
            )
        target = row.get("refers_to_url") or row["url"]
        when = row.get("refers_to_date")
        return min(
            candidates,
            key=lambda c: (
                c["url"] != target,
                bool(when) and c["timestamp"] != when,
                c["timestamp"] > row["timestamp"],
                c["timestamp"],
            ),
        )


_HTTP = StatusAndHeadersParser(["HTTP/1.0", "HTTP/1.1"], verify=False)
