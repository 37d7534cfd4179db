"""Answering in Slack: a placeholder at once, then the answer in its place.

Listeners run after Bolt has acknowledged the request, so the slow part (retrieval and
generation) never delays the ack. Failures are not caught here: they reach the app's error
handler (see `app.py`), which finds the placeholder recorded in the request context and replaces
it with an apology.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from slack_bolt import BoltContext
from slack_bolt.context.respond import Respond
from slack_sdk import WebClient

from bot.answers.models import Answer
from bot.sessions import SessionStore
from bot.slack.formatting import format_answer, format_searching
from bot.slack.threads import Conversation, session_id_for

logger = logging.getLogger(__name__)

PENDING_KEY = "briefbot_pending_reply"


class Answerer(Protocol):
    """What the Slack app needs of the answer chain (`AnswerChain` is one)."""

    def ask(self, question: str, *, session_id: str | None = None,
            history: Sequence[str] = ()) -> Answer: ...


@dataclass(frozen=True)
class PendingReply:
    """The placeholder a failed answer must replace with an apology."""

    channel: str
    ts: str


class SeenMessages:
    """The last few thousand messages answered, so no message is answered twice.

    Slack may deliver one message as both `app_mention` and `message`, and redeliver after a
    reconnect; the (channel, ts) pair identifies the message in every case.
    """

    def __init__(self, capacity: int = 5000) -> None:
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def first_time(self, channel: str, ts: str) -> bool:
        key = (channel, ts)
        with self._lock:
            if key in self._seen:
                return False
            self._seen[key] = None
            if len(self._seen) > self._capacity:
                self._seen.popitem(last=False)
            return True


@dataclass
class Responder:
    """Posts answers from ``answerer`` and knows the turn each one was stored as."""

    answerer: Answerer
    sessions: SessionStore
    seen: SeenMessages = field(default_factory=SeenMessages)

    def claim(self, channel: str, ts: str) -> bool:
        """True the first time a message is seen: only then is it answered."""
        return self.seen.first_time(channel, ts)

    def reply(self, client: WebClient, context: BoltContext, where: Conversation, question: str,
              *, history: Sequence[str] = (), asked_by: str | None = None) -> None:
        """Post "Searching the documents…", answer, and replace the placeholder with the answer.

        ``asked_by`` (a /brief answer) shows who asked what above the answer.
        """
        shown = question if asked_by else None
        placeholder = client.chat_postMessage(
            channel=where.channel, thread_ts=where.thread_ts,
            **format_searching(asked_by=asked_by, question=shown).as_kwargs(),
        )
        ts = str(placeholder["ts"])
        context[PENDING_KEY] = PendingReply(where.channel, ts)
        session_id = where.session_id or session_id_for(where.channel, ts)
        logger.info("answering in %s (session %s)", where.channel, session_id)
        answer = self.answerer.ask(question, session_id=session_id, history=history)
        message = format_answer(answer, turn=self.turn_of(answer), asked_by=asked_by, question=shown)
        client.chat_update(channel=where.channel, ts=ts, **message.as_kwargs())
        context[PENDING_KEY] = None

    def reply_privately(self, respond: Respond, question: str, *, session_id: str,
                        asked_by: str | None) -> None:
        """Answer only to the asker (through the response URL), for channels the bot is not in."""
        answer = self.answerer.ask(question, session_id=session_id)
        message = format_answer(answer, turn=self.turn_of(answer), asked_by=asked_by, question=question)
        respond(response_type="ephemeral", replace_original=False, **message.as_kwargs())

    def turn_of(self, answer: Answer) -> int:
        """The turn number the chain stored ``answer`` under (for the feedback buttons)."""
        turns = self.sessions.turns(answer.session_id, limit=5)
        stored = answer.to_json()
        for turn in reversed(turns):
            if turn.answer == stored:
                return turn.turn
        return turns[-1].turn if turns else 1
