"""Outages of what briefbot depends on: the Chroma server and the language model.

Chroma: a real `chroma run` is stopped under a running app (server mode): readiness and answers
turn 503 with a message that names the store, Slack gets the apology, and once the same server
is started again the same app (never restarted) answers again. The language model: a loopback
OpenAI-compatible server that refuses, fails, stalls or breaks its stream; every answer falls
back to quoting the documents, and /v1/ask never answers 5xx.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support.api_server import Event, parse_sse
from support.chroma_server import ChromaServer, free_port
from support.corpus import write_article
from support.fake_openai import FakeOpenAI
from support.fake_slack import Call, FakeSlack, wait_for
from support.slack_requests import (
    BOT_TOKEN,
    SIGNING_SECRET,
    event_callback,
    mention,
    signed_headers,
    unique_channel,
)

from bot.answers.chain import FALLBACK_NOTE
from bot.api import create_app
from bot.services import Services
from bot.slack.formatting import APOLOGY
from bot.slack.http import SLACK_EVENTS_PATH

MakeServices = Callable[..., Services]
CANAL = "How many daily transit slots did the canal authority add?"
LLM_TIMEOUT_S = 1.0


def corpus(folder: Path) -> Path:
    for name, topic in (("canal.md", "canal"), ("steel.md", "steel"), ("chips.md", "chips")):
        write_article(folder, name, topic, source="Harbor Ledger" if topic == "canal" else "Test Wire")
    return folder


def ask(client: TestClient, question: str = CANAL, **extra: Any) -> Any:
    return client.post("/v1/ask", json={"question": question, **extra})


def events_of(response: Any) -> list[Event]:
    assert response.headers["content-type"].startswith("text/event-stream")
    return list(parse_sse(iter(response.text.split("\n"))))


def slack_mention(client: TestClient, channel: str, ts: str) -> None:
    body = json.dumps(event_callback(mention(CANAL, channel=channel, ts=ts)))
    response = client.post(SLACK_EVENTS_PATH, content=body,
                           headers=signed_headers(body, content_type="application/json"))
    assert response.status_code == 200


def slack_reply(fake: FakeSlack, channel: str) -> Call:
    """The message that replaced the 'Searching…' placeholder in ``channel``."""

    def update() -> list[Call]:
        return [c for c in fake.calls_to("chat.update") if c.params.get("channel") == channel]

    return wait_for(update, timeout=60, message=f"the reply in {channel}")[-1]


# -- the Chroma server goes away and comes back ------------------------------------------------


@pytest.fixture
def server_client(
    make_services: MakeServices, chroma_server: str, collection_name: str, fake_slack: FakeSlack,
    tmp_path: Path, chroma_server_process: ChromaServer,
) -> Iterator[TestClient]:
    """The app (API and Slack) over a `chroma run` collection holding three small articles."""
    services = make_services(BRIEFBOT_CHROMA_URL=chroma_server, BRIEFBOT_COLLECTION=collection_name,
                             SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                             SLACK_API_URL=fake_slack.api_url)
    assert services.ingestor.run([str(corpus(tmp_path / "docs"))]).added == 3
    with TestClient(create_app(services, warm_up=False), raise_server_exceptions=False) as client:
        assert client.get("/readyz").status_code == 200
        assert ask(client).status_code == 200
        yield client
    chroma_server_process.start()  # for the next test, whatever happened here


@pytest.mark.server
@pytest.mark.slow
def test_while_chroma_is_down_readiness_and_answers_are_503_and_slack_apologises(
    server_client: TestClient, chroma_server_process: ChromaServer, fake_slack: FakeSlack
) -> None:
    chroma_server_process.stop()

    ready = server_client.get("/readyz")
    answer = ask(server_client)
    streamed = ask(server_client, stream=True)
    search = server_client.post("/v1/search", json={"query": "canal slots"})
    channel = unique_channel()
    slack_mention(server_client, channel, "1700000100.000100")

    for response in (ready, answer, streamed, search):
        assert response.status_code == 503, response.text
        error = response.json()["error"]
        assert error["code"] == "store_unavailable"
        assert "Chroma" in error["message"] and "Traceback" not in response.text
    assert answer.headers["retry-after"] == "30"
    assert server_client.get("/healthz").status_code == 200
    reply = slack_reply(fake_slack, channel)
    assert reply.text == APOLOGY and "Traceback" not in reply.all_text()


@pytest.mark.server
@pytest.mark.slow
def test_when_chroma_comes_back_the_same_app_answers_again(
    server_client: TestClient, chroma_server_process: ChromaServer, fake_slack: FakeSlack
) -> None:
    chroma_server_process.stop()
    assert ask(server_client).status_code == 503

    chroma_server_process.start()

    assert server_client.get("/readyz").status_code == 200
    answer = ask(server_client)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["grounded"] and "four daily transit slots" in body["answer"]
    assert body["citations"][0]["source"] == "Harbor Ledger"
    assert events_of(ask(server_client, stream=True))[-1].name == "done"
    channel = unique_channel()
    slack_mention(server_client, channel, "1700000101.000100")
    reply = slack_reply(fake_slack, channel)
    assert "four daily transit slots" in reply.all_text() and "[1]" in reply.all_text()


# -- the language model fails in every way it can -----------------------------------------------


@pytest.fixture(scope="module")
def llm_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("llm-outage")


@pytest.fixture
def llm_client(
    make_services: MakeServices, llm_data: Path, fake_llm: FakeOpenAI
) -> Iterator[Callable[..., TestClient]]:
    """``llm_client(base_url=None)``: the app with `BRIEFBOT_LLM=openai` over a small corpus."""
    clients: list[TestClient] = []

    def start(base_url: str | None = None) -> TestClient:
        services = make_services(llm_data / "data", BRIEFBOT_LLM="openai",
                                 OPENAI_BASE_URL=base_url or fake_llm.base_url,
                                 OPENAI_API_KEY="sk-outage-test", BRIEFBOT_LLM_TIMEOUT_S=LLM_TIMEOUT_S)
        if not services.store.list_documents():
            services.ingestor.run([str(corpus(llm_data / "docs"))])
        app = create_app(services, warm_up=False)
        clients.append(TestClient(app, raise_server_exceptions=False).__enter__())
        return clients[-1]

    yield start
    for client in clients:
        client.__exit__(None, None, None)


FAILURES: dict[str, dict[str, Any]] = {
    "http-500": {"status": 500},
    "http-503": {"status": 503},
    "slower-than-the-timeout": {"reply": "Too late [1].", "delay_s": LLM_TIMEOUT_S + 3},
    "malformed-stream": {"reply": "The canal will add four slots [1] and more.", "malformed": True},
}


def assert_fell_back(body: dict[str, Any]) -> None:
    assert body["generator"] == "extractive"
    assert body["answer"].startswith(FALLBACK_NOTE)
    assert body["grounded"] and "four daily transit slots" in body["answer"]
    assert [c["n"] for c in body["citations"]] == [1]


@pytest.mark.slow
@pytest.mark.parametrize("failure", list(FAILURES))
def test_a_failing_llm_falls_back_to_quoting_in_a_streamed_answer(
    llm_client: Callable[..., TestClient], fake_llm: FakeOpenAI, failure: str
) -> None:
    fake_llm.reset(**FAILURES[failure])

    response = ask(llm_client(), stream=True)

    assert response.status_code == 200
    events = events_of(response)
    assert [e.name for e in events][-2:] == ["citations", "done"]
    done = events[-1].json()
    assert_fell_back(done)
    # a stream that broke midway has already shown its first words: the note then the quotes follow
    streamed = "".join(e.json()["text"] for e in events if e.name == "token")
    assert streamed.endswith(done["answer"])


@pytest.mark.slow
@pytest.mark.parametrize("failure", ["http-500", "http-503", "slower-than-the-timeout"])
def test_a_failing_llm_falls_back_to_quoting_in_a_plain_answer(
    llm_client: Callable[..., TestClient], fake_llm: FakeOpenAI, failure: str
) -> None:
    fake_llm.reset(**FAILURES[failure])

    response = ask(llm_client())

    assert response.status_code == 200, response.text
    assert_fell_back(response.json())


@pytest.mark.slow
@pytest.mark.parametrize("stream", [False, True])
def test_an_llm_refusing_connections_falls_back_to_quoting(
    llm_client: Callable[..., TestClient], stream: bool
) -> None:
    client = llm_client(base_url=f"http://127.0.0.1:{free_port()}/v1")

    response = ask(client, stream=stream)

    assert response.status_code == 200
    assert_fell_back(events_of(response)[-1].json() if stream else response.json())


@pytest.mark.slow
def test_the_openai_compatible_endpoint_also_falls_back_when_the_llm_fails(
    llm_client: Callable[..., TestClient], fake_llm: FakeOpenAI
) -> None:
    fake_llm.reset(status=500)

    response = llm_client().post("/v1/chat/completions",
                                 json={"model": "briefbot", "messages": [{"role": "user", "content": CANAL}]})

    assert response.status_code == 200
    content = response.json()["choices"][0]["message"]["content"]
    assert content.startswith(FALLBACK_NOTE) and "four daily transit slots" in content
