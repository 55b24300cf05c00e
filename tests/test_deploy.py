"""deploy/: the compose file, the Dockerfile's scrapyd project and the scheduler's systemd unit.

There is no Docker engine here, so deploy/compose.yaml is checked against the code it configures:
every environment variable it sets is one the code reads (ours, scrapyd's or botocore's), the
scheduler's nodes are the compose's scrapyd services, and the archive's bucket is the one created.
A real scrapyd configured the way the image configures it (the installed project, no egg; settings
from the environment as compose sets them) runs a crawl of a site file found through SITES_DIR.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import botocore
import pytest
import requests
import scrapyd
import yaml

from crawler.cli import _parser
from tests.helpers import REPO, free_port, wait_for_port
from tests.local_site import LocalSite
from tests.test_scheduler import article, front

pytestmark = pytest.mark.fast

DEPLOY = REPO / "deploy"
IMAGE_ROOT = "/srv/newsarchive"  # WORKDIR of deploy/Dockerfile, where COPY puts the repository
# How code reads a variable from the environment: os.environ.get("X"), os.getenv("X"), ...
_ENV_READ = r"""(?:environ\.get|getenv|environ\[|environ\.setdefault)\(?\s*["']{name}["']"""


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def _sources(root: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.py")))


@pytest.fixture(scope="module")
def readers() -> dict[str, str]:
    """The source text of everything that reads the compose file's variables."""
    return {
        "newsarchive": _sources(REPO / "crawler") + _sources(REPO / "pipelines"),
        "scrapyd": _sources(Path(scrapyd.__file__).parent),
        "botocore": _sources(Path(botocore.__file__).parent),
    }


def _is_read(name: str, readers: dict[str, str]) -> bool:
    pattern = _ENV_READ.format(name=re.escape(name))
    if re.search(pattern, readers["newsarchive"]) or re.search(pattern, readers["scrapyd"]):
        return True
    # botocore maps variables to config names in tables ('AWS_ENDPOINT_URL', ...)
    return name.startswith("AWS_") and re.search(rf"""["']{name}["']""", readers["botocore"])


def test_every_variable_compose_sets_is_one_the_code_reads(compose, readers):
    unread = {
        f"{service}: {name}"
        for service, spec in compose["services"].items()
        for name in spec.get("environment") or {}
        if not _is_read(name, readers)
    }
    assert not unread, f"set in deploy/compose.yaml, read by nothing: {sorted(unread)}"


def _scrapyd_services(compose: dict) -> dict[str, dict]:
    return {
        n: s for n, s in compose["services"].items() if s.get("command", [None])[0] == "scrapyd"
    }


def test_scheduler_nodes_are_the_compose_scrapyd_services(compose):
    nodes = _scrapyd_services(compose)
    assert len(nodes) == 2
    scheduler = compose["services"]["scheduler"]
    args = _parser().parse_args(scheduler["command"][1:])  # the CLI takes the command as written
    assert args.command == "schedule" and args.action == "run" and not args.once
    urls = scheduler["environment"]["SCRAPYD_URLS"].split(",")
    conf = configparser.ConfigParser(interpolation=None)
    conf.read(DEPLOY / "scrapyd.conf")
    for name, node in nodes.items():
        port = int(node["environment"].get("SCRAPYD_HTTP_PORT", conf["scrapyd"]["http_port"]))
        assert f"http://{name}:{port}" in urls
        # scrapyd reads ./scrapyd.conf: the working directory must hold deploy/scrapyd.conf
        workdir = Path(node["working_dir"]).relative_to(IMAGE_ROOT)
        assert (REPO / workdir / "scrapyd.conf").is_file()
        assert node["environment"]["SCRAPYD_BIND_ADDRESS"] == "0.0.0.0"  # noqa: S104 - in its container
        assert all(p.startswith("127.0.0.1:") for p in node["ports"])  # the host's loopback only
    assert {urlsplit(u).hostname for u in urls} == set(nodes)


def test_nodes_and_scheduler_share_state_sites_and_credentials(compose):
    services = compose["services"]
    nodes = _scrapyd_services(compose).values()
    scheduler = services["scheduler"]["environment"]
    for node in nodes:
        env = node["environment"]
        # the scheduler's records and the crawls' site_runs must be in one crawl state
        assert env["REDIS_URL"] == scheduler["REDIS_URL"]
        assert env["SITES_DIR"] == scheduler["SITES_DIR"]
        assert env["SCRAPYD_PASSWORD"] == scheduler["SCRAPYD_PASSWORD"]
        assert env["SCRAPYD_PASSWORD"].startswith("${SCRAPYD_PASSWORD:?")  # required, never a value
        assert urlsplit(env["REDIS_URL"]).hostname in services
        endpoint = urlsplit(env["AWS_ENDPOINT_URL"])
        assert endpoint.hostname == "seaweedfs"
        assert f"-s3.port={endpoint.port}" in services["seaweedfs"]["command"]
        bucket = urlsplit(env["ARCHIVE_URI"]).hostname
        assert f"s3.bucket.create -name {bucket}" in " ".join(
            services["seaweedfs-bucket"]["command"]
        )
    for spec in services.values():
        for volume in spec.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).resolve().is_dir(), volume
    assert "SITES_DIR" in scheduler and scheduler["SITES_DIR"].startswith(IMAGE_ROOT)


def test_scheduler_unit_runs_the_schedule_command():
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str
    unit.read(DEPLOY / "newsarchive-schedule.service")
    service = unit["Service"]
    program, *args = shlex.split(service["ExecStart"])
    assert program == f"{IMAGE_ROOT}/.venv/bin/newsarchive"
    parsed = _parser().parse_args(args)
    assert parsed.command == "schedule" and parsed.action == "run"
    assert service["Type"] == "simple" and service["Restart"] == "on-failure"
    # SIGTERM to the scheduler alone: it asks its own crawls to finish and collects them
    assert service["KillSignal"] == "SIGTERM" and service["KillMode"] == "mixed"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def image_scrapyd_settings() -> tuple[str, dict[str, str]]:
    """What deploy/Dockerfile gives scrapyd: its conf.d text, and the image's ENV variables."""
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    match = re.search(r"printf '(.*)' > /etc/scrapyd/conf\.d/", dockerfile)
    assert match, "the image must name the project for scrapyd"
    env = dict(re.findall(r"^ENV (\w+)=(\S+)$", dockerfile, flags=re.MULTILINE))
    return match[1].replace("\\n", "\n"), env


def test_dockerfile_names_the_installed_project_as_scrapy_cfg_does():
    conf_d, env = image_scrapyd_settings()
    section = configparser.ConfigParser()
    section.read_string(conf_d)
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "scrapy.cfg")
    assert dict(section["settings"]) == {cfg["deploy:local"]["project"]: cfg["settings"]["default"]}
    assert env["SCRAPY_SETTINGS_MODULE"] == cfg["settings"]["default"]


@pytest.mark.e2e
def test_a_node_configured_like_the_image_crawls_a_site_from_sites_dir(tmp_path):
    """No egg: the installed project, named for scrapyd as the image names it (its conf.d file and
    ENV); SITES_DIR, ARCHIVE_URI and STATE_DIR from the node's environment, as compose sets them."""
    conf_d, image_env = image_scrapyd_settings()
    pages = {f"/news/{n}/": article("Node", n) for n in (1, 2)}
    with LocalSite({"/": front(list(pages)), **pages}) as site:
        sites = tmp_path / "sites"
        sites.mkdir()
        (sites / "harbour.toml").write_text(
            f'name = "harbour"\nstart_urls = ["{site.url("/")}"]\narticle_patterns = ["/news/"]\n'
        )
        port = free_port()
        (tmp_path / "scrapyd.conf").write_text(
            f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\n"
            f"eggs_dir = {tmp_path / 'eggs'}\nlogs_dir = {tmp_path / 'logs'}\n"
            f"dbs_dir = {tmp_path / 'dbs'}\nitems_dir =\npoll_interval = 0.5\n"
            f"username = newsarchive\n\n{conf_d}"
        )
        env = {
            **os.environ,
            **image_env,
            "PYTHONPATH": str(REPO),
            "SCRAPYD_PASSWORD": "node-secret",
            "SITES_DIR": str(sites),
            "ARCHIVE_URI": str(tmp_path / "archive"),
            "STATE_DIR": str(tmp_path / "state"),
        }
        node = subprocess.Popen(
            [Path(sys.executable).parent / "scrapyd", "--pidfile="],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(port)
            url, auth = f"http://127.0.0.1:{port}", ("newsarchive", "node-secret")
            assert requests.get(f"{url}/listjobs.json", timeout=10).status_code == 401
            job = requests.post(
                f"{url}/schedule.json",
                data={"project": "newsarchive", "spider": "news", "site": "harbour",
                      "setting": ["CLEAN_TEMPLATE_MIN_PAGES=1", "CLEAN_WORKERS=0",
                                  "ROBOTSTXT_OBEY=False", "LOG_JSON=true"]},
                auth=auth,
                timeout=60,
            ).json()  # fmt: skip
            assert job["status"] == "ok", job
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                jobs = requests.get(f"{url}/listjobs.json", auth=auth, timeout=10).json()
                if any(j["id"] == job["jobid"] for j in jobs["finished"]):
                    break
                time.sleep(0.5)
            else:
                pytest.fail("the job did not finish in 90 s")
        finally:
            node.terminate()
            node.wait(timeout=15)
    log_lines = next((tmp_path / "logs").rglob(f"{job['jobid']}.log")).read_text().splitlines()
    events = [json.loads(line) for line in log_lines if line.startswith("{")]
    summary = [e for e in events if e["event"] == "crawl.summary"]
    assert summary and summary[0]["articles"] == 2, events[-10:]
    assert list((tmp_path / "archive").glob("warc/*/*.warc.gz"))
    assert (tmp_path / "state" / "state.sqlite").is_file()
