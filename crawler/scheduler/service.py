"""The scheduler: every cycle, collect the crawls that ended, then start the sites that are due.

A cycle (every ``SCHEDULE_POLL_INTERVAL`` seconds, sooner when a site falls due):

1. reload the site files (``SITES_DIR``; a broken one is logged and the last good list kept);
2. ask the runner about the crawls it runs (one ``listjobs.json`` per scrapyd node);
3. collect every crawl that ended: its result (from the crawl's own ``site_runs`` record, see
   :mod:`crawler.extensions.siterun`), the site's next interval and next run, then its lock is
   released;
4. start each due site whose lock it can take, most overdue first, while the runner has room.

Crawls are named ``SITE-YYYYmmddTHHMMSS`` (their ``ARCHIVE_CRAWL_ID``, and their scrapyd job id),
so a job in scrapyd's listing, a crawl in the archive and a line here are found by one name.
Settings given to the scheduler on its command line (``-s``, ``--archive``, ``--sites-dir``) are
passed on to every crawl, except its own (``SCHEDULE_*``, ``SCRAPYD_*``).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import structlog

from crawler.config import ConfigError, float_setting, int_setting
from crawler.crawl_id import writer_id
from crawler.exitcodes import EXIT_INTERRUPTED
from crawler.metrics import metrics_address
from crawler.scheduler.metrics import SchedulerMetrics
from crawler.scheduler.runners import (
    ENDED,
    RUNNING,
    UNKNOWN,
    LocalRunner,
    NoCapacity,
    Outcome,
    ScrapydNode,
    ScrapydRunner,
)
from crawler.scheduler.state import ScheduleState
from crawler.scheduler.timing import adapted_interval, next_run, signature
from crawler.sites import Site

log = structlog.get_logger(__name__)

# A lock taken by a scheduler that died before it said where the crawl runs is free after this.
STALE_START = 120.0
# The scheduler's own settings: never passed on to a crawl.
OWN_SETTING_PREFIXES = ("SCHEDULE_", "SCRAPYD_")
# What a collected crawl was: found new articles, found none, or did not do its work.
RESULTS = ("new", "unchanged", "failed", "interrupted", "lost")


def scrapyd_urls(settings) -> list[str]:
    """``SCRAPYD_URLS`` as a list (a comma-separated string or a list), checked."""
    value = settings.get("SCRAPYD_URLS")
    urls = [u.strip() for u in settings.getlist("SCRAPYD_URLS") if u.strip()] if value else []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                f"setting SCRAPYD_URLS={value!r}: not an http(s) URL: {url!r} "
                "(e.g. http://10.0.0.5:6800,http://10.0.0.6:6800)"
            )
    return urls


def check_settings(settings) -> None:
    """The scheduler's settings (one line naming a wrong one)."""
    scrapyd_urls(settings)
    for name in ("SCHEDULE_POLL_INTERVAL", "SCRAPYD_TIMEOUT"):
        if float_setting(settings, name) <= 0:
            raise ConfigError(f"setting {name}={settings.get(name)!r}: must be more than 0")
    int_setting(settings, "SCHEDULE_MAX_LOCAL", minimum=1)
    if not str(settings.get("SCRAPYD_PROJECT") or "").strip():
        raise ConfigError("setting SCRAPYD_PROJECT='': the project name scrapyd-deploy used")
    metrics_address(
        settings, port_setting="SCHEDULE_METRICS_PORT", host_setting="SCHEDULE_METRICS_HOST"
    )


def build_runner(settings, environ: dict[str, str]) -> ScrapydRunner | LocalRunner:
    """scrapyd nodes when ``SCRAPYD_URLS`` is set (password: ``SCRAPYD_PASSWORD`` in
    ``environ``), else crawl processes on this machine."""
    urls = scrapyd_urls(settings)
    if not urls:
        return LocalRunner(settings.getint("SCHEDULE_MAX_LOCAL"))
    nodes = [
        ScrapydNode(
            url,
            username=settings.get("SCRAPYD_USERNAME") or "",
            password=environ.get("SCRAPYD_PASSWORD") or None,
            project=settings.get("SCRAPYD_PROJECT"),
            timeout=settings.getfloat("SCRAPYD_TIMEOUT"),
        )
        for url in urls
    ]
    return ScrapydRunner(nodes)


def job_settings(settings, cmdline_priority: int) -> dict[str, str]:
    """The settings given to the scheduler on its command line, for its crawls."""
    return {
        name: str(value)
        for name, value in settings.items()
        if settings.getpriority(name) == cmdline_priority
        and not name.startswith(OWN_SETTING_PREFIXES)
        and value is not None
    }


def judge(outcome: Outcome, report: dict[str, Any] | None) -> tuple[str, str]:
    """A collected crawl's result (one of RESULTS) and why, from how it ended and what it
    recorded (None: it recorded nothing)."""
    status = outcome.exit_status
    if report is None:
        if status == EXIT_INTERRUPTED:
            return "interrupted", "interrupted before it recorded a result"
        if outcome.gone:
            return "lost", "its node or process no longer knows it, and it recorded no result"
        if status is not None:
            return "failed", f"exit status {status} before it recorded a result: see its log"
        return "failed", (
            "it recorded no result in the crawl state the scheduler reads (do they share "
            "STATE_DIR or REDIS_URL?): see its log"
        )
    if not status:  # a scrapyd job: its own record says how it ended
        status = report.get("exit_status") or 0
    if status == EXIT_INTERRUPTED or report.get("finish_reason") == "shutdown":
        return "interrupted", "interrupted"
    if status:
        return "failed", report.get("why") or f"exit status {status}"
    if not report.get("pages"):
        return "failed", "nothing was fetched"
    return ("new" if report.get("articles") else "unchanged"), ""


def iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Scheduler:
    """Runs the cycles; ``run`` loops until stopped (see the module doc)."""

    def __init__(
        self,
        *,
        load_sites: Callable[[], list[Site]],
        state: ScheduleState,
        runner: ScrapydRunner | LocalRunner,
        job_settings: dict[str, str],
        metrics: SchedulerMetrics | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.load_sites = load_sites
        self.state = state
        self.runner = runner
        self.job_settings = dict(job_settings)
        self.metrics = metrics or SchedulerMetrics()
        self.clock = clock
        self.instance = writer_id()
        self.sites: dict[str, Site] = {}
        self.started: Counter[str] = Counter()  # per node
        self.finished: Counter[str] = Counter()  # per result
        self.articles = 0
        self.start_failures = 0
        self._start_errors: dict[str, str] = {}
        self.last_cycle = 0.0  # time.monotonic() at the end of the last cycle
        self._reload_sites(first=True)

    # --- the loop ---------------------------------------------------------------------------

    def run(
        self,
        stop: threading.Event,
        *,
        poll_interval: float,
        once: bool = False,
        until: float | None = None,
    ) -> None:
        """Cycle until ``stop`` is set or ``until`` (epoch) passes, or once; then collect what
        ended. ``once``: wait for the local crawls started (scrapyd jobs go on by themselves);
        otherwise the local crawls are asked to finish (SIGINT) and awaited."""
        while True:
            self.cycle()
            now = self.clock()
            if once or stop.is_set() or (until is not None and now >= until):
                break
            wait = poll_interval
            due = self._next_due()
            if due is not None and due > now:
                wait = min(wait, due - now)
            if until is not None:
                wait = min(wait, until - now)
            if stop.wait(max(wait, 0.01)):
                break
        if not once:
            self.runner.stop()
        self.runner.wait(stop)
        self.cycle(start=False)

    def cycle(self, *, start: bool = True) -> None:
        self._reload_sites()
        self.runner.refresh()
        self._collect()
        if start:
            self._start_due()
        self._update_metrics()
        self.last_cycle = time.monotonic()

    def summary(self) -> dict[str, Any]:
        return {
            "started": sum(self.started.values()),
            "started_by_node": dict(self.started),
            "collected": dict(self.finished),
            "new_articles": self.articles,
            "start_failures": self.start_failures,
            "still_running": sorted(self.state.running()),
        }

    # --- a cycle ----------------------------------------------------------------------------

    def _reload_sites(self, *, first: bool = False) -> None:
        try:
            sites = self.load_sites()
        except ConfigError as exc:
            if first:
                raise
            log.error("schedule.sites_error", error=str(exc), keeping=sorted(self.sites))
            return
        self.sites = {s.name: s for s in sites if s.schedule is not None}

    def _record(self, site: Site, now: float) -> dict[str, Any]:
        """The site's record; a new one (due at once, or at its next cron time) for a site seen
        for the first time, a fresh interval for a site whose schedule was edited."""
        record = self.state.record(site.name)
        wanted = signature(site.schedule)
        if record is None or record.get("schedule") != wanted:
            last = (record or {}).get("last_run")
            interval = site.schedule.every or 0.0
            started = last["started"] if last else None
            record = {
                "schedule": wanted,
                "interval": interval,
                "next_run": next_run(site.schedule, interval, started, now),
                "last_run": last,
                "runs": (record or {}).get("runs", 0),
            }
            self.state.save(site.name, record)
        return record

    def _start_due(self) -> None:
        now = self.clock()
        running = self.state.running()
        due = []
        for site in self.sites.values():
            if site.name in running:
                continue
            record = self._record(site, now)
            if record["next_run"] <= now:
                due.append((record["next_run"], site.name))
        for index, (_due, name) in enumerate(sorted(due)):
            if not self.runner.has_capacity():
                waiting = [n for _, n in sorted(due)[index:]]
                log.info("schedule.waiting", sites=waiting, why="local crawls at their limit")
                break
            self._start(self.sites[name])

    def _start(self, site: Site) -> None:
        now = self.clock()
        record = self._record(site, now)
        crawl_id = _crawl_id(site.name, now, (record.get("last_run") or {}).get("crawl_id"))
        run = {"crawl_id": crawl_id, "node": None, "job": None, "started": now, "by": self.instance}
        if not self.state.lock(site.name, run):
            return  # another scheduler started it a moment ago
        fresh = self.state.record(site.name)
        if fresh is not None and fresh["next_run"] > now:
            self.state.release(site.name)  # ...or collected it and set its next run meanwhile
            return
        try:
            node, job = self.runner.start(
                site.name, crawl_id, {**self.job_settings, "ARCHIVE_CRAWL_ID": crawl_id}
            )
        except NoCapacity as exc:
            self.state.release(site.name)
            self.start_failures += 1
            self.metrics.start_failures.labels(site=site.name).inc()
            if self._start_errors.get(site.name) != str(exc):  # once, not once per cycle
                log.warning("schedule.start_failed", site=site.name, error=str(exc))
            self._start_errors[site.name] = str(exc)
            return
        self._start_errors.pop(site.name, None)
        run.update(node=node, job=job)
        self.state.update_lock(site.name, run)
        self.started[node] += 1
        self.metrics.started.labels(site=site.name, node=node).inc()
        log.info(
            "schedule.started",
            site=site.name,
            node=node,
            job=job,
            crawl_id=crawl_id,
            interval=record["interval"] or None,
        )

    def _collect(self) -> None:
        for site, run in self.state.running().items():
            now = self.clock()
            outcome = self.runner.outcome(run)
            if outcome.state == RUNNING:
                continue
            report = self.state.site_run(site)
            if report is not None and report.get("crawl_id") != run.get("crawl_id"):
                report = None  # the latest record is another crawl's
            if outcome.state == UNKNOWN:
                if run.get("node") is None and now - run.get("started", now) > STALE_START:
                    outcome = Outcome(ENDED, gone=True)  # its scheduler died while starting it
                elif report is not None:
                    outcome = Outcome(ENDED)  # the runner cannot tell; the crawl said it ended
                else:
                    continue
            if not self.state.claim(site, self.instance, now):
                continue  # another scheduler is collecting it
            try:
                current = self.state.running_crawl(site)
                if current is None or current.get("crawl_id") != run.get("crawl_id"):
                    continue  # collected already
                self._finish(site, run, outcome, report, now)
                self.state.release(site)
            finally:
                self.state.unclaim(site)

    def _finish(
        self,
        name: str,
        run: dict[str, Any],
        outcome: Outcome,
        report: dict[str, Any] | None,
        now: float,
    ) -> None:
        result, why = judge(outcome, report)
        articles = report.get("articles") if report else None
        finished = report.get("finished_at", now) if report else now
        last = {
            "crawl_id": run.get("crawl_id"),
            "node": run.get("node"),
            "job": run.get("job"),
            "started": run.get("started"),
            "finished": finished,
            "result": result,
            "articles": articles,
            "pages": report.get("pages") if report else None,
            "why": why,
        }
        site = self.sites.get(name)
        record = self._record(site, now) if site is not None else self.state.record(name) or {}
        if site is not None:
            adapting = articles if result in ("new", "unchanged") else None
            interval = adapted_interval(site.schedule, record.get("interval"), adapting)
            started = run.get("started") if result != "lost" else None
            record.update(
                interval=interval, next_run=next_run(site.schedule, interval, started, now)
            )
        record.update(last_run=last, runs=record.get("runs", 0) + 1)
        self.state.save(name, record)
        self.finished[result] += 1
        self.articles += articles or 0
        self.metrics.finished.labels(site=name, result=result).inc()
        if articles:
            self.metrics.articles.labels(site=name).inc(articles)
        log_line = log.warning if result in ("failed", "lost") else log.info
        log_line(
            "schedule.finished",
            site=name,
            node=run.get("node"),
            job=run.get("job"),
            crawl_id=run.get("crawl_id"),
            result=result,
            why=why or None,
            articles=articles,
            pages=last["pages"],
            seconds=round(finished - run.get("started", finished), 1),
            interval=record.get("interval") or None,
            next_run=iso(record.get("next_run")),
        )

    def _next_due(self) -> float | None:
        running = self.state.running()
        times = [
            r["next_run"]
            for name, r in self.state.records().items()
            if name in self.sites and name not in running and r.get("next_run") is not None
        ]
        return min(times, default=None)

    def _update_metrics(self) -> None:
        self.metrics.cycle(self.runner.load(), self.runner.node_errors())
        now = self.clock()
        running = self.state.running()
        for name, record in self.state.records().items():
            if name not in self.sites:
                continue
            until = 0.0 if name in running else record.get("next_run", now) - now
            self.metrics.next_run.labels(site=name).set(until)
            self.metrics.interval.labels(site=name).set(record.get("interval") or 0)


def _crawl_id(site: str, now: float, last: str | None) -> str:
    """``SITE-YYYYmmddTHHMMSS`` (the default crawl id's form), made unique against the last."""
    crawl_id = f"{site}-{datetime.fromtimestamp(now, UTC):%Y%m%dT%H%M%S}"
    if last == crawl_id:
        return f"{crawl_id}-2"
    if last and last.startswith(f"{crawl_id}-") and last.rsplit("-", 1)[1].isdigit():
        return f"{crawl_id}-{int(last.rsplit('-', 1)[1]) + 1}"
    return crawl_id
