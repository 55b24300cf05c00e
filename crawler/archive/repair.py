"""Repair a WARC file a crash left open: keep every whole record, drop the torn tail.

(:func:`repair_open_jsonl_gz` does the same for the crawl's gzipped JSON Lines of articles.)

The writer puts each record in its own gzip member and names the file ``*.warc.gz.open`` until it is
closed. After a ``kill -9`` the file ends somewhere inside a member. A gzip member carries its own
CRC-32 and length, so a member that decompresses to its end is exactly what the writer wrote; each such
member is then parsed by warcio (digests checked) to be sure it is one valid record. The file is cut
after the last good member and renamed without ``.open``.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import socket
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import structlog
from warcio.archiveiterator import ArchiveIterator
from warcio.limitreader import LimitReader

from crawler.archive.cdxj import index_warc, write_index
from crawler.archive.store import files_under

log = structlog.get_logger(__name__)

OPEN_SUFFIX = ".open"
_CHUNK = 1 << 16
# Cap on decompressed bytes produced per zlib call, so a huge record never sits in memory.
_MAX_OUT = 1 << 20


def repair_open_warc(path: Path | str) -> Path | None:
    """Cut ``path`` (``X.warc.gz.open``) back to its last whole record and rename it ``X.warc.gz``.

    Returns the repaired file, or None when not one whole record remained (the file is removed).
    An existing ``X.warc.gz`` is never overwritten: the repaired file then gets a ``-repaired`` name.
    """
    path = Path(path)
    with open(path, "rb") as f:
        good_end = 0
        records = 0
        for start, end in _whole_gzip_members(f):
            if not _is_one_valid_record(f, start, end):
                break
            good_end, records = end, records + 1
    size = path.stat().st_size
    if records == 0:
        path.unlink()
        log.warning("warc.repair.empty", path=str(path), bytes_dropped=size)
        return None
    if good_end < size:
        with open(path, "r+b") as f:
            f.truncate(good_end)
            f.flush()
            os.fsync(f.fileno())
    target = _closed_name(path)
    os.replace(path, target)
    log.info(
        "warc.repaired",
        path=str(target),
        records=records,
        bytes_kept=good_end,
        bytes_dropped=size - good_end,
    )
    return target


def _closed_name(path: Path, suffix: str = ".warc.gz") -> Path:
    name = path.name.removesuffix(OPEN_SUFFIX)
    target = path.with_name(name)
    if target.exists():
        stem = name.removesuffix(suffix)
        target = path.with_name(f"{stem}-repaired{suffix}")
    return target


def _whole_gzip_members(f: BinaryIO) -> Iterator[tuple[int, int]]:
    """(start, end) byte ranges of the complete gzip members at the head of ``f``, in order.

    Stops at the first member that is cut short or corrupt (zlib checks its CRC and length).
    """
    f.seek(0)
    pos = 0  # file offset just after the bytes handed to zlib so far
    pending = b""  # bytes read but belonging to the next member
    while True:
        start = pos - len(pending)
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        data = pending
        pending = b""
        try:
            while not d.eof:
                if not data:
                    data = f.read(_CHUNK)
                    if not data:
                        return  # file ends inside this member (or cleanly, between members)
                    pos += len(data)
                d.decompress(data, _MAX_OUT)
                while d.unconsumed_tail and not d.eof:
                    d.decompress(d.unconsumed_tail, _MAX_OUT)
                data = b""
        except zlib.error:
            return
        pending = d.unused_data
        end = pos - len(pending)
        yield start, end
        f.seek(pos)


def _is_one_valid_record(f: BinaryIO, start: int, end: int) -> bool:
    """True if bytes [start, end) are exactly one WARC record that parses and passes its digests."""
    here = f.tell()
    try:
        f.seek(start)
        it = ArchiveIterator(LimitReader(f, end - start), check_digests=True)
        count = 0
        for record in it:
            count += 1
            stream = record.raw_stream
            while stream.read(_CHUNK):
                pass
            if record.digest_checker.passed is False:
                return False
        return count == 1
    except Exception:  # noqa: BLE001 - any parse failure: not a record we can keep
        return False
    finally:
        f.seek(here)


def repair_open_jsonl_gz(path: Path | str) -> Path | None:
    """Keep every whole line of ``X.jsonl.gz.open`` (a crash cut its gzip stream) in ``X.jsonl.gz``.

    A line is whole when its newline was written and it parses as JSON; reading stops at the first
    one that is not. Returns the repaired file, or None when no line was whole (the file is removed).
    """
    path = Path(path)
    target = _closed_name(path, ".jsonl.gz")
    partial = path.with_name(target.name + ".repairing")
    lines = 0
    with open(path, "rb") as src, gzip.open(partial, "wb") as out:
        for line in _whole_lines(src):
            try:
                json.loads(line)
            except ValueError:
                break
            out.write(line)
            lines += 1
    if lines == 0:
        partial.unlink()
        path.unlink()
        log.warning("jsonl.repair.empty", path=str(path))
        return None
    os.replace(partial, target)
    path.unlink()
    log.info("jsonl.repaired", path=str(target), lines=lines)
    return target


def _whole_lines(f: BinaryIO) -> Iterator[bytes]:
    """Lines (with their newline) of a gzip stream that may end anywhere; a cut tail is dropped."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    rest = b""
    try:
        while chunk := f.read(_CHUNK):
            rest += d.decompress(chunk)
            *whole, rest = rest.split(b"\n")
            for line in whole:
                yield line + b"\n"
            if d.eof:  # the writer closed its stream: whatever follows is not ours
                return
    except zlib.error:
        return


def writer_is_alive(path: Path) -> bool:
    """True if ``path`` is an ``.open`` file whose writer still runs: a WARC
    (``...-HOST-PID.warc.gz.open``) or the crawl's articles (``...-PID.jsonl.gz.open``).

    A crawl running beside this one must not have its open file cut from under it.
    """
    m = re.search(r"-(\d+)\.(warc(?:\.gz)?|jsonl\.gz)\.open$", path.name)
    if not m:
        return False
    if m.group(2).startswith("warc") and f"-{socket.gethostname()}-" not in path.name:
        return False  # written on another machine (a shared spool): its PID means nothing here
    pid = int(m.group(1))
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def repair_open_files(root: Path) -> list[Path]:
    """Repair every ``.open`` WARC or articles file a crash left under ``root``; returns the
    repaired files. Other ``.open`` files are left alone."""
    repaired = []
    for path in files_under(root):
        if writer_is_alive(path):
            continue
        if path.name.endswith(".warc.gz" + OPEN_SUFFIX):
            fixed = repair_open_warc(path)
            if fixed is not None:
                _index_repaired(fixed)
        elif path.name.endswith(".jsonl.gz" + OPEN_SUFFIX):
            fixed = repair_open_jsonl_gz(path)
        else:
            continue
        if fixed is not None:
            repaired.append(fixed)
    return repaired


def _index_repaired(warc: Path) -> None:
    """Give a repaired ``<root>/warc/<crawl>/<name>.warc.gz`` the index its killed writer never
    wrote, ``<root>/cdxj/<crawl>/<name>.cdxj``, so the archive's indexes cover every record."""
    crawl_dir = warc.parent
    if crawl_dir.parent.name != "warc":
        return
    stem = warc.name.removesuffix(".warc.gz")
    write_index(
        index_warc(warc), crawl_dir.parent.parent / "cdxj" / crawl_dir.name / f"{stem}.cdxj"
    )
