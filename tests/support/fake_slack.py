"""A loopback stand-in for Slack: its Web API over HTTP and a Socket Mode WebSocket server.

Both listen on 127.0.0.1 on ports the OS picks. The Web API part answers the methods briefbot
uses (`auth.test`, `chat.postMessage`, `chat.update`, `chat.postEphemeral`,
`conversations.replies`, `apps.connections.open`) the way Slack does, plus `response_url`
webhooks under ``/response/...``, and records every call (method, parameters, token) in order.
The WebSocket part greets each connection with `hello`, delivers the envelopes a test queued,
and records what the client sends back (the acks).

Tests never sleep to synchronise: they poll with `wait_for`.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

from websockets.sync.server import Server, ServerConnection, serve

T = TypeVar("T")

BOT_USER_ID = "UBRIEFBOT"
BOT_ID = "BBRIEFBOT"
TEAM_ID = "T0TEAM"
APP_ID = "A0BRIEF"


def wait_for(predicate: Callable[[], T], *, timeout: float = 15.0, interval: float = 0.02,
             message: str = "condition") -> T:
    """Poll ``predicate`` until it returns something truthy; return that, or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {message}")
        time.sleep(interval)


@dataclass(frozen=True)
class Call:
    """One Web API call (or response_url post) as Slack would have received it."""

    method: str
    params: dict[str, Any]
    token: str | None = None

    @property
    def text(self) -> str:
        return str(self.params.get("text") or "")

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return list(self.params.get("blocks") or [])

    def all_text(self) -> str:
        """The fallback text and every text in the blocks, as one string (for assertions)."""
        return self.text + "\n" + "\n".join(_texts(self.blocks))


def _texts(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("text"), str):
            yield node["text"]
        for value in node.values():
            if isinstance(value, dict | list):
                yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)


@dataclass
class FakeSlack:
    """The fake. ``threads[(channel, thread_ts)]`` feeds conversations.replies; ``errors[method]``
    makes a method answer ``{"ok": false, "error": ...}``; ``envelopes`` go out on the next
    Socket Mode connection."""

    threads: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    envelopes: list[dict[str, Any]] = field(default_factory=list)
    socket_received: list[dict[str, Any]] = field(default_factory=list)
    _calls: list[Call] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._http.daemon_threads = True
        self._ws: Server = serve(self._on_socket, "127.0.0.1", 0)
        self._threads = [
            threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.05},
                             daemon=True),
            threading.Thread(target=self._ws.serve_forever, daemon=True),
        ]

    # -- lifecycle -----------------------------------------------------------------------------
    def __enter__(self) -> FakeSlack:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._ws.shutdown()
        self._http.shutdown()
        self._http.server_close()

    # -- addresses -----------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        """What `SLACK_API_URL` should be."""
        return self.base_url + "/api/"

    def response_url(self, name: str = "command") -> str:
        return f"{self.base_url}/response/{name}"

    @property
    def ws_url(self) -> str:
        host, port = self._ws.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link/?ticket=loopback"

    # -- what was called -----------------------------------------------------------------------
    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def wait_for_calls(self, method: str, count: int = 1, *, timeout: float = 15.0) -> list[Call]:
        """Wait until ``method`` was called at least ``count`` times; return those calls."""

        def enough() -> list[Call]:
            calls = self.calls_to(method)
            return calls if len(calls) >= count else []

        return wait_for(enough, timeout=timeout, message=f"{count} call(s) to {method}")

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    def acks(self) -> list[str]:
        """Envelope ids the Socket Mode client acknowledged."""
        with self._lock:
            return [str(m["envelope_id"]) for m in self.socket_received if "envelope_id" in m]

    # -- behaviour -----------------------------------------------------------------------------
    def record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def next_ts(self) -> str:
        with self._lock:
            return f"1800000000.{next(self._ts):06d}"

    def answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """Slack's reply to one Web API method."""
        if method in self.errors:
            return {"ok": False, "error": self.errors[method]}
        channel = params.get("channel")
        match method:
            case "auth.test":
                return {"ok": True, "url": "https://briefbot-test.slack.example/", "team": "Test",
                        "user": "briefbot", "team_id": TEAM_ID, "user_id": BOT_USER_ID,
                        "bot_id": BOT_ID, "is_enterprise_install": False}
            case "chat.postMessage":
                ts = self.next_ts()
                message = {"type": "message", "text": params.get("text"), "user": BOT_USER_ID,
                           "bot_id": BOT_ID, "ts": ts, "thread_ts": params.get("thread_ts")}
                return {"ok": True, "channel": channel, "ts": ts, "message": message}
            case "chat.update":
                return {"ok": True, "channel": channel, "ts": params.get("ts"), "text": params.get("text")}
            case "chat.postEphemeral":
                return {"ok": True, "message_ts": self.next_ts()}
            case "conversations.replies":
                messages = self.threads.get((str(channel), str(params.get("ts"))), [])
                return {"ok": True, "messages": messages, "has_more": False}
            case "apps.connections.open":
                return {"ok": True, "url": self.ws_url}
        return {"ok": True}

    def _on_socket(self, connection: ServerConnection) -> None:
        connection.send(json.dumps({"type": "hello", "num_connections": 1,
                                    "connection_info": {"app_id": APP_ID}}))
        with self._lock:
            outgoing, self.envelopes[:] = list(self.envelopes), []
        for envelope in outgoing:
            connection.send(json.dumps(envelope))
        for message in connection:
            with self._lock:
                self.socket_received.append(json.loads(message))


def _parse(content_type: str, raw: bytes) -> dict[str, Any]:
    if "application/json" in content_type:
        return dict(json.loads(raw or b"{}"))
    params: dict[str, Any] = dict(urllib.parse.parse_qsl(raw.decode("utf-8")))
    for key in ("blocks", "attachments", "metadata"):
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params


def _handler_for(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            params = _parse(self.headers.get("Content-Type", ""), raw)
            query = urllib.parse.urlsplit(self.path)
            params.update(urllib.parse.parse_qsl(query.query))
            token = (self.headers.get("Authorization") or "").removeprefix("Bearer ") or params.get("token")
            if query.path.startswith("/response/"):
                fake.record(Call("response_url", params, None))
                self._send("text/plain", b"ok")
                return
            method = query.path.removeprefix("/api/")
            fake.record(Call(method, params, token))
            self._send("application/json; charset=utf-8", json.dumps(fake.answer(method, params)).encode())

        do_GET = do_POST

        def _send(self, content_type: str, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
