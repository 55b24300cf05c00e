"""The processes of one crawl on a shared Redis (``REDIS_URL``): who is at work, and what they share.

Several processes (one node or many) given the same ``ARCHIVE_CRAWL_ID`` crawl one frontier
(:mod:`crawler.frontier`). What they must agree on beyond the queue lives under
``STATE_REDIS_PREFIX:crawl:CRAWL_ID:``:

- ``workers`` (a set) and ``worker:HOST-PID``: every process that joined, and its heartbeat
  (``{"inflight": n, "fetched": n}``), which expires :data:`HEARTBEAT_TTL` seconds after its last
  beat, so a killed process stops counting without anyone cleaning up after it;
- ``claim:NAME``: one-time jobs a single process does for the crawl (enqueueing the start
  requests, fetching a host's robots.txt): the first ``SET NX`` wins;
- ``log:NAME`` and ``lock:NAME``: an append-only list every process reads from where it left off,
  and a lock to change it together with what it describes (the story index of
  ``pipelines.dedupe``);
- ``parts:NAME``: a hash of one JSON document per process (``crawler.archive.manifest``: each
  process's part of the crawl's manifest);
- ``value:NAME``: a shared value (a host's robots.txt).

Everything but the workers' heartbeats expires :data:`KEEP_SECONDS` after its last change. A
process names itself as its WARC files do: ``HOST-PID`` (:func:`crawler.crawl_id.writer_id`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from crawler.crawl_id import SETTING as CRAWL_ID_SETTING
from crawler.crawl_id import crawl_id, writer_id
from crawler.state import redis_retry

if TYPE_CHECKING:
    from redis.lock import Lock
    from scrapy.settings import BaseSettings

# A worker beats every HEARTBEAT_SECONDS; one not heard from for HEARTBEAT_TTL seconds is gone
# (killed, or its host lost), and no longer holds the others.
HEARTBEAT_SECONDS = 0.5
HEARTBEAT_TTL = 10
# Shared values, logs and claims outlive the crawl this long (a crawl resumed within it continues
# with them), then Redis drops them.
KEEP_SECONDS = 7 * 86400
# A lock whose holder died is free again after this long; holders keep it for milliseconds.
LOCK_TIMEOUT = 10.0


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


class CrawlPeers:
    """This process and the others of its crawl, on Redis (see the module doc)."""

    def __init__(self, url: str, prefix: str, crawl: str, me: str | None = None) -> None:
        import redis  # noqa: PLC0415 - only needed with REDIS_URL

        self.redis = redis.Redis.from_url(url, retry=redis_retry())
        self.base = f"{prefix}:crawl:{crawl}"
        self.crawl_id = crawl
        self.me = me or writer_id()
        self.ttl = HEARTBEAT_TTL  # seconds a beat stands for

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> CrawlPeers | None:
        """The peers of this crawl with ``REDIS_URL``; None without it (a crawl of one process),
        or without a crawl id (components run without ``crawler.crawl_id.CrawlIdentity``)."""
        url = settings.get("REDIS_URL")
        if not url or not settings.get(CRAWL_ID_SETTING):
            return None
        return cls(url, settings.get("STATE_REDIS_PREFIX"), crawl_id(settings))

    def key(self, name: str) -> str:
        return f"{self.base}:{name}"

    # --- who is at work --------------------------------------------------------------------------

    def beat(self, inflight: int, fetched: int) -> None:
        """Say this process is alive, with ``inflight`` requests on hand and ``fetched`` so far."""
        pipe = self.redis.pipeline()
        pipe.sadd(self.key("workers"), self.me)
        pipe.expire(self.key("workers"), KEEP_SECONDS)
        pipe.set(
            self.key(f"worker:{self.me}"),
            _dumps({"inflight": inflight, "fetched": fetched}),
            ex=self.ttl,
        )
        pipe.execute()

    def leave(self) -> None:
        """This process is done: it no longer counts as alive."""
        self.redis.delete(self.key(f"worker:{self.me}"))

    def alive(self) -> dict[str, dict]:
        """The heartbeats of the processes alive now (this one included), by ``HOST-PID``."""
        names = sorted(n.decode() for n in self.redis.smembers(self.key("workers")))
        if not names:
            return {}
        beats = self.redis.mget([self.key(f"worker:{n}") for n in names])
        return {n: json.loads(b) for n, b in zip(names, beats, strict=True) if b is not None}

    # --- one-time jobs ---------------------------------------------------------------------------

    def claim(self, name: str, ttl: float | None = KEEP_SECONDS) -> bool:
        """True if this process is the first to claim ``name`` (for ``ttl`` seconds)."""
        ex = None if ttl is None else max(1, int(ttl))
        return bool(self.redis.set(self.key(f"claim:{name}"), self.me, nx=True, ex=ex))

    def claimed_by(self, name: str) -> str | None:
        holder = self.redis.get(self.key(f"claim:{name}"))
        return None if holder is None else holder.decode()

    def put(self, name: str, value: Any) -> None:
        self.redis.set(self.key(f"value:{name}"), _dumps(value), ex=KEEP_SECONDS)

    def get(self, name: str) -> Any:
        raw = self.redis.get(self.key(f"value:{name}"))
        return None if raw is None else json.loads(raw)

    # --- shared logs -----------------------------------------------------------------------------

    def lock(self, name: str) -> Lock:
        """A lock over ``name`` shared by every process of the crawl (``with peers.lock(...)``).

        Taken on the reactor thread, for a few Redis round trips at a time: waiters poll every
        2 ms, not redis-py's default 100 ms."""
        return self.redis.lock(
            self.key(f"lock:{name}"), timeout=LOCK_TIMEOUT, sleep=0.002, blocking_timeout=60
        )

    def append(self, name: str, entry: dict) -> None:
        key = self.key(f"log:{name}")
        pipe = self.redis.pipeline()
        pipe.rpush(key, _dumps({**entry, "by": self.me}))
        pipe.expire(key, KEEP_SECONDS)
        pipe.execute()

    def log_length(self, name: str) -> int:
        return int(self.redis.llen(self.key(f"log:{name}")))

    def read_log(self, name: str, offset: int) -> tuple[list[dict], int]:
        """The entries other processes appended from ``offset`` on, and the offset after them."""
        raw = self.redis.lrange(self.key(f"log:{name}"), offset, -1)
        entries = [json.loads(r) for r in raw]
        return [e for e in entries if e.get("by") != self.me], offset + len(raw)

    # --- one document per process ----------------------------------------------------------------

    def put_part(self, name: str, document: dict) -> None:
        key = self.key(f"parts:{name}")
        pipe = self.redis.pipeline()
        pipe.hset(key, self.me, _dumps(document))
        pipe.expire(key, KEEP_SECONDS)
        pipe.execute()

    def parts(self, name: str) -> dict[str, dict]:
        """Every process's document, by ``HOST-PID``."""
        return {
            k.decode(): json.loads(v)
            for k, v in self.redis.hgetall(self.key(f"parts:{name}")).items()
        }

    def close(self) -> None:
        self.redis.close()
