"""``rerun-git report --serve``: the report folder over HTTP on the loopback address only."""
from __future__ import annotations

import functools
from collections.abc import Callable
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from rerun_git.errors import RerunError

HOST = "127.0.0.1"


def make_server(directory: Path, port: int = 8000) -> ThreadingHTTPServer:
    """A server of ``directory`` bound to 127.0.0.1 (``port`` 0 picks a free one); the caller serves and closes it."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    try:
        return ThreadingHTTPServer((HOST, port), handler)
    except OSError as exc:
        raise RerunError(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}", hint="choose another --port") from None


def serve_forever(directory: Path, port: int = 8000, announce: Callable[[str], None] = print) -> None:
    """Serve until Ctrl-C; ``announce`` gets the address first."""
    server = make_server(directory, port)
    announce(f"serving {directory} on http://{HOST}:{server.server_address[1]}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves files without logging every request to the terminal; never lists folders."""

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        return

    def list_directory(self, path):  # type: ignore[override]
        self.send_error(404, "no listing")
        return None
