"""A real HTTP server on 127.0.0.1 serving a dict of pages, for tests and the demo corpus.

``LocalSite({"/a.html": "<html>..."})`` serves those paths in a background thread, records each
request (path, headers, status and arrival time), and answers conditional requests like a real
origin: a page given an ``ETag`` or ``Last-Modified`` header gets ``304 Not Modified`` when the
request's validators match.

For hostile answers a well-behaved server library would refuse to send:

- ``Raw([bytes, seconds, bytes, ...])`` is written to the socket as it is (status line, headers,
  body: duplicate or malformed headers, NUL bytes, a ``Content-Length`` the body never reaches),
  pausing ``seconds`` where a number stands (a body that stalls), then the connection is closed;
- ``routes={"/calendar/": handler}`` answers every path under a prefix with ``handler(path)``
  (``path`` with its query string): endless calendars and paginations, pages that change after
  their first request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


@dataclass
class Page:
    body: bytes | str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/html; charset=utf-8"


@dataclass
class Raw:
    """Bytes sent as they are, and pauses (seconds) between them; the connection closes after."""

    parts: list[bytes | float]
    status: int = 0  # what the request log records (0: not an HTTP answer a server would send)


@dataclass
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]
    status: int
    time: float = 0.0  # time.monotonic() when the request arrived


Answer = bytes | str | Page | Raw


class LocalSite:
    """Serve ``pages`` ({path: html | Page | Raw}) until ``close()``; use as a context manager."""

    def __init__(
        self,
        pages: dict[str, Answer],
        *,
        routes: dict[str, Callable[[str], Answer | None]] | None = None,
        host: str = "127.0.0.1",
        hostname: str | None = None,
    ) -> None:
        self.pages = {path: _page(p) for path, p in pages.items()}
        self.routes = dict(routes or {})
        self.hostname = hostname or host
        self.requests: list[SeenRequest] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                arrived = time.monotonic()
                page = site._answer(self.path)
                if isinstance(page, Raw):
                    site._record(self, page.status, arrived)
                    for part in page.parts:
                        if isinstance(part, bytes):
                            self.wfile.write(part)
                            self.wfile.flush()
                        elif site._closing.wait(part):
                            break
                    self.close_connection = True
                    return
                status = page.status
                if status == 200 and _not_modified(page.headers, self.headers):
                    status = 304
                site._record(self, status, arrived)
                body = page.body.encode() if isinstance(page.body, str) else page.body
                self.send_response(status)
                for name, value in page.headers.items():
                    self.send_header(name, value)
                if status == 304:
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_header("Content-Type", page.content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client stopped reading (size limits)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _answer(self, path: str) -> Page | Raw:
        page = self.pages.get(path) or self.pages.get(path.split("?", 1)[0])
        if page is None:
            for prefix, handler in self.routes.items():
                if path.startswith(prefix):
                    answer = handler(path)
                    page = None if answer is None else _page(answer)
                    break
        return page or Page("<html><body>not found</body></html>", status=404)

    def _record(self, handler: BaseHTTPRequestHandler, status: int, arrived: float) -> None:
        with self._lock:
            self.requests.append(
                SeenRequest("GET", handler.path, dict(handler.headers.items()), status, arrived)
            )

    @property
    def base_url(self) -> str:
        port = self._server.server_address[1]
        return f"http://{self.hostname}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def hits(self, path: str) -> list[SeenRequest]:
        """Requests for ``path`` whatever their query string."""
        with self._lock:
            return [r for r in self.requests if r.path.split("?", 1)[0] == path]

    def hits_under(self, prefix: str) -> list[SeenRequest]:
        """Requests for any path starting with ``prefix``."""
        with self._lock:
            return [r for r in self.requests if r.path.startswith(prefix)]

    def close(self) -> None:
        self._closing.set()  # stalled answers end now
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _page(answer: Answer) -> Page | Raw:
    return answer if isinstance(answer, Page | Raw) else Page(answer)


def _not_modified(page_headers: dict[str, str], request_headers) -> bool:
    etag = page_headers.get("ETag")
    inm = request_headers.get("If-None-Match")
    if etag and inm:
        return etag in [v.strip() for v in inm.split(",")]
    last_modified = page_headers.get("Last-Modified")
    ims = request_headers.get("If-Modified-Since")
    return bool(last_modified and ims and ims == last_modified)
