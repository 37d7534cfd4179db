"""`/brief QUESTION` answers in the channel (its thread takes follow-ups); `/brief help` explains."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.formatting import format_help
from bot.slack.replies import PENDING_KEY, Responder
from bot.slack.threads import Conversation

logger = logging.getLogger(__name__)

COMMAND = "/brief"
HELP_WORDS = {"", "help", "?", "-h", "--help"}
# Where the bot may not post, /brief still answers, privately, through the response URL.
_CANNOT_POST = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}


def register_commands(app: App, responder: Responder) -> None:
    """The `/brief` slash command."""

    @app.command(COMMAND)
    def on_brief(ack: Ack, command: dict[str, Any], client: WebClient, context: BoltContext,
                 respond: Respond) -> None:
        question = " ".join(str(command.get("text") or "").split())
        if question.lower() in HELP_WORDS:
            ack(**format_help().as_kwargs())
            return
        ack()
        answer_command(responder, client, context, respond, command, question)


def answer_command(responder: Responder, client: WebClient, context: BoltContext, respond: Respond,
                   command: dict[str, Any], question: str) -> None:
    """Answer in the channel, showing who asked; privately when the bot cannot post there."""
    channel, user = str(command["channel_id"]), command.get("user_id")
    try:
        responder.reply(client, context, Conversation(channel, None, None), question, asked_by=user)
    except SlackApiError as exc:
        error = exc.response.get("error")
        if context.get(PENDING_KEY) is not None or error not in _CANNOT_POST:
            raise
        logger.info("cannot post in %s (%s); answering /brief privately", channel, error)
        session_id = f"slack:{channel}:{command.get('trigger_id') or user}"
        responder.reply_privately(respond, question, session_id=session_id, asked_by=user)
