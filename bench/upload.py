"""Upload throughput: the archive uploader against plain boto3 ``upload_file``, in one run.

Starts a local SeaweedFS (tests/s3server.py), writes N incompressible WARC-sized files, then in each
round uploads them all with plain ``upload_file`` (boto3 defaults) and all through the archive store
(``open_store("s3://...").submit(...)`` then ``close()``: SHA-256, checksummed multipart upload, HEAD
verification, spool deletion). Prints MB/s for both and the ratio (goal >= 0.9).

    python bench/upload.py                      # 20 x 64 MB, 3 rounds
    python bench/upload.py --files 6 --size 32  # quicker
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import boto3
import structlog

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from s3server import SeaweedS3, isolate_aws_env

from crawler.archive.stores import open_store

MB = 1_000_000


def _write_files(directory: Path, count: int, size: int) -> list[Path]:
    block = 1 << 20
    paths = []
    for i in range(count):
        path = directory / f"BENCH-{i:03d}.warc.gz"
        with open(path, "wb") as f:
            left = size
            while left:
                n = min(block, left)
                f.write(os.urandom(n))
                left -= n
        paths.append(path)
    return paths


def _plain(server: SeaweedS3, bucket: str, files: list[Path], prefix: str) -> float:
    client = boto3.client("s3")  # from the same AWS_* variables the store reads
    started = time.perf_counter()
    for path in files:
        client.upload_file(str(path), bucket, f"{prefix}/{path.name}")
    return time.perf_counter() - started


def _store(bucket: str, files: list[Path], prefix: str, spool: Path, settings: dict) -> float:
    store = open_store(f"s3://{bucket}/{prefix}", spool_dir=spool, settings=settings)
    spool_dir = store.spool_dir("bench")
    links = []
    for path in files:  # hard links: the store deletes its copy after upload, ours stays
        link = spool_dir / path.name
        os.link(path, link)
        links.append(link)
    started = time.perf_counter()
    for link in links:
        store.submit(link, f"warc/bench/{link.name}")
    summary = store.close(timeout=3600)
    seconds = time.perf_counter() - started
    if not summary.complete or len(summary.uploaded) != len(files):
        raise SystemExit(f"uploader left {len(summary.pending)} files pending")
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=20, help="files per round (default 20)")
    parser.add_argument("--size", type=int, default=64, help="MB per file (default 64)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of both methods (default 3)")
    parser.add_argument("--part-size", default=None, help="ARCHIVE_UPLOAD_PART_SIZE, e.g. 16MB")
    parser.add_argument("--concurrency", type=int, default=None, help="ARCHIVE_UPLOAD_CONCURRENCY")
    args = parser.parse_args(argv)
    settings = {"ARCHIVE_UPLOAD_PART_SIZE": args.part_size}
    settings["ARCHIVE_UPLOAD_CONCURRENCY"] = args.concurrency
    settings = {k: v for k, v in settings.items() if v is not None}

    # One line per uploaded file would bury the figures.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    workdir = Path(tempfile.mkdtemp(prefix="newsarchive-bench-"))
    server = SeaweedS3(workdir / "weed")
    os.environ.clear()
    os.environ.update(isolate_aws_env())
    os.environ.update(server.env())
    try:
        server.start()
        bucket = server.create_bucket("bench-upload")
        source = workdir / "files"
        source.mkdir()
        files = _write_files(source, args.files, args.size * MB)
        total = sum(p.stat().st_size for p in files)
        print(f"{args.files} files x {args.size} MB, {args.rounds} rounds, SeaweedFS at 127.0.0.1")
        plain_s = store_s = 0.0
        ratios = []
        for r in range(args.rounds):
            times = {}
            # Alternate which goes first, so neither always meets the warmer (or fuller) server.
            order = ("plain", "store") if r % 2 == 0 else ("store", "plain")
            for method in order:
                if method == "plain":
                    s = _plain(server, bucket, files, f"plain{r}")
                    plain_s += s
                else:
                    s = _store(bucket, files, f"store{r}", workdir / "spool", settings)
                    store_s += s
                times[method] = s
                print(f"  round {r + 1} {method:5s}: {total / MB / s:7.1f} MB/s ({s:.1f} s)")
            ratios.append(times["plain"] / times["store"])
        plain_rate = args.rounds * total / MB / plain_s
        store_rate = args.rounds * total / MB / store_s
        print(f"boto3 upload_file : {plain_rate:7.1f} MB/s")
        print(f"archive uploader  : {store_rate:7.1f} MB/s (SHA-256, checksums, verify, delete)")
        print(f"ratio             : {store_rate / plain_rate:.2f} (goal >= 0.90)")
        # The machine is shared, so one slow round can swing the total; the median resists that.
        print(f"median round ratio: {statistics.median(ratios):.2f}")
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
