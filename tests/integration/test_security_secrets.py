"""Secrets never reach a log, question text never reaches INFO, and a 401 says nothing about keys.

Every secret setting gets a distinctive fake value. A full run (ingest of files and a URL, API
calls with and without the key, answers from a loopback model that also fails once, a Slack
mention and a feedback click) is made twice: in-process with every logger captured at DEBUG,
and against a real `python -m bot.api -v` process whose whole output is read afterwards.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from support.api_server import REPO_ROOT, ApiServer, server_environment
from support.corpus import write_article
from support.fake_openai import FakeOpenAI
from support.fake_slack import FakeSlack
from support.page_server import PageServer
from support.slack_requests import block_action, event_callback, mention, signed_headers, unique_channel

from bot.api import create_app
from bot.services import Services, build_services
from bot.settings import Settings
from bot.slack.http import SLACK_EVENTS_PATH
from vectorstore.embedder import Embedder

SECRETS = {
    "OPENAI_API_KEY": "sk-SECRET0openai0c0ffee0d15ea5e",
    "BRIEFBOT_API_KEYS": "key-SECRET1api0b16b00b5,key-SECRET2api0deadbeef",
    "SLACK_BOT_TOKEN": "xoxb-SECRET3bot-0d0e0a0d",
    "SLACK_SIGNING_SECRET": "SECRET4signing0feedfacecafe",
    "SLACK_APP_TOKEN": "xapp-SECRET5app-0ba5eba11",
}
# Each secret and its halves: a key cut in two by a log formatter is still a leak.
NEEDLES = sorted({part for value in SECRETS.values() for key in value.split(",")
                  for part in (key, key[: len(key) // 2 + 4], key[len(key) // 2 - 4 :])})
API_KEY = SECRETS["BRIEFBOT_API_KEYS"].split(",")[1]
AUTH = {"Authorization": f"Bearer {API_KEY}"}
QUESTION = "How many daily transit slots did the canal authority add, asks quokka-7731?"
QUESTION_MARK = "quokka-7731"  # the part of the question no answer or title contains


def leaked(text: str) -> list[str]:
    return [needle for needle in NEEDLES if needle in text]


def secret_settings(data_dir: Path, fake_llm: FakeOpenAI, fake_slack: FakeSlack) -> dict[str, str]:
    return {**SECRETS, "BRIEFBOT_DATA_DIR": str(data_dir), "BRIEFBOT_LLM": "openai",
            "OPENAI_BASE_URL": fake_llm.base_url, "BRIEFBOT_LLM_TIMEOUT_S": "5",
            "SLACK_API_URL": fake_slack.api_url, "BRIEFBOT_ALLOW_PRIVATE_URLS": "true"}


def slack_mention(post: Any, channel: str) -> None:
    body = json.dumps(event_callback(mention(QUESTION, channel=channel, ts="1700000300.000100")))
    headers = signed_headers(body, content_type="application/json", secret=SECRETS["SLACK_SIGNING_SECRET"])
    assert post(SLACK_EVENTS_PATH, content=body, headers=headers).status_code == 200


def feedback_click(post: Any, fake: FakeSlack, channel: str) -> None:
    update = fake.wait_for_calls("chat.update", timeout=60)[-1]
    value = next(b for b in update.blocks if b["type"] == "actions")["elements"][0]["value"]
    body = block_action("feedback_up", value, channel=channel, message_ts=update.params["ts"],
                        response_url=fake.response_url("feedback"))
    headers = signed_headers(body, content_type="application/x-www-form-urlencoded",
                             secret=SECRETS["SLACK_SIGNING_SECRET"])
    assert post(SLACK_EVENTS_PATH, content=body, headers=headers).status_code == 200
    fake.wait_for_calls("response_url", timeout=30)


def exercise(
    client: httpx.Client | TestClient, fake_llm: FakeOpenAI, fake_slack: FakeSlack, url: str
) -> None:
    """Everything a deployment does: ingest, answer (model up, then down), auth failures, Slack."""
    fake_llm.reset(reply="The canal authority added four daily transit slots [1].")
    assert client.post("/v1/documents", json={"url": url}, headers=AUTH).status_code == 200
    assert client.post("/v1/documents", headers=AUTH, json={
        "title": "Freight note", "text": "Container spot rates rose sharply as carriers kept diverting ships."
    }).status_code == 200
    assert client.post("/v1/ask", json={"question": QUESTION}, headers=AUTH).json()["grounded"]
    streamed = client.post("/v1/ask", json={"question": QUESTION, "stream": True}, headers=AUTH)
    assert streamed.status_code == 200
    fake_llm.reset(status=500)
    assert client.post("/v1/chat/completions", headers=AUTH, json={
        "model": "briefbot", "messages": [{"role": "user", "content": QUESTION}]}).status_code == 200
    assert client.post("/v1/search", json={"query": QUESTION}, headers=AUTH).status_code == 200
    for header in ({}, {"Authorization": "Bearer " + API_KEY[:-1]}, {"Authorization": "Basic " + API_KEY}):
        assert client.post("/v1/ask", json={"question": QUESTION}, headers=header).status_code == 401
    fake_llm.reset(reply="The canal authority added four daily transit slots [1].")
    channel = unique_channel()
    slack_mention(client.post, channel)
    feedback_click(client.post, fake_slack, channel)


@pytest.fixture
def web(page_server: PageServer) -> str:
    return page_server.add("/canal.html", (
        "<html><head><title>Canal slots</title></head><body><article><h1>Canal slots</h1><p>"
        + "The canal authority added four daily transit slots after heavy rains refilled the lake. " * 3
        + "</p></article></body></html>"))


def test_a_full_in_process_run_logs_no_secret_and_no_question_at_info(
    tmp_path: Path, embedder: Embedder, fake_llm: FakeOpenAI, fake_slack: FakeSlack, web: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(_env_file=None, **secret_settings(tmp_path / "data", fake_llm, fake_slack))  # type: ignore[arg-type]
    services = build_services(settings, embedder=embedder)
    write_article(tmp_path / "docs", "canal.md", "canal", source="Harbor Ledger")

    with caplog.at_level(logging.DEBUG):
        assert services.ingestor.run([str(tmp_path / "docs")]).added == 1
        with TestClient(create_app(services, warm_up=False), raise_server_exceptions=False) as client:
            exercise(client, fake_llm, fake_slack, web)

    everything = "\n".join(f"{r.name} {r.levelname} {r.getMessage()} {r.exc_text or ''}"
                           for r in caplog.records)
    assert len(caplog.records) > 50  # DEBUG really was captured (httpx, Chroma, Bolt, openai …)
    assert leaked(everything) == []
    assert leaked(repr(settings)) == [] and leaked(str(settings.model_dump())) == []
    loud = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert [m for m in loud if QUESTION_MARK in m] == []


@pytest.mark.slow
def test_a_full_run_against_the_server_process_logs_no_secret_and_no_question(
    tmp_path: Path, fake_llm: FakeOpenAI, fake_slack: FakeSlack, web: str
) -> None:
    class VerboseServer(ApiServer):
        """The server with `-v` (INFO for our loggers) and uvicorn at debug."""

        def start(self) -> ApiServer:
            command = [sys.executable, "-m", "bot.api", "-v", "--host", "127.0.0.1", "--port", str(self.port)]
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT,
                                                env=server_environment(self.settings), start_new_session=True)
            return self

    log = tmp_path / "server.log"
    server = VerboseServer({**secret_settings(tmp_path / "data", fake_llm, fake_slack),
                            "BRIEFBOT_LOG_LEVEL": "debug"}, log_path=log).start()
    try:
        server.wait_for("/readyz", timeout_s=120)
        with httpx.Client(base_url=server.url, timeout=60) as client:
            exercise(client, fake_llm, fake_slack, web)
    finally:
        server.stop()

    output = log.read_text(errors="replace")
    assert "POST /v1/ask" in output and "INFO" in output  # the log really holds the run
    assert leaked(output) == []
    assert QUESTION_MARK not in output


# -- 401s ---------------------------------------------------------------------------------------------


@pytest.fixture
def keyed_client(services: Services, embedder: Embedder, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(_env_file=None, BRIEFBOT_DATA_DIR=str(tmp_path / "data"),  # type: ignore[call-arg]
                        BRIEFBOT_API_KEYS=SECRETS["BRIEFBOT_API_KEYS"])
    app = create_app(build_services(settings, embedder=embedder), warm_up=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


WRONG_HEADERS = {
    "missing": None, "empty": "", "scheme only": "Bearer", "scheme and space": "Bearer ",
    "unknown key": "Bearer key-SECRET9api0unknown00", "prefix of a key": f"Bearer {API_KEY[:-3]}",
    "key plus a character": f"Bearer {API_KEY}x", "key in upper case": f"Bearer {API_KEY.upper()}",
    "key in another scheme": f"Basic {API_KEY}", "key without a scheme": API_KEY,
    "two keys": f"Bearer {API_KEY},{API_KEY}",
    "key with a space inside": f"Bearer {API_KEY[:5]} {API_KEY[5:]}",
    "non-ascii": "Bearer клю\u0447",
}
ROUTES = [("GET", "/v1/models", None), ("POST", "/v1/ask", {"question": "anything"}),
          ("POST", "/v1/ask", {"not": "valid"}), ("POST", "/v1/search", {"query": "x"}),
          ("POST", "/v1/chat/completions", {"model": "briefbot", "messages": []}),
          ("GET", "/v1/documents", None), ("GET", "/v1/documents/0123456789abcdef", None),
          ("DELETE", "/v1/documents/0123456789abcdef", None), ("GET", "/v1/sessions/s1", None),
          ("POST", "/v1/feedback", {"session_id": "s1", "turn": 1, "rating": "up"}),
          ("POST", "/v1/documents", {"title": "t", "text": "x"})]


def test_every_wrong_credential_gets_the_same_401_on_every_route(keyed_client: TestClient) -> None:
    seen: set[tuple[int, str, str]] = set()
    for method, path, body in ROUTES:
        for header in WRONG_HEADERS.values():
            headers = {"Authorization": header.encode("utf-8")} if header is not None else {}
            response = keyed_client.request(method, path, json=body, headers=headers)
            seen.add((response.status_code, response.text, response.headers.get("www-authenticate", "")))

    assert len(seen) == 1
    status, text, challenge = seen.pop()
    assert (status, challenge) == (401, "Bearer")
    assert json.loads(text)["error"]["code"] == "unauthorized" and leaked(text) == []


def test_the_right_key_is_let_through_on_every_route(keyed_client: TestClient) -> None:
    for method, path, body in ROUTES:
        response = keyed_client.request(method, path, json=body, headers=AUTH)
        assert response.status_code != 401, (method, path)


def test_health_endpoints_need_no_key_and_reveal_none(keyed_client: TestClient) -> None:
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
        response = keyed_client.get(path)
        assert response.status_code == 200 and leaked(response.text) == []
