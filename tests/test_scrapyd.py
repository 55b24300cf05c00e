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


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    """A real scrapyd (127.0.0.1) with this project's egg deployed as ``newsarchive``."""
    tmp_path = tmp_path_factory.mktemp("scrapyd")
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
        url = f"http://127.0.0.1:{port}"
        _deploy(url, tmp_path)
        yield url, tmp_path
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def _deploy(url: str, tmp_path: Path) -> None:
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


def run_job(url: str, scrapyd_dir: Path, settings: list[str], site: str = "demo") -> list[dict]:
    """Schedule a ``news`` job, wait for it to finish; the JSON events of its log."""
    job = requests.post(
        f"{url}/schedule.json",
        data=[
            ("project", "newsarchive"),
            ("spider", "news"),
            ("site", site),
            ("setting", "LOG_JSON=true"),
            *(("setting", s) for s in settings),
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
    return [json.loads(line) for line in log_file.read_text().splitlines() if line.strip()]


@pytest.fixture
def job_settings(demo_site, tmp_path) -> list[str]:
    """A job's settings: the demo site's file, an archive and a crawl state under tmp_path."""
    sites = tmp_path / "sites"
    write_demo_site_file(sites, demo_site.base_url)
    return [
        f"SITES_DIR={sites}",
        f"ARCHIVE_URI={tmp_path / 'archive'}",
        f"STATE_DIR={tmp_path / 'state'}",
    ]


def test_crawl_scheduled_on_scrapyd_archives_the_site(deployed, job_settings, tmp_path):
    url, scrapyd_dir = deployed
    archive = tmp_path / "archive"
    events = run_job(url, scrapyd_dir, job_settings)
    summary = [e for e in events if e["event"] == "crawl.summary"]
    assert summary and summary[0]["reason"] == "finished", events[-20:]
    assert summary[0]["articles"] >= 20
    files = warc_files(archive)
    assert files and not list(archive.rglob("*.open"))
    responses = [r for f in files for r in records(f) if r.rec_type == "response"]
    assert len(responses) >= 30
    manifest = json.loads(next(archive.glob("manifests/*.json")).read_text())
    assert manifest["crawl_id"].startswith("demo-")


def test_bad_setting_in_a_scrapyd_job_is_one_clear_line(deployed, job_settings, tmp_path):
    url, scrapyd_dir = deployed
    archive = tmp_path / "archive"
    events = run_job(url, scrapyd_dir, [*job_settings, "ARCHIVE_WARC_MAX_SIZE=big"])
    errors = [e for e in events if e["level"] in ("error", "critical")]
    assert [e["event"] for e in errors] == ["crawl.config_error"], errors
    assert errors[0]["error"] == BAD_WARC_SIZE_LINE
    assert not any("Traceback" in json.dumps(e) for e in events)
    assert not warc_files(archive)


BAD_WARC_SIZE_LINE = "setting ARCHIVE_WARC_MAX_SIZE='big': not a size (use bytes or e.g. 16MB)"
