"""A private ``redis-server`` for tests that must stop, restart or lock down Redis.

The machine's Redis (127.0.0.1:6379) is shared and must never be restarted; this one runs on a free
port of 127.0.0.1, with its data in its own directory, and is stopped by its PID. ``stop()`` (SIGKILL:
a crash, not a clean shutdown) and ``start()`` keep the port and the append-only file, so a test can
take Redis away mid-crawl and bring the same data back, as a restarted production Redis would.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Self

import redis

from tests.helpers import free_port


class PrivateRedis:
    def __init__(self, directory: Path, *, password: str | None = None) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.binary = binary
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.password = password
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 15.0) -> None:
        args = [
            self.binary,
            "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
            # every write on disk before it is acknowledged: a crash loses nothing acknowledged
            "--appendonly", "yes", "--appendfsync", "always", "--save", "",
            "--daemonize", "no", "--logfile", str(self.directory / "redis.log"),
        ]  # fmt: skip
        if self.password:
            args += ["--requirepass", self.password]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                client.close()
                return
            except redis.ConnectionError:  # BusyLoadingError (reading its file) too
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start: {self.directory}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        """Kill it (SIGKILL, by PID): clients see connections refused until ``start()``."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
