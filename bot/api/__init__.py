"""The HTTP API: `create_app(services)` builds the FastAPI app; nothing is built at import."""

from bot.api.app import create_app

__all__ = ["create_app"]
