"""`briefbot serve`: the HTTP API (DESIGN.md, HTTP API) under uvicorn."""

from __future__ import annotations

import click

from bot.cli.common import load_settings


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on (0.0.0.0 in a container).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
def serve(host: str, port: int) -> None:
    """Serve the HTTP API: /v1/ask, OpenAI-compatible /v1/chat/completions, documents, health.

    The model and store are loaded once and shared; API keys come from BRIEFBOT_API_KEYS.
    """
    from bot.api.server import serve as run_server

    run_server(load_settings(), host=host, port=port)
