"""What ``newsarchive reextract [--crawl ID]`` does (the command is defined in ``crawler/cli.py``):
today's cleaning over the pages a crawl archived, with no network, into a new article set beside
the old one.

The pages are the crawl's ``response`` records (and ``revisit`` records of a payload the same
crawl archived) of status 200 with an HTML body, read from its WARCs in their order, from a local
archive or S3, a part at a time. Two passes, as the crawl's cleaning sees a site:

1. every page teaches its site's template (:class:`pipelines.template.SiteTemplate`, one per
   :func:`pipelines.clean.template_key`, as the crawl's learner; section pages too), so every
   article is cleaned with the template of the whole crawl;
2. each page the crawl exported as an article (its capture is in the old set), and each other
   page that reads as an article (:func:`pipelines.pagekind.page_kind`, the spider's test) is
   cleaned by :func:`pipelines.extract.extract_article` in worker processes
   (:class:`pipelines.workers.ExtractionWorkers`: every core, each page under ``CLEAN_TIMEOUT``).

An article keeps what the crawl knew beside the page (``url`` before redirects, ``hints`` from
feeds and sitemaps, ``capture``, ``story_id`` / ``duplicate_of``: dedupe is not run again); its
cleaned fields are new. The set is written to ``articles/<crawl_id>/reextract-<time>/`` as
``articles.jsonl.gz`` (the old file's format) and ``summary.json`` (the counts below); the crawl's
own files are not touched, and no WARC record is written (the set is derived from the WARCs and can
be derived again).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import tempfile
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import structlog
from lxml import etree
from warcio.archiveiterator import ArchiveIterator

from crawler.archive.manifest import article_keys, crawl_sites, read_articles, read_manifest
from crawler.archive.store import ArchiveStore
from pipelines.clean import template_key
from pipelines.decode import NotHtml, page_text
from pipelines.extract import EXTRACTOR_VERSION, FIELDS, empty_result
from pipelines.pagekind import page_kind
from pipelines.template import SiteTemplate
from pipelines.workers import ExtractionWorkers

log = structlog.get_logger(__name__)

_READ_SIZE = 8 << 20  # bytes per ranged read of a WARC
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_PROGRESS_EVERY = 10.0  # seconds between progress lines


@dataclass
class Page:
    url: str
    body: bytes
    content_type: str
    capture: dict


@dataclass
class ReextractSummary:
    crawl_id: str
    key: str = ""
    extractor_version: str = EXTRACTOR_VERSION
    pages: int = 0  # HTML pages read (pass 1)
    cleaned: int = 0  # pages given to the extractor
    articles: int = 0  # articles in the new set
    old_articles: int = 0
    same_body: int = 0  # articles of both sets with the same text
    changed_body: int = 0
    new: list[str] = field(default_factory=list)  # articles only in the new set
    lost: dict[str, str] = field(default_factory=dict)  # old article URL -> why it is not one now
    skipped: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {**self.__dict__, "skipped": dict(self.skipped)}


class _RangeReader(io.RawIOBase):
    """A WARC in the store as a stream, read ``_READ_SIZE`` bytes at a time (ranged GETs on S3)."""

    def __init__(self, store: ArchiveStore, key: str, size: int) -> None:
        self.store, self.key, self.size, self.pos = store, key, size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.pos >= self.size:
            return 0
        data = self.store.read_range(self.key, self.pos, min(len(buffer), self.size - self.pos))
        buffer[: len(data)] = data
        self.pos += len(data)
        return len(data)


def _is_html(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() in _HTML_TYPES


def iter_pages(store: ArchiveStore, manifest: dict) -> Iterator[Page]:
    """Every archived HTML page of status 200 of the crawl, in the order it was archived."""
    originals: dict[str, tuple[str, int, int]] = {}  # payload digest -> (key, offset, length)
    for entry in manifest["files"]:
        key = entry["key"]
        if entry.get("size") is None:  # a WARC the manifest does not list (a crash's)
            raw = io.BytesIO(store.read(key))
        else:
            raw = io.BufferedReader(_RangeReader(store, key, int(entry["size"])), _READ_SIZE)
        records = ArchiveIterator(raw)
        for record in records:
            if record.rec_type not in ("response", "revisit") or record.http_headers is None:
                continue
            headers = record.rec_headers
            status = record.http_headers.get_statuscode()
            content_type = record.http_headers.get_header("Content-Type") or ""
            if status != "200" or not _is_html(content_type):
                continue
            url = headers.get_header("WARC-Target-URI")
            digest = headers.get_header("WARC-Payload-Digest") or ""
            if record.rec_type == "response":
                body = record.content_stream().read()
            else:
                body = _original_body(store, originals.get(digest))
                if body is None:
                    continue  # its payload is in an earlier crawl: not this crawl's page
            records.read_to_end(record)
            offset, length = records.get_record_offset(), records.get_record_length()
            if record.rec_type == "response" and digest:
                originals.setdefault(digest, (key, offset, length))
            capture = {
                "warc_file": entry["name"],
                "offset": offset,
                "length": length,
                "record_id": headers.get_header("WARC-Record-ID"),
                "date": headers.get_header("WARC-Date"),
            }
            yield Page(url, body, content_type, capture)


def _original_body(store: ArchiveStore, where: tuple[str, int, int] | None) -> bytes | None:
    if where is None:
        return None
    key, offset, length = where
    for record in ArchiveIterator(io.BytesIO(store.read_range(key, offset, length))):
        return record.content_stream().read()
    return None


def _capture_key(capture: dict | None) -> tuple[str, int] | None:
    if not capture or capture.get("offset") is None:
        return None
    return (capture["warc_file"], int(capture["offset"]))


def reextract(
    store: ArchiveStore,
    crawl_id: str,
    settings,
    *,
    workers: int = 1,
    progress: Callable[[str, dict], None] | None = None,
) -> ReextractSummary:
    """Clean crawl ``crawl_id``'s archived pages again into a new article set (see the module
    docstring); returns what was done. ``settings``: the crawl's ``CLEAN_*`` settings."""
    started = time.monotonic()
    manifest = read_manifest(store, crawl_id)
    sites = crawl_sites(manifest)
    summary = ReextractSummary(crawl_id=crawl_id)
    old: dict[tuple[str, int], dict] = {}
    site_by_host: dict[str, str] = {}  # a crawl of several sites: its articles tell each host's
    for key in article_keys(store, crawl_id):
        for article in read_articles(store, key):
            where = _capture_key(article.get("capture"))
            if where is not None:
                old[where] = article
            if article.get("site"):
                host = urlsplit(article.get("final_url") or article["url"]).netloc.lower()
                site_by_host.setdefault(host, article["site"])

    def site_of(url: str) -> str | None:
        return sites[0] if len(sites) == 1 else site_by_host.get(urlsplit(url).netloc.lower())

    summary.old_articles = len(old)
    _say(
        progress,
        "reextract.started",
        crawl_id=crawl_id,
        warcs=len(manifest["files"]),
        old_articles=len(old),
        workers=workers,
    )

    max_bytes = settings.getint("CLEAN_MAX_BYTES")
    templates: dict[str, SiteTemplate] = {}
    last = time.monotonic()
    for page in iter_pages(store, manifest):
        summary.pages += 1
        tkey = template_key(site_of(page.url), page.url)
        template = templates.setdefault(tkey, SiteTemplate(tkey))
        if len(page.body) <= max_bytes:
            try:
                text, _ = page_text(page.body, page.content_type)
                template.observe(text, page.url)
            except Exception as exc:  # noqa: BLE001 - a page the learner cannot parse teaches nothing
                log.warning("reextract.observe_failed", url=page.url, error=repr(exc))
        if time.monotonic() - last > _PROGRESS_EVERY:
            last = time.monotonic()
            _say(progress, "reextract.learning", pages=summary.pages)
    _say(
        progress,
        "reextract.templates",
        pages=summary.pages,
        templates={k: t.pages for k, t in templates.items()},
    )

    options = {
        "max_bytes": max_bytes,
        "min_words": settings.getint("CLEAN_MIN_WORDS"),
        "favor": settings.get("CLEAN_FAVOR"),
    }
    timeout = settings.getfloat("CLEAN_TIMEOUT")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    base = f"articles/{crawl_id}/reextract-{stamp}"
    summary.key = f"{base}/articles.jsonl.gz"
    tmpdir = Path(tempfile.mkdtemp(prefix="newsarchive-reextract-"))
    out_path = tmpdir / "articles.jsonl.gz"
    pool = ExtractionWorkers(workers)
    threads = ThreadPoolExecutor(workers, "reextract")
    seen: set[tuple[str, int]] = set()
    try:
        with gzip.open(out_path, "wt", encoding="utf-8") as out:
            window: deque[tuple[Page, dict | None, Future]] = deque()

            def finish(page: Page, before: dict | None, future: Future) -> None:
                result = future.result()
                _record(summary, out, page, before, result, crawl_id, site_of(page.url))

            for page in iter_pages(store, manifest):
                where = _capture_key(page.capture)
                before = old.get(where)
                try:
                    text, _ = page_text(page.body, page.content_type)
                except NotHtml:
                    text = None
                if before is None and (text is None or not _reads_as_article(text, max_bytes)):
                    continue
                seen.add(where)
                if text is None:
                    _record(
                        summary,
                        out,
                        page,
                        before,
                        empty_result(page.url, "not_html"),
                        crawl_id,
                        site_of(page.url),
                    )
                    continue
                summary.cleaned += 1
                hints = (before or {}).get("hints") or None
                tkey = template_key(site_of(page.url), page.url)
                future = threads.submit(
                    pool.extract,
                    tkey,
                    templates.get(tkey),
                    timeout=timeout,
                    body=text,
                    url=page.url,
                    hints=hints,
                    **options,
                )
                window.append((page, before, future))
                while len(window) > 2 * workers:
                    finish(*window.popleft())
                if time.monotonic() - last > _PROGRESS_EVERY:
                    last = time.monotonic()
                    _say(
                        progress,
                        "reextract.cleaning",
                        cleaned=summary.cleaned,
                        articles=summary.articles,
                    )
            while window:
                finish(*window.popleft())
    except BaseException:
        shutil.rmtree(tmpdir, ignore_errors=True)
        raise
    finally:
        threads.shutdown(wait=True, cancel_futures=True)
        pool.close()
    for where, article in old.items():
        if where not in seen:
            summary.lost[article.get("final_url") or article["url"]] = "page_not_found"
    summary.seconds = round(time.monotonic() - started, 1)
    summary_path = tmpdir / "summary.json"
    summary_path.write_text(json.dumps(summary.as_dict(), indent=2), encoding="utf-8")
    store.submit(out_path, summary.key)
    store.submit(summary_path, f"{base}/summary.json")
    waiting = [p for p in store.close().pending if p.key.startswith(base)]
    shutil.rmtree(tmpdir, ignore_errors=True)
    if waiting:
        raise OSError(
            f"{store.uri}: the new article set is still waiting in the spool "
            f"({', '.join(str(p.path) for p in waiting)}); send it with: newsarchive upload --pending"
        )
    _say(
        progress,
        "reextract.done",
        key=summary.key,
        articles=summary.articles,
        seconds=summary.seconds,
    )
    return summary


def _reads_as_article(text: str, max_bytes: int) -> bool:
    """The spider's test of a page it found by discovery (no URL pattern): does it read as one?"""
    if len(text) > max_bytes:
        return False
    try:
        root = etree.HTML(text)
    except (ValueError, etree.ParserError):
        return False
    return root is not None and page_kind(root).is_article


def _record(summary, out, page: Page, before: dict | None, result: dict, crawl_id, site) -> None:
    url = (before or {}).get("final_url") or page.url
    if not result["is_article"]:
        reason = result.get("skip_reason") or "unknown"
        summary.skipped[reason] += 1
        if before is not None:
            summary.lost[url] = reason
        return
    if before is None:
        article = {
            "url": page.url,
            "final_url": page.url,
            "status": 200,
            "site": site,
            "crawl_id": crawl_id,
            "capture": page.capture,
        }
        summary.new.append(page.url)
    else:
        article = dict(before)
        if article.get("body") == result["body"]:
            summary.same_body += 1
        else:
            summary.changed_body += 1
    for name in FIELDS:
        if name != "url":
            article[name] = result[name]
    out.write(json.dumps(article, ensure_ascii=False, default=str) + "\n")
    summary.articles += 1


def _say(progress, event: str, **fields) -> None:
    log.info(event, **fields)
    if progress is not None:
        progress(event, fields)


def summary_text(summary: ReextractSummary) -> str:
    """The readable end of ``newsarchive reextract``."""
    lines = [
        (
            f"re-extracted crawl {summary.crawl_id} with {summary.extractor_version} "
            f"in {summary.seconds:.1f}s"
        ),
        f"  pages read:       {summary.pages} HTML pages, {summary.cleaned} cleaned",
        (
            f"  articles:         {summary.articles} (was {summary.old_articles}): "
            f"{summary.same_body} same text, {summary.changed_body} changed, "
            f"{len(summary.new)} new, {len(summary.lost)} no longer articles"
        ),
    ]
    for url in summary.new[:10]:
        lines.append(f"    new:  {url}")
    for url, why in list(summary.lost.items())[:10]:
        lines.append(f"    lost: {url} ({why})")
    if summary.skipped:
        lines.append(
            "  not articles:     "
            + ", ".join(f"{k} {v}" for k, v in sorted(summary.skipped.items()))
        )
    lines.append(f"  new set:          {summary.key} (the crawl's own articles are kept)")
    return "\n".join(lines)


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)
