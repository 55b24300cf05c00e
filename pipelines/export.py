"""Export: every article as a JSON line (gzipped, per crawl) and as a WARC ``metadata`` record.

The JSON Lines file is ``articles/<crawl_id>/articles-<time>-<pid>.jsonl.gz`` in the archive. The
metadata record (``application/json``) has ``WARC-Refers-To`` the record id of the response it was
cleaned from and ``WARC-Refers-To-Target-URI`` the article URL, so the archive alone can rebuild
every article index. The page's HTML is not repeated: it is in the response record.

Its ``WARC-Target-URI`` is ``urn:article:<article URL>`` (the convention of browsertrix's
``urn:pageinfo:``), not the bare URL: pywb and cdxj-indexer index every metadata record that is not
``application/warc-fields`` as a 200 capture of its target, and pywb then replays the JSON in place
of the page captured in the same second.
"""

from __future__ import annotations

import gzip
import json
import os
from datetime import UTC, datetime
from io import BytesIO

import structlog
from itemadapter import ItemAdapter

from crawler.archive.store import ARTICLE_URI_PREFIX
from crawler.extensions.archive import WarcArchive

log = structlog.get_logger(__name__)

# The page is in its response record; the body's signature is the dedupe pipeline's.
_NOT_EXPORTED = ("html", "encoding", "content_type", "body_signature")


class ExportPipeline:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.archive = WarcArchive.of(crawler)
        self._file = None
        self._path = None
        self._key = None
        self.exported = 0

    @classmethod
    def from_crawler(cls, crawler) -> ExportPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        crawl_id = self.archive.crawl_id
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        self._key = f"articles/{crawl_id}/articles-{stamp}-{os.getpid()}.jsonl.gz"
        self._path = self.archive.local_path(self._key)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        # at the archive's gzip level (gzip.open's own default is 9: a third more CPU, ~same size)
        self._file = gzip.open(self._path, "wb", compresslevel=self.archive.gzip_level)  # noqa: SIM115 - closed in close_spider

    async def process_item(self, item):
        adapter = ItemAdapter(item)
        record = {k: v for k, v in adapter.items() if k not in _NOT_EXPORTED}
        capture = record.get("capture") or {}
        payload = json.dumps(record, ensure_ascii=False, default=str).encode("utf-8")
        url = record.get("final_url") or record["url"]
        headers = {"WARC-Refers-To-Target-URI": url}
        if capture.get("record_id"):
            headers["WARC-Refers-To"] = capture["record_id"]
        if capture.get("date"):
            headers["WARC-Refers-To-Date"] = capture["date"]
        metadata = self.archive.builder.create_warc_record(
            ARTICLE_URI_PREFIX + url,
            "metadata",
            payload=BytesIO(payload),
            length=len(payload),
            warc_content_type="application/json",
            warc_headers_dict=headers,
        )
        self.archive.write(metadata)
        self._file.write(payload + b"\n")
        self.exported += 1
        self.stats.inc_value("export/articles")
        return item

    def close_spider(self) -> None:
        if self._file is None:
            return
        self._file.close()
        if self.exported:
            self.archive.store.submit(self._path, self._key)
        else:
            self._path.unlink(missing_ok=True)
        log.info("export.closed", key=self._key, articles=self.exported)
