"""Structured logs: one structlog line per record, through the handler Scrapy builds itself.

Fast tests drive a handler built as Scrapy builds it (``logging.Formatter(LOG_FORMAT)``); the
end-to-end ones run ``scrapy crawl`` as a user (or scrapyd, with ``LOG_FILE``) does.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys

import pytest

from crawler.logs import LOG_FORMAT, StructuredRecordFactory, formatter
from tests.helpers import REPO, CliResult, free_port, run_cli
from tests.local_site import LocalSite

SECRET = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"


@pytest.fixture
def scrapy_handler():
    """``(factory, stream, logger)``: the record factory installed, and a handler built like
    Scrapy's (its formatter is ``logging.Formatter(LOG_FORMAT)``) writing to ``stream``."""
    previous = logging.getLogRecordFactory()
    factory = StructuredRecordFactory(previous, json_lines=True)
    logging.setLogRecordFactory(factory)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.setLevel(logging.INFO)
    logger = logging.getLogger("tests.logs")
    logger.setLevel(logging.DEBUG)  # like Scrapy's loggers: the handler filters
    logger.propagate = False
    logger.addHandler(handler)
    try:
        yield factory, stream, logger
    finally:
        logger.removeHandler(handler)
        logging.setLogRecordFactory(previous)


def test_an_error_with_its_traceback_is_one_json_line(scrapy_handler):
    _factory, stream, logger = scrapy_handler
    try:
        1 / 0  # noqa: B018
    except ZeroDivisionError:
        logger.exception("Error downloading %s", "<GET https://news.example/>")
    (line,) = stream.getvalue().splitlines()
    event = json.loads(line)
    assert event["event"] == "Error downloading <GET https://news.example/>"
    assert event["level"] == "error" and event["logger"] == "tests.logs"
    assert "ZeroDivisionError" in event["exception"]


def test_readable_lines_when_json_is_off(scrapy_handler):
    factory, stream, logger = scrapy_handler
    factory.formatter = formatter(json_lines=False)
    logger.info("Spider opened")
    (line,) = stream.getvalue().splitlines()
    assert not line.startswith("{")
    assert "[info" in line and "Spider opened" in line and "tests.logs" in line


def test_secrets_never_reach_a_line(scrapy_handler, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    _factory, stream, logger = scrapy_handler
    logger.info(
        "store %s refused key %s",
        "redis://worker:hunter2@redis.internal:6379/0",
        SECRET,
        extra={"endpoint": "https://admin:hunter2@s3.internal/"},
    )
    output = stream.getvalue()
    assert "hunter2" not in output and SECRET not in output
    event = json.loads(output)
    assert event["event"] == "store redis://worker:***@redis.internal:6379/0 refused key ***"
    assert event["endpoint"] == "https://admin:***@s3.internal/"


def test_records_the_handler_filters_out_are_never_rendered(scrapy_handler):
    factory, _stream, logger = scrapy_handler
    rendered = []

    class Counting(logging.Formatter):
        def format(self, record):
            rendered.append(record.getMessage())
            return super().format(record)

    factory.formatter = Counting()
    for n in range(100):
        logger.debug("Crawled (200) <GET https://news.example/%d>", n)
    logger.info("Closing spider (finished)")
    assert rendered == ["Closing spider (finished)"]


# --- scrapy crawl, as a user or scrapyd runs it ---------------------------------------------------


def scrapy_crawl(*args: str, cwd, env: dict | None = None) -> CliResult:
    """``scrapy crawl news ARGS`` with the project's settings, in its own process."""
    full_env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "SCRAPY_SETTINGS_MODULE": "crawler.settings",
        **(env or {}),
    }
    proc = subprocess.run(  # noqa: PLW1510 - the caller asserts on returncode
        [sys.executable, "-m", "scrapy", "crawl", "news", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="module")
def site():
    section = (
        '<html><body><a href="/world/2024/05/budget-vote-passes-at-last">Budget</a></body></html>'
    )
    article = "<html><body><article><h1>Budget</h1><p>The vote passed.</p></article></body></html>"
    with LocalSite({"/world/": section, "/world/2024/05/budget-vote-passes-at-last": article}) as s:
        yield s


def crawl_args(site, tmp_path) -> list[str]:
    # a second start URL nobody answers, with a secret in it: an error line with a traceback,
    # and something to mask
    dead = f"http://127.0.0.1:{free_port()}/{SECRET}"
    return [
        "-a",
        f"urls={site.url('/world/')},{dead}",
        "-s",
        f"ARCHIVE_URI={tmp_path / 'archive'}",
        "-s",
        f"STATE_DIR={tmp_path / 'state'}",
        "-s",
        "RETRY_TIMES=0",
    ]


def assert_json_lines_from_the_banner_on(text: str) -> list[dict]:
    lines = text.splitlines()
    assert lines, "nothing was logged"
    events = []
    for line in lines:
        try:
            events.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON line: {line!r}\n{text[-3000:]}")
    assert all(isinstance(e, dict) for e in events)
    assert events[0]["event"].startswith("Scrapy ") and "started" in events[0]["event"]
    assert events[0]["logger"].startswith("scrapy")
    assert any("Traceback" in e.get("exception", "") for e in events), "no error was logged"
    assert any(e["event"] == "crawl.summary" for e in events)
    assert not [e for e in events if e["level"] == "debug"], "LOG_LEVEL=INFO must hold"
    assert SECRET not in text and "/***" in text
    return events


def test_scrapy_crawl_logs_only_json_lines_from_its_banner_on(site, tmp_path):
    result = scrapy_crawl(
        *crawl_args(site, tmp_path), cwd=tmp_path, env={"AWS_SECRET_ACCESS_KEY": SECRET}
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert_json_lines_from_the_banner_on(result.stderr)


def test_a_log_file_gets_the_same_json_lines_as_scrapyd_jobs_do(site, tmp_path):
    log_file = tmp_path / "job.log"
    result = scrapy_crawl(
        *crawl_args(site, tmp_path),
        "-s",
        f"LOG_FILE={log_file}",
        cwd=tmp_path,
        env={"AWS_SECRET_ACCESS_KEY": SECRET},
    )
    assert result.returncode == 0, log_file.read_text()[-3000:] if log_file.exists() else result
    assert result.stderr == "", "every line belongs in the log file"
    events = assert_json_lines_from_the_banner_on(log_file.read_text())
    (summary,) = [e for e in events if e["event"] == "crawl.summary"]
    assert summary["reason"] == "finished" and summary["statuses"]["200"] == 2


def test_without_progress_lines_the_crawl_still_ends_with_its_summary(site, tmp_path):
    """PROGRESS_INTERVAL=0 turns the periodic lines off, not the summary nor the exit status."""
    result = run_cli(
        "crawl", site.url("/world/"), "--archive", str(tmp_path / "archive"),
        "-s", f"STATE_DIR={tmp_path / 'state'}", "-s", "PROGRESS_INTERVAL=0",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert not [e for e in events if e["event"] == "crawl.progress"]
    (summary,) = [e for e in events if e["event"] == "crawl.summary"]
    assert summary["reason"] == "finished"
    assert "pages fetched" in result.stdout
