"""The ``newsarchive`` command.

    newsarchive crawl NAME|URL... [--archive URI] [--job-dir DIR] [-s NAME=VALUE ...]
    newsarchive crawl NAME --workers N        (N processes on the Redis frontier: REDIS_URL)
    newsarchive sites
    newsarchive extract FILE... [--url URL] [--base-url-map urls.json]
    newsarchive upload --pending [--archive URI]
    newsarchive wacz CRAWL_ID -o FILE.wacz [--archive URI]
    newsarchive reextract [--crawl ID] [--archive URI] [--workers N]
    newsarchive captures URL [--match exact|prefix|host|domain] [--from T] [--to T] [--json]
    newsarchive get URL [--at T] [--raw | --headers | --body | --article] [-o FILE]
    newsarchive articles [--q TEXT] [--site S] [--since D] [--until D] [--tag T] [--lang L] [--json]
    newsarchive versions URL
    newsarchive story STORY_ID
    newsarchive reindex [--archive URI]
    newsarchive serve [--host 127.0.0.1] [--port 8090]
    newsarchive schedule [--once | --for SECONDS] [-s NAME=VALUE ...]
    newsarchive schedule status [--json]

Mistakes a user can make (an unknown site, a broken site file, a bad setting, an archive that
cannot be written) end in one line on stderr and exit status 2, before anything is fetched.

Exit status of ``crawl``: see :mod:`crawler.exitcodes` (like wget's).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from crawler.exitcodes import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE, crawl_exit_status


class UsageError(Exception):
    """One line for the user; no traceback."""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # `crawl --workers` passes it on
    from crawler import logs

    # Every command's log lines are structlog's (JSON unless on a terminal), whatever library
    # logs them; a command with settings applies their LOG_LEVEL and LOG_JSON once it has them.
    logs.configure("WARNING")  # until a command applies its LOG_LEVEL: libraries stay quiet
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"newsarchive: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsarchive", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    crawl = sub.add_parser(
        "crawl", help="crawl sites (by name or group) or section URLs into the archive"
    )
    crawl.add_argument("targets", nargs="*", metavar="NAME|URL")
    crawl.add_argument(
        "--all", dest="all_sites", action="store_true", help="every site file in SITES_DIR"
    )
    crawl.add_argument("--group", metavar="NAME", help="the site files whose `group` names it")
    crawl.add_argument("--archive", metavar="URI", help="archive location (else ARCHIVE_URI)")
    crawl.add_argument("--job-dir", metavar="DIR", help="resumable crawl state (Scrapy JOBDIR)")
    crawl.add_argument("--sites-dir", metavar="DIR", help="where site files are (else SITES_DIR)")
    crawl.add_argument("--workers", type=int, metavar="N",
                       help="N processes crawl it together on the Redis frontier (REDIS_URL)")  # fmt: skip
    _add_setting_option(crawl)
    crawl.set_defaults(func=cmd_crawl)

    sites = sub.add_parser("sites", help="list the site files")
    sites.add_argument("--sites-dir", metavar="DIR")
    _add_setting_option(sites)
    sites.set_defaults(func=cmd_sites)

    extract = sub.add_parser(
        "extract",
        help="clean saved article pages, one JSON line per file",
        description="Clean saved pages like the crawl does: one JSON line per file on stdout.",
    )
    extract.add_argument("files", nargs="+", metavar="FILE", help=".html or .html.gz")
    extract.add_argument("--url", help="the URL the page(s) came from")
    extract.add_argument(
        "--base-url-map",
        metavar="JSON",
        help="JSON object file: file (path, name or name without .html) -> URL",
    )
    extract.set_defaults(func=cmd_extract)

    upload = sub.add_parser("upload", help="upload WARCs a crawl left in the spool")
    upload.add_argument("--pending", action="store_true", required=True)
    upload.add_argument("--archive", metavar="URI")
    _add_setting_option(upload)
    upload.set_defaults(func=cmd_upload)

    wacz = sub.add_parser(
        "wacz",
        help="package one crawl as a WACZ file (ReplayWeb.page, pywb)",
        description="Package one crawl (its WARCs, index and articles) as a WACZ 1.2.0 file.",
    )
    wacz.add_argument("crawl_id", metavar="CRAWL_ID")
    wacz.add_argument("-o", "--output", required=True, metavar="FILE.wacz")
    wacz.add_argument("--archive", metavar="URI", help="archive location (else ARCHIVE_URI)")
    _add_setting_option(wacz)
    wacz.set_defaults(func=cmd_wacz)

    reextract = sub.add_parser(
        "reextract",
        help="clean a crawl's archived pages again into a new article set (no network)",
        description="Run today's cleaning over a crawl's archived pages into "
        "articles/CRAWL_ID/reextract-TIME/; the crawl's own articles are kept.",
    )
    reextract.add_argument("--crawl", metavar="ID", help="the crawl (default: the latest one)")
    reextract.add_argument("--archive", metavar="URI", help="archive location (else ARCHIVE_URI)")
    reextract.add_argument(
        "--workers", type=int, metavar="N", help="extraction processes (default: one per core)"
    )
    _add_setting_option(reextract)
    reextract.set_defaults(func=cmd_reextract)
    _add_retrieval_parsers(sub)
    _add_schedule_parser(sub)
    return parser


def _add_schedule_parser(sub) -> None:
    schedule = sub.add_parser(
        "schedule",
        help="crawl each site when its [schedule] says, locally or on scrapyd nodes",
        description="Crawl each site file's [schedule] (every, cron, adaptive intervals) on the "
        "scrapyd nodes of SCRAPYD_URLS, or here; `schedule status` shows each site's last run, "
        "result and next run. -s/--archive/--sites-dir are passed on to every crawl.",
    )
    schedule.add_argument(
        "action",
        nargs="?",
        choices=("run", "status"),
        default="run",
        help="run (the default): the scheduler; status: each site's last run, result, next run",
    )
    schedule.add_argument("--once", action="store_true", help="one cycle: start what is due, exit")
    schedule.add_argument("--for", dest="seconds", type=float, metavar="SECONDS",
                          help="stop after this long (as on SIGTERM)")  # fmt: skip
    schedule.add_argument("--json", action="store_true", help="status: one JSON object a site")
    schedule.add_argument("--archive", metavar="URI", help="archive location (else ARCHIVE_URI)")
    schedule.add_argument(
        "--sites-dir", metavar="DIR", help="where site files are (else SITES_DIR)"
    )
    _add_setting_option(schedule)
    schedule.set_defaults(func=cmd_schedule)


def _add_retrieval_parsers(sub) -> None:
    """``captures``, ``get``, ``articles``, ``versions``, ``story``, ``reindex``, ``serve``: the
    index (ARCHIVE_INDEX_URL, else SQLite beside the crawl state) and one ranged read per record."""
    time_help = "YYYYMMDDhhmmss, a prefix of it (YYYY, YYYYMMDD...) or an ISO date"

    def command(name: str, help_: str, func) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help_)
        parser.add_argument("--archive", metavar="URI", help="archive location (else ARCHIVE_URI)")
        _add_setting_option(parser)
        parser.set_defaults(func=func)
        return parser

    captures = command("captures", "list the captures of a URL", cmd_captures)
    captures.add_argument("url", metavar="URL")
    captures.add_argument("--match", choices=("exact", "prefix", "host", "domain"), default="exact")
    captures.add_argument("--from", dest="start", metavar="T", help=time_help)
    captures.add_argument("--to", dest="end", metavar="T", help=time_help)
    captures.add_argument("--json", action="store_true", help="one JSON object per line")

    get = command("get", "a capture of a URL: the one closest to --at, else the newest", cmd_get)
    get.add_argument("url", metavar="URL")
    get.add_argument("--at", metavar="T", help=time_help)
    part = get.add_mutually_exclusive_group()
    part.add_argument("--raw", dest="part", action="store_const", const="raw",
                      help="the HTTP response as stored (headers, body with Content-Encoding)")  # fmt: skip
    part.add_argument("--headers", dest="part", action="store_const", const="headers")
    part.add_argument("--body", dest="part", action="store_const", const="body",
                      help="the body as the site sent it, Content-Encoding removed (default)")  # fmt: skip
    part.add_argument("--article", dest="part", action="store_const", const="article",
                      help="the exported article (JSON)")  # fmt: skip
    get.set_defaults(part="body")
    get.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")

    articles = command("articles", "search the archived articles", cmd_articles)
    articles.add_argument("--q", metavar="TEXT", help="words in the title or text (ranked)")
    articles.add_argument("--site", metavar="S")
    articles.add_argument("--since", metavar="D", help="published on or after this day")
    articles.add_argument("--until", metavar="D", help="published on or before this day")
    articles.add_argument("--tag", metavar="T")
    articles.add_argument("--lang", metavar="L")
    articles.add_argument("--limit", metavar="N", type=int)
    articles.add_argument("--json", action="store_true", help="the exported articles, one a line")

    versions = command("versions", "every text of an article, with diffs", cmd_versions)
    versions.add_argument("url", metavar="URL")
    versions.add_argument("--json", action="store_true")

    story = command("story", "the articles of one story (dedupe's story_id)", cmd_story)
    story.add_argument("story_id", metavar="STORY_ID")
    story.add_argument("--json", action="store_true")

    command("reindex", "rebuild the index from the archive's CDXJ and article records", cmd_reindex)

    serve = command("serve", "the archive over HTTP, read-only: JSON API and a web page", cmd_serve)
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (beyond loopback: RETRIEVAL_TOKEN is required)")  # fmt: skip
    serve.add_argument("--port", type=int, default=8090)


def _add_setting_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-s",
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a Scrapy/newsarchive setting (may be repeated)",
    )


def load_settings(args: argparse.Namespace, *, crawl: bool = True):
    """Project settings (crawler/settings.py reads ARCHIVE_URI, REDIS_URL, ARCHIVE_SPOOL_DIR and
    STATE_DIR from the environment) < -s < dedicated options. ``crawl``: check every crawl
    component's settings too (a command that only stores files checks the store's, when it opens
    it, and need not load the cleaning pipeline)."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    for pair in getattr(args, "settings", []):
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"-s {pair!r}: expected NAME=VALUE")
        settings.set(name.strip(), value, priority="cmdline")
    if getattr(args, "archive", None):
        settings.set("ARCHIVE_URI", args.archive, priority="cmdline")
    if getattr(args, "job_dir", None):
        settings.set("JOBDIR", args.job_dir, priority="cmdline")
    if getattr(args, "sites_dir", None):
        settings.set("SITES_DIR", args.sites_dir, priority="cmdline")
    if crawl:
        validate_settings(settings)
    return settings


def validate_settings(settings) -> None:
    """Every enabled component checks its own settings (as under ``scrapy crawl`` and scrapyd)."""
    from crawler.config import ConfigError, check_settings
    from crawler.spiders.news import NewsSpider

    try:
        check_settings(settings, NewsSpider)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def _check_state(settings) -> None:
    """A shared crawl state (STATE_URL, REDIS_URL) that cannot be reached fails before anything
    is fetched."""
    if not settings.get("REDIS_URL") and not settings.get("STATE_URL"):
        return
    from crawler.state import CrawlStateError, open_state

    try:
        open_state(settings).close()
    except CrawlStateError as exc:
        raise UsageError(str(exc)) from None


def _resolve_site(args, settings):
    """The crawl's sites and the spider arguments naming them: site names (or files), ``--all``,
    ``--group NAME``, or section URLs (one ad hoc site)."""
    from crawler.sites import SiteError, adhoc_site, list_sites, load_site, sites_in_group

    targets = args.targets
    given = [bool(targets), args.all_sites, args.group is not None]
    if sum(given) != 1:
        raise UsageError("give site names (or section URLs), --all or --group NAME: one of them")
    urls = [t for t in targets if "://" in t]
    sites_dir = settings.get("SITES_DIR")
    try:
        if urls:
            if len(urls) != len(targets):
                raise UsageError("give either site names or section URLs, not both")
            return [adhoc_site(urls)], {"urls": ",".join(urls)}
        if args.all_sites:
            sites = list_sites(sites_dir)
            if not sites:
                raise UsageError(f"--all: no site files in {sites_dir} (SITES_DIR)")
        elif args.group is not None:
            sites = sites_in_group(args.group, sites_dir)
        else:
            sites = [load_site(t, sites_dir) for t in targets]
    except SiteError as exc:
        raise UsageError(str(exc)) from None
    if not targets:  # the spider loads them by file name, from the same SITES_DIR
        targets = [Path(site.source).stem for site in sites]
    first: dict[str, str] = {}
    for target, site in zip(targets, sites, strict=True):
        if site.name in first:
            raise UsageError(f"site {site.name!r} given twice ({first[site.name]}, {target})")
        first[site.name] = target
    if len(targets) == 1:
        return sites, {"site": targets[0]}
    return sites, {"sites": ",".join(targets)}


def _checked_store(settings):
    """The configured archive store, checked (start-up check), or one line for the user."""
    from crawler.archive.store import ArchiveConfigError
    from crawler.archive.stores import open_store

    try:
        store = open_store(
            settings.get("ARCHIVE_URI"),
            spool_dir=settings.get("ARCHIVE_SPOOL_DIR"),
            settings=settings,
        )
        store.check()
    except ArchiveConfigError as exc:
        raise UsageError(str(exc)) from None
    return store


def cmd_crawl(args) -> int:
    settings = load_settings(args)
    _sites, spider_args = _resolve_site(args, settings)
    _checked_store(settings)
    _check_state(settings)
    if args.workers is not None:  # N child processes of this one crawl: crawler/workers.py
        from crawler import logs
        from crawler.config import ConfigError
        from crawler.spiders.news import NewsSpider
        from crawler.workers import run_workers

        name = _sites[0].name if len(_sites) == 1 else NewsSpider.name  # CrawlIdentity's default
        logs.configure(settings.get("LOG_LEVEL"), logs.json_lines_setting(settings))
        try:
            return run_workers(args.argv, settings, name, args.workers)
        except ConfigError as exc:
            raise UsageError(str(exc)) from None

    from scrapy.crawler import CrawlerProcess

    from crawler import logs
    from crawler.extensions.archive import WarcArchive
    from crawler.extensions.progress import CrawlProgress, summary_text
    from crawler.spiders.news import NewsSpider

    logs.configure(settings.get("LOG_LEVEL"), logs.json_lines_setting(settings))
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")  # ours is installed
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(NewsSpider)
    process.crawl(crawler, **spider_args)
    process.start()

    progress = next(
        (e for e in crawler.extensions.middlewares if isinstance(e, CrawlProgress)), None
    )
    if progress is None or progress.summary is None:
        if crawler.stats is not None and crawler.stats.get_value("start_time"):
            # Ctrl-C twice: Scrapy stopped at once, nothing closed; the next run repairs it all
            print(
                "newsarchive: forced shutdown before the crawl closed its files; "
                "the same command again repairs and finishes them",
                file=sys.stderr,
            )
            return EXIT_INTERRUPTED
        print("newsarchive: the crawl did not start; see the log above", file=sys.stderr)
        return EXIT_FAILURE
    print(summary_text(progress.summary))
    archive = progress.summary["archive"]
    if archive and "://" not in archive:
        print(f"archive: {Path(archive).resolve()}")
    else:
        print(f"archive: {archive}")
    archive_ext = crawler.get_extension(WarcArchive)
    pending = archive_ext.pending if archive_ext else []
    for path in pending:
        print(f"  pending: {path}")
    if pending:
        print(f"upload them with: newsarchive upload --pending --archive {archive}")
    status, why = crawl_exit_status(progress.summary["reason"], crawler.stats.get_stats())
    if why:
        print(f"newsarchive: {why} (exit status {status})", file=sys.stderr)
    return status


def _settle_state(settings, repaired) -> None:
    """After repairing a crash's files, drop the crawl state's entries that point past them."""
    from crawler.archive.recovery import settle_dedupe_state
    from crawler.dedupe_state import DedupeState
    from crawler.state import CrawlStateError, open_state
    from crawler.urls import UrlCanonicalizer

    try:
        state = open_state(settings)
    except CrawlStateError as exc:
        raise UsageError(str(exc)) from None
    try:
        settle_dedupe_state(DedupeState(state), repaired, UrlCanonicalizer.from_settings(settings))
    finally:
        state.close()


def cmd_sites(args) -> int:
    from crawler import logs
    from crawler.sites import SiteError, list_sites

    settings = load_settings(args)
    logs.configure(settings.get("LOG_LEVEL"), logs.json_lines_setting(settings))
    sites_dir = settings.get("SITES_DIR")
    try:
        sites = list_sites(sites_dir)
    except SiteError as exc:
        raise UsageError(str(exc)) from None
    if not sites:
        print(f"no site files in {sites_dir}")
    for site in sites:
        extras = []
        if site.feeds:
            extras.append(f"{len(site.feeds)} feed(s)")
        if site.sitemaps:
            extras.append(f"{len(site.sitemaps)} sitemap(s)")
        more = f"  [{', '.join(extras)}]" if extras else ""
        print(f"{site.name:<20} {' '.join(site.start_urls)}{more}")
    return 0


def cmd_extract(args) -> int:
    try:
        from pipelines.extract_cli import extract_command
    except ImportError:
        raise UsageError("article extraction is not available in this build") from None
    return extract_command(args.files, args.url, args.base_url_map, sys.stdout)


def cmd_upload(args) -> int:
    from crawler import logs

    settings = load_settings(args, crawl=False)
    logs.configure(settings.get("LOG_LEVEL"), logs.json_lines_setting(settings))
    store = _checked_store(settings)
    summary = store.upload_pending()
    if summary.repaired:
        _settle_state(settings, summary.repaired)
    uploaded = getattr(summary, "uploaded", [])
    pending = getattr(summary, "pending", [])
    print(f"uploaded {len(uploaded)} file(s) to {store.uri}; {len(pending)} still pending")
    for path in pending:
        print(f"  pending: {path}")
    return 0 if not pending else 1


def _retrieval(args, run, *, store: bool = False, binary: bool = False) -> int:
    """Run a retrieval command: its one-line errors, its store (opened, never written)."""
    from crawler import logs, retrieve
    from crawler.archive.store import ArchiveConfigError
    from crawler.archive.stores import open_store

    settings = load_settings(args, crawl=False)
    logs.configure(settings.get("LOG_LEVEL"), logs.json_lines_setting(settings))
    opened = None
    try:
        if store:
            opened = open_store(
                settings.get("ARCHIVE_URI"),
                spool_dir=settings.get("ARCHIVE_SPOOL_DIR"),
                settings=settings,
            )
        out = sys.stdout.buffer if binary else sys.stdout
        return run(settings, opened, out)
    except (retrieve.BadInput, ArchiveConfigError) as exc:
        raise UsageError(str(exc)) from None
    except retrieve.NotFound as exc:
        print(f"newsarchive: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except BrokenPipeError:  # `| head`: the reader has seen enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def cmd_captures(args) -> int:
    from crawler.retrieve import captures_command

    return _retrieval(args, lambda settings, _store, out: captures_command(args, settings, out))


def cmd_get(args) -> int:
    from crawler.retrieve import get_command

    def run(settings, store, out) -> int:
        if not args.output:
            return get_command(args, settings, store, out)
        tmp = Path(args.output + ".part")
        try:
            with open(tmp, "wb") as fh:
                status = get_command(args, settings, store, fh)
            tmp.replace(args.output)
        except OSError as exc:
            raise UsageError(f"-o {args.output}: {exc.strerror}") from None
        finally:
            tmp.unlink(missing_ok=True)
        return status

    return _retrieval(args, run, store=True, binary=True)


def cmd_articles(args) -> int:
    from crawler.retrieve import articles_command

    return _retrieval(args, lambda settings, _store, out: articles_command(args, settings, out))


def cmd_versions(args) -> int:
    from crawler.retrieve import versions_command

    return _retrieval(args, lambda settings, _store, out: versions_command(args, settings, out))


def cmd_story(args) -> int:
    from crawler.retrieve import story_command

    return _retrieval(args, lambda settings, _store, out: story_command(args, settings, out))


def cmd_reindex(args) -> int:
    from crawler.retrieve import reindex_command

    return _retrieval(args, reindex_command, store=True)


def cmd_serve(args) -> int:
    from crawler.retrieve import serve_command

    return _retrieval(
        args, lambda settings, store, out: serve_command(args, settings, store, out), store=True
    )


def cmd_wacz(args) -> int:
    from crawler import logs
    from crawler.retrieval.wacz import WaczError, build_wacz

    settings = load_settings(args, crawl=False)
    logs.configure(settings.get("LOG_LEVEL"), logs.json_lines_setting(settings))
    output = Path(args.output)
    if output.suffix != ".wacz":
        raise UsageError(f"-o {args.output}: a WACZ file name ends in .wacz")
    store = _checked_store(settings)
    try:
        summary = build_wacz(store, args.crawl_id, output)
    except WaczError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"-o {args.output}: {exc.strerror or exc}") from None
    print(
        f"wrote {summary.path} ({summary.bytes:,} bytes): crawl {summary.crawl_id}, "
        f"{summary.warcs} WARC file(s), {summary.index_lines} index lines, "
        f"{summary.pages} pages"
    )
    return 0


def cmd_reextract(args) -> int:
    from crawler import logs
    from crawler.archive.manifest import UnknownCrawl, latest_crawl

    settings = load_settings(args, crawl=False)
    logs.configure(settings.get("LOG_LEVEL"), logs.json_lines_setting(settings))
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers {args.workers}: at least 1")
    try:
        from pipelines.clean import CleanPipeline
        from pipelines.reextract import default_workers, reextract, summary_text
    except ImportError:
        raise UsageError("article extraction is not available in this build") from None
    from crawler.config import ConfigError

    try:
        CleanPipeline.check_settings(settings)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    store = _checked_store(settings)
    try:
        crawl_id = args.crawl or latest_crawl(store)
        summary = reextract(store, crawl_id, settings, workers=args.workers or default_workers())
    except UnknownCrawl as exc:
        raise UsageError(str(exc)) from None
    print(summary_text(summary))
    return 0


def cmd_schedule(args) -> int:
    from scrapy.settings import SETTINGS_PRIORITIES

    from crawler import logs
    from crawler.config import ConfigError
    from crawler.scheduler.command import schedule_command, status_command

    status = args.action == "status"
    if status and (args.once or args.seconds is not None):
        raise UsageError(
            "--once and --for run the scheduler; `schedule status` only reads its state"
        )
    if not status and args.json:
        raise UsageError("--json goes with `newsarchive schedule status`")
    if args.seconds is not None and (args.once or args.seconds <= 0):
        raise UsageError(f"--for {args.seconds:g}: a number of seconds > 0, without --once")
    settings = load_settings(args, crawl=not status)
    logs.configure(settings.get("LOG_LEVEL"), logs.json_lines_setting(settings))
    try:
        if status:
            return status_command(settings, sys.stdout, as_json=args.json)
        return schedule_command(
            settings,
            sys.stdout,
            once=args.once,
            seconds=args.seconds,
            cmdline_priority=SETTINGS_PRIORITIES["cmdline"],
        )
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


if __name__ == "__main__":
    sys.exit(main())
