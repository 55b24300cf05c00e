"""A WARC left open by a crash is cut back to its last whole record and stays valid."""

from __future__ import annotations

import io
import random
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.archive.repair import repair_open_warc

pytestmark = pytest.mark.fast

WARCIO = str(Path(sys.executable).with_name("warcio"))


def _write_warc(path: Path, n: int, rng: random.Random) -> list[int]:
    """A gzipped WARC of n request/response records; returns each record's end offset."""
    ends = []
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True, warc_version="1.1")
        for i in range(n):
            url = f"http://example.test/story/{i}"
            # Incompressible bodies of varied size, so cuts land inside members of every size.
            body = rng.randbytes(rng.choice([10, 500, 5000, 70000]))
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", "application/octet-stream")], protocol="HTTP/1.1"
            )
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=headers
            )
            writer.write_record(record)
            ends.append(f.tell())
    return ends


def _record_ids(path: Path) -> list[str]:
    with open(path, "rb") as f:
        return [r.rec_headers.get_header("WARC-Record-ID") for r in ArchiveIterator(f)]


def test_cut_warc_keeps_every_whole_record_and_passes_warcio_check(tmp_path):
    rng = random.Random(1234)
    full = tmp_path / "full.warc.gz"
    ends = _write_warc(full, 12, rng)
    all_ids = _record_ids(full)
    data = full.read_bytes()
    # Cuts inside the first member, exactly on boundaries, and at random points mid-record.
    cuts = [1, ends[0] - 1, ends[0], ends[3], ends[-1] - 1, ends[-1]]
    cuts += [rng.randrange(1, len(data)) for _ in range(14)]
    for n, cut in enumerate(cuts):
        open_path = tmp_path / f"CRAWL-{n:02d}.warc.gz.open"
        open_path.write_bytes(data[:cut])
        whole = sum(1 for end in ends if end <= cut)

        repaired = repair_open_warc(open_path)

        assert not open_path.exists()
        if whole == 0:
            assert repaired is None
            continue
        assert repaired == tmp_path / f"CRAWL-{n:02d}.warc.gz"
        assert repaired.stat().st_size == ends[whole - 1]
        assert _record_ids(repaired) == all_ids[:whole], f"cut at {cut}"
        check = subprocess.run(
            [WARCIO, "check", str(repaired)], check=False, capture_output=True, text=True
        )
        assert check.returncode == 0, check.stdout + check.stderr


def test_garbage_after_whole_records_is_dropped(tmp_path):
    rng = random.Random(7)
    path = tmp_path / "x.warc.gz.open"
    ends = _write_warc(path, 3, rng)
    with open(path, "ab") as f:
        f.write(b"\x1f\x8b\x08\x00 not really gzip")

    repaired = repair_open_warc(path)

    assert repaired is not None and repaired.stat().st_size == ends[-1]
    assert len(_record_ids(repaired)) == 3


def test_repair_never_overwrites_a_closed_file_of_the_same_name(tmp_path):
    rng = random.Random(9)
    closed = tmp_path / "x.warc.gz"
    closed.write_bytes(b"already here")
    path = tmp_path / "x.warc.gz.open"
    _write_warc(path, 2, rng)

    repaired = repair_open_warc(path)

    assert closed.read_bytes() == b"already here"
    assert repaired is not None and repaired.name == "x-repaired.warc.gz"
    assert len(_record_ids(repaired)) == 2


def test_articles_file_cut_by_a_crash_keeps_every_whole_line(tmp_path):
    import gzip
    import json

    from crawler.archive.repair import repair_open_jsonl_gz

    rng = random.Random(7)
    articles = [
        {"url": f"http://example.test/{i}", "body": rng.randbytes(3000).hex()} for i in range(40)
    ]
    data = gzip.compress(b"".join(json.dumps(a).encode() + b"\n" for a in articles))
    for cut in (len(data) // 3, len(data) // 2, len(data) - 9, len(data)):
        path = tmp_path / "articles-1.jsonl.gz.open"
        path.write_bytes(data[:cut])
        repaired = repair_open_jsonl_gz(path)
        assert repaired == tmp_path / "articles-1.jsonl.gz" and not path.exists()
        with gzip.open(repaired, "rt") as f:
            kept = [json.loads(line) for line in f]
        assert kept, f"cut at {cut}: nothing kept"
        assert kept == articles[: len(kept)], f"cut at {cut}: lines changed"
        # Every line whose bytes were all in the cut file is kept.
        whole = _whole_lines_in_prefix(data[:cut])
        assert len(kept) == whole, f"cut at {cut}: {len(kept)} kept of {whole} whole"
        repaired.unlink()


def _whole_lines_in_prefix(data: bytes) -> int:
    """Complete lines in the decompressible prefix of a cut gzip stream (an independent count)."""
    import zlib

    out = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data)
    return out.count(b"\n")
