"""What dedupe remembers between crawls, as typed operations on the shared crawl state.

Namespaces in ``crawler.state`` (SQLite or Redis, whichever the crawl uses):

- ``dedupe.archived``: canonical article URL -> when it was archived (skip re-fetching it);
- ``dedupe.validators``: canonical URL -> ``ETag`` / ``Last-Modified`` (conditional re-fetches);
- ``dedupe.payloads``: payload digest -> first capture with it (``revisit`` records point there);
- ``dedupe.captures``: canonical URL of a page fetched every crawl -> its last full capture
  (a ``304`` answer becomes a revisit record pointing there);
- ``dedupe.stories``: story id -> the story's first capture (near-duplicate grouping);
- ``dedupe.signatures``: canonical article URL -> story id and MinHash signature (the story index
  is rebuilt from these at start).

URL keys are canonical URLs (``crawler.urls.canonicalize_url``); callers canonicalize.

Entries that point at a record (payloads, captures) and article marks also say which process wrote
them and when (``_w``: ``{"by": "HOST-PID", "t": epoch}``, the ``HOST-PID`` of its WARC names), so
that after a crash the entries of the dead process whose records or articles did not survive can
be dropped (:meth:`DedupeState.forget_unwritten`, :meth:`DedupeState.forget_unexported`): a
revisit never points at a record that is not in a finished WARC, and an article that was never
exported is fetched again.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from crawler.config import ConfigError
from crawler.crawl_id import writer_id
from crawler.state import CrawlState, StateStore

NS_ARCHIVED = "dedupe.archived"
NS_VALIDATORS = "dedupe.validators"
NS_PAYLOADS = "dedupe.payloads"
NS_CAPTURES = "dedupe.captures"
NS_STORIES = "dedupe.stories"
NS_SIGNATURES = "dedupe.signatures"

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: Any, setting: str = "ARTICLE_RECRAWL_AFTER") -> timedelta | None:
    """``None``/empty/"never" -> None; seconds as a number; or "90s", "30m", "12h", "7d", "2w"."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "never")):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    match = _DURATION_RE.match(str(value))
    if not match:
        raise ConfigError(
            f"setting {setting}={value!r}: expected seconds or a number with s, m, h, d or w (e.g. 7d)"
        )
    return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()])


_WRITTEN_BY = "_w"


def _written() -> dict[str, Any]:
    return {"by": writer_id(), "t": time.time()}


def _public(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {k: v for k, v in value.items() if k != _WRITTEN_BY}


def _iso(when: datetime | str | None) -> str:
    if when is None:
        when = datetime.now(UTC)
    if isinstance(when, str):
        return when
    if when.tzinfo is None:  # a naive time here is the crawler's clock in UTC
        when = when.replace(tzinfo=UTC)
    return when.isoformat()


class DedupeState:
    """Typed dedupe operations over a ``StateStore``; cheap, share the crawler's via from_crawler."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    @classmethod
    def from_crawler(cls, crawler) -> DedupeState:
        return cls(CrawlState.from_crawler(crawler))

    # --- articles already archived ------------------------------------------------------------
    def mark_archived(self, canonical_url: str, when: datetime | None = None) -> None:
        self.store.put(NS_ARCHIVED, canonical_url, {"at": _iso(when), _WRITTEN_BY: _written()})

    def archived_at(self, canonical_url: str) -> datetime | None:
        value = self.store.get(NS_ARCHIVED, canonical_url)
        if isinstance(value, dict):  # else an ISO date, as earlier versions stored it
            value = value.get("at")
        return None if value is None else datetime.fromisoformat(value)

    def archived_recently(
        self, canonical_url: str, recrawl_after: timedelta | None, now: datetime | None = None
    ) -> bool:
        """Archived before, and ``recrawl_after`` (None: never) has not passed since."""
        when = self.archived_at(canonical_url)
        if when is None:
            return False
        if recrawl_after is None:
            return True
        return (now or datetime.now(UTC)) - when < recrawl_after

    # --- HTTP validators ----------------------------------------------------------------------
    def validators(self, url: str) -> dict[str, str | None]:
        """``{"etag": ..., "last_modified": ...}`` from the last 200 for ``url`` (None if unknown)."""
        value = self.store.get(NS_VALIDATORS, url) or {}
        return {"etag": value.get("etag"), "last_modified": value.get("last_modified")}

    def remember_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        if etag is None and last_modified is None:
            # the server stopped sending validators: don't send stale ones next time
            self.store.delete(NS_VALIDATORS, url)
            return
        self.store.put(
            NS_VALIDATORS,
            url,
            {"etag": etag, "last_modified": last_modified, _WRITTEN_BY: _written()},
        )

    # --- payload digests ----------------------------------------------------------------------
    def payload_seen(self, digest: str) -> dict[str, str] | None:
        """The first capture with this payload digest: ``{"record_id", "uri", "date"}``, or None."""
        return _public(self.store.get(NS_PAYLOADS, digest))

    def remember_payload(
        self, digest: str, record_id: str, uri: str, date: datetime | str | None
    ) -> bool:
        """Remember the capture of a new payload; the first capture wins. True if this one did."""
        return self.store.put_if_absent(
            NS_PAYLOADS,
            digest,
            {"record_id": record_id, "uri": uri, "date": _iso(date), _WRITTEN_BY: _written()},
        )

    # --- last full capture of a URL (server-not-modified revisits) ---------------------------
    def last_capture(self, url: str) -> dict[str, str] | None:
        """``{"record_id", "uri", "date", "digest"}`` of the last full capture of ``url``, or None."""
        return _public(self.store.get(NS_CAPTURES, url))

    def remember_capture(
        self, url: str, record_id: str, uri: str, date: datetime | str | None, digest: str
    ) -> None:
        """The record holding ``url``'s latest payload (for a revisit: the record it refers to)."""
        self.store.put(
            NS_CAPTURES,
            url,
            {
                "record_id": record_id,
                "uri": uri,
                "date": _iso(date),
                "digest": digest,
                _WRITTEN_BY: _written(),
            },
        )

    # --- after a crash ------------------------------------------------------------------------
    def forget_unwritten(self, writer: str, since: float, kept: set[str]) -> int:
        """Drop the payload and capture entries ``writer`` (a dead ``HOST-PID``) made from
        ``since`` (epoch seconds: when its last WARC was opened) whose record is not in ``kept``
        (the records its repair kept). A dropped capture's validators go too, so the page is
        fetched in full again. Returns how many entries were dropped."""
        dropped = 0
        for ns in (NS_PAYLOADS, NS_CAPTURES):
            for key, value in list(self.store.items(ns)):
                written = value.get(_WRITTEN_BY) if isinstance(value, dict) else None
                if not written or written.get("by") != writer or written.get("t", 0) < since:
                    continue
                if value.get("record_id") in kept:
                    continue
                self.store.delete(ns, key)
                if ns == NS_CAPTURES:
                    self.store.delete(NS_VALIDATORS, key)
                dropped += 1
        return dropped

    def forget_validators(self, writer: str) -> int:
        """Drop the validators ``writer`` (a dead ``HOST-PID``) stored: the links of the pages it
        fetched may not all have been followed, so those pages are fetched in full again (a
        ``304`` would hide their links). Returns how many were dropped."""
        dropped = 0
        for key, value in list(self.store.items(NS_VALIDATORS)):
            written = value.get(_WRITTEN_BY) if isinstance(value, dict) else None
            if written and written.get("by") == writer:
                self.store.delete(NS_VALIDATORS, key)
                dropped += 1
        return dropped

    def forget_unexported(self, writer: str, exported: set[str]) -> int:
        """Drop the article marks ``writer`` (a dead ``HOST-PID``) made for articles that are not
        in ``exported`` (canonical URLs of the articles it left), so they are fetched again.
        Returns how many marks were dropped."""
        dropped = 0
        for key, value in list(self.store.items(NS_ARCHIVED)):
            written = value.get(_WRITTEN_BY) if isinstance(value, dict) else None
            if written and written.get("by") == writer and key not in exported:
                self.store.delete(NS_ARCHIVED, key)
                dropped += 1
        return dropped

    # --- story index (pipelines.dedupe) -------------------------------------------------------
    def story(self, story_id: str) -> dict[str, Any] | None:
        return self.store.get(NS_STORIES, story_id)

    def add_story(self, story_id: str, first: dict[str, Any]) -> bool:
        """Record a story's first capture; first one wins. True if this call did."""
        return self.store.put_if_absent(NS_STORIES, story_id, first)

    def signature(self, canonical_url: str) -> dict[str, Any] | None:
        return self.store.get(NS_SIGNATURES, canonical_url)

    def remember_signature(self, canonical_url: str, story_id: str, hashvalues: str) -> None:
        """``hashvalues``: the MinHash values, encoded by the caller (with its scheme)."""
        self.store.put(NS_SIGNATURES, canonical_url, {"story": story_id, "h": hashvalues})

    def signatures(self) -> Iterator[tuple[str, dict[str, Any]]]:
        return self.store.items(NS_SIGNATURES)
