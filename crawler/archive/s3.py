"""An archive in an S3-compatible bucket (AWS S3, MinIO, SeaweedFS, Ceph, R2): ``s3://bucket/prefix``.

Credentials, region and endpoint come from boto3's default chain: ``AWS_ACCESS_KEY_ID`` /
``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE`` and the shared config files, ``AWS_ENDPOINT_URL`` for a
store that is not AWS. None of them is ever logged or written anywhere by this module.

Files wait in a local spool laid out like the keys (``<spool>/warc/<crawl_id>/<name>.warc.gz``), so
after a crash or an outage the spool alone says what goes where; a marker file records which archive
the spool belongs to. Uploading is :mod:`crawler.archive.uploader`'s job.
"""

from __future__ import annotations

import contextlib
import shutil
import threading
from pathlib import Path

import boto3
import structlog
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)

from crawler.archive.repair import OPEN_SUFFIX, recover_open_files, writer_is_alive
from crawler.archive.store import (
    ArchiveConfigError,
    ArchiveStore,
    PendingFile,
    StoredFile,
    StoreSettings,
    UploadSummary,
    check_key,
    files_under,
)
from crawler.archive.uploader import Uploader, UploadFailed, UploadJob
from crawler.redact import without_userinfo

log = structlog.get_logger(__name__)

MARKER = ".archive-uri"
CHECK_KEY = ".newsarchive-write-check"
_NOT_FOUND = ("404", "NoSuchKey", "NotFound")


class S3Store(ArchiveStore):
    """Spool locally, upload in the background, verify, then delete the local copy."""

    def __init__(self, bucket: str, prefix: str, config: StoreSettings | None = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.uri = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"
        self.config = config or StoreSettings.from_settings()
        self.spool_root = Path(self.config.spool_dir)
        try:
            self._session = boto3.session.Session()
            self.client = self._session.client(
                "s3",
                config=Config(
                    connect_timeout=self.config.connect_timeout,
                    read_timeout=self.config.read_timeout,
                    retries={"mode": "standard", "max_attempts": 3},
                    max_pool_connections=max(10, 2 * self.config.concurrency),
                ),
            )
        except ProfileNotFound as e:
            raise ArchiveConfigError(
                f"AWS_PROFILE: profile {e.kwargs.get('profile')!r} is not in the AWS config files"
            ) from None
        except BotoCoreError as e:
            raise ArchiveConfigError(
                f"ARCHIVE_URI={self.uri}: cannot set up S3 client: {e}"
            ) from None
        endpoint = self.client.meta.endpoint_url
        self.endpoint = without_userinfo(endpoint) if endpoint else "the default AWS endpoint"
        self._lock = threading.Lock()
        self._stored: list[StoredFile] = []
        self._uploader = Uploader(
            self.client,
            bucket,
            self.config,
            on_stored=self._record_stored,
            remove_empty_dirs_below=self.spool_root,
        )

    # -- start-up check -------------------------------------------------------------------------

    def check(self) -> None:
        """Credentials present and accepted, endpoint reachable, bucket there and writable."""
        if self._session.get_credentials() is None:
            raise ArchiveConfigError(
                f"ARCHIVE_URI={self.uri}: no AWS credentials found "
                "(set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)"
            )
        timeout = self.config.check_timeout
        client = self._session.client(
            "s3",
            config=Config(
                connect_timeout=timeout,
                read_timeout=timeout,
                retries={"mode": "standard", "max_attempts": 1},
            ),
        )
        try:
            client.list_objects_v2(Bucket=self.bucket, Prefix=self._object_key(""), MaxKeys=1)
            # Listing proves read access only; a read-only key would leave every file pending.
            probe = self._object_key(CHECK_KEY)
            client.put_object(Bucket=self.bucket, Key=probe, Body=b"newsarchive\n")
            # leave only archive files in the bucket; a write-once bucket may refuse this
            with contextlib.suppress(ClientError):
                client.delete_object(Bucket=self.bucket, Key=probe)
        except (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError):
            raise ArchiveConfigError(
                f"ARCHIVE_URI={self.uri}: cannot reach the S3 endpoint {self.endpoint} "
                f"(no answer within {timeout:g}s; check AWS_ENDPOINT_URL)"
            ) from None
        except (NoCredentialsError, PartialCredentialsError):
            raise ArchiveConfigError(
                f"ARCHIVE_URI={self.uri}: AWS credentials incomplete "
                "(set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)"
            ) from None
        except ClientError as e:
            raise ArchiveConfigError(self._client_error_line(e)) from None
        except BotoCoreError as e:
            raise ArchiveConfigError(f"ARCHIVE_URI={self.uri}: S3 check failed: {e}") from None
        self._check_spool_owner()

    def _client_error_line(self, e: ClientError) -> str:
        code = e.response.get("Error", {}).get("Code", "")
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        where = f"ARCHIVE_URI={self.uri} at {self.endpoint}"
        if code == "NoSuchBucket":
            return f"{where}: bucket {self.bucket!r} does not exist"
        if code in ("InvalidAccessKeyId", "InvalidClientTokenId"):
            return f"{where}: the access key is not known to the store (AWS_ACCESS_KEY_ID)"
        if code == "SignatureDoesNotMatch":
            return f"{where}: the secret key is wrong for this access key (AWS_SECRET_ACCESS_KEY)"
        if code in ("AccessDenied", "AllAccessDisabled") or status == 403:
            return f"{where}: access denied; the credentials need list and write on the bucket"
        if code in ("ExpiredToken", "TokenRefreshRequired", "RequestExpired"):
            return f"{where}: the credentials have expired"
        return f"{where}: S3 error {code or status}"

    def _check_spool_owner(self) -> None:
        marker = self.spool_root / MARKER
        if not marker.exists():
            return
        owner = marker.read_text().strip()
        if owner != self.uri and self._pending_files():
            raise ArchiveConfigError(
                f"ARCHIVE_SPOOL_DIR {self.spool_root} holds files waiting for {owner}: upload them "
                f"first (newsarchive upload --pending --archive {owner}) or set another "
                "ARCHIVE_SPOOL_DIR"
            )

    def _claim_spool(self) -> None:
        marker = self.spool_root / MARKER
        if not marker.exists() or marker.read_text().strip() != self.uri:
            self.spool_root.mkdir(parents=True, exist_ok=True)
            marker.write_text(self.uri + "\n")

    # -- writing --------------------------------------------------------------------------------

    def _object_key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _spool_path(self, key: str) -> Path:
        return self.spool_root / check_key(key)

    def spool_dir(self, crawl_id: str) -> Path:
        path = self.spool_root / "warc" / check_key(crawl_id)
        path.mkdir(parents=True, exist_ok=True)
        self._uploader.keep_dir(path)  # until close(): the writer opens each next WARC here
        self._claim_spool()
        return path

    def submit(self, local_path: Path, key: str) -> None:
        """Put the file at ``<spool>/<key>`` (if not there already) and queue its upload."""
        local_path = Path(local_path)
        target = self._spool_path(key)
        if local_path.resolve() != target.resolve():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(local_path, target)
        self._claim_spool()
        self._uploader.put(UploadJob(path=target, key=key, object_key=self._object_key(key)))

    def _record_stored(self, stored: StoredFile) -> None:
        with self._lock:
            self._stored.append(stored)

    def close(self, timeout: float | None = None) -> UploadSummary:
        """Wait (at most ``timeout`` s, else ARCHIVE_UPLOAD_CLOSE_TIMEOUT) for queued uploads."""
        self._uploader.close(self.config.close_timeout if timeout is None else timeout)
        self._uploader.release_dirs()
        with self._lock:
            summary = UploadSummary(uploaded=list(self._stored), pending=self._pending_files())
        if summary.pending:
            log.warning(
                "archive.pending",
                files=len(summary.pending),
                bytes=summary.pending_bytes,
                spool=str(self.spool_root),
                archive=self.uri,
            )
        return summary

    # -- what is left in the spool --------------------------------------------------------------

    def _pending_files(self) -> list[PendingFile]:
        pending = []
        for path in files_under(self.spool_root):
            if path.name.endswith(OPEN_SUFFIX) and writer_is_alive(path):
                continue  # being written by a running crawl
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                continue  # uploaded and removed while we looked
            key = path.relative_to(self.spool_root).as_posix()
            pending.append(PendingFile(key=key, path=path, bytes=size))
        return pending

    def pending(self) -> list[Path]:
        return [p.path for p in self._pending_files()]

    def upload_pending(self) -> UploadSummary:
        """Repair ``.open`` leftovers, then upload (verify, delete) every spooled file now.

        A file already in the bucket with the same SHA-256 is not sent again. Stops at the first
        file that fails every retry (the store is down); the rest stay pending.
        """
        repaired = recover_open_files(
            self.spool_root, self.closed_article_lines, indexed=self._index_exists
        )
        if repaired:
            log.info("archive.repaired_open_files", files=len(repaired))
        stored: list[StoredFile] = []
        self._uploader.assume_up()
        self._abort_orphan_multipart_uploads({p.key for p in self._pending_files()})
        for pending in self._pending_files():
            if pending.key.endswith(OPEN_SUFFIX):
                continue  # could not be repaired into a closed file (kept for inspection)
            job = UploadJob(pending.path, pending.key, self._object_key(pending.key))
            try:
                result = self._uploader.store(job, maybe_stored=True)
            except FileNotFoundError:
                continue
            except UploadFailed:
                break
            if result is not None:
                stored.append(result)
        summary = UploadSummary(uploaded=stored, pending=self._pending_files(), repaired=repaired)
        log.info(
            "archive.upload_pending.done",
            uploaded=len(stored),
            bytes=summary.uploaded_bytes,
            pending=len(summary.pending),
        )
        return summary

    def _index_exists(self, cdxj: Path) -> bool:
        """Whether a spooled WARC's CDXJ is in the spool or already in the bucket (a store that
        does not answer: no, and the WARC is indexed again, which costs a read, not a record)."""
        try:
            return self.exists(cdxj.relative_to(self.spool_root).as_posix())
        except (BotoCoreError, ClientError):
            return False

    def _abort_orphan_multipart_uploads(self, keys: set[str]) -> None:
        """Abort multipart uploads a crash left unfinished for files still in the spool.

        Their parts are invisible but stored (and billed) until aborted; the file goes up again
        whole. Only keys of this spool are touched: their names are unique to this machine.
        """
        if not keys:
            return
        strip = len(self._object_key(""))
        try:
            paginator = self.client.get_paginator("list_multipart_uploads")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self._object_key("")):
                for upload in page.get("Uploads") or []:
                    if upload["Key"][strip:] in keys:
                        self.client.abort_multipart_upload(
                            Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                        )
                        log.info("archive.multipart_aborted", key=upload["Key"][strip:])
        except (BotoCoreError, ClientError) as e:
            # Not every S3-compatible store lists uploads; the uploads themselves still work.
            log.warning("archive.multipart_list_failed", error=f"{type(e).__name__}: {e}")

    # -- reading --------------------------------------------------------------------------------

    def _get(self, key: str, range_header: str | None = None) -> bytes:
        kwargs = {"Bucket": self.bucket, "Key": self._object_key(key)}
        if range_header:
            kwargs["Range"] = range_header
        try:
            return self.client.get_object(**kwargs)["Body"].read()
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in _NOT_FOUND:
                raise FileNotFoundError(f"{self.uri}: no such key {key}") from None
            raise

    # A file not uploaded yet is read from the spool: the same bytes the object will hold.

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        spooled = self._spool_path(key)
        try:
            with open(spooled, "rb") as f:
                f.seek(offset)
                return f.read(length)
        except FileNotFoundError:
            pass
        if length <= 0:
            return b""
        return self._get(key, f"bytes={offset}-{offset + length - 1}")

    def read(self, key: str) -> bytes:
        try:
            return self._spool_path(key).read_bytes()
        except FileNotFoundError:
            return self._get(key)

    def exists(self, key: str) -> bool:
        if self._spool_path(key).is_file():
            return True
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._object_key(key))
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in _NOT_FOUND:
                return False
            raise
        return True

    def list(self, prefix: str = "") -> list[str]:
        """Keys under ``prefix``, in the bucket or still in the spool."""
        keys = {p.key for p in self._pending_files() if not p.key.endswith(OPEN_SUFFIX)}
        keys = {k for k in keys if k.startswith(prefix)}
        strip = len(self._object_key(""))
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self._object_key(prefix)):
            for obj in page.get("Contents", []):
                key = obj["Key"][strip:]
                if not key.rsplit("/", 1)[-1].startswith("."):
                    keys.add(key)
        return sorted(keys)
