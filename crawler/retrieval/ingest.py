"""Filling the index: the rows of one closed WARC, from its CDXJ lines plus a ranged read of each
record the CDXJ does not describe whole (a revisit's target, an article's JSON).

The crawl calls :func:`index_warc` as each WARC is closed and indexed (reading the file it just
wrote); ``newsarchive reindex`` calls :func:`reindex` to rebuild everything from the archive alone
(local or S3), reading the same records through the store. Both produce the same rows.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from warcio.archiveiterator import ArchiveIterator

from crawler.archive.cdxj import url_key, warc_date_to_timestamp
from crawler.archive.store import ARTICLE_URI_PREFIX, ArchiveStore
from crawler.retrieval.index import ArchiveIndex

ReadRecord = Callable[[int, int], bytes]  # (offset, length) -> the record's bytes


@dataclass
class IndexedWarc:
    warc_key: str
    captures: int
    articles: int


def warc_key_of(cdxj_key: str) -> str:
    """``cdxj/<crawl_id>/<name>.cdxj`` -> ``warc/<crawl_id>/<name>.warc.gz``."""
    _, crawl_id, name = cdxj_key.split("/", 2)
    return f"warc/{crawl_id}/{name.removesuffix('.cdxj')}.warc.gz"


def index_warc(
    index: ArchiveIndex, warc_key: str, cdxj_lines: list[str], read: ReadRecord
) -> IndexedWarc:
    """Add one WARC's captures and articles to ``index`` (in one transaction, row by row: an
    article's JSON and body are held only until inserted, not a whole WARC's at once)."""
    counts = {"capture": 0, "article": 0}

    def counted() -> Iterator[tuple[str, dict]]:
        for kind, row in rows(warc_key, cdxj_lines, read):
            counts[kind] += 1
            yield kind, row

    index.add_rows(counted())
    return IndexedWarc(warc_key, counts["capture"], counts["article"])


def rows(warc_key: str, cdxj_lines: list[str], read: ReadRecord) -> Iterator[tuple[str, dict]]:
    """``("capture", row)`` for each CDXJ line of one WARC, preceded by ``("article", row)``
    for an article's metadata record."""
    for line in cdxj_lines:
        if not line.strip():
            continue
        key, timestamp, raw = line.split(" ", 2)
        fields = json.loads(raw)
        url = fields.get("url", "")
        offset, length = int(fields["offset"]), int(fields["length"])
        row = {
            "urlkey": key,
            "timestamp": timestamp,
            "url": url,
            "mime": fields.get("mime"),
            "status": int(fields["status"]) if fields.get("status") else None,
            "digest": fields.get("digest"),
            "warc_key": warc_key,
            "record_offset": offset,
            "record_length": length,
            "record_type": "response",
        }
        if url.startswith(ARTICLE_URI_PREFIX):
            row["record_type"] = "metadata"
            record = _first_record(read(offset, length))
            payload = record.content_stream().read().decode("utf-8")
            yield "article", article_row(payload, warc_key, offset, length, timestamp)
        elif fields.get("mime") == "warc/revisit":
            row["record_type"] = "revisit"
            headers = _first_record(read(offset, length)).rec_headers
            row["refers_to_url"] = headers.get_header("WARC-Refers-To-Target-URI")
            date = headers.get_header("WARC-Refers-To-Date")
            row["refers_to_date"] = warc_date_to_timestamp(date) if date else None
        yield "capture", row


def article_row(payload: str, warc_key: str, offset: int, length: int, timestamp: str) -> dict:
    """The index row of an article ``metadata`` record (``payload``: its JSON, as exported)."""
    article = json.loads(payload)
    capture = article.get("capture") or {}
    captured = capture.get("date")
    stamp = warc_date_to_timestamp(captured) if captured else timestamp
    published = article.get("published") or ""
    day = published[:10] if len(published) >= 10 else f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}"
    tags = article.get("tags") or []
    authors = article.get("authors") or []
    return {
        "warc_key": warc_key,
        "record_offset": offset,
        "record_length": length,
        "timestamp": stamp,
        "url": article.get("url") or "",
        "final_url": article.get("final_url"),
        "title": article.get("title"),
        "authors": authors if isinstance(authors, list) else [authors],
        "published": article.get("published"),
        "day": day,
        "site": article.get("site"),
        "site_name": article.get("site_name"),
        "language": article.get("language"),
        "tags": tags if isinstance(tags, list) else [tags],
        "body": article.get("body"),
        "story_id": article.get("story_id"),
        "capture_file": capture.get("warc_file"),
        "capture_offset": capture.get("offset"),
        "record": payload,
    }


def _first_record(blob: bytes):
    for record in ArchiveIterator(io.BytesIO(blob)):
        return record
    raise ValueError("no WARC record at this offset")


def index_stored_warc(index: ArchiveIndex, store: ArchiveStore, cdxj_key: str) -> IndexedWarc:
    """The stored WARC of ``cdxj_key`` added to ``index``: its CDXJ read whole, its article and
    revisit records by ranged reads."""
    warc_key = warc_key_of(cdxj_key)
    lines = store.read(cdxj_key).decode("utf-8").splitlines()

    def read(offset: int, length: int) -> bytes:
        return store.read_range(warc_key, offset, length)

    return index_warc(index, warc_key, lines, read)


def reindex(index: ArchiveIndex, store: ArchiveStore) -> Iterator[IndexedWarc]:
    """Every WARC of the archive with a CDXJ file, added to ``index``; one result per WARC."""
    for cdxj_key in store.list("cdxj/"):
        if cdxj_key.endswith(".cdxj"):
            yield index_stored_warc(index, store, cdxj_key)


__all__ = [
    "IndexedWarc",
    "index_stored_warc",
    "index_warc",
    "reindex",
    "url_key",
    "warc_key_of",
]
