"""The crawl's archive, as a Scrapy extension: its store, its WARC writer and its manifest.

Like Scrapy's ``FeedExporter``, :class:`WarcArchive` owns its resources for the whole crawl:

- built with the crawler (``from_crawler``): settings read and checked once, the store chosen;
  nothing is contacted yet;
- ``spider_opened`` (awaited by Scrapy before the first request): in a worker thread, checks the
  store (a missing bucket, bad credentials or an unwritable directory close the spider with
  reason ``archive_unavailable`` and one error line), finishes what an earlier crash left (repair
  of ``.open`` files, pending uploads) and reads the manifest of a resumed crawl; then opens the
  WARC writer;
- each closed WARC: its CDXJ is written, its captures and articles are added to the index
  (:mod:`crawler.retrieval`, ``ARCHIVE_INDEX_URL``; an index that fails costs a log line, not the
  crawl: ``newsarchive reindex`` rebuilds it), then the store takes both files;
- a write that fails (disk full) closes the spider with reason ``archive_write_failed`` and one
  error line; the writer has cut the file back to its last whole record;
- ``spider_closed`` (awaited by Scrapy): closes the last WARC, writes the crawl manifest and waits
  for the store's uploads in a worker thread, so the reactor keeps running (progress lines, other
  crawls) while the last files go up. With ``REDIS_URL`` several processes may crawl one crawl id:
  the last of them to close writes the one manifest, listing every process's files
  (:class:`crawler.archive.manifest.SharedManifest`).

Other components reach it with ``crawler.get_extension(WarcArchive)``: the capture middleware and
the export pipeline write records through :meth:`WarcArchive.write`, the CLI lists what is pending.
Settings: ``ARCHIVE_URI``, ``ARCHIVE_WARC_MAX_SIZE``, ``ARCHIVE_WARC_PREFIX``,
``ARCHIVE_WARC_GZIP_LEVEL``, ``ARCHIVE_OPERATOR``,
``ARCHIVE_INDEX_URL`` and the store's (``crawler.archive.store.StoreSettings``); the crawl id is ``ARCHIVE_CRAWL_ID``
(:mod:`crawler.crawl_id`).
"""

from __future__ import annotations

import json
import os
import platform
import re
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import scrapy
import structlog
from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet import threads
from twisted.internet.defer import Deferred, DeferredList
from warcio.recordbuilder import RecordBuilder

import crawler
from crawler.archive.cdxj import write_index
from crawler.archive.manifest import SharedManifest
from crawler.archive.recovery import settle_dedupe_state
from crawler.archive.repair import OPEN_SUFFIX, create_locked
from crawler.archive.store import ArchiveConfigError, StoreSettings, UploadSummary
from crawler.archive.stores import check_uri, open_store
from crawler.archive.writer import ClosedWarc, RecordLocation, RotatingWarcWriter
from crawler.config import ConfigError, int_setting, size_setting
from crawler.crawl_id import crawl_id
from crawler.dedupe_state import DedupeState
from crawler.memory import limit_malloc_arenas, release_free_memory
from crawler.retrieval.index import ArchiveIndex, check_index_url, open_index
from crawler.retrieval.ingest import index_stored_warc, index_warc
from crawler.urls import UrlCanonicalizer

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

log = structlog.get_logger(__name__)

WARC_VERSION = "WARC/1.1"
_PREFIX_RE = re.compile(r"^[A-Za-z0-9_.-]+$")


class WarcArchive:
    """Scrapy extension: the archive of one crawl (see the module doc)."""

    def __init__(self, crawler_: Crawler) -> None:
        settings = crawler_.settings
        self.check_settings(settings)
        self.crawler = crawler_
        self.uri: str = settings.get("ARCHIVE_URI")
        self.store = open_store(self.uri, settings=settings)
        self.crawl_id = crawl_id(settings)
        self.prefix: str = settings.get("ARCHIVE_WARC_PREFIX")
        self.max_size = size_setting(settings, "ARCHIVE_WARC_MAX_SIZE")
        self.gzip_level = gzip_level_setting(settings)
        self.builder = RecordBuilder(warc_version=WARC_VERSION)
        self.started = datetime.now(UTC)
        self.files: list[dict] = []
        self.writer: RotatingWarcWriter | None = None
        self.summary: UploadSummary | None = None
        self.manifest: dict | None = None
        self._manifest_key = f"manifests/{self.crawl_id}.json"
        self._previous: dict = {}
        self._warcinfo_fields = self._warcinfo(settings)
        self._locked: list = []  # files given out by local_path, locked until the crawl ends
        self._write_failed = False
        self._indexing: set[Deferred] = set()  # closed WARCs being indexed in worker threads
        self.index: ArchiveIndex | None = None  # opened with the store (ARCHIVE_INDEX_URL)
        # With REDIS_URL, other processes may crawl this crawl too: one manifest for all of them.
        self.shared_manifest = SharedManifest.from_settings(settings)

    @classmethod
    def from_crawler(cls, crawler_: Crawler) -> WarcArchive:
        limit_malloc_arenas()  # before the crawl starts its threads (crawler/memory.py)
        archive = cls(crawler_)
        crawler_.signals.connect(archive.spider_opened, signal=signals.spider_opened)
        crawler_.signals.connect(archive.spider_closed, signal=signals.spider_closed)
        return archive

    @classmethod
    def of(cls, crawler_: Crawler) -> WarcArchive:
        """The crawl's archive, for a component that writes into it; NotConfigured without one."""
        archive = crawler_.get_extension(cls)
        if archive is None:
            raise NotConfigured("the WarcArchive extension is not enabled (EXTENSIONS)")
        return archive

    @classmethod
    def check_settings(cls, settings: BaseSettings) -> None:
        check_uri(settings.get("ARCHIVE_URI"))
        StoreSettings.from_settings(settings)
        size_setting(settings, "ARCHIVE_WARC_MAX_SIZE")
        gzip_level_setting(settings)
        check_index_url(settings.get("ARCHIVE_INDEX_URL"))
        prefix = settings.get("ARCHIVE_WARC_PREFIX")
        if not prefix or not _PREFIX_RE.match(str(prefix)):
            raise ConfigError(
                f"setting ARCHIVE_WARC_PREFIX={prefix!r}: expected letters, digits, '_', '.' or '-'"
            )

    # -- opening ---------------------------------------------------------------------------

    async def spider_opened(self, spider: scrapy.Spider) -> None:
        if self.shared_manifest is not None:
            self.shared_manifest.open()
        try:
            await maybe_deferred_to_future(threads.deferToThread(self._prepare_store))
        except ArchiveConfigError as exc:
            log.error("archive.unavailable", error=str(exc), archive=self.uri)
            raise CloseSpider("archive_unavailable") from None
        self.writer = RotatingWarcWriter(
            self.store.spool_dir(self.crawl_id),
            prefix=self.prefix,
            max_size=self.max_size,
            gzip_level=self.gzip_level,
            warcinfo=self._warcinfo_fields,
            on_closed=self._on_warc_closed,
            builder=self.builder,
        )

    def _prepare_store(self) -> None:
        """Blocking (network, disk): check the store, finish an earlier crash, read the manifest."""
        self.store.check()
        self._open_index()
        self._previous = self._load_previous_manifest()
        recovered = self.store.upload_pending()
        if recovered.uploaded:
            log.info("archive.recovered", files=len(recovered.uploaded))
        if recovered.repaired:
            self._index_repaired(recovered.repaired)
            # Before the first request: no revisit may point at a record the crash cut, and an
            # article the crash kept from being exported must be fetched again.
            settled = settle_dedupe_state(
                DedupeState.from_crawler(self.crawler),
                recovered.repaired,
                UrlCanonicalizer.from_settings(self.crawler.settings),
            )
            stats = self.crawler.stats
            stats.set_value("archive/recovered_files", len(recovered.repaired))
            stats.set_value("archive/recovered_state/entries_dropped", settled.entries)
            stats.set_value("archive/recovered_state/article_marks_dropped", settled.marks)
            stats.set_value("archive/recovered_state/validators_dropped", settled.validators)

    def _open_index(self) -> None:
        # The index is rebuilt from the archive at will (newsarchive reindex): one that cannot be
        # opened costs the crawl nothing but a line, and the crawl goes on archiving.
        try:
            self.index = open_index(self.crawler.settings)
        except ConfigError as exc:
            self.crawler.stats.set_value("index/unavailable", 1)
            log.error("index.unavailable", error=str(exc), hint="newsarchive reindex, later")

    def _index_repaired(self, repaired: list) -> None:
        """The WARCs an earlier crash left, now closed and stored, into the index (their CDXJ
        and records read through the store, as ``newsarchive reindex`` does)."""
        if self.index is None:
            return
        for fixed in repaired:
            if fixed.kind != "warc" or fixed.path is None:
                continue
            stem = fixed.path.name.removesuffix(".warc.gz")
            cdxj_key = f"cdxj/{fixed.crawl_id}/{stem}.cdxj"
            try:
                index_stored_warc(self.index, self.store, cdxj_key)
            except Exception as exc:  # noqa: BLE001 - the archive is whole; reindex rebuilds it
                self.crawler.stats.inc_value("index/errors")
                log.error("index.add_failed", key=cdxj_key, error=f"{type(exc).__name__}: {exc}")

    # -- writing ---------------------------------------------------------------------------

    def write(self, *records) -> list[RecordLocation]:
        """Write the records of one exchange together; returns where each landed."""
        if self.writer is None:
            raise RuntimeError("the archive is not open (spider_opened has not run, or failed)")
        stats = self.crawler.stats
        try:
            locations = self.writer.write(*records)
        except OSError as exc:
            # Disk full, directory gone...: what was fetched is not archived (exit status 5), and
            # fetching more would only lose more. The writer cut the file back to its last whole
            # record; the crawl stops with one line saying why.
            stats.inc_value("archive/write_errors")
            if not self._write_failed:
                self._write_failed = True
                log.error("archive.write_failed", error=str(exc), archive=self.uri)
                self._stop_crawl()
            raise
        for record in records:
            stats.inc_value(f"archive/records/{record.rec_type}")
        stats.set_value("archive/bytes", self.writer.bytes_written)
        return locations

    def _stop_crawl(self) -> None:
        # close_spider_async returns a coroutine; the engine runs it on the reactor
        engine = self.crawler.engine
        if engine is not None and self.crawler.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason="archive_write_failed"))

    def local_path(self, key: str) -> Path:
        """Where to write a file that will be stored under ``key``: ``<spool>/<key>.open``.

        ``store.submit(path, key)`` moves it into place once it is closed. Until then the
        ``.open`` name keeps it from being uploaded half-written (``newsarchive upload --pending``
        beside this crawl), and after a crash it is repaired like an open WARC. The file is
        created here and locked until the crawl ends (the caller opens it again, for writing),
        so a repair in another process knows it is being written.
        """
        path = self._spool_root() / (key + OPEN_SUFFIX)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._locked.append(create_locked(path))
        return path

    def _spool_root(self) -> Path:
        # The local archive's root, or the remote store's spool (laid out like the keys).
        return self.store.spool_dir(self.crawl_id).parent.parent

    def _on_warc_closed(self, closed: ClosedWarc) -> None:
        key = f"warc/{self.crawl_id}/{closed.name}"
        stem = closed.name.removesuffix(".warc.gz")
        cdxj_key = f"cdxj/{self.crawl_id}/{stem}.cdxj"
        # Written where the store keeps it (a local archive's cdxj/, the spool's, laid out like
        # the keys): a crash after this line leaves an index a restart uploads as it is. A crash
        # before it leaves a closed WARC without one, which the restart indexes again.
        cdxj_path = self._spool_root() / cdxj_key
        write_index(closed.cdxj_lines, cdxj_path)
        self.files.append(
            {
                "name": closed.name,
                "key": key,
                "size": closed.size,
                "sha256": closed.sha256,
                "records": closed.records,
                "cdxj": cdxj_key,
            }
        )
        self.crawler.stats.inc_value("archive/warc_files")

        def submit(_result=None) -> None:
            self.store.submit(cdxj_path, cdxj_key)
            self.store.submit(closed.path, key)

        if self.index is None:
            submit()
            return
        # Indexing reads the WARC's article and revisit records and writes the index: in a worker
        # thread, not on the reactor; the store takes the file once it has been read.
        indexing = threads.deferToThread(self._add_to_index, key, closed)
        indexing.addCallback(self._count_indexed)
        indexing.addBoth(submit)
        self._indexing.add(indexing)
        indexing.addBoth(lambda _: self._indexing.discard(indexing))

    def _add_to_index(self, key: str, closed: ClosedWarc):
        """Captures and articles of a closed WARC into the index, read from the file just
        written (one open file for all its article and revisit records). In a worker thread."""
        try:
            with open(closed.path, "rb") as fh:

                def read(offset: int, length: int) -> bytes:
                    fh.seek(offset)
                    return fh.read(length)

                return index_warc(self.index, key, closed.cdxj_lines, read)
        except Exception as exc:  # noqa: BLE001 - the archive is whole; reindex rebuilds the rest
            log.error("index.add_failed", key=key, error=f"{type(exc).__name__}: {exc}")
            return None
        finally:
            release_free_memory()  # the WARC's index lines and records are freed now

    def _count_indexed(self, added) -> None:
        # on the reactor thread, where the stats are kept
        if added is None:
            self.crawler.stats.inc_value("index/errors")
            return
        self.crawler.stats.inc_value("index/captures", added.captures)
        self.crawler.stats.inc_value("index/articles", added.articles)

    # -- closing ---------------------------------------------------------------------------

    async def spider_closed(self, spider: scrapy.Spider, reason: str) -> None:
        if self.writer is not None:
            try:
                self.writer.close()
            except OSError as exc:
                self.crawler.stats.inc_value("archive/write_errors")
                log.error("archive.close_failed", error=str(exc), archive=self.uri)
            # every closed WARC indexed and handed to the store before the manifest lists them
            await maybe_deferred_to_future(DeferredList(list(self._indexing)))
            self.manifest = self._manifest(reason)
            if self.shared_manifest is not None:  # None: a process still at work writes it
                self.manifest = self.shared_manifest.close(self.manifest)
            if self.manifest is not None:
                self._write_manifest(self.manifest)
        # Uploads may take minutes: wait in a thread, so the reactor goes on meanwhile.
        log.info("archive.closing", crawl_id=self.crawl_id, archive=self.uri)
        self.summary = await maybe_deferred_to_future(threads.deferToThread(self.store.close))
        for f in self._locked:  # the pipelines that wrote them have closed them by now
            f.close()
        self._locked.clear()
        if self.index is not None:
            self.index.close()
        self.crawler.stats.set_value("archive/pending_uploads", len(self.summary.pending))
        log.info(
            "archive.closed",
            crawl_id=self.crawl_id,
            archive=self.uri,
            warc_files=len(self.files) + len(self._previous.get("files", [])),
            pending=[str(p) for p in self.pending],
        )

    def _write_manifest(self, manifest: dict) -> None:
        path = self._spool_root() / self._manifest_key
        path.parent.mkdir(parents=True, exist_ok=True)
        # written whole, then renamed; the name is this process's (others may write it too)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
        tmp.replace(path)
        self.store.submit(path, self._manifest_key)

    @property
    def pending(self) -> list[Path]:
        """Files still waiting in the spool when the crawl closed (empty before)."""
        return [p.path for p in self.summary.pending] if self.summary else []

    def _manifest(self, reason: str) -> dict:
        files = list(self._previous.get("files", [])) + self.files
        return {
            "crawl_id": self.crawl_id,
            "site": getattr(self.crawler.spider, "site_name", None),  # None: several sites
            "sites": getattr(self.crawler.spider, "site_names", None) or [],
            "archive": self.uri,
            "started": self._previous.get("started") or self.started.isoformat(),
            "finished": datetime.now(UTC).isoformat(),
            "finish_reason": reason,
            "software": software(),
            "files": files,
            "totals": {
                "files": len(files),
                "bytes": sum(f["size"] for f in files),
                "records": sum(sum(f["records"].values()) for f in files),
            },
            "stats": dict(self.crawler.stats.get_stats()),
        }

    def _load_previous_manifest(self) -> dict:
        """A resumed crawl (same crawl id) extends the manifest of its earlier runs."""
        try:
            if self.store.exists(self._manifest_key):
                return json.loads(self.store.read(self._manifest_key))
        except (OSError, ValueError):
            log.warning("archive.manifest_unreadable", key=self._manifest_key)
        return {}

    def _warcinfo(self, settings: BaseSettings) -> dict[str, str]:
        robots = "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore"
        return {
            "software": software(),
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "hostname": socket.gethostname(),
            "ip": _host_ip(),
            "isPartOf": self.crawl_id,
            "robots": robots,
            "http-header-user-agent": settings.get("USER_AGENT"),
            "operator": settings.get("ARCHIVE_OPERATOR") or "",
        }


def software() -> str:
    return (
        f"newsarchive/{crawler.__version__} Scrapy/{scrapy.__version__} "
        f"Python/{platform.python_version()}"
    )


def _host_ip() -> str:
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return ""


def gzip_level_setting(settings: BaseSettings) -> int:
    """``ARCHIVE_WARC_GZIP_LEVEL``: zlib's compression level, 1 (fastest) to 9 (smallest)."""
    level = int_setting(settings, "ARCHIVE_WARC_GZIP_LEVEL", minimum=1)
    if level > 9:
        raise ConfigError(f"setting ARCHIVE_WARC_GZIP_LEVEL={level!r}: expected 1 to 9")
    return level
