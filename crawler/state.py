"""Crawl state: what earlier crawls learned, kept between crawls.

Embedded by default (SQLite beside the archive, or under ``STATE_DIR`` when the archive is remote);
Redis when ``REDIS_URL`` is set. Values are JSON documents addressed by ``(namespace, key)``; the
components that use it (template learning, dedupe, conditional re-fetching) each own a namespace.

One state object is shared by every component of a crawl: ``CrawlState.from_crawler(crawler)``
returns the crawler's instance, creating it on first use and closing it when the spider closes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any, Iterator

from scrapy import signals

_CRAWLER_ATTR = "_newsarchive_state"


class CrawlState:
    """JSON values by (namespace, key) in SQLite. Safe to use from several threads."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS kv (ns TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
            " PRIMARY KEY (ns, key)) WITHOUT ROWID"
        )

    @classmethod
    def from_crawler(cls, crawler) -> CrawlState:
        state = getattr(crawler, _CRAWLER_ATTR, None)
        if state is None:
            state = cls(state_path(crawler.settings))
            setattr(crawler, _CRAWLER_ATTR, state)
            crawler.signals.connect(state.close, signal=signals.engine_stopped)
        return state

    def get(self, ns: str, key: str, default: Any = None) -> Any:
        with self._lock:
            row = self._db.execute(
                "SELECT value FROM kv WHERE ns=? AND key=?", (ns, key)
            ).fetchone()
        return default if row is None else json.loads(row[0])

    def put(self, ns: str, key: str, value: Any) -> None:
        data = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO kv (ns, key, value) VALUES (?, ?, ?)", (ns, key, data)
            )

    def delete(self, ns: str, key: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM kv WHERE ns=? AND key=?", (ns, key))

    def items(self, ns: str) -> Iterator[tuple[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT key, value FROM kv WHERE ns=?", (ns,)).fetchall()
        for key, value in rows:
            yield key, json.loads(value)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def state_path(settings) -> Path:
    """Where the embedded state lives: ``STATE_DIR`` if set, else beside a local archive."""
    state_dir = settings.get("STATE_DIR")
    if not state_dir:
        uri = settings.get("ARCHIVE_URI") or "./archive"
        state_dir = ".newsarchive" if "://" in uri else uri
    return Path(state_dir) / "state.sqlite"
