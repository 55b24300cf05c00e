"""``newsarchive schedule [--once | --for SECONDS]`` and ``newsarchive schedule status [--json]``.

``schedule`` runs until SIGTERM or Ctrl-C (then it stops starting crawls, asks its local crawls
to finish, collects them, prints a summary and exits 0; a second signal exits at once), for
``--for`` seconds, or one cycle with ``--once`` (local crawls are awaited; scrapyd jobs are
collected by the next run). ``status`` shows each scheduled site's schedule, interval, last run,
result and next run, from the crawl state alone.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from typing import IO, Any

import structlog

from crawler.config import ConfigError
from crawler.exitcodes import EXIT_FAILURE
from crawler.metrics import metrics_address, serve_metrics
from crawler.scheduler.metrics import SchedulerMetrics
from crawler.scheduler.service import Scheduler, build_runner, check_settings, iso, job_settings
from crawler.scheduler.state import ScheduleState
from crawler.scheduler.timing import describe, duration_text, next_run
from crawler.sites import Site, list_sites
from crawler.state import open_state

log = structlog.get_logger(__name__)


def scheduled_sites(settings) -> list[Site]:
    """The site files of ``SITES_DIR`` that have a ``[schedule]``; ConfigError if none has."""
    sites_dir = settings.get("SITES_DIR")
    sites = [s for s in list_sites(sites_dir) if s.schedule is not None]
    if not sites:
        raise ConfigError(
            f"SITES_DIR={sites_dir}: no site file there has a [schedule] table "
            '(e.g. [schedule] every = "30m"): nothing to schedule'
        )
    return sites


def schedule_command(
    settings, out: IO[str], *, once: bool, seconds: float | None, cmdline_priority: int
) -> int:
    check_settings(settings)
    scheduled_sites(settings)  # a broken site file, or none scheduled: one line, before anything
    store = open_state(settings)
    metrics = SchedulerMetrics()
    poll_interval = settings.getfloat("SCHEDULE_POLL_INTERVAL")
    scheduler = Scheduler(
        load_sites=lambda: scheduled_sites(settings),
        state=ScheduleState(store),
        runner=build_runner(settings, dict(os.environ)),
        job_settings=job_settings(settings, cmdline_priority),
        metrics=metrics,
    )
    server = None
    address = metrics_address(
        settings, port_setting="SCHEDULE_METRICS_PORT", host_setting="SCHEDULE_METRICS_HOST"
    )
    if address is not None:
        server = serve_metrics(
            address[1],
            address[0],
            metrics.registry,
            health=lambda: time.monotonic() - scheduler.last_cycle < 3 * poll_interval + 60,
            port_setting="SCHEDULE_METRICS_PORT",
            host_setting="SCHEDULE_METRICS_HOST",
        )
    stop = threading.Event()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def on_signal(signum, _frame) -> None:
        if stop.is_set():
            raise KeyboardInterrupt  # the second one: at once
        log.info("schedule.stopping", signal=signal.Signals(signum).name)
        stop.set()

    for sig in previous:
        signal.signal(sig, on_signal)
    log.info(
        "schedule.running",
        sites=sorted(scheduler.sites),
        runner=scheduler.runner.kind,
        nodes=sorted(scheduler.runner.load()),
        once=once,
    )
    try:
        until = time.time() + seconds if seconds is not None else None
        scheduler.run(stop, poll_interval=poll_interval, once=once, until=until)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if server is not None:
            server.stop()
        summary = scheduler.summary()
        store.close()
    log.info("schedule.summary", **summary)
    out.write(summary_text(summary) + "\n")
    # a one-shot run (cron) that could not start a due crawl: a failure cron reports
    return EXIT_FAILURE if once and summary["start_failures"] else 0


def summary_text(summary: dict[str, Any]) -> str:
    by_node = ", ".join(f"{n}: {c}" for n, c in sorted(summary["started_by_node"].items()))
    collected = summary["collected"]
    results = ", ".join(f"{c} {r}" for r, c in sorted(collected.items()))
    lines = [
        f"schedule: {summary['started']} crawl(s) started" + (f" ({by_node})" if by_node else ""),
        f"  collected  {sum(collected.values())}" + (f" ({results})" if results else ""),
        f"  articles   {summary['new_articles']} new",
    ]
    if summary["start_failures"]:
        lines.append(f"  not started {summary['start_failures']} (no node took them; see the log)")
    if summary["still_running"]:
        lines.append(
            f"  running    {', '.join(summary['still_running'])} (collected by the next run)"
        )
    return "\n".join(lines)


def status_rows(settings, now: float | None = None) -> list[dict[str, Any]]:
    """One row per scheduled site: its schedule, interval, last run, running crawl, next run."""
    now = time.time() if now is None else now
    sites = scheduled_sites(settings)
    store = open_state(settings)
    try:
        state = ScheduleState(store)
        records, running = state.records(), state.running()
    finally:
        store.close()
    rows = []
    for site in sites:
        record = records.get(site.name) or {}
        nxt = record.get("next_run")
        if nxt is None:  # never seen by a scheduler: due at once (or at its next cron time)
            nxt = next_run(site.schedule, site.schedule.every or 0.0, None, now)
        rows.append(
            {
                "site": site.name,
                "schedule": describe(site.schedule),
                "interval": record.get("interval", site.schedule.every) or None,
                "runs": record.get("runs", 0),
                "last_run": _times(record.get("last_run")),
                "running": _times(running.get(site.name)),
                "next_run": iso(nxt),
                "next_run_in": round(nxt - now, 1),
            }
        )
    return rows


def status_command(settings, out: IO[str], *, as_json: bool) -> int:
    rows = status_rows(settings)
    if as_json:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        return 0
    table = [("SITE", "SCHEDULE", "INTERVAL", "LAST RUN", "RESULT", "NEXT RUN")]
    table += [
        (
            row["site"],
            row["schedule"],
            duration_text(row["interval"]),
            _last_run_text(row["last_run"]),
            _result_text(row["last_run"]),
            _next_run_text(row),
        )
        for row in rows
    ]
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    for r in table:
        out.write("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() + "\n")
    return 0


def _times(run: dict[str, Any] | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {**run, "started": iso(run.get("started")), "finished": iso(run.get("finished"))}


def _last_run_text(last: dict[str, Any] | None) -> str:
    if not last:
        return "never"
    return f"{last['started']} on {last['node']}"


def _result_text(last: dict[str, Any] | None) -> str:
    if not last:
        return "-"
    result = last["result"]
    if result == "new":
        return f"new: {last['articles']} article(s)"
    if result == "unchanged":
        return "nothing new"
    return f"{result}: {last['why']}" if last.get("why") else result


def _next_run_text(row: dict[str, Any]) -> str:
    running = row["running"]
    if running:
        return f"running on {running['node']} since {running['started']}"
    wait = row["next_run_in"]
    return f"{row['next_run']} (" + ("due" if wait <= 0 else f"in {duration_text(wait)}") + ")"
