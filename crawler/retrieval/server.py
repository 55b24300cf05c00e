"""The archive over HTTP, read-only: ``newsarchive serve`` (README, "Getting things back").

- ``GET /articles?q=&site=&since=&until=&tag=&lang=&author=&story=&limit=&cursor=``: a page of
  articles, best match (or newest) first, with ``total``, ``facets`` (per day, site, language: over
  every page) and ``next``, the cursor of the next page (keyset, opaque);
- ``GET /articles/{id}``: the exported article, its capture and a link to the archived page;
  ``GET /articles/{id}/versions``: every distinct text of its URL with diffs (as ``versions``);
  ``GET /stories/{story_id}``: the articles of one story;
- ``/cdx``, ``/timemap/...``, ``/web/...``: :mod:`crawler.retrieval.cdx` (pywb-like index, Memento);
- ``/`` and ``/static/<name>``: the files of ``crawler/retrieval/web/`` (listed once at start: a
  request only picks one by name, it never becomes a path).

An article's **id** is its place in the archive, the index's key of its ``metadata`` record (WARC
key and offset), in URL-safe base64: stable across ``reindex`` and across PostgreSQL and SQLite.

GET and HEAD only (any other method: 405); never a request to the live web. With a token
(``RETRIEVAL_TOKEN``, required to bind anything but loopback) every request needs
``Authorization: Bearer TOKEN`` (else 401). Errors are JSON: ``{"error": ..., "status": ...}``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import importlib.util
import ipaddress
import json
import mimetypes
import re
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, quote, unquote, urlencode, urlsplit

import structlog

from crawler.archive.cdxj import url_key
from crawler.retrieval.index import ArchiveIndex
from crawler.retrieval.reader import RecordReader
from crawler.retrieval.timestamps import TimeError, iso, parse_time
from crawler.retrieval.versions import article_versions

log = structlog.get_logger(__name__)

WEB_DIR = Path(__file__).resolve().parent / "web"
CDX_MODULE = "crawler.retrieval.cdx"
CDX_PREFIXES = ("/cdx", "/timemap/", "/web/")
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# parameter of /articles -> filter of ArchiveIndex.search (cursor and limit are the page's)
FILTERS = {
    "q": "text", "site": "site", "since": "since", "until": "until", "tag": "tag",
    "lang": "language", "author": "author", "story": "story_id",
}  # fmt: skip
PAGE_PARAMETERS = ("limit", "cursor")
_ARTICLE = re.compile(r"/articles/([^/]+)(/versions)?/?")
_STORY = re.compile(r"/stories/([^/]+)/?")
_EXCERPT = 280


class ApiError(Exception):
    """An answer other than 200: its status and the one-line reason sent as JSON."""

    def __init__(self, status: int, reason: str, **fields: Any) -> None:
        super().__init__(reason)
        self.status, self.reason, self.fields = status, reason, fields


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def article_id(article: dict) -> str:
    """The stable id of an indexed article (its metadata record's WARC key and offset)."""
    raw = f"{article['record_offset']}:{article['warc_key']}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def parse_article_id(text: str) -> tuple[str, int] | None:
    """(WARC key, offset) of an id, or None for text that is no id."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    offset, sep, key = raw.partition(":")
    if not sep or not key or not offset.isdigit():
        return None
    return key, int(offset)


def web_files(directory: Path = WEB_DIR) -> dict[str, Path]:
    """The files the web page is made of, by name (no subdirectories, no hidden files)."""
    if not directory.is_dir():
        return {}
    return {p.name: p for p in directory.iterdir() if p.is_file() and not p.name.startswith(".")}


class ArchiveServer(ThreadingHTTPServer):
    """One index and one archive store, shared by the request threads (the index serialises
    its queries on its own lock; the store is read only by ranged reads)."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        index: ArchiveIndex,
        reader: RecordReader,
        *,
        token: str | None = None,
        web_dir: Path = WEB_DIR,
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.index, self.reader, self.token = index, reader, token or None
        self.static = web_files(web_dir)
        super().__init__(address, ApiHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # socketserver would print a traceback on stderr (not a log line): a client that went
        # away is a debug line, anything else an error line with its traceback
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            log.debug("serve.connection_lost", client=str(client_address), error=repr(exc))
        else:
            log.error("serve.connection_failed", client=str(client_address), exc_info=exc)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{f'[{host}]' if ':' in host else host}:{port}/"


class ApiHandler(BaseHTTPRequestHandler):
    server: ArchiveServer
    server_version = "newsarchive"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    # head and body go out as two sends: with Nagle's algorithm the second waits for the
    # client's delayed ACK (40 ms a request on a kept-alive connection)
    disable_nagle_algorithm = True
    timeout = 60  # a client that sends nothing holds a thread this long at most

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def version_string(self) -> str:
        return self.server_version

    def __getattr__(self, name: str):
        # http.server looks up do_<METHOD>: every method but GET and HEAD is refused the same way
        if name.startswith("do_"):
            return self._not_allowed
        raise AttributeError(name)

    def _not_allowed(self) -> None:
        self.close_connection = True  # its body, if any, is never read
        if not self._authorized():
            self._finish(*_error(401, "missing or wrong bearer token"), head=False)
            return
        status, headers, body = _error(405, f"{self.command}: read-only (GET or HEAD)")
        self._finish(status, [*headers, ("Allow", "GET, HEAD")], body, head=False)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # a request http.server cannot parse: the same JSON as every other error
        self.close_connection = True
        self._finish(*_error(code, message or self.responses.get(code, ("error",))[0]), head=False)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("serve.http", message=format % args)

    # -- answering ----------------------------------------------------------------------------

    def _answer(self, *, head: bool) -> None:
        try:
            if not self._authorized():
                raise ApiError(401, "missing or wrong bearer token")
            status, headers, body = self._route()
        except ApiError as exc:
            status, headers, body = _error(exc.status, exc.reason, **exc.fields)
        except Exception:  # one request fails, the server goes on
            log.exception("serve.failed", path=self.path)
            status, headers, body = _error(500, "internal error (see the server's log)")
        self._finish(status, headers, body, head=head)

    def _authorized(self) -> bool:
        token = self.server.token
        if token is None:
            return True
        given = self.headers.get("Authorization", "") if self.headers else ""
        scheme, _sep, value = given.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            value.strip().encode(), token.encode()
        )

    def _finish(self, status: int, headers: list, body: bytes, *, head: bool) -> None:
        started = getattr(self, "_started", None)
        self.send_response(status)
        names = {name.lower() for name, _value in headers}
        for name, value in headers:
            self.send_header(name, value)
        if "content-length" not in names:
            self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        if status == 401:
            self.send_header("WWW-Authenticate", 'Bearer realm="newsarchive"')
        self.end_headers()
        if not head and body:
            self.wfile.write(body)
        log.info(
            "serve.request",
            method=self.command,
            path=urlsplit(getattr(self, "path", None) or "").path,
            status=status,
            bytes=len(body),
            ms=round((time.monotonic() - started) * 1000, 1) if started else None,
        )

    def parse_request(self) -> bool:
        self._started = time.monotonic()
        return super().parse_request()

    def _route(self) -> tuple[int, list, bytes]:
        parts = urlsplit(self.path)
        path = parts.path
        if path == "/":
            return self._static("index.html")
        if path.startswith("/static/"):
            return self._static(unquote(path.removeprefix("/static/")))
        if path.startswith(CDX_PREFIXES):
            return self._cdx(path, parts.query)
        index = self.server.index
        if path in ("/articles", "/articles/"):
            return _json(search_page(index, parts.query))
        if match := _ARTICLE.fullmatch(path):
            article = _article_by_id(index, unquote(match[1]))
            if match[2]:
                return _json(versions_of(index, article))
            return _json(article_detail(index, article))
        if match := _STORY.fullmatch(path):
            return _json(story(index, unquote(match[1])))
        raise ApiError(
            404,
            f"no such address: {path} (try /articles, /articles/ID, /articles/ID/versions, "
            "/stories/STORY_ID, /cdx, /web/)",
        )

    def _static(self, name: str) -> tuple[int, list, bytes]:
        source = self.server.static.get(name)
        if source is None:
            what = "the web page is not installed" if name == "index.html" else "no such file"
            raise ApiError(404, f"{what}: /static/{quote(name)}")
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
            kind += "; charset=utf-8"
        return 200, [("Content-Type", kind), ("Cache-Control", "no-cache")], source.read_bytes()

    def _cdx(self, path: str, query: str) -> tuple[int, list, bytes]:
        if importlib.util.find_spec(CDX_MODULE) is None:
            raise ApiError(404, f"{path}: the /cdx and Memento endpoints are not installed")
        from crawler.retrieval import cdx  # noqa: PLC0415 - written beside this module

        server = self.server
        status, headers, body = cdx.handle(
            server.index,
            server.reader,
            path,  # as sent (percent-encoded): an archived URL's own escapes are kept
            parse_qs(query, keep_blank_values=True),
            dict(self.headers.items()),
        )
        return status, list(headers), body


# -- the answers ----------------------------------------------------------------------------------


def _json(data: Any, status: int = 200) -> tuple[int, list, bytes]:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return status, [("Content-Type", "application/json; charset=utf-8")], body


def _error(status: int, reason: str, **fields: Any) -> tuple[int, list, bytes]:
    return _json({"error": reason, "status": status, **fields}, status)


def _query(query: str) -> dict[str, str]:
    """The non-empty parameters of /articles; an unknown or repeated one is a 400."""
    known = (*FILTERS, *PAGE_PARAMETERS)
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=False, max_num_fields=50)
    except ValueError as exc:
        raise ApiError(400, f"query: {exc}") from None
    params: dict[str, str] = {}
    for name, value in pairs:
        if name not in known:
            raise ApiError(
                400, f"unknown parameter {name!r} (known: {', '.join(known)})", parameter=name
            )
        if name in params:
            raise ApiError(400, f"parameter {name!r} given twice", parameter=name)
        if value.strip():
            params[name] = value.strip()
    return params


def _day(name: str, value: str | None, *, upper: bool) -> str | None:
    if value is None:
        return None
    try:
        stamp = parse_time(value, upper=upper)
    except TimeError as exc:
        raise ApiError(400, f"{name} {exc}", parameter=name) from None
    return f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}"


def _limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise ApiError(
            400, f"limit {value!r}: a whole number from 1 to {MAX_LIMIT}", parameter="limit"
        )
    return int(value)


def _fingerprint(filters: dict) -> str:
    """Which search a cursor belongs to: a cursor of another search is refused, not misread."""
    canonical = json.dumps(filters, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(canonical).hexdigest()[:12]


def _cursor(filters: dict, key: list) -> str:
    raw = json.dumps({"s": _fingerprint(filters), "k": key}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def _after(filters: dict, cursor: str | None) -> list | None:
    if cursor is None:
        return None
    bad = ApiError(
        400, "cursor: not a cursor of this search (start again without one)", parameter="cursor"
    )
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise bad from None
    key = data.get("k") if isinstance(data, dict) else None
    shapes = (int | float, str, str, str, str, int)
    if (
        data.get("s") != _fingerprint(filters)
        or not isinstance(key, list)
        or len(key) != len(shapes)
        or not all(
            isinstance(v, t) and not isinstance(v, bool) for v, t in zip(key, shapes, strict=True)
        )
    ):
        raise bad
    return key


_FACETS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="facets")


def search_page(index: ArchiveIndex, query: str) -> dict:
    params = _query(query)
    filters = {FILTERS[name]: value for name, value in params.items() if name in FILTERS}
    if "since" in filters:
        filters["since"] = _day("since", filters["since"], upper=False)
    if "until" in filters:
        filters["until"] = _day("until", filters["until"], upper=True)
    limit = _limit(params.get("limit"))
    after = _after(filters, params.get("cursor"))
    counting = _FACETS.submit(index.facets, filters)  # beside the page: both scan the matches
    page, last = index.search(filters, after=after, limit=limit)
    counts = counting.result()
    next_cursor = _cursor(filters, last) if last is not None else None
    next_url = None
    if next_cursor:
        kept = {k: v for k, v in params.items() if k != "cursor"}
        next_url = "/articles?" + urlencode({**kept, "cursor": next_cursor})
    return {
        "total": counts.pop("total"),
        "count": len(page),
        "results": [article_summary(a) for a in page],
        "next": next_cursor,
        "next_url": next_url,
        "facets": {
            name: [{"value": value, "count": n} for value, n in _ranked(name, values)]
            for name, values in counts.items()
        },
    }


def _ranked(name: str, counts: dict) -> list[tuple]:
    if name == "day":  # newest first
        return sorted(counts.items(), key=lambda kv: kv[0] or "", reverse=True)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] or ""))


def _article_by_id(index: ArchiveIndex, text: str) -> dict:
    place = parse_article_id(text)
    article = index.article_at(*place) if place else None
    if article is None:
        raise ApiError(404, f"no article with id {text!r}")
    return article


def _page_link(timestamp: str, url: str) -> str:
    return f"/web/{timestamp}id_/{url}"


def article_summary(article: dict) -> dict:
    """An article in a list: what a result line shows, and where to get the rest."""
    ident = article_id(article)
    body = article["body"] or ""
    excerpt = body[:_EXCERPT].rsplit(" ", 1)[0] + " …" if len(body) > _EXCERPT else body
    page_url = article["final_url"] or article["url"]
    return {
        "id": ident,
        "url": article["url"],
        "final_url": article["final_url"],
        "title": article["title"],
        "site": article["site"],
        "site_name": article["site_name"],
        "day": article["day"],
        "published": article["published"],
        "language": article["language"],
        "authors": article["authors"],
        "tags": article["tags"],
        "story_id": article["story_id"],
        "timestamp": article["timestamp"],
        "captured": iso(article["timestamp"]),
        "snippet": excerpt,
        "links": {
            "self": f"/articles/{ident}",
            "versions": f"/articles/{ident}/versions",
            "story": f"/stories/{quote(article['story_id'], safe='')}"
            if article["story_id"]
            else None,
            "page": _page_link(article["timestamp"], page_url),
        },
    }


def _capture_of(index: ArchiveIndex, article: dict) -> dict | None:
    """The response record the article was extracted from (its pointer names the WARC file;
    the index keys it by WARC key)."""
    name, offset = article["capture_file"], article["capture_offset"]
    if not name or offset is None:
        return None
    folder = article["warc_key"].rpartition("/")[0]
    found = index.capture_at(f"{folder}/{name}" if folder else name, offset)
    if found is None:
        for row in index.captures(url_key(article["final_url"] or article["url"]), "exact"):
            if row["warc_key"].rpartition("/")[2] == name and row["record_offset"] == offset:
                return row
    return found


def article_detail(index: ArchiveIndex, article: dict) -> dict:
    """The article as exported, plus its id, capture and links."""
    exported = json.loads(article["record"])
    summary = article_summary(article)
    capture = _capture_of(index, article)
    stamp = capture["timestamp"] if capture else article["timestamp"]
    page_url = capture["url"] if capture else (article["final_url"] or article["url"])
    archived = {"timestamp": stamp, "captured": iso(stamp), "url": page_url}
    if capture:
        archived.update(
            status=capture["status"],
            mime=capture["mime"],
            digest=capture["digest"],
            record_type=capture["record_type"],
            filename=capture["warc_key"],
            offset=capture["record_offset"],
            length=capture["record_length"],
        )
    archived["page"] = _page_link(stamp, page_url)
    links = {**summary["links"], "page": archived["page"]}
    return {
        **exported,
        "id": summary["id"],
        "timestamp": stamp,
        "captured": iso(stamp),
        "day": article["day"],
        "archived": archived,
        "links": links,
    }


def versions_of(index: ArchiveIndex, article: dict) -> dict:
    versions = article_versions(index.articles(url=article["url"]))
    return {
        "id": article_id(article),
        "url": article["url"],
        "versions": [
            {
                "version": v["version"],
                "captures": [iso(t) for t in v["captures"]],
                "ids": [article_id(a) for a in v["articles"]],
                "url": v["articles"][0]["final_url"] or v["articles"][0]["url"],
                "title": v["articles"][0]["title"],
                "body": v["articles"][0]["body"],
                "diff": v["diff"],
            }
            for v in versions
        ],
    }


def story(index: ArchiveIndex, story_id: str) -> dict:
    found = index.articles(story_id=story_id)
    if not found:
        raise ApiError(404, f"no article of story {story_id!r}")
    articles = []
    for article in sorted(found, key=lambda a: (a["timestamp"], a["url"])):
        duplicate = json.loads(article["record"]).get("duplicate_of") or None
        articles.append({**article_summary(article), "duplicate_of": duplicate})
    return {"story_id": story_id, "count": len(articles), "articles": articles}
