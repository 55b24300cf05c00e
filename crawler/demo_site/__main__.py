"""``python -m crawler.demo_site``: serve the demo news site until SIGTERM or SIGINT.

``--template legacy`` or ``--template farm`` serves one of the other demo sites instead of The
Harbour Courier.

Prints one line, ``demo site: http://HOST:PORT/``, once the port is bound (``--port 0`` picks a
free one), then serves; exits 0 on SIGTERM/SIGINT. ``--pid-file`` lets a Makefile stop it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path

from crawler.demo_site import TEMPLATES, DemoSite, demo_manifest, template_manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m crawler.demo_site", description="Serve the offline demo news site."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port; 0 picks a free one")
    parser.add_argument("--edition", type=int, choices=(1, 2), default=1,
                        help="2 = the changed site: three more stories, nothing else changed")  # fmt: skip
    parser.add_argument("--template", choices=TEMPLATES, default="courier",
                        help="which site: courier (default), legacy or farm")  # fmt: skip
    parser.add_argument("--pid-file", type=Path, help="write this process's PID here")
    parser.add_argument("--access-log", type=Path, help="append each request as a JSON line")
    parser.add_argument("--print-manifest", action="store_true",
                        help="print the ground-truth manifest for this host/port as JSON and exit")  # fmt: skip
    args = parser.parse_args(argv)

    if args.print_manifest:
        base = f"http://{args.host}:{args.port}/"
        if args.template == "courier":
            manifest = demo_manifest(base, args.edition)
        else:
            manifest = template_manifest(args.template, base, args.edition)
        json.dump(manifest, sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        site = DemoSite(
            args.host, args.port, edition=args.edition, access_log=args.access_log,
            template=args.template,
        )  # fmt: skip
        site.start()
    except OSError as exc:
        print(
            f"demo site: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr
        )
        return 1
    if args.pid_file:
        args.pid_file.write_text(f"{os.getpid()}\n")
    try:
        print(f"demo site: {site.base_url}", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        site.stop()
        if args.pid_file:
            args.pid_file.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
