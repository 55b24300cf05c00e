"""A real HTTP server on 127.0.0.1 serving a dict of pages, for tests and the demo corpus.

``LocalSite({"/a.html": "<html>..."})`` serves those paths in a background thread, records each
request (path and headers), and answers conditional requests like a real origin: a page given an
``ETag`` or ``Last-Modified`` header gets ``304 Not Modified`` when the request's validators match.
"""

from __future__ import annotations

import threading
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
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]
    status: int


class LocalSite:
    """Serve ``pages`` ({path: html | Page}) until ``close()``; use as a context manager."""

    def __init__(self, pages: dict[str, bytes | str | Page]) -> None:
        self.pages = {path: p if isinstance(p, Page) else Page(p) for path, p in pages.items()}
        self.requests: list[SeenRequest] = []
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                page = site.pages.get(self.path) or site.pages.get(self.path.split("?", 1)[0])
                if page is None:
                    page = Page("<html><body>not found</body></html>", status=404)
                status = page.status
                if status == 200 and _not_modified(page.headers, self.headers):
                    status = 304
                with site._lock:
                    site.requests.append(
                        SeenRequest("GET", self.path, dict(self.headers.items()), status)
                    )
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
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def hits(self, path: str) -> list[SeenRequest]:
        """Requests for ``path`` whatever their query string."""
        with self._lock:
            return [r for r in self.requests if r.path.split("?", 1)[0] == path]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _not_modified(page_headers: dict[str, str], request_headers) -> bool:
    etag = page_headers.get("ETag")
    inm = request_headers.get("If-None-Match")
    if etag and inm:
        return etag in [v.strip() for v in inm.split(",")]
    last_modified = page_headers.get("Last-Modified")
    ims = request_headers.get("If-Modified-Since")
    return bool(last_modified and ims and ims == last_modified)
