"""The scheduler's Prometheus metrics, in a registry of its own (served on
``SCHEDULE_METRICS_PORT`` by :func:`crawler.metrics.serve_metrics`).

- ``newsarchive_schedule_crawls_started_total{site,node}``
- ``newsarchive_schedule_crawls_finished_total{site,result}``: result ``new``, ``unchanged``,
  ``failed``, ``interrupted`` or ``lost``
- ``newsarchive_schedule_start_failures_total{site}``: due, but no node took the crawl
- ``newsarchive_schedule_node_errors_total{node}``: API calls a node did not answer
- ``newsarchive_schedule_running_crawls{node}``: pending and running jobs (scrapyd) or processes
- ``newsarchive_schedule_node_up{node}``: 1 when the node answered in the last cycle
- ``newsarchive_schedule_next_run_seconds{site}``: until the site is due (<= 0: due or running)
- ``newsarchive_schedule_interval_seconds{site}``: the site's current (adaptive) interval
- ``newsarchive_schedule_articles_total{site}``: new articles its crawls exported
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class SchedulerMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.started = Counter(
            "newsarchive_schedule_crawls_started", "Crawls started", ["site", "node"], registry=r
        )
        self.finished = Counter(
            "newsarchive_schedule_crawls_finished",
            "Crawls collected after they ended, by result",
            ["site", "result"],
            registry=r,
        )
        self.start_failures = Counter(
            "newsarchive_schedule_start_failures",
            "Due crawls that no node took",
            ["site"],
            registry=r,
        )
        self.node_errors = Counter(
            "newsarchive_schedule_node_errors",
            "Cycles in which a node did not answer",
            ["node"],
            registry=r,
        )
        self.running = Gauge(
            "newsarchive_schedule_running_crawls",
            "Pending and running crawls per node",
            ["node"],
            registry=r,
        )
        self.node_up = Gauge(
            "newsarchive_schedule_node_up", "1 if the node answered", ["node"], registry=r
        )
        self.next_run = Gauge(
            "newsarchive_schedule_next_run_seconds",
            "Seconds until the site's next crawl is due (<= 0: due or running)",
            ["site"],
            registry=r,
        )
        self.interval = Gauge(
            "newsarchive_schedule_interval_seconds",
            "The site's current interval between crawls",
            ["site"],
            registry=r,
        )
        self.articles = Counter(
            "newsarchive_schedule_articles",
            "New articles exported by the scheduled crawls",
            ["site"],
            registry=r,
        )

    def cycle(self, load: dict[str, int | None], errors: dict[str, str]) -> None:
        """Per-node gauges after a cycle: ``load`` per node (None: it did not answer)."""
        for node, jobs in load.items():
            self.node_up.labels(node=node).set(0 if jobs is None else 1)
            self.running.labels(node=node).set(jobs or 0)
        for node in errors:
            self.node_errors.labels(node=node).inc()
