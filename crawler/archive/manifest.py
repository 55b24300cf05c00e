"""Reading a finished crawl back from its archive: its manifest and its article files.

``manifests/<crawl_id>.json`` (written by :class:`crawler.extensions.archive.WarcArchive` when the
crawl closes) names every WARC of the crawl, with its size, SHA-256 and CDXJ key. The crawl's
articles are the JSON lines files directly under ``articles/<crawl_id>/``; a re-extracted set
(``newsarchive reextract``) sits in a directory below it, ``reextract-<time>/``.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

from crawler.archive.store import ArchiveStore, check_key


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
