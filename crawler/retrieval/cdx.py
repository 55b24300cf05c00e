"""The CDX server API, ``GET /cdx``, answering as pywb 2.8's does on the same WARCs, and the entry
point of the archive's replay URLs (``/cdx``, ``/timemap/``, ``/web/``: :func:`handle`).

The parameters and their semantics are pywb's (https://pywb.readthedocs.io/en/latest/manual/
cdxserver_api.html; the code is ``pywb/warcserver/index/query.py``, ``cdxops.py``,
``cdxobject.py``):

- ``url`` (``*.host`` for ``matchType=domain``, ``url*`` for ``prefix``), ``matchType`` (``exact``,
  ``prefix``, ``host``, ``domain``): captures by SURT key;
- ``from``, ``to``: a timestamp or a prefix of one (``2026``, ``202612``), inclusive;
- ``closest`` (sorted nearest first; ``sort=closest`` needs it), ``sort=reverse``, ``limit``;
- ``filter`` (repeatable): ``[!][=|~][field:]expr``: ``!`` negates, ``=`` exact, ``~`` a regular
  expression matched from the start of the value, neither: contains; no field: the whole line;
- ``fl``: fields to give, in that order; ``output``: ``cdxj`` (the default), ``json`` (one object
  per line), ``text``, ``link`` (a TimeMap body); ``resolveRevisits=true``: each revisit with the
  original's ``mime``, ``status`` and ``orig.length``, ``orig.offset``, ``orig.filename``;
  ``collapseTime=N``;

and two of the Wayback CDX server's (https://github.com/internetarchive/wayback/tree/master/
wayback-cdx-server): ``limit=-N``, the last N lines of the answer, and ``collapse=field[:N]``
(repeatable): of adjacent lines with the same field (its first N characters), the first only.

Fields are pywb's: ``urlkey``, ``timestamp``, ``url``, ``mime``, ``status`` (responses only),
``digest`` (without its ``sha1:`` label, as pywb's indexer writes it), ``length``, ``offset``, and ``filename``: the WARC's
key in the archive (``warc/<crawl>/<name>.warc.gz``, what ``newsarchive get`` and the store read).
pywb adds ``source``, ``source-coll`` and ``access`` (its own index file, collection and access
rules), which an archive without collections does not have. No match is an empty ``200`` (pywb's
answer); a malformed parameter is ``400`` with ``{"error": ...}`` naming it (where pywb guesses
or fails with a ``500``). pywb's fuzzy matching (a URL's query string loosened when nothing
matches) is not done: every answer is for the key asked for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import quote

from warcio.timeutils import timestamp_now, timestamp_to_http_date, timestamp_to_sec

from crawler.archive.cdxj import url_key
from crawler.retrieval import memento
from crawler.retrieval.timestamps import TimeError

if TYPE_CHECKING:
    from crawler.retrieval.index import ArchiveIndex
    from crawler.retrieval.reader import RecordReader

Response = memento.Response

OUTPUTS = {
    "cdxj": "text/x-cdxj",
    "json": "text/x-ndjson",
    "text": "text/plain",
    "link": memento.LINK_FORMAT,
}
MATCH_TYPES = ("exact", "prefix", "host", "domain")
DEFAULT_LIMIT = 100000  # pywb's
# pywb's short and Wayback names of fields (CDXObject.CDX_ALT_FIELDS; "s" is length there too)
ALT_FIELDS = {
    "u": "url", "original": "url", "statuscode": "status", "mimetype": "mime", "m": "mime",
    "l": "length", "s": "length", "o": "offset", "d": "digest", "t": "timestamp", "k": "urlkey",
    "f": "filename",
}  # fmt: skip
FIELDS = ("urlkey", "timestamp", "url", "mime", "status", "digest", "length", "offset", "filename")
_COLLAPSE = re.compile(r"^([A-Za-z.]+)(?::(\d+))?$")


def handle(
    index: ArchiveIndex,
    reader: RecordReader,
    path: str,
    query: dict[str, list[str]],
    headers: dict[str, str],
) -> Response:
    """Answer a request whose path starts with ``/cdx``, ``/timemap/`` or ``/web/``.

    ``index``: an open :class:`crawler.retrieval.index.ArchiveIndex`; ``reader``: a
    :class:`crawler.retrieval.reader.RecordReader` of the same index and the archive's store (only
    ``/web/<timestamp>id_/URL`` reads a record). ``path``: the request path, not decoded, without
    or with the query string; ``query``: the parsed query string (``urllib.parse.parse_qs``);
    ``headers``: the request headers (any case; ``Host`` makes Link and Location URLs absolute,
    ``Accept-Datetime`` chooses a Memento).

    Returns ``(status, headers, body)``. The headers hold no ``Content-Length``, ``Date`` or
    ``Server``: the server sends its own (for a Memento, the archived ones are given as
    ``X-Archive-Orig-Date`` and ``-Server``, and every other archived header as it was stored).
    """
    bare = path.split("?", 1)[0]
    if bare in ("/cdx", "/cdx/"):
        return cdx_response(index, query)
    if path.startswith(("/timemap/", "/web/")):
        return memento.handle(index, reader, path, query, headers)
    return memento.error(404, f"{bare}: not a CDX or Memento URL")


class CdxQueryError(ValueError):
    """A parameter that cannot be used; the message names it."""


@dataclass
class CdxQuery:
    url: str
    match_type: str
    start_key: str
    end_key: str
    output: str = "cdxj"
    from_ts: str | None = None
    to_ts: str | None = None
    closest: int | None = None  # seconds since the epoch
    reverse: bool = False
    limit: int = DEFAULT_LIMIT
    filters: list[CdxFilter] = field(default_factory=list)
    fields: list[str] | None = None
    resolve_revisits: bool = False
    collapse_time: int | None = None
    collapse: list[tuple[str, int | None]] = field(default_factory=list)

    @classmethod
    def parse(cls, query: dict[str, list[str]]) -> CdxQuery:
        """The query of a request's parameters, as pywb reads them: the last value of each (a
        blank one is no value), every ``filter`` and ``collapse``."""
        url = _one(query, "url")
        if not url:
            raise CdxQueryError('The "url" param is required')
        match_type = _one(query, "matchType")
        if not match_type:
            match_type = "exact"
            if url.startswith("*."):
                url, match_type = url[2:], "domain"
            elif url.endswith("*"):
                url, match_type = url[:-1], "prefix"
        if match_type not in MATCH_TYPES:
            raise CdxQueryError(f"matchType={match_type}: expected {', '.join(MATCH_TYPES)}")
        start, end = search_range(url, match_type)
        output = _one(query, "output") or "cdxj"
        if output not in OUTPUTS:
            raise CdxQueryError(f"output={output}: expected {', '.join(OUTPUTS)}")
        parsed = cls(url, match_type, start, end, output)
        parsed.from_ts = _time(query, "from")
        parsed.to_ts = _time(query, "to", upper=True)
        closest = _one(query, "closest")
        sort = _one(query, "sort")
        if sort not in (None, "closest", "reverse"):
            raise CdxQueryError(f"sort={sort}: expected closest (with closest=) or reverse")
        if sort == "closest" and not closest:
            raise CdxQueryError("sort=closest needs closest=TIMESTAMP")
        if closest == "now":
            parsed.closest = timestamp_to_sec(timestamp_now())
        elif closest:
            try:
                parsed.closest = memento.closest_seconds(closest)
            except TimeError as exc:
                raise CdxQueryError(f"closest={exc}") from None
        parsed.reverse = sort == "reverse" or _flag(query, "reverse")
        parsed.limit = _int(query, "limit", DEFAULT_LIMIT, nonzero=True)
        parsed.filters = [CdxFilter.parse(text) for text in _all(query, "filter")]
        fl = _one(query, "fields") or _one(query, "fl")
        parsed.fields = fl.split(",") if fl else None
        parsed.resolve_revisits = _flag(query, "resolveRevisits")
        if _one(query, "collapseTime"):
            parsed.collapse_time = _int(query, "collapseTime", 0, nonzero=True)
        for text in _all(query, "collapse"):
            match = _COLLAPSE.match(text)
            name = ALT_FIELDS.get(match.group(1), match.group(1)) if match else None
            if name not in FIELDS or (match.group(2) and int(match.group(2)) < 1):
                raise CdxQueryError(
                    f"collapse={text}: expected FIELD or FIELD:N, FIELD one of {', '.join(FIELDS)}"
                )
            parsed.collapse.append((name, int(match.group(2)) if match.group(2) else None))
        return parsed


@dataclass
class CdxFilter:
    """One ``filter`` (pywb's ``CDXFilter``): ``[!][=|~][field:]expr``."""

    name: str  # "": the whole line
    match: Callable[[str], bool]
    invert: bool

    @classmethod
    def parse(cls, text: str) -> CdxFilter:
        spec = text
        invert = spec.startswith("!")
        spec = spec.removeprefix("!")
        mode = spec[:1] if spec[:1] in ("=", "~") else ""
        spec = spec.removeprefix(mode)
        name, sep, expr = spec.partition(":")
        if not sep:
            name, expr = "", spec
        name = ALT_FIELDS.get(name, name)
        if mode == "~":
            try:
                regex = re.compile(expr)
            except re.error as exc:
                raise CdxQueryError(f"filter={text}: not a regular expression ({exc})") from None
            return cls(name, lambda value: regex.match(value) is not None, invert)
        if mode == "=":
            return cls(name, lambda value: value == expr, invert)
        return cls(name, lambda value: expr in value, invert)

    def __call__(self, cdx: dict) -> bool:
        value = str(cdx.get(self.name, "")) if self.name else json.dumps(cdx)
        return self.match(value) != self.invert


def cdx_response(index: ArchiveIndex, query: dict[str, list[str]]) -> Response:
    try:
        parsed = CdxQuery.parse(query)
    except CdxQueryError as exc:
        return memento.error(400, str(exc))
    body = "".join(render(select(index, parsed), parsed)).encode("utf-8")
    return 200, [("Content-Type", OUTPUTS[parsed.output])], body


# -- the answer ------------------------------------------------------------------------------------


def search_range(url: str, match_type: str) -> tuple[str, str]:
    """The SURT key range ``[start, end)`` of a query (pywb's ``calc_search_range``)."""
    start = url_key(url)
    if match_type == "exact":
        return start, start + "!"
    if match_type == "prefix":
        if url.endswith("/") and not start.endswith("/"):
            start += "/"
        if url.endswith("?") and not start.endswith("?"):
            start += "?"
        return start, start[:-1] + chr(ord(start[-1]) + 1)
    host = start.split(")/")[0]
    if match_type == "host":
        return host + ")/", host + "*"
    # domain: a top-level domain alone ("com") has no ")/" of its own
    return (host + ")/" if "," in host else host + ","), host + "-"


def select(index: ArchiveIndex, query: CdxQuery) -> list[dict]:
    """The CDX lines of the answer, as dicts in pywb's field order, processed in pywb's order:
    revisits resolved, filters, ``from``/``to``, collapsing, then the sort and the limit."""
    rows = index.key_range(query.start_key, query.end_key)
    lines = sorted((cdx_of(row) for row in rows), key=_line_order)
    if query.resolve_revisits:
        lines = list(_resolve_revisits(lines))
    lines = [cdx for cdx in lines if all(f(cdx) for f in query.filters)]
    if query.from_ts:
        lines = [cdx for cdx in lines if cdx["timestamp"] >= query.from_ts]
    if query.to_ts:
        lines = [cdx for cdx in lines if cdx["timestamp"] <= query.to_ts]
    if query.collapse_time:
        lines = _collapse(lines, lambda c: (c["timestamp"][: query.collapse_time], c.get("status")))
    for name, width in query.collapse:
        lines = _collapse(lines, lambda c, n=name, w=width: str(c.get(n, ""))[:w])
    if query.closest is not None:
        # a stable sort: of two captures as near, the older first (pywb's bisect_right)
        lines.sort(key=lambda c: abs(query.closest - timestamp_to_sec(c["timestamp"])))
    elif query.reverse:
        lines.reverse()
    return lines[: query.limit] if query.limit > 0 else lines[query.limit :]


def cdx_of(row: dict) -> dict:
    """An index row as the CDX line pywb's indexer writes for the same record."""
    url = row["url"]
    if not url.isascii():
        url = quote(url.encode("utf-8"), safe=":/")
    cdx = {"urlkey": row["urlkey"], "timestamp": row["timestamp"], "url": url}
    if row["record_type"] == "revisit":
        cdx["mime"] = "warc/revisit"
    else:
        cdx["mime"] = row["mime"] or "unk"
    # pywb gives a status to response records only (not to a revisit, even with HTTP headers)
    if row["record_type"] == "response" and row["status"] is not None:
        cdx["status"] = str(row["status"])
    if row["digest"]:
        cdx["digest"] = row["digest"].removeprefix("sha1:")
    cdx["length"] = str(row["record_length"])
    cdx["offset"] = str(row["record_offset"])
    cdx["filename"] = row["warc_key"]
    return cdx


def _line_order(cdx: dict) -> tuple[str, str, str]:
    # pywb's index is sorted as lines of text: key, time, then the JSON rest
    rest = {k: v for k, v in cdx.items() if k not in ("urlkey", "timestamp")}
    return cdx["urlkey"], cdx["timestamp"], json.dumps(rest)


def _resolve_revisits(lines: Iterable[dict]) -> Iterator[dict]:
    """pywb's ``cdx_resolve_revisits``: the first non-revisit with a digest is the original of
    the revisits after it with that digest (in the lines of this query)."""
    originals: dict[str, dict] = {}
    for line in lines:
        revisit = line["mime"] == "warc/revisit"
        digest = line.get("digest")
        original = originals.get(digest) if digest else None
        if digest and not original and not revisit:
            originals[digest] = line
        cdx = dict(line)
        if original and revisit:
            cdx["mime"] = original.get("mime", "")
            if "status" in cdx:
                cdx["status"] = original.get("status", "")
        for name in ("length", "offset", "filename"):
            cdx[f"orig.{name}"] = original.get(name, "-") if original and revisit else "-"
        yield cdx


def _collapse(lines: list[dict], token: Callable[[dict], object]) -> list[dict]:
    kept, last = [], object()
    for cdx in lines:
        value = token(cdx)
        if value != last:
            kept.append(cdx)
            last = value
    return kept


def render(lines: list[dict], query: CdxQuery) -> Iterator[str]:
    """The lines in ``query.output`` (pywb's ``to_cdxj``, ``to_json``, ``to_text``,
    ``make_timemap``), with only the ``fl`` fields when given."""
    fields = query.fields
    if query.output == "link":
        for n, cdx in enumerate(lines):
            end = "\n" if n == len(lines) - 1 else ",\n"
            yield (
                f'<{cdx["url"]}>; rel="memento"; '
                f'datetime="{timestamp_to_http_date(cdx["timestamp"])}"{end}'
            )
        return
    for cdx in lines:
        if query.output == "json":
            names = fields if fields is not None else list(cdx)
            yield json.dumps({n: cdx[n] for n in names if n in cdx}) + "\n"
        elif query.output == "cdxj":
            rest = {k: v for k, v in cdx.items() if k not in ("urlkey", "timestamp")}
            names = fields if fields is not None else list(rest)
            kept = {n: rest[n] for n in names if n in rest}
            yield f"{cdx['urlkey']} {cdx['timestamp']} {json.dumps(kept)}\n"
        else:
            names = fields if fields is not None else list(cdx)
            yield " ".join(str(cdx.get(n, "-")) for n in names) + "\n"


# -- parameters ------------------------------------------------------------------------------------


def _all(query: dict[str, list[str]], name: str) -> list[str]:
    values = query.get(name) or []
    if isinstance(values, str):
        values = [values]
    return [v for v in values if v]


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = _all(query, name)
    return values[-1] if values else None


def _time(query: dict[str, list[str]], name: str, *, upper: bool = False) -> str | None:
    value = _one(query, name)
    if value is None:
        return None
    try:
        return memento.wayback_time(value, upper=upper)
    except TimeError as exc:
        raise CdxQueryError(f"{name}={exc}") from None


def _int(query: dict[str, list[str]], name: str, default: int, *, nonzero: bool) -> int:
    value = _one(query, name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not re.fullmatch(r"-?\d+", value.strip()) or (nonzero and number == 0):
        raise CdxQueryError(
            f"{name}={value}: expected a whole number other than 0"
            + (" (-N: the last N)" if name == "limit" else "")
        )
    if name == "collapseTime" and number < 0:
        raise CdxQueryError(f"{name}={value}: expected a number of timestamp digits, 1 to 14")
    return number


def _flag(query: dict[str, list[str]], name: str) -> bool:
    # pywb's to_bool: anything but 0, false, f, off
    value = _one(query, name)
    return bool(value) and value.lower() not in ("0", "false", "f", "off")
