"""``newsarchive schedule``: per-site schedules, adaptive intervals, scrapyd nodes (issue 13).

Acceptance: two real scrapyd nodes (basic auth on, the project deployed to both with
``scrapyd-deploy`` from a clean copy of the working tree) and a third URL where nothing answers;
two local sites, one publishing a new article every time its front page is read, one that never
changes. The scheduler, run for a while, starts crawls on both nodes, never runs one site twice at
once (scrapyd's own start and end times), crawls the publishing site more often than the quiet one
(its interval shrank, the other's grew), and ``schedule status`` shows it all.

Without scrapyd: two schedulers started at once over the same crawl state start each due site once.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from crawler.config import ConfigError
from crawler.scheduler.timing import adapted_interval, describe, next_run
from crawler.sites import SiteError, site_from_dict
from tests.helpers import REDIS_URL, REPO, free_port, run_cli, wait_for_port
from tests.local_site import LocalSite

pytestmark = pytest.mark.fast

PASSWORD = "scheduler-test-secret-0123456789"
# What every crawl the scheduler starts gets on top (passed on from its command line).
CRAWL_OPTIONS = [
    "-s", "CLEAN_TEMPLATE_MIN_PAGES=1", "-s", "CLEAN_WORKERS=0", "-s", "ROBOTSTXT_OBEY=False",
    "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_JSON=true",
]  # fmt: skip
RUN_SECONDS = 26


WORDS = [
    "harbour",
    "council",
    "ferry",
    "terminal",
    "dredging",
    "contract",
    "quay",
    "pilots",
    "ships",
    "budget",
    "vote",
    "mayor",
    "river",
    "bridge",
    "tram",
    "school",
    "hospital",
    "nurses",
    "teachers",
    "strike",
    "storm",
    "flood",
    "farmers",
    "market",
    "prices",
    "bread",
    "fuel",
    "wages",
    "museum",
    "festival",
    "library",
    "theatre",
    "football",
    "stadium",
    "police",
    "court",
    "judge",
    "election",
    "campaign",
    "party",
    "minister",
    "tax",
    "road",
    "rail",
    "airport",
    "flights",
]


def article(title: str, n: int) -> str:
    """An article page whose text shares no sentence with any other (no template, no story)."""
    rng = random.Random(f"{title}-{n}")
    paragraphs = "".join(
        "<p>" + " ".join(rng.choice(WORDS) for _ in range(30)).capitalize() + ".</p>"
        for _ in range(4)
    )
    return f"<html><body><article><h1>{title} {n}</h1>{paragraphs}</article></body></html>"


def front(links: list[str]) -> str:
    return "<html><body>" + "".join(f'<a href="{u}">{u}</a>' for u in links) + "</body></html>"


class PublishingSite(LocalSite):
    """A news site with one more article each time its front page is read."""

    def __init__(self) -> None:
        self.published = 0
        self._count_lock = threading.Lock()
        super().__init__({}, routes={"/news/": self._article, "/": self._front})

    def _front(self, path: str) -> str | None:
        if path.split("?", 1)[0] != "/":
            return None
        with self._count_lock:
            self.published += 1
            newest = self.published
        return front([f"/news/{n}/" for n in range(newest, max(newest - 3, 0), -1)])

    def _article(self, path: str) -> str | None:
        match = re.fullmatch(r"/news/(\d+)/", path.split("?", 1)[0])
        return article("Busy", int(match[1])) if match else None


def quiet_site() -> LocalSite:
    """A news site that never changes."""
    pages = {f"/news/{n}/": article("Quiet", n) for n in (1, 2, 3)}
    return LocalSite({"/": front(list(pages)), **pages})


def write_site(sites: Path, name: str, home: str, schedule: str) -> None:
    sites.mkdir(parents=True, exist_ok=True)
    (sites / f"{name}.toml").write_text(
        f'name = "{name}"\nstart_urls = ["{home}"]\narticle_patterns = ["/news/"]\n'
        f"[schedule]\n{schedule}\n"
    )


# --- scrapyd nodes --------------------------------------------------------------------------------


def clean_copy(dest: Path) -> Path:
    """The files a clone of this working tree would hold (tracked and new, not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


@pytest.fixture(scope="module")
def scrapyd_nodes(tmp_path_factory):
    """Two scrapyd nodes on 127.0.0.1 answering only with basic auth, the project deployed to
    each by ``scrapyd-deploy TARGET`` (scrapy.cfg targets, password from SCRAPYD_PASSWORD)."""
    tmp = tmp_path_factory.mktemp("scrapyd")
    project = clean_copy(tmp / "project")
    bin_dir = Path(sys.executable).parent
    procs, urls = [], []
    try:
        for n in (1, 2):
            home = tmp / f"node{n}"
            home.mkdir()
            port = free_port()
            (home / "scrapyd.conf").write_text(
                "[scrapyd]\nbind_address = 127.0.0.1\n"
                f"http_port = {port}\neggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\n"
                f"dbs_dir = {home / 'dbs'}\nitems_dir =\nmax_proc = 2\npoll_interval = 0.5\n"
                f"username = newsarchive\npassword = {PASSWORD}\n"
            )
            procs.append(
                subprocess.Popen(
                    [bin_dir / "scrapyd", "--pidfile="],
                    cwd=home,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
            with open(project / "scrapy.cfg", "a") as cfg:
                cfg.write(
                    f"\n[deploy:node{n}]\nurl = {urls[-1]}/\nproject = newsarchive\n"
                    "username = newsarchive\npassword = ${SCRAPYD_PASSWORD}\n"
                )
        for n, url in enumerate(urls, 1):
            wait_for_port(int(url.rsplit(":", 1)[1]))
            deployed = subprocess.run(
                [bin_dir / "scrapyd-deploy", f"node{n}", "--version", "1"],
                cwd=project,
                env={**os.environ, "SCRAPYD_PASSWORD": PASSWORD},
                capture_output=True,
                text=True,
                check=False,
            )
            assert deployed.returncode == 0 and '"status": "ok"' in deployed.stdout, (
                deployed.stdout + deployed.stderr
            )
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=15)


def node_jobs(url: str) -> dict:
    answer = requests.get(
        f"{url}/listjobs.json",
        params={"project": "newsarchive"},
        auth=("newsarchive", PASSWORD),
        timeout=10,
    )
    return answer.json()


def wait_until_idle(urls: list[str], timeout: float = 60) -> dict[str, list[dict]]:
    """Each node's finished jobs, once no node has a job pending or running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listings = {url: node_jobs(url) for url in urls}
        if not any(j["pending"] or j["running"] for j in listings.values()):
            return {url: j["finished"] for url, j in listings.items()}
        time.sleep(0.5)
    pytest.fail(f"scrapyd jobs still running after {timeout} s")


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        return answer.read().decode()


@pytest.mark.e2e
def test_scheduler_spreads_crawls_over_both_nodes_never_overlaps_a_site_and_adapts(
    scrapyd_nodes, redis_prefix, tmp_path
):
    with PublishingSite() as busy, quiet_site() as quiet:
        dead_node = f"http://127.0.0.1:{free_port()}"  # nothing listens there
        metrics_port = free_port()
        sites = tmp_path / "sites"
        # Both start at 8s: halved after each crawl with news, doubled after each without.
        adaptive = 'every = "8s"\nmin_interval = "1s"\nmax_interval = "60s"'
        write_site(sites, "busy", busy.url("/"), adaptive)
        write_site(sites, "quiet", quiet.url("/"), adaptive)
        options = [
            "--archive", str(tmp_path / "archive"), "--sites-dir", str(sites),
            "-s", f"REDIS_URL={REDIS_URL}", "-s", f"STATE_REDIS_PREFIX={redis_prefix}",
            *CRAWL_OPTIONS,
        ]  # fmt: skip
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "SCRAPYD_URLS": ",".join([*scrapyd_nodes, dead_node]),
            "SCRAPYD_PASSWORD": PASSWORD,
        }
        command = [
            sys.executable, "-m", "crawler.cli", "schedule", "--for", str(RUN_SECONDS), *options,
            "-s", "SCHEDULE_POLL_INTERVAL=0.5", "-s", f"SCHEDULE_METRICS_PORT={metrics_port}",
        ]  # fmt: skip
        log_path = tmp_path / "schedule.log"
        with open(log_path, "w") as log_file:
            scheduler = subprocess.Popen(
                command,
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=log_file,
                text=True,
            )
            time.sleep(RUN_SECONDS - 6)
            metrics = scrape(metrics_port)
            summary, _ = scheduler.communicate(timeout=60)
        assert scheduler.returncode == 0, log_path.read_text()[-3000:]
        finished = wait_until_idle(scrapyd_nodes)
        status = run_cli("schedule", "status", "--json", *options, cwd=tmp_path, env=env)
    events = [
        json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")
    ]

    # both nodes ran crawls; the dead one was reported and skipped
    per_node = {url: len(jobs) for url, jobs in finished.items()}
    assert all(n >= 2 for n in per_node.values()), per_node
    unreachable = [e for e in events if e["event"] == "schedule.node_unreachable"]
    assert [e["node"] for e in unreachable] == [dead_node], unreachable
    assert all(e["node"] != dead_node for e in events if e["event"] == "schedule.started")

    # one site never ran twice at once: scrapyd's own start and end times of its jobs
    by_site = defaultdict(list)
    for jobs in finished.values():
        for job in jobs:
            site = job["id"].split("-", 1)[0]
            by_site[site].append((_time(job["start_time"]), _time(job["end_time"]), job["id"]))
    for site, runs in by_site.items():
        runs.sort()
        for (_, end, job), (start, _, following) in itertools.pairwise(runs):
            assert start >= end, f"{site}: {following} started before {job} ended"

    # adaptive: the site that publishes every time was crawled more often than the quiet one
    crawls = {site: len(runs) for site, runs in by_site.items()}
    print(f"\njobs per node: {per_node}; crawls per site: {crawls}")
    assert set(crawls) == {"busy", "quiet"}
    assert crawls["busy"] > crawls["quiet"] >= 2, crawls
    assert busy.published == crawls["busy"]  # every crawl read the front page once

    # schedule status: each site's last run, result and next run; the intervals adapted
    assert status.returncode == 0, status.stderr[-2000:]
    rows = {row["site"]: row for row in map(json.loads, status.stdout.splitlines())}
    assert set(rows) == {"busy", "quiet"}
    for row in rows.values():
        last = row["last_run"]
        assert last["node"] in scrapyd_nodes and last["started"] and last["finished"], row
        assert last["crawl_id"].startswith(row["site"] + "-")
        assert row["next_run"] or row["running"], row
    assert rows["busy"]["last_run"]["result"] == "new"
    assert rows["quiet"]["last_run"]["result"] == "unchanged"
    # 8s -> 4s (its first crawl found everything new) -> 8s -> 16s...; the busy one only shrank
    assert rows["busy"]["interval"] <= 2.0, rows
    assert rows["quiet"]["interval"] >= 16.0, rows

    # the summary and the scheduler's own metrics agree with scrapyd
    started = Counter(e["node"] for e in events if e["event"] == "schedule.started")
    assert sum(started.values()) == sum(crawls.values())
    assert f"{sum(crawls.values())} crawl(s) started" in summary
    samples = [s for f in text_string_to_metric_families(metrics) for s in f.samples]
    started_metric = Counter()
    for sample in samples:
        if sample.name == "newsarchive_schedule_crawls_started_total":
            started_metric[sample.labels["node"]] += sample.value
    assert set(started_metric) == set(scrapyd_nodes), started_metric
    node_up = {
        s.labels["node"]: s.value for s in samples if s.name == "newsarchive_schedule_node_up"
    }
    assert node_up == {**dict.fromkeys(scrapyd_nodes, 1.0), dead_node: 0.0}


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


@pytest.mark.e2e
def test_wrong_scrapyd_password_is_one_line_naming_it_and_nothing_starts(scrapyd_nodes, tmp_path):
    with quiet_site() as quiet:
        write_site(tmp_path / "sites", "quiet", quiet.url("/"), 'every = "1h"')
        result = run_cli(
            "schedule", "--once", "--sites-dir", str(tmp_path / "sites"),
            "-s", f"STATE_DIR={tmp_path / 'state'}",
            cwd=tmp_path,
            env={"SCRAPYD_URLS": scrapyd_nodes[0], "SCRAPYD_PASSWORD": "wrong"},
        )  # fmt: skip
        assert quiet.requests == []
    assert result.returncode == 1, result.stderr[-2000:]
    refused = [
        json.loads(line) for line in result.stderr.splitlines() if "node_unreachable" in line
    ]
    assert len(refused) == 1
    assert refused[0]["error"] == (
        f"{scrapyd_nodes[0]}: credentials refused (401): check SCRAPYD_USERNAME and SCRAPYD_PASSWORD"
    )
    assert "wrong" not in result.stderr
    assert "not started 1" in result.stdout


# --- local crawls ---------------------------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_two_schedulers_at_once_start_each_due_site_once(tmp_path, request, store):
    if store == "postgresql":  # the crawl state (locks, intervals, site runs) on PostgreSQL
        state = f"STATE_URL={request.getfixturevalue('postgres_url')}"
    else:
        state = f"STATE_DIR={tmp_path / 'state'}"
    pages = {
        "/a/": front(["/news/a1/", "/news/a2/"]),
        "/b/": front(["/news/b1/", "/news/b2/"]),
        **{f"/news/{n}/": article(n, i) for i, n in enumerate(("a1", "a2", "b1", "b2"))},
    }
    with LocalSite(pages) as site:
        for name in ("alpha", "beta"):
            write_site(tmp_path / "sites", name, site.url(f"/{name[0]}/"), 'every = "1h"')
        command = [
            sys.executable, "-m", "crawler.cli", "schedule", "--once",
            "--archive", str(tmp_path / "archive"), "--sites-dir", str(tmp_path / "sites"),
            "-s", state, *CRAWL_OPTIONS,
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        env.pop("SCRAPYD_URLS", None)
        schedulers = [
            subprocess.Popen(
                command,
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [s.communicate(timeout=120) for s in schedulers]
        fronts = {path: len(site.hits(path)) for path in ("/a/", "/b/")}
        articles = {n: len(site.hits(f"/news/{n}/")) for n in ("a1", "a2", "b1", "b2")}
        status = run_cli("schedule", "status", "--sites-dir", str(tmp_path / "sites"),
                         "-s", state, cwd=tmp_path)  # fmt: skip
    for proc, (_, err) in zip(schedulers, outputs, strict=True):
        assert proc.returncode == 0, err[-3000:]
    assert fronts == {"/a/": 1, "/b/": 1}
    assert articles == dict.fromkeys(articles, 1)
    started = [
        json.loads(line)
        for _, err in outputs
        for line in err.splitlines()
        if '"schedule.started"' in line
    ]
    assert sorted(e["site"] for e in started) == ["alpha", "beta"]
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert lines[0].split() == [
        "SITE",
        "SCHEDULE",
        "INTERVAL",
        "LAST",
        "RUN",
        "RESULT",
        "NEXT",
        "RUN",
    ]
    for name in ("alpha", "beta"):
        (line,) = [ln for ln in lines if ln.startswith(name + " ")]
        assert "every 1h" in line and "new: 2 article(s)" in line, line
        assert re.search(r"on local:\S+", line) and re.search(r"\(in (59m|1h)", line), line


@pytest.mark.e2e
def test_sigterm_stops_the_scheduler_and_its_crawl_cleanly(tmp_path):
    pages = {f"/news/{n}/": article("Long", n) for n in range(1, 101)}
    with LocalSite({"/": front(list(pages)), **pages}) as site:
        write_site(tmp_path / "sites", "long", site.url("/"), 'every = "1h"')
        command = [
            sys.executable, "-m", "crawler.cli", "schedule",
            "--archive", str(tmp_path / "archive"), "--sites-dir", str(tmp_path / "sites"),
            "-s", f"STATE_DIR={tmp_path / 'state'}", *CRAWL_OPTIONS,
            "-s", "DOWNLOAD_DELAY=0.5", "-s", "CONCURRENT_REQUESTS=1",
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        env.pop("SCRAPYD_URLS", None)
        scheduler = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while len(site.hits_under("/news/")) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        scheduler.terminate()  # SIGTERM, as systemd and docker stop send it
        stopped = time.monotonic()
        summary, err = scheduler.communicate(timeout=60)
        took = time.monotonic() - stopped
        fetched = len(site.hits_under("/news/"))
        status = run_cli("schedule", "status", "--json", "--sites-dir", str(tmp_path / "sites"),
                         "-s", f"STATE_DIR={tmp_path / 'state'}", cwd=tmp_path)  # fmt: skip
    assert scheduler.returncode == 0, err[-3000:]
    # it stopped the crawl (100 articles at 2 a second), did not wait for its end
    assert took < 15 and fetched < 30, (took, fetched)
    assert "collected  1 (1 interrupted)" in summary, summary
    assert not list((tmp_path / "archive").rglob("*.open"))  # the crawl closed its files
    assert list((tmp_path / "archive").glob("warc/long-*/*.warc.gz"))
    (row,) = map(json.loads, status.stdout.splitlines())
    assert row["last_run"]["result"] == "interrupted" and row["running"] is None


# --- mistakes a user can make ---------------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("setting", "line"),
    [
        ("SCRAPYD_URLS=ftp://node1", "setting SCRAPYD_URLS='ftp://node1': not an http(s) URL"),
        ("SCHEDULE_POLL_INTERVAL=0", "setting SCHEDULE_POLL_INTERVAL='0': must be more than 0"),
        ("SCHEDULE_MAX_LOCAL=none", "setting SCHEDULE_MAX_LOCAL='none': expected a whole number"),
    ],
)
def test_bad_scheduler_setting_is_one_line(tmp_path, setting, line):
    write_site(tmp_path / "sites", "quiet", "http://127.0.0.1:9/", 'every = "1h"')
    result = run_cli("schedule", "--once", "--sites-dir", str(tmp_path / "sites"),
                     "-s", setting, "-s", f"STATE_DIR={tmp_path}", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith(f"newsarchive: error: {line}"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.e2e
def test_bad_schedule_in_a_site_file_is_one_line_naming_file_and_field(tmp_path):
    write_site(tmp_path / "sites", "quiet", "http://127.0.0.1:9/", 'every = "soon"')
    result = run_cli("schedule", "--once", "--sites-dir", str(tmp_path / "sites"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"newsarchive: error: {tmp_path / 'sites' / 'quiet.toml'}: field 'schedule.every': "
        'expected a duration like "90s", "30m", "2h" or "1d", not \'soon\''
    )


@pytest.mark.parametrize(
    ("table", "error"),
    [
        ({"every": "30m", "cron": "0 * * * *"}, "field 'schedule': give either every"),
        ({}, "field 'schedule': give either every"),
        ({"cron": "every hour"}, "field 'schedule.cron': not a cron expression"),
        ({"every": "1h", "min_interval": "5m"}, "field 'schedule.min_interval': give both"),
        ({"every": "1m", "min_interval": "5m", "max_interval": "1h"}, "'schedule.every': must lie"),
        (
            {"cron": "0 * * * *", "min_interval": "5m", "max_interval": "1h"},
            "needs every, not cron",
        ),
        ({"every": "30m", "jitter": "1m"}, "field 'schedule.jitter': unknown"),
        ({"every": -5}, "field 'schedule.every': expected a duration"),
    ],
)
def test_site_file_schedule_mistakes_name_the_field(table, error):
    data = {"name": "x", "start_urls": ["http://127.0.0.1/"], "schedule": table}
    with pytest.raises(SiteError, match=re.escape(error)):
        site_from_dict(data, source="sites/x.toml")


def test_site_file_schedules_read_as_written():
    def schedule(table):
        return site_from_dict(
            {"name": "x", "start_urls": ["http://h/"], "schedule": table}
        ).schedule

    assert describe(schedule({"every": "30m"})) == "every 30m"
    assert describe(schedule({"every": "1h", "min_interval": "10m", "max_interval": "6h"})) == (
        "every 1h (adaptive 10m..6h)"
    )
    assert describe(schedule({"cron": "*/15 * * * *"})) == "cron */15 * * * *"
    assert site_from_dict({"name": "x", "start_urls": ["http://h/"]}).schedule is None


def test_adaptive_interval_halves_after_news_and_doubles_after_none_within_bounds():
    s = site_from_dict(
        {"name": "x", "start_urls": ["http://h/"],
         "schedule": {"every": "1h", "min_interval": "20m", "max_interval": "3h"}}
    ).schedule  # fmt: skip
    intervals = [3600.0]
    for found in (3, 1, 5, 0, 0, 0, 0):
        intervals.append(adapted_interval(s, intervals[-1], found))
    assert intervals == [3600, 1800, 1200, 1200, 2400, 4800, 9600, 10800]
    assert adapted_interval(s, 1800.0, None) == 1800.0  # a failed crawl changes nothing
    fixed = site_from_dict({"name": "x", "start_urls": ["http://h/"], "schedule": {"every": "1h"}})
    assert adapted_interval(fixed.schedule, 3600.0, 0) == 3600.0


def test_next_run_counts_from_the_last_start_and_cron_from_now():
    every = site_from_dict(
        {"name": "x", "start_urls": ["http://h/"], "schedule": {"every": "30m"}}
    ).schedule
    assert next_run(every, 1800.0, None, now=1000.0) == 1000.0  # never crawled: at once
    assert next_run(every, 1800.0, 1000.0, now=1300.0) == 2800.0
    assert next_run(every, 1800.0, 1000.0, now=5000.0) == 5000.0  # a long crawl: at once after
    cron = site_from_dict(
        {"name": "x", "start_urls": ["http://h/"], "schedule": {"cron": "0 * * * *"}}
    ).schedule
    assert next_run(cron, 0.0, 7000.0, now=7300.0) == 10800.0  # the next full hour


def test_config_error_is_the_users_kind_of_error():
    assert issubclass(SiteError, ConfigError)


def test_a_stopping_scheduler_asks_each_crawl_to_finish_once(tmp_path):
    """A second SIGINT is Scrapy's "stop at once", which leaves the WARC and the export ``.open``.
    The scheduler asked when it stopped and again when it began waiting; on a busy machine the
    crawl saw both (a red CI run). Here the crawl is a process that writes a line per SIGINT."""
    from crawler.scheduler.runners import LocalRunner

    said = tmp_path / "sigints"
    child = (
        "import signal, sys, time\n"
        f"signal.signal(signal.SIGINT, lambda *_: open({str(said)!r}, 'a').write('SIGINT\\n'))\n"
        "print('ready', flush=True)\n"
        "time.sleep(3)\n"
    )
    runner = LocalRunner(1)
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    runner._procs["crawl-1"] = proc  # as start() keeps it, without a whole crawl to wait for
    assert proc.stdout.readline().strip() == "ready"
    stop = threading.Event()
    stop.set()
    runner.stop()  # what Scheduler.run does when it stops ...
    time.sleep(0.5)  # ... the crawl handles that SIGINT (a busy machine's pace) ...
    runner.wait(stop)  # ... then it waits for the crawl
    assert proc.returncode == 0
    assert said.read_text().splitlines() == ["SIGINT"]
