"""The crawl's Prometheus endpoint: ``/metrics`` during and after a real crawl of a local site,
read with prometheus_client's own parser, against the crawl's own summary and stats."""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import REPO, free_port, run_cli
from tests.local_site import LocalSite, Raw

TOPICS = ("harbour", "budget", "election", "rainfall")


def article(n: int) -> str:
    topic = TOPICS[n]
    text = " ".join(f"The {topic} story went on, sentence {i} of report {n}." for i in range(40))
    return (
        "<html><head><title>Story {n}</title>"
        '<meta property="og:type" content="article">'
        '<meta property="article:published_time" content="2024-05-0{n}T08:00:00Z">'
        f"</head><body><article><h1>The {topic} story</h1><p>{text}</p></article></body></html>"
    ).replace("{n}", str(n + 1))


def slow(html: str, seconds: float) -> Raw:
    """A page whose body comes ``seconds`` after its head: the crawl is still running meanwhile."""
    body = html.encode()
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    return Raw([head, seconds, body], status=200)


def scrape(port: int) -> dict[tuple[str, frozenset], float]:
    """``/metrics`` parsed by prometheus_client: {(sample name, labels): value}."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(metrics: dict, name: str, **labels: str) -> float:
    return metrics[(name, frozenset(labels.items()))]


def by_label(metrics: dict, name: str, label: str, **where: str) -> dict[str, float]:
    """{label value: sample value} of ``name``'s samples (with the labels ``where``)."""
    found = {}
    for (sample, label_set), number in metrics.items():
        labels = dict(label_set)
        if sample == name and all(labels.get(k) == v for k, v in where.items()):
            found[labels[label]] = number
    return found


class Crawl:
    """``newsarchive crawl`` in its own process, its JSON log lines read as they come."""

    def __init__(self, *args: str, cwd: Path) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "crawler.cli", "crawl", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.events: queue.Queue[dict] = queue.Queue()
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line)
            self.events.put(json.loads(line))

    def wait_for(self, event: str, timeout: float = 90) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                found = self.events.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None and self.events.empty():
                    break
                continue
            if found["event"] == event:
                return found
        pytest.fail(f"no {event} line; the crawl logged:\n{''.join(self.lines)[-3000:]}")

    def stop(self) -> None:
        self.proc.terminate()  # ends the linger (Scrapy stops on SIGTERM)
        self.proc.wait(30)


@pytest.fixture(scope="module")
def site():
    links = "".join(
        f'<a href="/news/2024/05/story-{n}">The story number {n}</a> ' for n in range(4)
    )
    pages = {
        "/news/": f'<html><body><h1>News</h1>{links}<a href="/news/gone">Gone</a></body></html>',
        **{f"/news/2024/05/story-{n}": article(n) for n in range(3)},
        # the last article takes a while: /metrics is read while the crawl waits for it
        "/news/2024/05/story-3": slow(article(3), 2.0),
    }
    with LocalSite(pages) as s:
        yield s


def test_metrics_match_the_crawl_stats_during_and_after_it(site, tmp_path):
    port = free_port()
    dead = f"http://127.0.0.1:{free_port()}/closed/"  # a download error, counted per attempt
    crawl = Crawl(
        site.url("/news/"),
        dead,
        "--archive",
        str(tmp_path / "archive"),
        "-s",
        f"STATE_DIR={tmp_path / 'state'}",
        "-s",
        f"METRICS_PORT={port}",
        "-s",
        "METRICS_LINGER=60",
        "-s",
        "RETRY_TIMES=0",
        "-s",
        "CLEAN_TEMPLATE_MIN_PAGES=1",
        cwd=tmp_path,
    )
    try:
        listening = crawl.wait_for("metrics.listening")
        assert listening["url"] == f"http://127.0.0.1:{port}/metrics"

        # during the crawl: it runs, and has fetched pages already (the slow one is pending)
        during = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            metrics = scrape(port)
            if value(metrics, "newsarchive_pages_total") >= 1:
                during = metrics
                break
            time.sleep(0.1)
        assert during is not None, "no page was counted during the crawl"
        assert value(during, "newsarchive_crawl_running") == 1
        assert value(during, "newsarchive_up") == 1

        summary = crawl.wait_for("crawl.summary")
        final = scrape(port)  # the endpoint lingers after the crawl (METRICS_LINGER)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as health:
            assert health.status == 200
    finally:
        crawl.stop()

    assert summary["articles"] >= 4 and summary["errors"] >= 1, summary
    stats = json.loads(
        (tmp_path / "archive" / "manifests" / f"{summary['crawl_id']}.json").read_text()
    )["stats"]

    # the crawl's totals are its stats, exactly
    assert value(final, "newsarchive_pages_total") == summary["pages"]
    assert by_label(final, "newsarchive_responses_total", "status") == summary["statuses"]
    assert value(final, "newsarchive_received_bytes_total") == stats["downloader/response_bytes"]
    assert by_label(final, "newsarchive_warc_records_total", "type") == summary["records"]
    assert value(final, "newsarchive_warc_files_total") == summary["warc_files"]
    assert value(final, "newsarchive_archive_bytes_total") == summary["archive_bytes"]
    assert value(final, "newsarchive_articles_total") == summary["articles"]
    assert value(final, "newsarchive_errors_total", kind="download") == summary["errors"]
    http_errors = sum(n for status, n in summary["statuses"].items() if int(status) >= 400)
    assert value(final, "newsarchive_errors_total", kind="http") == http_errors >= 1
    info = by_label(final, "newsarchive_crawl_info", "crawl_id")
    assert list(info) == [summary["crawl_id"]]
    assert value(final, "newsarchive_crawl_running") == 0
    assert value(final, "newsarchive_up") == 1

    # what was counted during the crawl only grew
    for name in ("newsarchive_pages_total", "newsarchive_received_bytes_total"):
        assert value(during, name) <= value(final, name)
    assert value(during, "newsarchive_pages_total") < value(final, "newsarchive_pages_total")

    # the per-site counts add up to the totals
    def site_sum(name: str, **where: str) -> float:
        return sum(by_label(final, name, "site", **where).values())

    assert site_sum("newsarchive_site_pages_total") == summary["pages"]
    assert site_sum("newsarchive_site_received_bytes_total") == stats["downloader/response_bytes"]
    assert site_sum("newsarchive_site_articles_total") == summary["articles"]
    assert site_sum("newsarchive_site_errors_total", kind="download") == summary["errors"]
    assert site_sum("newsarchive_site_errors_total", kind="http") == http_errors


def test_a_bad_metrics_port_is_one_line_naming_it(tmp_path):
    result = run_cli(
        "crawl", "http://127.0.0.1:9/news/", "-s", "METRICS_PORT=ninety", cwd=tmp_path, timeout=60
    )
    assert result.returncode == 2
    expected = (
        "newsarchive: error: setting METRICS_PORT='ninety': expected a TCP port (1-65535), "
        "or 0 for no metrics"
    )
    assert result.stderr.strip().splitlines() == [expected]


def test_a_metrics_port_in_use_is_one_line_naming_it(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli(
            "crawl", "http://127.0.0.1:9/news/", "-s", f"METRICS_PORT={port}", cwd=tmp_path
        )
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"newsarchive: error: setting METRICS_PORT={port}: cannot listen on")
    assert not (tmp_path / "archive").exists(), "nothing may be crawled"
