"""A real API server process (`python -m bot.api`) on a free loopback port.

The data directory holds the sample articles, ingested by this module through the real
pipeline before the server starts; the server loads its own copy of the model. Clients are the
ones users run: httpx (reading the SSE stream) and the official `openai` package.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from support.api_server import ApiServer, Event, parse_sse
from support.chroma_server import ChromaServer

from bot.services import build_services
from bot.settings import Settings
from vectorstore.embedder import Embedder

KEY = "test-api-key-7c1d"
AUTH = {"Authorization": f"Bearer {KEY}"}
CANAL_QUESTION = "How many daily transit slots will the Panama Canal offer?"
ZHENHAI_QUESTION = "What individual countervailing duty rate did Zhenhai Motors receive?"


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, sample_dir: Path
) -> Iterator[ApiServer]:
    folder = tmp_path_factory.mktemp("api-server")
    data_dir = folder / "data"
    settings = Settings(_env_file=None, BRIEFBOT_DATA_DIR=str(data_dir))  # type: ignore[call-arg]
    assert build_services(settings, embedder=embedder).ingestor.run([str(sample_dir)]).added == 8
    api = ApiServer(
        {"BRIEFBOT_DATA_DIR": str(data_dir), "BRIEFBOT_API_KEYS": f"other-key-0000,{KEY}"},
        log_path=folder / "server.log",
    ).start()
    try:
        api.wait_for("/readyz", timeout_s=120)
        yield api
    finally:
        api.stop()


@pytest.fixture
def http(server: ApiServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=60.0) as client:
        yield client


@pytest.fixture
def openai_client(server: ApiServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=KEY, max_retries=0, timeout=60.0)


def stream_events(http: httpx.Client, payload: dict[str, Any]) -> list[Event]:
    with http.stream("POST", "/v1/ask", json={**payload, "stream": True}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        return list(parse_sse(response.iter_lines()))


def test_streamed_answer_sends_tokens_then_citations_then_the_same_answer_as_json(http: httpx.Client) -> None:
    plain = http.post("/v1/ask", json={"question": ZHENHAI_QUESTION}).json()

    events = stream_events(http, {"question": ZHENHAI_QUESTION})

    names = [e.name for e in events]
    assert names[-2:] == ["citations", "done"] and set(names[:-2]) == {"token"}
    tokens = "".join(e.json()["text"] for e in events[:-2])
    done = events[-1].json()
    assert events[-2].json() == {"citations": done["citations"]}
    assert tokens.strip() == done["answer"]
    assert {k: v for k, v in done.items() if k != "session_id"} == {
        k: v for k, v in plain.items() if k != "session_id"
    }
    assert "19.8%" in done["answer"] and done["citations"]


def test_openai_client_gets_the_answer_with_markers_sources_and_citations(
    openai_client: openai.OpenAI,
) -> None:
    completion = openai_client.chat.completions.create(
        model="briefbot", messages=[{"role": "user", "content": CANAL_QUESTION}]
    )

    content = completion.choices[0].message.content or ""
    answer, _, sources = content.partition("\n\nSources:\n")
    assert re.search(r"\[1\]", answer) and "36" in answer
    assert sources.startswith(
        "[1] Panama Canal adds transit slots as Gatun Lake recovers, Harbor Ledger, 2026-03-04"
    )
    citations = (completion.model_extra or {})["citations"]
    assert citations[0]["n"] == 1 and citations[0]["source"] == "Harbor Ledger"
    assert completion.model == "briefbot" and completion.choices[0].finish_reason == "stop"


def test_openai_client_streams_the_same_reply_and_ends_with_citations(openai_client: openai.OpenAI) -> None:
    messages: list[Any] = [{"role": "user", "content": CANAL_QUESTION}]
    whole = openai_client.chat.completions.create(model="briefbot", messages=messages)

    chunks = list(openai_client.chat.completions.create(model="briefbot", messages=messages, stream=True))

    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == whole.choices[0].message.content
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert (chunks[-1].model_extra or {})["citations"] == (whole.model_extra or {})["citations"]


def test_models_lists_briefbot(openai_client: openai.OpenAI) -> None:
    assert [m.id for m in openai_client.models.list()] == ["briefbot"]


def test_uploaded_document_is_cited_until_it_is_deleted(http: httpx.Client) -> None:
    article = (
        "# Vellmar Strait pilotage fee rises\n\nPublished: 2026-11-20\nSource: Test Harbour News\n\n"
        "The Vellmar Strait authority raised the pilotage fee to 7,300 crowns per transit from December.\n"
    )
    question = "What is the pilotage fee for the Vellmar Strait?"

    uploaded = http.post("/v1/documents", files={"file": ("vellmar.md", article.encode(), "text/markdown")})
    assert uploaded.status_code == 200, uploaded.text
    doc_id = uploaded.json()["doc_ids"][0]
    cited = http.post("/v1/ask", json={"question": question}).json()
    deleted = http.delete(f"/v1/documents/{doc_id}")
    after = http.post("/v1/ask", json={"question": question}).json()

    assert uploaded.json()["added"] == 1
    assert doc_id in {c["doc_id"] for c in cited["citations"]} and "7,300" in cited["answer"]
    assert deleted.status_code == 200
    assert doc_id not in {c["doc_id"] for c in after["citations"]} and "7,300" not in after["answer"]
    assert http.get(f"/v1/documents/{doc_id}").status_code == 404


def test_v1_needs_a_configured_key_and_health_does_not(server: ApiServer) -> None:
    missing = httpx.post(f"{server.url}/v1/ask", json={"question": CANAL_QUESTION})
    wrong = httpx.post(f"{server.url}/v1/ask", json={"question": CANAL_QUESTION},
                       headers={"Authorization": "Bearer test-api-key-7c1e"})

    assert missing.status_code == wrong.status_code == 401
    assert missing.json() == wrong.json()
    assert httpx.get(f"{server.url}/healthz").status_code == 200


def test_openai_client_with_a_wrong_key_gets_an_authentication_error(server: ApiServer) -> None:
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="nope", max_retries=0)

    with pytest.raises(openai.AuthenticationError):
        client.models.list()


def test_metrics_count_answered_requests(http: httpx.Client) -> None:
    def asked() -> float:
        text = http.get("/metrics").text
        series = r'briefbot_http_requests_total\{method="POST",route="/v1/ask",status="200"\}'
        found = re.search(rf"^{series} (\S+)$", text, re.M)
        return float(found.group(1)) if found else 0.0

    before = asked()
    http.post("/v1/ask", json={"question": CANAL_QUESTION})

    assert asked() == before + 1
    assert 'briefbot_answers_total{generator="extractive",grounded="true"}' in http.get("/metrics").text


def test_readiness_follows_the_chroma_server(
    chroma_server_process: ChromaServer, tmp_path: Path
) -> None:
    """Down at start-up: alive but not ready; ready once Chroma is up; not ready when it stops."""
    chroma_server_process.stop()
    api = ApiServer(
        {"BRIEFBOT_DATA_DIR": str(tmp_path / "data"), "BRIEFBOT_CHROMA_URL": chroma_server_process.url,
         "BRIEFBOT_COLLECTION": "readiness"},
        log_path=tmp_path / "server.log",
    ).start()
    try:
        api.wait_for("/healthz")
        down = api.wait_for("/readyz", status=503)
        assert down.json()["error"]["code"] in {"store_unavailable", "starting"}
        chroma_server_process.start()
        assert api.wait_for("/readyz", timeout_s=90).json()["store"] == "server"
        chroma_server_process.stop()
        assert api.wait_for("/readyz", status=503).json()["error"]["code"] == "store_unavailable"
        assert httpx.get(f"{api.url}/healthz").status_code == 200
    finally:
        api.stop()
        chroma_server_process.start()
