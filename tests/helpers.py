"""Shared helpers for the end-to-end tests: running the real CLI, reading WARCs, pywb replay."""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import sys
import time
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

REPO = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/0"
REDIS_HOWTO = (
    "Redis is not answering on 127.0.0.1:6379; start it with: "
    'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no'
)
PYWB_PYTHON = REPO / ".venv-pywb" / "bin" / "python"


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str, cwd: Path, env: dict | None = None, timeout: float = 240) -> CliResult:
    """Run ``newsarchive ARGS`` as a user would, in its own process."""
    # PYTHONPATH=REPO: the child runs this checkout's code whatever is installed in the venv
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO), **(env or {})}
    proc = subprocess.run(  # noqa: PLW1510 - the caller asserts on returncode
        [sys.executable, "-m", "crawler.cli", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def run_scrapy_crawl(*args: str, cwd: Path, timeout: float = 120) -> CliResult:
    """Run ``scrapy crawl news ARGS`` in this project, as scrapyd runs a job."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    proc = subprocess.run(  # noqa: PLW1510 - the caller asserts on returncode
        [sys.executable, "-m", "scrapy.cmdline", "crawl", "news", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def write_demo_site_file(sites_dir: Path, base_url: str) -> Path:
    """sites/demo.toml re-pointed at a demo site running on another port."""
    from crawler.demo_run import write_site_file

    return write_site_file(REPO / "sites" / "demo.toml", sites_dir, base_url)


def warc_files(archive: Path) -> list[Path]:
    return sorted(archive.glob("warc/*/*.warc.gz"))


def records(path: Path) -> list:
    """Every record of a WARC file, read fully: ``record.body`` holds the payload exactly as
    stored (Content-Encoding not undone)."""
    out = []
    with open(path, "rb") as fh:
        for record in ArchiveIterator(fh):
            record.body = record.raw_stream.read()
            out.append(record)
    return out


def gzip_members(path: Path) -> list[bytes]:
    """The decompressed gzip members of a file, one by one."""
    data = path.read_bytes()
    members = []
    while data:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        members.append(d.decompress(data) + d.flush())
        data = d.unused_data
    return members


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def read_jsonl_gz(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def assert_bodies_agree(bodies: dict[str, str], others: dict[str, str], what: str = "") -> None:
    """Two extractions of the same crawl's pages (another worker count, a later re-extraction)
    export the same articles with the same bodies, but for whole lines on a few of them.

    The site's template is learned while pages arrive, so an article is stripped with the template
    as it stood when it was extracted: a line on the edge of being template (a credit line that
    recurs on some stories, a standfirst beside blocks the learner has not yet judged) can be in
    one body and not in the other. Never a changed line, and on at most a tenth of the articles.
    """
    assert sorted(others) == sorted(bodies), what
    differing = 0
    for url, body in bodies.items():
        if others[url] == body:
            continue
        differing += 1
        lines, other_lines = set(body.split("\n")), set(others[url].split("\n"))
        assert lines <= other_lines or other_lines <= lines, (what, url)
    assert differing <= len(bodies) // 10, (what, differing)


@contextmanager
def redis_key_prefix() -> Iterator[str]:
    """A unique key prefix on the machine's Redis; every key under it is deleted afterwards."""
    import pytest
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail(REDIS_HOWTO)
    prefix = f"newsarchive-test-{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


def project_settings(**overrides) -> dict:
    """This project's settings (crawler/settings.py) with ``overrides``, for building one component
    with ``scrapy.utils.test.get_crawler``: the same defaults a crawl runs with, but none of the
    component lists, so only the component under test is built."""
    import crawler.settings as module
    from crawler.config import COMPONENT_SETTINGS

    names = [n for n in dir(module) if n.isupper() and n not in COMPONENT_SETTINGS]
    return {**{n: getattr(module, n) for n in names}, **overrides}


def require_pywb() -> None:
    """Fail, saying how to install it, when pywb's own venv is missing."""
    if not PYWB_PYTHON.exists():
        import pytest

        pytest.fail(
            f"pywb is not installed at {PYWB_PYTHON}: run `make test` (it creates .venv-pywb), "
            "or `python3 -m venv .venv-pywb && .venv-pywb/bin/pip install 'setuptools<81' "
            "pywb==2.8.0 'redis<3'`"
        )


@contextmanager
def pywb_collection(root: Path, warcs: list[Path]) -> Iterator[str]:
    """pywb serving a collection "demo" of ``warcs`` (indexed by pywb's own ``wb-manager add``,
    an independent reading of what we wrote) from ``root``; yields the collection's base URL."""
    require_pywb()
    wb_manager = PYWB_PYTHON.parent / "wb-manager"
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run([wb_manager, "init", "demo"], cwd=root, check=True, capture_output=True)
    subprocess.run(
        [wb_manager, "add", "demo", *map(str, warcs)], cwd=root, check=True, capture_output=True
    )
    port = free_port()
    proc = subprocess.Popen(
        [PYWB_PYTHON, REPO / "tests" / "pywb_server.py", root, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}/demo"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"  # the machine's, trust auth


@contextmanager
def postgres_database() -> Iterator[str]:
    """A throwaway database on the machine's PostgreSQL; yields its URL, drops it afterwards."""
    import psycopg

    name = f"newsarchive_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def crawl_gazette_twice(
    work: Path, home_url: str, change, *, article_pattern: str = r"/news/\d{4}/"
) -> str:
    """Crawl the local site at ``home_url`` (site file ``gazette``) into ``work/archive``, call
    ``change()`` (the site edits a page), crawl again: every article fetched both times, the second
    crawl's captures in later seconds. Returns a 14-digit UTC time between the two crawls."""
    (work / "sites").mkdir(parents=True, exist_ok=True)
    (work / "sites" / "gazette.toml").write_text(
        f'name = "gazette"\nstart_urls = ["{home_url}"]\narticle_patterns = [\'{article_pattern}\']\n'
    )
    options = ["--archive", str(work / "archive"), "-s", "ARTICLE_RECRAWL_AFTER=0s",
               "-s", "CLEAN_TEMPLATE_MIN_PAGES=1", "-s", "ROBOTSTXT_OBEY=False"]  # fmt: skip
    first = run_cli("crawl", "gazette", *options, cwd=work)
    assert first.returncode == 0, first.stderr[-3000:]
    time.sleep(1.1)
    between = time.strftime("%Y%m%d%H%M%S", time.gmtime())
    time.sleep(1.1)
    change()
    second = run_cli("crawl", "gazette", *options, cwd=work)
    assert second.returncode == 0, second.stderr[-3000:]
    return between
