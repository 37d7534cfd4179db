"""The Slack app factory: a slack-bolt `App` with our listeners, built from settings.

Nothing here runs at import. The factory makes no network call either (the token is checked by
Bolt on the first request, or eagerly by the Socket Mode runner), so the HTTP API can mount
Slack without reaching Slack.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr
from slack_bolt import App, BoltContext, BoltRequest, BoltResponse, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.answers.models import Answer
from bot.errors import BotError, ConfigError
from bot.services import Services
from bot.sessions import SessionStore
from bot.settings import Settings
from bot.slack.actions import register_actions
from bot.slack.commands import register_commands
from bot.slack.events import register_events
from bot.slack.formatting import format_apology
from bot.slack.replies import PENDING_KEY, Answerer, PendingReply, Responder
from ingest.errors import IngestError
from vectorstore.errors import VectorStoreError

logger = logging.getLogger(__name__)

KNOWN_ERRORS = (BotError, IngestError, VectorStoreError, SlackApiError)


def require_secret(value: SecretStr | None, name: str, what: str) -> str:
    """The secret's value, or a ConfigError that says which setting to set and where to find it."""
    if value is None or not value.get_secret_value().strip():
        raise ConfigError(f"{name} is not set: it must hold {what} (see docs/slack.md)")
    return value.get_secret_value().strip()


def make_web_client(settings: Settings) -> WebClient:
    """A WebClient with the bot token, talking to `SLACK_API_URL` (Slack, GovSlack, or a fake)."""
    token = require_secret(settings.slack_bot_token, "SLACK_BOT_TOKEN", "the bot token (xoxb-…)")
    base_url = settings.slack_api_url.rstrip("/") + "/"
    return WebClient(token=token, base_url=base_url)


def create_slack_app(
    settings: Settings,
    answerer: Answerer,
    client: WebClient | None = None,
    *,
    sessions: SessionStore,
    token_verification: bool = False,
) -> App:
    """Build the Bolt app: events, `/brief`, feedback buttons, retry filter and error handler.

    ``answerer`` is the `AnswerChain` (or anything with its ``ask``); ``sessions`` stores the
    feedback. Without `SLACK_SIGNING_SECRET` no HTTP request can verify (Socket Mode needs none).
    """
    client = client or make_web_client(settings)
    if not client.token:
        raise ConfigError("the Slack WebClient has no token: set SLACK_BOT_TOKEN")
    secret = settings.slack_signing_secret
    app = App(
        name="briefbot",
        client=client,
        signing_secret=secret.get_secret_value() if secret else secrets.token_hex(32),
        token_verification_enabled=token_verification,
        process_before_response=False,
    )
    app.use(ignore_retries)
    responder = Responder(answerer, sessions)
    register_events(app, responder)
    register_commands(app, responder)
    register_actions(app, sessions)
    register_error_handler(app)
    return app


def ignore_retries(request: BoltRequest, next_: Callable[[], None]) -> BoltResponse | None:
    """Acknowledge Slack's retried deliveries and do nothing: the first one is being answered."""
    retry = (request.headers.get("x-slack-retry-num") or ["0"])[0]
    if retry not in ("", "0"):
        reason = (request.headers.get("x-slack-retry-reason") or ["unknown"])[0]
        logger.info("ignoring Slack's retry #%s (%s)", retry, reason)
        return BoltResponse(status=200, body="")
    next_()
    return None


def register_error_handler(app: App) -> None:
    """The edge: log the failure, tell the user briefly, never show Slack a stack trace."""

    @app.error
    def on_error(error: Exception, body: dict[str, Any], context: BoltContext, client: WebClient,
                 respond: Respond | None) -> None:
        if isinstance(error, KNOWN_ERRORS):  # a clear message already; no trace needed
            logger.error("Slack request failed: %s", error)
        else:
            logger.error("Slack request failed (%s)", type(error).__name__, exc_info=error)
        apologize(client, context, body, respond)


def apologize(client: WebClient, context: BoltContext, body: dict[str, Any],
              respond: Respond | None) -> None:
    """Replace the pending placeholder with an apology, or answer the command or click privately."""
    message = format_apology()
    pending = context.get(PENDING_KEY)
    try:
        if isinstance(pending, PendingReply):
            client.chat_update(channel=pending.channel, ts=pending.ts, **message.as_kwargs())
        elif respond is not None and body.get("response_url"):
            respond(response_type="ephemeral", replace_original=False, **message.as_kwargs())
    except (SlackClientError, OSError) as exc:
        logger.error("could not post the apology either: %s", exc)


@dataclass(frozen=True)
class ServicesAnswerer:
    """The chain of ``services``, built at the first question, so mounting Slack opens no store."""

    services: Services

    def ask(self, question: str, *, session_id: str | None = None,
            history: Sequence[str] = ()) -> Answer:
        return self.services.chain.ask(question, session_id=session_id, history=history)


def build_slack_app(services: Services, client: WebClient | None = None, *,
                    eager: bool = False) -> App:
    """`create_slack_app` wired to ``services``; ``eager`` opens the store now, not at a question."""
    answerer: Answerer = services.chain if eager else ServicesAnswerer(services)
    return create_slack_app(services.settings, answerer, client, sessions=services.sessions)
