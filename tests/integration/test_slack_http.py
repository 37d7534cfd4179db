"""Slack over HTTP: signed requests through `POST /slack/events` to the real Bolt app.

The answers come from the real chain (real model, embedded Chroma) over the sample articles
plus one document that tries to ping the channel; Slack's Web API is the loopback fake, so
every placeholder, update and response is checked as Slack would have received it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from support.chroma_server import free_port
from support.fake_slack import BOT_ID, BOT_USER_ID, Call, FakeSlack, wait_for
from support.slack_corpus import ingest_corpus
from support.slack_requests import (
    BOT_TOKEN,
    SIGNING_SECRET,
    block_action,
    event_callback,
    mention,
    message,
    signed_headers,
    slash_command,
    unique_channel,
    write_port_notice,
)

from bot.errors import ConfigError
from bot.services import Services
from bot.slack.formatting import APOLOGY, FEEDBACK_DOWN, FEEDBACK_UP, SEARCHING, THANKS, FeedbackRef
from bot.slack.http import SLACK_EVENTS_PATH, mount_slack
from vectorstore.embedder import Embedder

HOT_ROLLED = "What is the new tariff rate on hot-rolled coil?"
STEEL_URL = "https://ironbridgereview.example/trade/2026/06/steel-aluminium-tariff-increase"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, sample_dir: Path) -> Path:
    """A data folder with the sample articles and the port notice ingested, once per module."""
    root = tmp_path_factory.mktemp("slack-corpus")
    report = ingest_corpus(root / "data", embedder, [sample_dir, write_port_notice(root / "extra")])
    assert not report.failed and report.added == 9
    return root / "data"


@pytest.fixture
def slack_services(
    make_services: Callable[..., Services], corpus_dir: Path, fake_slack: FakeSlack
) -> Services:
    """Fresh services over the module's corpus, with Slack settings pointing at the fake."""
    return make_services(corpus_dir, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                         SLACK_API_URL=fake_slack.api_url)


class SlackSender:
    """Posts what Slack would post to `/slack/events`, signed unless told otherwise."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def post(self, body: str, content_type: str, **signing: Any) -> Response:
        headers = signed_headers(body, content_type=content_type, **signing)
        return self.client.post(SLACK_EVENTS_PATH, content=body, headers=headers)

    def event(self, event: dict[str, Any], **signing: Any) -> Response:
        response = self.post(json.dumps(event_callback(event)), JSON, **signing)
        assert response.status_code == 200, response.text
        return response


@contextmanager
def sender_for(services: Services) -> Iterator[SlackSender]:
    """The FastAPI app with Slack mounted, as the API would mount it, behind a test client."""
    api = FastAPI()
    mount_slack(api, services)
    with TestClient(api) as client:
        yield SlackSender(client)


@pytest.fixture
def slack(slack_services: Services) -> Iterator[SlackSender]:
    with sender_for(slack_services) as sender:
        yield sender


def answered(fake: FakeSlack, channel: str, count: int = 1) -> list[Call]:
    """Wait until ``count`` placeholders in ``channel`` were each replaced; return the updates."""

    def updates() -> list[Call]:
        found = [c for c in fake.calls_to("chat.update") if c.params.get("channel") == channel]
        return found if len(found) >= count else []

    return wait_for(updates, message=f"{count} answer(s) in {channel}; calls so far: {fake.methods()}")


def placeholders(fake: FakeSlack, channel: str) -> list[Call]:
    return [c for c in fake.calls_to("chat.postMessage") if c.params.get("channel") == channel]


def feedback_value(update: Call) -> str:
    actions = [b for b in update.blocks if b["type"] == "actions"]
    assert len(actions) == 1
    assert [e["action_id"] for e in actions[0]["elements"]] == [FEEDBACK_UP, FEEDBACK_DOWN]
    return str(actions[0]["elements"][0]["value"])


def test_url_verification_challenge_is_echoed(slack: SlackSender, fake_slack: FakeSlack) -> None:
    body = json.dumps({"token": "t", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                       "type": "url_verification"})
    response = slack.post(body, JSON)
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def test_request_signed_with_another_secret_is_rejected_without_calling_slack(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    event = mention(HOT_ROLLED, channel=unique_channel(), ts="1700000000.000100")
    response = slack.post(json.dumps(event_callback(event)), JSON, secret="not-the-signing-secret")
    assert response.status_code == 401
    assert fake_slack.calls == []


def test_stale_signature_is_rejected_without_calling_slack(slack: SlackSender, fake_slack: FakeSlack) -> None:
    event = mention(HOT_ROLLED, channel=unique_channel(), ts="1700000000.000100")
    response = slack.post(json.dumps(event_callback(event)), JSON, timestamp=int(time.time()) - 600)
    assert response.status_code == 401
    assert fake_slack.calls == []


def test_mention_gets_one_placeholder_then_the_answer_in_its_thread(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    channel, ts = unique_channel(), "1700000001.000100"
    slack.event(mention(HOT_ROLLED, channel=channel, ts=ts))
    [update] = answered(fake_slack, channel)
    [placeholder] = placeholders(fake_slack, channel)
    assert placeholder.params["thread_ts"] == ts and placeholder.text == SEARCHING
    assert update.params["ts"] != ts  # the placeholder is replaced, not the question
    answer_text, sources = update.blocks[0]["text"]["text"], update.all_text()
    assert "25%" in answer_text and "[1]" in answer_text
    assert f"[1] <{STEEL_URL}|Canada raises steel and aluminium tariffs" in sources
    assert "Ironbridge Economic Review, 2026-06-03" in sources
    assert FeedbackRef.from_value(feedback_value(update)) == FeedbackRef(f"slack:{channel}:{ts}", 1)


def test_direct_message_is_answered_in_the_dm(slack: SlackSender, fake_slack: FakeSlack) -> None:
    channel = unique_channel("D")
    slack.event(message("How many daily transit slots will the Panama Canal offer?",
                        channel=channel, ts="1700000002.000100", channel_type="im"))
    [update] = answered(fake_slack, channel)
    [placeholder] = placeholders(fake_slack, channel)
    assert "thread_ts" not in placeholder.params
    assert "36" in update.blocks[0]["text"]["text"]


def test_reply_in_an_answered_thread_is_a_follow_up_on_the_same_subject(
    slack: SlackSender, fake_slack: FakeSlack, slack_services: Services
) -> None:
    channel, root = unique_channel(), "1700000003.000100"
    slack.event(mention(HOT_ROLLED, channel=channel, ts=root))
    answered(fake_slack, channel)
    slack.event(message("and on rebar?", channel=channel, ts="1700000003.000200", thread_ts=root))
    answered(fake_slack, channel, count=2)
    assert [c.params["thread_ts"] for c in placeholders(fake_slack, channel)] == [root, root]
    turns = slack_services.sessions.turns(f"slack:{channel}:{root}")
    assert [t.question for t in turns] == [HOT_ROLLED, "and on rebar?"]
    assert "rebar" in turns[1].standalone_question and "hot-rolled coil" in turns[1].standalone_question


def test_late_mention_takes_the_subject_from_the_threads_earlier_messages(
    slack: SlackSender, fake_slack: FakeSlack, slack_services: Services
) -> None:
    channel, root = unique_channel(), "1700000004.000100"
    fake_slack.threads[(channel, root)] = [
        message(HOT_ROLLED, channel=channel, ts=root, user="U0BOB"),
        message("No idea, let's ask the bot", channel=channel, ts="1700000004.000200", thread_ts=root),
        message("beep", channel=channel, ts="1700000004.000250", thread_ts=root, bot_id="B0OTHER"),
    ]
    slack.event(mention("and on rebar?", channel=channel, ts="1700000004.000300", thread_ts=root))
    answered(fake_slack, channel)
    assert fake_slack.calls_to("conversations.replies")[0].params["ts"] == root
    [turn] = slack_services.sessions.turns(f"slack:{channel}:{root}")
    assert "rebar" in turn.standalone_question and "hot-rolled coil" in turn.standalone_question


def test_retried_delivery_is_acknowledged_but_not_answered(slack: SlackSender, fake_slack: FakeSlack) -> None:
    channel = unique_channel("D")
    retried = message(HOT_ROLLED, channel=channel, ts="1700000005.000100", channel_type="im")
    assert slack.event(retried, retry=1).text == ""
    slack.event(message("What individual countervailing duty rate did Zhenhai Motors receive?",
                        channel=channel, ts="1700000005.000200", channel_type="im"))
    answered(fake_slack, channel)
    assert len(placeholders(fake_slack, channel)) == 1  # only the second, never the retried one


def test_messages_from_bots_and_from_itself_are_ignored(slack: SlackSender, fake_slack: FakeSlack) -> None:
    channel = unique_channel("D")
    slack.event(message(HOT_ROLLED, channel=channel, ts="1700000006.000100", channel_type="im",
                        bot_id="B0OTHER"))
    slack.event(message(HOT_ROLLED, channel=channel, ts="1700000006.000200", channel_type="im",
                        user=None, subtype="bot_message", bot_id="B0OTHER"))
    slack.event(message(HOT_ROLLED, channel=channel, ts="1700000006.000300", channel_type="im",
                        user=BOT_USER_ID, bot_id=BOT_ID))
    slack.event(message("What was the Shanghai-Rotterdam spot rate for a 40-foot container?",
                        channel=channel, ts="1700000006.000400", channel_type="im"))
    answered(fake_slack, channel)
    assert len(placeholders(fake_slack, channel)) == 1  # only the human's message


def test_slash_command_is_acknowledged_then_answered_in_the_channel(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    channel = unique_channel()
    body = slash_command(HOT_ROLLED, channel=channel, response_url=fake_slack.response_url())
    response = slack.post(body, FORM)
    assert response.status_code == 200 and response.text == ""
    [update] = answered(fake_slack, channel)
    [placeholder] = placeholders(fake_slack, channel)
    assert "thread_ts" not in placeholder.params
    assert "<@U0ALICE> asked: What is the new tariff rate on hot-rolled coil?" in update.all_text()
    assert "25%" in update.all_text()
    ref = FeedbackRef.from_value(feedback_value(update))
    assert ref.session_id == f"slack:{channel}:{update.params['ts']}"  # its thread takes follow-ups


def test_slash_command_help_explains_usage_in_the_ack(slack: SlackSender, fake_slack: FakeSlack) -> None:
    body = slash_command("help", channel=unique_channel(), response_url=fake_slack.response_url())
    response = slack.post(body, FORM)
    assert response.status_code == 200
    assert "/brief" in response.json()["text"]
    assert "chat.postMessage" not in fake_slack.methods()


def test_slash_command_where_the_bot_cannot_post_is_answered_privately(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    fake_slack.errors["chat.postMessage"] = "not_in_channel"
    body = slash_command(HOT_ROLLED, channel=unique_channel(), response_url=fake_slack.response_url())
    assert slack.post(body, FORM).status_code == 200
    [reply] = fake_slack.wait_for_calls("response_url")
    assert reply.params["response_type"] == "ephemeral" and "25%" in reply.all_text()


def test_feedback_click_is_stored_with_the_turn_it_rates(
    slack: SlackSender, fake_slack: FakeSlack, slack_services: Services
) -> None:
    channel, ts = unique_channel(), "1700000007.000100"
    slack.event(mention(HOT_ROLLED, channel=channel, ts=ts))
    [update] = answered(fake_slack, channel)
    body = block_action(FEEDBACK_DOWN, feedback_value(update), channel=channel,
                        message_ts=update.params["ts"], response_url=fake_slack.response_url("click"))
    assert slack.post(body, FORM).status_code == 200  # acknowledged first, stored right after
    [feedback] = wait_for(lambda: slack_services.sessions.feedback(f"slack:{channel}:{ts}"),
                          message="the feedback row")
    assert (feedback.turn, feedback.rating, feedback.channel) == (1, "down", "slack")
    [thanks] = fake_slack.wait_for_calls("response_url")
    assert thanks.text == THANKS and thanks.params["response_type"] == "ephemeral"


def test_answer_failure_replaces_the_placeholder_with_an_apology(
    make_services: Callable[..., Services], tmp_path: Path, fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    unreachable = make_services(tmp_path / "down", SLACK_BOT_TOKEN=BOT_TOKEN,
                                SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=fake_slack.api_url,
                                BRIEFBOT_CHROMA_URL=f"http://127.0.0.1:{free_port()}")
    channel, ts = unique_channel(), "1700000008.000100"
    with caplog.at_level(logging.ERROR, logger="bot.slack"), sender_for(unreachable) as slack:
        slack.event(mention(HOT_ROLLED, channel=channel, ts=ts))
        [update] = answered(fake_slack, channel)
    [placeholder] = placeholders(fake_slack, channel)
    assert placeholder.params["thread_ts"] == ts
    assert update.text == APOLOGY and "Traceback" not in update.all_text()
    assert "Slack request failed" in caplog.text


def test_document_text_cannot_ping_the_channel(slack: SlackSender, fake_slack: FakeSlack) -> None:
    channel = unique_channel()
    slack.event(mention("What did the notice at Port Valdoria say about the container berths?",
                        channel=channel, ts="1700000009.000100"))
    [update] = answered(fake_slack, channel)
    everything = json.dumps([c.params for c in fake_slack.calls], ensure_ascii=False)
    assert "&lt;!channel&gt; all container berths" in update.all_text()
    assert "warns &lt;!here&gt; of berth closures" in update.all_text()
    for ping in ("<!channel>", "<!here>", "<@U0HARBOUR>"):
        assert ping not in everything


def test_mounting_without_a_signing_secret_names_the_missing_setting(
    make_services: Callable[..., Services], tmp_path: Path
) -> None:
    services = make_services(tmp_path / "data", SLACK_BOT_TOKEN=BOT_TOKEN)
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET is not set"):
        mount_slack(FastAPI(), services)
