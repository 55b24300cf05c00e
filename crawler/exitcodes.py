"""Exit status of a crawl, like wget's, so cron, systemd and scrapyd can tell a failed crawl from
a good one. ``newsarchive crawl`` and the project's ``scrapy crawl`` (scrapyd jobs) both use it.

    0    the crawl ran (some pages may have answered 404 or failed: they are in the summary)
    1    generic failure (the crawl did not start, or ended for another reason)
    2    usage or configuration error, before anything was fetched
    4    network failure: no server answered a single request (refused, DNS, timeouts)
    5    archive failure: fetched pages could not be written into the archive
    8    server error: every answer was an error status (4xx/5xx), no page was fetched
    130  interrupted (Ctrl-C or SIGTERM); resume with the same command and --job-dir
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_NETWORK = 4
EXIT_ARCHIVE = 5
EXIT_SERVER_ERRORS = 8
EXIT_INTERRUPTED = 130

_STATUS = "downloader/response_status_count/"


def crawl_exit_status(reason: str, stats: dict) -> tuple[int, str]:
    """The exit status of a crawl that ended with ``reason`` and ``stats``, and why ("" when it
    succeeded)."""
    if reason in ("archive_unavailable", "archive_write_failed") or stats.get(
        "archive/write_errors"
    ):
        return EXIT_ARCHIVE, "fetched pages could not be written into the archive"
    if reason == "shutdown":
        return EXIT_INTERRUPTED, "interrupted"
    if not stats.get("downloader/response_count"):
        return EXIT_NETWORK, "nothing was fetched: no server answered"
    codes = [int(k.removeprefix(_STATUS)) for k in stats if k.startswith(_STATUS)]
    if codes and all(code >= 400 for code in codes):
        return EXIT_SERVER_ERRORS, "nothing was fetched: every answer was an error status"
    if reason == "finished" or reason.startswith("closespider_"):
        return EXIT_OK, ""
    return EXIT_FAILURE, f"the crawl ended early ({reason})"
