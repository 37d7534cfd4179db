"""A loopback stand-in for an OpenAI-compatible chat server (OpenAI, vLLM, Ollama, llama.cpp).

It speaks the real protocol on 127.0.0.1 and a port the OS picks, so the real client stack
(langchain-openai → openai SDK → httpx) is exercised end to end:

- ``POST /v1/chat/completions`` answers a ``chat.completion`` JSON object, or, when the request
  says ``"stream": true``, server-sent events ``data: {chat.completion.chunk}`` ending with
  ``data: [DONE]``;
- ``GET /v1/models`` lists the one model.

Each test scripts the next replies through ``server.script`` (reply text, stream pieces, an HTTP
status, a delay longer than the client's timeout, a stream that breaks off with a line that is not
JSON) and reads what the client sent in ``server.requests``.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL = "fake-chat-model"


@dataclass
class Script:
    """What the server answers next; tests change it freely between requests.

    ``reply`` is the assistant's text (or a function of the request body returning it);
    ``pieces`` overrides how a streamed reply is cut into chunks (default: about 6 characters
    each). ``status`` other than 200 answers an OpenAI-style error body. ``delay_s`` holds the
    response back (longer than the client's timeout makes it time out). ``malformed`` streams the
    first half of the pieces and then a ``data:`` line that is not JSON.
    """

    reply: str | Callable[[dict[str, Any]], str] = "Nothing to say."
    pieces: Sequence[str] | None = None
    status: int = 200
    delay_s: float = 0.0
    malformed: bool = False

    def text_for(self, body: dict[str, Any]) -> str:
        return self.reply(body) if callable(self.reply) else self.reply

    def pieces_for(self, body: dict[str, Any]) -> list[str]:
        if self.pieces is not None:
            return list(self.pieces)
        text = self.text_for(body)
        return [text[i : i + 6] for i in range(0, len(text), 6)] or [""]


@dataclass(frozen=True)
class ChatRequest:
    """One request as the server received it."""

    method: str
    path: str
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages") or [])

    def content(self, role: str) -> str:
        """All messages of one role, joined (``"system"``, ``"user"``)."""
        return "\n".join(str(m.get("content", "")) for m in self.messages if m.get("role") == role)

    @property
    def prompt(self) -> str:
        """Every message's text, in order: what the model was shown."""
        return "\n".join(str(m.get("content", "")) for m in self.messages)


class FakeOpenAI:
    """The server; use as a context manager or call ``start()``/``stop()``."""

    def __init__(self) -> None:
        self.script = Script()
        self.requests: list[ChatRequest] = []
        self._ids = itertools.count(1)
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """What ``OPENAI_BASE_URL`` should be: ``http://127.0.0.1:PORT/v1``."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def reset(self, **script: Any) -> Script:
        """Forget earlier requests and script the next replies (``Script`` fields as keywords)."""
        self.requests.clear()
        self.script = Script(**script)
        return self.script

    @property
    def chat_requests(self) -> list[ChatRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()  # wake any handler still holding back a delayed reply
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def next_id(self) -> str:
        return f"chatcmpl-fake{next(self._ids)}"

    def wait(self, seconds: float) -> None:
        """Sleep, but wake at once when the server stops."""
        if seconds > 0:
            self._release.wait(seconds)


def completion(cid: str, text: str, model: str) -> dict[str, Any]:
    """A non-streaming ``chat.completion`` object."""
    return {
        "id": cid,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def chunk(cid: str, model: str, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    """One streamed ``chat.completion.chunk``."""
    return {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _handler_for(server: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            server.requests.append(ChatRequest("GET", self.path, {}, _headers(self)))
            if self.path.rstrip("/").endswith("/v1/models"):
                models = {"object": "list",
                          "data": [{"id": MODEL, "object": "model", "created": 0, "owned_by": "tests"}]}
                self._json(200, models)
            else:
                self._json(404, _error("not found", "invalid_request_error"))

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw or b"{}")
            server.requests.append(ChatRequest("POST", self.path, body, _headers(self)))
            if not self.path.rstrip("/").endswith("/v1/chat/completions"):
                self._json(404, _error("not found", "invalid_request_error"))
                return
            script = server.script
            server.wait(script.delay_s)
            if script.status != 200:
                self._json(script.status, _error("the fake server was told to fail", "server_error"))
            elif body.get("stream"):
                self._stream(script, body)
            else:
                model = str(body.get("model") or MODEL)
                self._json(200, completion(server.next_id(), script.text_for(body), model))

        def _stream(self, script: Script, body: dict[str, Any]) -> None:
            cid, model = server.next_id(), str(body.get("model") or MODEL)
            pieces = script.pieces_for(body)
            if script.malformed:
                pieces = pieces[: max(1, len(pieces) // 2)]
            events = [chunk(cid, model, {"role": "assistant", "content": ""})]
            events += [chunk(cid, model, {"content": p}) for p in pieces]
            lines = [f"data: {json.dumps(e)}\n\n" for e in events]
            if script.malformed:
                lines.append('data: {"id": "broken", "choices": [{"delta": {"content": \n\n')
            else:
                lines.append(f"data: {json.dumps(chunk(cid, model, {}, 'stop'))}\n\n")
                lines.append("data: [DONE]\n\n")
            try:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                for line in lines:
                    self.wfile.write(line.encode("utf-8"))
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode("utf-8")
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout tests do exactly that)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


def _error(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _headers(handler: BaseHTTPRequestHandler) -> dict[str, str]:
    """Request headers with lower-case names (HTTP names are case-insensitive)."""
    return {name.lower(): value for name, value in handler.headers.items()}
