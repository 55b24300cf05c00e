"""Benchmark dedupe: its cost per article beside extraction's, and crawl-state size per 100k URLs.

    python bench/dedupe.py --devset /work/shared/devset [--limit N] [--urls 100000]
        [--redis-url redis://127.0.0.1:6379/0]

Per article of the dev set (in one run): trafilatura ``extract()`` on the page, then
canonicalization + MinHash signature + LSH query + insert on the extracted body, as
``pipelines.dedupe`` does. Then fills SQLite and Redis crawl state with N synthetic article URLs
(archived mark + story signature each, as a crawl leaves them) and reports bytes per 100,000 URLs,
write time, and the time to rebuild the in-memory story index from the stored signatures.
Redis keys go under a unique prefix and are deleted afterwards.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import trafilatura

from crawler.dedupe_state import DedupeState
from crawler.state import CrawlState, CrawlStateError, RedisCrawlState
from crawler.urls import canonicalize_url
from pipelines.dedupe import Signer, StoryIndex, story_id_for


def per_article(devset: Path, limit: int | None) -> None:
    truth = json.loads((devset / "ground-truth.json").read_text())
    pages = sorted((devset / "html").glob("*.html.gz"))[:limit]
    signer, index = Signer(), StoryIndex()
    extract_ms, dedupe_ms, canon_ms, words = [], [], [], []
    for path in pages:
        page_id = path.name.split(".")[0]
        html = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
        url = truth.get(page_id, {}).get("url") or f"https://example.org/{page_id}"
        t0 = time.perf_counter()
        body = trafilatura.extract(html) or ""
        t1 = time.perf_counter()
        key = canonicalize_url(url + "?utm_source=bench#top")
        t2 = time.perf_counter()
        sig = signer.sign(body)
        if sig is not None:
            match = index.match(sig, exclude=key)
            index.add(key, sig, match.story_id if match else story_id_for(key))
        t3 = time.perf_counter()
        extract_ms.append((t1 - t0) * 1000)
        canon_ms.append((t2 - t1) * 1000)
        dedupe_ms.append((t3 - t1) * 1000)
        words.append(len(body.split()))
    n = len(pages)
    print(f"per article, {n} dev-set pages (median body {statistics.median(words):.0f} words):")
    for name, values in (
        ("trafilatura extract()", extract_ms),
        ("dedupe: canonicalize+MinHash+LSH", dedupe_ms),
        ("  of which canonicalize_url", canon_ms),
    ):
        print(
            f"  {name:34s} median {statistics.median(values):7.3f} ms"
            f"  mean {statistics.fmean(values):7.3f} ms"
        )
    ratio = statistics.fmean(dedupe_ms) / statistics.fmean(extract_ms)
    print(f"  dedupe / extraction (means): {ratio:.3f}")


def fill(state: DedupeState, n: int, signer: Signer, part: str) -> float:
    """n article URLs: ``part`` "archived" marks them archived, "signatures" adds their signature."""
    text = "council budget vote library hours mayor statement river bridge flood transit " * 8
    sig = signer.encode(signer.sign(text))
    t0 = time.perf_counter()
    for i in range(n):
        url = f"https://www.example-news.com/2024/05/{i % 28 + 1:02d}/politics/story-slug-number-{i}.html"
        if part == "archived":
            state.mark_archived(url)
        else:
            state.remember_signature(url, story_id_for(url), sig)
    return time.perf_counter() - t0


def rebuild_seconds(state: DedupeState, signer: Signer) -> float:
    t0 = time.perf_counter()
    index = StoryIndex()
    for key, value in state.signatures():
        index.add(key, signer.decode(value["h"]), value["story"])
    return time.perf_counter() - t0


def state_sizes(n: int, redis_url: str) -> None:
    signer = Signer()
    per = 100_000 / n
    with tempfile.TemporaryDirectory() as tmp:
        store = CrawlState(Path(tmp) / "state.sqlite")
        sizes, seconds = [], 0.0
        for part in ("archived", "signatures"):
            seconds += fill(DedupeState(store), n, signer, part)
            store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            sizes.append((Path(tmp) / "state.sqlite").stat().st_size)
        rebuild = rebuild_seconds(DedupeState(store), signer)
        store.close()
    print(f"state, {n} article URLs (archived mark, then + story signature):")
    print(
        f"  SQLite: {sizes[0] * per / 1e6:6.1f} MB per 100k archived marks,"
        f" {sizes[1] * per / 1e6:6.1f} MB with signatures; write {seconds / n * 1e6:6.1f} us/URL;"
        f" index rebuild {rebuild * per:5.1f} s per 100k"
    )
    import redis

    client = redis.Redis.from_url(redis_url)
    prefix = f"newsarchive-bench-{uuid.uuid4().hex[:12]}"
    try:
        try:
            store = RedisCrawlState(redis_url, prefix)
        except CrawlStateError as exc:
            print(f"  Redis: skipped ({exc})")
            return
        before = client.info("memory")["used_memory"]
        usage, seconds = [], 0.0
        for part in ("archived", "signatures"):
            seconds += fill(DedupeState(store), n, signer, part)
            usage.append(
                sum(client.memory_usage(k, samples=0) or 0 for k in client.scan_iter(f"{prefix}:*"))
            )
        after = client.info("memory")["used_memory"]
        rebuild = rebuild_seconds(DedupeState(store), signer)
        store.close()
        print(
            f"  Redis:  {usage[0] * per / 1e6:6.1f} MB per 100k archived marks,"
            f" {usage[1] * per / 1e6:6.1f} MB with signatures (MEMORY USAGE; used_memory delta"
            f" {(after - before) * per / 1e6:.1f} MB); write {seconds / n * 1e6:6.1f} us/URL;"
            f" index rebuild {rebuild * per:5.1f} s per 100k"
        )
    finally:
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devset", type=Path, default=Path("/work/shared/devset"))
    parser.add_argument("--limit", type=int, default=None, help="first N dev-set pages only")
    parser.add_argument("--urls", type=int, default=100_000, help="URLs to fill state with")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args(argv)
    if not (args.devset / "html").is_dir() or not (args.devset / "ground-truth.json").is_file():
        print(
            f"--devset {args.devset}: no html/ and ground-truth.json there (the extraction dev set,"
            " see /work/shared/devset/README.md)",
            file=sys.stderr,
        )
        return 2
    per_article(args.devset, args.limit)
    state_sizes(args.urls, args.redis_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
