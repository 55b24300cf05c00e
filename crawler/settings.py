"""Scrapy settings for newsarchive: every setting the project reads, with its default.

The README lists each one; ``-s NAME=VALUE`` on the command line and environment variables of the
same name (for ``ARCHIVE_URI`` and ``REDIS_URL``) override them.
"""

from __future__ import annotations

import os

from crawler import logs
from crawler.urls import DEFAULT_TRACKING_PARAMS

# Scrapy logs its banner before any component exists: from here on every log record carries its
# structlog line, and Scrapy's own handler (stderr, or LOG_FILE under scrapyd) prints just that.
logs.install_structured_records()
LOG_FORMAT = logs.LOG_FORMAT
LOG_COLOR = False  # the line is structlog's; colorlog would wrap JSON lines in escape codes

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"  # `scrapy crawl` (and scrapyd jobs) with one-line errors

# --- politeness -----------------------------------------------------------------------------------
USER_AGENT = "newsarchive/0.1 (+https://github.com/newsarchive/newsarchive; news archiving crawler)"
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# Items (and requests) of one response processed at once. Scrapy starts this many asyncio tasks for
# every response, whatever it yields (default 100: 14% of the crawl process's CPU on bench/crawl.py);
# a news page yields one article, a section page its links, which need no parallel processing.
CONCURRENT_ITEMS = 16
DOWNLOAD_DELAY = 0.0
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024  # bodies above this are archived cut, marked WARC-Truncated
RETRY_TIMES = 2
RETRY_AFTER_ENABLED = True  # honour Retry-After on 429/503: that host waits, the others go on
RETRY_AFTER_MAX = 600.0  # longest pause a Retry-After gets, in seconds

# --- modern Scrapy --------------------------------------------------------------------------------
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
REMOTE_CONTROL_ENABLED = False  # Scrapy 2.19 would start an HTTP server in every crawl
TELNETCONSOLE_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"

# --- sites ----------------------------------------------------------------------------------------
SITES_DIR = os.environ.get("SITES_DIR") or "sites"  # where `newsarchive crawl NAME` finds NAME.toml
# Without article patterns (ad hoc URLs, or a site file that gives none): link hops followed from
# the start pages (pagination does not count); every page fetched says whether it is an article.
DISCOVERY_DEPTH = 2

# --- archive (WARC capture, index, storage) -------------------------------------------------------
# a local directory or s3://bucket/prefix
ARCHIVE_URI = os.environ.get("ARCHIVE_URI") or "./archive"
ARCHIVE_WARC_MAX_SIZE = 1_000_000_000  # rotate to a new WARC file past this many bytes
ARCHIVE_WARC_PREFIX = "newsarchive"  # first part of WARC file names
# gzip level of each WARC record and of the articles export (1-9): zlib's default 6 writes files
# ~1% bigger than 9 at half the CPU (warcio's own writer uses 9)
ARCHIVE_WARC_GZIP_LEVEL = 6
ARCHIVE_CRAWL_ID = None  # default: SITE-YYYYmmddTHHMMSS (kept in JOBDIR for resumed crawls)
# local spool for a remote (s3://) archive
ARCHIVE_SPOOL_DIR = os.environ.get("ARCHIVE_SPOOL_DIR") or ".newsarchive/spool"
# embedded crawl state (SQLite); default beside a local archive, else .newsarchive
STATE_DIR = os.environ.get("STATE_DIR") or None
# index of captures and articles (newsarchive captures/get/articles): postgresql://... (env too);
# empty: SQLite (index.sqlite) beside the crawl state. Rebuilt at will by `newsarchive reindex`.
ARCHIVE_INDEX_URL = os.environ.get("ARCHIVE_INDEX_URL") or None
# Bearer token of `newsarchive serve` (env too): needed to bind beyond 127.0.0.1; when set, every
# request must carry `Authorization: Bearer TOKEN`.
RETRIEVAL_TOKEN = os.environ.get("RETRIEVAL_TOKEN") or None

# Uploads to s3:// (background thread; credentials and endpoint from the standard AWS variables).
ARCHIVE_UPLOAD_MULTIPART_THRESHOLD = 8 * 1024 * 1024  # files this big or bigger go up in parts
ARCHIVE_UPLOAD_PART_SIZE = 8 * 1024 * 1024  # bytes per part (S3 minimum 5 MiB); bounds memory
ARCHIVE_UPLOAD_CONCURRENCY = 8  # parts of one file in flight at once
ARCHIVE_UPLOAD_RETRIES = 5  # attempts after the first before a file is left pending
ARCHIVE_UPLOAD_BACKOFF = 1.0  # first retry delay in seconds; doubles each attempt, with jitter
ARCHIVE_UPLOAD_BACKOFF_MAX = 60.0  # longest delay between two attempts, in seconds
ARCHIVE_UPLOAD_CLOSE_TIMEOUT = 600.0  # seconds crawl end waits for queued uploads
ARCHIVE_S3_CONNECT_TIMEOUT = 10.0  # seconds to open a connection to the S3 endpoint
ARCHIVE_S3_READ_TIMEOUT = 60.0  # seconds to wait for an S3 response
ARCHIVE_S3_CHECK_TIMEOUT = 5.0  # connect/read timeout of the start-up check (no retries there)

# --- dedupe (URLs, payloads, stories) and the crawl state they share -----------------------------
# Fingerprints over canonical URLs: tracking-parameter and #fragment variants are one request.
REQUEST_FINGERPRINTER_CLASS = "crawler.urls.CanonicalRequestFingerprinter"
DEDUPE_TRACKING_PARAMS = list(DEFAULT_TRACKING_PARAMS)  # query parameters dropped (globs allowed)
DEDUPE_REFETCH_ENABLED = True  # skip archived articles; re-fetch sections/feeds conditionally
ARTICLE_RECRAWL_AFTER = None  # fetch an archived article again after this long ("7d"); None: never
DEDUPE_REVISITS_ENABLED = True  # an already archived payload, or a 304, becomes a revisit record
DEDUPE_MODE = "flag"  # near-duplicate stories: "flag" (exported, pointing at the first) or "drop"
DEDUPE_NEAR_THRESHOLD = 0.45  # estimated Jaccard similarity of word shingles for "same story"
DEDUPE_NUM_PERM = 128  # MinHash permutations
DEDUPE_SHINGLE_SIZE = 5  # words per shingle
# Crawl state and frontier on Redis when set (env REDIS_URL too): shared by many crawl processes.
REDIS_URL = os.environ.get("REDIS_URL") or None
# The crawl state (and the scheduler's) on PostgreSQL when set (env STATE_URL too): postgresql://...
STATE_URL = os.environ.get("STATE_URL") or None
STATE_REDIS_PREFIX = "newsarchive"  # every Redis key starts with this
# With REDIS_URL, a crawl process closes once the shared frontier has been empty, and no other
# process of the crawl has had requests in flight, for this many seconds (crawler.frontier).
FRONTIER_IDLE_SECONDS = 10.0
ADDONS = {
    # Settles ARCHIVE_CRAWL_ID once the spider exists (JOBDIR's id, the setting, or SITE-TIME).
    "crawler.crawl_id.CrawlIdentity": -10,
    # Checks Scrapy's own settings the crawl depends on (one line naming a wrong one).
    "crawler.config.ScrapySettings": -20,
    # With REDIS_URL: scrapy-redis scheduler + canonical dupefilter, one frontier per crawl id.
    "crawler.frontier.RedisFrontier": 0,
}

# --- progress -------------------------------------------------------------------------------------
PROGRESS_INTERVAL = 30.0  # seconds between progress lines
LOGSTATS_INTERVAL = 0  # our progress extension replaces Scrapy's LogStats
LOG_LEVEL = "INFO"

# --- metrics (crawler/extensions/metrics.py) -------------------------------------------------------
METRICS_PORT = None  # the crawl's Prometheus /metrics on this port; none or 0: not served
METRICS_HOST = "127.0.0.1"  # address it listens on (another one exposes it beyond this machine)
METRICS_LINGER = 0.0  # seconds /metrics stays up after the crawl ended (for a last scrape)

DOWNLOADER_MIDDLEWARES = {
    # Conditional headers on re-fetched pages, archived articles dropped: before the capture (so
    # the archived request shows the headers) and before redirects (so it sees the final answer).
    "crawler.middlewares.refetch.RefetchMiddleware": 560,
    # Scrapy's robots.txt rules, its one fetch of each host's robots.txt also read for sitemaps.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.robots.RobotsTxtSitemapsMiddleware": 100,
    # Closer to the downloader than everything that changes requests (cookies 700, proxy 750,
    # stats 850) and than the decoders (compression 590, redirect 600): it sees the exchange as sent.
    "crawler.middlewares.capture.WarcCaptureMiddleware": 950,
    # Retry-After on 429/503 pauses that host's slot: before RetryMiddleware (550) retries.
    "crawler.middlewares.retryafter.RetryAfterMiddleware": 555,
    # Scrapy's decompression and redirect limits, each drop counted in the stats.
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.middlewares.limits.CountedHttpCompressionMiddleware": 590,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.middlewares.limits.CountedRedirectMiddleware": 600,
}

EXTENSIONS = {
    "scrapy.extensions.logstats.LogStats": None,
    # The archive (store, WARC writer, manifest): the capture middleware and export write through it.
    "crawler.extensions.archive.WarcArchive": 100,
    "crawler.logs.StructuredLogs": 0,
    "crawler.extensions.progress.CrawlProgress": 500,
    # Prometheus /metrics of the crawl (METRICS_PORT): totals from the stats, counts per site.
    "crawler.extensions.metrics.CrawlMetrics": 550,
    # A JOBDIR whose last crawl was killed: its frontier starts again (Scrapy's is not crash-safe).
    "crawler.extensions.jobdir.JobDirRecovery": 50,
    # What the crawl found per site (articles, pages), in the crawl state for `newsarchive schedule`.
    "crawler.extensions.siterun.SiteRuns": 600,
}

# --- scheduler (newsarchive schedule) --------------------------------------------------------------
# scrapyd nodes (env too), comma-separated: http://host:6800,http://... ; none: local crawls.
# Their basic-auth password comes from the environment only (SCRAPYD_PASSWORD), never a setting.
SCRAPYD_URLS = os.environ.get("SCRAPYD_URLS") or None
SCRAPYD_USERNAME = os.environ.get("SCRAPYD_USERNAME") or "newsarchive"  # as in deploy/scrapyd.conf
SCRAPYD_PROJECT = "newsarchive"  # the project scrapyd-deploy deployed
SCRAPYD_TIMEOUT = 10.0  # seconds a node has to answer one API call
SCHEDULE_POLL_INTERVAL = 10.0  # seconds between cycles (collect ended crawls, start due ones)
SCHEDULE_MAX_LOCAL = 2  # crawls run at once without scrapyd (each a `newsarchive crawl` process)
# the scheduler's /metrics (env too); none or 0: not served
SCHEDULE_METRICS_PORT = os.environ.get("SCHEDULE_METRICS_PORT") or None
SCHEDULE_METRICS_HOST = os.environ.get("SCHEDULE_METRICS_HOST") or "127.0.0.1"  # env too

# --- article cleaning (pipelines/clean.py) ---------------------------------------------------------
CLEAN_ENABLED = True  # False: export the pages as fetched, without article fields
CLEAN_MAX_BYTES = 3_000_000  # a bigger page is archived but not extracted (counted skip)
CLEAN_TIMEOUT = 10.0  # seconds of extraction per page before it is skipped
CLEAN_MIN_WORDS = 30  # fewer words of main text: not an article
# Where main text is in doubt: "balanced" (measured best on the dev set and on older pages alike),
# "precision" (nothing around the article's core), "recall" (no trim to the core: half the CPU)
CLEAN_FAVOR = "balanced"
# Worker processes that read pages for the template learner and extract articles (a page past
# CLEAN_TIMEOUT has its worker killed and replaced): one per core the crawl may run on, at most 4
# (the crawl's own process is one core: more workers would wait for it); 0: threads of the crawl's
# process, where an overrunning page cannot be stopped.
CLEAN_WORKERS = min(
    len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 4
)
CLEAN_TEMPLATE_MIN_PAGES = 5  # pages of a site seen before its articles are cleaned
CLEAN_HOLD_TIMEOUT = 30.0  # longest an article waits for its site's template, in seconds
CLEAN_HOLD_MAX = 200  # most articles held at once (memory bound)
CLEAN_TEMPLATE_PERSIST = True  # keep learned templates in the crawl state for the next crawl

ITEM_PIPELINES = {
    "pipelines.clean.CleanPipeline": 300,
    "pipelines.dedupe.DedupePipeline": 400,
    "pipelines.export.ExportPipeline": 800,
}
