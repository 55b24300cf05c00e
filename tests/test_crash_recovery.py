"""kill -9 mid-crawl, then the same command again: nothing lost, nothing twice, no dangling revisit.

Three demo sites (courier, legacy, farm) crawled ad hoc, killed at several points (the writes race
the kill, so one point is not enough), then crawled again with the same command. After the second
crawl a user finds: no ``.open`` file left, every WARC closed and indexed, every revisit resolving
to a record in a closed, indexed WARC (and replaying in pywb), a crawl state that points at nothing
else, and every article of an uninterrupted crawl exported exactly once. Also the exit statuses
cron and scrapyd see.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.helpers import REPO, free_port, run_cli, run_scrapy_crawl

# Small WARCs so the kill can land at a rotation (a closed file and an open one of one writer).
ROTATE = ["-s", "ARCHIVE_WARC_MAX_SIZE=150000"]
SPOOL = Path(".newsarchive/spool")


@pytest.fixture(scope="module")
def three_sites():
    from crawler.demo_site import DemoSite

    with (
        DemoSite(port=0) as courier,
        DemoSite(port=0, template="legacy") as legacy,
        DemoSite(port=0, template="farm") as farm,
    ):
        yield [courier.base_url, legacy.base_url, farm.base_url]


@pytest.fixture(scope="module")
def uninterrupted(three_sites, tmp_path_factory):
    """The articles one crawl of the three sites exports when nothing goes wrong."""
    work = tmp_path_factory.mktemp("uninterrupted")
    result = run_cli("crawl", *three_sites, "--archive", str(work / "archive"), cwd=work)
    return result, _articles(work / "archive")


# -- helpers ---------------------------------------------------------------------------------------


def _start(work: Path, argv: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", *argv],
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def _whole_records(path: Path) -> list:
    """(type, target URI) of the records a reader gets whole from a file being written."""
    found = []
    with open(path, "rb") as f:
        try:
            for record in ArchiveIterator(f):
                record.content_stream().read()
                found.append(
                    (record.rec_type, record.rec_headers.get_header("WARC-Target-URI") or "")
                )
        except Exception:  # noqa: BLE001 - the record being written is cut: stop there
            return found
    return found


def _open_warcs(root: Path) -> list[Path]:
    return sorted(root.glob("warc/*/*.warc.gz.open"))


def first_record(root: Path) -> bool:
    return any(len(_whole_records(p)) >= 3 for p in _open_warcs(root))


def ten_articles(root: Path) -> bool:
    return any(sum(t == "metadata" for t, _ in _whole_records(p)) >= 10 for p in _open_warcs(root))


_SERIAL = re.compile(r"-\d{17}-(\d{5})-")


def after_rotation(root: Path) -> bool:
    """A writer has closed a WARC and opened the next one, which holds an article already.

    Told by the open file's serial number: with S3 a closed file leaves the spool as soon as it
    is uploaded, often before this poll could see it."""
    return any(
        (match := _SERIAL.search(p.name)) is not None
        and int(match.group(1)) > 1
        and any(t == "metadata" for t, _ in _whole_records(p))
        for p in _open_warcs(root)
    )


def _kill_when(proc: subprocess.Popen, root: Path, condition: Callable, *, reap: bool) -> None:
    deadline = time.monotonic() + 90
    while not condition(root):
        assert proc.poll() is None, "the crawl ended before the kill point"
        assert time.monotonic() < deadline, "timed out waiting for the kill point"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    if reap:
        proc.wait(timeout=30)


def _articles(root: Path) -> list[str]:
    """The final URL of every exported article line, over all article files."""
    return [
        json.loads(line)["final_url"]
        for path in sorted(root.glob("articles/*/*.jsonl.gz"))
        for line in gzip.open(path, "rt", encoding="utf-8")
    ]


def _check_recovered(root: Path, state: Path, expected_articles: list[str]) -> dict:
    """What a user checks after the second crawl; returns a few figures."""
    assert not list(root.rglob("*.open")), "a .open file survived the second crawl"
    records: dict[str, dict] = {}  # record id -> what and where, over closed WARCs
    revisits = []
    articles_in_warcs = Counter()
    for warc in sorted(root.glob("warc/*/*.warc.gz")):
        stem = warc.name.removesuffix(".warc.gz")
        cdxj = root / "cdxj" / warc.parent.name / f"{stem}.cdxj"
        assert cdxj.is_file(), f"{warc.name} is not indexed"
        blob = warc.read_bytes()
        indexed = set()
        for line in cdxj.read_text().splitlines():
            fields = json.loads(line.split(" ", 2)[2])
            offset, length = int(fields["offset"]), int(fields["length"])
            (record,) = ArchiveIterator(io.BytesIO(blob[offset : offset + length]))
            assert record.rec_headers.get_header("WARC-Target-URI") == fields["url"]
            indexed.add(offset)
        with open(warc, "rb") as f:
            it = ArchiveIterator(f, check_digests=True)
            for record in it:
                record.content_stream().read()
                assert record.digest_checker.passed is not False, warc.name
                h = record.rec_headers
                records[h.get_header("WARC-Record-ID")] = {
                    "type": record.rec_type,
                    "indexed": it.get_record_offset() in indexed,
                }
                if record.rec_type == "revisit":
                    revisits.append(h.get_header("WARC-Refers-To"))
                if record.rec_type == "metadata":
                    articles_in_warcs[h.get_header("WARC-Target-URI")] += 1
    for ref in revisits:
        assert ref in records, f"a revisit refers to {ref}, which is in no closed WARC"
        assert records[ref]["type"] == "response" and records[ref]["indexed"]
    db = sqlite3.connect(state)
    pointers = db.execute(
        "SELECT ns, value FROM kv WHERE ns IN ('dedupe.payloads', 'dedupe.captures')"
    ).fetchall()
    db.close()
    dangling = [v for _, v in pointers if json.loads(v)["record_id"] not in records]
    assert not dangling, f"the crawl state points at records that did not survive: {dangling}"
    exported = _articles(root)
    twice = [url for url, n in Counter(exported).items() if n > 1]
    assert not twice, f"exported twice: {twice}"
    assert set(exported) == set(expected_articles), (
        f"lost: {sorted(set(expected_articles) - set(exported))[:5]}, "
        f"extra: {sorted(set(exported) - set(expected_articles))[:5]}"
    )
    assert max(articles_in_warcs.values()) == 1, "an article's metadata record was written twice"
    return {"revisits": len(revisits), "articles": len(exported), "records": len(records)}


def _killed_then_again(
    work: Path, argv: list[str], root: Path, condition: Callable, *, reap: bool = True
):
    proc = _start(work, argv)
    try:
        _kill_when(proc, root, condition, reap=reap)
        left_open = [p.name for p in root.rglob("*.open")]
        again = run_cli(*argv, cwd=work)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
    assert left_open, "the kill left nothing open: it came too late to test anything"
    assert again.returncode == 0, again.stderr[-3000:]
    assert "pending upload  none" in again.stdout, again.stdout
    return again


# -- the tests -----------------------------------------------------------------------------------


def test_two_sigints_then_same_command_loses_nothing_and_exports_nothing_twice(
    three_sites, uninterrupted, tmp_path
):
    """Ctrl-C twice: Scrapy stops at once, without closing anything (as a kill -9 would, but from
    inside); the same command then finishes the crawl, nothing lost, nothing twice."""
    archive = tmp_path / "archive"
    argv = ["crawl", *three_sites, "--archive", str(archive), "--job-dir", str(tmp_path / "job")]
    proc = _start(tmp_path, argv)
    try:
        deadline = time.monotonic() + 90
        while not ten_articles(archive):
            assert proc.poll() is None and time.monotonic() < deadline, "no kill point reached"
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 130  # interrupted
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    again = run_cli(*argv, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert not list(archive.rglob("*.open"))
    assert "jobdir.recovered_after_crash" in again.stderr
    _check_recovered(archive, archive / "state.sqlite", uninterrupted[1])


@pytest.mark.parametrize(
    ("kill_point", "job_dir", "settings"),
    [
        (first_record, True, []),
        # ten articles with --job-dir: the not-yet-reaped test below
        (ten_articles, False, []),
        (after_rotation, True, ROTATE),
    ],
    ids=["first-record-jobdir", "ten-articles-no-jobdir", "rotation-jobdir"],
)
def test_kill_9_then_same_command_loses_nothing_and_exports_nothing_twice(
    three_sites, uninterrupted, tmp_path, kill_point, job_dir, settings
):
    archive = tmp_path / "archive"
    argv = ["crawl", *three_sites, "--archive", str(archive), *settings]
    if job_dir:
        argv += ["--job-dir", str(tmp_path / "job")]

    again = _killed_then_again(tmp_path, argv, archive, kill_point)

    _check_recovered(archive, archive / "state.sqlite", uninterrupted[1])
    if job_dir:
        assert len(list(archive.glob("warc/*"))) == 1, "the resumed crawl changed its crawl id"
        assert "jobdir.recovered_after_crash" in again.stderr


def test_a_killed_crawl_not_yet_reaped_is_recovered_and_its_revisits_replay(
    three_sites, uninterrupted, tmp_path, pywb
):
    """The reported failure: the killed process is still a zombie (its parent has not waited for
    it) when the same command runs again. Its PID exists, but it writes nothing any more."""
    archive = tmp_path / "archive"
    argv = ["crawl", *three_sites, "--archive", str(archive), "--job-dir", str(tmp_path / "job")]

    _killed_then_again(tmp_path, argv, archive, ten_articles, reap=False)

    figures = _check_recovered(archive, archive / "state.sqlite", uninterrupted[1])
    assert figures["revisits"] > 0, "the second crawl wrote no revisit: nothing to replay"
    # An independent reader resolves every revisit to the page it stands for.
    replay = pywb(sorted(archive.glob("warc/*/*.warc.gz")))
    for warc in sorted(archive.glob("warc/*/*.warc.gz")):
        with open(warc, "rb") as f:
            for record in ArchiveIterator(f):
                if record.rec_type != "revisit":
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                stamp = re.sub(r"\D", "", record.rec_headers.get_header("WARC-Date"))[:14]
                with urllib.request.urlopen(f"{replay}/{stamp}id_/{url}", timeout=30) as resp:
                    assert resp.status == 200, url
                    assert resp.read(), f"{url}: replayed empty"


def test_kill_9_of_an_s3_crawl_then_same_command(three_sites, uninterrupted, s3_env, tmp_path):
    bucket = s3_env.create_bucket(f"crash-{uuid.uuid4().hex[:12]}")
    uri = f"s3://{bucket}/news"
    argv = ["crawl", *three_sites, "--archive", uri, "--job-dir", str(tmp_path / "job"), *ROTATE]
    spool = tmp_path / SPOOL

    _killed_then_again(tmp_path, argv, spool, after_rotation)

    assert not [p for p in spool.rglob("*") if p.is_file() and not p.name.startswith(".")]
    # What a user downloads from the bucket, checked like a local archive.
    local = tmp_path / "downloaded"
    client = s3_env.client()
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="news/")
    for page in pages:
        for obj in page.get("Contents", []):
            target = local / obj["Key"].removeprefix("news/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
    _check_recovered(local, tmp_path / ".newsarchive" / "state.sqlite", uninterrupted[1])


def test_a_crawl_with_some_404s_exits_0(uninterrupted):
    result, articles = uninterrupted
    assert result.returncode == 0, result.stderr[-2000:]
    assert re.search(r"404: [1-9]", result.stdout), "the demo sites answered no 404"
    assert articles


def test_a_crawl_where_every_request_is_refused_exits_4(tmp_path):
    port = free_port()  # nothing listens there: every connection is refused
    result = run_cli(
        "crawl",
        f"http://127.0.0.1:{port}/news/",
        "--archive",
        str(tmp_path / "archive"),
        "-s",
        "RETRY_TIMES=0",
        cwd=tmp_path,
    )
    assert result.returncode == 4, (result.returncode, result.stdout, result.stderr[-2000:])
    assert "ended" in result.stdout  # the summary is still printed
    assert "nothing was fetched: no server answered (exit status 4)" in result.stderr


def test_scrapy_crawl_of_a_dead_site_exits_4_too(tmp_path):
    """scrapyd runs jobs through `scrapy crawl`: a crawl that fetched nothing is not a success."""
    url = f"http://127.0.0.1:{free_port()}/news/"  # nothing listens there
    settings = {"RETRY_TIMES": 0, "ARCHIVE_URI": tmp_path / "archive", "STATE_DIR": tmp_path / "st"}
    options = [arg for name, value in settings.items() for arg in ("-s", f"{name}={value}")]
    scrapy = run_scrapy_crawl("-a", f"urls={url}", *options, cwd=tmp_path)
    assert scrapy.returncode == 4, scrapy.stderr[-2000:]
    errors = [json.loads(line) for line in scrapy.stderr.splitlines() if '"level": "error"' in line]
    # after the download errors, one line saying why the job failed
    assert errors[-1]["event"] == "crawl.exit_status"
    assert errors[-1]["why"] == "nothing was fetched: no server answered"


def _writer_process(tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    """A real process that creates and holds an open WARC, as the crawl's writer does."""
    code = (
        "import os, socket, sys, time\n"
        "from pathlib import Path\n"
        "from crawler.archive.repair import create_locked\n"
        "host = socket.gethostname().split('.')[0]\n"
        "p = Path(sys.argv[1]) / f'NEWS-20240101000000000-00001-{host}-{os.getpid()}.warc.gz.open'\n"
        "f = create_locked(p)\n"
        "print(p, flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    return proc, Path(proc.stdout.readline().strip())


def test_an_open_file_is_its_writers_until_it_dies_even_before_it_is_reaped(tmp_path):
    from crawler.archive.repair import writer_is_alive

    proc, path = _writer_process(tmp_path)
    try:
        assert writer_is_alive(path)
        os.kill(proc.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while "Z" not in Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1][:3]:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert not writer_is_alive(path), "a zombie's file was taken for a live writer's"
    finally:
        proc.kill()
        proc.wait()


def test_a_pid_reused_by_a_later_process_does_not_keep_a_file_open(tmp_path):
    """The PID in the name belongs to a live process that started after the file was last
    written (PID reuse, or a container where the crawl is PID 1 on every start)."""
    from crawler.archive.repair import writer_is_alive

    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        host = __import__("socket").gethostname().split(".")[0]
        path = tmp_path / f"NEWS-20240101000000000-00001-{host}-{other.pid}.warc.gz.open"
        path.write_bytes(b"left by a crash an hour ago")
        os.utime(path, (time.time() - 3600, time.time() - 3600))
        assert not writer_is_alive(path)
    finally:
        other.kill()
        other.wait()
