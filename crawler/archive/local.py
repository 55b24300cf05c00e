"""An archive in a local directory (``./archive``, ``/abs/path``, ``file:///path``).

Closed files are moved into ``<root>/<key>``; WARCs and article files are written in place, under
their ``.open`` names, so a crash leaves them where ``upload_pending`` repairs them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import structlog

from crawler.archive.repair import OPEN_SUFFIX, recover_open_files, writer_is_alive
from crawler.archive.store import (
    ArchiveConfigError,
    ArchiveStore,
    PendingFile,
    StoredFile,
    UploadSummary,
    check_key,
    files_under,
)

log = structlog.get_logger(__name__)


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
        """Repair ``.open`` leftovers in place (WARCs first, then articles, completed from the
        WARCs); they are then part of the archive."""
        repaired = [
            r
            for d in _WRITTEN_IN_PLACE
            for r in recover_open_files(self.root / d, self.closed_article_lines)
        ]
        stored = [
            StoredFile(
                key=r.path.relative_to(self.root).as_posix(),
                path=r.path,
                bytes=r.path.stat().st_size,
            )
            for r in repaired
            if r.path is not None
        ]
        return UploadSummary(uploaded=stored, pending=self._pending_files(), repaired=repaired)

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
