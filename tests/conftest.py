"""Shared fixtures: the demo site, pywb replay, crawls in child processes, the machine's Redis."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import (
    postgres_database,
    pywb_collection,
    redis_key_prefix,
    require_pywb,
)
from tests.s3server import s3_env, s3_server  # noqa: F401 - fixtures: a real SeaweedFS S3 server

ROOT = Path(__file__).resolve().parent.parent

# Fixtures that start a crawl in its own process or a server, or need the machine's Redis.
E2E_FIXTURES = frozenset(
    {"run_crawl", "demo_site", "pywb", "s3_server", "s3_env", "redis_prefix", "postgres_url"}
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``e2e`` every test that uses an end-to-end fixture, so a ``fast`` module can still
    hold one crawl test (``make test-fast`` runs ``-m "fast and not e2e"``)."""
    for item in items:
        if E2E_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def run_crawl(tmp_path):
    """``run_crawl(config) -> result``: one crawl of ``tests.crawlproc`` in its own process."""
    counter = iter(range(1000))

    def run(config: dict) -> dict:
        n = next(counter)
        config_path = tmp_path / f"crawl{n}.json"
        result_path = tmp_path / f"result{n}.json"
        config_path.write_text(json.dumps(config))
        env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
        proc = subprocess.run(
            [sys.executable, "-m", "tests.crawlproc", str(config_path), str(result_path)],
            check=False,
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads(result_path.read_text())

    return run


@pytest.fixture
def postgres_url():
    """A throwaway database on the machine's PostgreSQL (its URL), dropped afterwards."""
    with postgres_database() as url:
        yield url


@pytest.fixture
def redis_prefix():
    """A unique key prefix on the real Redis; every key under it is deleted afterwards."""
    with redis_key_prefix() as prefix:
        yield prefix


@pytest.fixture(scope="session")
def demo_site():
    """The bundled demo news site, first edition, on a free port of 127.0.0.1."""
    from crawler.demo_site import DemoSite

    with DemoSite(port=0) as site:
        yield site


@pytest.fixture
def pywb(tmp_path):
    """``replay(warc_paths) -> base URL of a pywb collection "demo" holding those WARCs``.

    The collection is built by pywb's own ``wb-manager add`` (pywb indexes the files itself), so
    replay is an independent reading of what we wrote.
    """
    require_pywb()
    with contextlib.ExitStack() as stack:

        def replay(warcs: list[Path]) -> str:
            return stack.enter_context(pywb_collection(tmp_path / "pywb", warcs))

        yield replay
