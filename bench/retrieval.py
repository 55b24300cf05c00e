"""Retrieval latency at archive scale: ``/cdx`` exact lookups, ``get`` (local and SeaweedFS) and
full-text search over an index of 1,000,000 captures and 100,000 articles.

The index is a fresh SQLite file, filled through the index's own insert path
(``ArchiveIndex.add``) with synthetic rows (URLs on 5,000 hosts, 2.5 captures per URL; article
bodies of 300 words drawn from a 30,000-word Zipf vocabulary), plus the rows of a real small
archive: one crawl of the bundled demo site, added by ``crawler.retrieval.ingest`` from its CDXJ.
``get`` reads that crawl's records: from the local archive, and from a real SeaweedFS
(tests/s3server.py) holding the same files, each with one ranged read (bytes read are counted:
the record's length plus at most 1 KiB is the goal).

``/cdx`` is timed through ``newsarchive serve`` (HTTP, one kept-alive connection) when
crawler/retrieval/cdx.py exists, else as the index query behind it (and the output says so).
Search is timed as the index query (``articles(text=..., limit=20)``) and, with the server, as
``GET /articles?q=...&limit=20`` (facets included).

    python bench/retrieval.py                                   # 1,000,000 captures, 100,000 articles
    python bench/retrieval.py --captures 100000 --articles 10000  # a quick run
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np
import structlog

from crawler.archive.cdxj import url_key
from crawler.archive.stores import open_store
from crawler.retrieval.index import SqliteIndex
from crawler.retrieval.ingest import index_warc, warc_key_of
from crawler.retrieval.reader import RecordReader
from tests.helpers import free_port, run_cli, wait_for_port, write_demo_site_file
from tests.s3server import SeaweedS3, isolate_aws_env

TARGETS_MS = {"cdx": 10, "get_local": 30, "get_s3": 60, "search": 150}
HOSTS = 5000
VOCABULARY = 30_000
BODY_WORDS = 300
SLACK = 1024  # bytes a get may read beyond its record


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, round(q / 100 * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


def timed(samples: list, call: Callable[[object], object]) -> list[float]:
    """Milliseconds of ``call(sample)`` for each sample (after a few untimed warm-up calls)."""
    for sample in samples[:5]:
        call(sample)
    times = []
    for sample in samples:
        started = time.perf_counter()
        call(sample)
        times.append((time.perf_counter() - started) * 1000)
    return times


# -- synthetic rows ------------------------------------------------------------------------------


def _host(h: int) -> tuple[str, str]:
    """(host, its SURT host part) of synthetic host ``h``."""
    return f"www.news{h}.example.com", f"com,example,news{h}"


def synthetic_url(u: int) -> tuple[str, str]:
    """(URL, SURT key) of synthetic URL number ``u``: built directly, as surt would build it."""
    host, surt_host = _host(u % HOSTS)
    path = f"/section{u % 17}/2026/{1 + u % 12:02d}/{1 + u % 28:02d}/story-{u}/"
    return f"https://{host}{path}", f"{surt_host})" + path.rstrip("/")


def capture_rows(count: int, rng: random.Random) -> Iterator[list[dict]]:
    urls = max(1, count * 2 // 5)  # 2.5 captures per URL
    batch: list[dict] = []
    for i in range(count):
        u = i % urls
        url, key = synthetic_url(u)
        day = 1 + (u % 28)
        stamp = f"2026{1 + (i // urls) % 12:02d}{day:02d}{rng.randrange(24):02d}{rng.randrange(60):02d}{rng.randrange(60):02d}"
        revisit = rng.random() < 0.1
        batch.append(
            {
                "urlkey": key,
                "timestamp": stamp,
                "url": url,
                "mime": "warc/revisit" if revisit else "text/html",
                "status": 200,
                "digest": f"sha1:{rng.getrandbits(160):040x}",
                "warc_key": f"warc/synthetic/file-{i // 20000:05d}.warc.gz",
                "record_offset": (i % 20000) * 9000,
                "record_length": 4000 + rng.randrange(5000),
                "record_type": "revisit" if revisit else "response",
            }
        )
        if len(batch) == 20000:
            yield batch
            batch = []
    if batch:
        yield batch


def vocabulary(rng: random.Random) -> np.ndarray:
    syllables = [a + b for a in "bcdfghklmnprstvwz" for b in ("a", "e", "i", "o", "u", "ai", "ou")]
    words = set()
    while len(words) < VOCABULARY:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))))
    return np.array(sorted(words, key=lambda w: (len(w), w)))  # short words most frequent


def article_rows(count: int, words: np.ndarray, seed: int) -> Iterator[list[dict]]:
    gen = np.random.default_rng(seed)
    weights = 1.0 / (np.arange(len(words)) + 2.7)
    weights /= weights.sum()
    languages = ["en", "en-GB", "fr", "de", "es"]
    for start in range(0, count, 5000):
        n = min(5000, count - start)
        drawn = words[gen.choice(len(words), size=(n, BODY_WORDS), p=weights)]
        batch = []
        for j in range(n):
            a = start + j
            url, _ = synthetic_url(a * 3)
            text = drawn[j]
            body = "\n\n".join(" ".join(text[k : k + 60]) for k in range(0, BODY_WORDS, 60))
            title = " ".join(text[:8]).capitalize()
            day = f"2026-{1 + a % 12:02d}-{1 + a % 28:02d}"
            row = {
                "url": url,
                "final_url": url,
                "title": title,
                "authors": [f"Writer {a % 300}"],
                "published": f"{day}T09:00:00+00:00",
                "site": f"site{a % 40}",
                "site_name": f"The Daily {a % 40}",
                "language": languages[a % len(languages)],
                "tags": [f"tag{a % 50}", f"tag{a % 7}"],
                "body": body,
                "story_id": f"story-{a // 2:016x}",
            }
            batch.append(
                {
                    **row,
                    "warc_key": f"warc/synthetic/articles-{a // 20000:05d}.warc.gz",
                    "record_offset": (a % 20000) * 5000,
                    "record_length": 3000,
                    "timestamp": day.replace("-", "") + "100000",
                    "day": day,
                    "capture_file": None,
                    "capture_offset": None,
                    "record": json.dumps(row, ensure_ascii=False),
                }
            )
        yield batch


# -- the real small archive ----------------------------------------------------------------------


def demo_crawl(work: Path) -> Path:
    """One crawl of the bundled demo site into ``work/archive``."""
    from crawler.demo_site import DemoSite

    with DemoSite(port=0) as site:
        write_demo_site_file(work / "sites", site.base_url)
        crawl = run_cli("crawl", "demo", "--archive", str(work / "archive"), cwd=work)
    if crawl.returncode != 0:
        raise SystemExit(f"the demo crawl failed:\n{crawl.stderr[-3000:]}")
    return work / "archive"


def add_archive(index: SqliteIndex, archive: Path) -> None:
    """The demo crawl's rows added to ``index``, as the crawl adds them (from its CDXJ)."""
    store = open_store(str(archive))
    for cdxj_key in store.list("cdxj/"):
        warc_key = warc_key_of(cdxj_key)
        lines = store.read(cdxj_key).decode("utf-8").splitlines()
        index_warc(index, warc_key, lines, lambda o, n, k=warc_key: store.read_range(k, o, n))


def pages_of(archive: Path) -> list[str]:
    """The URLs of the demo crawl's pages (status 200)."""
    store = open_store(str(archive))
    urls = set()
    for key in store.list("cdxj/"):
        for line in store.read(key).decode().splitlines():
            fields = json.loads(line.split(" ", 2)[2])
            if str(fields.get("status")) == "200" and fields["url"].startswith("http"):
                urls.add(fields["url"])
    return sorted(urls)


# -- what is measured ----------------------------------------------------------------------------


class CountingStore:
    """Wraps a store's ``read_range``: bytes asked for and bytes read per call."""

    def __init__(self, store) -> None:
        self.store = store
        self.reads: list[tuple[int, int]] = []  # (length asked, bytes read)
        self.over_the_wire: list[int] = []
        real = store.read_range

        def read_range(key: str, offset: int, length: int) -> bytes:
            data = real(key, offset, length)
            self.reads.append((length, len(data)))
            return data

        store.read_range = read_range
        client = getattr(store, "client", None)
        if client is not None:  # S3: what the server sent, from the response's Content-Length
            client.meta.events.register(
                "after-call.s3.GetObject",
                lambda parsed, **_: self.over_the_wire.append(int(parsed.get("ContentLength", 0))),
            )


def measure_get(index: SqliteIndex, store, urls: list[str], samples: int) -> dict:
    counting = CountingStore(store)
    reader = RecordReader(store, index)
    picks = [urls[i % len(urls)] for i in range(samples)]
    random.Random(7).shuffle(picks)  # noqa: S311 - a fixed, repeatable order

    def get(url: str) -> bytes:
        rows = index.captures(url_key(url), "exact")
        row = max(rows, key=lambda r: (r["timestamp"], r["warc_key"], r["record_offset"]))
        return reader.exchange(row).body()

    times = timed(picks, get)
    extra = [read - asked for asked, read in counting.reads]
    wire = counting.over_the_wire
    return {
        "times": times,
        "reads_per_get": len(counting.reads) / (len(picks) + min(5, len(picks))),
        "max_extra_bytes": max(extra) if extra else 0,
        "bytes_per_read": statistics.mean(read for _, read in counting.reads),
        "max_wire_extra": (max(w - a for (a, _), w in zip(counting.reads, wire, strict=False)))
        if wire
        else None,
    }


class Server:
    """``newsarchive serve`` on a free port, over the bench's index and archive."""

    def __init__(self, archive: Path, index_path: Path, work: Path) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "ARCHIVE_INDEX_URL": f"sqlite:///{index_path}",
        }
        self.log = work / "serve.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "crawler.cli", "serve", "--archive", str(archive),
                 "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            wait_for_port(self.port, timeout=60)
        except TimeoutError:
            self.stop()
            raise SystemExit(
                f"newsarchive serve did not start:\n{self.log.read_text()[-3000:]}"
            ) from None
        self.conn = self._connect()

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def get(self, path: str, *, fresh: bool = False) -> tuple[int, bytes]:
        """One GET on the kept-alive connection (as a browser or a client library sends it), or
        ``fresh``: on a connection of its own (as curl does)."""
        if fresh:
            conn = self._connect()
            try:
                conn.request("GET", path, headers={"Connection": "close"})
                response = conn.getresponse()
                return response.status, response.read()
            finally:
                conn.close()
        for attempt in (1, 2):
            try:
                self.conn.request("GET", path)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = self._connect()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def stop(self) -> None:
        if getattr(self, "conn", None):
            self.conn.close()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def report(name: str, times: list[float], target: str | None, note: str = "") -> None:
    p50, p99 = percentile(times, 50), percentile(times, 99)
    verdict = ""
    if target:
        limit = TARGETS_MS[target]
        verdict = f"  target p99 < {limit} ms: {'met' if p99 < limit else 'MISSED'}"
    print(f"  {name:38s} p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  (n={len(times)}){verdict}")
    if note:
        print(f"    {note}")


def build(work: Path, captures: int, articles: int) -> tuple[SqliteIndex, Path, Path, list[str]]:
    """The index (reused when ``work`` holds one of this size), the demo archive, its pages."""
    index_path = work / "bench-index.sqlite"
    size_file = work / "bench-index.json"
    size = {"captures": captures, "articles": articles}
    archive = work / "demo" / "archive"
    if size_file.exists() and json.loads(size_file.read_text()) == size and archive.is_dir():
        index = SqliteIndex(index_path)
        print(f"index: reused {index_path} ({index_path.stat().st_size / 1e6:,.0f} MB)")
        return index, index_path, archive, pages_of(archive)
    for stale in work.glob("bench-index.*"):
        stale.unlink()
    shutil.rmtree(work / "demo", ignore_errors=True)
    rng = random.Random(11)  # noqa: S311 - reproducible synthetic rows
    started = time.perf_counter()
    index = SqliteIndex(index_path)
    for n, (url, key) in enumerate(map(synthetic_url, (0, 1, 4999, 123457))):
        assert url_key(url) == key, (n, url, url_key(url), key)
    for batch in capture_rows(captures, rng):
        index.add(batch, [])
    captures_s = time.perf_counter() - started
    for batch in article_rows(articles, vocabulary(rng), seed=5):
        index.add([], batch)
    articles_s = time.perf_counter() - started - captures_s
    archive = demo_crawl(work / "demo")
    add_archive(index, archive)
    index._execute("ANALYZE")
    size_file.write_text(json.dumps(size))
    print(
        f"index: {index.count('captures'):,} captures ({captures_s:.0f} s), "
        f"{index.count('articles'):,} articles ({articles_s:.0f} s), "
        f"{index_path.stat().st_size / 1e6:,.0f} MB; real archive: one demo crawl"
    )
    return index, index_path, archive, pages_of(archive)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--captures", type=int, default=1_000_000, help="default 1,000,000")
    parser.add_argument("--articles", type=int, default=100_000, help="default 100,000")
    parser.add_argument("--samples", type=int, default=1000, help="timed calls per measure")
    parser.add_argument(
        "--keep",
        metavar="DIR",
        help="build in DIR and keep it; a later run of the same size reuses it",
    )
    args = parser.parse_args(argv)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    work = Path(args.keep or tempfile.mkdtemp(prefix="newsarchive-bench-retrieval-"))
    work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(13)  # noqa: S311 - the same samples in every run
    server = weed = None
    try:
        index, index_path, archive, demo_urls = build(work, args.captures, args.articles)
        has_cdx = (REPO / "crawler" / "retrieval" / "cdx.py").exists()
        if (REPO / "crawler" / "retrieval" / "server.py").exists():
            server = Server(archive, index_path, work)
        print(f"latency ({len(demo_urls)} pages of the demo crawl for get):")

        # -- /cdx exact lookups -------------------------------------------------------------
        urls = max(1, args.captures * 2 // 5)
        lookups = [synthetic_url(rng.randrange(urls))[0] for _ in range(args.samples)]
        if has_cdx and server:
            live = server

            def cdx(url: str, fresh: bool = False) -> None:
                path = f"/cdx?url={urllib.parse.quote(url, safe='')}&output=json"
                status, body = live.get(path, fresh=fresh)
                assert status == 200, (status, body[:200])
                assert body, f"/cdx found no capture of {url}"

            kept = timed(lookups, cdx)
            fresh = timed(lookups, lambda url: cdx(url, fresh=True))
            report("/cdx exact, HTTP (kept-alive conn.)", kept, "cdx")
            report("/cdx exact, HTTP (a conn. per request)", fresh, "cdx")
            if percentile(kept, 50) > percentile(fresh, 50) + 30:
                print(
                    "    a kept-alive connection waits ~40 ms per answer: the server writes its "
                    "head and body in two small sends and Nagle's algorithm holds the second "
                    "until the client's delayed ACK (set disable_nagle_algorithm on the handler)"
                )
        else:
            report(
                "/cdx exact (index query)",
                timed(lookups, lambda url: index.captures(url_key(url), "exact")),
                "cdx",
                "crawler/retrieval/cdx.py or server.py is not there: timed the index query /cdx runs",
            )

        # -- get ----------------------------------------------------------------------------
        get_samples = min(args.samples, 500)
        local = measure_get(index, open_store(str(archive)), demo_urls, get_samples)
        report("get, local archive", local["times"], "get_local")
        weed = SeaweedS3(work / "weed")
        os.environ.clear()
        os.environ.update(isolate_aws_env())
        os.environ.update(weed.env())
        weed.start()
        bucket = weed.create_bucket("bench-retrieval")
        client = weed.client()
        for path in sorted(p for p in archive.rglob("*") if p.is_file()):
            key = path.relative_to(archive).as_posix()
            if key.startswith(("warc/", "cdxj/")):
                client.upload_file(str(path), bucket, f"news/{key}")
        s3_store = open_store(f"s3://{bucket}/news", spool_dir=work / "empty-spool")
        remote = measure_get(index, s3_store, demo_urls, get_samples)
        report("get, SeaweedFS (ranged GET)", remote["times"], "get_s3")
        worst = max(local["max_extra_bytes"], remote["max_extra_bytes"])
        wire = remote["max_wire_extra"]
        print(
            f"  bytes per get: {local['reads_per_get']:.2f} ranged read(s) of "
            f"{local['bytes_per_read']:,.0f} bytes on average; at most {worst} byte(s) beyond the "
            f"record (goal <= {SLACK}); SeaweedFS sent at most "
            f"{wire if wire is not None else '?'} byte(s) beyond the range asked for"
        )

        # -- full-text search ---------------------------------------------------------------
        total = index.count("articles")
        queries = []
        for _ in range(min(args.samples, 500)):
            body = index._execute(
                "SELECT body FROM articles WHERE id = ?", [rng.randrange(args.articles) + 1]
            )[0][0].split()
            at = rng.randrange(len(body) - 2)
            queries.append(" ".join(body[at : at + 2]))
        times = timed(queries, lambda q: index.articles(text=q, limit=20))
        slowest = sorted(zip(times, queries, strict=True), reverse=True)[
            : max(1, len(times) // 100)
        ]
        matches = [
            index._execute(
                "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?",
                [" ".join(f'"{w}"' for w in q.split())],
            )[0][0]
            for _t, q in slowest
        ]
        unranked = sum(not index._informative(q) for _t, q in slowest)
        report(
            "search (index, 20 best)",
            times,
            "search",
            "queries: two consecutive words of a random article; the slowest 1% match "
            f"{min(matches):,} to {max(matches):,} of {total:,} articles, {unranked} of them "
            "made of words in most articles (listed newest first: bm25 gives such words no weight)",
        )
        cursors = {q: index.search({"text": q}, limit=20)[1] for q in queries}

        def next_page(q: str) -> None:
            if cursors[q] is not None:
                index.search({"text": q}, after=cursors[q], limit=20)

        report("search, the next page (index, cursor)", timed(queries, next_page), "search")
        if server:
            live = server

            def search(q: str) -> None:
                status, body = live.get(f"/articles?q={urllib.parse.quote(q)}&limit=20")
                assert status == 200, (status, body[:200])

            report("search (GET /articles?q=, facets)", timed(queries, search), "search")

            def first_page(_sample: int) -> None:
                status, body = live.get("/articles?limit=20")
                assert status == 200, (status, body[:200])

            report(
                "GET /articles, no query (first view)",
                timed(list(range(20)), first_page),
                None,
            )
        else:
            print("  (crawler/retrieval/server.py is not there: search not timed over HTTP)")
        index.close()
    finally:
        if server:
            server.stop()
        if weed:
            weed.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
