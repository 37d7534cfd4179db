"""Running a streamed answer in a worker thread and handing its pieces to the event loop.

The answer chain is synchronous and CPU-bound; it runs in anyio's thread pool and its token
callback posts each piece into an asyncio queue with `call_soon_threadsafe`, so the loop stays
free (health checks, other streams) while an answer is produced. Nothing is sent until the first
piece arrives, so a failure before the first token (store down) is still an ordinary HTTP error.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread

from bot.answers.models import Answer, TokenSink


@dataclass(frozen=True)
class Token:
    text: str


@dataclass(frozen=True)
class Finished:
    answer: Answer


@dataclass(frozen=True)
class Failed:
    error: BaseException


Piece = Token | Finished | Failed


class AnswerStream:
    """Pieces of one answer as the worker thread produces them: tokens, then the answer."""

    def __init__(self, run: Callable[[TokenSink], Answer]) -> None:
        self._run = run
        self._queue: asyncio.Queue[Piece] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._first: Piece | None = None

    async def start(self) -> None:
        """Start the worker and wait for its first piece; a failure so early is raised here."""
        loop = asyncio.get_running_loop()

        def put(piece: Piece) -> None:
            # A closed loop (server shutting down) has nobody left to listen.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._queue.put_nowait, piece)

        def work() -> None:
            try:
                put(Finished(self._run(lambda text: put(Token(text)))))
            except Exception as exc:  # noqa: BLE001 - handed to the loop, shown as an error event
                put(Failed(exc))

        self._task = asyncio.create_task(anyio.to_thread.run_sync(work, abandon_on_cancel=True))
        self._first = await self._queue.get()
        if isinstance(self._first, Failed):
            raise self._first.error

    async def pieces(self) -> AsyncIterator[Piece]:
        """Every piece in order, ending with `Finished` or `Failed`."""
        piece = self._first if self._first is not None else await self._queue.get()
        while True:
            yield piece
            if isinstance(piece, Finished | Failed):
                return
            piece = await self._queue.get()


def sse(event: str | None, data: Any) -> str:
    """One server-sent event; `data` is JSON on a single line (so it needs no escaping)."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n"


SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
