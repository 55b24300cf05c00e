"""Where archive files go once they are closed: the store contract shared by every store.

``crawler.archive.stores.open_store(ARCHIVE_URI)`` returns an :class:`ArchiveStore`. The WARC writer writes into
``store.spool_dir(crawl_id)`` and hands every closed file (WARC, CDXJ, manifest, articles) to
``store.submit(path, key)``, which never waits on the network:

- :class:`~crawler.archive.local.LocalStore` (``./archive``, ``/abs/path``, ``file:///path``) moves the file into place.
- :class:`~crawler.archive.s3.S3Store` (``s3://bucket/prefix``) keeps the file in a local spool laid
  out like the keys (``<spool>/<key>``, so a restart knows where each file goes) and a background
  thread uploads it, verifies it and only then deletes it.

Keys are relative to the store's root: ``warc/<crawl_id>/<name>.warc.gz``,
``cdxj/<crawl_id>/<name>.cdxj``, ``manifests/<crawl_id>.json``,
``articles/<crawl_id>/<name>.jsonl.gz``.

Settings (each read once, from a Scrapy ``Settings`` or any mapping): see :class:`StoreSettings`.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crawler.config import ConfigError, parse_size, with_defaults

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

MiB = 1 << 20
ARTICLE_URI_PREFIX = "urn:article:"  # the target of an article's metadata record


class ArchiveConfigError(ConfigError):
    """A problem the user can fix (setting, URI, credentials, bucket, endpoint): one clear line."""


def _number(value: Any, name: str, cast: type) -> Any:
    try:
        number = cast(value)
    except (TypeError, ValueError):
        raise ArchiveConfigError(f"setting {name}={value!r}: not a number") from None
    if number < 0:
        raise ArchiveConfigError(f"setting {name}={value!r}: must not be negative")
    return number


@dataclass(frozen=True)
class StoreSettings:
    """The archive store's settings (names and defaults in crawler/settings.py), read once."""

    #: ARCHIVE_SPOOL_DIR: local directory where files wait for upload to s3:// (unused for local).
    spool_dir: Path
    #: ARCHIVE_UPLOAD_MULTIPART_THRESHOLD: files at least this big are uploaded in parts.
    multipart_threshold: int
    #: ARCHIVE_UPLOAD_PART_SIZE: size of each part; uploader memory is bounded by it.
    part_size: int
    #: ARCHIVE_UPLOAD_CONCURRENCY: parts of one file in flight at once.
    concurrency: int
    #: ARCHIVE_UPLOAD_RETRIES: attempts after the first, per file, before it is left pending.
    retries: int
    #: ARCHIVE_UPLOAD_BACKOFF: first retry delay in seconds; doubles each attempt, with jitter.
    backoff: float
    #: ARCHIVE_UPLOAD_BACKOFF_MAX: longest delay between two attempts, in seconds.
    backoff_max: float
    #: ARCHIVE_UPLOAD_CLOSE_TIMEOUT: how long crawl end waits for queued uploads, in seconds.
    close_timeout: float
    #: ARCHIVE_S3_CONNECT_TIMEOUT: seconds to open a connection to the S3 endpoint.
    connect_timeout: float
    #: ARCHIVE_S3_READ_TIMEOUT: seconds to wait for an S3 response.
    read_timeout: float
    #: ARCHIVE_S3_CHECK_TIMEOUT: connect/read timeout of the start-up check (no retries there).
    check_timeout: float

    @classmethod
    def from_settings(
        cls, settings: Mapping[str, Any] | BaseSettings | None = None
    ) -> StoreSettings:
        """From Scrapy settings, or a mapping of overrides on the project's defaults."""
        settings = with_defaults(settings)

        def size(name: str) -> int:
            try:
                return parse_size(settings.get(name), name)
            except ConfigError as exc:
                raise ArchiveConfigError(str(exc)) from None

        config = cls(
            spool_dir=Path(settings.get("ARCHIVE_SPOOL_DIR")),
            multipart_threshold=size("ARCHIVE_UPLOAD_MULTIPART_THRESHOLD"),
            part_size=size("ARCHIVE_UPLOAD_PART_SIZE"),
            **{
                attr: _number(settings.get(name), name, cast)
                for attr, name, cast in (
                    ("concurrency", "ARCHIVE_UPLOAD_CONCURRENCY", int),
                    ("retries", "ARCHIVE_UPLOAD_RETRIES", int),
                    ("backoff", "ARCHIVE_UPLOAD_BACKOFF", float),
                    ("backoff_max", "ARCHIVE_UPLOAD_BACKOFF_MAX", float),
                    ("close_timeout", "ARCHIVE_UPLOAD_CLOSE_TIMEOUT", float),
                    ("connect_timeout", "ARCHIVE_S3_CONNECT_TIMEOUT", float),
                    ("read_timeout", "ARCHIVE_S3_READ_TIMEOUT", float),
                    ("check_timeout", "ARCHIVE_S3_CHECK_TIMEOUT", float),
                )
            },
        )
        if config.concurrency == 0:
            raise ArchiveConfigError("setting ARCHIVE_UPLOAD_CONCURRENCY=0: must be at least 1")
        if config.part_size < 5 * MiB:
            # S3 refuses parts under 5 MiB (all but the last), so a smaller setting cannot work.
            raise ArchiveConfigError(
                "setting ARCHIVE_UPLOAD_PART_SIZE: must be at least 5MB (S3's minimum)"
            )
        return config


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
    #: ``crawler.archive.repair.RepairedFile`` of each ``.open`` file a dead writer left
    repaired: list[Any] = field(default_factory=list)

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

    def closed_article_lines(self, crawl_id: str, writer: str) -> Iterator[str]:
        """The articles (JSON lines) in the ``metadata`` records of the closed WARCs that writer
        ``HOST-PID`` wrote for ``crawl_id``, found through their CDXJ, read one record at a time
        (from the spool or the store)."""
        from warcio.archiveiterator import ArchiveIterator  # noqa: PLC0415 - only after a crash

        for key in self.list(f"cdxj/{crawl_id}/"):
            name = key.rsplit("/", 1)[-1]
            if not name.endswith(f"-{writer}.cdxj"):
                continue
            warc_key = f"warc/{crawl_id}/{name.removesuffix('.cdxj')}.warc.gz"
            for line in self.read(key).decode("utf-8").splitlines():
                fields = json.loads(line.split(" ", 2)[2])
                if not fields.get("url", "").startswith(ARTICLE_URI_PREFIX):
                    continue
                blob = self.read_range(warc_key, int(fields["offset"]), int(fields["length"]))
                for record in ArchiveIterator(io.BytesIO(blob)):
                    yield record.content_stream().read().decode("utf-8")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.uri!r})"
