"""Fixtures shared by the suite: the demo site, and pywb replay of an archive."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers import PYWB_PYTHON, REPO, free_port, wait_for_port


@pytest.fixture(scope="session")
def demo_site():
    """The bundled demo news site, first edition, on a free port of 127.0.0.1."""
    from crawler.demo_site import DemoSite

    with DemoSite(port=0) as site:
        yield site


@pytest.fixture
def pywb(tmp_path):
    """``replay(warc_paths) -> base URL of a pywb collection "demo" holding those WARCs``.

    The collection is built by pywb's own ``wb-manager add`` (pywb indexes the files itself), so
    replay is an independent reading of what we wrote.
    """
    if not PYWB_PYTHON.exists():
        pytest.fail(
            f"pywb is not installed at {PYWB_PYTHON}: run `make test` (it creates .venv-pywb), "
            "or `python3 -m venv .venv-pywb && .venv-pywb/bin/pip install 'setuptools<81' "
            "pywb==2.8.0 'redis<3'`"
        )
    wb_manager = PYWB_PYTHON.parent / "wb-manager"
    root = tmp_path / "pywb"
    root.mkdir()
    procs: list[subprocess.Popen] = []

    def replay(warcs: list[Path]) -> str:
        subprocess.run([wb_manager, "init", "demo"], cwd=root, check=True, capture_output=True)
        subprocess.run(
            [wb_manager, "add", "demo", *map(str, warcs)], cwd=root, check=True, capture_output=True
        )
        port = free_port()
        proc = subprocess.Popen(
            [PYWB_PYTHON, REPO / "tests" / "pywb_server.py", root, str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(proc)
        wait_for_port(port)
        return f"http://127.0.0.1:{port}/demo"

    yield replay
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)
