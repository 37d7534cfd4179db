"""Slack over Socket Mode (`briefbot slack`): an outbound WebSocket, no public URL needed."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import ConfigError
from bot.services import Services
from bot.slack.app import build_slack_app, make_web_client, require_secret

logger = logging.getLogger(__name__)


def check_bot_token(client: WebClient) -> str:
    """Ask Slack who the token belongs to; a ConfigError when Slack rejects it."""
    try:
        identity = client.auth_test()
    except SlackApiError as exc:
        raise ConfigError(
            f"Slack rejected SLACK_BOT_TOKEN ({exc.response.get('error')}): copy the Bot User "
            "OAuth Token (xoxb-…) from OAuth & Permissions"
        ) from exc
    return str(identity.get("user_id") or "")


def run_socket_mode(services: Services, *, stop: threading.Event | None = None,
                    on_connected: Callable[[], None] | None = None) -> None:
    """Connect with SLACK_APP_TOKEN and answer until interrupted (or until ``stop`` is set).

    Settings, the bot token and the store are checked before connecting, so a misconfigured
    worker stops at once with a message instead of failing at its first question.
    """
    settings = services.settings
    app_token = require_secret(settings.slack_app_token, "SLACK_APP_TOKEN",
                               "an app-level token (xapp-…) with the connections:write scope")
    client = make_web_client(settings)
    check_bot_token(client)
    services.embedder.embed(["warm-up"])  # load the model now, not at the first question
    handler = SocketModeHandler(build_slack_app(services, client, eager=True), app_token=app_token,
                                web_client=client)
    try:
        handler.connect()
    except SlackApiError as exc:
        raise ConfigError(
            f"Slack refused the Socket Mode connection ({exc.response.get('error')}): check "
            "SLACK_APP_TOKEN and that Socket Mode is enabled for the app"
        ) from exc
    logger.info("connected to Slack over Socket Mode")
    if on_connected is not None:
        on_connected()
    try:
        (stop or threading.Event()).wait()
    finally:
        handler.close()
