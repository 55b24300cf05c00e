"""Crawl state: what earlier crawls learned, kept between crawls.

Embedded by default (SQLite beside the archive, or under ``STATE_DIR`` when the archive is remote);
Redis when ``REDIS_URL`` is set, so several crawl processes share it (keys under
``STATE_REDIS_PREFIX``, default ``newsarchive``: one hash per namespace, ``PREFIX:state:NS``);
PostgreSQL when ``STATE_URL=postgresql://...`` is set (one table, ``crawl_state``), whatever
``REDIS_URL`` says (the frontier stays on Redis then).
Values are JSON documents addressed by ``(namespace, key)``; the components that use it (template
learning, dedupe, conditional re-fetching) each own a namespace.

One state object is shared by every component of a crawl: ``CrawlState.from_crawler(crawler)``
returns the crawler's instance (SQLite or Redis, chosen by ``open_state``), creating it on first
use and closing it when the engine stops. Both backends have the same methods: ``get``, ``put``,
``put_if_absent``, ``delete``, ``items``, ``count``, ``close``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from scrapy import signals

from crawler.config import ConfigError
from crawler.redact import redact_url

_CRAWLER_ATTR = "_newsarchive_state"

# A Redis restart (failover, upgrade, crash) must not cost a crawl its pages: each command waits
# this long for Redis to answer again (refused or dropped connections, Redis loading its data),
# backing off from 50 ms to 1 s between attempts. The reactor waits meanwhile: without Redis
# there is no frontier and no state to work from.
REDIS_RECONNECT_SECONDS = 60.0


def redis_retry():
    """The redis-py ``Retry`` of every Redis client of a crawl (see REDIS_RECONNECT_SECONDS)."""
    from redis.backoff import ExponentialBackoff  # noqa: PLC0415 - only needed with REDIS_URL
    from redis.retry import Retry  # noqa: PLC0415

    # 0.05 + 0.1 + ... + 0.8 s, then 1 s per attempt
    return Retry(ExponentialBackoff(cap=1.0, base=0.05), int(REDIS_RECONNECT_SECONDS) + 5)


class CrawlStateError(ConfigError):
    """The configured state store cannot be used; the message names the setting and the cause."""


class StateStore(Protocol):
    def get(self, ns: str, key: str, default: Any = None) -> Any: ...
    def put(self, ns: str, key: str, value: Any) -> None: ...
    def put_if_absent(self, ns: str, key: str, value: Any) -> bool: ...
    def delete(self, ns: str, key: str) -> None: ...
    def items(self, ns: str) -> Iterator[tuple[str, Any]]: ...
    def count(self, ns: str) -> int: ...
    def close(self) -> None: ...


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class CrawlState:
    """JSON values by (namespace, key) in SQLite. Safe to use from several threads."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
        except (OSError, sqlite3.Error) as exc:
            raise CrawlStateError(
                f"STATE_DIR: cannot open the crawl state at {self.path}: {exc}"
            ) from None
        self._lock = threading.Lock()
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS kv (ns TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
            " PRIMARY KEY (ns, key)) WITHOUT ROWID"
        )

    @classmethod
    def from_crawler(cls, crawler) -> StateStore:
        """The crawler's shared state store (SQLite or Redis, see ``open_state``)."""
        state = getattr(crawler, _CRAWLER_ATTR, None)
        if state is None:
            state = open_state(crawler.settings)
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
        data = _dumps(value)
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO kv (ns, key, value) VALUES (?, ?, ?)", (ns, key, data)
            )

    def put_if_absent(self, ns: str, key: str, value: Any) -> bool:
        """Store ``value`` unless the key exists; True if this call stored it (first one wins)."""
        data = _dumps(value)
        with self._lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO kv (ns, key, value) VALUES (?, ?, ?)", (ns, key, data)
            )
            return cur.rowcount == 1

    def delete(self, ns: str, key: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM kv WHERE ns=? AND key=?", (ns, key))

    def items(self, ns: str) -> Iterator[tuple[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT key, value FROM kv WHERE ns=?", (ns,)).fetchall()
        for key, value in rows:
            yield key, json.loads(value)

    def count(self, ns: str) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM kv WHERE ns=?", (ns,)).fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()


class RedisCrawlState:
    """The same store in Redis: namespace ``NS`` is the hash ``PREFIX:state:NS``, key -> JSON."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis  # noqa: PLC0415 - only needed when REDIS_URL is set
        from redis.backoff import NoBackoff  # noqa: PLC0415
        from redis.retry import Retry  # noqa: PLC0415

        self.prefix = prefix
        # A Redis that does not answer at start is a configuration problem: say so at once.
        probe = redis.Redis.from_url(url, retry=Retry(NoBackoff(), 0))
        try:
            probe.ping()
        except redis.RedisError as exc:
            raise CrawlStateError(f"REDIS_URL={redact_url(url)}: cannot use Redis: {exc}") from None
        finally:
            probe.close()
        self._redis = redis.Redis.from_url(url, retry=redis_retry())

    def hash_key(self, ns: str) -> str:
        return f"{self.prefix}:state:{ns}"

    def get(self, ns: str, key: str, default: Any = None) -> Any:
        raw = self._redis.hget(self.hash_key(ns), key)
        return default if raw is None else json.loads(raw)

    def put(self, ns: str, key: str, value: Any) -> None:
        self._redis.hset(self.hash_key(ns), key, _dumps(value))

    def put_if_absent(self, ns: str, key: str, value: Any) -> bool:
        """Store ``value`` unless the key exists; True if this call stored it (first one wins)."""
        return bool(self._redis.hsetnx(self.hash_key(ns), key, _dumps(value)))

    def delete(self, ns: str, key: str) -> None:
        self._redis.hdel(self.hash_key(ns), key)

    def items(self, ns: str) -> Iterator[tuple[str, Any]]:
        for key, raw in self._redis.hscan_iter(self.hash_key(ns), count=1000):
            yield key.decode(), json.loads(raw)

    def count(self, ns: str) -> int:
        return int(self._redis.hlen(self.hash_key(ns)))

    def close(self) -> None:
        self._redis.close()


# The PostgreSQL advisory lock newsarchive takes while it creates its tables (state and index).
SCHEMA_LOCK = 0x6E657773  # "news"


class PostgresCrawlState:
    """The same store in PostgreSQL (psycopg 3): the table ``crawl_state (ns, key, value)``."""

    def __init__(self, url: str) -> None:
        import psycopg  # noqa: PLC0415 - only needed with STATE_URL=postgresql://

        self.url = url
        self._lock = threading.Lock()
        try:
            self._db = psycopg.connect(url, autocommit=True, connect_timeout=10)
            # CREATE ... IF NOT EXISTS races with itself (two processes starting together: one
            # fails on pg_type's unique index): one creator at a time, by a transaction lock
            with self._db.transaction():
                self._db.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS crawl_state (ns TEXT NOT NULL, key TEXT NOT NULL,"
                    " value TEXT NOT NULL, PRIMARY KEY (ns, key))"
                )
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CrawlStateError(
                f"STATE_URL={redact_url(url)}: cannot use PostgreSQL: {first}"
            ) from None

    def _run(self, sql: str, params: tuple = ()):
        with self._lock:
            return self._db.execute(sql, params)

    def get(self, ns: str, key: str, default: Any = None) -> Any:
        row = self._run(
            "SELECT value FROM crawl_state WHERE ns=%s AND key=%s", (ns, key)
        ).fetchone()
        return default if row is None else json.loads(row[0])

    def put(self, ns: str, key: str, value: Any) -> None:
        self._run(
            "INSERT INTO crawl_state (ns, key, value) VALUES (%s, %s, %s)"
            " ON CONFLICT (ns, key) DO UPDATE SET value = EXCLUDED.value",
            (ns, key, _dumps(value)),
        )

    def put_if_absent(self, ns: str, key: str, value: Any) -> bool:
        """Store ``value`` unless the key exists; True if this call stored it (first one wins)."""
        cur = self._run(
            "INSERT INTO crawl_state (ns, key, value) VALUES (%s, %s, %s)"
            " ON CONFLICT (ns, key) DO NOTHING",
            (ns, key, _dumps(value)),
        )
        return cur.rowcount == 1

    def delete(self, ns: str, key: str) -> None:
        self._run("DELETE FROM crawl_state WHERE ns=%s AND key=%s", (ns, key))

    def items(self, ns: str) -> Iterator[tuple[str, Any]]:
        rows = self._run("SELECT key, value FROM crawl_state WHERE ns=%s", (ns,)).fetchall()
        for key, raw in rows:
            yield key, json.loads(raw)

    def count(self, ns: str) -> int:
        return self._run("SELECT count(*) FROM crawl_state WHERE ns=%s", (ns,)).fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def open_state(settings) -> StateStore:
    """PostgreSQL when ``STATE_URL`` is set, else Redis when ``REDIS_URL`` is, else SQLite at
    ``state_path(settings)``."""
    state_url = (settings.get("STATE_URL") or "").strip()
    if state_url:
        if not state_url.startswith(("postgresql://", "postgres://")):
            raise CrawlStateError(
                f"setting STATE_URL={redact_url(state_url)}: expected postgresql://... (or "
                "nothing: Redis with REDIS_URL, else SQLite beside the archive)"
            )
        return PostgresCrawlState(state_url)
    url = settings.get("REDIS_URL")
    if url:
        return RedisCrawlState(url, settings.get("STATE_REDIS_PREFIX"))
    return CrawlState(state_path(settings))


def state_path(settings) -> Path:
    """Where the embedded state lives: ``STATE_DIR`` if set, else beside a local archive."""
    state_dir = settings.get("STATE_DIR")
    if not state_dir:
        uri = settings.get("ARCHIVE_URI")
        state_dir = ".newsarchive" if "://" in uri else uri
    return Path(state_dir) / "state.sqlite"
