"""A loopback web server whose pages a test sets: articles, feeds, errors and a page that hangs.

It speaks real HTTP on 127.0.0.1 and a free port, so the real fetcher (httpx, redirects, time
limits, content types) is exercised end to end. Pages are ``path -> (status, content_type, body)``
with an optional fourth item of extra headers; unknown paths answer 404.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Page = tuple[int, str, bytes | str] | tuple[int, str, bytes | str, Mapping[str, str]]

SLOW_PATH = "/slow"


class PageServer:
    """Serves ``pages`` (a dict tests fill in) and hangs on ``/slow`` for ``slow_seconds``."""

    def __init__(self, *, slow_seconds: float = 10.0) -> None:
        self.pages: dict[str, Page] = {}
        self.requests: list[tuple[str, str, bytes]] = []
        self.slow_path = SLOW_PATH
        self.slow_seconds = slow_seconds
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        """Absolute URL of a path on this server (``url("/a.html")``)."""
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def add(
        self, path: str, body: bytes | str, *, status: int = 200,
        content_type: str = "text/html; charset=utf-8", headers: Mapping[str, str] | None = None,
    ) -> str:
        """Serve ``body`` at ``path`` and return its absolute URL."""
        self.pages[path] = (status, content_type, body, dict(headers or {}))
        return self.url(path)

    def requested(self, path: str) -> int:
        """How many requests this path has received."""
        return sum(1 for _, p, _ in self.requests if p == path)

    def start(self) -> PageServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()  # wake any handler still hanging on the slow path
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> PageServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def _handler_for(server: PageServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._answer(b"")

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            self._answer(self.rfile.read(length) if length else b"")

        def _answer(self, body_in: bytes) -> None:
            server.requests.append((self.command, self.path, body_in))
            if self.path.split("?", 1)[0] == server.slow_path:
                server._release.wait(server.slow_seconds)
                page: Any = (200, "text/html; charset=utf-8", "<html><body>late</body></html>")
            else:
                page = server.pages.get(self.path) or server.pages.get(self.path.split("?", 1)[0])
                if page is None:
                    page = (404, "text/plain; charset=utf-8", "not found")
            status, content_type, body, *rest = page
            data = body.encode("utf-8") if isinstance(body, str) else body
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in (rest[0] if rest else {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout tests do exactly that)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
