"""Crawl throughput: the full ``newsarchive crawl`` beside a bare Scrapy spider and one that calls
trafilatura inline, on a generated local news site served by nginx (issue 12).

    python bench/crawl.py [--articles 5000] [--keep DIR] [--only a,b,c] [--workers N]
                          [-s NAME=VALUE ...] [--no-job-dir] [--py-spy FILE [--py-spy-all]]
                          [--wait-idle SECONDS] [--timeout SECONDS]
    make bench-crawl ARGS="--articles 20000"

The site (``bench/crawlsite.py``): a home page, ten sections in three templates (modern with
JSON-LD and Open Graph, blog-like, a legacy table layout), each paginated, and ``--articles``
stories of 10 to 150 KB linking 3 to 5 related ones; seeded, written in seconds into a temporary
directory (``--keep DIR``: into DIR, and reused by a later run of the same size). It is served by
nginx (Debian's ``nginx`` package; one master and one worker process, static files, access log on),
on 127.0.0.1 and a free port; nginx's CPU time during each run is printed as its share of one
core, to show it is not what limits a crawl.

One after another, each in its own process, each from an empty state:

- (a) ``bare``: a Scrapy spider (defined here, ``--spider bare URL``) following every ``<a href>``
  of the site, doing nothing else; Scrapy's defaults but no robots.txt, 16 concurrent requests (16
  per domain), no delay, no AutoThrottle, no HTTP cache, LOG_LEVEL INFO;
- (b) ``inline``: the same spider, calling ``trafilatura.extract(response.text)`` on every page in
  its callback;
- (c) ``newsarchive``: the product, ``newsarchive crawl bench`` with a site file naming the site's
  sections, feed and sitemap (``article_patterns`` for the articles, ``pagination_depth`` the
  sections' page count, politeness: no delay, 16 concurrent requests per domain) into a local
  archive, with ``--job-dir``; the project's settings otherwise (``--workers N`` sets
  ``CLEAN_WORKERS``, ``-s NAME=VALUE`` any setting). Its log is kept beside the archive.

For each: pages fetched (nginx's access log lines during the run), wall time, pages/s, CPU ms per
page (user and system; the process and every descendant it waited for, from ``wait4``: the
extraction workers of (c) included), cores used (CPU time / wall time), peak RSS of the whole
process tree (the sum of VmRSS of the process and all its descendants, sampled every 0.2 s),
nginx's CPU share, and the CPU that everything else on the machine used meanwhile (other work
running beside the benchmark disturbs its figures: a run where it passes 10 % of a core says so;
``--wait-idle SECONDS`` waits, before each crawl, for the machine to be idle). For (c) also:
articles exported (the archive's JSON Lines files) against the site's articles, RSS of its process
tree as the pages came in (at each tenth of the pages, at 5,000 and 20,000), CPU and RSS per kind of
process (the crawl's, the extraction workers), its summary, and the warnings and errors of its log.
Then the figures issue 12 sets as goals, each with "ok" or "MISSED".

The last line, for scripts (pages/s; ``pages`` is the site's HTML pages)::

    bench: pages=N a=X b=Y c=Z c/a=R1 c/b=R2 rss_c/a=R3

``--py-spy FILE`` runs (c) under ``py-spy record --subprocesses --gil`` (raw collapsed stacks into
FILE) and prints its hottest functions in the crawl's process and in the extraction workers; (c)'s
figures then include py-spy's own cost. ``--gil``: only the thread holding the GIL is sampled, so
the samples are the Python work that competes for the crawl process's one core (C code that
releases the GIL, zlib or SQLite, is not seen); ``--py-spy-all`` samples every thread py-spy
finds running (threads waiting for the GIL, or blocked in some C calls, count too).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import crawlsite

CRAWLERS = {"a": "bare Scrapy", "b": "Scrapy + trafilatura", "c": "newsarchive crawl"}
# The figures issue 12 judges the crawl by.
GOALS = {
    "cpu_c/b": 1.3,  # CPU per page of (c) at most this times (b)'s
    "c/b": 1.3,  # pages/s of (c) at least this times (b)'s
    "c/a": 0.7,  # ... and this times (a)'s
    "rss_c/a": 2.0,  # peak RSS of (c)'s process tree at most this times (a)'s
    "rss_growth": 1.2,  # RSS after 20,000 pages at most this times RSS after 5,000
}
SAMPLE_EVERY = 0.2
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")
NGINX = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")


# -- the spider of (a) and (b) -------------------------------------------------------------------


def run_spider(mode: str, start_url: str) -> int:
    """``--spider bare|inline URL``: crawl the site from URL; print the crawl's stats as JSON."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    extract = None
    if mode == "inline":
        import trafilatura

        extract = trafilatura.extract

    class BenchSpider(scrapy.Spider):
        name = "bench"
        start_urls: ClassVar[list[str]] = [start_url]
        allowed_domains: ClassVar[list[str]] = [urlsplit(start_url).hostname]

        def parse(self, response):
            if extract is not None:
                text = extract(response.text)
                self.crawler.stats.inc_value("bench/extracted" if text else "bench/no_text")
            hrefs = response.css("a::attr(href)").getall()
            links = [h for h in hrefs if not h.startswith(("javascript:", "mailto:", "#"))]
            yield from response.follow_all(links, self.parse)

    process = CrawlerProcess(
        {
            "ROBOTSTXT_OBEY": False,
            "CONCURRENT_REQUESTS": 16,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "HTTPCACHE_ENABLED": False,
            "LOG_LEVEL": "INFO",
            "TELNETCONSOLE_ENABLED": False,
            "REMOTE_CONTROL_ENABLED": False,  # Scrapy 2.19's control server: not a crawl's work
        }
    )
    crawler = process.create_crawler(BenchSpider)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    print(json.dumps({k: v for k, v in stats.items() if isinstance(v, int | float | str)}))
    return 0


# -- /proc ---------------------------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()  # fields from 3 (state) on


def cpu_seconds(pid: int) -> float:
    """utime + stime of one live process, in seconds (0 when gone)."""
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / TICKS if fields else 0.0


def machine_busy() -> float:
    """CPU seconds every CPU of the machine has spent busy since boot (/proc/stat)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / TICKS


def process_tree(root: int) -> list[int]:
    """``root`` and every live descendant."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields:
                children[int(fields[1])].append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def rss_bytes(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


# -- nginx ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as nginx binds it
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Nginx:
    """nginx serving ``root`` on 127.0.0.1:``port`` from a generated config in ``work``."""

    def __init__(self, work: Path, root: Path, port: int) -> None:
        self.dir = work / "nginx"
        self.port = port
        binary = shutil.which("nginx") or next((p for p in NGINX if Path(p).exists()), None)
        if binary is None:
            raise SystemExit(
                "bench: nginx is missing: apt-get install -y nginx (Debian's package; as root)"
            )
        if self.dir.exists():
            shutil.rmtree(self.dir)
        (self.dir / "temp").mkdir(parents=True)
        self.access_log = self.dir / "access.log"
        self.access_log.touch()
        temp = self.dir / "temp"
        user = "user root root;\n" if os.geteuid() == 0 else ""  # its workers read any --keep DIR
        conf = self.dir / "nginx.conf"
        conf.write_text(
            f"""{user}daemon off;
master_process on;
worker_processes 1;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    types {{ text/html html; application/xml xml; text/plain txt; }}
    default_type application/octet-stream;
    charset utf-8;
    log_format bench '$msec $status $body_bytes_sent $request_uri';
    access_log {self.access_log} bench;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    open_file_cache max=50000 inactive=120s;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        index index.html;
        location / {{ try_files $uri $uri/ =404; }}
    }}
}}
"""
        )
        self.process = subprocess.Popen(
            [binary, "-p", str(self.dir), "-c", str(conf), "-e", str(self.dir / "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"bench: nginx did not start: {self.process.stderr.read()!r}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.05)
        self.stop()
        raise SystemExit(f"bench: nginx is not listening on 127.0.0.1:{port}")

    def cpu(self) -> float:
        """CPU seconds of the master and its workers so far."""
        return sum(cpu_seconds(pid) for pid in process_tree(self.process.pid))

    def log_size(self) -> int:
        return self.access_log.stat().st_size

    def log_lines(self, start: int) -> list[str]:
        with open(self.access_log, "rb") as fh:
            fh.seek(start)
            return fh.read().decode("utf-8", "replace").splitlines()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: finish, then exit
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


# -- one measured run ----------------------------------------------------------------------------


@dataclass
class Run:
    key: str
    name: str
    returncode: int = 0
    wall: float = 0.0
    user: float = 0.0
    sys: float = 0.0
    sampled_cpu: float = 0.0
    peak_rss: int = 0
    pages: int = 0
    statuses: Counter = field(default_factory=Counter)
    server_cpu: float = 0.0
    others_cpu: float = 0.0  # CPU seconds of everything else on the machine (this script too)
    samples: list[tuple[float, int, int]] = field(default_factory=list)  # (s, pages, rss)
    # kind of process -> (processes, CPU seconds sampled, largest peak RSS of one)
    processes: dict[str, tuple[int, float, int]] = field(default_factory=dict)
    stdout: str = ""
    stderr_path: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.pages / self.wall if self.wall else 0.0

    @property
    def cpu(self) -> float:
        return self.user + self.sys

    def per_page_ms(self, seconds: float) -> float:
        return seconds * 1000 / self.pages if self.pages else 0.0

    def rss_at(self, pages: int) -> int | None:
        """RSS of the tree at the first sample with at least ``pages`` pages fetched."""
        return next((rss for _, p, rss in self.samples if p >= pages), None)

    def when(self, pages: int) -> float | None:
        return next((t for t, p, _ in self.samples if p >= pages), None)


class Sampler(threading.Thread):
    """Every SAMPLE_EVERY s: RSS of ``pid``'s process tree, CPU of each of its processes, and
    the pages nginx has answered since ``log_start``."""

    def __init__(self, pid: int, nginx: Nginx, log_start: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.nginx = nginx
        self.offset = log_start
        self.pages = 0
        self.started = time.monotonic()
        self.samples: list[tuple[float, int, int]] = []
        self.cpu: dict[int, float] = {}  # pid -> latest CPU seconds seen
        self.rss: dict[int, int] = {}  # pid -> its peak RSS
        self.commands: dict[int, str] = {}  # pid -> its command line
        self.stopped = threading.Event()

    def _count_pages(self) -> None:
        with open(self.nginx.access_log, "rb") as fh:
            fh.seek(self.offset)
            data = fh.read()
        end = data.rfind(b"\n") + 1  # whole lines only
        self.pages += data.count(b"\n", 0, end)
        self.offset += end

    def run(self) -> None:
        while not self.stopped.is_set():
            tree = process_tree(self.pid)
            rss = sum(rss_bytes(p) for p in tree)
            for p in tree:
                self.cpu[p] = max(self.cpu.get(p, 0.0), cpu_seconds(p))
                self.rss[p] = max(self.rss.get(p, 0), rss_bytes(p))
                if p not in self.commands:
                    with contextlib.suppress(OSError):
                        raw = Path(f"/proc/{p}/cmdline").read_bytes()
                        self.commands[p] = raw.replace(b"\0", b" ").decode("utf-8", "replace")
            self._count_pages()
            if rss:
                self.samples.append((time.monotonic() - self.started, self.pages, rss))
            self.stopped.wait(SAMPLE_EVERY)


def measure(
    key: str, cmd: list[str], *, env: dict, cwd: Path, nginx: Nginx, log: Path, timeout: float
) -> Run:
    run = Run(key, CRAWLERS[key], stderr_path=log)
    log_start = nginx.log_size()
    server_before = nginx.cpu()
    busy_before = machine_busy()
    started = time.monotonic()
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=err, start_new_session=True
        )
        sampler = Sampler(proc.pid, nginx, log_start)
        sampler.start()
        out: list[bytes] = []
        reader = threading.Thread(target=lambda: out.append(proc.stdout.read()), daemon=True)
        reader.start()

        def too_long() -> None:
            run.notes.append(f"stopped after --timeout {timeout:.0f} s")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, too_long)
        timer.daemon = True
        timer.start()
        try:
            # wait4: the child's CPU time plus that of every descendant it waited for (workers)
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # Ctrl-C: the crawl goes too
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            raise
        finally:
            timer.cancel()
        run.wall = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.stopped.set()
        sampler.join()
        reader.join(30)
    run.returncode = proc.returncode
    run.user, run.sys = usage.ru_utime, usage.ru_stime
    run.sampled_cpu = sum(sampler.cpu.values())
    kinds: dict[str, list[int]] = defaultdict(list)
    for pid in sampler.cpu:
        kinds[process_kind(sampler.commands.get(pid, ""))].append(pid)
    run.processes = {
        kind: (
            len(pids),
            sum(sampler.cpu[p] for p in pids),
            max(sampler.rss.get(p, 0) for p in pids),
        )
        for kind, pids in kinds.items()
    }
    run.samples = sampler.samples
    run.peak_rss = max((rss for _, _, rss in sampler.samples), default=usage.ru_maxrss * 1024)
    run.server_cpu = nginx.cpu() - server_before
    run.others_cpu = max(0.0, machine_busy() - busy_before - run.cpu - run.server_cpu)
    if run.others_cpu > 0.1 * run.wall:
        run.notes.append(
            f"other processes on the machine used {100 * run.others_cpu / run.wall:.0f}% of a "
            "core during this run: its figures are disturbed"
        )
    lines = nginx.log_lines(log_start)
    run.pages = len(lines)
    run.statuses = Counter(line.split()[1] for line in lines if len(line.split()) > 1)
    run.stdout = b"".join(out).decode("utf-8", "replace")
    if run.sampled_cpu > run.cpu * 1.05 + 0.5:
        run.notes.append(
            f"CPU sampled from /proc ({run.sampled_cpu:.1f} s) exceeds wait4's ({run.cpu:.1f} s):"
            " a descendant was not waited for"
        )
    return run


def process_kind(command: str) -> str:
    if "pipelines.workers" in command:
        return "extraction workers"
    if "py-spy" in command.split(" ", 1)[0]:
        return "py-spy"
    if "crawler" in command or "newsarchive" in command or "--spider" in command:
        return "crawl process"
    return "other"


# -- reporting -----------------------------------------------------------------------------------


def mb(n: int | float | None) -> str:
    return "-" if n is None else f"{n / 1e6:.0f}"


def table(runs: list[Run]) -> None:
    head = (
        f"{'crawler':26s} {'pages':>6s} {'wall s':>7s} {'pages/s':>8s} {'CPU ms/page':>17s} "
        f"{'cores':>5s} {'peak RSS MB':>11s} {'nginx %core':>11s} {'others %core':>12s}"
    )
    print(head)
    print(f"{'':26s} {'':>6s} {'':>7s} {'':>8s} {'user+sys=total':>17s}")
    for r in runs:
        cpu = f"{r.per_page_ms(r.user):.1f}+{r.per_page_ms(r.sys):.1f}={r.per_page_ms(r.cpu):.1f}"
        print(
            f"({r.key}) {r.name:22s} {r.pages:6d} {r.wall:7.1f} {r.rate:8.1f} {cpu:>17s} "
            f"{r.cpu / r.wall:5.2f} {mb(r.peak_rss):>11s} {100 * r.server_cpu / r.wall:10.1f}% "
            f"{100 * r.others_cpu / r.wall:11.1f}%"
        )


def exported_articles(archive: Path) -> tuple[int, set[str]]:
    lines, urls = 0, set()
    for path in archive.glob("articles/*/*.jsonl.gz"):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                lines += 1
                urls.add(json.loads(line).get("url"))
    return lines, urls


def crawl_log(path: Path) -> tuple[Counter, Counter, dict]:
    """(lines by level, warning/error events, Scrapy's final stats) of (c)'s JSON-lines log."""
    levels: Counter = Counter()
    events: Counter = Counter()
    stats: dict = {}
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                entry = json.loads(line)
            except ValueError:
                levels["(not JSON)"] += 1
                continue
            level = entry.get("level", "?")
            levels[level] += 1
            event = str(entry.get("event", ""))
            if level in ("warning", "error", "critical"):
                events[f"{level}: {event[:90]}"] += 1
            if event.startswith("Dumping Scrapy stats"):
                stats = {k: int(v) for k, v in re.findall(r"'([^']+)': (\d+)[,}]", event)}
    return levels, events, stats


def report_c(run: Run, site: crawlsite.SiteInfo, archive: Path) -> None:
    lines, urls = exported_articles(archive)
    print(
        f"(c) articles exported: {lines} ({len(urls)} distinct URLs) of {site.articles} in the "
        f"site ({site.articles - len(urls & site_article_urls(site))} missing)"
    )
    if run.samples:
        marks = sorted({*(run.pages * k // 10 for k in range(1, 11)), 5000, 20000} - {0})
        points = []
        for m in marks:
            rss, t = run.rss_at(m), run.when(m)
            if rss is not None and m <= run.pages:
                points.append(f"{m} pages {mb(rss)} MB (t={t:.0f} s)")
        print("(c) RSS of the process tree as pages came in: " + "; ".join(points))
        first, last = run.when(1), run.when(run.pages)
        if first is not None and last is not None:
            fetching = max(last - first, 1e-9)
            print(
                f"(c) start-up {first:.1f} s, fetching {fetching:.1f} s "
                f"({(run.pages - 1) / fetching:.1f} pages/s), closing {run.wall - last:.1f} s"
            )
    print(
        "(c) CPU and peak RSS by process (sampled): "
        + "; ".join(
            f"{kind} x{n}: {cpu:.1f} s CPU ({100 * cpu / run.wall:.0f}% of a core), "
            f"peak {mb(rss)} MB each at most"
            for kind, (n, cpu, rss) in sorted(run.processes.items())
        )
    )
    print("(c) summary printed by the crawl:")
    for line in run.stdout.strip().splitlines():
        print(f"    {line}")
    if run.stderr_path and run.stderr_path.exists():
        levels, events, stats = crawl_log(run.stderr_path)
        print(f"(c) log {run.stderr_path}: " + ", ".join(f"{k} {v}" for k, v in levels.items()))
        for event, n in events.most_common(10):
            print(f"    {n:6d} x {event}")
        keys = [k for k in sorted(stats) if k.startswith(("clean/", "dedupe/", "export/"))]
        keys += [k for k in ("item_dropped_count", "scheduler/enqueued") if k in stats]
        if keys:
            print("(c) stats: " + ", ".join(f"{k}={stats[k]}" for k in keys))


def log_tail(path: Path | None, size: int = 4096) -> str:
    if path is None or not path.exists():
        return ""
    with open(path, "rb") as fh:
        fh.seek(max(0, path.stat().st_size - size))
        return fh.read().decode("utf-8", "replace")


def site_article_urls(site: crawlsite.SiteInfo) -> set[str]:
    urls = set()
    for path in site.root.glob("*/*/*/*/*/index.html"):
        urls.add(f"{site.base_url}/{path.parent.relative_to(site.root)}/")
    return urls


def ratio(x: float | None, y: float | None) -> float | None:
    return x / y if x is not None and y else None


def fmt(x: float | None, digits: int) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def goals(by: dict[str, Run]) -> dict[str, float | None]:
    a, b, c = by.get("a"), by.get("b"), by.get("c")
    cpu_b = b.per_page_ms(b.cpu) if b else None
    figures = {
        "a": a.rate if a else None,
        "b": b.rate if b else None,
        "c": c.rate if c else None,
        "cpu_c/b": ratio(c.per_page_ms(c.cpu), cpu_b) if c else None,
        "rss_c/a": ratio(c.peak_rss, a.peak_rss) if c and a else None,
        "rss_growth": None,
    }
    figures["c/a"] = ratio(figures["c"], figures["a"])
    figures["c/b"] = ratio(figures["c"], figures["b"])
    if c and c.pages >= 20000:
        figures["rss_growth"] = ratio(c.rss_at(20000), c.rss_at(5000))
    print("goals (issue 12):")
    for name, limit in GOALS.items():
        value = figures[name]
        most = name.startswith(("cpu", "rss"))
        ok = None if value is None else (value <= limit if most else value >= limit)
        verdict = {None: "n/a", True: "ok", False: "MISSED"}[ok]
        print(f"  {name:10s} {fmt(value, 2):>6s}  ({'<=' if most else '>='} {limit})  {verdict}")
    return figures


# -- py-spy --------------------------------------------------------------------------------------


def profile_summary(path: Path, top: int = 15) -> str:
    """The hottest functions of a ``py-spy record --format raw --subprocesses`` file: self and
    cumulative samples, in the crawl's process and in the extraction workers."""
    kinds: dict[str, dict[str, Counter]] = defaultdict(
        lambda: {"self": Counter(), "cum": Counter(), "total": Counter(), "threads": Counter()}
    )
    pids: dict[str, set[str]] = defaultdict(set)
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit() or not stack:
            continue
        frames = stack.split(";")
        procs = [f for f in frames if f.startswith("process ")]
        if not procs:
            continue
        proc = procs[-1]
        kind = process_kind(proc.split(":", 1)[1].strip('"') if ":" in proc else proc)
        pids[kind].add(proc.split(":", 1)[0])
        funcs = [
            f.rsplit(":", 1)[0] + ")" if f.endswith(")") and ":" in f else f
            for f in frames
            if not f.startswith(("process ", "thread "))
        ]
        n = int(count)
        kinds[kind]["total"]["all"] += n
        thread = next((f for f in frames if f.startswith("thread ")), "thread ?")
        kinds[kind]["threads"][thread.partition(": ")[2] or thread] += n
        if not funcs:
            continue
        kinds[kind]["self"][_short(funcs[-1])] += n
        for f in dict.fromkeys(_short(f) for f in funcs):
            if f.partition(" (")[2].startswith(_PROJECT) and not f.startswith(_ENTRY):
                kinds[kind]["cum"][f] += n
    out = []
    for kind in ("crawl process", "extraction workers", "other"):
        if kind not in kinds:
            continue
        total = kinds[kind]["total"]["all"]
        out.append(f"## {kind} ({len(pids[kind])} process(es), {total} samples)\n")
        threads = kinds[kind]["threads"].most_common(6)
        out.append("by thread: " + ", ".join(f"{t} {100 * n / total:.1f}%" for t, n in threads))
        out.append("")
        for what in ("self", "cum"):
            title = "self" if what == "self" else "cumulative samples of the project's functions"
            out.append(f"top {top} by {title}:\n")
            for func, n in kinds[kind][what].most_common(top):
                out.append(f"  {100 * n / total:5.1f}%  {n:7d}  {func}")
            out.append("")
    return "\n".join(out)


_PROJECT = ("crawler/", "pipelines/")
_ENTRY = ("main (crawler/cli.py", "cmd_crawl (", "<module> (", "_serve (pipelines/workers.py")


def _short(frame: str) -> str:
    """``func (path/to/site-packages/pkg/mod.py)`` -> ``func (pkg/mod.py)``."""
    func, _, where = frame.partition(" (")
    for marker in ("site-packages/", f"lib/python{sys.version_info[0]}.{sys.version_info[1]}/"):
        if marker in where:
            where = where.split(marker, 1)[1]
            break
    else:  # py-spy names files relative to sys.path; the project's own code, from any checkout
        found = [where.rfind(f"/{top}") for top in (*_PROJECT, "bench/")]
        if where.startswith("/") and max(found) >= 0:
            where = where[max(found) + 1 :]
    return f"{func} ({where}" if where else func


# -- main ----------------------------------------------------------------------------------------


def prepare_site(work: Path, articles: int) -> tuple[crawlsite.SiteInfo, int]:
    root = work / "site"
    site = crawlsite.existing(root, articles)
    if site is not None:
        port = urlsplit(site.base_url).port
        if port and port_free(port):
            print(f"site: reusing {root} ({site.pages} pages, {site.bytes / 1e6:.0f} MB)")
            return site, port
    port = free_port()
    site = crawlsite.generate(root, articles, f"http://127.0.0.1:{port}")
    print(
        f"site: {site.pages} pages ({site.articles} articles, up to {site.section_pages} pages a "
        f"section), {site.bytes / 1e6:.0f} MB, made in {site.seconds} s: {root}"
    )
    return site, port


def write_site_file(sites_dir: Path, site: crawlsite.SiteInfo) -> None:
    sites_dir.mkdir(parents=True, exist_ok=True)
    starts = ", ".join(f'"{site.base_url}/{s}/"' for s, _, _ in crawlsite.SECTIONS)
    (sites_dir / "bench.toml").write_text(
        f"""# The crawl benchmark's generated site (bench/crawlsite.py).
name = "bench"
start_urls = [{starts}]
allowed_domains = ["127.0.0.1"]
article_patterns = ['{crawlsite.ARTICLE_PATTERN}']
feeds = ["{site.base_url}/feed.xml"]
sitemaps = ["{site.base_url}/sitemap.xml"]
pagination_depth = {site.section_pages}

[politeness]
download_delay = 0.0
concurrent_requests_per_domain = 16
"""
    )


def child_env() -> dict:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO)}
    # the product's crawl reads these from the environment: none of the machine's may leak in
    for name in ("REDIS_URL", "ARCHIVE_URI", "ARCHIVE_INDEX_URL", "STATE_DIR", "ARCHIVE_SPOOL_DIR"):
        env.pop(name, None)
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--articles", type=int, default=5000, help="default 5,000")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (site reused)")
    parser.add_argument("--only", default="a,b,c", help="crawlers to run: a, b, c (default all)")
    parser.add_argument("--workers", type=int, help="CLEAN_WORKERS of (c) (default the project's)")
    parser.add_argument(
        "-s",
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for (c), passed on as -s NAME=VALUE",
    )
    parser.add_argument("--no-job-dir", action="store_true", help="(c) without --job-dir")
    parser.add_argument("--py-spy", metavar="FILE", help="profile (c) with py-spy into FILE")
    parser.add_argument(
        "--py-spy-all",
        action="store_true",
        help="sample every running thread, not only the one holding the GIL",
    )
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per crawl")
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=0,
        metavar="SECONDS",
        help="before each crawl, wait up to this long for the machine to be idle for 10 s",
    )
    parser.add_argument("--spider", nargs=2, metavar=("MODE", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.spider:
        return run_spider(*args.spider)
    # Ctrl-C, and a kill, stop the crawl being measured and nginx too (even when started with &)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    only = [k.strip() for k in args.only.split(",") if k.strip()]
    if not only or set(only) - set(CRAWLERS):
        parser.error(f"--only {args.only!r}: a comma-separated subset of a,b,c")
    if args.py_spy:
        args.spy_binary = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        if not Path(args.spy_binary).exists():
            parser.error("--py-spy: py-spy is not installed (pip install py-spy)")

    work = Path(args.keep).resolve() if args.keep else Path(tempfile.mkdtemp(prefix="bench-crawl-"))
    work.mkdir(parents=True, exist_ok=True)
    site, port = prepare_site(work, args.articles)
    nginx = Nginx(work, site.root, port)
    print(f"nginx (pid {nginx.process.pid}) serving {site.base_url}/")
    env = child_env()
    runs: list[Run] = []
    try:
        run_all(args, only, site, nginx, env, work, runs)
    except KeyboardInterrupt:
        print(f"bench: interrupted; the work directory is {work}", file=sys.stderr)
        return 130
    finally:
        nginx.stop()
    return report(args, site, work, runs)


def command(key: str, args: argparse.Namespace, site: crawlsite.SiteInfo, out: Path) -> list[str]:
    """The command line of crawler ``key``, run in ``out``."""
    if key in "ab":
        mode = "bare" if key == "a" else "inline"
        return [
            sys.executable,
            str(Path(__file__).resolve()),
            "--spider",
            mode,
            f"{site.base_url}/",
        ]
    write_site_file(out / "sites", site)
    cli = Path(sys.executable).parent / "newsarchive"
    cmd = [str(cli)] if cli.exists() else [sys.executable, "-m", "crawler.cli"]
    cmd += ["crawl", "bench", "--sites-dir", str(out / "sites"), "--archive", str(out / "archive")]
    if not args.no_job_dir:
        cmd += ["--job-dir", str(out / "job")]
    if args.workers is not None:
        cmd += ["-s", f"CLEAN_WORKERS={args.workers}"]
    for pair in args.settings:
        cmd += ["-s", pair]
    if args.py_spy:
        spy = [args.spy_binary, "record", "--subprocesses", "--threads", "--format", "raw"]
        spy += [] if args.py_spy_all else ["--gil"]
        cmd = [*spy, "-o", str(Path(args.py_spy).resolve()), "--", *cmd]
    return cmd


def wait_idle(limit: float, window: float = 10.0) -> None:
    """Wait (at most ``limit`` seconds) until the machine has been idle, everything together under
    10 % of a core, for ``window`` seconds."""
    deadline = time.monotonic() + limit
    quiet_since = time.monotonic()
    busy = machine_busy()
    while time.monotonic() < deadline:
        time.sleep(1)
        now = machine_busy()
        if now - busy > 0.1:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= window:
            return
        busy = now
    print(f"    the machine was not idle within --wait-idle {limit:.0f} s: measuring anyway")


def run_all(args, only, site, nginx, env, work: Path, runs: list[Run]) -> None:
    for key in ("a", "b", "c"):
        if key not in only:
            continue
        out = work / f"run-{key}"
        if out.exists():
            shutil.rmtree(out)
        out.mkdir()
        cmd = command(key, args, site, out)
        if args.wait_idle:
            wait_idle(args.wait_idle)
        print(f"({key}) {CRAWLERS[key]}: {' '.join(cmd)}", flush=True)
        run = measure(
            key, cmd, env=env, cwd=out, nginx=nginx, log=out / "log.txt", timeout=args.timeout
        )
        runs.append(run)
        exit_line = re.search(r"\(exit status (\d+)\)", log_tail(run.stderr_path))
        if run.returncode == 0 and exit_line:  # py-spy exits 0 whatever the crawl did
            run.returncode = int(exit_line.group(1))
        if run.returncode != 0:
            run.notes.append(f"exit status {run.returncode} (log: {run.stderr_path})")
        other = {s: n for s, n in run.statuses.items() if s != "200"}
        if other:
            run.notes.append(f"answers other than 200: {other}")
        if key == "b":
            with contextlib.suppress(ValueError, IndexError):
                stats = json.loads(run.stdout.strip().splitlines()[-1])
                run.notes.append(
                    f"trafilatura returned text for {stats.get('bench/extracted', 0)}"
                    f" pages, none for {stats.get('bench/no_text', 0)}"
                )
        notes = "; ".join(run.notes or ["ok"])
        print(f"    {run.pages} pages in {run.wall:.1f} s; {notes}", flush=True)


def report(args, site: crawlsite.SiteInfo, work: Path, runs: list[Run]) -> int:
    print()
    print(
        f"site: {site.pages} HTML pages ({site.articles} articles), served by nginx "
        f"(1 worker) on {os.cpu_count()} CPUs; {work}"
    )
    table(runs)
    for run in runs:
        for note in run.notes:
            print(f"({run.key}) {note}")
    by = {r.key: r for r in runs}
    if "c" in by:
        report_c(by["c"], site, work / "run-c" / "archive")
        if args.py_spy and Path(args.py_spy).exists():
            summary = profile_summary(Path(args.py_spy))
            print(f"(c) profile ({args.py_spy}; figures of (c) include py-spy's cost):")
            print(summary)
    figures = goals(by)
    print(
        f"bench: pages={site.pages} a={fmt(figures['a'], 1)} b={fmt(figures['b'], 1)} "
        f"c={fmt(figures['c'], 1)} c/a={fmt(figures['c/a'], 2)} c/b={fmt(figures['c/b'], 2)} "
        f"rss_c/a={fmt(figures['rss_c/a'], 2)}"
    )
    failed = any(r.returncode != 0 for r in runs)
    if not args.keep and not failed:  # a failed crawl's logs stay (their path is printed above)
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
