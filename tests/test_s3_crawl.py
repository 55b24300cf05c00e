"""End to end: crawls of the demo site into a real SeaweedFS through ``newsarchive crawl``.

Each test gets its own bucket; every crawl runs the real CLI in its own process with the standard
AWS variables pointing at the ``s3_server`` fixture (``s3_env``) and its spool under the test's
directory. What is checked is what a user would check in the bucket: the objects, their bytes
(downloaded and hashed) against the crawl manifest, and that nothing was left behind or sent twice.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from crawler.archive.store import files_under
from tests.helpers import REPO, CliResult, records, run_cli, warc_files, write_demo_site_file

SPOOL = Path(".newsarchive/spool")  # ARCHIVE_SPOOL_DIR's default, relative to the crawl's cwd
# A failing upload gives up fast in tests; the defaults (5 retries from 1 s) are for real stores.
FAST_RETRIES = [
    "-s",
    "ARCHIVE_UPLOAD_RETRIES=1",
    "-s",
    "ARCHIVE_UPLOAD_BACKOFF=0.1",
    "-s",
    "ARCHIVE_UPLOAD_BACKOFF_MAX=0.5",
    "-s",
    "ARCHIVE_S3_CONNECT_TIMEOUT=1",
]


def _cli(*args: str, cwd: Path, env: dict | None = None) -> CliResult:
    """``newsarchive ARGS`` in its own process, running this checkout's code whatever the cwd."""
    return run_cli(*args, cwd=cwd, env={"PYTHONPATH": str(REPO), **(env or {})})


def _new_bucket(s3) -> str:
    return s3.create_bucket(f"crawl-{uuid.uuid4().hex[:12]}")


def _site(work: Path, base_url: str, *, delay: float = 0.0) -> None:
    """sites/demo.toml for this demo site; one request at a time (a reproducible crawl order),
    ``delay`` seconds apart (a crawl slow enough to act on while it runs)."""
    path = write_demo_site_file(work / "sites", base_url)
    text = path.read_text()
    text = re.sub(r"download_delay = [\d.]+", f"download_delay = {delay}", text)
    text = re.sub(
        r"concurrent_requests_per_domain = \d+", "concurrent_requests_per_domain = 1", text
    )
    path.write_text(text)


def _objects(s3, bucket: str, prefix: str) -> dict[str, dict]:
    """Every object under ``prefix/``, by key relative to it."""
    pages = s3.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return {
        o["Key"].removeprefix(prefix + "/"): o for page in pages for o in page.get("Contents", [])
    }


def _download(s3, bucket: str, key: str, to: Path) -> Path:
    to.parent.mkdir(parents=True, exist_ok=True)
    to.write_bytes(s3.client().get_object(Bucket=bucket, Key=key)["Body"].read())
    return to


def _shape(keys) -> list[str]:
    """Keys with crawl id, WARC and article file names replaced by their rank: the layout."""
    crawl_ids = sorted({k.split("/")[1].removesuffix(".json") for k in keys})
    stems = sorted({k.rsplit("/", 1)[1].split(".")[0] for k in keys if k.startswith("warc/")})
    shaped = []
    for key in keys:
        shape = key
        for i, crawl_id in enumerate(crawl_ids):
            shape = shape.replace(crawl_id, f"CRAWL{i}")
        for i, stem in enumerate(stems):
            shape = shape.replace(stem, f"WARC{i}")
        shaped.append(re.sub(r"articles-[^/]*\.jsonl\.gz$", "ARTICLES.jsonl.gz", shape))
    return sorted(shaped)


def _warcio_check(paths: list[Path]) -> None:
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def _verify_against_manifest(s3, bucket: str, prefix: str, work: Path) -> dict:
    """Every WARC of the manifest is in the bucket once, whole; returns the manifest."""
    objects = _objects(s3, bucket, prefix)
    manifest_keys = [k for k in objects if k.startswith("manifests/")]
    assert len(manifest_keys) == 1, sorted(objects)
    manifest = json.loads(
        s3.client().get_object(Bucket=bucket, Key=f"{prefix}/{manifest_keys[0]}")["Body"].read()
    )
    crawl_id = manifest["crawl_id"]
    listed = {f["key"]: f for f in manifest["files"]}
    in_bucket = {k for k in objects if k.startswith("warc/")}
    assert in_bucket == set(listed), "WARCs in the bucket differ from the manifest's"
    assert all(k.startswith(f"warc/{crawl_id}/") for k in in_bucket)
    downloaded = []
    for key, entry in listed.items():
        path = _download(s3, bucket, f"{prefix}/{key}", work / "downloaded" / key)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], key
        assert path.stat().st_size == entry["size"], key
        head = s3.client().head_object(Bucket=bucket, Key=f"{prefix}/{key}")
        assert head["Metadata"]["sha256"] == entry["sha256"], key
        assert entry["cdxj"] in objects, f"no CDXJ for {key}"
        downloaded.append(path)
    _warcio_check(downloaded)
    return manifest


def _spool_is_empty(work: Path) -> None:
    left = files_under(work / SPOOL)  # the spool's owner marker is a dot-file, not archive data
    assert left == [], f"left in the spool: {left}"
    assert not (work / SPOOL / "warc").exists()


def _start_crawl(work: Path, uri: str, *settings: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "crawl", "demo", "--archive", uri, *settings],
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"},
    )


def _wait_for(condition, proc: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, f"the crawl ended before {what}: {proc.stderr.read()[-2000:]}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _whole_record_ids(path: Path) -> list[str]:
    """Record ids a WARC reader gets whole out of a file cut anywhere: each record read to its
    end with its digests checked; reading stops at the first record that is cut or fails."""
    ids: list[str] = []
    with open(path, "rb") as f:
        try:
            for record in ArchiveIterator(f, check_digests=True):
                record.content_stream().read()
                if record.digest_checker.passed is not True:
                    break
                ids.append(record.rec_headers.get_header("WARC-Record-ID"))
        except Exception:  # noqa: BLE001 - a torn gzip member or header: the reader stops there
            return ids
    return ids


# -- the tests -----------------------------------------------------------------------------------


def test_s3_crawl_leaves_in_the_bucket_what_a_local_crawl_writes(s3_env, demo_site, tmp_path):
    bucket = _new_bucket(s3_env)
    local, remote = tmp_path / "local", tmp_path / "remote"
    for work in (local, remote):
        _site(work, demo_site.base_url)

    local_run = _cli("crawl", "demo", "--archive", str(local / "archive"), cwd=local)
    remote_run = _cli("crawl", "demo", "--archive", f"s3://{bucket}/news/archive", cwd=remote)

    assert local_run.returncode == 0, local_run.stderr[-3000:]
    assert remote_run.returncode == 0, remote_run.stderr[-3000:]
    assert "pending upload  none" in remote_run.stdout
    assert f"archive: s3://{bucket}/news/archive" in remote_run.stdout
    # the local archive directory also holds the embedded crawl state (state.sqlite*)
    local_keys = [
        key
        for key in (
            p.relative_to(local / "archive").as_posix() for p in files_under(local / "archive")
        )
        if key.split("/")[0] in ("warc", "cdxj", "manifests", "articles")
    ]
    objects = _objects(s3_env, bucket, "news/archive")
    assert _shape(objects) == _shape(local_keys)
    assert {k.split("/")[0] for k in objects} == {"warc", "cdxj", "manifests", "articles"}

    manifest = _verify_against_manifest(s3_env, bucket, "news/archive", remote)
    assert manifest["finish_reason"] == "finished"
    assert manifest["archive"] == f"s3://{bucket}/news/archive"
    _spool_is_empty(remote)

    # Same exchanges archived both ways (file names and dates differ, the content does not).
    def archived(paths):
        return sorted(
            (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"))
            for p in paths
            for r in records(p)
            if r.rec_type != "warcinfo"
        )

    remote_warcs = sorted((remote / "downloaded").glob("warc/*/*.warc.gz"))
    assert archived(remote_warcs) == archived(warc_files(local / "archive"))


def test_wrong_secret_key_stops_the_crawl_before_any_fetch(s3_env, tmp_path):
    from crawler.demo_site import DemoSite

    bucket = _new_bucket(s3_env)
    wrong = "wrong-secret-9fQx2LmZr7Tb4Kd1"
    with DemoSite(port=0) as site:  # its own site: its request log is this test's alone
        _site(tmp_path, site.base_url)
        result = _cli(
            "crawl",
            "demo",
            "--archive",
            f"s3://{bucket}/p",
            cwd=tmp_path,
            env={"AWS_SECRET_ACCESS_KEY": wrong},
        )
        fetched = site.requests

    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(lines) == 1, result.stderr
    assert "AWS_SECRET_ACCESS_KEY" in lines[0] and f"s3://{bucket}/p" in lines[0]
    output = result.stdout + result.stderr
    assert wrong not in output and s3_env.secret_key not in output
    assert fetched == [], f"fetched before the store was checked: {fetched}"
    assert _objects(s3_env, bucket, "p") == {}


def test_crawl_goes_on_through_a_store_outage_and_upload_pending_finishes(
    s3_env, demo_site, tmp_path
):
    bucket = _new_bucket(s3_env)
    uri = f"s3://{bucket}/outage"
    _site(tmp_path, demo_site.base_url, delay=0.15)
    proc = _start_crawl(tmp_path, uri, "-s", "ARCHIVE_WARC_MAX_SIZE=20000", *FAST_RETRIES)
    try:
        # Down once the crawl has written and uploaded its first WARC, with more to come.
        _wait_for(
            lambda: any(k.startswith("warc/") for k in _objects(s3_env, bucket, "outage")),
            proc,
            "the first WARC upload",
        )
        s3_env.stop()
        stdout, stderr = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    assert proc.returncode == 0, stderr[-3000:]
    pending = [p for p in files_under(tmp_path / SPOOL) if p.name.endswith(".warc.gz")]
    assert pending, "the outage left nothing pending: it came too late to test anything"
    assert re.search(rf"pending upload +{len(files_under(tmp_path / SPOOL))}\n", stdout), stdout
    for path in pending:
        assert str(path.relative_to(tmp_path)) in stdout, f"{path.name} not listed as pending"
    summary = next(json.loads(line) for line in stderr.splitlines() if '"crawl.summary"' in line)
    assert summary["reason"] == "finished" and summary["pending_uploads"] >= len(pending)

    s3_env.start()
    upload = _cli("upload", "--pending", "--archive", uri, cwd=tmp_path)

    assert upload.returncode == 0, upload.stdout + upload.stderr[-3000:]
    assert "0 still pending" in upload.stdout
    manifest = _verify_against_manifest(s3_env, bucket, "outage", tmp_path)
    assert (
        len(manifest["files"]) >= 5
    )  # several WARCs closed during the crawl, some during the outage
    assert manifest["totals"]["files"] == len(manifest["files"])
    _spool_is_empty(tmp_path)


def test_kill_9_mid_write_then_upload_pending_repairs_and_keeps_every_whole_record(
    s3_env, demo_site, tmp_path
):
    bucket = _new_bucket(s3_env)
    uri = f"s3://{bucket}/killed"
    _site(tmp_path, demo_site.base_url, delay=0.1)
    proc = _start_crawl(tmp_path, uri)
    spool = tmp_path / SPOOL

    def open_file() -> Path | None:
        found = list(spool.glob("warc/*/*.warc.gz.open"))
        return found[0] if found else None

    def several_exchanges() -> bool:
        path = open_file()
        return path is not None and len(_whole_record_ids(path)) >= 9  # warcinfo + 4 exchanges

    try:
        _wait_for(several_exchanges, proc, "a few exchanges in the open WARC")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    torn = open_file()
    assert torn is not None
    whole_before = _whole_record_ids(torn)  # what a reader gets from the file as the kill left it

    upload = _cli("upload", "--pending", "--archive", uri, cwd=tmp_path)

    assert upload.returncode == 0, upload.stdout + upload.stderr[-3000:]
    key = torn.relative_to(spool).as_posix().removesuffix(".open")
    repaired = _download(s3_env, bucket, f"killed/{key}", tmp_path / "downloaded" / key)
    _warcio_check([repaired])
    assert [r.rec_headers.get_header("WARC-Record-ID") for r in records(repaired)] == whole_before
    head = s3_env.client().head_object(Bucket=bucket, Key=f"killed/{key}")
    assert head["Metadata"]["sha256"] == hashlib.sha256(repaired.read_bytes()).hexdigest()
    # The repaired WARC is indexed too: each CDXJ line points at exactly its record.
    crawl_id, name = key.split("/")[1:]
    cdxj_key = f"killed/cdxj/{crawl_id}/{name.removesuffix('.warc.gz')}.cdxj"
    cdxj = s3_env.client().get_object(Bucket=bucket, Key=cdxj_key)["Body"].read().decode()
    lines = cdxj.splitlines()
    assert len(lines) >= 4
    blob = repaired.read_bytes()
    for line in lines:
        fields = json.loads(line.split(" ", 2)[2])
        offset, length = int(fields["offset"]), int(fields["length"])
        (record,) = list(ArchiveIterator(io.BytesIO(blob[offset : offset + length])))
        assert record.rec_headers.get_header("WARC-Target-URI") == fields["url"]
    # The articles file the kill cut short is not sent torn: whole lines, or not at all.
    for name in _objects(s3_env, bucket, "killed"):
        assert not name.endswith(".open"), name
        if name.endswith(".jsonl.gz"):
            body = s3_env.client().get_object(Bucket=bucket, Key=f"killed/{name}")["Body"].read()
            assert body, f"{name}: an empty object is not a gzip file"
            assert all(json.loads(line) for line in gzip.decompress(body).splitlines())
    _spool_is_empty(tmp_path)


def test_upload_pending_beside_a_running_crawl_leaves_its_open_files_alone(
    s3_env, demo_site, tmp_path
):
    bucket = _new_bucket(s3_env)
    uri = f"s3://{bucket}/beside"
    # slow enough that `upload --pending` (a process start: seconds on a loaded machine) runs
    # while the crawl still writes
    _site(tmp_path, demo_site.base_url, delay=0.3)
    proc = _start_crawl(tmp_path, uri, "-s", "ARCHIVE_WARC_MAX_SIZE=20000")
    spool = tmp_path / SPOOL
    try:
        _wait_for(
            lambda: (
                any(k.startswith("warc/") for k in _objects(s3_env, bucket, "beside"))
                and list(spool.glob("articles/*/*.jsonl.gz*"))
            ),
            proc,
            "a WARC uploaded while articles are being written",
        )
        upload = _cli("upload", "--pending", "--archive", uri, cwd=tmp_path)
        assert proc.poll() is None, "the crawl ended before upload --pending ran beside it"
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    assert upload.returncode == 0, upload.stdout + upload.stderr[-2000:]
    assert proc.returncode == 0, stderr[-3000:]
    assert "pending upload  none" in stdout
    _verify_against_manifest(s3_env, bucket, "beside", tmp_path)
    articles = [k for k in _objects(s3_env, bucket, "beside") if k.startswith("articles/")]
    assert len(articles) == 1, articles
    body = s3_env.client().get_object(Bucket=bucket, Key=f"beside/{articles[0]}")["Body"].read()
    exported = [json.loads(line) for line in gzip.decompress(body).splitlines()]
    summary = next(json.loads(line) for line in stderr.splitlines() if '"crawl.summary"' in line)
    assert len(exported) == summary["articles"] >= 20, "articles lost to the upload beside"
    _spool_is_empty(tmp_path)


def test_crawl_end_waits_for_a_slow_upload_while_the_reactor_runs(s3_env, demo_site, tmp_path):
    """The last uploads are awaited off the reactor: progress lines go on until they are done."""
    from tests.slow_proxy import SlowProxy

    bucket = _new_bucket(s3_env)
    work = tmp_path / "work"
    _site(work, demo_site.base_url)
    port = int(s3_env.endpoint_url.rsplit(":", 1)[1])
    with SlowProxy(port, delay=0.4) as proxy:
        run = _cli(
            "crawl", "demo", "--archive", f"s3://{bucket}/slow", "-s", "PROGRESS_INTERVAL=0.25",
            cwd=work, env={"AWS_ENDPOINT_URL": proxy.url},
        )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    events = [json.loads(line)["event"] for line in run.stderr.splitlines() if line.startswith("{")]
    closing, closed = events.index("archive.closing"), events.index("archive.closed")
    during = [e for e in events[closing:closed] if e == "crawl.progress"]
    # Storing the last four files through the slow link takes seconds: a reactor blocked by the
    # wait would log nothing in between.
    assert len(during) >= 3, events[closing:closed]
    assert "pending upload  none" in run.stdout
    _verify_against_manifest(s3_env, bucket, "slow", work)
    _spool_is_empty(work)
