"""``make demo``: start the bundled offline demo site, crawl it into an archive, stop the site.

    python -m crawler.demo_run [--port 8765] [--archive ./archive]

The site runs as a child process on 127.0.0.1 and is stopped by its PID whatever happens; the
crawl is ``newsarchive crawl demo`` (sites/demo.toml, re-pointed at ``--port`` when it differs).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from crawler import cli

_DEFAULT_PORT = 8765
_DEFAULT_BASE = f"http://127.0.0.1:{_DEFAULT_PORT}/"


def write_site_file(site_file: Path, sites_dir: Path, base_url: str) -> Path:
    """``site_file`` (sites/demo.toml) copied into ``sites_dir``, re-pointed at ``base_url``."""
    sites_dir.mkdir(parents=True, exist_ok=True)
    path = sites_dir / site_file.name
    path.write_text(site_file.read_text().replace(_DEFAULT_BASE, base_url))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="demo", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=_DEFAULT_PORT)
    parser.add_argument("--archive", default="./archive")
    parser.add_argument(
        "--sites-dir", default=str(Path(__file__).resolve().parent.parent / "sites")
    )
    args = parser.parse_args(argv)

    site_file = Path(args.sites_dir) / "demo.toml"
    if not site_file.is_file():
        print(f"demo: error: {site_file} is missing", file=sys.stderr)
        return 2
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crawler.demo_site",
            "--host",
            "127.0.0.1",
            "--port",
            str(args.port),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = server.stdout.readline()
        if not line:
            print(
                f"demo: error: the demo site did not start on 127.0.0.1:{args.port}",
                file=sys.stderr,
            )
            return 1
        print(line.strip(), flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            sites_dir = args.sites_dir
            if args.port != _DEFAULT_PORT:
                write_site_file(site_file, Path(tmp), f"http://127.0.0.1:{args.port}/")
                sites_dir = tmp
            return cli.main(["crawl", "demo", "--archive", args.archive, "--sites-dir", sites_dir])
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        print(f"demo site stopped (pid {server.pid})", flush=True)


if __name__ == "__main__":
    sys.exit(main())
