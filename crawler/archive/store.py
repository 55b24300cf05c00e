"""Archive stores (placeholder for the local store; replaced by the full local/S3 implementation)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path


class ArchiveConfigError(Exception):
    """A store a user configured wrongly; the message is one line."""


@dataclass
class UploadSummary:
    uploaded: list[str] = field(default_factory=list)
    pending: list[Path] = field(default_factory=list)


class LocalStore:
    def __init__(self, root: str | Path) -> None:
        self.uri = str(root)
        self.root = Path(root)

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / ".write-test"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise ArchiveConfigError(
                f"ARCHIVE_URI={self.uri}: cannot write there ({exc.strerror or exc})"
            ) from None

    def spool_dir(self, crawl_id: str) -> Path:
        return self.root / "warc" / crawl_id

    def submit(self, local_path: Path, key: str) -> None:
        dest = self.root / key
        if Path(local_path).resolve() != dest.resolve():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(local_path), dest)

    def close(self, timeout: float | None = None) -> UploadSummary:
        return UploadSummary()

    def pending(self) -> list[Path]:
        return []

    def upload_pending(self) -> UploadSummary:
        return UploadSummary()

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        with open(self.root / key, "rb") as fh:
            fh.seek(offset)
            return fh.read(length)

    def read(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def exists(self, key: str) -> bool:
        return (self.root / key).is_file()

    def list(self, prefix: str) -> list[str]:
        base = self.root
        out = []
        for dirpath, _, files in os.walk(base / prefix if (base / prefix).is_dir() else base):
            for f in files:
                key = str(Path(dirpath, f).relative_to(base))
                if key.startswith(prefix):
                    out.append(key)
        return sorted(out)


def open_store(uri: str, *, spool_dir=None, settings=None) -> LocalStore:
    if "://" in uri and not uri.startswith("file://"):
        raise ArchiveConfigError(f"ARCHIVE_URI={uri}: unsupported scheme")
    return LocalStore(uri.removeprefix("file://"))
