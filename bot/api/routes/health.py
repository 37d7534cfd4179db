"""`/healthz`, `/readyz` and `/metrics`: open without an API key, for probes and scrapers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from bot.api.deps import State
from bot.api.errors import ApiError
from bot.api.metrics import CONTENT_TYPE
from bot.api.schemas import ErrorOut, HealthOut, ReadyOut
from bot.api.state import ApiState

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut, summary="Liveness")
async def healthz() -> HealthOut:
    """The process is up and its event loop answers (it checks nothing else, by design)."""
    return HealthOut()


def check_ready(state: ApiState) -> dict[str, Any]:
    store = state.store()
    store.heartbeat()
    if not state.model_loaded():
        if not state.warmed.is_set():
            raise ApiError(503, "the embedding model is still loading", code="starting")
        state.services.embedder.embed(["readiness"])
    return {
        "store": store.location.mode,
        "model": state.services.embedder.model_id,
        "chunks": store.count_chunks(),
    }


@router.get(
    "/readyz",
    response_model=ReadyOut,
    responses={503: {"model": ErrorOut, "description": "Store unreachable or model not loaded."}},
    summary="Readiness",
)
async def readyz(state: State) -> Any:
    """Ready when the store answers and the embedding model is loaded; 503 otherwise."""
    return await run_in_threadpool(check_ready, state)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {"schema": {"type": "string"}}},
                     "description": "Prometheus text format."}},
    summary="Prometheus metrics",
)
async def metrics(state: State) -> Response:
    """Requests and latency by route and status, answers by generator, documents ingested."""
    return Response(state.metrics.exposition(), media_type=CONTENT_TYPE)
