"""The ``newsarchive`` command.

    newsarchive crawl NAME|URL... [--archive URI] [--job-dir DIR] [-s NAME=VALUE ...]
    newsarchive sites
    newsarchive extract FILE... [--url URL] [--base-url-map urls.json]
    newsarchive upload --pending [--archive URI]

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

    crawl = sub.add_parser("crawl", help="crawl a site (by name) or section URLs into the archive")
    crawl.add_argument("targets", nargs="+", metavar="NAME|URL")
    crawl.add_argument("--archive", metavar="URI", help="archive location (else ARCHIVE_URI)")
    crawl.add_argument("--job-dir", metavar="DIR", help="resumable crawl state (Scrapy JOBDIR)")
    crawl.add_argument("--sites-dir", metavar="DIR", help="where site files are (else SITES_DIR)")
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
    return parser


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
    """A shared crawl state (REDIS_URL) that cannot be reached fails before anything is fetched."""
    if not settings.get("REDIS_URL"):
        return
    from crawler.state import CrawlStateError, open_state

    try:
        open_state(settings).close()
    except CrawlStateError as exc:
        raise UsageError(str(exc)) from None


def _resolve_site(args, settings):
    from crawler.sites import SiteError, adhoc_site, load_site

    targets = args.targets
    urls = [t for t in targets if "://" in t]
    try:
        if urls:
            if len(urls) != len(targets):
                raise UsageError("give either one site name or section URLs, not both")
            return adhoc_site(urls), {"urls": ",".join(urls)}
        if len(targets) > 1:
            raise UsageError("give one site name at a time (or several section URLs)")
        site = load_site(targets[0], settings.get("SITES_DIR"))
        return site, {"site": targets[0]}
    except SiteError as exc:
        raise UsageError(str(exc)) from None


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
    _site, spider_args = _resolve_site(args, settings)
    _checked_store(settings)
    _check_state(settings)

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
    from crawler.sites import SiteError, list_sites

    settings = load_settings(args)
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


if __name__ == "__main__":
    sys.exit(main())
