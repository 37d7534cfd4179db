"""`create_app(services)`: the FastAPI app, built only when an entry point or a test asks.

Nothing here runs at import time: settings, the model and the store arrive through
``services``, which the caller built. The /v1 routes sit behind the API-key guard; health,
readiness and metrics stay open for probes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from bot.api.auth import ApiKeyGuard
from bot.api.errors import install_error_handlers
from bot.api.metrics import MetricsMiddleware
from bot.api.routes import ask, chat, documents, health, search, sessions
from bot.api.state import ApiState
from bot.services import Services

logger = logging.getLogger(__name__)

DESCRIPTION = (
    "Answers about ingested trade and news documents, with numbered citations that lead back "
    "to the article, outlet, date and link. When `BRIEFBOT_API_KEYS` is set, every `/v1` call "
    "needs `Authorization: Bearer <key>`. Errors are `{\"error\": {\"code\", \"message\"}}`."
)


def create_app(services: Services, *, warm_up: bool = True) -> FastAPI:
    """Build the HTTP app around already-built services.

    ``warm_up`` loads the model and keyword index in the background at start-up, so the first
    question does not pay for them; tests that never ask may turn it off.
    """
    state = ApiState(services)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if warm_up:
            state.start_warm_up()
        else:
            state.warmed.set()
        yield

    app = FastAPI(title="briefbot", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.api = state
    install_error_handlers(app)
    app.add_middleware(MetricsMiddleware, metrics=state.metrics)
    guard = ApiKeyGuard(services.settings.api_key_list())
    app.include_router(health.router)
    for module in (ask, chat, search, documents, sessions):
        app.include_router(module.router, dependencies=[Depends(guard)])
    mount_slack_if_configured(app, services)
    return app


def mount_slack_if_configured(app: FastAPI, services: Services) -> None:
    """Add `POST /slack/events` when both Slack secrets are set (Slack signs its own requests)."""
    settings = services.settings
    if settings.slack_bot_token is None or settings.slack_signing_secret is None:
        return
    try:
        from bot.slack.http import mount_slack
    except ImportError as exc:
        logger.warning("Slack is configured but its HTTP adapter is unavailable (%s)", exc)
        return
    mount_slack(app, services)
