"""Rotating WARC writer: one gzip member per record, Heritrix-style names, ``.open`` while written.

Every file starts with a ``warcinfo`` record. Records of one exchange (request + response, or a
metadata record) are written together, so rotation never splits them across files, and a failed
write (a full disk) leaves none of them: the file is cut back to its last whole record. While bytes are
written, the writer keeps the file's SHA-256, its record counts and the CDXJ lines of its records;
when a file is closed (rotation or :meth:`close`) it is fsynced, renamed from ``.warc.gz.open`` to
``.warc.gz`` and handed, with that summary, to the ``on_closed`` callback (which stores it).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import structlog
from warcio.recordbuilder import RecordBuilder
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.archive.cdxj import index_line
from crawler.archive.repair import OPEN_SUFFIX, create_locked
from crawler.crawl_id import host_name

log = structlog.get_logger(__name__)


class _Gzip:
    """One gzip member per record, at ``level`` (warcio's own wrapper always compresses at 9:
    twice the CPU of zlib's default 6 for files ~1% smaller)."""

    def __init__(self, out, level: int) -> None:
        self.out = out
        self._compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)

    def write(self, data: bytes) -> None:
        self.out.write(self._compressor.compress(data))

    def flush(self) -> None:
        self.out.write(self._compressor.flush())
        self.out.flush()


class _GzipWARCWriter(WARCWriter):
    """warcio's writer, each record compressed at the archive's gzip level."""

    def __init__(self, filebuf, level: int, **kwargs) -> None:
        super().__init__(filebuf, gzip=False, **kwargs)  # compressed here, not by warcio
        self.level = level

    def _write_warc_record(self, out, record):
        return super()._write_warc_record(_Gzip(out, self.level), record)


@dataclass
class RecordLocation:
    """Where a record landed: enough for a ranged read of exactly that record."""

    filename: str
    offset: int
    length: int
    record_id: str
    date: str

    def as_dict(self) -> dict:
        return {
            "warc_file": self.filename,
            "offset": self.offset,
            "length": self.length,
            "record_id": self.record_id,
            "date": self.date,
        }


@dataclass
class ClosedWarc:
    """A finished WARC file and what it holds."""

    path: Path
    name: str
    size: int
    sha256: str
    records: dict[str, int]
    cdxj_lines: list[str] = field(repr=False)


class WireHeaders(StatusAndHeaders):
    """An HTTP message head written back as the bytes that came: Latin-1, the way the capture
    decoded them.

    warcio writes HTTP headers as ASCII: it percent-encodes every other character of a value (the
    archive would no longer hold what the server sent) and fails on one in a name (the exchange
    would not be archived at all). Text no server can send (a character above U+00FF, put there by
    code) keeps warcio's ASCII form.
    """

    def compute_headers_buffer(self, header_filter=None) -> None:
        try:
            self.headers_buff = self.to_bytes(header_filter, "iso-8859-1")
        except UnicodeEncodeError:
            super().compute_headers_buffer(header_filter)


def _as_sent(record) -> None:
    """Give ``record`` HTTP headers that are written byte for byte (see :class:`WireHeaders`)."""
    head = record.http_headers
    if head is not None and not isinstance(head, WireHeaders):
        record.http_headers = WireHeaders(
            head.statusline, head.headers, head.protocol, head.total_len
        )


class _CountingFile:
    """The file being written: hashes and counts every byte, and writes the records of one
    ``RotatingWarcWriter.write`` all together or not at all (warcio only ever appends).

    Bytes wait in memory until :meth:`flush`, which writes them straight to the file descriptor.
    If that fails (disk full, I/O error) the file is cut back to its last whole record and the
    error raised: a WARC on disk never ends in a torn record while its writer is alive.
    """

    def __init__(self, path: Path) -> None:
        # Locked while open: a repair in another process knows the file is being written.
        self._fh = create_locked(path)
        self.sha256 = hashlib.sha256()
        self.size = 0  # bytes on disk
        self._pending = bytearray()

    def write(self, data: bytes) -> int:
        self._pending += data
        return len(data)

    def tell(self) -> int:
        return self.size + len(self._pending)

    def flush(self) -> None:
        data, self._pending = memoryview(bytes(self._pending)), bytearray()
        fd = self._fh.fileno()
        written = 0
        try:
            while written < len(data):
                written += os.write(fd, data[written:])
        except OSError:
            os.ftruncate(fd, self.size)
            raise
        self.sha256.update(data)
        self.size += len(data)

    def discard(self) -> None:
        """Forget what was written since the last flush (it failed to be built or written)."""
        self._pending = bytearray()

    def sync(self) -> None:
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self.sync()
        self._fh.close()


class RotatingWarcWriter:
    """Writes warcio records into a series of WARC files in ``directory``."""

    def __init__(
        self,
        directory: Path,
        *,
        prefix: str,
        max_size: int,
        gzip_level: int = 6,
        warcinfo: dict[str, str] | None = None,
        on_closed: Callable[[ClosedWarc], None] | None = None,
        builder: RecordBuilder | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.max_size = max_size
        self.gzip_level = gzip_level
        self.warcinfo = dict(warcinfo or {})
        self.on_closed = on_closed
        self.builder = builder or RecordBuilder(warc_version="WARC/1.1")
        self._serial = self._next_serial()
        self._host = host_name()
        self._file: _CountingFile | None = None
        self._writer: WARCWriter | None = None
        self._name = ""
        self._records: Counter[str] = Counter()
        # The current file's CDXJ lines, kept on disk until it closes (about 1 KB a page, up to
        # tens of MB for a 1 GB WARC): a file without a name, gone with the process.
        self._cdxj: IO[bytes] | None = None
        self.bytes_written = 0  # over all files, for progress lines

    def write(self, *records) -> list[RecordLocation]:
        """Append ``records`` (warcio ArcWarcRecords) to the current file, in order, together."""
        file, writer = self._file, self._writer
        if file is None or writer is None:
            file, writer = self._open()
        before = (self._records.copy(), self._cdxj.tell(), self.bytes_written)
        try:
            locations = self._write(file, writer, records)
            file.flush()
        except BaseException:
            # Nothing of this exchange is in the file (see _CountingFile.flush), nor counted.
            file.discard()
            self._records, self.bytes_written = before[0], before[2]
            self._cdxj.seek(before[1])
            self._cdxj.truncate()
            raise
        if file.tell() >= self.max_size:
            self.close()
        return locations

    def _write(self, file: _CountingFile, writer: WARCWriter, records) -> list[RecordLocation]:
        locations = []
        for record in records:
            _as_sent(record)
            offset = file.tell()
            writer.write_record(record)
            length = file.tell() - offset
            self.bytes_written += length
            self._records[record.rec_type] += 1
            line = index_line(record, offset=offset, length=length, filename=self._name)
            if line:
                self._cdxj.write(line.encode("utf-8") + b"\n")
            headers = record.rec_headers
            locations.append(
                RecordLocation(
                    filename=self._name,
                    offset=offset,
                    length=length,
                    record_id=headers.get_header("WARC-Record-ID"),
                    date=headers.get_header("WARC-Date"),
                )
            )
        return locations

    def close(self) -> ClosedWarc | None:
        """Close the current file (if any) and hand it on. Safe to call twice."""
        if self._file is None:
            return None
        self._file.sync()
        open_path = self.directory / (self._name + OPEN_SUFFIX)
        final = self.directory / self._name
        open_path.rename(final)  # renamed while still locked: never an unlocked .open file
        self._file.close()
        self._cdxj.seek(0)
        closed = ClosedWarc(
            path=final,
            name=self._name,
            size=self._file.size,
            sha256=self._file.sha256.hexdigest(),
            records=dict(self._records),
            cdxj_lines=self._cdxj.read().decode("utf-8").splitlines(),
        )
        self._cdxj.close()
        self._file = self._writer = self._cdxj = None
        self._records = Counter()
        log.info(
            "warc.closed", file=closed.name, bytes=closed.size, records=sum(closed.records.values())
        )
        if self.on_closed:
            self.on_closed(closed)
        return closed

    def _open(self) -> tuple[_CountingFile, WARCWriter]:
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")[:17]
        self._serial += 1
        # `upload --pending` in another process may have removed the emptied directory meanwhile
        self.directory.mkdir(parents=True, exist_ok=True)
        self._name = f"{self.prefix}-{stamp}-{self._serial:05d}-{self._host}-{os.getpid()}.warc.gz"
        path = self.directory / (self._name + OPEN_SUFFIX)
        file = _CountingFile(path)
        writer = _GzipWARCWriter(file, self.gzip_level, warc_version=self.builder.warc_version)
        try:
            writer.write_record(self.builder.create_warcinfo_record(self._name, self.warcinfo))
            file.flush()
            cdxj = tempfile.TemporaryFile(dir=self.directory)  # noqa: SIM115 - closed in close()
        except BaseException:
            # not even its warcinfo fits (disk full): no file rather than one without it
            file.close()
            path.unlink(missing_ok=True)
            self._serial -= 1
            raise
        self._file, self._writer, self._cdxj = file, writer, cdxj
        self.bytes_written += file.tell()
        self._records["warcinfo"] += 1
        log.info("warc.opened", file=self._name)
        return file, writer

    def _next_serial(self) -> int:
        """Continue the serial numbers of files already in the directory (a resumed crawl)."""
        serials = []
        for path in self.directory.glob(f"{self.prefix}-*.warc.gz*"):
            parts = path.name[len(self.prefix) + 1 :].split("-")
            if len(parts) > 1 and parts[1].isdigit():
                serials.append(int(parts[1]))
        return max(serials, default=0)
