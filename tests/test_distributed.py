"""Distributed crawling on the Redis frontier (issue 13): N processes crawl one site together.

The acceptance test: ``newsarchive crawl SITE --workers 3`` and the machine's Redis crawl a local
site of 1,000+ pages (40 sections of 25 listing pages, and the syndication corpus's 56 articles,
wire copies listed in other sections than their originals). The union of the workers' WARCs holds
every page; the server's access log shows no URL fetched twice (robots.txt included); each worker
fetched a share; the crawl has one manifest listing every worker's WARCs; and story groups span
workers (a copy one worker fetched joined the story another one opened).
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
import redis

from crawler.archive.manifest import SharedManifest
from crawler.peers import CrawlPeers
from tests.helpers import REDIS_URL, REPO, read_jsonl_gz, records, run_cli
from tests.local_site import LocalSite, Page
from tests.syndication_corpus import copies, pairwise_precision_recall, render

SECTIONS = 40
LISTING_PAGES = 25  # per section: /section/K/ and /section/K/page/2/ ... /page/25/
ROBOTS = "User-agent: *\nAllow: /\n"


def listing_path(section: int, page: int) -> str:
    return f"/section/{section}/" if page == 1 else f"/section/{section}/page/{page}/"


def build_site(sections: int = SECTIONS, pages: int = LISTING_PAGES) -> dict[str, str | Page]:
    """``{path: page}``: robots.txt, ``sections`` x ``pages`` listing pages, and the corpus's
    articles under ``/SITE/article/...``. Each article is listed once, a story's copies in other
    sections than its original, so different workers are likely to fetch them."""
    articles = [dataclasses.replace(c, path=f"/{c.site}{c.path}") for c in copies()]
    by_site: dict[str, list] = {}
    for article in articles:
        by_site.setdefault(article.site, []).append(article)
    slots = [(s, p) for p in range(1, pages + 1) for s in range(sections)]
    listed: dict[tuple[int, int], list] = {}
    for n, article in enumerate(articles):
        listed.setdefault(slots[(n * 17) % len(slots)], []).append(article)
    site: dict[str, str | Page] = {"/robots.txt": Page(ROBOTS, content_type="text/plain")}
    for section in range(sections):
        for page in range(1, pages + 1):
            links = "".join(
                f'<li><a href="{a.path}">{a.title}</a></li>'
                for a in listed.get((section, page), [])
            )
            older = listing_path(section, page + 1)
            following = f'<a rel="next" href="{older}">Older stories</a>' if page < pages else ""
            site[listing_path(section, page)] = (
                f"<!doctype html><html><head><title>Section {section}, page {page}</title></head>"
                f"<body><h1>Section {section}</h1><p>Page {page} of the section's archive.</p>"
                f"<ul>{links}</ul><nav>{following}</nav></body></html>"
            )
    for article in articles:
        site[article.path] = render(article, by_site[article.site])
    return site


def write_site_file(
    sites_dir: Path, site: LocalSite, sections: int = SECTIONS, pages: int = LISTING_PAGES
) -> None:
    sites_dir.mkdir(parents=True, exist_ok=True)
    starts = ", ".join(f'"{site.url(listing_path(s, 1))}"' for s in range(sections))
    (sites_dir / "wire.toml").write_text(
        f'name = "wire"\nstart_urls = [{starts}]\narticle_patterns = ["/article/"]\n'
        f"pagination_depth = {pages}\n\n[politeness]\ndownload_delay = 0.0\n"
        "concurrent_requests_per_domain = 16\n"
    )


def crawl_options(work: Path, prefix: str, *more: str) -> list[str]:
    return [
        "--archive", str(work / "archive"),
        "-s", f"REDIS_URL={REDIS_URL}", "-s", f"STATE_REDIS_PREFIX={prefix}",
        "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS=8",
        "-s", "FRONTIER_IDLE_SECONDS=2", "-s", "PROGRESS_INTERVAL=5", *more,
    ]  # fmt: skip


def events(stderr: str) -> list[dict]:
    """The JSON log lines of a crawl's stderr."""
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def test_three_workers_crawl_a_thousand_page_site_together(tmp_path, redis_prefix):
    site_pages = build_site()
    assert len(site_pages) > 1000
    with LocalSite(site_pages) as site:
        write_site_file(tmp_path / "sites", site)
        started = time.monotonic()
        result = run_cli(
            "crawl", "wire", "--workers", "3", *crawl_options(tmp_path, redis_prefix),
            cwd=tmp_path, timeout=180,
        )  # fmt: skip
        seconds = time.monotonic() - started
        fetched = Counter(r.path for r in site.requests)
    assert result.returncode == 0, result.stderr[-4000:] + result.stdout
    print(f"\n{result.stdout}\n({seconds:.1f} s)")

    # every URL the server saw, once (robots.txt too)
    assert set(fetched) == set(site_pages)
    assert [p for p, n in fetched.items() if n > 1] == []

    archive = tmp_path / "archive"
    (manifest_path,) = archive.glob("manifests/*.json")
    manifest = json.loads(manifest_path.read_text())
    crawl_id = manifest["crawl_id"]
    warcs = sorted(archive.glob(f"warc/{crawl_id}/*.warc.gz"))
    assert sorted(f["name"] for f in manifest["files"]) == [w.name for w in warcs]
    assert not list(archive.rglob("*.open"))

    # the union of the WARCs holds every page; each worker (HOST-PID in its WARC names) a share
    base = site.base_url
    archived_by: dict[str, str] = {}
    for warc in warcs:
        worker = warc.name.removesuffix(".warc.gz").split("-", 3)[3]
        for record in records(warc):
            if record.rec_type == "response":
                uri = record.rec_headers.get_header("WARC-Target-URI")
                assert uri not in archived_by, f"{uri} archived twice"
                archived_by[uri] = worker
    assert set(archived_by) == {base + path for path in site_pages}
    shares = Counter(archived_by.values())
    print(f"pages per worker: {dict(shares)}")
    assert len(shares) == 3 and min(shares.values()) > 0
    assert [w["worker"] for w in manifest["workers"]] == sorted(shares)
    assert manifest["stats"]["response_received_count"] == len(site_pages)

    # story groups span workers: a copy one fetched joined the story another opened
    items = [i for p in archive.glob(f"articles/{crawl_id}/*.jsonl.gz") for i in read_jsonl_gz(p)]
    truth = {base + f"/{c.site}{c.path}": c.story_id for c in copies()}
    assert sorted(i["final_url"] for i in items) == sorted(truth)
    predicted = {i["final_url"]: i["story_id"] for i in items}
    precision, recall = pairwise_precision_recall(predicted, truth)
    workers_of: dict[str, set[str]] = {}
    for item in items:
        workers_of.setdefault(item["story_id"], set()).add(archived_by[item["final_url"]])
    spanning = [s for s, w in workers_of.items() if len(w) > 1]
    print(
        f"{len(workers_of)} story groups ({len(set(truth.values()))} stories), {len(spanning)} "
        f"archived by several workers; precision {precision:.3f} recall {recall:.3f}"
    )
    assert precision >= 0.95 and recall >= 0.95
    assert spanning


def test_ctrl_c_stops_every_worker_and_leaves_one_manifest(tmp_path, redis_prefix):
    site_pages = build_site(sections=4, pages=10)
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    with LocalSite(site_pages) as site:
        write_site_file(tmp_path / "sites", site, sections=4, pages=10)
        options = crawl_options(tmp_path, redis_prefix, "-s", "DOWNLOAD_DELAY=0.3")
        with open(tmp_path / "stdout", "w") as out, open(tmp_path / "stderr", "w") as err:
            parent = subprocess.Popen(
                [sys.executable, "-m", "crawler.cli", "crawl", "wire", "--workers", "2", *options],
                cwd=tmp_path, env=env, stdout=out, stderr=err,
            )  # fmt: skip
            try:
                # both workers archiving (each has a WARC open), most of the site still to fetch
                deadline = time.monotonic() + 60
                while len(list(tmp_path.glob("archive/warc/*/*.warc.gz.open"))) < 2:
                    assert parent.poll() is None, (tmp_path / "stderr").read_text()[-3000:]
                    assert time.monotonic() < deadline, "the workers did not start archiving"
                    time.sleep(0.1)
                parent.send_signal(signal.SIGINT)  # Ctrl-C: the parent passes it on, once
                status = parent.wait(timeout=60)
            finally:
                if parent.poll() is None:
                    parent.kill()
                    parent.wait()
        fetched = Counter(r.path for r in site.requests)
    stdout = (tmp_path / "stdout").read_text()
    assert status == 130, (tmp_path / "stderr").read_text()[-3000:] + stdout
    assert "2 workers, exit status 130 (workers: 130, 130)" in stdout
    assert [p for p, n in fetched.items() if n > 1] == []
    assert len(fetched) < len(site_pages)
    archive = tmp_path / "archive"
    assert not list(archive.rglob("*.open"))
    (manifest_path,) = archive.glob("manifests/*.json")
    manifest = json.loads(manifest_path.read_text())
    warcs = sorted(archive.glob(f"warc/{manifest['crawl_id']}/*.warc.gz"))
    assert sorted(f["name"] for f in manifest["files"]) == [w.name for w in warcs]
    assert len(manifest["workers"]) == 2 and manifest["finish_reason"] == "shutdown"
    # the rest stays in the frontier: the same crawl id carries on from there
    client = redis.Redis.from_url(REDIS_URL)
    assert client.zcard(f"{redis_prefix}:frontier:{manifest['crawl_id']}:requests") > 0
    client.close()


def test_a_killed_worker_does_not_hold_the_others_forever(tmp_path, redis_prefix):
    """A worker killed (kill -9, a lost node) leaves its heartbeat and its open manifest part in
    Redis. Here that worker is played through the workers' own API: it beats as if busy until
    the site is fetched, then stops (the kill). The live worker waits for its heartbeat to expire,
    then ends the crawl and writes the manifest."""
    site_pages = build_site(sections=2, pages=3)
    crawl = "ghost-crawl"
    archive = tmp_path / "archive"
    ghost = CrawlPeers(REDIS_URL, redis_prefix, crawl, me="lost-node-4242")
    ghost.ttl = 2  # a real worker's beat stands for HEARTBEAT_TTL seconds
    SharedManifest(ghost, str(archive)).open()
    killed = threading.Event()

    def beat() -> None:
        while not killed.is_set():
            ghost.beat(inflight=3, fetched=10)
            time.sleep(0.5)

    beating = threading.Thread(target=beat, daemon=True)
    beating.start()
    with LocalSite(site_pages) as site:
        write_site_file(tmp_path / "sites", site, sections=2, pages=3)
        options = crawl_options(tmp_path, redis_prefix, "-s", f"ARCHIVE_CRAWL_ID={crawl}")
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        with open(tmp_path / "stderr", "w") as err:
            live = subprocess.Popen(
                [sys.executable, "-m", "crawler.cli", "crawl", "wire", *options],
                cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=err,
            )  # fmt: skip
            try:
                deadline = time.monotonic() + 90
                while len({r.path for r in site.requests}) < len(site_pages):
                    assert live.poll() is None, (tmp_path / "stderr").read_text()[-3000:]
                    assert time.monotonic() < deadline, "the site was not fetched"
                    time.sleep(0.1)
                killed.set()  # the lost worker's last beat
                killed_at = time.time()
                status = live.wait(timeout=60)
            finally:
                killed.set()
                if live.poll() is None:
                    live.kill()
                    live.wait()
        fetched = Counter(r.path for r in site.requests)
    beating.join()
    ghost.close()
    lines = events((tmp_path / "stderr").read_text())
    assert status == 0, (tmp_path / "stderr").read_text()[-3000:]
    assert [p for p, n in fetched.items() if n > 1] == []
    (done,) = [e for e in lines if e["event"] == "frontier.done"]
    closed_at = datetime.fromisoformat(done["timestamp"]).timestamp()
    # not before the lost worker's heartbeat ran out, and then without waiting for it any more
    assert closed_at >= killed_at + 1.0 and done["others"] == []
    (manifest_path,) = archive.glob("manifests/*.json")
    manifest = json.loads(manifest_path.read_text())
    assert [f["name"] for f in manifest["files"]] == [
        w.name for w in sorted(archive.glob(f"warc/{crawl}/*.warc.gz"))
    ]


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--workers", "3", "-s", "REDIS_URL="], "--workers needs REDIS_URL"),
        (
            ["-s", f"REDIS_URL={REDIS_URL}", "-s", "FRONTIER_IDLE_SECONDS=soon"],
            "FRONTIER_IDLE_SECONDS",
        ),
    ],
)
def test_a_distributed_crawl_set_up_wrong_is_one_line(tmp_path, options, named):
    result = run_cli(
        "crawl", "http://127.0.0.1:9/news/", "--archive", str(tmp_path / "archive"), *options,
        cwd=tmp_path, env={"REDIS_URL": ""}, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line.strip()]
    assert line.startswith("newsarchive: error:") and named in line


def test_one_manifest_lists_every_run_of_a_resumed_crawl_and_how_this_one_ended(
    tmp_path, redis_prefix
):
    """Two workers stopped by Ctrl-C, then a third resuming the same crawl id: while a worker of
    the archive is at work nobody writes the manifest; the last one writes all three's files,
    and says how the crawl ended this time."""
    archive = str(tmp_path / "archive")

    def worker(name: str) -> tuple[CrawlPeers, SharedManifest]:
        peers = CrawlPeers(REDIS_URL, redis_prefix, "resumed", me=name)
        peers.beat(inflight=0, fetched=0)
        shared = SharedManifest(peers, archive)
        shared.open()
        return peers, shared

    def warc(name: str) -> str:
        return f"newsarchive-20260101000000000-00001-{name}.warc.gz"

    def manifest(name: str, reason: str, pages: int) -> dict:
        file = {"name": warc(name), "key": f"warc/resumed/{warc(name)}", "size": 10, "records": {}}
        return {
            "crawl_id": "resumed",
            "files": [file],
            "finish_reason": reason,
            "stats": {"response_received_count": pages, "finish_reason": reason},
        }

    (a, shared_a), (b, shared_b) = worker("node-1"), worker("node-2")
    assert shared_a.close(manifest("node-1", "shutdown", 5)) is None  # node-2 is still at work
    a.leave()
    first = shared_b.close(manifest("node-2", "shutdown", 7))
    b.leave()
    assert first["finish_reason"] == "shutdown" and len(first["files"]) == 2

    c, shared_c = worker("node-3")
    resumed = shared_c.close(manifest("node-3", "finished", 11))
    c.leave()
    names = [f"node-{n}" for n in (1, 2, 3)]
    assert [f["name"] for f in resumed["files"]] == [warc(name) for name in names]
    assert resumed["finish_reason"] == "finished"
    assert resumed["stats"]["response_received_count"] == 23
    assert [(w["worker"], w["files"]) for w in resumed["workers"]] == [
        (name, [warc(name)]) for name in names
    ]
