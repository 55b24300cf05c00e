"""Process faults in the middle of a crawl, each produced for real:

- Redis (a private ``redis-server``: the machine's one must not be restarted) killed and started
  again while two worker processes share its frontier: both reconnect and finish, and every
  article of the site is archived and exported.
- The S3 store (SeaweedFS) down for 30 s mid-crawl: the crawl goes on, and when the store is back
  every WARC is in the bucket, whole, once; nothing is lost and nothing is left in the spool.
- The disk full (a small tmpfs mounted for the test) while WARCs are written: the crawl stops
  with one line naming the cause, and every WARC left on that disk is valid.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from crawler.demo_site import demo_manifest
from tests.helpers import REPO, read_jsonl_gz, records, write_demo_site_file
from tests.redis_server import PrivateRedis
from tests.test_s3_crawl import _objects, _spool_is_empty, _verify_against_manifest


def _site(work: Path, base_url: str, *, delay: float) -> None:
    """sites/demo.toml for this demo site, one request at a time, ``delay`` seconds apart:
    a crawl slow enough to break while it runs."""
    path = write_demo_site_file(work / "sites", base_url)
    text = re.sub(r"download_delay = [\d.]+", f"download_delay = {delay}", path.read_text())
    text = re.sub(
        r"concurrent_requests_per_domain = \d+", "concurrent_requests_per_domain = 1", text
    )
    path.write_text(text)


def _crawl(work: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    """``newsarchive crawl demo ARGS`` in its own process; output to files in ``work``."""
    return subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "crawl", "demo", *args],
        cwd=work,
        env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1", **(env or {})},
        stdout=open(work / "stdout", "w"),
        stderr=open(work / "stderr", "w"),
    )


def _wait_for(condition, procs: list[subprocess.Popen], what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert all(p.poll() is None for p in procs), f"a crawl ended before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _events(work: Path) -> list[dict]:
    return [
        json.loads(line) for line in (work / "stderr").read_text().splitlines() if line[:1] == "{"
    ]


def _warcio_check(paths: list[Path]) -> None:
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]


def _archived(archive: Path) -> set[str]:
    return {
        r.rec_headers.get_header("WARC-Target-URI")
        for path in archive.glob("warc/*/*.warc.gz")
        for r in records(path)
        if r.rec_type in ("response", "revisit")
    }


def test_redis_restart_mid_crawl_workers_reconnect_and_archive_everything(demo_site, tmp_path):
    articles = {
        url for url, info in demo_manifest(demo_site.base_url)["urls"].items()
        if info["kind"] == "article"
    }  # fmt: skip
    with PrivateRedis(tmp_path / "redis") as server:
        queue = server.client()
        workers, procs = [], []
        try:
            for name in ("a", "b"):
                work = tmp_path / name
                # slow enough that the frontier outlasts a loaded machine's start of worker b
                _site(work, demo_site.base_url, delay=0.4)
                # Two requests in hand at a time: the rest of the frontier stays in Redis, shared.
                procs.append(_crawl(
                    work, "--archive", str(work / "archive"), "-s", f"REDIS_URL={server.url}",
                    "-s", "ARCHIVE_CRAWL_ID=shared", "-s", "CONCURRENT_REQUESTS=2",
                    # the grace before the last worker ends is not what this test is about
                    "-s", "FRONTIER_IDLE_SECONDS=2",
                ))  # fmt: skip
                workers.append((work, procs[-1]))
                # b joins once a has filled the frontier (a worker that finds it empty is done)
                _wait_for(
                    lambda: queue.zcard("newsarchive:frontier:shared:requests") >= 5,
                    procs,
                    "a frontier to share",
                )

            # Both at work: each has archived pages, with most of the site still to fetch.
            def both_fetching() -> bool:
                return all(list((w / "archive").glob("warc/shared/*.open")) for w, _ in workers)

            _wait_for(both_fetching, procs, "both workers archiving")
            assert queue.zcard("newsarchive:frontier:shared:requests") >= 5
            server.stop()
            time.sleep(3)  # the workers meet connection refused for a while
            server.start()
            for proc in procs:
                proc.wait(timeout=150)
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()

    for work, proc in workers:
        summary = next(e for e in _events(work) if e["event"] == "crawl.summary")
        assert proc.returncode == 0 and summary["reason"] == "finished", (
            work / "stderr"
        ).read_text()[-3000:]
        assert summary["errors"] == 0 and summary["dropped"] == 0, summary
        assert not [e for e in _events(work) if e["level"] in ("error", "critical")]
        assert not list((work / "archive").rglob("*.open"))
        _warcio_check(sorted((work / "archive").glob("warc/*/*.warc.gz")))
    archived = _archived(tmp_path / "a" / "archive") | _archived(tmp_path / "b" / "archive")
    assert articles <= archived, f"not archived: {sorted(articles - archived)}"
    exported = {
        item["url"]
        for work, _ in workers
        for path in (work / "archive").glob("articles/*/*.jsonl.gz")
        for item in read_jsonl_gz(path)
    }
    assert articles <= exported, f"not exported: {sorted(articles - exported)}"


def test_store_down_30s_mid_crawl_loses_nothing(s3_env, demo_site, tmp_path):
    bucket = s3_env.create_bucket(f"outage-{uuid.uuid4().hex[:12]}")
    _site(tmp_path, demo_site.base_url, delay=0.9)  # a crawl of ~45 s: it outlasts the outage
    crawl = _crawl(
        tmp_path, "--archive", f"s3://{bucket}/news", "-s", "ARCHIVE_WARC_MAX_SIZE=20000",
        "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "ARCHIVE_S3_CONNECT_TIMEOUT=1",
    )  # fmt: skip
    try:
        _wait_for(
            lambda: any(k.startswith("warc/") for k in _objects(s3_env, bucket, "news")),
            [crawl],
            "the first WARC upload",
        )
        s3_env.stop()
        time.sleep(30)
        assert crawl.poll() is None, "the crawl ended during the outage: nothing to resume"
        s3_env.start()
        assert crawl.poll() is None, "the crawl ended before the store was back"
        crawl.wait(timeout=150)
    finally:
        if crawl.poll() is None:
            crawl.kill()
            crawl.wait()
        s3_env.start()

    events = _events(tmp_path)
    assert crawl.returncode == 0, (tmp_path / "stderr").read_text()[-3000:]
    failed = [e for e in events if e["event"] in ("archive.upload.failed", "archive.upload.retry")]
    assert failed, "no upload met the outage"
    summary = next(e for e in events if e["event"] == "crawl.summary")
    assert summary["reason"] == "finished" and summary["pending_uploads"] == 0
    assert "pending upload  none" in (tmp_path / "stdout").read_text()
    manifest = _verify_against_manifest(s3_env, bucket, "news", tmp_path)
    assert len(manifest["files"]) >= 5
    downloaded = sorted((tmp_path / "downloaded").glob("warc/*/*.warc.gz"))
    responses = [r for path in downloaded for r in records(path) if r.rec_type == "response"]
    written = manifest["stats"]["archive/records/response"]
    assert len(responses) == written >= 40, "responses archived but not in the bucket"
    _spool_is_empty(tmp_path)


@pytest.fixture(scope="module")
def full_disk_crawl(demo_site, tmp_path_factory):
    """One crawl into a 96 KiB tmpfs (the demo site's archive is ~250 kB), mounted for it (we are
    root in this container) and unmounted after: ``(work dir, disk, exit status)``."""
    work = tmp_path_factory.mktemp("full-disk")
    disk = work / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(disk)], check=True)
    try:
        _site(work, demo_site.base_url, delay=0.0)
        crawl = _crawl(
            work, "--archive", str(disk / "archive"), "-s", f"STATE_DIR={work / 'state'}"
        )
        crawl.wait(timeout=150)
        yield work, disk, crawl.returncode
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            subprocess.run(["umount", str(disk)], check=True)


def test_disk_full_leaves_valid_warcs_and_one_line_naming_it(full_disk_crawl):
    work, disk, status = full_disk_crawl
    # Every WARC on the full disk holds whole records only, from its warcinfo on.
    warcs = sorted(disk.glob("archive/warc/*/*.warc.gz*"))
    assert warcs, "nothing was written before the disk filled"
    assert not [w for w in warcs if w.name.endswith(".open")], "a WARC was left open"
    _warcio_check(warcs)
    assert all(records(w)[0].rec_type == "warcinfo" for w in warcs)
    # The crawl says why it failed, in one line, with the status of an archive failure.
    assert status == 5, (work / "stderr").read_text()[-3000:]
    lines = [line for line in (work / "stderr").read_text().splitlines() if line[:1] != "{"]
    assert lines == [
        "newsarchive: fetched pages could not be written into the archive (exit status 5)"
    ]
    failed = [e for e in _events(work) if e["event"] == "archive.write_failed"]
    assert failed and "No space left on device" in failed[0]["error"]


def test_disk_full_stops_the_crawl_at_the_first_failed_write(full_disk_crawl):
    work, _disk, _status = full_disk_crawl
    failed = [e for e in _events(work) if e["event"] == "archive.write_failed"]
    summary = next(e for e in _events(work) if e["event"] == "crawl.summary")
    assert len(failed) == 1, f"{len(failed)} writes failed; the crawl ended {summary['reason']!r}"
    assert summary["reason"] != "finished"
