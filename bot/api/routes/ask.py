"""`POST /v1/ask`: the Answer JSON, or the same answer as server-sent events."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from bot.answers.models import Answer, TokenSink
from bot.api.deps import State
from bot.api.errors import known_error
from bot.api.metrics import ApiMetrics
from bot.api.schemas import AnswerOut, AskRequest, ErrorOut, filters_of
from bot.api.streaming import SSE_HEADERS, AnswerStream, Failed, Finished, Token, sse

logger = logging.getLogger(__name__)
router = APIRouter(tags=["answers"])

_SSE_DOC = {
    "description": "With `stream: true`: `event: token` (`{\"text\"}`) while the answer is "
    "produced, one `event: citations` (`{\"citations\": [...]}`), then `event: done` "
    "(the Answer JSON). A failure after the first token is an `event: error`.",
    "content": {"text/event-stream": {"schema": {
        # before OpenAPI 3.2, the schema of an event stream describes each event
        "type": "object",
        "required": ["event", "data"],
        "properties": {
            "event": {"type": "string", "enum": ["token", "citations", "done", "error"]},
            "data": {"type": "string", "contentMediaType": "application/json"},
        },
    }}},
}
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "The body cannot be read (not UTF-8, broken multipart)."},
    401: {"model": ErrorOut, "description": "Missing or wrong API key."},
    422: {"model": ErrorOut, "description": "Invalid request."},
    503: {"model": ErrorOut, "description": "The store or the language model is unreachable."},
}


def error_event(exc: BaseException, *, event: str | None = "error") -> str:
    """A failure after the response started, in the error shape (a bug's details stay in the log)."""
    known = known_error(exc)
    if known is None:
        logger.error("streamed answer failed", exc_info=exc)
        code, message = "internal_error", "internal error: the server log has the details"
    else:
        code, message = known[1], str(exc)
    return sse(event, {"error": {"code": code, "message": message}})


async def answer_events(stream: AnswerStream, metrics: ApiMetrics) -> AsyncIterator[str]:
    async for piece in stream.pieces():
        match piece:
            case Token(text):
                yield sse("token", {"text": text})
            case Finished(answer):
                metrics.count_answer(generator=answer.generator, grounded=answer.grounded)
                body = answer.to_json()
                yield sse("citations", {"citations": body["citations"]})
                yield sse("done", body)
            case Failed(error):
                yield error_event(error)


async def start_stream(run: Callable[[TokenSink], Answer]) -> AnswerStream:
    stream = AnswerStream(run)
    await stream.start()
    return stream


@router.post(
    "/v1/ask",
    response_model=AnswerOut,
    responses={200: _SSE_DOC, **ERRORS},
    summary="Answer a question with numbered citations",
)
async def ask(body: AskRequest, state: State) -> Any:
    """Answer from the ingested documents; `[n]` markers in `answer` point to `citations[].n`.

    When the documents do not support an answer, `grounded` is false and there are no
    citations. Pass `session_id` to ask a follow-up; the rewrite is `standalone_question`.
    """
    chain = await run_in_threadpool(state.chain)
    run = partial(chain.ask, body.question, session_id=body.session_id, filters=filters_of(body.filters))
    if not body.stream:
        answer = await run_in_threadpool(run)
        state.metrics.count_answer(generator=answer.generator, grounded=answer.grounded)
        return answer.to_json()
    stream = await start_stream(lambda sink: run(on_token=sink))
    return StreamingResponse(
        answer_events(stream, state.metrics), media_type="text/event-stream", headers=SSE_HEADERS
    )
