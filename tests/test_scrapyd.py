"""A scrapyd deployment: the project egg deployed to a real scrapyd, a crawl scheduled through its API."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.helpers import REPO, free_port, records, wait_for_port, warc_files, write_demo_site_file


@pytest.fixture
def scrapyd(tmp_path):
    port = free_port()
    (tmp_path / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        "bind_address = 127.0.0.1\n"
        f"http_port = {port}\n"
        f"eggs_dir = {tmp_path / 'eggs'}\n"
        f"logs_dir = {tmp_path / 'logs'}\n"
        f"dbs_dir = {tmp_path / 'dbs'}\n"
        "items_dir =\n"
        "max_proc = 2\n"
        "poll_interval = 0.5\n"
    )
    scrapyd_bin = Path(sys.executable).parent / "scrapyd"
    proc = subprocess.Popen(
        [scrapyd_bin, "--pidfile="],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}", tmp_path
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_crawl_scheduled_on_scrapyd_archives_the_site(scrapyd, demo_site, tmp_path):
    url, scrapyd_dir = scrapyd
    egg = tmp_path / "newsarchive.egg"
    # scrapyd-deploy writes a setup.py and build files beside scrapy.cfg: build from a copy.
    project = tmp_path / "project"
    project.mkdir()
    for name in ("crawler", "pipelines"):
        shutil.copytree(REPO / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("scrapy.cfg", "pyproject.toml", "README.md"):
        shutil.copy(REPO / name, project / name)
    build = subprocess.run(
        [Path(sys.executable).parent / "scrapyd-deploy", "--build-egg", str(egg)],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    with open(egg, "rb") as fh:
        added = requests.post(
            f"{url}/addversion.json",
            data={"project": "newsarchive", "version": "1"},
            files={"egg": fh},
            timeout=60,
        ).json()
    assert added["status"] == "ok", added
    assert (
        "news"
        in requests.get(f"{url}/listspiders.json?project=newsarchive", timeout=30).json()["spiders"]
    )

    sites = tmp_path / "sites"
    write_demo_site_file(sites, demo_site.base_url)
    archive = tmp_path / "archive"
    job = requests.post(
        f"{url}/schedule.json",
        data=[
            ("project", "newsarchive"),
            ("spider", "news"),
            ("site", "demo"),
            ("setting", f"SITES_DIR={sites}"),
            ("setting", f"ARCHIVE_URI={archive}"),
            ("setting", f"STATE_DIR={tmp_path / 'state'}"),
            ("setting", "LOG_JSON=true"),
        ],
        timeout=30,
    ).json()
    assert job["status"] == "ok", job
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        jobs = requests.get(f"{url}/listjobs.json?project=newsarchive", timeout=30).json()
        if any(j["id"] == job["jobid"] for j in jobs["finished"]):
            break
        time.sleep(0.5)
    else:
        pytest.fail("the scrapyd job did not finish in 180 s")

    log_file = next((scrapyd_dir / "logs").rglob(f"{job['jobid']}.log"))
    # every line of the job's log is a JSON event, Scrapy's banner included
    events = [json.loads(line) for line in log_file.read_text().splitlines() if line.strip()]
    summary = [e for e in events if e["event"] == "crawl.summary"]
    assert summary and summary[0]["reason"] == "finished", log_file.read_text()[-3000:]
    assert summary[0]["articles"] >= 20
    files = warc_files(archive)
    assert files and not list(archive.rglob("*.open"))
    responses = [r for f in files for r in records(f) if r.rec_type == "response"]
    assert len(responses) >= 30
    manifest = json.loads(next(archive.glob("manifests/*.json")).read_text())
    assert manifest["crawl_id"].startswith("demo-")
