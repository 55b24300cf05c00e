"""The S3 archive store against a real SeaweedFS: verified uploads, outages, bad configuration."""

from __future__ import annotations

import hashlib
import io
import os
import socket
import time
import tracemalloc
import uuid
from pathlib import Path

import pytest
from structlog.testing import capture_logs
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.archive.store import ArchiveConfigError
from crawler.archive.stores import open_store

MiB = 1 << 20


def _bucket(s3_server) -> str:
    return s3_server.create_bucket(f"test-{uuid.uuid4().hex[:12]}")


def _fast_retries(**extra):
    return {"ARCHIVE_UPLOAD_RETRIES": 1, "ARCHIVE_UPLOAD_BACKOFF": 0.05, **extra}


def _object_keys(s3_server, bucket: str) -> list[str]:
    pages = s3_server.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def _object_bytes(s3_server, bucket: str, key: str) -> bytes:
    return s3_server.client().get_object(Bucket=bucket, Key=key)["Body"].read()


def _spooled_files(spool: Path) -> list[Path]:
    return [p for p in spool.rglob("*") if p.is_file() and not p.name.startswith(".")]


def test_closed_files_are_uploaded_verified_and_leave_the_spool(s3_env, tmp_path):
    bucket = _bucket(s3_env)
    spool = tmp_path / "spool"
    store = open_store(f"s3://{bucket}/archive", spool_dir=spool)
    store.check()
    warc = store.spool_dir("crawl1") / "NEWS-1.warc.gz"
    warc_bytes = os.urandom(300_000)
    warc.write_bytes(warc_bytes)
    manifest = tmp_path / "elsewhere" / "crawl1.json"
    manifest.parent.mkdir()
    manifest.write_text('{"files": 1}')

    store.submit(warc, "warc/crawl1/NEWS-1.warc.gz")
    store.submit(manifest, "manifests/crawl1.json")
    summary = store.close(timeout=60)

    assert sorted(f.key for f in summary.uploaded) == [
        "manifests/crawl1.json",
        "warc/crawl1/NEWS-1.warc.gz",
    ]
    assert summary.pending == [] and summary.complete
    assert _spooled_files(spool) == [] and not manifest.exists()
    head = s3_env.client().head_object(Bucket=bucket, Key="archive/warc/crawl1/NEWS-1.warc.gz")
    assert head["ContentLength"] == len(warc_bytes)
    assert head["Metadata"]["sha256"] == hashlib.sha256(warc_bytes).hexdigest()
    assert _object_bytes(s3_env, bucket, "archive/warc/crawl1/NEWS-1.warc.gz") == warc_bytes
    assert _object_bytes(s3_env, bucket, "archive/manifests/crawl1.json") == b'{"files": 1}'
    # Reading back through the store: listing, ranged read, whole read.
    assert store.list("warc/") == ["warc/crawl1/NEWS-1.warc.gz"]
    assert store.exists("manifests/crawl1.json") and not store.exists("manifests/other.json")
    assert store.read_range("warc/crawl1/NEWS-1.warc.gz", 1000, 5000) == warc_bytes[1000:6000]
    assert store.read("manifests/crawl1.json") == b'{"files": 1}'
    with pytest.raises(FileNotFoundError):
        store.read("manifests/other.json")


def test_multipart_upload_memory_stays_bounded_by_part_size(s3_env, tmp_path):
    bucket = _bucket(s3_env)
    part = 5 * MiB  # S3's minimum part size
    settings = {
        "ARCHIVE_UPLOAD_PART_SIZE": part,
        "ARCHIVE_UPLOAD_MULTIPART_THRESHOLD": part,
        "ARCHIVE_UPLOAD_CONCURRENCY": 2,
    }
    store = open_store(f"s3://{bucket}/a", spool_dir=tmp_path / "spool", settings=settings)
    path = store.spool_dir("big") / "BIG.warc.gz"
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        for _ in range(16):  # 80 MiB: 16 parts, many times the part size
            block = os.urandom(part)
            digest.update(block)
            f.write(block)

    tracemalloc.start()
    try:
        store.submit(path, "warc/big/BIG.warc.gz")
        summary = store.close(timeout=300)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert summary.complete and [f.key for f in summary.uploaded] == ["warc/big/BIG.warc.gz"]
    head = s3_env.client().head_object(
        Bucket=bucket, Key="a/warc/big/BIG.warc.gz", ChecksumMode="ENABLED"
    )
    assert head["ContentLength"] == 16 * part
    assert head["Metadata"]["sha256"] == digest.hexdigest()
    assert head["ETag"].strip('"').endswith("-16")  # really sent as 16 parts
    print(f"uploader peak traced memory: {peak / MiB:.1f} MiB for a {16 * part / MiB:.0f} MiB file")
    assert peak < 2 * part, f"peak {peak / MiB:.1f} MiB for {part / MiB:.0f} MiB parts"


def test_upload_survives_store_outage(s3_env, tmp_path):
    bucket = _bucket(s3_env)
    spool = tmp_path / "spool"
    uri = f"s3://{bucket}/archive"
    store = open_store(uri, spool_dir=spool, settings=_fast_retries())
    store.check()
    contents = {f"warc/c2/NEWS-{i}.warc.gz": os.urandom(100_000 + i) for i in range(3)}

    s3_env.stop()
    try:
        with capture_logs() as logs:
            for key, data in contents.items():
                path = store.spool_dir("c2") / key.rsplit("/", 1)[1]
                path.write_bytes(data)
                store.submit(path, key)
            summary = store.close(timeout=60)
    finally:
        s3_env.start()

    # Crawl end with the store down: nothing lost, everything listed as pending, still spooled.
    assert summary.uploaded == []
    assert sorted(p.key for p in summary.pending) == sorted(contents)
    assert all((spool / key).read_bytes() == data for key, data in contents.items())
    assert any(e["event"] == "archive.upload.failed" for e in logs)
    assert s3_env.secret_key not in repr(logs)

    # The store is back: `upload --pending` (a new process) stores each file exactly once.
    restarted = open_store(uri, spool_dir=spool, settings=_fast_retries())
    restarted.check()
    assert sorted(restarted.pending()) == sorted(spool / key for key in contents)
    result = restarted.upload_pending()

    assert sorted(f.key for f in result.uploaded) == sorted(contents)
    assert result.pending == [] and restarted.pending() == []
    assert _spooled_files(spool) == []
    assert _object_keys(s3_env, bucket) == sorted(f"archive/{k}" for k in contents)
    for key, data in contents.items():
        assert _object_bytes(s3_env, bucket, f"archive/{key}") == data
        head = s3_env.client().head_object(Bucket=bucket, Key=f"archive/{key}")
        assert head["Metadata"]["sha256"] == hashlib.sha256(data).hexdigest()


def test_file_already_uploaded_before_a_crash_is_not_sent_again(s3_env, tmp_path):
    bucket = _bucket(s3_env)
    spool = tmp_path / "spool"
    store = open_store(f"s3://{bucket}", spool_dir=spool)
    data = os.urandom(50_000)
    path = store.spool_dir("c3") / "A.warc.gz"
    path.write_bytes(data)
    store.submit(path, "warc/c3/A.warc.gz")
    assert store.close(timeout=60).complete
    first = s3_env.client().head_object(Bucket=bucket, Key="warc/c3/A.warc.gz")
    # A crash between verifying and deleting leaves the uploaded file in the spool;
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    time.sleep(1.1)  # object timestamps have one-second resolution

    result = open_store(f"s3://{bucket}", spool_dir=spool).upload_pending()

    assert [f.key for f in result.uploaded] == ["warc/c3/A.warc.gz"] and result.complete
    assert not path.exists()
    again = s3_env.client().head_object(Bucket=bucket, Key="warc/c3/A.warc.gz")
    assert again["LastModified"] == first["LastModified"]  # not rewritten


def test_open_warc_left_by_a_crash_is_repaired_and_uploaded(s3_env, tmp_path):
    bucket = _bucket(s3_env)
    spool = tmp_path / "spool"
    store = open_store(f"s3://{bucket}/p", spool_dir=spool)
    path = store.spool_dir("c4") / "NEWS-20240101000000000-00000-host-1.warc.gz.open"
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        for i in range(3):
            writer.write_record(
                writer.create_warc_record(
                    f"http://example.test/{i}",
                    "response",
                    payload=io.BytesIO(os.urandom(20_000)),
                    http_headers=StatusAndHeaders("200 OK", [], protocol="HTTP/1.1"),
                )
            )
        whole = f.tell()
        f.write(b"\x1f\x8b\x08\x00torn record")

    result = store.upload_pending()

    # the repaired WARC, and the index the killed writer never wrote for it
    assert sorted(f.key for f in result.uploaded) == [
        "cdxj/c4/NEWS-20240101000000000-00000-host-1.cdxj",
        "warc/c4/NEWS-20240101000000000-00000-host-1.warc.gz",
    ]
    data = _object_bytes(s3_env, bucket, "p/warc/c4/NEWS-20240101000000000-00000-host-1.warc.gz")
    assert len(data) == whole
    assert len(list(ArchiveIterator(io.BytesIO(data)))) == 3
    assert _spooled_files(spool) == []


def test_wrong_secret_key_is_one_clear_line_without_the_secret(s3_env, tmp_path, monkeypatch):
    bucket = _bucket(s3_env)
    wrong = "wrong-secret-Zq8vX2kP0mN4sT6u"
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", wrong)
    store = open_store(f"s3://{bucket}/x", spool_dir=tmp_path / "spool")

    with pytest.raises(ArchiveConfigError) as err:
        store.check()

    message = str(err.value)
    assert "AWS_SECRET_ACCESS_KEY" in message and "secret key is wrong" in message
    assert "\n" not in message
    assert wrong not in message and s3_env.secret_key not in message


def test_unknown_access_key_is_named(s3_env, tmp_path, monkeypatch):
    bucket = _bucket(s3_env)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "NOSUCHKEY")
    store = open_store(f"s3://{bucket}", spool_dir=tmp_path / "spool")

    with pytest.raises(ArchiveConfigError, match="AWS_ACCESS_KEY_ID"):
        store.check()


def test_missing_bucket_is_one_clear_line(s3_env, tmp_path):
    store = open_store("s3://no-such-bucket-here/x", spool_dir=tmp_path / "spool")

    with pytest.raises(ArchiveConfigError) as err:
        store.check()

    assert "bucket 'no-such-bucket-here' does not exist" in str(err.value)


@pytest.mark.timeout(60)
def test_unreachable_endpoint_is_one_clear_line(s3_env, tmp_path, monkeypatch):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    store = open_store("s3://bucket/x", spool_dir=tmp_path / "spool")

    with pytest.raises(ArchiveConfigError) as err:
        store.check()

    assert f"cannot reach the S3 endpoint http://127.0.0.1:{port}" in str(err.value)
    assert s3_env.secret_key not in str(err.value)


def test_missing_credentials_are_named(s3_env, tmp_path, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    store = open_store("s3://bucket/x", spool_dir=tmp_path / "spool")

    with pytest.raises(ArchiveConfigError, match="no AWS credentials found"):
        store.check()


def test_spool_of_another_archive_is_not_sent_to_this_one(s3_env, tmp_path):
    first, second = _bucket(s3_env), _bucket(s3_env)
    spool = tmp_path / "spool"
    s3_env.stop()
    try:
        store = open_store(f"s3://{first}", spool_dir=spool, settings=_fast_retries())
        path = store.spool_dir("c5") / "A.warc.gz"
        path.write_bytes(b"x" * 1000)
        store.submit(path, "warc/c5/A.warc.gz")
        assert not store.close(timeout=30).complete
    finally:
        s3_env.start()

    with pytest.raises(ArchiveConfigError, match=f"holds files waiting for s3://{first}"):
        open_store(f"s3://{second}", spool_dir=spool).check()


def test_multipart_upload_cut_by_a_crash_is_aborted_and_the_file_sent_whole(s3_env, tmp_path):
    bucket = _bucket(s3_env)
    spool = tmp_path / "spool"
    store = open_store(f"s3://{bucket}/p", spool_dir=spool)
    data = os.urandom(200_000)
    path = store.spool_dir("c6") / "B.warc.gz"
    path.write_bytes(data)
    client = s3_env.client()
    # What a kill -9 mid-upload leaves: an unfinished multipart upload with one part.
    orphan = client.create_multipart_upload(Bucket=bucket, Key="p/warc/c6/B.warc.gz")
    client.upload_part(
        Bucket=bucket,
        Key="p/warc/c6/B.warc.gz",
        UploadId=orphan["UploadId"],
        PartNumber=1,
        Body=data[:1000],
    )

    result = store.upload_pending()

    assert [f.key for f in result.uploaded] == ["warc/c6/B.warc.gz"] and result.complete
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads") in (None, [])
    assert _object_bytes(s3_env, bucket, "p/warc/c6/B.warc.gz") == data


def test_crawl_directory_stays_while_the_crawl_writes_and_goes_at_close(s3_env, tmp_path):
    """Uploading the last closed WARC of a crawl must not remove the directory the writer will
    open its next file in (a rotation followed by a pause before the next exchange)."""
    bucket = _bucket(s3_env)
    spool = tmp_path / "spool"
    store = open_store(f"s3://{bucket}/p", spool_dir=spool)
    crawl_dir = store.spool_dir("c5")
    first = crawl_dir / "NEWS-1.warc.gz"
    first.write_bytes(b"first file")
    store.submit(first, "warc/c5/NEWS-1.warc.gz")
    deadline = time.monotonic() + 30
    while first.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not first.exists(), "the first file was not uploaded"

    second = crawl_dir / "NEWS-2.warc.gz"
    second.write_bytes(b"second file")  # the writer's next file, in the same directory
    store.submit(second, "warc/c5/NEWS-2.warc.gz")
    summary = store.close(timeout=60)

    assert summary.complete and len(summary.uploaded) == 2
    assert _object_bytes(s3_env, bucket, "p/warc/c5/NEWS-2.warc.gz") == b"second file"
    assert not (spool / "warc").exists(), "emptied spool directories are left at close"


def _closed_warc(path: Path) -> None:
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        writer.write_record(
            writer.create_warc_record(
                f"http://example.test/{path.name}",
                "response",
                payload=io.BytesIO(os.urandom(2_000)),
                http_headers=StatusAndHeaders("200 OK", [], protocol="HTTP/1.1"),
            )
        )


def test_a_warc_closed_just_before_a_crash_goes_up_with_its_index(s3_env, tmp_path):
    """A kill between a WARC's close and its CDXJ; or after its CDXJ went up; or (an earlier
    version) with the CDXJ still beside the WARC: each WARC ends up with one index, in cdxj/."""
    bucket = _bucket(s3_env)
    spool = tmp_path / "spool"
    store = open_store(f"s3://{bucket}/p", spool_dir=spool)
    crawl = store.spool_dir("c5")
    names = [f"NEWS-20240101000000000-0000{i}-host-1" for i in (1, 2, 3)]
    for name in names:
        _closed_warc(crawl / f"{name}.warc.gz")
    uploaded_index = b"com,example)/ 20240101000000 {}\n"
    s3_env.client().put_object(Bucket=bucket, Key=f"p/cdxj/c5/{names[1]}.cdxj", Body=uploaded_index)
    (crawl / f"{names[2]}.cdxj").write_text("com,example)/x 20240101000000 {}\n")

    result = store.upload_pending()

    keys = _object_keys(s3_env, bucket)
    assert keys == sorted(
        [f"p/cdxj/c5/{n}.cdxj" for n in names] + [f"p/warc/c5/{n}.warc.gz" for n in names]
    )
    first = _object_bytes(s3_env, bucket, f"p/cdxj/c5/{names[0]}.cdxj").decode()
    assert f"http://example.test/{names[0]}.warc.gz" in first  # indexed from the WARC
    assert _object_bytes(s3_env, bucket, f"p/cdxj/c5/{names[1]}.cdxj") == uploaded_index
    assert b"example)/x" in _object_bytes(s3_env, bucket, f"p/cdxj/c5/{names[2]}.cdxj")
    assert [r.path.name for r in result.repaired] == [f"{names[0]}.warc.gz"]
    assert _spooled_files(spool) == []
