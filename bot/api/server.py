"""Running the app under uvicorn: shared by `briefbot serve` and `python -m bot.api`."""

from __future__ import annotations

import uvicorn

from bot.api.app import create_app
from bot.services import build_services
from bot.settings import Settings


def serve(settings: Settings, *, host: str, port: int) -> None:
    """Serve until interrupted; one process, many requests sharing one model and store."""
    app = create_app(build_services(settings))
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )
