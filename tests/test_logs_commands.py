"""Every command logs through structlog: JSON lines when stderr is piped, readable lines on a
terminal (a pseudo-terminal here). No crawl: the archive is one WARC written by the project's
writer, and ``scrapy crawl`` stops at a wrong setting."""

from __future__ import annotations

import fcntl
import io
import json
import os
import pty
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import termios
import time
import urllib.request
from pathlib import Path

import pytest
from warcio.recordbuilder import RecordBuilder
from warcio.statusandheaders import StatusAndHeaders

from crawler.archive.cdxj import write_index
from crawler.archive.writer import RotatingWarcWriter
from tests.helpers import REPO, free_port, wait_for_port

URL = "https://news.example/world/2024/05/budget-vote"
CRAWL_ID = "news-20240501T080000"
# A readable line of structlog's console renderer: time, [level], event, then its fields.
READABLE = re.compile(r"^\d{4}-\d\d-\d\dT?[\d:. ]+Z? \[(\w+)\s*\] (\S+)")


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """A local archive holding one WARC (request + response of URL) and its CDXJ."""
    root = tmp_path_factory.mktemp("logs") / "archive"
    builder = RecordBuilder(warc_version="WARC/1.1")
    request = builder.create_warc_record(
        URL,
        "request",
        payload=io.BytesIO(b""),
        http_headers=StatusAndHeaders(
            "GET /world/2024/05/budget-vote HTTP/1.1",
            [("Host", "news.example")],
            is_http_request=True,
        ),
    )
    body = b"<html><body><h1>Budget vote</h1></body></html>"
    response = builder.create_warc_record(
        URL,
        "response",
        payload=io.BytesIO(body),
        http_headers=StatusAndHeaders(
            "200 OK",
            [("Content-Type", "text/html"), ("Content-Length", str(len(body)))],
            protocol="HTTP/1.1",
        ),
    )
    writer = RotatingWarcWriter(
        root / "warc" / CRAWL_ID, prefix="newsarchive", max_size=10**9, builder=builder
    )
    writer.write(request, response)
    closed = writer.close()
    stem = closed.name.removesuffix(".warc.gz")
    write_index(closed.cdxj_lines, root / "cdxj" / CRAWL_ID / f"{stem}.cdxj")
    return root


def command(name: str, archive: Path, *args: str) -> list[str]:
    state = archive.parent / "state"
    return [
        *(sys.executable, "-m", "crawler.cli", name),
        *("--archive", str(archive), "-s", f"STATE_DIR={state}", *args),
    ]


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO)}


def json_events(stderr: str) -> list[dict]:
    """Every line of ``stderr`` as the JSON object it must be."""
    events = []
    for line in stderr.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            pytest.fail(f"not a JSON line: {line!r}\n{stderr[-3000:]}")
        assert isinstance(event, dict) and {"event", "level", "timestamp"} <= event.keys(), line
        events.append(event)
    return events


def is_json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def run_on_terminal(args: list[str], timeout: float = 60) -> tuple[int, list[str]]:
    """Run ``args`` with stderr on a pseudo-terminal; (exit status, the lines it showed there)."""
    primary, secondary = pty.openpty()
    # a wide terminal: no line of the renderer is wrapped
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 400, 0, 0))
    proc = subprocess.Popen(
        args, env=environment(), stdout=subprocess.DEVNULL, stderr=secondary, cwd=REPO
    )
    os.close(secondary)
    output = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([primary], [], [], 0.2)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: the child closed its end
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(primary)
        status = proc.wait(10)
    text = output.decode("utf-8", "replace").replace("\r\n", "\n")
    return status, [line for line in text.splitlines() if line.strip()]


def test_reindex_logs_json_lines_when_piped(archive):
    proc = subprocess.run(
        command("reindex", archive),
        env=environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "indexed 1 WARC file(s)" in proc.stdout
    events = json_events(proc.stderr)
    assert [e["event"] for e in events] == ["reindex.warc"]
    assert events[0]["captures"] == 1 and events[0]["level"] == "info"


def test_reindex_logs_readable_lines_on_a_terminal(archive):
    status, lines = run_on_terminal(command("reindex", archive))
    assert status == 0, lines
    assert lines and not any(is_json_object(line) for line in lines), lines
    (line,) = lines
    match = READABLE.match(line)
    assert match and match.groups() == ("info", "reindex.warc"), line
    assert "captures=1" in line


def test_serve_logs_json_lines_even_for_a_client_that_resets(archive):
    subprocess.run(command("reindex", archive), env=environment(), capture_output=True, check=True)
    port = free_port()
    proc = subprocess.Popen(
        command("serve", archive, "--port", str(port), "-s", "LOG_LEVEL=DEBUG"),
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port(port)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/cdx?url={URL}") as answer:
            assert URL in answer.read().decode()
        # half a request, then a reset: socketserver would print a raw traceback for it
        with socket.create_connection(("127.0.0.1", port)) as client:
            client.sendall(b"GET /cdx?url=")
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    events = [e["event"] for e in json_events(stderr)]
    assert events[0] == "serve.listening" and events[-1] == "serve.stopped", events
    assert "serve.request" in events
    assert "serve.connection_lost" in events  # the reset, as a (debug) line like the others


def scrapy_crawl_with_a_bad_setting() -> list[str]:
    return [
        *(sys.executable, "-m", "scrapy", "crawl", "news"),
        *("-a", "urls=http://127.0.0.1:9/news/", "-s", "METRICS_PORT=ninety"),
    ]


def test_scrapy_crawl_says_a_wrong_setting_in_a_json_line(tmp_path):
    env = {**environment(), "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    proc = subprocess.run(
        scrapy_crawl_with_a_bad_setting(),
        check=False,
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    events = json_events(proc.stderr)
    (error,) = [e for e in events if e["level"] == "error"]
    assert error["event"] == "crawl.config_error" and "METRICS_PORT='ninety'" in error["error"]


def test_scrapy_crawl_says_a_wrong_setting_in_a_readable_line_on_a_terminal():
    status, lines = run_on_terminal(scrapy_crawl_with_a_bad_setting())
    assert status == 2, lines
    assert not any(is_json_object(line) for line in lines), lines
    levels_events = [READABLE.match(line).groups() for line in lines if READABLE.match(line)]
    assert ("error", "crawl.config_error") in levels_events, lines
    assert any("METRICS_PORT='ninety'" in line for line in lines), lines
