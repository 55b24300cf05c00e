"""CDXJ index lines, in the form pywb and cdxj-indexer write them.

``SURT TIMESTAMP {"url", "mime", "status", "digest", "length", "offset", "filename"}``, one line per
response, revisit, resource or metadata record, sorted by SURT key and time so a reader can
binary-search a file.
"""

from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path

import surt
from warcio.archiveiterator import ArchiveIterator

INDEXED_TYPES = frozenset({"response", "revisit", "resource", "metadata"})
_SPACE = re.compile(r"[;\s]")


def index_line(record, *, offset: int, length: int, filename: str) -> str | None:
    """The CDXJ line for a warcio record written at ``offset`` (``length`` bytes) in ``filename``."""
    if record.rec_type not in INDEXED_TYPES:
        return None
    headers = record.rec_headers
    url = headers.get_header("WARC-Target-URI")
    fields: dict[str, str] = {"url": url}
    if record.rec_type == "revisit":
        fields["mime"] = "warc/revisit"
    elif record.rec_type == "response" and record.http_headers:
        fields["mime"] = _mime(record.http_headers.get_header("Content-Type"))
    else:
        fields["mime"] = _mime(headers.get_header("Content-Type"))
    if record.http_headers and record.rec_type in ("response", "revisit"):
        status = record.http_headers.get_statuscode()
        if status:
            fields["status"] = status
    digest = headers.get_header("WARC-Payload-Digest")
    if digest:
        fields["digest"] = digest
    fields.update(length=str(length), offset=str(offset), filename=filename)
    if not fields["mime"]:
        del fields["mime"]
    timestamp = warc_date_to_timestamp(headers.get_header("WARC-Date"))
    return f"{url_key(url)} {timestamp} {json.dumps(fields)}"


def warc_date_to_timestamp(warc_date: str) -> str:
    """``2026-11-28T16:58:04.451234Z`` -> ``20261128165804`` (warcio's parser rejects fractions)."""
    return re.sub(r"\D", "", warc_date)[:14].ljust(14, "0")


@functools.lru_cache(maxsize=4096)  # a page's response and its article's record share the URL
def url_key(url: str) -> str:
    try:
        return surt.surt(url)
    except Exception:  # noqa: BLE001 - surt rejects some odd URLs; pywb then indexes them verbatim too
        return url


def index_warc(path: Path) -> list[str]:
    """The CDXJ lines of every indexed record of a WARC file (for one no writer indexed: repaired)."""
    lines = []
    with open(path, "rb") as fh:
        records = ArchiveIterator(fh)
        for record in records:
            records.read_to_end(record)
            line = index_line(
                record,
                offset=records.get_record_offset(),
                length=records.get_record_length(),
                filename=path.name,
            )
            if line:
                lines.append(line)
    return lines


def write_index(lines: list[str], path: Path) -> None:
    """Write ``lines`` sorted, atomically (a reader never sees half a file).

    The temporary file is hidden (a leading dot: no spool scan uploads it) and named after the
    process, so two processes indexing one WARC after a crash never write into each other's."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.writelines(line + "\n" for line in sorted(lines))
    tmp.replace(path)


def _mime(content_type: str | None) -> str:
    if not content_type:
        return ""
    return _SPACE.split(content_type, 1)[0].strip().lower()
