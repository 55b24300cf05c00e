"""Memento (RFC 7089, https://www.rfc-editor.org/rfc/rfc7089) over the index: a TimeMap, a
TimeGate and the Mementos themselves, as pywb serves them (``/timemap/link/``, ``/web/``).

- ``GET /timemap/link/URL``: every capture of ``URL`` (its SURT key), oldest first, as a
  ``application/link-format`` TimeMap;
- ``GET /web/URL`` with ``Accept-Datetime`` (an HTTP date; none: the newest capture): ``302`` to
  the Memento closest to that time, ``/web/<14-digit timestamp>id_/URL``;
- ``GET /web/<timestamp>id_/URL``: the archived response unchanged (status, headers, payload as
  stored, ``Content-Encoding`` intact), with ``Memento-Datetime`` and ``Link``; a revisit gives
  back the response it refers to (:mod:`crawler.retrieval.reader`). As pywb does, the archived
  ``Date`` and ``Server`` become ``X-Archive-Orig-Date`` and ``-Server`` (the serving server sends
  its own), and headers of the archived connection (``Transfer-Encoding``, ``Content-Length``, ...)
  are left to the server. Any other timestamp (a prefix, a time between captures) or modifier
  redirects to the closest capture's ``id_`` URL.

Answers are ``(status, headers, body)``; an error is JSON ``{"error": reason, "status": N}``, as
the server's other answers (pywb's has the reason as ``message``).
"""

from __future__ import annotations

import calendar
import io
import json
import re
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from warcio.statusandheaders import StatusAndHeadersParser
from warcio.timeutils import (
    PAD_14_DOWN,
    PAD_14_UP,
    pad_timestamp,
    timestamp_to_http_date,
    timestamp_to_sec,
)

from crawler.archive.cdxj import url_key
from crawler.retrieval.reader import RecordError
from crawler.retrieval.timestamps import TimeError, parse_time

if TYPE_CHECKING:
    from crawler.retrieval.index import ArchiveIndex
    from crawler.retrieval.reader import RecordReader

Response = tuple[int, list[tuple[str, str]], bytes]

LINK_FORMAT = "application/link-format"
# /web/<timestamp><modifier>/<url>: pywb's replay URLs (modifier: id_, mp_, if_, ...)
_MEMENTO_PATH = re.compile(r"^(\d{1,14})([a-z]{2}_)?/(.+)$", re.DOTALL)
# Headers of one connection, not of the archived response; Content-Length is the server's
_NOT_REPLAYED = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "transfer-encoding", "upgrade", "content-length",
})  # fmt: skip
# ... and the serving server's own, given under another name (as pywb does)
_RENAMED = frozenset({"date", "server"})
_HTTP = StatusAndHeadersParser(["HTTP/1.0", "HTTP/1.1", "HTTP/2", "HTTP/2.0"], verify=False)


class MementoError(Exception):
    """A request that cannot be answered: an HTTP status and one line naming what was wrong."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def error(status: int, reason: str) -> Response:
    """A JSON error answer, ``{"error": reason, "status": status}``."""
    body = json.dumps({"error": reason, "status": status}).encode("utf-8")
    return status, [("Content-Type", "application/json; charset=utf-8")], body


def handle(
    index: ArchiveIndex,
    reader: RecordReader,
    path: str,
    query: dict[str, list[str]],
    headers: dict[str, str],
) -> Response:
    """Answer a ``/timemap/...`` or ``/web/...`` request (see the module docstring)."""
    base = _base_url(headers)
    try:
        if path.startswith("/timemap/"):
            fmt, _, rest = path.removeprefix("/timemap/").partition("/")
            if fmt != "link":
                raise MementoError(400, f"timemap format {fmt!r}: only link (/timemap/link/URL)")
            return _timemap(index, _target(rest, query), base)
        rest = path.removeprefix("/web/")
        match = _MEMENTO_PATH.match(rest)
        if match:
            stamp, modifier, url = match.groups()
            return _memento(index, reader, stamp, modifier, _target(url, query), base)
        return _timegate(index, _target(rest, query), headers, base)
    except MementoError as exc:
        return error(exc.status, str(exc))


def memento_path(stamp: str, url: str) -> str:
    return f"/web/{stamp}id_/{url}"


# -- the three resources --------------------------------------------------------------------------


def _timemap(index: ArchiveIndex, url: str, base: str) -> Response:
    rows = _captures(index, url)
    first, last = timestamp_to_http_date(rows[0]["timestamp"]), rows[-1]["timestamp"]
    lines = [
        (
            f'<{base}/timemap/link/{url}>; rel="self"; type="{LINK_FORMAT}"; from="{first}"; '
            f'until="{timestamp_to_http_date(last)}"'
        ),
        f'<{base}/web/{url}>; rel="timegate"',
        f'<{url}>; rel="original"',
    ]
    for n, row in enumerate(rows):
        rel = "memento"
        if n == 0:
            rel = "first memento" if len(rows) > 1 else "first last memento"
        elif n == len(rows) - 1:
            rel = "last memento"
        lines.append(_memento_link(base, row["timestamp"], url, rel))
    body = (",\n".join(lines) + "\n").encode("utf-8")
    return 200, [("Content-Type", LINK_FORMAT)], body


def _timegate(index: ArchiveIndex, url: str, headers: dict[str, str], base: str) -> Response:
    rows = _captures(index, url)
    wanted = _header(headers, "Accept-Datetime")
    if wanted:
        try:
            when = parsedate_to_datetime(wanted)
        except (TypeError, ValueError):
            when = None
        if when is None:
            raise MementoError(
                400,
                f"Accept-Datetime {wanted!r}: not an HTTP date "
                "(e.g. Wed, 02 Dec 2026 14:08:14 GMT)",
            )
        row = _closest(rows, calendar.timegm(when.utctimetuple()))
    else:
        row = rows[-1]
    return _redirect(base, row["timestamp"], url, vary=True)


def _memento(
    index: ArchiveIndex,
    reader: RecordReader,
    stamp: str,
    modifier: str | None,
    url: str,
    base: str,
) -> Response:
    try:
        when = closest_seconds(stamp)
    except TimeError as exc:
        raise MementoError(400, f"timestamp {exc}") from None
    rows = _captures(index, url)
    exact = [r for r in rows if r["timestamp"] == stamp]
    if modifier != "id_" or not exact:
        row = exact[0] if exact else _closest(rows, when)
        return _redirect(base, row["timestamp"], url, vary=False)
    row = exact[0]
    try:
        exchange = reader.exchange(row)
    except RecordError as exc:
        raise MementoError(502, f"capture of {url} at {stamp}: {exc}") from None
    out: list[tuple[str, str]] = []
    status = 200
    if exchange.head:
        parsed = _HTTP.parse(io.BytesIO(exchange.head))
        code = parsed.get_statuscode()
        status = int(code) if code and code.isdigit() else 200  # a damaged status line: 200
        for name, value in parsed.headers:
            if name.lower() in _RENAMED:
                out.append((f"X-Archive-Orig-{name}", value))
            elif name.lower() not in _NOT_REPLAYED:
                out.append((name, value))
    elif row["mime"]:
        out = [("Content-Type", row["mime"])]
    out += [
        ("Memento-Datetime", timestamp_to_http_date(row["timestamp"])),
        ("Link", _links(base, url, memento=row["timestamp"])),
    ]
    return status, out, exchange.payload


# -- times as pywb reads them ----------------------------------------------------------------------

_DIGITS = re.compile(r"^[0-9]{1,14}$")


def wayback_time(text: str, *, upper: bool = False) -> str:
    """A ``from``/``to`` time as pywb reads it: a timestamp or any prefix of one, padded to 14
    digits as pywb pads it (the period's first second, or its last with ``upper``), so a bound
    selects what pywb's does; or an ISO date or date-time (:func:`parse_time`). Raises
    :class:`TimeError` for anything else, and for digits that are no time (``20261340``)."""
    value = text.strip()
    if not _DIGITS.match(value):
        return parse_time(value, upper=upper)
    try:
        datetime.strptime(pad_timestamp(value, PAD_14_DOWN), "%Y%m%d%H%M%S")
    except ValueError:
        raise TimeError(f"{text!r}: not a valid date or time") from None
    return pad_timestamp(value, PAD_14_UP if upper else PAD_14_DOWN)


def closest_seconds(text: str) -> int:
    """A ``closest`` time (or a replay URL's) in seconds since the epoch, as pywb reads it: a
    timestamp prefix stands for the period's last second (warcio's ``timestamp_to_sec``)."""
    stamp = wayback_time(text)
    return timestamp_to_sec(text.strip() if _DIGITS.match(text.strip()) else stamp)


# -- helpers ---------------------------------------------------------------------------------------


def _redirect(base: str, stamp: str, url: str, *, vary: bool) -> Response:
    """``302`` to the Memento of ``url`` at ``stamp`` (a TimeGate's answer varies with
    ``Accept-Datetime``)."""
    location = memento_path(stamp, url)
    headers = [("Location", f"{base}{location}"), ("Link", _links(base, url))]
    if vary:
        headers.append(("Vary", "accept-datetime"))
    headers.append(("Content-Type", "application/json; charset=utf-8"))
    return 302, headers, json.dumps({"location": location}).encode("utf-8")


def _captures(index: ArchiveIndex, url: str) -> list[dict]:
    rows = index.captures(url_key(url), "exact")
    if not rows:
        raise MementoError(404, f"no capture of {url}")
    return rows


def _closest(rows: list[dict], when: int) -> dict:
    """The capture nearest ``when`` (seconds); of two as near, the older (pywb's choice)."""
    return min(rows, key=lambda r: abs(timestamp_to_sec(r["timestamp"]) - when))


def _target(url: str, query: dict[str, list[str]]) -> str:
    """The archived URL: the rest of the path, with its query string (kept in the path if the
    server left it there, else rebuilt from ``query``)."""
    if query and "?" not in url:
        url += "?" + urlencode(query, doseq=True)
    # some clients and proxies collapse the "//" of an embedded URL
    url = re.sub(r"^(https?:)/(?!/)", r"\1//", url)
    if "://" not in url or not url.split("://", 1)[1]:
        raise MementoError(400, f"{url!r}: not a URL (expected http://host/path)")
    return url


def _links(base: str, url: str, memento: str | None = None) -> str:
    links = [
        f'<{url}>; rel="original"',
        f'<{base}/web/{url}>; rel="timegate"',
        f'<{base}/timemap/link/{url}>; rel="timemap"; type="{LINK_FORMAT}"',
    ]
    if memento:
        links.append(_memento_link(base, memento, url, "memento"))
    return ", ".join(links)


def _memento_link(base: str, stamp: str, url: str, rel: str) -> str:
    return (
        f'<{base}{memento_path(stamp, url)}>; rel="{rel}"; '
        f'datetime="{timestamp_to_http_date(stamp)}"'
    )


def _header(headers: dict[str, str], name: str) -> str | None:
    lower = name.lower()
    for key, value in headers.items():
        if key.lower() == lower:
            return value
    return None


def _base_url(headers: dict[str, str]) -> str:
    """``http://host:port`` of the request, so Link and Location URLs are absolute (pywb's are);
    without a ``Host`` header, nothing (root-relative URLs)."""
    host = _header(headers, "Host")
    if not host:
        return ""
    scheme = (_header(headers, "X-Forwarded-Proto") or "http").split(",")[0].strip()
    return f"{scheme}://{host}"
