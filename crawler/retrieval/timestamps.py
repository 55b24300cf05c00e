"""The times a user types: 14-digit timestamps, a prefix of one (``2026``, ``20261202``), or an
ISO date or date-time (``2026-12-02``, ``2026-12-02T13:51:00+01:00``). Everything is UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_DIGITS = re.compile(r"^\d{4}(\d{2}){0,5}$")
_LOW = "00000101000000"  # a prefix padded down: the first second of the period
_HIGH = "99991231235959"  # ... padded up: the last second of the period


class TimeError(ValueError):
    """Text that is not a time; the message says what is accepted."""


def parse_time(text: str, *, upper: bool = False) -> str:
    """``text`` as a 14-digit UTC timestamp: the first second of the period it names, or the last
    one with ``upper`` (so ``--to 2026`` includes all of 2026)."""
    value = text.strip()
    if _DIGITS.match(value):
        digits = value
    else:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise TimeError(
                f"{text!r}: not a time (use YYYYMMDDhhmmss, a prefix of it, or an ISO date)"
            ) from None
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC)
        # as precise as what was typed: "T13:51" names a minute, "T13:51:00" a second
        time_part = re.split(r"[T ]", value, maxsplit=1)[1] if re.search(r"[T ]", value) else ""
        fields = len(re.split(r"[Z+-]", time_part, maxsplit=1)[0].split(":")) if time_part else 0
        digits = parsed.strftime("%Y%m%d%H%M%S")[: 8 + 2 * min(fields, 3)]
    padded = digits + (_HIGH if upper else _LOW)[len(digits) :]
    if upper and len(digits) < 8:
        padded = _clamp_day(padded)
    try:
        datetime.strptime(padded, "%Y%m%d%H%M%S")
    except ValueError:
        raise TimeError(f"{text!r}: not a valid date or time") from None
    return padded


def _clamp_day(stamp: str) -> str:
    """``20260231...`` padded up -> the month's real last day."""
    for day in range(int(stamp[6:8]), 27, -1):
        candidate = f"{stamp[:6]}{day:02d}{stamp[8:]}"
        try:
            datetime.strptime(candidate, "%Y%m%d%H%M%S")
        except ValueError:
            continue
        return candidate
    return stamp


def to_datetime(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def iso(stamp: str) -> str:
    """``20261202135100`` -> ``2026-12-02T13:51:00Z``."""
    return to_datetime(stamp).strftime("%Y-%m-%dT%H:%M:%SZ")
