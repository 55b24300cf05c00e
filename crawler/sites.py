"""Site files: one TOML file per news site under ``SITES_DIR`` (default ``sites/``).

A site file names the sections to start from and how to tell article links from the rest::

    name = "demo"
    start_urls = ["https://example.com/world/"]
    allowed_domains = ["example.com"]              # default: the hosts of start_urls
    article_patterns = ['^https://example\\.com/\\d{4}/\\d{2}/\\d{2}/']
    feeds = ["https://example.com/feed.xml"]        # RSS or Atom
    sitemaps = ["https://example.com/sitemap.xml"]  # index, urlset or Google News sitemap
    pagination_depth = 3
    group = "europe"                                # or a list: ["europe", "daily"]
    [politeness]
    download_delay = 1.0
    concurrent_requests_per_domain = 2
    [schedule]                                      # for `newsarchive schedule`
    every = "30m"                                   # or cron = "*/15 * * * *"
    min_interval = "10m"                            # both bounds given: adaptive interval
    max_interval = "6h"

An ad-hoc crawl (``newsarchive crawl URL ...``) builds a :class:`Site` from URLs instead: same-domain
discovery and heuristic article detection. ``newsarchive crawl --all`` crawls every site file,
``--group NAME`` those whose ``group`` names it (:func:`sites_in_group`), in one process.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from crawler.config import ConfigError
from crawler.dedupe_state import parse_duration

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_POLITENESS_FIELDS = {"download_delay": (int, float), "concurrent_requests_per_domain": (int,)}
_KNOWN_FIELDS = {
    "name",
    "start_urls",
    "allowed_domains",
    "article_patterns",
    "feeds",
    "sitemaps",
    "pagination_depth",
    "politeness",
    "group",
    "schedule",
}
_SCHEDULE_FIELDS = ("every", "cron", "min_interval", "max_interval")


# Pages of each section an ad hoc crawl reads (a site file says its own, default 3).
ADHOC_PAGINATION_DEPTH = 5


class SiteError(ConfigError):
    """A site file or site name a user got wrong; the message is one line naming file and field."""


@dataclass(frozen=True)
class Schedule:
    """A site file's ``[schedule]``: crawl every ``every`` seconds or at the times of ``cron``;
    with ``min_interval`` and ``max_interval`` (seconds) the interval adapts between them."""

    every: float | None = None
    cron: str | None = None
    min_interval: float | None = None
    max_interval: float | None = None

    @property
    def adaptive(self) -> bool:
        return self.min_interval is not None and self.max_interval is not None


@dataclass(frozen=True)
class Site:
    name: str
    start_urls: tuple[str, ...]
    allowed_domains: tuple[str, ...]
    article_patterns: tuple[re.Pattern[str], ...] = ()
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    pagination_depth: int = 3
    download_delay: float | None = None
    concurrent_requests_per_domain: int | None = None
    groups: tuple[str, ...] = ()
    schedule: Schedule | None = None
    source: str = field(default="", compare=False)

    @property
    def adhoc(self) -> bool:
        """True without article patterns (bare URLs, or a site file that gives none): articles
        are then found by discovery and recognised from the pages themselves."""
        return not self.article_patterns

    def is_article_url(self, url: str) -> bool:
        return any(p.search(url) for p in self.article_patterns)


def load_site(name_or_path: str, sites_dir: str | Path = "sites") -> Site:
    """Load a site by name (``sites_dir/NAME.toml``) or by the path of its file."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = Path(sites_dir) / f"{name_or_path}.toml"
        if not path.is_file():
            known = ", ".join(s.name for s in list_sites(sites_dir, strict=False)) or "none"
            raise SiteError(
                f"unknown site {name_or_path!r}: no {path} (known sites: {known}; SITES_DIR={sites_dir})"
            )
    if not path.is_file():
        raise SiteError(f"{path}: no such site file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SiteError(f"{path}: not valid TOML: {exc}") from None
    return site_from_dict(data, source=str(path))


def list_sites(sites_dir: str | Path = "sites", *, strict: bool = True) -> list[Site]:
    """Every site file in ``sites_dir``, sorted by name. ``strict=False`` skips broken files."""
    sites = []
    for path in sorted(Path(sites_dir).glob("*.toml")):
        try:
            sites.append(load_site(str(path)))
        except SiteError:
            if strict:
                raise
    return sites


def sites_in_group(group: str, sites_dir: str | Path = "sites") -> list[Site]:
    """The sites whose ``group`` names ``group``, sorted by name; :class:`SiteError` names the
    groups there are when none does (a broken site file is an error here, as under ``--all``)."""
    sites = list_sites(sites_dir)
    members = [s for s in sites if group in s.groups]
    if not members:
        known = ", ".join(sorted({g for s in sites for g in s.groups})) or "none"
        raise SiteError(
            f"unknown group {group!r}: no site file in {sites_dir} names it"
            f" in its 'group' field (groups: {known})"
        )
    return members


def site_from_dict(data: dict, source: str = "<site>") -> Site:
    def bad(fld: str, why: str) -> SiteError:
        return SiteError(f"{source}: field {fld!r}: {why}")

    unknown = sorted(set(data) - _KNOWN_FIELDS)
    if unknown:
        raise bad(unknown[0], f"unknown field (known: {', '.join(sorted(_KNOWN_FIELDS))})")

    name = data.get("name")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise bad("name", "required; lower-case letters, digits, '-' and '_'")
    start_urls = _url_list(data, "start_urls", bad, required=True)
    feeds = _url_list(data, "feeds", bad)
    sitemaps = _url_list(data, "sitemaps", bad)

    domains = data.get("allowed_domains")
    if domains is None:
        domains = sorted({urlsplit(u).hostname for u in start_urls})
    elif not (
        isinstance(domains, list) and domains and all(isinstance(d, str) and d for d in domains)
    ):
        raise bad("allowed_domains", "must be a non-empty list of host names")

    patterns = []
    raw_patterns = data.get("article_patterns", [])
    if not isinstance(raw_patterns, list) or not all(isinstance(p, str) for p in raw_patterns):
        raise bad("article_patterns", "must be a list of regular expressions")
    for p in raw_patterns:
        try:
            patterns.append(re.compile(p))
        except re.error as exc:
            raise bad("article_patterns", f"bad regular expression {p!r}: {exc}") from None

    depth = data.get("pagination_depth", 3)
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 0:
        raise bad("pagination_depth", "must be a whole number >= 0")

    politeness = data.get("politeness", {})
    if not isinstance(politeness, dict):
        raise bad("politeness", "must be a table")
    for key, value in politeness.items():
        types = _POLITENESS_FIELDS.get(key)
        if types is None:
            raise bad(f"politeness.{key}", f"unknown (known: {', '.join(_POLITENESS_FIELDS)})")
        if not isinstance(value, types) or isinstance(value, bool) or value < 0:
            raise bad(f"politeness.{key}", "must be a number >= 0")

    groups = data.get("group", [])
    if isinstance(groups, str):
        groups = [groups]
    if not isinstance(groups, list) or not all(
        isinstance(g, str) and _NAME_RE.match(g) for g in groups
    ):
        raise bad("group", "a group name or a list of them (lower-case letters, digits, '-', '_')")

    return Site(
        name=name,
        start_urls=tuple(start_urls),
        allowed_domains=tuple(domains),
        article_patterns=tuple(patterns),
        feeds=tuple(feeds),
        sitemaps=tuple(sitemaps),
        pagination_depth=depth,
        download_delay=politeness.get("download_delay"),
        concurrent_requests_per_domain=politeness.get("concurrent_requests_per_domain"),
        groups=tuple(dict.fromkeys(groups)),
        schedule=site_schedule(data.get("schedule"), bad),
        source=source,
    )


def adhoc_site(urls: list[str]) -> Site:
    """A site for ``newsarchive crawl URL ...``: those sections, their domains, heuristic articles."""
    bad = [u for u in urls if not _is_http_url(u)]
    if bad:
        raise SiteError(f"not an http(s) URL: {bad[0]!r}")
    hosts = sorted({urlsplit(u).hostname for u in urls})
    name = re.sub(r"[^a-z0-9_-]+", "-", hosts[0].lower()).strip("-") or "adhoc"
    return Site(
        name=name,
        start_urls=tuple(urls),
        allowed_domains=tuple(hosts),
        pagination_depth=ADHOC_PAGINATION_DEPTH,
        source="<urls>",
    )


def _url_list(data: dict, fld: str, bad, *, required: bool = False) -> list[str]:
    value = data.get(fld, [])
    if not isinstance(value, list) or not all(isinstance(u, str) for u in value):
        raise bad(fld, "must be a list of http(s) URLs")
    if required and not value:
        raise bad(fld, "required: a non-empty list of http(s) URLs")
    for u in value:
        if not _is_http_url(u):
            raise bad(fld, f"not an http(s) URL: {u!r}")
    return value


def _is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def site_schedule(table, bad) -> Schedule | None:
    """The ``[schedule]`` table of a site file (None without one); ``bad(field, why)`` builds
    the error naming the field."""
    if table is None:
        return None
    if not isinstance(table, dict):
        raise bad("schedule", 'must be a table: [schedule] every = "30m" (or cron = "0 * * * *")')
    for key in table:
        if key not in _SCHEDULE_FIELDS:
            raise bad(f"schedule.{key}", f"unknown (known: {', '.join(_SCHEDULE_FIELDS)})")
    if ("every" in table) == ("cron" in table):
        raise bad("schedule", "give either every (a duration) or cron (a cron expression)")
    seconds = {
        key: _duration(table[key], f"schedule.{key}", bad)
        for key in ("every", "min_interval", "max_interval")
        if key in table
    }
    bounds = [key for key in ("min_interval", "max_interval") if key in table]
    cron = table.get("cron")
    if cron is not None:
        from croniter import croniter  # noqa: PLC0415 - only site files with cron need it

        if not isinstance(cron, str) or not croniter.is_valid(cron):
            raise bad("schedule.cron", f'not a cron expression: {cron!r} (e.g. "*/15 * * * *")')
        if bounds:
            raise bad(f"schedule.{bounds[0]}", "an adaptive interval needs every, not cron")
        return Schedule(cron=cron)
    if len(bounds) == 1:
        raise bad(
            f"schedule.{bounds[0]}",
            "give both min_interval and max_interval (an adaptive interval) or neither",
        )
    every, low, high = seconds["every"], seconds.get("min_interval"), seconds.get("max_interval")
    if low is not None and high is not None and not low <= every <= high:
        raise bad("schedule.every", "must lie between min_interval and max_interval")
    return Schedule(every=every, min_interval=low, max_interval=high)


def _duration(value, fld: str, bad) -> float:
    try:
        parsed = parse_duration(value, fld)
    except ConfigError:
        parsed = None
    if parsed is None or parsed.total_seconds() <= 0:
        raise bad(fld, f'expected a duration like "90s", "30m", "2h" or "1d", not {value!r}')
    return parsed.total_seconds()
