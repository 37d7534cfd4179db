"""slack/manifest.yml asks for exactly what the code listens to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.slack.commands import COMMAND

MANIFEST = Path(__file__).resolve().parents[2] / "slack" / "manifest.yml"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return dict(yaml.safe_load(MANIFEST.read_text(encoding="utf-8")))


def test_manifest_declares_the_brief_command(manifest: dict[str, Any]) -> None:
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == [COMMAND]


def test_manifest_subscribes_to_mentions_dms_and_thread_messages(manifest: dict[str, Any]) -> None:
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert events == {"app_mention", "message.im", "message.channels", "message.groups"}


def test_manifest_asks_for_the_scopes_those_need(manifest: dict[str, Any]) -> None:
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "app_mentions:read", "chat:write", "commands", "channels:history", "groups:history",
        "im:history", "im:read", "im:write",
    }


def test_manifest_enables_buttons_and_socket_mode(manifest: dict[str, Any]) -> None:
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
