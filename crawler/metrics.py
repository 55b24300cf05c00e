"""Prometheus metrics over HTTP: a ``prometheus_client`` registry served from a daemon thread.

    from crawler.metrics import metrics_address, serve_metrics

    address = metrics_address(settings)          # (host, port), or None: METRICS_PORT unset or 0
    if address is not None:
        server = serve_metrics(address[1], address[0], registry)
        ...
        server.stop()

``GET /metrics`` answers the registry in Prometheus' text format (OpenMetrics when the scraper asks
for it); ``GET /healthz`` answers ``200 ok`` while the server's ``health()`` is true, else ``503``.
The server listens on ``METRICS_HOST`` (default ``127.0.0.1``: loopback only; another address is
the user's explicit choice) and ``METRICS_PORT``. A value that is wrong, or a port already taken,
is a :class:`~crawler.config.ConfigError` with one line naming the setting.

Used by the crawl (:mod:`crawler.extensions.metrics`) and by the scheduler, each with its own
registry. Request lines and server errors are log lines (structlog), never raw text on stderr.
"""

from __future__ import annotations

import errno
import socket
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import structlog
from prometheus_client import REGISTRY
from prometheus_client.exposition import choose_encoder

from crawler.config import ConfigError

if TYPE_CHECKING:
    from prometheus_client.registry import Collector
    from scrapy.settings import BaseSettings

log = structlog.get_logger(__name__)

DEFAULT_HOST = "127.0.0.1"
METRICS_PATHS = ("/metrics", "/metrics/")
HEALTH_PATH = "/healthz"


def metrics_address(
    settings: BaseSettings,
    *,
    port_setting: str = "METRICS_PORT",
    host_setting: str = "METRICS_HOST",
) -> tuple[str, int] | None:
    """``(host, port)`` from the settings, checked; None when the port is unset, empty or 0."""
    value = settings.get(port_setting)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        port = int(str(value).strip()) if not isinstance(value, bool) else -1
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise ConfigError(
            f"setting {port_setting}={value!r}: expected a TCP port (1-65535), or 0 for no metrics"
        )
    if port == 0:
        return None
    host = settings.get(host_setting)
    if not isinstance(host, str) or not host.strip() or any(c.isspace() for c in host.strip()):
        raise ConfigError(f"setting {host_setting}={host!r}: expected an address to listen on")
    return host.strip(), port


def check_address(
    host: str,
    port: int,
    *,
    port_setting: str = "METRICS_PORT",
    host_setting: str = "METRICS_HOST",
) -> None:
    """ConfigError (naming the setting) unless ``host:port`` can be listened on right now."""
    family, address = _resolve(host, port, host_setting)
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
        try:
            probe.bind(address)
        except OSError as exc:
            raise _bind_error(exc, host, port, port_setting, host_setting) from None


class MetricsServer:
    """A running metrics endpoint: :attr:`port` (the one bound, also when 0 was asked),
    :attr:`url`, and :meth:`stop`. Also a context manager."""

    def __init__(self, httpd: _MetricsHTTPServer, thread: threading.Thread) -> None:
        self._httpd = httpd
        self._thread = thread
        self._stopped = False
        self._lock = threading.Lock()

    @property
    def host(self) -> str:
        return self._httpd.server_address[0]

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/metrics"

    def stop(self, timeout: float = 5.0) -> None:
        """Stop listening and wait (at most ``timeout`` s) for the serving thread. Idempotent."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout)
        log.debug("metrics.stopped", url=self.url)

    def __enter__(self) -> MetricsServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_metrics(
    port: int,
    host: str = DEFAULT_HOST,
    registry: Collector = REGISTRY,
    *,
    health: Callable[[], bool] | None = None,
    port_setting: str = "METRICS_PORT",
    host_setting: str = "METRICS_HOST",
) -> MetricsServer:
    """Serve ``registry`` on ``http://host:port/metrics`` from a daemon thread; returns at once.

    ``port`` 0 takes a free port (see :attr:`MetricsServer.port`). ``health``: what
    ``/healthz`` reports (default: healthy while the server runs). A port that is taken, or an
    address that cannot be listened on, raises ConfigError naming ``port_setting`` or
    ``host_setting``.
    """
    family, address = _resolve(host, port, host_setting)

    class Server(_MetricsHTTPServer):
        address_family = family

    try:
        httpd = Server(address, registry, health)
    except OSError as exc:
        raise _bind_error(exc, host, port, port_setting, host_setting) from None
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="metrics", daemon=True
    )
    thread.start()
    server = MetricsServer(httpd, thread)
    log.info("metrics.listening", url=server.url)
    return server


def _resolve(host: str, port: int, host_setting: str) -> tuple[int, tuple]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else str(exc)
        raise ConfigError(f"setting {host_setting}={host!r}: not an address ({reason})") from None
    family, _type, _proto, _name, address = infos[0]
    return family, address


def _bind_error(
    exc: OSError, host: str, port: int, port_setting: str, host_setting: str
) -> ConfigError:
    reason = exc.strerror or str(exc)
    if exc.errno == errno.EADDRNOTAVAIL:
        return ConfigError(f"setting {host_setting}={host!r}: cannot listen there ({reason})")
    return ConfigError(f"setting {port_setting}={port}: cannot listen on {host}:{port} ({reason})")


class _MetricsHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple, registry: Collector, health: Callable[[], bool] | None
    ) -> None:
        self.registry = registry
        self.health = health
        super().__init__(address, _MetricsHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # socketserver would print a traceback on stderr: a log line instead
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):  # the scraper went away
            log.debug("metrics.connection_error", client=str(client_address), error=repr(exc))
        else:
            log.error("metrics.request_failed", client=str(client_address), exc_info=exc)


class _MetricsHandler(BaseHTTPRequestHandler):
    server: _MetricsHTTPServer
    server_version = "newsarchive-metrics"
    sys_version = ""
    timeout = 30  # a client that sends nothing holds a thread this long at most

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def _answer(self, *, head: bool) -> None:
        path = urlsplit(self.path).path
        if path in METRICS_PATHS:
            encoder, content_type = choose_encoder(self.headers.get("Accept", ""))
            try:
                status, body = 200, encoder(self.server.registry)
            except Exception:  # a broken collector costs one scrape, not the server
                log.exception("metrics.collect_failed")
                status, body, content_type = 500, b"collecting metrics failed\n", "text/plain"
        elif path == HEALTH_PATH:
            healthy = self.server.health is None or self._healthy()
            status, body = (200, b"ok\n") if healthy else (503, b"unhealthy\n")
            content_type = "text/plain; charset=utf-8"
        else:
            status, body = 404, b"not found: the metrics are at /metrics\n"
            content_type = "text/plain; charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _healthy(self) -> bool:
        try:
            return bool(self.server.health())
        except Exception:
            log.exception("metrics.health_failed")
            return False

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("metrics.http", message=format % args)
