"""One crawl as a WACZ package (``newsarchive wacz CRAWL_ID -o FILE.wacz``), for ReplayWeb.page,
pywb and anything else that reads the format: https://specs.webrecorder.net/wacz/1.2.0/

The crawl's manifest (``manifests/<crawl_id>.json``) names its WARCs, each with its CDXJ index
and SHA-256 (WARCs a crash left outside it are found under ``warc/<crawl_id>/``:
:func:`crawler.archive.manifest.read_manifest`); its articles are the JSON lines files directly
under ``articles/<crawl_id>/`` (a ``reextract-*`` set below it is not the crawl's own). The
package holds:

- ``archive/<name>.warc.gz``: each WARC as stored, ZIP ``STORE`` mode (already gzipped, and a
  reader seeks into it by the offsets of the index), checked against the manifest's SHA-256 while
  it is copied, in parts (a WARC is never read whole into memory, but one the manifest does not
  list: its size is not known);
- ``indexes/index.cdx``: the CDXJ lines of every WARC, merged in SURT order; each line's
  ``filename`` is the WARC's name in ``archive/``, where WACZ readers look it up (as py-wacz
  writes it);
- ``pages/pages.jsonl``: one page per article (URL, capture time, title and its text), so a
  reader lists and searches the articles;
- ``datapackage.json`` (every file's ``sha256`` and size) and
  ``datapackage-digest.json`` (the ``sha256`` of ``datapackage.json``).

Where WACZ 1.2.0 and the reference validator disagree, the validator wins: 1.2.0 sets
``profile`` to ``wacz`` and drops ``wacz_version``, but py-wacz's ``wacz validate`` (0.6, the
latest) checks ``datapackage.json`` with frictionless, which cannot resolve a ``wacz`` profile, and
accepts only ``wacz_version: 1.1.1``. So the package says ``profile: data-package`` and
``wacz_version: 1.1.1``, as 1.1.1 did, and is otherwise 1.2.0 (``modified``, ``software``, CDXJ
index). ReplayWeb.page reads either.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import os
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import structlog

import crawler
from crawler.archive.manifest import UnknownCrawl, article_keys, read_articles, read_manifest
from crawler.archive.store import ArchiveStore

log = structlog.get_logger(__name__)

# See the module docstring: what py-wacz's ``wacz validate`` accepts.
PROFILE = "data-package"
WACZ_VERSION = "1.1.1"
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "Articles", "hasText": True}
_CHUNK = 8 << 20  # bytes per ranged read of a WARC


class WaczError(Exception):
    """What stops a package: an unknown crawl, a missing or corrupt file. One line for the user."""


@dataclass
class WaczSummary:
    path: Path
    crawl_id: str
    warcs: int = 0
    warc_bytes: int = 0
    index_lines: int = 0
    pages: int = 0
    bytes: int = 0
    resources: list[dict] = field(default_factory=list)


def build_wacz(
    store: ArchiveStore,
    crawl_id: str,
    out: str | Path,
    *,
    progress: Callable[[str, dict], None] | None = None,
) -> WaczSummary:
    """Write the WACZ of crawl ``crawl_id`` of ``store`` to ``out`` (whole, then renamed: a reader
    never sees half a package)."""
    try:
        manifest = read_manifest(store, crawl_id)
    except UnknownCrawl as exc:
        raise WaczError(str(exc)) from None
    warcs = manifest.get("files") or []
    out = Path(out)
    summary = WaczSummary(path=out, crawl_id=crawl_id)
    tmp = out.with_name(out.name + ".tmp")
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(tmp, "w", allowZip64=True) as wacz:
            resources = summary.resources
            for entry in warcs:
                resources.append(_add_warc(wacz, store, entry))
                summary.warcs += 1
                summary.warc_bytes += resources[-1]["bytes"]
                _say(progress, "wacz.warc_added", name=entry["name"], bytes=resources[-1]["bytes"])
            index = _index_text(store, warcs).encode("utf-8")
            summary.index_lines = index.count(b"\n")
            resources.append(_add_bytes(wacz, "indexes/index.cdx", index))
            pages = list(_pages(store, crawl_id))
            summary.pages = len(pages) - 1
            body = "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in pages)
            resources.append(_add_bytes(wacz, "pages/pages.jsonl", body.encode("utf-8")))
            _say(progress, "wacz.indexed", lines=summary.index_lines, pages=summary.pages)
            package = _datapackage(manifest, resources)
            wacz.writestr(_info("datapackage.json"), package)
            digest = {"path": "datapackage.json", "hash": _sha256(package)}
            wacz.writestr(_info("datapackage-digest.json"), json.dumps(digest, indent=2))
        tmp.replace(out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    summary.bytes = out.stat().st_size
    return summary


def _say(progress, event: str, **fields) -> None:
    log.info(event, **fields)
    if progress is not None:
        progress(event, fields)


def _info(path: str, compress: int = zipfile.ZIP_DEFLATED) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, datetime.now(UTC).timetuple()[:6])
    info.compress_type = compress
    info.external_attr = 0o644 << 16
    return info


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _resource(path: str, digest: str, size: int) -> dict:
    return {"name": os.path.basename(path).lower(), "path": path, "hash": digest, "bytes": size}


def _add_bytes(wacz: zipfile.ZipFile, path: str, data: bytes) -> dict:
    wacz.writestr(_info(path), data)
    return _resource(path, _sha256(data), len(data))


def _add_warc(wacz: zipfile.ZipFile, store: ArchiveStore, entry: dict) -> dict:
    """Copy one WARC into ``archive/`` (STORE), hashing it on the way; its SHA-256 must be the
    manifest's."""
    path = f"archive/{entry['name']}"
    if entry.get("size") is None:  # a WARC the manifest does not list (a crash's): read whole
        try:
            data = store.read(entry["key"])
        except FileNotFoundError:
            raise WaczError(f"{store.uri}: {entry['key']} is missing") from None
        wacz.writestr(_info(path, zipfile.ZIP_STORED), data)
        return _resource(path, _sha256(data), len(data))
    size = int(entry["size"])
    info = _info(path, zipfile.ZIP_STORED)
    info.file_size = size  # lets zipfile choose ZIP64 for a WARC past 2 GiB up front
    hasher = hashlib.sha256()
    copied = 0
    try:
        with wacz.open(info, "w") as dest:
            while copied < size:
                chunk = store.read_range(entry["key"], copied, min(_CHUNK, size - copied))
                if not chunk:
                    break
                hasher.update(chunk)
                dest.write(chunk)
                copied += len(chunk)
    except FileNotFoundError:
        raise WaczError(
            f"{store.uri}: {entry['key']} is missing (listed in the manifest)"
        ) from None
    if copied != size or (entry.get("sha256") and hasher.hexdigest() != entry["sha256"]):
        raise WaczError(
            f"{store.uri}: {entry['key']} does not match the manifest "
            f"({copied} of {size} bytes, sha256 {hasher.hexdigest()[:12]}…)"
        )
    return _resource(path, "sha256:" + hasher.hexdigest(), size)


def _index_text(store: ArchiveStore, warcs: list[dict]) -> str:
    """Every WARC's CDXJ lines, merged (each file is sorted already), ``filename`` = the WARC's
    name in ``archive/``."""
    per_file: list[Iterator[str]] = []
    for entry in warcs:
        key = entry["cdxj"]
        try:
            text = store.read(key).decode("utf-8")
        except FileNotFoundError:
            raise WaczError(
                f"{store.uri}: {key} is missing (the index of {entry['name']})"
            ) from None
        per_file.append(_refile(sorted(text.splitlines()), entry["name"]))
    return "".join(line + "\n" for line in heapq.merge(*per_file))


def _refile(lines: list[str], name: str) -> Iterator[str]:
    for line in lines:
        if not line.strip():
            continue
        key, ts, fields = line.split(" ", 2)
        record = json.loads(fields)
        record["filename"] = name
        yield f"{key} {ts} {json.dumps(record)}"


def _pages(store: ArchiveStore, crawl_id: str) -> Iterator[dict]:
    """The pages header, then one page per article: the URL its capture holds, the capture's time,
    its title and text."""
    yield PAGES_HEADER
    for key in article_keys(store, crawl_id):
        for article in read_articles(store, key):
            capture = article.get("capture") or {}
            page = {
                "id": (capture.get("record_id") or article["url"]).strip("<>"),
                "url": article.get("final_url") or article["url"],
                "ts": _rfc3339(capture.get("date")),
                "title": article.get("title") or "",
                "text": article.get("body") or "",
            }
            yield {k: v for k, v in page.items() if v is not None}


def _rfc3339(warc_date: str | None) -> str | None:
    """A WARC-Date (``2026-12-02T13:51:00.123456Z``) as RFC 3339 to the second."""
    if not warc_date:
        return None
    try:
        parsed = datetime.fromisoformat(warc_date.replace("Z", "+00:00"))
    except ValueError:
        return warc_date
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _datapackage(manifest: dict, resources: list[dict]) -> bytes:
    crawl_id = manifest["crawl_id"]
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    package = {
        "profile": PROFILE,
        "wacz_version": WACZ_VERSION,
        "title": f"newsarchive crawl {crawl_id}",
        "description": (
            f"Crawl {crawl_id}"
            + (f" of site {manifest['site']}" if manifest.get("site") else "")
            + f", {manifest.get('started', '?')} to {manifest.get('finished', '?')}"
            + f" ({manifest.get('finish_reason', 'unknown')})."
        ),
        "created": now,
        "modified": now,
        "software": f"newsarchive/{crawler.__version__}",
        "resources": resources,
    }
    return json.dumps(package, indent=2).encode("utf-8")
