"""The demo site's HTTP server: stdlib ``ThreadingHTTPServer`` speaking HTTP/1.1 with keep-alive.

What an archiving crawler meets on real news sites, served deterministically:
gzip ``Content-Encoding`` when the client accepts it (most pages; a strong ``ETag`` for the identity
body, the weak form for the gzip one, as nginx does), ``Transfer-Encoding: chunked`` for section
pages and feeds (Content-Length otherwise), ``ETag`` and ``Last-Modified`` on every 200 with 304
answers to ``If-None-Match`` / ``If-Modified-Since``, a 301, 404s, and pages in broken or legacy
charsets (see ``site.py``).

In-process use::

    with DemoSite(port=0) as site:
        urllib.request.urlopen(site.base_url + "world/")
        site.set_edition(2)   # same URL, the changed site
"""

from __future__ import annotations

import contextlib
import json
import socket
import socketserver
import threading
import time
from datetime import UTC
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any, Self

from crawler.demo_site.site import Resource, SiteBuild
from crawler.demo_site.templates import build_template, check_template, template_manifest

# Varied chunk sizes: a crawler must reassemble chunks that split anywhere in the entity.
_CHUNK_SIZES = (1000, 4096, 517, 2048)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], site: DemoSite) -> None:
        self.site = site
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn), which can stall on DNS.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    sys_version = ""
    timeout = 30  # an idle keep-alive connection closes on its own
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)

    def version_string(self) -> str:
        return self.server.site.build.server

    def log_message(self, format: str, *args: Any) -> None:
        # The site keeps its own request log (DemoSite.requests, --access-log); stderr stays quiet.
        pass

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _serve(self, head: bool) -> None:
        build = self.server.site.build
        res = build.lookup(self.path)
        encoding = ""
        conditional = bool(
            self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since")
        )
        if res.status != 200:
            status, body = res.status, res.body
            self.send_response(status)
            if res.location:
                self.send_header("Location", build.base_url.rstrip("/") + res.location)
            self.send_header("Content-Type", res.content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)
            self._record(res, status, encoding, conditional)
            return

        use_gzip = res.gzip and _accepts_gzip(self.headers.get("Accept-Encoding", ""))
        etag = f'W/"{res.tag}"' if use_gzip else f'"{res.tag}"'
        if _not_modified(self.headers, res):
            self.send_response(304)
            self._validators(res, etag)
            self.end_headers()
            self._record(res, 304, "", conditional)
            return

        body = res.gzipped if use_gzip else res.body
        chunked = res.chunked and self.request_version == "HTTP/1.1"
        self.send_response(200)
        self.send_header("Content-Type", res.content_type)
        self._validators(res, etag)
        if use_gzip:
            encoding = "gzip"
            self.send_header("Content-Encoding", "gzip")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            if chunked:
                self._write_chunked(body)
            else:
                self.wfile.write(body)
        self._record(res, 200, encoding, conditional, chunked=chunked)

    def _validators(self, res: Resource, etag: str) -> None:
        self.send_header("ETag", etag)
        if res.last_modified:
            self.send_header("Last-Modified", format_datetime(res.last_modified, usegmt=True))
        if res.gzip:
            self.send_header("Vary", "Accept-Encoding")
        self.send_header("Cache-Control", "public, max-age=60")

    def _write_chunked(self, body: bytes) -> None:
        pos, i = 0, 0
        while pos < len(body):
            piece = body[pos : pos + _CHUNK_SIZES[i % len(_CHUNK_SIZES)]]
            self.wfile.write(b"%X\r\n%s\r\n" % (len(piece), piece))
            pos, i = pos + len(piece), i + 1
        self.wfile.write(b"0\r\n\r\n")

    def _record(
        self, res: Resource, status: int, encoding: str, conditional: bool, chunked: bool = False
    ) -> None:
        self.server.site._log_request(
            {
                "time": time.time(),
                "method": self.command,
                "target": self.path,
                "status": status,
                "kind": res.kind,
                "content_encoding": encoding,
                "chunked": chunked,
                "conditional": conditional,
                "user_agent": self.headers.get("User-Agent", ""),
            }
        )


def _accepts_gzip(header: str) -> bool:
    for item in header.split(","):
        name, _, params = item.strip().partition(";")
        if name.strip().lower() not in ("gzip", "x-gzip", "*"):
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            return True
    return False


def _not_modified(headers: Any, res: Resource) -> bool:
    """RFC 9110 §13.2.2: If-None-Match (weak comparison) wins over If-Modified-Since."""
    inm = headers.get("If-None-Match")
    if inm is not None:
        tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
        return "*" in tags or f'"{res.tag}"' in tags
    ims = headers.get("If-Modified-Since")
    if ims and res.last_modified:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return res.last_modified.replace(microsecond=0) <= since
    return False


class DemoSite:
    """The demo news site, served from a background thread.

    ``port=0`` picks a free port; ``base_url`` is known once started (``with`` starts it).
    ``requests`` lists every request served, so tests can see what a crawl fetched
    (e.g. that robots.txt kept it out of /private/). ``access_log`` appends them as JSON lines.
    ``template`` picks the site served: ``courier`` (The Harbour Courier, the default),
    ``legacy`` or ``farm`` (see ``crawler.demo_site.templates``).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        edition: int = 1,
        access_log: str | Path | None = None,
        template: str = "courier",
    ) -> None:
        self.host = host
        self._template = check_template(template)
        self._requested_port = port
        self._edition = edition
        self._access_log_path = Path(access_log) if access_log else None
        self._access_log: IO[str] | None = None
        self._log_lock = threading.Lock()
        self._requests: list[dict] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._build: SiteBuild | None = None  # rendered once the port (hence the URLs) is known

    def _base_for(self, port: int) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{port}/"

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> DemoSite:
        if self._server is not None:
            return self
        server = _Server((self.host, self._requested_port), self)
        self._server = server
        self._build = build_template(
            self._template, self._base_for(server.server_port), self._edition
        )
        if self._access_log_path:
            self._access_log = self._access_log_path.open("a", encoding="utf-8")
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True,
            name=f"demo-site-{server.server_port}",
        )  # fmt: skip
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        # Close idle keep-alive connections so their handler threads end now, not at timeout.
        with server.connections_lock:
            for conn in list(server.connections):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread:
            self._thread.join(timeout=5)
        if self._access_log:
            self._access_log.close()
            self._access_log = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------------- what it serves

    @property
    def build(self) -> SiteBuild:
        """Every resource served and the manifest, for the current edition."""
        if self._build is None:
            raise RuntimeError("DemoSite is not started")
        return self._build

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("DemoSite is not started")
        return self._server.server_port

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT/`` (with the trailing slash)."""
        if self._server is None:
            raise RuntimeError("DemoSite is not started")
        return self.build.base_url

    @property
    def template(self) -> str:
        return self._template

    @property
    def edition(self) -> int:
        return self._edition

    def set_edition(self, edition: int) -> None:
        """Switch to another edition in place: same port, same URLs, the new stories added."""
        if self._build is not None:
            self._build = build_template(self._template, self._build.base_url, edition)
        self._edition = edition

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    def manifest(self) -> dict:
        """Ground truth for this site: ``crawler.demo_site.demo_manifest`` for the Courier, the
        ``template_manifest`` of the others."""
        return self.build.manifest

    def template_manifest(self) -> dict:
        """Ground truth in the shape common to every template: see ``template_manifest``."""
        return template_manifest(self._template, self.base_url, self._edition)

    def expected_body(self, path: str) -> bytes:
        """The identity (un-gzipped, de-chunked) body served for a path or URL."""
        return self.build.lookup(path).body

    def served_body(self, path: str, gzip: bool) -> bytes:
        """The entity bytes on the wire: gzip-coded when asked for and the page allows it."""
        res = self.build.lookup(path)
        return res.gzipped if gzip and res.gzip and res.status == 200 else res.body

    # ---------------------------------------------------------------- request log

    @property
    def requests(self) -> list[dict]:
        with self._log_lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._log_lock:
            self._requests.clear()

    def _log_request(self, record: dict) -> None:
        with self._log_lock:
            self._requests.append(record)
            if self._access_log:
                self._access_log.write(json.dumps(record) + "\n")
                self._access_log.flush()
