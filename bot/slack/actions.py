"""👍/👎 clicks: stored in the same feedback table as `POST /v1/feedback` (channel "slack")."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.sessions import SessionStore
from bot.slack.formatting import FEEDBACK_UP, THANKS, FeedbackRef

logger = logging.getLogger(__name__)

FEEDBACK_ACTIONS = re.compile(r"^feedback_(up|down)$")


def register_actions(app: App, sessions: SessionStore) -> None:
    """The feedback buttons under every answer."""

    @app.action(FEEDBACK_ACTIONS)
    def on_feedback(ack: Ack, action: dict[str, Any], respond: Respond) -> None:
        ack()
        if record_feedback(sessions, action) and respond is not None:
            respond(response_type="ephemeral", replace_original=False, text=THANKS)


def record_feedback(sessions: SessionStore, action: dict[str, Any]) -> bool:
    """Store one rating; False for a value that is not ours or a session that does not exist."""
    try:
        ref = FeedbackRef.from_value(str(action.get("value") or ""))
    except ValueError:
        logger.warning("ignoring a feedback click whose value is not ours")
        return False
    if not sessions.has_session(ref.session_id):
        logger.warning("ignoring feedback for unknown session %s", ref.session_id)
        return False
    rating = "up" if action.get("action_id") == FEEDBACK_UP else "down"
    sessions.add_feedback(ref.session_id, ref.turn, rating, channel="slack")
    return True
