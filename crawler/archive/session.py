"""The archive of one crawl: its id, its WARC writer, its store and its manifest.

One :class:`ArchiveSession` per crawler (``ArchiveSession.from_crawler``), shared by the capture
middleware (request/response records), the export pipeline (metadata records) and the progress
extension. It opens the store when the crawler is built (so a bad ``ARCHIVE_URI`` fails before any
page is fetched), finishes what an earlier crash left (repair + pending uploads), and on
``spider_closed`` closes the last WARC, writes the crawl manifest and waits for the store.
"""

from __future__ import annotations

import json
import platform
import re
import socket
from datetime import UTC, datetime
from pathlib import Path

import scrapy
import structlog
from scrapy import signals

import crawler
from crawler.archive.cdxj import write_index
from crawler.archive.repair import OPEN_SUFFIX
from crawler.archive.store import open_store
from crawler.archive.writer import ClosedWarc, RotatingWarcWriter

log = structlog.get_logger(__name__)

_CRAWLER_ATTR = "_newsarchive_archive"


class ArchiveSession:
    def __init__(self, crawler_) -> None:
        settings = crawler_.settings
        self.crawler = crawler_
        self.uri = settings.get("ARCHIVE_URI") or "./archive"
        self.store = open_store(
            self.uri, spool_dir=settings.get("ARCHIVE_SPOOL_DIR"), settings=settings
        )
        self.store.check()
        self.crawl_id = _crawl_id(settings, crawler_)
        self.started = datetime.now(UTC)
        self.files: list[dict] = []
        self._manifest_key = f"manifests/{self.crawl_id}.json"
        self._previous = self._load_previous_manifest()
        recovered = self.store.upload_pending()
        if getattr(recovered, "uploaded", None):
            log.info("archive.recovered", files=len(recovered.uploaded))
        self.writer = RotatingWarcWriter(
            self.store.spool_dir(self.crawl_id),
            prefix=settings.get("ARCHIVE_WARC_PREFIX", "newsarchive"),
            max_size=settings.getint("ARCHIVE_WARC_MAX_SIZE", 1_000_000_000),
            warcinfo=self._warcinfo(settings),
            on_closed=self._on_warc_closed,
        )
        self.closed = False
        self.pending: list[str] = []
        crawler_.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler_) -> ArchiveSession:
        session = cls.current(crawler_)
        if session is None:
            session = cls(crawler_)
            setattr(crawler_, _CRAWLER_ATTR, session)
        return session

    @classmethod
    def current(cls, crawler_) -> ArchiveSession | None:
        """The crawler's session if a component has opened it (None before, or without capture)."""
        return getattr(crawler_, _CRAWLER_ATTR, None)

    def write(self, *records):
        """Write records of one exchange together; returns their locations."""
        locations = self.writer.write(*records)
        stats = self.crawler.stats
        for record in records:
            stats.inc_value(f"archive/records/{record.rec_type}")
        stats.set_value("archive/bytes", self.writer.bytes_written)
        return locations

    def local_path(self, key: str) -> Path:
        """Where to write a file that will be stored under ``key``: ``<spool>/<key>.open``.

        ``store.submit(path, key)`` moves it into place once it is closed. Until then the
        ``.open`` name keeps it from being uploaded half-written (``newsarchive upload --pending``
        beside this crawl), and after a crash it is repaired like an open WARC.
        """
        return self._spool_root() / (key + OPEN_SUFFIX)

    def _spool_root(self) -> Path:
        # The local archive's root, or the remote store's spool (laid out like the keys).
        return self.store.spool_dir(self.crawl_id).parent.parent

    def _on_warc_closed(self, closed: ClosedWarc) -> None:
        key = f"warc/{self.crawl_id}/{closed.name}"
        cdxj_key = f"cdxj/{self.crawl_id}/{closed.name.removesuffix('.warc.gz')}.cdxj"
        cdxj_path = closed.path.with_name(closed.name.removesuffix(".warc.gz") + ".cdxj")
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
        self.store.submit(cdxj_path, cdxj_key)
        self.store.submit(closed.path, key)

    def spider_closed(self, spider, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        self.writer.close()
        manifest = self._manifest(reason)
        path = self._spool_root() / self._manifest_key  # written whole (tmp + rename) below
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
        tmp.replace(path)
        self.store.submit(path, self._manifest_key)
        summary = self.store.close()
        pending = [str(p.path) for p in getattr(summary, "pending", [])]
        self.pending = pending  # the CLI lists them under its summary
        self.crawler.stats.set_value("archive/pending_uploads", len(pending))
        self.manifest = manifest
        log.info(
            "archive.closed",
            crawl_id=self.crawl_id,
            archive=self.uri,
            warc_files=len(manifest["files"]),
            pending=pending,
        )

    def _manifest(self, reason: str) -> dict:
        files = list(self._previous.get("files", [])) + self.files
        stats = {k: v for k, v in self.crawler.stats.get_stats().items()}
        return {
            "crawl_id": self.crawl_id,
            "site": getattr(self.crawler.spider, "site_name", None),
            "archive": self.uri,
            "started": self._previous.get("started") or self.started.isoformat(),
            "finished": datetime.now(UTC).isoformat(),
            "finish_reason": reason,
            "software": _software(),
            "files": files,
            "totals": {
                "files": len(files),
                "bytes": sum(f["size"] for f in files),
                "records": sum(sum(f["records"].values()) for f in files),
            },
            "stats": stats,
        }

    def _load_previous_manifest(self) -> dict:
        """A resumed crawl (same crawl id) extends the manifest of its earlier runs."""
        try:
            if self.store.exists(self._manifest_key):
                return json.loads(self.store.read(self._manifest_key))
        except (OSError, ValueError):
            log.warning("archive.manifest_unreadable", key=self._manifest_key)
        return {}

    def _warcinfo(self, settings) -> dict[str, str]:
        robots = "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore"
        return {
            "software": _software(),
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "hostname": socket.gethostname(),
            "ip": _host_ip(),
            "isPartOf": self.crawl_id,
            "robots": robots,
            "http-header-user-agent": settings.get("USER_AGENT"),
            "operator": settings.get("ARCHIVE_OPERATOR") or "",
        }


def _software() -> str:
    return (
        f"newsarchive/{crawler.__version__} Scrapy/{scrapy.__version__} "
        f"Python/{platform.python_version()}"
    )


def _host_ip() -> str:
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return ""


def _crawl_id(settings, crawler_) -> str:
    """``ARCHIVE_CRAWL_ID``, else SITE-TIMESTAMP; a JOBDIR keeps it so a resumed crawl continues."""
    jobdir = settings.get("JOBDIR")
    id_file = Path(jobdir) / "crawl_id" if jobdir else None
    if id_file and id_file.is_file():
        return id_file.read_text().strip()
    crawl_id = settings.get("ARCHIVE_CRAWL_ID")
    if not crawl_id:
        site = getattr(crawler_.spider, "site_name", None) or crawler_.spidercls.name
        crawl_id = f"{site}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}"
    crawl_id = re.sub(r"[^A-Za-z0-9_.-]+", "-", crawl_id)
    if id_file:
        id_file.parent.mkdir(parents=True, exist_ok=True)
        id_file.write_text(crawl_id + "\n")
    return crawl_id
