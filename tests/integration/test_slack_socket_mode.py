"""Slack over Socket Mode: the runner behind `briefbot slack` against a loopback WebSocket.

The fake's `apps.connections.open` hands out the URL of its own WebSocket server, which greets
the client, delivers event envelopes and records the acks; the answers go to the fake Web API.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support.fake_slack import FakeSlack, wait_for
from support.slack_corpus import ingest_corpus
from support.slack_requests import APP_TOKEN, BOT_TOKEN, event_callback, mention, unique_channel

from bot.cli.slack import slack
from bot.services import Services
from bot.slack.formatting import SEARCHING
from bot.slack.socket_mode import run_socket_mode
from vectorstore.embedder import Embedder

QUESTION = "What is the new tariff rate on hot-rolled coil?"


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, sample_dir: Path) -> Path:
    """One article is enough here: the steel tariffs, ingested once per module."""
    data = tmp_path_factory.mktemp("slack-socket-corpus") / "data"
    assert ingest_corpus(data, embedder, [sample_dir / "steel-tariffs.md"]).added == 1
    return data


def envelope(envelope_id: str, event: dict[str, Any], *, retry_attempt: int = 0) -> dict[str, Any]:
    """An `events_api` envelope as Slack sends it over the socket."""
    return {"envelope_id": envelope_id, "type": "events_api", "accepts_response_payload": False,
            "retry_attempt": retry_attempt, "retry_reason": "timeout" if retry_attempt else "",
            "payload": event_callback(event)}


def test_socket_mode_runner_acks_the_envelope_and_answers_in_the_thread(
    make_services: Callable[..., Services], corpus_dir: Path, fake_slack: FakeSlack
) -> None:
    services = make_services(corpus_dir, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN,
                             SLACK_API_URL=fake_slack.api_url)
    channel = unique_channel()
    fake_slack.envelopes += [
        envelope("retried-1", mention(QUESTION, channel=channel, ts="1700000100.000100"), retry_attempt=1),
        envelope("first-1", mention(QUESTION, channel=channel, ts="1700000100.000200")),
    ]
    stop = threading.Event()
    runner = threading.Thread(target=run_socket_mode, args=(services,), kwargs={"stop": stop}, daemon=True)
    runner.start()
    try:
        wait_for(lambda: {"retried-1", "first-1"} <= set(fake_slack.acks()), message="both acks")
        [update] = fake_slack.wait_for_calls("chat.update")
    finally:
        stop.set()
        runner.join(timeout=15)
    assert not runner.is_alive()
    [connect] = fake_slack.calls_to("apps.connections.open")
    assert connect.token == APP_TOKEN
    [placeholder] = fake_slack.calls_to("chat.postMessage")  # the retried delivery got no answer
    assert placeholder.params["thread_ts"] == "1700000100.000200" and placeholder.text == SEARCHING
    assert update.params["ts"] != "1700000100.000200" and "25%" in update.all_text()
    assert any(b["type"] == "actions" for b in update.blocks)


def test_slack_command_without_app_token_says_which_setting_is_missing(
    make_services: Callable[..., Services], corpus_dir: Path, fake_slack: FakeSlack
) -> None:
    services = make_services(corpus_dir, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=fake_slack.api_url)
    result = CliRunner().invoke(slack, [], obj={"services": services})
    assert result.exit_code == 1
    assert "SLACK_APP_TOKEN is not set" in result.output and "Traceback" not in result.output
    assert fake_slack.calls == []


def test_slack_command_with_a_rejected_bot_token_stops_with_a_clear_error(
    make_services: Callable[..., Services], corpus_dir: Path, fake_slack: FakeSlack
) -> None:
    fake_slack.errors["auth.test"] = "invalid_auth"
    services = make_services(corpus_dir, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN,
                             SLACK_API_URL=fake_slack.api_url)
    result = CliRunner().invoke(slack, [], obj={"services": services})
    assert result.exit_code == 1
    assert "Slack rejected SLACK_BOT_TOKEN (invalid_auth)" in result.output
    assert "apps.connections.open" not in fake_slack.methods()
