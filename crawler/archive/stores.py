"""``open_store(ARCHIVE_URI)``: the archive store for a URI, local or S3-compatible.

The stores share their contract (:mod:`crawler.archive.store`); this module only chooses one, so
neither store imports the other and the contract imports neither.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.archive.local import LocalStore
from crawler.archive.store import ArchiveConfigError, ArchiveStore, StoreSettings
from crawler.redact import without_userinfo


def check_uri(uri: str | None) -> tuple[str, str, str]:
    """``("local", path, "")`` or ``("s3", bucket, prefix)`` for ``ARCHIVE_URI``; a URI that
    cannot work raises :class:`ArchiveConfigError` (without echoing any password in it)."""
    uri = (uri or "").strip()
    if not uri:
        raise ArchiveConfigError("ARCHIVE_URI is empty: give a directory or s3://bucket/prefix")
    if "://" not in uri:
        return "local", uri, ""
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme == "file":
        return "local", parts.path, ""
    if scheme == "s3":
        if not parts.netloc:
            raise ArchiveConfigError(f"ARCHIVE_URI={uri}: no bucket name (s3://bucket/prefix)")
        if parts.username or parts.password:
            raise ArchiveConfigError(
                "ARCHIVE_URI: credentials do not belong in the URI; use AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY or AWS_PROFILE"
            )
        return "s3", parts.netloc, parts.path.strip("/")
    raise ArchiveConfigError(
        f"ARCHIVE_URI={without_userinfo(uri)}: unsupported scheme {scheme!r} "
        "(use a directory or s3://bucket/prefix)"
    )


def open_store(
    uri: str, *, spool_dir: str | Path | None = None, settings: Mapping[str, Any] | Any = None
) -> ArchiveStore:
    """The store for ``uri`` (``ARCHIVE_URI``): a path, ``file:///path`` or ``s3://bucket/prefix``.

    ``spool_dir`` overrides ``ARCHIVE_SPOOL_DIR``. Nothing is contacted here: call ``check()``.
    """
    kind, location, prefix = check_uri(uri)
    uri = uri.strip()
    config = StoreSettings.from_settings(settings)
    if spool_dir is not None:
        config = replace(config, spool_dir=Path(spool_dir))
    if kind == "local":
        return LocalStore(location, uri=uri)
    from crawler.archive.s3 import S3Store  # noqa: PLC0415 - boto3 only when S3 is used

    return S3Store(location, prefix, config=config)
