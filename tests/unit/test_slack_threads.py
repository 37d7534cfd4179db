"""Which Slack messages the bot answers, in which conversation, and what they ask."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.slack.threads import (
    Conversation,
    conversation_of_mention,
    conversation_of_message,
    earlier_questions,
    is_from_bot,
    strip_mentions,
)

BOT = "UBRIEFBOT"


def known(*sessions: str) -> Callable[[str], bool]:
    return lambda session_id: session_id in sessions


def test_mention_is_stripped_from_the_question() -> None:
    assert strip_mentions(f"<@{BOT}>  what about   rebar? <@U0BOB>", BOT) == "what about rebar? <@U0BOB>"
    assert strip_mentions(f"<@{BOT}|briefbot> hi", BOT) == "hi"


@pytest.mark.parametrize("event", [
    {"user": "U1", "bot_id": "B1"},
    {"user": "U1", "subtype": "bot_message"},
    {"subtype": "channel_join"},
    {"user": BOT},
])
def test_bots_itself_and_system_messages_count_as_bots(event: dict) -> None:
    assert is_from_bot(event, BOT)


def test_a_person_is_not_a_bot() -> None:
    assert not is_from_bot({"user": "U0ALICE"}, BOT)


def test_mention_opens_a_thread_under_itself_or_continues_its_thread() -> None:
    top = conversation_of_mention({"channel": "C1", "ts": "5.5"})
    assert top == Conversation("C1", "5.5", "slack:C1:5.5")
    reply = conversation_of_mention({"channel": "C1", "ts": "5.5", "thread_ts": "4.4"})
    assert reply == Conversation("C1", "4.4", "slack:C1:4.4")


def test_dm_top_level_shares_one_session_and_is_answered_at_the_top_level() -> None:
    event = {"channel": "D1", "ts": "2.0", "channel_type": "im"}
    assert conversation_of_message(event, BOT, known()) == Conversation("D1", None, "slack:D1:dm")


def test_dm_thread_with_its_own_session_continues_it() -> None:
    event = {"channel": "D1", "ts": "2.0", "thread_ts": "1.0", "channel_type": "im"}
    where = conversation_of_message(event, BOT, known("slack:D1:1.0"))
    assert where == Conversation("D1", "1.0", "slack:D1:1.0")


def test_channel_reply_in_an_answered_thread_is_a_follow_up() -> None:
    event = {"channel": "C1", "ts": "2.0", "thread_ts": "1.0", "channel_type": "channel", "text": "and?"}
    where = conversation_of_message(event, BOT, known("slack:C1:1.0"))
    assert where == Conversation("C1", "1.0", "slack:C1:1.0")


@pytest.mark.parametrize("event", [
    {"channel": "C1", "ts": "2.0", "channel_type": "channel", "text": "top-level chatter"},
    {"channel": "C1", "ts": "2.0", "thread_ts": "9.0", "channel_type": "channel", "text": "other thread"},
    {"channel": "C1", "ts": "2.0", "thread_ts": "1.0", "channel_type": "channel", "text": f"<@{BOT}> hi"},
])
def test_other_channel_messages_are_not_for_the_bot(event: dict) -> None:
    assert conversation_of_message(event, BOT, known("slack:C1:1.0")) is None


def test_earlier_questions_skip_bots_later_messages_and_prefer_questions() -> None:
    messages = [
        {"user": "U1", "ts": "1.0", "text": "What is the new tariff rate on hot-rolled coil?"},
        {"user": "U2", "ts": "1.1", "text": "no idea"},
        {"user": BOT, "bot_id": "B", "ts": "1.2", "text": "Is it 25%?"},
        {"user": "U3", "ts": "1.4", "text": "Later question?"},
    ]
    assert earlier_questions(messages, before_ts="1.3", bot_user_id=BOT) == [
        "What is the new tariff rate on hot-rolled coil?"
    ]


def test_earlier_messages_are_used_when_nobody_asked_a_question() -> None:
    messages = [{"user": "U1", "ts": "1.0", "text": "hot-rolled coil tariffs"}]
    assert earlier_questions(messages, before_ts="2.0", bot_user_id=BOT) == ["hot-rolled coil tariffs"]
