"""`POST /v1/search`: ranked chunks, the same list `briefbot search --json` prints."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from bot.api.deps import State
from bot.api.routes.ask import ERRORS
from bot.api.schemas import SearchHitOut, SearchRequest, filters_of

router = APIRouter(tags=["search"])


@router.post("/v1/search", response_model=list[SearchHitOut], responses=ERRORS,
             summary="Rank chunks for a query (hybrid dense + BM25)")
async def search(body: SearchRequest, state: State) -> Any:
    """The top chunks for `query`, best first, with the metadata a citation needs."""
    searcher = await run_in_threadpool(state.searcher)
    hits = await run_in_threadpool(
        lambda: searcher.search(body.query, top_k=body.top_k, filters=filters_of(body.filters))
    )
    return [hit.to_json(rank) for rank, hit in enumerate(hits, 1)]
