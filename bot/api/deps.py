"""Dependencies, as `Annotated` aliases so handlers read as plain types."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from bot.api.state import ApiState


def get_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.api
    return state


State = Annotated[ApiState, Depends(get_state)]
