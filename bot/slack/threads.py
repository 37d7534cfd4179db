"""Reading Slack messages: who wrote them, what they ask, and which conversation they belong to.

Pure functions over event payloads, so the rules (never answer a bot, which thread is a session)
are tested without Slack.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

Event = Mapping[str, Any]
ANSWERABLE_SUBTYPES = (None, "thread_broadcast", "file_share")
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


@dataclass(frozen=True)
class Conversation:
    """Where a reply goes and which session remembers it.

    ``thread_ts`` None posts at the top level (a DM); ``session_id`` None means the session is
    named after the reply itself (a /brief answer, whose thread holds the follow-ups).
    """

    channel: str
    thread_ts: str | None
    session_id: str | None


def session_id_for(channel: str, thread_ts: str) -> str:
    """The session of a thread: ``slack:{channel}:{thread_ts}`` (DESIGN.md)."""
    return f"slack:{channel}:{thread_ts}"


def dm_session_id(channel: str) -> str:
    """The rolling session of a DM's top level, so a follow-up there keeps its context."""
    return f"slack:{channel}:dm"


def is_from_bot(event: Event, bot_user_id: str | None) -> bool:
    """Bots (this one included) and system messages are never answered."""
    user = event.get("user")
    return bool(
        event.get("bot_id")
        or event.get("subtype") == "bot_message"
        or not user
        or (bot_user_id and user == bot_user_id)
    )


def mentions(text: str, user_id: str | None) -> bool:
    return bool(user_id) and any(m.group(1) == user_id for m in _MENTION.finditer(text))


def strip_mentions(text: str, bot_user_id: str | None) -> str:
    """The question without the bot's own `<@BOTID>` (other mentions stay as they are)."""
    stripped = _MENTION.sub(lambda m: "" if m.group(1) == bot_user_id else m.group(0), text)
    return " ".join(stripped.split())


def conversation_of_mention(event: Event) -> Conversation:
    """A mention is answered in its thread, or starts one under the mentioning message."""
    channel = str(event["channel"])
    thread_ts = str(event.get("thread_ts") or event["ts"])
    return Conversation(channel, thread_ts, session_id_for(channel, thread_ts))


def conversation_of_message(
    event: Event, bot_user_id: str | None, has_session: Callable[[str], bool]
) -> Conversation | None:
    """The conversation a plain message continues, or None when it is not for the bot.

    In a DM every message is a question. In a channel only a reply in a thread the bot has
    answered before is a follow-up; a message that mentions the bot is left to `app_mention`.
    """
    channel, thread_ts = str(event["channel"]), event.get("thread_ts")
    if event.get("channel_type") == "im":
        if thread_ts and has_session(session_id_for(channel, str(thread_ts))):
            return Conversation(channel, str(thread_ts), session_id_for(channel, str(thread_ts)))
        return Conversation(channel, str(thread_ts) if thread_ts else None, dm_session_id(channel))
    if not thread_ts or mentions(str(event.get("text") or ""), bot_user_id):
        return None
    session_id = session_id_for(channel, str(thread_ts))
    return Conversation(channel, str(thread_ts), session_id) if has_session(session_id) else None


def earlier_questions(
    messages: Iterable[Event], *, before_ts: str, bot_user_id: str | None, limit: int = 4
) -> list[str]:
    """What people asked earlier in a thread (from conversations.replies), oldest first.

    Questions are preferred over chatter: the last one asked is the likeliest subject of an
    elliptical "@briefbot and on rebar?".
    """
    before = _ts(before_ts)
    texts = [
        strip_mentions(str(m.get("text") or ""), bot_user_id)
        for m in messages
        if not is_from_bot(m, bot_user_id) and _ts(str(m.get("ts", ""))) < before
    ]
    texts = [t for t in texts if t]
    questions = [t for t in texts if "?" in t]
    return (questions or texts)[-limit:]


def _ts(value: str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation:
        return Decimal("Infinity")
