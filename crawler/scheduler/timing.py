"""When a site's next crawl is due: a fixed interval, cron times, or an adaptive interval.

An interval runs from the start of one crawl to the start of the next (a crawl that takes longer
delays the next one: one site never runs twice at once). An adaptive interval (``min_interval``
and ``max_interval`` both given) halves after a crawl that found new articles and doubles after one
that found none, within its bounds; a failed crawl leaves it as it was.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from croniter import croniter

from crawler.sites import Schedule

SHRINK = 0.5  # interval factor after a crawl that found new articles
GROWTH = 2.0  # interval factor after a crawl that found none


def signature(schedule: Schedule) -> dict[str, Any]:
    """The schedule as stored beside the site's record: an edited site file starts afresh."""
    return asdict(schedule)


def adapted_interval(schedule: Schedule, interval: float | None, articles: int | None) -> float:
    """The interval after a crawl that found ``articles`` new articles (None: it failed)."""
    if schedule.every is None:  # cron: no interval
        return 0.0
    if interval is None:
        interval = schedule.every
    if not schedule.adaptive or articles is None:
        return interval
    if articles > 0:
        return max(schedule.min_interval, interval * SHRINK)
    return min(schedule.max_interval, interval * GROWTH)


def next_run(schedule: Schedule, interval: float, started: float | None, now: float) -> float:
    """When the next crawl is due, as seen at ``now``: ``started + interval`` (at once when the
    site was never crawled, or when that time has passed), or the next cron time after ``now``."""
    if schedule.cron is not None:
        return croniter(schedule.cron, now).get_next(float)
    if started is None:
        return now
    return max(started + interval, now)


def describe(schedule: Schedule) -> str:
    """``every 30m``, ``every 30m (adaptive 10m..6h)`` or ``cron */15 * * * *``."""
    if schedule.cron is not None:
        return f"cron {schedule.cron}"
    text = f"every {duration_text(schedule.every)}"
    if schedule.adaptive:
        low, high = duration_text(schedule.min_interval), duration_text(schedule.max_interval)
        text += f" (adaptive {low}..{high})"
    return text


def duration_text(seconds: float | None) -> str:
    """``90`` -> ``1m30s``, ``7200`` -> ``2h``, ``2.5`` -> ``2.5s``."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:g}s"
    parts = []
    rest = round(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts[:2])
