"""The scheduler's records and per-site locks, in the crawl state (SQLite or Redis).

Namespaces of :mod:`crawler.state` (one store shared by every scheduler and crawl that uses the
same ``STATE_DIR``, or ``REDIS_URL`` and ``STATE_REDIS_PREFIX``):

- ``schedule``: site -> ``{"schedule", "interval", "next_run", "last_run", "runs"}``, where
  ``last_run`` is ``{"crawl_id", "node", "job", "started", "finished", "result", "articles",
  "pages", "why"}`` and times are epoch seconds;
- ``schedule.running``: site -> the crawl running now (``{"crawl_id", "node", "job", "started",
  "by"}``). Taken with ``put_if_absent`` before a crawl starts and deleted once it has been
  collected: the lock that keeps one site from running twice at once, whichever scheduler (or
  how many) runs;
- ``schedule.collecting``: site -> the scheduler collecting the site's finished crawl, so two
  schedulers never count one crawl twice.
"""

from __future__ import annotations

from typing import Any

from crawler.extensions.siterun import site_run
from crawler.state import StateStore

NS_SCHEDULE = "schedule"
NS_RUNNING = "schedule.running"
NS_COLLECTING = "schedule.collecting"

# A scheduler that died while collecting leaves its claim; another one takes over after this long.
CLAIM_TIMEOUT = 300.0


class ScheduleState:
    """Typed operations on the scheduler's namespaces of a crawl state store."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    def record(self, site: str) -> dict[str, Any] | None:
        return self.store.get(NS_SCHEDULE, site)

    def records(self) -> dict[str, dict[str, Any]]:
        return dict(self.store.items(NS_SCHEDULE))

    def save(self, site: str, record: dict[str, Any]) -> None:
        self.store.put(NS_SCHEDULE, site, record)

    def running(self) -> dict[str, dict[str, Any]]:
        """Every site with a crawl running (or not yet collected), with that crawl."""
        return dict(self.store.items(NS_RUNNING))

    def running_crawl(self, site: str) -> dict[str, Any] | None:
        return self.store.get(NS_RUNNING, site)

    def lock(self, site: str, run: dict[str, Any]) -> bool:
        """Take the site's lock for ``run``; False when a crawl of the site holds it."""
        return self.store.put_if_absent(NS_RUNNING, site, run)

    def update_lock(self, site: str, run: dict[str, Any]) -> None:
        """Say where the crawl of a lock this scheduler holds runs (node, job)."""
        self.store.put(NS_RUNNING, site, run)

    def release(self, site: str) -> None:
        self.store.delete(NS_RUNNING, site)

    def claim(self, site: str, by: str, now: float) -> bool:
        """Take the right to collect the site's finished crawl (first scheduler wins)."""
        if self.store.put_if_absent(NS_COLLECTING, site, {"by": by, "since": now}):
            return True
        held = self.store.get(NS_COLLECTING, site)
        if held is not None and now - float(held.get("since", 0)) < CLAIM_TIMEOUT:
            return False
        self.store.delete(NS_COLLECTING, site)
        return self.store.put_if_absent(NS_COLLECTING, site, {"by": by, "since": now})

    def unclaim(self, site: str) -> None:
        self.store.delete(NS_COLLECTING, site)

    def site_run(self, site: str) -> dict[str, Any] | None:
        """What the site's latest crawl recorded (:mod:`crawler.extensions.siterun`)."""
        return site_run(self.store, site)
