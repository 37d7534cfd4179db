"""Requests as Slack sends them (event callbacks, slash commands, button clicks), signed.

Signatures are made with slack_sdk's own `SignatureVerifier`, the same code Slack's docs
describe, so the app's real verification is what the tests exercise.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

from slack_sdk.signature import SignatureVerifier

from support.fake_slack import BOT_USER_ID, TEAM_ID

SIGNING_SECRET = "8f14e45fceea167a5a36dedd4bea2543"
BOT_TOKEN = "xoxb-1-loopback-bot-token"
APP_TOKEN = "xapp-1-A0BRIEF-loopback-app-token"
ALICE = "U0ALICE"

PORT_NOTICE = """\
# Port Valdoria strike notice warns <!here> of berth closures
Published: 2026-04-02
Source: Harbor Ledger
URL: https://harborledger.example/2026/04/valdoria-strike

Sample article written for the briefbot project; fictional.

Harbour officials at Port Valdoria posted a notice reading "<!channel> all container berths \
close at noon on Friday" after dockworkers voted to strike over pay. The notice was signed by \
<@U0HARBOUR> & the terminal operators' council.

The strike is the first at Port Valdoria since 2019, the port authority said, and it will halt \
loading of about 140 ships a week.
"""


def write_port_notice(folder: Path) -> Path:
    """A document whose title and text try to ping the channel (`<!here>`, `<!channel>`, `<@U…>`)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "port-valdoria.md"
    path.write_text(PORT_NOTICE, encoding="utf-8")
    return path


def unique_channel(prefix: str = "C") -> str:
    return prefix + uuid.uuid4().hex[:10].upper()


def signed_headers(body: str, *, content_type: str, secret: str = SIGNING_SECRET,
                   timestamp: int | None = None, retry: int | None = None) -> dict[str, str]:
    """Headers of a request from Slack: signature over ``v0:{timestamp}:{body}``."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp,
               "X-Slack-Signature": str(signature)}
    if retry is not None:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    return headers


def event_callback(event: dict[str, Any]) -> dict[str, Any]:
    """The Events API envelope around ``event``."""
    return {
        "token": "legacy-verification-token", "team_id": TEAM_ID, "api_app_id": "A0BRIEF",
        "event": event, "type": "event_callback", "event_id": "Ev" + uuid.uuid4().hex[:10].upper(),
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
    }


def mention(text: str, *, channel: str, ts: str, thread_ts: str | None = None,
            user: str = ALICE) -> dict[str, Any]:
    """An `app_mention` event: ``text`` follows the `<@bot>` mention."""
    event = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER_ID}> {text}", "ts": ts,
             "channel": channel, "event_ts": ts}
    return event | ({"thread_ts": thread_ts} if thread_ts else {})


def message(text: str, *, channel: str, ts: str, channel_type: str = "channel",
            thread_ts: str | None = None, user: str | None = ALICE, **extra: Any) -> dict[str, Any]:
    """A `message` event (``bot_id=``, ``subtype=`` go in ``extra``)."""
    event: dict[str, Any] = {"type": "message", "text": text, "ts": ts, "channel": channel,
                             "channel_type": channel_type, "event_ts": ts, **extra}
    if user:
        event["user"] = user
    return event | ({"thread_ts": thread_ts} if thread_ts else {})


def slash_command(text: str, *, channel: str, response_url: str, user: str = ALICE) -> str:
    """The form body of `/brief text`."""
    return urllib.parse.urlencode({
        "token": "legacy-verification-token", "team_id": TEAM_ID, "channel_id": channel,
        "channel_name": "trade-desk", "user_id": user, "user_name": "alice", "command": "/brief",
        "text": text, "api_app_id": "A0BRIEF", "response_url": response_url,
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
    })


def block_action(action_id: str, value: str, *, channel: str, message_ts: str, response_url: str,
                 user: str = ALICE) -> str:
    """The form body of a button click (`payload=` JSON)."""
    payload = {
        "type": "block_actions", "user": {"id": user, "username": "alice", "team_id": TEAM_ID},
        "api_app_id": "A0BRIEF", "token": "legacy-verification-token",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel,
                      "is_ephemeral": False},
        "trigger_id": "13345224609.738474920.8088930838d88f008e0", "team": {"id": TEAM_ID},
        "channel": {"id": channel, "name": "trade-desk"}, "message": {"ts": message_ts, "type": "message"},
        "response_url": response_url,
        "actions": [{"action_id": action_id, "block_id": "briefbot_feedback", "value": value,
                     "type": "button", "action_ts": str(time.time())}],
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload)})
