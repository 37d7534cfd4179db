"""OpenAI-compatible `POST /v1/chat/completions` and `GET /v1/models`.

Any OpenAI client works by changing its base URL: the last user message is the question and
the earlier user messages are the history (each request starts a new session, since these
clients resend the whole conversation every time). The reply is the answer with its `[n]`
markers and a `Sources:` list, and the response carries the structured `citations` too.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from bot.answers.models import Answer
from bot.api.deps import State
from bot.api.errors import ApiError
from bot.api.metrics import ApiMetrics
from bot.api.routes.ask import ERRORS, error_event, start_stream
from bot.api.schemas import (
    MAX_QUESTION_CHARS,
    ChatCompletionOut,
    ChatCompletionRequest,
    ErrorOut,
    ModelList,
    ModelOut,
    filters_of,
)
from bot.api.streaming import SSE_HEADERS, AnswerStream, Failed, Finished, Token, sse
from bot.sessions import new_session_id

router = APIRouter(tags=["openai"])
MODEL = "briefbot"
_STARTED = int(time.time())

_STREAM_DOC = {
    "description": "With `stream: true`: `chat.completion.chunk` objects as `data:` lines, the "
    "last one with `finish_reason: stop` and `citations`, then `data: [DONE]`.",
    "content": {"text/event-stream": {"schema": {
        "type": "object",
        "required": ["data"],
        "properties": {
            "event": {"type": "string", "enum": ["message"]},
            "data": {"type": "string", "description": "A chunk as JSON, or `[DONE]`."},
        },
    }}},
}


@dataclass(frozen=True)
class Conversation:
    question: str
    history: list[str]


def conversation_of(request: ChatCompletionRequest) -> Conversation:
    """The last user message and the user messages before it."""
    if request.model != MODEL:
        raise ApiError(404, f"the model {request.model!r} does not exist: use {MODEL!r}",
                       code="model_not_found")
    users = [m.text().strip() for m in request.messages if m.role == "user"]
    users = [u for u in users if u]
    if not users:
        raise ApiError(422, "messages: there is no user message with text", code="validation_error")
    if len(users[-1]) > MAX_QUESTION_CHARS:
        raise ApiError(422, f"messages: the last user message is over {MAX_QUESTION_CHARS} characters",
                       code="validation_error")
    return Conversation(users[-1], users[:-1])


def sources_block(answer: Answer) -> str:
    """`\\n\\nSources:\\n[1] Title, Source, date, URL` lines, or nothing without citations."""
    return f"\n\nSources:\n{answer.sources_text()}" if answer.citations else ""


def completion(answer: Answer, completion_id: str) -> dict[str, Any]:
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": MODEL,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": answer.answer + sources_block(answer)},
            "finish_reason": "stop",
            "logprobs": None,
        }],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "citations": [c.to_json() for c in answer.citations],
        "session_id": answer.session_id,
    }


def chunk(completion_id: str, delta: dict[str, Any], finish: str | None = None,
          **extra: Any) -> str:
    body = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        **extra,
    }
    return sse(None, body)


async def completion_chunks(
    stream: AnswerStream, completion_id: str, metrics: ApiMetrics
) -> AsyncIterator[str]:
    yield chunk(completion_id, {"role": "assistant", "content": ""})
    async for piece in stream.pieces():
        match piece:
            case Token(text):
                yield chunk(completion_id, {"content": text})
            case Finished(answer):
                metrics.count_answer(generator=answer.generator, grounded=answer.grounded)
                if answer.citations:
                    yield chunk(completion_id, {"content": sources_block(answer)})
                yield chunk(completion_id, {}, "stop",
                            citations=[c.to_json() for c in answer.citations],
                            session_id=answer.session_id)
            case Failed(error):
                yield error_event(error, event=None)
    yield sse(None, "[DONE]")


@router.post(
    "/v1/chat/completions",
    response_model=ChatCompletionOut,
    responses={200: _STREAM_DOC, 404: {"model": ErrorOut, "description": "Unknown model."}, **ERRORS},
    summary="OpenAI-compatible chat completion with citations",
)
async def chat_completions(body: ChatCompletionRequest, state: State) -> Any:
    """Answer the last user message; earlier user messages are the conversation's history.

    The reply content is the answer with `[n]` markers followed by a `Sources:` list; the
    top-level `citations` array holds the same sources as structured data.
    """
    talk = conversation_of(body)
    chain = await run_in_threadpool(state.chain)
    run = partial(chain.ask, talk.question, session_id=new_session_id(),
                  filters=filters_of(body.filters), history=talk.history)
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    if not body.stream:
        answer = await run_in_threadpool(run)
        state.metrics.count_answer(generator=answer.generator, grounded=answer.grounded)
        return completion(answer, completion_id)
    stream = await start_stream(lambda sink: run(on_token=sink))
    return StreamingResponse(completion_chunks(stream, completion_id, state.metrics),
                             media_type="text/event-stream", headers=SSE_HEADERS)


@router.get("/v1/models", response_model=ModelList, responses={401: ERRORS[401]},
            summary="List the models (just `briefbot`)")
async def list_models() -> ModelList:
    """The one model this server offers, so OpenAI clients and chat front ends can pick it."""
    return ModelList(data=[ModelOut(id=MODEL, created=_STARTED)])
