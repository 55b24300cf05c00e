"""Secrets stay secret, and nothing listens or writes where it should not.

- A real crawl with every secret the project takes (the S3 secret key, a Redis password in
  ``REDIS_URL``), logging at DEBUG, and the same secrets in runs that fail (a wrong password, a
  Redis that does not answer, an S3 endpoint that does not answer, under ``newsarchive crawl``
  and ``scrapy crawl`` with readable lines): no secret appears in any log line, JSON or readable,
  in any error, nor in anything the crawl stored (manifest, warcinfo and every other WARC record,
  CDXJ, articles). The crawl state has no PostgreSQL backend (``crawler/state.py``: SQLite or
  Redis), so there is no PostgreSQL URL to test.
- The crawl opens no listening socket (Scrapy's telnet console and RemoteControl are off), and
  ``scrapy settings`` (what scrapyd jobs run with) says both are off.
- The shipped scrapyd config serves its API only with a password, and does not start without one.
- Object keys cannot leave the archive prefix: not with a crawl id like ``../../x``, not with a
  traversal key handed to either store.
"""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
import time
import uuid
import zlib
from pathlib import Path

import pytest
import requests

from crawler.archive.local import LocalStore
from crawler.archive.s3 import S3Store
from crawler.archive.store import StoreSettings
from tests.helpers import REPO, free_port, run_cli, wait_for_port, write_demo_site_file
from tests.redis_server import PrivateRedis

REDIS_PASSWORD = "rds-pw-7Hk2Qx9Lm4Vb"
WRONG_PASSWORD = "wrong-pw-Zq81NcT0"


@pytest.fixture
def locked_redis(tmp_path):
    with PrivateRedis(tmp_path / "redis", password=REDIS_PASSWORD) as server:
        yield server


def _listening_ports(pid: int) -> set[int]:
    """TCP ports a process listens on (its socket inodes matched against /proc/net/tcp*)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # state LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def _texts_of(path: Path) -> str:
    """A stored file as text, decompressed (every gzip member of a WARC)."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        members = []
        while data:
            inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
            members.append(inflate.decompress(data) + inflate.flush())
            data = inflate.unused_data
        data = b"".join(members)
    return data.decode("utf-8", "replace")


def _scrapy_crawl(
    cwd: Path, *settings: str, env: dict | None = None
) -> subprocess.CompletedProcess:
    """``scrapy crawl news`` (the command scrapyd runs jobs with) in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "scrapy.cmdline", "crawl", "news", "-a", "site=demo"]
        + [arg for s in settings for arg in ("-s", s)],
        cwd=cwd,
        env={
            **os.environ,
            "PYTHONPATH": str(REPO),
            "SCRAPY_SETTINGS_MODULE": "crawler.settings",
            **(env or {}),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_no_secret_reaches_a_log_line_an_error_or_the_archive(
    s3_env, demo_site, locked_redis, tmp_path
):
    secrets = {"AWS_SECRET_ACCESS_KEY": s3_env.secret_key, "Redis password": REDIS_PASSWORD}
    bucket = s3_env.create_bucket(f"secrets-{uuid.uuid4().hex[:12]}")
    work = tmp_path / "work"
    write_demo_site_file(work / "sites", demo_site.base_url)
    crawl = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "crawl", "demo", "--archive", f"s3://{bucket}/news",
         "-s", f"REDIS_URL={locked_redis.url}", "-s", "LOG_LEVEL=DEBUG",
         "-s", "ARCHIVE_CRAWL_ID=../../escaped"],
        cwd=work, env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=open(tmp_path / "stdout", "w"), stderr=open(tmp_path / "stderr", "w"),  # noqa: SIM115
    )  # fmt: skip
    listening, samples = set(), 0
    try:
        while crawl.poll() is None and samples < 3000:
            listening |= _listening_ports(crawl.pid)
            samples += 1
            time.sleep(0.05)
    except FileNotFoundError:
        pass  # it ended between poll() and reading /proc
    finally:
        if crawl.poll() is None:
            crawl.kill()
        crawl.wait(timeout=120)
    stdout, stderr = (tmp_path / "stdout").read_text(), (tmp_path / "stderr").read_text()
    assert crawl.returncode == 0, stderr[-3000:]
    assert samples >= 10, "the crawl ended before its sockets could be looked at"
    assert listening == set(), f"the crawl listened on {listening} (telnet? RemoteControl?)"
    events = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert len(events) > 100 and any(e["level"] == "debug" for e in events)
    # the secrets were really in play: the frontier on the locked Redis, the archive in S3
    assert any(e["event"] == "frontier.opened" for e in events)
    assert locked_redis.client().keys("newsarchive:frontier:..-..-escaped:*")
    summary = next(e for e in events if e["event"] == "crawl.summary")
    assert summary["reason"] == "finished" and summary["articles"] >= 20

    # Everything the crawl stored: it is all under the prefix, the crawl id made safe.
    client = s3_env.client()
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys and all(k.startswith("news/") and "/../" not in k for k in keys), keys
    assert {k.split("/")[2] for k in keys if k.startswith("news/warc/")} == {"..-..-escaped"}
    assert "news/manifests/..-..-escaped.json" in keys
    stored = tmp_path / "stored"
    for key in keys:
        path = stored / key.replace("/", "_")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    texts = {key: _texts_of(stored / key.replace("/", "_")) for key in keys}
    assert any("WARC-Type: warcinfo" in t for t in texts.values())
    assert not list((work / ".newsarchive" / "spool").rglob("*.warc.gz"))

    # Runs that fail with the secrets around: one line each, naming the problem, not the secret.
    failures = {
        "wrong Redis password": run_cli(
            "crawl", "demo", "--archive", str(tmp_path / "a"), "-s",
            f"REDIS_URL=redis://:{WRONG_PASSWORD}@127.0.0.1:{locked_redis.port}/0", cwd=work,
        ),
        "password in the query": run_cli(
            "crawl", "demo", "--archive", str(tmp_path / "a"), "-s",
            f"REDIS_URL=redis://127.0.0.1:{locked_redis.port}/0?password={WRONG_PASSWORD}",
            cwd=work,
        ),
        "Redis not answering": run_cli(
            "crawl", "demo", "--archive", str(tmp_path / "a"), "-s",
            f"REDIS_URL=redis://:{REDIS_PASSWORD}@127.0.0.1:{free_port()}/0", cwd=work,
        ),
        "S3 endpoint not answering": run_cli(
            "crawl", "demo", "--archive", f"s3://{bucket}/news", cwd=work,
            env={"AWS_ENDPOINT_URL": f"http://admin:{s3_env.secret_key}@127.0.0.1:{free_port()}"},
        ),
    }  # fmt: skip
    for what, result in failures.items():
        assert result.returncode == 2, (what, result.stderr[-2000:])
        assert len(result.stderr.strip().splitlines()) == 1, (what, result.stderr[-2000:])
    assert "REDIS_URL" in failures["wrong Redis password"].stderr
    assert "AWS_ENDPOINT_URL" in failures["S3 endpoint not answering"].stderr
    # scrapy crawl (scrapyd), readable lines: the store cannot be reached, the Redis URL is logged
    readable = _scrapy_crawl(
        work,
        f"ARCHIVE_URI=s3://{bucket}/news",
        f"REDIS_URL={locked_redis.url}",
        "LOG_JSON=false",
        "LOG_LEVEL=DEBUG",
        env={"AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"},
    )
    assert "archive_unavailable" in readable.stderr or "cannot reach" in readable.stderr
    # (Scrapy's banner comes before LOG_JSON is applied: JSON, as off a terminal)
    assert any(line[:1] not in "{ " for line in readable.stderr.splitlines()), "no readable lines"
    wrong_key = _scrapy_crawl(
        work,
        f"ARCHIVE_URI=s3://{bucket}/news",
        env={"AWS_SECRET_ACCESS_KEY": WRONG_PASSWORD},
    )
    assert "AWS_SECRET_ACCESS_KEY" in wrong_key.stderr

    outputs = {
        "crawl stdout": stdout,
        "crawl log": stderr,
        **{f"{what}: output": r.stdout + r.stderr for what, r in failures.items()},
        "scrapy crawl, readable": readable.stdout + readable.stderr,
        "scrapy crawl, wrong key": wrong_key.stdout + wrong_key.stderr,
        **texts,
    }
    for name, secret in {**secrets, "the wrong password": WRONG_PASSWORD}.items():
        leaks = [where for where, text in outputs.items() if secret in text]
        assert leaks == [], f"{name} appears in {leaks}"


def test_scrapy_settings_have_telnet_and_remote_control_off(tmp_path):
    for name in ("TELNETCONSOLE_ENABLED", "REMOTE_CONTROL_ENABLED"):
        result = subprocess.run(
            [sys.executable, "-m", "scrapy.cmdline", "settings", "--getbool", name],
            cwd=REPO,
            env={**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings"},
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout.strip() == "False", (name, result.stdout)


# -- scrapyd ---------------------------------------------------------------------------------------


def _scrapyd_from_shipped_config(directory: Path, password: str | None) -> subprocess.Popen:
    """scrapyd started with deploy/scrapyd.conf as shipped, but its directories under
    ``directory`` and its port free (SCRAPYD_HTTP_PORT)."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(REPO / "deploy" / "scrapyd.conf")
    for name in ("eggs_dir", "logs_dir", "dbs_dir"):
        config["scrapyd"][name] = str(directory / name)
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "scrapyd.conf", "w") as fh:
        config.write(fh)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPYD_")}
    env["SCRAPYD_HTTP_PORT"] = str(free_port())
    if password is not None:
        env["SCRAPYD_PASSWORD"] = password
    proc = subprocess.Popen(
        [Path(sys.executable).parent / "scrapyd", "--pidfile="],
        cwd=directory,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    proc.port = int(env["SCRAPYD_HTTP_PORT"])
    return proc


def test_shipped_scrapyd_config_serves_its_api_only_with_the_password(tmp_path):
    password = "scrapyd-pw-Rk37Xu"
    proc = _scrapyd_from_shipped_config(tmp_path / "with", password)
    try:
        wait_for_port(proc.port)
        url = f"http://127.0.0.1:{proc.port}/daemonstatus.json"
        assert requests.get(url, timeout=10).status_code == 401
        assert requests.get(url, auth=("newsarchive", "guess"), timeout=10).status_code == 401
        answer = requests.get(url, auth=("newsarchive", password), timeout=10)
        assert answer.status_code == 200 and answer.json()["status"] == "ok"
        schedule = requests.post(
            f"http://127.0.0.1:{proc.port}/schedule.json",
            data={"project": "newsarchive", "spider": "news"},
            timeout=10,
        )
        assert schedule.status_code == 401
    finally:
        proc.terminate()
        output = proc.communicate(timeout=15)[0]
    assert password not in output


def test_shipped_scrapyd_config_does_not_start_without_a_password(tmp_path):
    proc = _scrapyd_from_shipped_config(tmp_path / "without", None)
    try:
        output = proc.communicate(timeout=60)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0
    assert "scrapyd_password is not set" in output.lower(), output[-2000:]


# -- object keys ------------------------------------------------------------------------------------

TRAVERSALS = ["../outside", "warc/../../outside", "/etc/outside", "warc//x", "warc/./x", "", ".."]


@pytest.mark.parametrize("key", TRAVERSALS)
def test_local_store_refuses_keys_that_leave_the_archive(tmp_path, key):
    root = tmp_path / "deep" / "archive"
    store = LocalStore(root)
    store.check()
    source = tmp_path / "file.warc.gz"
    source.write_bytes(b"data")
    for attempt in (
        lambda: store.submit(source, key),
        lambda: store.read(key),
        lambda: store.exists(key),
        lambda: store.read_range(key, 0, 4),
    ):
        with pytest.raises(ValueError, match="invalid archive key"):
            attempt()
    assert source.read_bytes() == b"data"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["file.warc.gz"]


def test_s3_store_refuses_keys_that_leave_its_prefix(s3_env, tmp_path):
    bucket = s3_env.create_bucket(f"keys-{uuid.uuid4().hex[:12]}")
    store = S3Store(
        bucket,
        "news/a",
        StoreSettings.from_settings({"ARCHIVE_SPOOL_DIR": str(tmp_path / "spool")}),
    )
    store.check()
    source = tmp_path / "file.warc.gz"
    source.write_bytes(b"data")
    for key in TRAVERSALS:
        for attempt in (
            lambda key=key: store.submit(source, key),
            lambda key=key: store.read(key),
            lambda key=key: store.exists(key),
            lambda key=key: store.spool_dir(key),
        ):
            with pytest.raises(ValueError, match="invalid archive key"):
                attempt()
    store.submit(source, "warc/crawl/file.warc.gz")
    summary = store.close(timeout=60)
    assert [f.key for f in summary.uploaded] == ["warc/crawl/file.warc.gz"]
    keys = [o["Key"] for o in s3_env.client().list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == ["news/a/warc/crawl/file.warc.gz"]
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file() and p.name[0] != ".") == []


def test_crawl_id_that_is_a_path_is_one_clear_line(tmp_path, demo_site):
    write_demo_site_file(tmp_path / "sites", demo_site.base_url)
    archive = tmp_path / "deep" / "archive"
    for crawl_id in ("..", "."):
        result = run_cli(
            "crawl", "demo", "--archive", str(archive), "-s", f"ARCHIVE_CRAWL_ID={crawl_id}",
            cwd=tmp_path,
        )  # fmt: skip
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1, result.stderr[-2000:]
        assert "ARCHIVE_CRAWL_ID" in lines[0]
    assert not list(tmp_path.glob("deep/*.warc.gz*"))
    assert not list(tmp_path.rglob("*.warc.gz*"))
