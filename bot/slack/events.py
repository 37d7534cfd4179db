"""Events: mentions in channels, direct messages, and follow-ups in threads the bot answered."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.formatting import format_help
from bot.slack.replies import Responder
from bot.slack.threads import (
    ANSWERABLE_SUBTYPES,
    Event,
    conversation_of_mention,
    conversation_of_message,
    earlier_questions,
    is_from_bot,
    strip_mentions,
)

logger = logging.getLogger(__name__)


def register_events(app: App, responder: Responder) -> None:
    """`app_mention` (channels) and `message` (DMs, thread follow-ups)."""

    @app.event("app_mention")
    def on_mention(event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        answer_mention(responder, client, context, event)

    @app.event("message")
    def on_message(event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        answer_message(responder, client, context, event)


def answer_mention(responder: Responder, client: WebClient, context: BoltContext, event: Event) -> None:
    """Answer in the mention's thread; a late mention reads the thread's earlier questions."""
    bot = context.bot_user_id
    if is_from_bot(event, bot) or not responder.claim(str(event["channel"]), str(event["ts"])):
        return
    where = conversation_of_mention(event)
    question = strip_mentions(str(event.get("text") or ""), bot)
    if not question:
        client.chat_postMessage(channel=where.channel, thread_ts=where.thread_ts, **format_help().as_kwargs())
        return
    history: list[str] = []
    if event.get("thread_ts") and where.session_id and not responder.sessions.has_session(where.session_id):
        history = thread_history(client, event, bot)
    responder.reply(client, context, where, question, history=history)


def answer_message(responder: Responder, client: WebClient, context: BoltContext, event: Event) -> None:
    """Answer a DM, or a reply in a thread whose session exists; ignore everything else."""
    bot = context.bot_user_id
    if event.get("subtype") not in ANSWERABLE_SUBTYPES or is_from_bot(event, bot):
        return
    where = conversation_of_message(event, bot, responder.sessions.has_session)
    if where is None or not responder.claim(str(event["channel"]), str(event["ts"])):
        return
    question = strip_mentions(str(event.get("text") or ""), bot)
    if question:
        responder.reply(client, context, where, question)


def thread_history(client: WebClient, event: Event, bot_user_id: str | None) -> list[str]:
    """Earlier questions of a thread the bot joins late; none when Slack will not say."""
    channel, thread_ts = str(event["channel"]), str(event["thread_ts"])
    try:
        replies = client.conversations_replies(channel=channel, ts=thread_ts, limit=100)
    except SlackApiError as exc:
        logger.warning("could not read the thread in %s: %s", channel, exc.response.get("error"))
        return []
    messages = replies.get("messages") or []
    return earlier_questions(messages, before_ts=str(event["ts"]), bot_user_id=bot_user_id)
