"""Articles held for their site's template are let go once no page can come: here, when the crawl
can fetch nothing more until they go (the engine backs out on the held items' responses)."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"

# The content-farm crawl of tests/clean_crawl.py, with settings of the test's choosing.
_CRAWL = """
import json, sys
from tests.clean_crawl import crawl

print(json.dumps(crawl(sys.argv[1], sys.argv[2], json.loads(sys.argv[3]))))
"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def content_farm_site():
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(FIXTURES))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_held_articles_are_released_when_the_crawl_stalls_on_them(content_farm_site, tmp_path):
    # One held response fills the scraper's slot: the engine fetches nothing more until the item
    # goes. Without the release the crawl would sit out the 600 s hold timeout (killed at 90 s).
    out = tmp_path / "articles.jsonl"
    settings = {
        "STATE_DIR": str(tmp_path / "state"),
        "CLEAN_TEMPLATE_MIN_PAGES": 50,
        "CLEAN_HOLD_TIMEOUT": 600,
        "SCRAPER_SLOT_MAX_ACTIVE_SIZE": 1,
    }
    proc = subprocess.run(
        [sys.executable, "-c", _CRAWL, content_farm_site, str(out), json.dumps(settings)],
        capture_output=True,
        check=False,
        text=True,
        timeout=90,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=str(ROOT),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    stats = json.loads(proc.stdout.strip().splitlines()[-1])
    assert stats["clean/held"] >= 1
    assert stats["clean/articles"] == 6
    assert len(out.read_text(encoding="utf-8").splitlines()) == 6
