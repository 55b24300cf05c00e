"""CleanPipeline inside a real crawl: a local site serving the content farm, Scrapy on its asyncio
reactor, the template persisted in the crawl state between crawls."""

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

from crawler.state import CrawlState
from pipelines.clean import TEMPLATE_NAMESPACE, template_key
from pipelines.template import SiteTemplate

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
EXPECTED = json.loads((FIXTURES / "content-farm-article.expected.json").read_text(encoding="utf-8"))


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def content_farm_site():
    handler = functools.partial(_Quiet, directory=str(FIXTURES))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def _crawl(base: str, state_dir: Path, out: Path, min_pages: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests" / "clean_crawl.py"),
            base,
            str(state_dir),
            str(out),
            str(min_pages),
        ],
        capture_output=True,
        check=False,
        text=True,
        timeout=120,
        env=env,
        cwd=str(ROOT),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_crawled_content_farm_article_is_clean_and_template_is_kept(content_farm_site, tmp_path):
    out = tmp_path / "articles.jsonl"
    stats = _crawl(content_farm_site, tmp_path / "state", out, min_pages=6)
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    article = next(i for i in items if i["url"].endswith("content-farm-article.html"))
    assert article["title"] == EXPECTED["title"]
    assert article["published"] == EXPECTED["published"]
    assert article["tags"] == EXPECTED["tags"]
    assert article["body"].split("\n\n") == EXPECTED["body_paragraphs"]
    assert len(items) == 6 and stats["clean/articles"] == 6
    assert stats["clean/held"] >= 1  # the first article waited for its site's template
    state = CrawlState(tmp_path / "state" / "state.sqlite")
    site_url = next(i["url"] for i in items)
    stored = state.get(TEMPLATE_NAMESPACE, template_key("news.example.test", site_url))
    state.close()
    assert SiteTemplate.from_json(stored).pages == 7  # six articles and the section page


def test_held_articles_are_released_when_the_crawl_runs_out_of_pages(content_farm_site, tmp_path):
    # More pages asked for than the site has: without the release the crawl would hang for the
    # 600 s hold timeout and the subprocess would be killed at 120 s.
    out = tmp_path / "articles.jsonl"
    stats = _crawl(content_farm_site, tmp_path / "state", out, min_pages=50)
    assert stats["clean/articles"] == 6
    assert len(out.read_text(encoding="utf-8").splitlines()) == 6
