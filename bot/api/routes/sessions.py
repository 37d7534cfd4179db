"""`GET /v1/sessions/{session_id}` and `POST /v1/feedback`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from bot.api.deps import State
from bot.api.errors import ApiError
from bot.api.routes.ask import ERRORS
from bot.api.schemas import ErrorOut, FeedbackIn, FeedbackOut, SessionOut

router = APIRouter(tags=["sessions"])
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such session (or turn)."}
}


@router.get("/v1/sessions/{session_id}", response_model=SessionOut,
            responses={**_NOT_FOUND, 401: ERRORS[401]}, summary="A session's turns")
async def get_session(session_id: str, state: State) -> Any:
    """Every turn of a session, oldest first: question, standalone rewrite and Answer JSON."""
    turns = await run_in_threadpool(lambda: state.services.sessions.turns(session_id, limit=1000))
    if not turns:
        raise ApiError(404, f"no session with id {session_id!r}")
    return {"session_id": session_id, "turns": [t.to_json() for t in turns]}


@router.post("/v1/feedback", response_model=FeedbackOut, status_code=201,
             responses={**_NOT_FOUND, **ERRORS}, summary="Rate an answer")
async def feedback(body: FeedbackIn, state: State) -> Any:
    """Store 👍/👎 (and an optional comment) for one turn of a session."""
    sessions = state.services.sessions
    latest = await run_in_threadpool(lambda: sessions.turns(body.session_id, limit=1))
    if not latest or body.turn > latest[-1].turn:
        raise ApiError(404, f"session {body.session_id!r} has no turn {body.turn}")
    await run_in_threadpool(
        sessions.add_feedback, body.session_id, body.turn, body.rating, body.comment, channel="api"
    )
    return FeedbackOut(session_id=body.session_id, turn=body.turn, rating=body.rating)
