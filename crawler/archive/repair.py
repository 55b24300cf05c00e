"""Repair a WARC file a crash left open: keep every whole record, drop the torn tail.

(:func:`repair_open_jsonl_gz` does the same for the crawl's gzipped JSON Lines of articles.)

The writer puts each record in its own gzip member and names the file ``*.warc.gz.open`` until it is
closed. After a ``kill -9`` the file ends somewhere inside a member. A gzip member carries its own
CRC-32 and length, so a member that decompresses to its end is exactly what the writer wrote; each such
member is then parsed by warcio (digests checked) to be sure it is one valid record. The file is cut
after the last good member and renamed without ``.open``.

Whose file is it? A writer holds an exclusive ``flock`` on its ``.open`` file for as long as it
runs (:func:`create_locked`); the kernel drops the lock the moment the process dies, before its
parent reaps it, so a killed writer's file is free even while the process is a zombie. A repair
takes the same lock first, so two processes never repair one file, and a file whose writer still
runs is never cut. A file nobody holds is still left alone when the PID in its name is a live,
not dying process on this host (a writer that does not lock); a dying one (a zombie, or a
``SIGKILL`` not yet delivered because it is inside a system call) is waited for.
"""

from __future__ import annotations

import errno
import fcntl
import gzip
import json
import os
import re
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import structlog
from warcio.archiveiterator import ArchiveIterator
from warcio.limitreader import LimitReader

from crawler.archive.cdxj import index_warc, write_index
from crawler.archive.store import ARTICLE_URI_PREFIX, files_under
from crawler.crawl_id import host_name, writer_id

log = structlog.get_logger(__name__)

OPEN_SUFFIX = ".open"
_CHUNK = 1 << 16
# Cap on decompressed bytes produced per zlib call, so a huge record never sits in memory.
_MAX_OUT = 1 << 20
# How long a repair waits for a killed writer that has not finished dying (seconds).
DYING_WRITER_WAIT = 15.0
_SIGKILL_BIT = 1 << (9 - 1)
_WARC_NAME = re.compile(r"-(\d{17})-\d+-(.+)-(\d+)\.warc\.gz(?:\.open)?$")
_ARTICLES_NAME = re.compile(r"-(\d+)\.jsonl\.gz(?:\.open)?$")


@dataclass
class RepairedFile:
    """What the repair of one ``.open`` file kept: enough to finish the crawl state's side.

    ``path`` is the closed file (None: nothing whole was left, the file is gone). ``writer`` is
    the dead writer's ``HOST-PID`` (``None`` for an articles file, whose name has only the PID);
    ``opened`` when its WARC was created (from the name); ``record_ids`` the records that survived;
    ``articles`` the JSON lines of the articles it holds (metadata records, or lines).
    """

    open_path: Path
    path: Path | None
    kind: str  # "warc" | "articles"
    crawl_id: str
    pid: int
    writer: str | None = None
    opened: datetime | None = None
    record_ids: set[str] = field(default_factory=set)
    articles: list[str] = field(default_factory=list)


def repair_open_warc(path: Path | str) -> Path | None:
    """Cut ``path`` (``X.warc.gz.open``) back to its last whole record and rename it ``X.warc.gz``.

    Returns the repaired file, or None when not one whole record remained (the file is removed).
    An existing ``X.warc.gz`` is never overwritten: the repaired file then gets a ``-repaired`` name.
    """
    return _repair_warc(Path(path), set(), [])


def _repair_warc(path: Path, record_ids: set[str], articles: list[str]) -> Path | None:
    """:func:`repair_open_warc`, collecting the kept records' ids and article payloads."""
    with open(path, "rb") as f:
        good_end = 0
        records = 0
        for start, end in _whole_gzip_members(f):
            if not _is_one_valid_record(f, start, end, record_ids, articles):
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


def _is_one_valid_record(
    f: BinaryIO,
    start: int,
    end: int,
    record_ids: set[str] | None = None,
    articles: list[str] | None = None,
) -> bool:
    """True if bytes [start, end) are exactly one WARC record that parses and passes its digests.

    A valid record's id goes into ``record_ids``, an exported article's JSON into ``articles``.
    """
    here = f.tell()
    try:
        f.seek(start)
        it = ArchiveIterator(LimitReader(f, end - start), check_digests=True)
        count = 0
        record_id = article = None
        for record in it:
            count += 1
            headers = record.rec_headers
            record_id = headers.get_header("WARC-Record-ID")
            is_article = record.rec_type == "metadata" and (
                headers.get_header("WARC-Target-URI") or ""
            ).startswith(ARTICLE_URI_PREFIX)
            stream = record.raw_stream
            body = []
            while chunk := stream.read(_CHUNK):
                if is_article:
                    body.append(chunk)
            if record.digest_checker.passed is False:
                return False
            if is_article:
                article = b"".join(body).decode("utf-8")
        if count != 1:
            return False
        if record_ids is not None and record_id:
            record_ids.add(record_id)
        if articles is not None and article is not None:
            articles.append(article)
        return True
    except Exception:  # noqa: BLE001 - any parse failure: not a record we can keep
        return False
    finally:
        f.seek(here)


def repair_open_jsonl_gz(path: Path | str) -> Path | None:
    """Keep every whole line of ``X.jsonl.gz.open`` (a crash cut its gzip stream) in ``X.jsonl.gz``.

    A line is whole when its newline was written and it parses as JSON; reading stops at the first
    one that is not. Returns the repaired file, or None when no line was whole (the file is removed).
    """
    return _repair_jsonl(Path(path), [], ())


def _repair_jsonl(path: Path, kept: list[str], more: Iterable[str]) -> Path | None:
    """:func:`repair_open_jsonl_gz`, then the lines of ``more`` not kept (articles the WARCs hold
    whose lines the crash cut from this file's gzip buffer); ``kept`` gets every line written."""
    target = _closed_name(path, ".jsonl.gz")
    partial = path.with_name("." + target.name + ".repairing")  # a dot-file: never uploaded
    cut = added = 0
    with open(path, "rb") as src, gzip.open(partial, "wb") as out:
        seen = set()
        for line in _whole_lines(src):
            try:
                json.loads(line)
            except ValueError:
                break
            out.write(line)
            text = line.decode("utf-8").rstrip("\n")
            seen.add(text)
            kept.append(text)
            cut += 1
        for text in more:
            if text not in seen:
                out.write(text.encode("utf-8") + b"\n")
                seen.add(text)
                kept.append(text)
                added += 1
    if cut + added == 0:
        partial.unlink()
        path.unlink()
        log.warning("jsonl.repair.empty", path=str(path))
        return None
    os.replace(partial, target)
    path.unlink()
    log.info("jsonl.repaired", path=str(target), lines=cut + added, recovered_from_warc=added)
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


def create_locked(path: Path) -> BinaryIO:
    """Create ``path`` (which must not exist) for writing, holding its writer's lock from the
    first moment it is visible under that name; the lock lasts until the file is closed or the
    process dies."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.new")  # a dot-file: no one looks at it
    f = open(tmp, "xb")  # noqa: SIM115 - the caller closes it
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.link(tmp, path)  # fails if path exists, like "xb"
    except BaseException:
        f.close()
        tmp.unlink(missing_ok=True)
        raise
    tmp.unlink()
    return f


def _try_lock(path: Path) -> int | None:
    """An fd holding ``path``'s writer lock, or None while another open file holds it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        os.close(fd)
        if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return None
        if e.errno == errno.ENOLCK:  # a filesystem without locks: the PID alone decides
            return os.open(path, os.O_RDONLY)
        raise
    return fd


def _named_pid(path: Path) -> int | None:
    """The PID in an ``.open`` file's name if it ran on this host (else None)."""
    m = re.search(r"-(\d+)\.(warc(?:\.gz)?|jsonl\.gz)\.open$", path.name)
    if not m:
        return None
    if m.group(2).startswith("warc") and f"-{host_name()}-" not in path.name:
        return None  # written on another machine (a shared spool): its PID means nothing here
    return int(m.group(1))


def _process_state(pid: int) -> str:
    """``gone``, ``dying`` (a zombie, or SIGKILL pending) or ``running``."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return "gone"
    except PermissionError:
        pass
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "running"  # no /proc: trust kill(0)
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    if fields.get("State", "").strip().startswith(("Z", "X")):
        return "dying"
    for name in ("SigPnd", "ShdPnd"):
        try:
            if int(fields.get(name, "0").strip(), 16) & _SIGKILL_BIT:
                return "dying"
        except ValueError:
            pass
    return "running"


def _process_start(pid: int) -> float | None:
    """When process ``pid`` started (epoch seconds, to about a second), or None if unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        ticks = int(stat.rsplit(")", 1)[1].split()[19])
        boot = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
    except (OSError, ValueError, IndexError, StopIteration):
        return None
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def _may_be_writer(pid: int, path: Path) -> bool:
    """True if ``pid`` runs and may have written ``path``: a process that started after the file
    was last written is not its writer, but another one that got the PID (or a restart in a
    container, where a crawl is often PID 1 every time)."""
    if _process_state(pid) != "running":
        return False
    started = _process_start(pid)
    try:
        written = path.stat().st_mtime
    except FileNotFoundError:
        return False
    return started is None or started <= written + 2  # /proc's boot time has 1 s resolution


def claim_dead_writer(path: Path, wait: float = DYING_WRITER_WAIT) -> int | None:
    """Take the writer lock of a crash's ``.open`` file: an fd to close once the file is repaired,
    or None if its writer still runs. A writer that is dying is waited for (up to ``wait`` s)."""
    pid = _named_pid(path)
    deadline = time.monotonic() + wait
    while True:
        fd = _try_lock(path)
        if fd is not None:  # no open file holds the lock
            if pid is not None and _may_be_writer(pid, path):
                os.close(fd)  # a live writer that does not lock
                return None
            return fd
        if pid is None or pid == os.getpid() or time.monotonic() > deadline:
            return None  # held: its writer runs
        if _process_state(pid) == "running":
            return None
        time.sleep(0.05)  # held by a writer that is dying: its kernel side ends soon


def writer_is_alive(path: Path) -> bool:
    """True if ``path`` is an ``.open`` file whose writer still runs: a WARC
    (``...-HOST-PID.warc.gz.open``) or the crawl's articles (``...-PID.jsonl.gz.open``).

    A crawl running beside this one must not have its open file cut from under it.
    """
    if not re.search(r"\.(warc(?:\.gz)?|jsonl\.gz)\.open$", path.name):
        return False
    fd = claim_dead_writer(path, wait=0)
    if fd is None:
        return path.exists()
    os.close(fd)
    return False


def repair_open_files(root: Path) -> list[Path]:
    """Repair every ``.open`` WARC or articles file a crash left under ``root``; returns the
    repaired files. Other ``.open`` files are left alone."""
    return [r.path for r in recover_open_files(root) if r.path is not None]


ArticleSource = Callable[[str, str], Iterable[str]]


def recover_open_files(
    root: Path,
    closed_articles: ArticleSource | None = None,
    indexed: Callable[[Path], bool] | None = None,
) -> list[RepairedFile]:
    """Repair every ``.open`` file of a dead writer under ``root``: WARCs first (cut, indexed),
    then articles files, completed with the articles the same writer put into its WARCs
    (``metadata`` records) but whose lines its gzip buffer lost. ``closed_articles(crawl_id,
    "HOST-PID")`` gives the article lines of that writer's WARCs that were closed before the crash
    (they may be in the store already). Files whose writer runs are left alone.

    Before that, a WARC the crash caught between its close and its CDXJ gets its index (see
    :func:`index_closed_warcs`; ``indexed`` says whether a CDXJ path exists, in the store too):
    those WARCs come back as repaired files with nothing cut and no writer."""
    unindexed = index_closed_warcs(root, indexed)
    claimed: list[tuple[Path, int]] = []
    try:
        for path in files_under(root):
            if path.name.endswith((".warc.gz" + OPEN_SUFFIX, ".jsonl.gz" + OPEN_SUFFIX)):
                fd = claim_dead_writer(path)
                if fd is not None:
                    claimed.append((path, fd))
        warcs = [_recover_warc(p) for p, _ in claimed if p.name.endswith(".warc.gz" + OPEN_SUFFIX)]
        articles = [
            _recover_articles(p, warcs, closed_articles)
            for p, _ in claimed
            if p.name.endswith(".jsonl.gz" + OPEN_SUFFIX)
        ]
    finally:
        for _, fd in claimed:
            os.close(fd)
    return unindexed + [r for r in warcs + articles if r is not None]


def _cdxj_path(warc: Path) -> Path | None:
    """``<root>/cdxj/<crawl>/<name>.cdxj`` for ``<root>/warc/<crawl>/<name>.warc.gz``."""
    crawl_dir = warc.parent
    if crawl_dir.parent.name != "warc":
        return None
    stem = warc.name.removesuffix(".warc.gz")
    return crawl_dir.parent.parent / "cdxj" / crawl_dir.name / f"{stem}.cdxj"


def index_closed_warcs(
    root: Path, indexed: Callable[[Path], bool] | None = None
) -> list[RepairedFile]:
    """Give every closed WARC under ``root`` that has no CDXJ the index its writer never wrote.

    A writer closes a WARC (renames it from ``.open``), then writes its CDXJ: a kill between the
    two leaves a whole WARC that nothing indexes, and whose articles a repair of the same
    writer's articles file could not find. Such a WARC is complete (synced before the rename), so
    it is indexed as it is. ``indexed(cdxj_path)`` (default: the file exists) may also ask the
    store, where an uploaded CDXJ no longer sits in the spool. A CDXJ an earlier version wrote
    beside its WARC is moved to where it belongs.
    """
    indexed = indexed or Path.exists
    done = []
    for warc in files_under(root):
        if not warc.name.endswith(".warc.gz") or (cdxj := _cdxj_path(warc)) is None:
            continue
        beside = warc.with_name(warc.name.removesuffix(".warc.gz") + ".cdxj")
        if beside.exists():
            if cdxj.exists():
                beside.unlink()
            else:
                cdxj.parent.mkdir(parents=True, exist_ok=True)
                beside.replace(cdxj)
        if indexed(cdxj):
            continue
        m = _WARC_NAME.search(warc.name)
        pid = int(m.group(3)) if m else 0
        try:
            with open(warc, "rb") as fh:
                if fh.read(2) != b"\x1f\x8b":  # every record a gzip member: not one of ours
                    raise ValueError("not a gzipped WARC")
            write_index(index_warc(warc), cdxj)
        except Exception as exc:  # noqa: BLE001 - unreadable: left as it is, said once
            log.error("warc.index_failed", path=str(warc), error=f"{type(exc).__name__}: {exc}")
            continue
        log.info("warc.indexed_after_crash", path=str(warc))
        done.append(RepairedFile(warc, warc, "warc", warc.parent.name, pid))
    return done


def _recover_warc(path: Path) -> RepairedFile | None:
    m = _WARC_NAME.search(path.name)
    record_ids: set[str] = set()
    articles: list[str] = []
    fixed = _repair_warc(path, record_ids, articles)
    if fixed is not None:
        _index_repaired(fixed)
    if m is None:
        return RepairedFile(path, fixed, "warc", path.parent.name, 0, record_ids=record_ids)
    opened = datetime.strptime(m.group(1), "%Y%m%d%H%M%S%f").replace(tzinfo=UTC)
    return RepairedFile(
        open_path=path,
        path=fixed,
        kind="warc",
        crawl_id=path.parent.name,
        pid=int(m.group(3)),
        writer=f"{m.group(2)}-{m.group(3)}",
        opened=opened,
        record_ids=record_ids,
        articles=articles,
    )


def _recover_articles(
    path: Path, warcs: list[RepairedFile], closed_articles: ArticleSource | None
) -> RepairedFile:
    m = _ARTICLES_NAME.search(path.name)
    pid = int(m.group(1)) if m else 0
    crawl_id = path.parent.name
    writer = writer_id(pid)

    def from_warcs() -> Iterator[str]:
        if closed_articles is not None:
            try:
                yield from closed_articles(crawl_id, writer)
            except Exception as exc:  # noqa: BLE001 - the store is down: keep what the file holds
                log.warning("jsonl.repair.closed_warcs_unreadable", path=str(path), error=str(exc))
        for warc in warcs:
            if warc.crawl_id == crawl_id and warc.pid == pid:
                yield from warc.articles

    kept: list[str] = []
    fixed = _repair_jsonl(path, kept, from_warcs())
    return RepairedFile(path, fixed, "articles", crawl_id, pid, writer=writer, articles=kept)


def _index_repaired(warc: Path) -> None:
    """Give a repaired ``<root>/warc/<crawl>/<name>.warc.gz`` the index its killed writer never
    wrote, ``<root>/cdxj/<crawl>/<name>.cdxj``, so the archive's indexes cover every record."""
    cdxj = _cdxj_path(warc)
    if cdxj is not None:
        write_index(index_warc(warc), cdxj)
