"""Serve a pywb collection directory on 127.0.0.1 (run with the pywb venv's Python).

    python pywb_server.py DIR PORT

pywb's own ``wayback`` command monkey-patches the process with gevent; replaying through the plain
WSGI app is enough for tests and keeps the server a simple child process.
"""

import os
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def main() -> None:
    os.chdir(sys.argv[1])
    from pywb.apps.frontendapp import FrontEndApp

    server = make_server(
        "127.0.0.1",
        int(sys.argv[2]),
        FrontEndApp(),
        server_class=_ThreadingServer,
        handler_class=_Quiet,
    )
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
