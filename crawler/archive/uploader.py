"""Upload closed archive files to S3 in a background thread: verified, retried, never lost.

One file at a time, in the order handed over; the parts of a big file go up in parallel through
boto3's transfer manager, which streams each part from the file (memory is bounded by part size and
concurrency, never by file size). Per file:

1. SHA-256 and size of the local file (streamed).
2. Upload with ``ChecksumAlgorithm=SHA256`` (the server checks each part) and object metadata
   ``sha256`` and ``size``; multipart from ``multipart_threshold`` on, ``part_size`` per part.
3. Verify with HEAD: size and metadata ``sha256`` equal the local file's (and the object's own
   SHA-256 checksum, when the server reports one for a single-part object).
4. Only then delete the local file.

A failed attempt is retried with exponential backoff and jitter. A file that still fails stays in
the spool; it is retried when a later upload succeeds (the store is back) and by ``upload_pending``.
Before re-sending a file that may already be up (a retry, or a file a crash left in the spool), the
object is checked first, so a file is never stored twice and never under another key.
"""

from __future__ import annotations

import base64
import hashlib
import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import structlog
from boto3.s3.transfer import TransferConfig, create_transfer_manager
from botocore.exceptions import BotoCoreError, ClientError

from crawler.archive.store import StoredFile, StoreSettings

log = structlog.get_logger(__name__)

_HASH_BLOCK = 1 << 20


class UploadAborted(Exception):
    """The uploader was told to stop while waiting to retry."""


class UploadFailed(Exception):
    """A file could not be stored after every retry; it stays in the spool."""


@dataclass(frozen=True)
class UploadJob:
    path: Path  # the spooled file
    key: str  # store key (relative to the store's prefix)
    object_key: str  # full key in the bucket


def file_sha256(path: Path) -> tuple[str, int]:
    """(hex SHA-256, size) of a file, read in blocks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while block := f.read(_HASH_BLOCK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def _error_text(exc: BaseException) -> str:
    # botocore messages name the operation, URL and error code, never the secret key.
    return f"{type(exc).__name__}: {exc}"


class Uploader:
    """Uploads :class:`UploadJob`s to one bucket, in a background thread or in the caller's."""

    def __init__(
        self,
        client,
        bucket: str,
        config: StoreSettings,
        *,
        on_stored: Callable[[StoredFile], None],
        remove_empty_dirs_below: Path | None = None,
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.config = config
        self._on_stored = on_stored
        self._spool_root = remove_empty_dirs_below
        # Directories a writer of this process still writes into (see keep_dir).
        self._kept_dirs: set[Path] = set()
        self._transfer_config = TransferConfig(
            multipart_threshold=config.multipart_threshold,
            multipart_chunksize=config.part_size,
            max_concurrency=config.concurrency,
            use_threads=True,
        )
        self._transfer_manager = None
        self._queue: queue.Queue[UploadJob | None] = queue.Queue()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._busy: set[Path] = set()  # files being uploaded right now (by any thread)
        self._failed: dict[Path, UploadJob] = {}
        self._retry: list[UploadJob] = []  # failed files to try again, before the queue
        self._current = None  # the transfer future in flight, to cancel at a hard stop
        self._thread: threading.Thread | None = None
        self._closed = False
        # Set when a file failed every retry, cleared by the next success: while the store is
        # down each further file gets one attempt, not a full backoff, so a long queue does not
        # hold up the end of the crawl for retries x files.
        self._down = False

    # -- background queue -----------------------------------------------------------------------

    def put(self, job: UploadJob) -> None:
        """Queue a file for the background thread (started on first use); returns at once."""
        with self._lock:
            if self._closed:
                raise RuntimeError("uploader is closed")
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="archive-uploader", daemon=True
                )
                self._thread.start()
        self._queue.put(job)

    def _next(self) -> UploadJob | None:
        # Files that failed earlier go first once the store answers again: also when the crawl is
        # closing and the end of the queue is already there behind them.
        with self._lock:
            if self._retry:
                return self._retry.pop(0)
        return self._queue.get()

    def _run(self) -> None:
        while (job := self._next()) is not None:
            if self._stop.is_set() or (self._closed and self._down) or not job.path.exists():
                # Hard stop, or crawl end with the store down: it stays spooled for the next
                # start. Or it was already stored by upload_pending.
                continue
            try:
                self.store(job)
            except (UploadFailed, UploadAborted):
                with self._lock:
                    self._failed[job.path] = job
                continue
            except FileNotFoundError:
                log.error("archive.upload.missing", key=job.key, path=str(job.path))
                continue
            except Exception:  # a bug must not kill the thread and strand the queue
                if not self._stop.is_set():  # else: the transfer was cancelled at a hard stop
                    log.exception("archive.upload.error", key=job.key, path=str(job.path))
                continue
            # The store answers again: give the files that failed earlier another go, before
            # anything queued after them (the end of the queue at close, too).
            with self._lock:
                self._retry.extend(self._failed.values())
                self._failed = {}

    def close(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for queued uploads; then stop. True if the queue drained."""
        with self._lock:
            self._closed = True
            thread = self._thread
        if thread is None:
            self._shutdown_transfer(cancel=False)
            return True
        # Files that failed every retry are not re-queued at the end: a dead store would only
        # repeat the same backoff; they are reported pending and go up at the next start.
        self._queue.put(None)
        thread.join(timeout)
        drained = not thread.is_alive()
        if not drained:
            self._stop.set()
            current = self._current
            if current is not None:
                current.cancel()
            thread.join(10)
        self._shutdown_transfer(cancel=not drained)
        return drained

    def _transfer(self):
        # Made on demand, so upload_pending() still works after close() shut the last one down.
        with self._lock:
            if self._transfer_manager is None:
                self._transfer_manager = create_transfer_manager(self.client, self._transfer_config)
            return self._transfer_manager

    def _shutdown_transfer(self, *, cancel: bool) -> None:
        with self._lock:
            manager, self._transfer_manager = self._transfer_manager, None
        if manager is not None:
            manager.shutdown(cancel=cancel)

    def keep_dir(self, path: Path) -> None:
        """Never remove ``path`` when it empties: a writer will open its next file there."""
        with self._lock:
            self._kept_dirs.add(path)

    def release_dirs(self) -> None:
        """The writers are done: remove the kept directories (and parents) that are empty."""
        with self._lock:
            kept, self._kept_dirs = self._kept_dirs, set()
        for path in sorted(kept, key=lambda p: len(p.parts), reverse=True):
            self._remove_empty_dirs(path)

    def assume_up(self) -> None:
        """Give the next file its full retries again (an explicit upload of pending files)."""
        self._down = False

    # -- one file -------------------------------------------------------------------------------

    def store(self, job: UploadJob, *, maybe_stored: bool = False) -> StoredFile | None:
        """Upload, verify and delete one file, retrying; raises UploadFailed if it cannot.

        ``maybe_stored``: the object may already be up (file left by an earlier run), so check
        before sending. Returns None if another thread is already storing this file.
        """
        with self._lock:
            if job.path in self._busy:
                return None
            self._busy.add(job.path)
        try:
            return self._store_with_retries(job, maybe_stored)
        finally:
            with self._lock:
                self._busy.discard(job.path)

    def _store_with_retries(self, job: UploadJob, maybe_stored: bool) -> StoredFile:
        cfg = self.config
        retries = 0 if self._down else cfg.retries
        attempt = 0
        while True:
            try:
                stored = self._store_once(job, check_first=maybe_stored or attempt > 0)
                self._down = False
                return stored
            except FileNotFoundError:
                raise  # the file itself is gone: nothing to retry
            except (BotoCoreError, ClientError, OSError, VerificationError) as e:
                if attempt >= retries:
                    self._down = True
                    log.error(
                        "archive.upload.failed",
                        key=job.key,
                        path=str(job.path),
                        attempts=attempt + 1,
                        error=_error_text(e),
                    )
                    raise UploadFailed(job.key) from e
                # Exponential backoff with "equal jitter": never less than half the step.
                step = min(cfg.backoff_max, cfg.backoff * 2**attempt)
                delay = step / 2 + random.uniform(0, step / 2)  # noqa: S311 - jitter, not a secret
                attempt += 1
                log.warning(
                    "archive.upload.retry",
                    key=job.key,
                    attempt=attempt,
                    delay=round(delay, 2),
                    error=_error_text(e),
                )
                if self._stop.wait(delay):
                    raise UploadAborted(job.key) from e

    def _store_once(self, job: UploadJob, *, check_first: bool) -> StoredFile:
        started = time.monotonic()
        sha256, size = file_sha256(job.path)
        if check_first and self._matches(job, sha256, size):
            log.info("archive.upload.already_stored", key=job.key, bytes=size, sha256=sha256)
        else:
            extra = {
                "ChecksumAlgorithm": "SHA256",
                "Metadata": {"sha256": sha256, "size": str(size)},
            }
            future = self._transfer().upload(str(job.path), self.bucket, job.object_key, extra)
            self._current = future
            try:
                future.result()
            finally:
                self._current = None
            self._verify(job, sha256, size)
        stored = StoredFile(key=job.key, path=job.path, bytes=size, sha256=sha256)
        self._remove_local(job.path)
        seconds = time.monotonic() - started
        log.info(
            "archive.uploaded",
            key=job.key,
            bytes=size,
            sha256=sha256,
            seconds=round(seconds, 3),
            mb_per_s=round(size / 1e6 / seconds, 1) if seconds > 0 else None,
        )
        self._on_stored(stored)
        return stored

    def _head(self, object_key: str) -> dict | None:
        try:
            return self.client.head_object(
                Bucket=self.bucket, Key=object_key, ChecksumMode="ENABLED"
            )
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def _matches(self, job: UploadJob, sha256: str, size: int) -> bool:
        head = self._head(job.object_key)
        return head is not None and _problem(head, sha256, size) is None

    def _verify(self, job: UploadJob, sha256: str, size: int) -> None:
        head = self._head(job.object_key)
        problem = "object missing after upload" if head is None else _problem(head, sha256, size)
        if problem:
            raise VerificationError(f"{job.key}: {problem}")

    def _remove_local(self, path: Path) -> None:
        path.unlink()
        self._remove_empty_dirs(path.parent)

    def _remove_empty_dirs(self, directory: Path) -> None:
        """Tidy emptied directories (warc/<crawl_id>/ ...) up to, never including, the spool root.

        A kept directory stays: the crawl's writer opens its next WARC there after a rotation,
        possibly after the upload of the last one emptied it.
        """
        if self._spool_root is None:
            return
        while directory != self._spool_root and self._spool_root in directory.parents:
            with self._lock:
                if directory in self._kept_dirs:
                    return
            try:
                directory.rmdir()
            except OSError:
                return
            directory = directory.parent


class VerificationError(Exception):
    """The stored object does not match the local file."""


def _problem(head: dict, sha256: str, size: int) -> str | None:
    """Why a HEAD response does not describe the local file, or None if it does."""
    if head.get("ContentLength") != size:
        return f"size {head.get('ContentLength')} != local {size}"
    stored = (head.get("Metadata") or {}).get("sha256")
    if stored != sha256:
        return f"metadata sha256 {stored} != local {sha256}"
    checksum = head.get("ChecksumSHA256")
    # A single-part object's checksum is the SHA-256 of the whole object: one more independent
    # check. A multipart one ("...-N") is a checksum of part checksums, checked part by part.
    if checksum and "-" not in checksum and base64.b64decode(checksum).hex() != sha256:
        return "object checksum differs from the local SHA-256"
    return None
