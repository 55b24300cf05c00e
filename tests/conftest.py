"""Shared fixtures: a crawl in a child process, and the Redis of this machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/0"
REDIS_HOWTO = (
    "Redis is not answering on 127.0.0.1:6379; start it with: "
    'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no'
)


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
def redis_prefix():
    """A unique key prefix on the real Redis; every key under it is deleted afterwards."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail(REDIS_HOWTO)
    prefix = f"newsarchive-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()
