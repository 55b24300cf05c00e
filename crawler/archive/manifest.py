"""Reading a finished crawl back from its archive: its manifest and its article files.

``manifests/<crawl_id>.json`` (written by :class:`crawler.extensions.archive.WarcArchive` when the
crawl closes) names every WARC of the crawl, with its size, SHA-256 and CDXJ key, and its sites:
``sites`` lists their names, ``site`` is the one site's name (None for a crawl of several; older
manifests have only ``site``, see :func:`crawl_sites`). The crawl's articles are the JSON lines
files directly under ``articles/<crawl_id>/``; a re-extracted set (``newsarchive reextract``) sits
in a directory below it, ``reextract-<time>/``.

Several processes of one crawl (``REDIS_URL``, the same ``ARCHIVE_CRAWL_ID``) still write one
manifest: :class:`SharedManifest` has the last of them merge everyone's (:func:`merge_manifests`:
every file, summed stats, and per process its own under ``workers``).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import structlog

from crawler.archive.store import ArchiveStore, check_key
from crawler.crawl_id import host_name
from crawler.peers import CrawlPeers

log = structlog.get_logger(__name__)


class UnknownCrawl(LookupError):
    """No crawl of that id in the archive (or an id that cannot be one): one line for the user."""


def manifest_key(crawl_id: str) -> str:
    return f"manifests/{crawl_id}.json"


def read_manifest(store: ArchiveStore, crawl_id: str) -> dict:
    """The crawl's manifest, its ``files`` completed with the WARCs of the crawl it does not list
    (a crash's, repaired by a later run: ``size`` and ``sha256`` None); a crawl with WARCs but
    no manifest (a ``kill -9``) gets one with just its files. :class:`UnknownCrawl` names the
    crawl and the archive when it has neither."""
    try:
        key = check_key(manifest_key(crawl_id))
    except ValueError:
        raise UnknownCrawl(f"{crawl_id!r} is not a crawl id") from None
    if "/" in crawl_id:
        raise UnknownCrawl(f"{crawl_id!r} is not a crawl id")
    try:
        manifest = json.loads(store.read(key))
    except FileNotFoundError:
        manifest = {"crawl_id": crawl_id, "files": [], "finish_reason": "no manifest (crashed)"}
    except ValueError as exc:
        raise UnknownCrawl(f"{store.uri}: {key} is not a crawl manifest ({exc})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        raise UnknownCrawl(f"{store.uri}: {key} is not a crawl manifest (no file list)")
    listed = {f["key"] for f in manifest["files"]}
    for warc_key in store.list(f"warc/{crawl_id}/"):
        name = warc_key.rsplit("/", 1)[-1]
        if warc_key in listed or not name.endswith(".warc.gz"):
            continue
        stem = name.removesuffix(".warc.gz")
        manifest["files"].append(
            {
                "name": name,
                "key": warc_key,
                "size": None,
                "sha256": None,
                "cdxj": f"cdxj/{crawl_id}/{stem}.cdxj",
            }
        )
    if not manifest["files"]:
        raise UnknownCrawl(f"no crawl {crawl_id!r} in {store.uri} (no {key})")
    return manifest


def article_keys(store: ArchiveStore, crawl_id: str) -> list[str]:
    """The crawl's own article files, oldest first (not the re-extracted sets below them)."""
    prefix = f"articles/{crawl_id}/"
    return [
        k for k in store.list(prefix) if "/" not in k[len(prefix) :] and k.endswith(".jsonl.gz")
    ]


def read_articles(store: ArchiveStore, key: str) -> Iterator[dict]:
    """The articles of one JSON lines file (gzipped) of the store."""
    for line in gzip.decompress(store.read(key)).decode("utf-8").splitlines():
        if line.strip():
            yield json.loads(line)


def latest_crawl(store: ArchiveStore) -> str:
    """The id of the crawl that finished last, or :class:`UnknownCrawl` if there is none."""
    finished = []
    for key in store.list("manifests/"):
        if key.endswith(".json") and key.count("/") == 1:
            try:
                manifest = json.loads(store.read(key))
            except (OSError, ValueError):
                continue
            finished.append((str(manifest.get("finished") or ""), manifest.get("crawl_id") or ""))
    if not finished:
        raise UnknownCrawl(f"no crawl in {store.uri} (no manifests/*.json)")
    return max(finished)[1]


def crawl_sites(manifest: dict) -> list[str]:
    """The names of the sites a crawl covered (its manifest's ``sites``, else its one ``site``)."""
    sites = manifest.get("sites")
    if isinstance(sites, list) and sites:
        return [str(s) for s in sites]
    return [manifest["site"]] if manifest.get("site") else []


# --- one manifest for the processes of one crawl (REDIS_URL) ------------------------------------

MANIFEST_PARTS = "manifest"  # the crawl's hash of parts, one per process (crawler.peers)


def archive_identity(uri: str) -> str:
    """What tells two processes they write into the same archive: an ``s3://`` URI as it is, a
    local directory by host and absolute path (``./archive`` on two machines is two archives)."""
    if "://" in uri and not uri.startswith("file://"):
        return uri
    return f"{host_name()}:{Path(uri.removeprefix('file://')).resolve()}"


class SharedManifest:
    """The manifest of a crawl that several processes write (``REDIS_URL``): still one file.

    Each process records its part in Redis (:meth:`crawler.peers.CrawlPeers.put_part`): ``open``
    when it starts, its own manifest when it closes. A closing process then writes
    ``manifests/<crawl_id>.json`` only if no other process writing into the same archive is still
    open and alive (heartbeat, :meth:`crawler.peers.CrawlPeers.alive`), merging every closed part
    (:func:`merge_manifests`). Each records its part before it looks at the others', so of two
    closing at once at least one sees both parts closed: the last manifest written lists every
    file. A process killed before it closed has no part; its WARCs, repaired by a later run, are
    listed by :func:`read_manifest` from the store.
    """

    def __init__(self, peers: CrawlPeers, uri: str) -> None:
        self.peers = peers
        self.archive = archive_identity(uri)
        self.since = ""  # when this process opened its part

    @classmethod
    def from_settings(cls, settings) -> SharedManifest | None:
        peers = CrawlPeers.from_settings(settings)
        return None if peers is None else cls(peers, settings.get("ARCHIVE_URI"))

    def open(self) -> None:
        self.since = datetime.now(UTC).isoformat()
        self.peers.put_part(MANIFEST_PARTS, {"archive": self.archive, "open": True})

    def close(self, manifest: dict) -> dict | None:
        """Record this process's ``manifest``; the crawl's merged manifest if this process is the
        last one of the archive to close, else None (a later one writes it)."""
        until = datetime.now(UTC).isoformat()
        part = {"archive": self.archive, "open": False, "until": until, "manifest": manifest}
        self.peers.put_part(MANIFEST_PARTS, part)
        parts = {
            name: p
            for name, p in self.peers.parts(MANIFEST_PARTS).items()
            if p.get("archive") == self.archive
        }
        alive = self.peers.alive()
        running = sorted(n for n, p in parts.items() if p.get("open") and n in alive)
        self.peers.close()
        if running:
            log.info("archive.manifest_left_to_others", running=running)
            return None
        closed = {n: p["manifest"] for n, p in parts.items() if not p.get("open")}
        closed.pop(self.peers.me, None)
        # this run: the processes still at work when this one started (a resumed crawl id also
        # has the parts of its earlier runs: their files count, not their finish reason)
        current = {n for n, p in parts.items() if str(p.get("until", "")) >= self.since}
        return merge_manifests({**closed, self.peers.me: manifest}, current)


def merge_manifests(parts: dict[str, dict], current: set[str] | None = None) -> dict:
    """One crawl manifest from the manifests of the processes that wrote it (by ``HOST-PID``, the
    last one the process merging; ``current``: those of this run, when earlier runs of the crawl
    id took part too). Its fields are the last one's, but:

    - ``files``: every process's, each once, by name (a WARC's name starts with its time);
    - ``started`` / ``finished``: the first start, the last finish; ``finish_reason``: ``finished``
      if every process of this run finished, else the first other reason;
    - ``stats``: the processes' numbers added up (the last one's other values);
    - lists (``sites``): every process's items, each once;
    - ``workers``: per process: its finish reason, times, WARC files and own stats.
    """
    manifests = list(parts.values())
    merged = dict(manifests[-1])
    files: dict[str, dict] = {}
    for manifest in manifests:
        for entry in manifest.get("files", []):
            files.setdefault(entry["key"], entry)
    merged["files"] = sorted(files.values(), key=lambda f: f["name"])
    for name, value in list(merged.items()):
        if name == "files" or not isinstance(value, list):
            continue
        items = [v for m in manifests for v in m.get(name) or []]
        if all(isinstance(v, str) for v in items):  # names (sites): each once
            merged[name] = list(dict.fromkeys(items))
    starts = [m["started"] for m in manifests if m.get("started")]
    ends = [m["finished"] for m in manifests if m.get("finished")]
    merged["started"] = min(starts) if starts else merged.get("started")
    merged["finished"] = max(ends) if ends else merged.get("finished")
    reasons = [m.get("finish_reason") for n, m in parts.items() if current is None or n in current]
    merged["finish_reason"] = next((r for r in reasons if r != "finished"), "finished")
    stats = dict(merged.get("stats") or {})
    for key in {k for m in manifests for k in m.get("stats") or {}}:
        values = [(m.get("stats") or {}).get(key) for m in manifests]
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if numbers and len(numbers) == len([v for v in values if v is not None]):
            stats[key] = sum(numbers)
    merged["stats"] = stats
    merged["totals"] = {
        "files": len(merged["files"]),
        "bytes": sum(f.get("size") or 0 for f in merged["files"]),
        "records": sum(sum((f.get("records") or {}).values()) for f in merged["files"]),
    }
    merged["workers"] = [
        {
            "worker": name,
            "started": m.get("started"),
            "finished": m.get("finished"),
            "finish_reason": m.get("finish_reason"),
            "files": [f["name"] for f in merged["files"] if _written_by(f["name"], name)],
            "stats": m.get("stats") or {},
        }
        for name, m in sorted(parts.items())
    ]
    return merged


def _written_by(warc_name: str, writer: str) -> bool:
    """A WARC's name ends with the ``HOST-PID`` of the process that wrote it."""
    return warc_name.removesuffix(".warc.gz").endswith(f"-{writer}")
