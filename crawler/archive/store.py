"""Where archive files go once they are closed: a local directory or an S3-compatible bucket.

``open_store(ARCHIVE_URI)`` returns an :class:`ArchiveStore`. The WARC writer writes into
``store.spool_dir(crawl_id)`` and hands every closed file (WARC, CDXJ, manifest, articles) to
``store.submit(path, key)``, which never waits on the network:

- :class:`LocalStore` (``./archive``, ``/abs/path``, ``file:///path``) moves the file into place.
- :class:`~crawler.archive.s3.S3Store` (``s3://bucket/prefix``) keeps the file in a local spool laid
  out like the keys (``<spool>/<key>``, so a restart knows where each file goes) and a background
  thread uploads it, verifies it and only then deletes it.

Keys are relative to the store's root: ``warc/<crawl_id>/<name>.warc.gz``,
``cdxj/<crawl_id>/<name>.cdxj``, ``manifests/<crawl_id>.json``,
``articles/<crawl_id>/<name>.jsonl.gz``.

Settings (each read once, from a Scrapy ``Settings`` or any mapping): see :class:`StoreSettings`.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import structlog

from crawler.archive.repair import OPEN_SUFFIX, repair_open_jsonl_gz, repair_open_warc

log = structlog.get_logger(__name__)

DEFAULT_SPOOL_DIR = ".newsarchive/spool"
MiB = 1 << 20


class ArchiveConfigError(Exception):
    """A problem the user can fix (setting, URI, credentials, bucket, endpoint): one clear line."""


# -- settings ---------------------------------------------------------------------------------


_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$", re.IGNORECASE)


def parse_size(value: Any, name: str) -> int:
    """Bytes from an int or a string like ``16MB`` / ``16MiB`` / ``1.5G`` (binary multiples)."""
    if isinstance(value, int):
        size = value
    else:
        m = _SIZE_RE.match(str(value))
        if not m:
            raise ArchiveConfigError(f"{name}={value!r}: not a size (use bytes or e.g. 16MB)")
        size = int(float(m.group(1)) * 1024 ** " kmgt".index(m.group(2).lower() or " "))
    if size <= 0:
        raise ArchiveConfigError(f"{name}={value!r}: must be more than 0")
    return size


def _number(value: Any, name: str, cast: type) -> Any:
    try:
        number = cast(value)
    except (TypeError, ValueError):
        raise ArchiveConfigError(f"{name}={value!r}: not a number") from None
    if number < 0:
        raise ArchiveConfigError(f"{name}={value!r}: must not be negative")
    return number


@dataclass(frozen=True)
class StoreSettings:
    """The archive store's settings, with their defaults (names as in crawler/settings.py)."""

    #: ARCHIVE_SPOOL_DIR: local directory where files wait for upload to s3:// (unused for local).
    spool_dir: Path = Path(DEFAULT_SPOOL_DIR)
    #: ARCHIVE_UPLOAD_MULTIPART_THRESHOLD: files at least this big are uploaded in parts.
    multipart_threshold: int = 8 * MiB
    #: ARCHIVE_UPLOAD_PART_SIZE: size of each part; uploader memory is bounded by it.
    part_size: int = 8 * MiB
    #: ARCHIVE_UPLOAD_CONCURRENCY: parts of one file in flight at once.
    concurrency: int = 8
    #: ARCHIVE_UPLOAD_RETRIES: attempts after the first, per file, before it is left pending.
    retries: int = 5
    #: ARCHIVE_UPLOAD_BACKOFF: first retry delay in seconds; doubles each attempt, with jitter.
    backoff: float = 1.0
    #: ARCHIVE_UPLOAD_BACKOFF_MAX: longest delay between two attempts, in seconds.
    backoff_max: float = 60.0
    #: ARCHIVE_UPLOAD_CLOSE_TIMEOUT: how long crawl end waits for queued uploads, in seconds.
    close_timeout: float = 600.0
    #: ARCHIVE_S3_CONNECT_TIMEOUT: seconds to open a connection to the S3 endpoint.
    connect_timeout: float = 10.0
    #: ARCHIVE_S3_READ_TIMEOUT: seconds to wait for an S3 response.
    read_timeout: float = 60.0
    #: ARCHIVE_S3_CHECK_TIMEOUT: connect/read timeout of the start-up check (no retries there).
    check_timeout: float = 5.0

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | Any | None) -> StoreSettings:
        if settings is None:
            return cls()

        def get(name: str) -> Any:
            value = settings.get(name)
            return None if value in (None, "") else value

        kwargs: dict[str, Any] = {}
        if (v := get("ARCHIVE_SPOOL_DIR")) is not None:
            kwargs["spool_dir"] = Path(v)
        for attr, name in (
            ("multipart_threshold", "ARCHIVE_UPLOAD_MULTIPART_THRESHOLD"),
            ("part_size", "ARCHIVE_UPLOAD_PART_SIZE"),
        ):
            if (v := get(name)) is not None:
                kwargs[attr] = parse_size(v, name)
        for attr, name, cast in (
            ("concurrency", "ARCHIVE_UPLOAD_CONCURRENCY", int),
            ("retries", "ARCHIVE_UPLOAD_RETRIES", int),
            ("backoff", "ARCHIVE_UPLOAD_BACKOFF", float),
            ("backoff_max", "ARCHIVE_UPLOAD_BACKOFF_MAX", float),
            ("close_timeout", "ARCHIVE_UPLOAD_CLOSE_TIMEOUT", float),
            ("connect_timeout", "ARCHIVE_S3_CONNECT_TIMEOUT", float),
            ("read_timeout", "ARCHIVE_S3_READ_TIMEOUT", float),
            ("check_timeout", "ARCHIVE_S3_CHECK_TIMEOUT", float),
        ):
            if (v := get(name)) is not None:
                kwargs[attr] = _number(v, name, cast)
        if kwargs.get("concurrency") == 0:
            raise ArchiveConfigError("ARCHIVE_UPLOAD_CONCURRENCY=0: must be at least 1")
        if kwargs.get("part_size", cls.part_size) < 5 * MiB:
            # S3 refuses parts under 5 MiB (all but the last), so a smaller setting cannot work.
            raise ArchiveConfigError(
                "ARCHIVE_UPLOAD_PART_SIZE: must be at least 5MB (S3's minimum)"
            )
        return cls(**kwargs)


# -- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredFile:
    """A file now safely in the store."""

    key: str
    path: Path  # where it was handed over (gone from there, for a remote store)
    bytes: int
    sha256: str | None = None  # verified SHA-256 (remote stores); None for a local move


@dataclass(frozen=True)
class PendingFile:
    """A closed file still waiting in the spool; ``key`` is where it will go."""

    key: str
    path: Path
    bytes: int


@dataclass
class UploadSummary:
    """What was stored and what is still pending, e.g. for the end-of-crawl summary."""

    uploaded: list[StoredFile] = field(default_factory=list)
    pending: list[PendingFile] = field(default_factory=list)

    @property
    def uploaded_bytes(self) -> int:
        return sum(f.bytes for f in self.uploaded)

    @property
    def pending_bytes(self) -> int:
        return sum(f.bytes for f in self.pending)

    @property
    def complete(self) -> bool:
        """True when nothing is left waiting in the spool."""
        return not self.pending


# -- the interface ----------------------------------------------------------------------------


def check_key(key: str) -> str:
    """A store key: relative, '/'-separated, no '.' or '..' parts."""
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"invalid archive key: {key!r}")
    return key


def files_under(root: Path) -> list[Path]:
    """Every regular file below ``root`` (sorted), skipping dot-files such as the spool marker."""
    if not root.is_dir():
        return []
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found += [Path(dirpath, n) for n in sorted(filenames) if not n.startswith(".")]
    return found


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
    from crawler.archive.cdxj import index_warc, write_index

    crawl_dir = warc.parent
    if crawl_dir.parent.name != "warc":
        return
    stem = warc.name.removesuffix(".warc.gz")
    write_index(
        index_warc(warc), crawl_dir.parent.parent / "cdxj" / crawl_dir.name / f"{stem}.cdxj"
    )


class ArchiveStore:
    """Base of the stores; see the module docstring for the contract."""

    uri: str

    def check(self) -> None:
        raise NotImplementedError

    def spool_dir(self, crawl_id: str) -> Path:
        raise NotImplementedError

    def submit(self, local_path: Path, key: str) -> None:
        raise NotImplementedError

    def close(self, timeout: float | None = None) -> UploadSummary:
        raise NotImplementedError

    def pending(self) -> list[Path]:
        raise NotImplementedError

    def upload_pending(self) -> UploadSummary:
        raise NotImplementedError

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        raise NotImplementedError

    def read(self, key: str) -> bytes:
        raise NotImplementedError

    def exists(self, key: str) -> bool:
        raise NotImplementedError

    def list(self, prefix: str = "") -> list[str]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.uri!r})"


# Directories of a local archive where crawls write ``.open`` files in place.
_WRITTEN_IN_PLACE = ("warc", "articles")


class LocalStore(ArchiveStore):
    """An archive in a local directory: files are moved into ``<root>/<key>``."""

    def __init__(self, root: str | Path, uri: str | None = None) -> None:
        self.root = Path(root)
        self.uri = uri or str(root)
        self._stored: list[StoredFile] = []

    def check(self) -> None:
        probe = self.root / ".newsarchive-write-check"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe.write_bytes(b"ok")
            probe.unlink()
        except OSError as e:
            raise ArchiveConfigError(
                f"ARCHIVE_URI={self.uri}: cannot write to {self.root}: {e.strerror or e}"
            ) from None

    def spool_dir(self, crawl_id: str) -> Path:
        path = self.root / "warc" / check_key(crawl_id)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def submit(self, local_path: Path, key: str) -> None:
        local_path = Path(local_path)
        target = self._path(key)
        size = local_path.stat().st_size
        if local_path.resolve() != target.resolve():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(local_path, target)  # a rename on one filesystem, else copy + delete
        self._stored.append(StoredFile(key=key, path=local_path, bytes=size))
        log.debug("archive.stored", key=key, bytes=size, root=str(self.root))

    def close(self, timeout: float | None = None) -> UploadSummary:
        return UploadSummary(uploaded=list(self._stored), pending=self._pending_files())

    def _pending_files(self) -> list[PendingFile]:
        return [
            PendingFile(key=p.relative_to(self.root).as_posix(), path=p, bytes=p.stat().st_size)
            for d in _WRITTEN_IN_PLACE
            for p in files_under(self.root / d)
            if p.name.endswith(OPEN_SUFFIX) and not writer_is_alive(p)
        ]

    def pending(self) -> list[Path]:
        """``.open`` files a crash left behind (a local store has nothing else to wait for)."""
        return [p.path for p in self._pending_files()]

    def upload_pending(self) -> UploadSummary:
        """Repair ``.open`` leftovers in place; they are then part of the archive."""
        stored = [
            StoredFile(key=p.relative_to(self.root).as_posix(), path=p, bytes=p.stat().st_size)
            for d in _WRITTEN_IN_PLACE
            for p in repair_open_files(self.root / d)
        ]
        return UploadSummary(uploaded=stored, pending=self._pending_files())

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        with open(self._path(key), "rb") as f:
            f.seek(offset)
            return f.read(length)

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str = "") -> list[str]:
        base = self.root / prefix.rsplit("/", 1)[0] if "/" in prefix else self.root
        keys = (p.relative_to(self.root).as_posix() for p in files_under(base))
        return sorted(k for k in keys if k.startswith(prefix) and not k.endswith(OPEN_SUFFIX))


def open_store(
    uri: str, *, spool_dir: str | Path | None = None, settings: Mapping[str, Any] | Any = None
) -> ArchiveStore:
    """The store for ``uri`` (``ARCHIVE_URI``): a path, ``file:///path`` or ``s3://bucket/prefix``.

    ``spool_dir`` overrides ``ARCHIVE_SPOOL_DIR``. Nothing is contacted here: call ``check()``.
    """
    uri = (uri or "").strip()
    if not uri:
        raise ArchiveConfigError("ARCHIVE_URI is empty: give a directory or s3://bucket/prefix")
    config = StoreSettings.from_settings(settings)
    if spool_dir is not None:
        config = StoreSettings(**{**config.__dict__, "spool_dir": Path(spool_dir)})
    if "://" not in uri:
        return LocalStore(uri, uri=uri)
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme == "file":
        return LocalStore(parts.path, uri=uri)
    if scheme == "s3":
        if not parts.netloc:
            raise ArchiveConfigError(f"ARCHIVE_URI={uri}: no bucket name (s3://bucket/prefix)")
        if parts.username or parts.password:
            raise ArchiveConfigError(
                "ARCHIVE_URI: credentials do not belong in the URI; use AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY or AWS_PROFILE"
            )
        from crawler.archive.s3 import S3Store  # boto3 is only imported when S3 is used

        return S3Store(parts.netloc, parts.path.strip("/"), config=config)
    shown = f"{scheme}://{parts.hostname or ''}{parts.path}"  # never echo a password
    raise ArchiveConfigError(
        f"ARCHIVE_URI={shown}: unsupported scheme {scheme!r} (use a directory or s3://bucket/prefix)"
    )
