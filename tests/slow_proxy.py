"""A TCP proxy on 127.0.0.1 that makes a real server slow: each chunk a client sends is held
``delay`` seconds before it is passed on.

A slow network is a fault a real server on loopback cannot produce by itself; everything behind
the proxy is the real server (SeaweedFS in the tests), and every byte reaches it unchanged.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Self


class SlowProxy:
    def __init__(self, target_port: int, *, delay: float) -> None:
        self.target_port = target_port
        self.delay = delay
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Self:
        self._spawn(self._accept)
        return self

    def __exit__(self, *exc) -> None:
        self._stopped.set()
        self._listener.close()

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            self._spawn(self._pipe, client, server, self.delay)
            self._spawn(self._pipe, server, client, 0.0)

    def _pipe(self, source: socket.socket, sink: socket.socket, delay: float) -> None:
        with source, sink:
            while not self._stopped.is_set():
                try:
                    data = source.recv(65536)
                except OSError:
                    return
                if not data:
                    with contextlib.suppress(OSError):
                        sink.shutdown(socket.SHUT_WR)
                    return
                if delay:
                    time.sleep(delay)
                try:
                    sink.sendall(data)
                except OSError:
                    return
