"""The HTTP API in-process (FastAPI's TestClient): validation, errors, auth, documents, sessions.

The app is the real one over real services: embedded Chroma holding the sample articles
(ingested once for this module through the real pipeline) and the session's real model.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support.chroma_server import free_port
from support.page_server import PageServer

from bot.api import create_app
from bot.api.auth import UNAUTHORIZED
from bot.services import build_services
from bot.settings import Settings
from vectorstore.embedder import Embedder

CANAL_QUESTION = "How many daily transit slots will the Panama Canal offer?"
MakeClient = Callable[..., TestClient]


@pytest.fixture(scope="module")
def api_data(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, sample_dir: Path) -> Path:
    """A data directory holding the sample articles, ingested once for the module."""
    data_dir = tmp_path_factory.mktemp("api") / "data"
    settings = Settings(_env_file=None, BRIEFBOT_DATA_DIR=str(data_dir))  # type: ignore[call-arg]
    report = build_services(settings, embedder=embedder).ingestor.run([str(sample_dir)])
    assert report.failed == [] and report.added == 8
    return data_dir


@pytest.fixture
def make_client(
    api_data: Path, make_settings: Callable[..., Settings], embedder: Embedder
) -> Iterator[MakeClient]:
    """``make_client(**settings)``: a TestClient on the module's data (settings by env name)."""
    clients: list[TestClient] = []

    def factory(**overrides: Any) -> TestClient:
        settings = make_settings(overrides.pop("data_dir", api_data), **overrides)
        app = create_app(build_services(settings, embedder=embedder), warm_up=False)
        client = TestClient(app, raise_server_exceptions=False)
        clients.append(client.__enter__())
        return client

    yield factory
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client()


def error_of(response: Any) -> dict[str, str]:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return dict(body["error"])


def multipart(name: str, content: bytes, boundary: str = "briefbot-test-boundary") -> tuple[bytes, str]:
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


# -- answers and validation ------------------------------------------------------------------


def test_ask_returns_the_answer_json_with_cited_sources(client: TestClient) -> None:
    response = client.post("/v1/ask", json={"question": CANAL_QUESTION})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"answer", "citations", "session_id", "standalone_question", "grounded", "generator"}
    assert body["grounded"] is True and body["generator"] == "extractive"
    assert "36" in body["answer"] and "[1]" in body["answer"]
    assert body["citations"][0]["source"] == "Harbor Ledger"


@pytest.mark.parametrize("payload", [{}, {"question": ""}, {"question": "   "}, {"question": None}])
def test_missing_or_empty_question_is_422(client: TestClient, payload: dict[str, Any]) -> None:
    response = client.post("/v1/ask", json=payload)

    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"
    assert "question" in error_of(response)["message"]


def test_question_over_4000_characters_is_422(client: TestClient) -> None:
    response = client.post("/v1/ask", json={"question": "x" * 4001})

    assert response.status_code == 422
    assert "question" in error_of(response)["message"]


def test_unknown_filter_field_is_422(client: TestClient) -> None:
    response = client.post("/v1/ask", json={"question": CANAL_QUESTION, "filters": {"outlet": ["x"]}})

    assert response.status_code == 422
    assert "filters.outlet" in error_of(response)["message"]


def test_filters_narrow_the_answer_to_the_given_outlet(client: TestClient) -> None:
    body = client.post("/v1/ask", json={
        "question": "What share of rare-earth export licence applications was approved?",
        "filters": {"sources": ["Meridian Trade Wire"], "published_before": "2026-06-30"},
    }).json()

    assert body["citations"] and {c["published"][:7] for c in body["citations"]} == {"2026-03"}


def test_malformed_json_is_a_422_error_object(client: TestClient) -> None:
    response = client.post("/v1/ask", content=b"{not json", headers={"content-type": "application/json"})

    assert response.status_code == 422
    assert error_of(response)["code"] == "validation_error"


def test_unknown_route_and_wrong_method_use_the_error_shape(client: TestClient) -> None:
    assert error_of(client.get("/v1/nothing-here"))["code"] == "not_found"
    assert error_of(client.get("/v1/ask"))["code"] == "method_not_allowed"


def test_unexpected_failure_is_a_500_without_a_stack_trace(client: TestClient) -> None:
    def broken() -> None:
        raise RuntimeError("secret internals at /srv/briefbot/x.py line 12")

    client.app.add_api_route("/boom", broken)  # type: ignore[attr-defined]
    response = client.get("/boom")

    assert response.status_code == 500
    assert error_of(response)["code"] == "internal_error"
    assert "secret" not in response.text and "Traceback" not in response.text


def test_search_returns_ranked_chunks(client: TestClient) -> None:
    response = client.post("/v1/search", json={"query": "Zhenhai Motors countervailing duty", "top_k": 3})

    hits = response.json()
    assert response.status_code == 200 and [h["rank"] for h in hits] == [1, 2, 3]
    assert hits[0]["source"] == "Brussels Policy Dispatch"
    assert set(hits[0]) == {"rank", "doc_id", "title", "source", "published", "url", "chunk_index",
                            "text", "score"}


# -- auth ----------------------------------------------------------------------------------


def test_without_configured_keys_v1_needs_no_header(client: TestClient) -> None:
    assert client.get("/v1/models").status_code == 200


def test_configured_keys_reject_missing_and_wrong_keys_with_the_same_401(make_client: MakeClient) -> None:
    client = make_client(BRIEFBOT_API_KEYS="first-key-123, second-key-456")

    missing = client.get("/v1/models")
    wrong = client.get("/v1/models", headers={"Authorization": "Bearer second-key-45"})
    not_bearer = client.get("/v1/models", headers={"Authorization": "Basic second-key-456"})

    assert missing.status_code == wrong.status_code == not_bearer.status_code == 401
    assert missing.json() == wrong.json() == not_bearer.json() == {
        "error": {"code": "unauthorized", "message": UNAUTHORIZED}
    }
    assert missing.headers["www-authenticate"] == "Bearer"


def test_any_configured_key_is_accepted(make_client: MakeClient) -> None:
    client = make_client(BRIEFBOT_API_KEYS="first-key-123,second-key-456")

    for key in ("first-key-123", "second-key-456"):
        assert client.get("/v1/models", headers={"Authorization": f"Bearer {key}"}).status_code == 200


def test_health_readiness_and_metrics_stay_open_with_keys(make_client: MakeClient) -> None:
    client = make_client(BRIEFBOT_API_KEYS="first-key-123")

    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/metrics").status_code == 200


# -- documents -----------------------------------------------------------------------------


def test_unknown_document_is_404_for_show_and_delete(client: TestClient) -> None:
    assert error_of(client.get("/v1/documents/0123456789abcdef"))["code"] == "not_found"
    assert client.delete("/v1/documents/0123456789abcdef").status_code == 404


def test_listing_shows_every_sample_document(client: TestClient) -> None:
    docs = client.get("/v1/documents").json()

    assert len(docs) == 8
    assert {"doc_id", "title", "source", "published", "url", "chunks"} <= set(docs[0])


def test_upload_over_the_size_limit_is_413_and_ingests_nothing(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client = make_client(data_dir=tmp_path / "data", BRIEFBOT_MAX_DOCUMENT_MB=0.05)  # ~52 KB
    big = b"Tariff news line.\n" * 20_000  # 360 KB

    response = client.post("/v1/documents", files={"file": ("big.txt", big, "text/plain")})

    assert response.status_code == 413
    assert "BRIEFBOT_MAX_DOCUMENT_MB" in error_of(response)["message"]
    assert client.get("/v1/documents").json() == []


def test_chunked_upload_without_length_is_cut_off_at_the_limit(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client = make_client(data_dir=tmp_path / "data", BRIEFBOT_MAX_DOCUMENT_MB=0.05)
    body, content_type = multipart("big.txt", b"Tariff news line.\n" * 20_000)

    def chunks() -> Iterator[bytes]:  # a generator body is sent chunked, with no Content-Length
        for start in range(0, len(body), 16_384):
            yield body[start : start + 16_384]

    response = client.post("/v1/documents", content=chunks(), headers={"content-type": content_type})

    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"


def test_unsupported_upload_type_is_415(client: TestClient) -> None:
    upload = {"file": ("setup.exe", b"MZ\x90\x00", "application/octet-stream")}
    response = client.post("/v1/documents", files=upload)

    assert response.status_code == 415
    assert ".exe" in error_of(response)["message"]


def test_unsupported_body_type_is_415(client: TestClient) -> None:
    response = client.post("/v1/documents", content=b"hello", headers={"content-type": "text/plain"})

    assert response.status_code == 415


def test_inline_text_is_ingested_and_answers_cite_it(make_client: MakeClient, tmp_path: Path) -> None:
    client = make_client(data_dir=tmp_path / "data")
    added = client.post("/v1/documents", json={
        "title": "Quellport ferry levy doubles", "source": "Test Wire", "published": "2026-11-02",
        "text": "The Quellport harbour board doubled the ferry levy to 14 crowns per passenger on Monday.",
    })

    assert added.status_code == 200, added.text
    summary = added.json()
    assert (summary["added"], summary["failed"]) == (1, [])
    doc_id = summary["doc_ids"][0]
    shown = client.get(f"/v1/documents/{doc_id}").json()
    assert shown["source"] == "Test Wire" and shown["published"] == "2026-11-02"
    assert "14 crowns" in shown["text"]
    answer = client.post("/v1/ask", json={"question": "What is the Quellport ferry levy?"}).json()
    assert [c["doc_id"] for c in answer["citations"]] == [doc_id]


def test_reposting_text_with_the_same_title_updates_the_document(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client = make_client(data_dir=tmp_path / "data")
    first = {"title": "Levy note", "text": "The levy is 14 crowns."}
    doc_id = client.post("/v1/documents", json=first).json()["doc_ids"][0]

    again = client.post("/v1/documents", json=first).json()
    changed = client.post("/v1/documents", json={**first, "text": "The levy is 15 crowns."}).json()

    assert (again["unchanged"], changed["updated"]) == (1, 1)
    assert changed["doc_ids"] == [doc_id]
    assert len(client.get("/v1/documents").json()) == 1


def test_json_document_needs_a_url_or_text_and_title(client: TestClient) -> None:
    response = client.post("/v1/documents", json={"title": "no text"})

    assert response.status_code == 422


def test_url_is_fetched_and_ingested(
    make_client: MakeClient, tmp_path: Path, page_server: PageServer
) -> None:
    client = make_client(data_dir=tmp_path / "data")
    url = page_server.add("/levy.html", (
        "<html><head><title>Port levy rises</title></head><body><article><h1>Port levy rises</h1>"
        "<p>The Quellport harbour board raised the cargo levy to 9 crowns per tonne.</p>"
        "</article></body></html>"
    ))

    response = client.post("/v1/documents", json={"url": url})

    assert response.status_code == 200, response.text
    doc_id = response.json()["doc_ids"][0]
    assert client.get(f"/v1/documents/{doc_id}").json()["url"] == url


def test_a_url_that_cannot_be_fetched_is_422_with_the_reason(
    make_client: MakeClient, tmp_path: Path, page_server: PageServer
) -> None:
    client = make_client(data_dir=tmp_path / "data")

    response = client.post("/v1/documents", json={"url": page_server.url("/missing.html")})

    assert response.status_code == 422
    assert error_of(response)["code"] == "ingest_failed" and "404" in error_of(response)["message"]


# -- sessions and feedback -----------------------------------------------------------------


def test_follow_up_in_a_session_is_rewritten_and_the_session_lists_both_turns(client: TestClient) -> None:
    first = client.post("/v1/ask", json={"question": CANAL_QUESTION}).json()
    session_id = first["session_id"]

    follow_up = {"question": "and when does it start?", "session_id": session_id}
    follow = client.post("/v1/ask", json=follow_up).json()
    session = client.get(f"/v1/sessions/{session_id}").json()

    assert "Panama Canal" in follow["standalone_question"]
    assert [t["turn"] for t in session["turns"]] == [1, 2]
    assert session["turns"][0]["answer"]["answer"] == first["answer"]


def test_unknown_session_is_404(client: TestClient) -> None:
    assert error_of(client.get("/v1/sessions/no-such-session"))["code"] == "not_found"


def test_feedback_is_stored_for_an_existing_turn(make_client: MakeClient, tmp_path: Path) -> None:
    client = make_client()
    session_id = client.post("/v1/ask", json={"question": CANAL_QUESTION}).json()["session_id"]

    response = client.post("/v1/feedback", json={
        "session_id": session_id, "turn": 1, "rating": "down", "comment": "too short",
    })

    assert response.status_code == 201
    sessions = client.app.state.api.services.sessions  # type: ignore[attr-defined]
    stored = sessions.feedback(session_id)
    assert [(f.turn, f.rating, f.comment, f.channel) for f in stored] == [(1, "down", "too short", "api")]


@pytest.mark.parametrize(("turn", "rating", "status"), [(2, "up", 404), (1, "meh", 422), (0, "up", 422)])
def test_feedback_on_a_missing_turn_or_with_a_bad_rating_is_refused(
    client: TestClient, turn: int, rating: str, status: int
) -> None:
    session_id = client.post("/v1/ask", json={"question": CANAL_QUESTION}).json()["session_id"]

    response = client.post("/v1/feedback", json={"session_id": session_id, "turn": turn, "rating": rating})

    assert response.status_code == status


# -- OpenAI compatibility ------------------------------------------------------------------


def test_chat_uses_earlier_user_messages_as_history(client: TestClient) -> None:
    response = client.post("/v1/chat/completions", json={"model": "briefbot", "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": CANAL_QUESTION},
        {"role": "assistant", "content": "36 slots [1]"},
        {"role": "user", "content": [{"type": "text", "text": "and what lifted the water levels?"}]},
    ]})

    body = response.json()
    turns = client.get(f"/v1/sessions/{body['session_id']}").json()["turns"]
    assert "Panama Canal" in turns[0]["standalone_question"]
    assert "Gatun" in body["choices"][0]["message"]["content"]


def test_chat_with_an_unknown_model_is_404(client: TestClient) -> None:
    response = client.post("/v1/chat/completions", json={
        "model": "gpt-4o", "messages": [{"role": "user", "content": CANAL_QUESTION}],
    })

    assert response.status_code == 404 and error_of(response)["code"] == "model_not_found"


def test_chat_without_a_user_message_is_422(client: TestClient) -> None:
    response = client.post("/v1/chat/completions", json={
        "model": "briefbot", "messages": [{"role": "system", "content": "hi"}],
    })

    assert response.status_code == 422


# -- an unreachable store ------------------------------------------------------------------


def test_unreachable_store_is_503_for_answers_streams_and_readiness(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client = make_client(data_dir=tmp_path / "data", BRIEFBOT_CHROMA_URL=f"http://127.0.0.1:{free_port()}")

    for response in (
        client.post("/v1/ask", json={"question": CANAL_QUESTION}),
        client.post("/v1/ask", json={"question": CANAL_QUESTION, "stream": True}),
        client.get("/readyz"),
    ):
        assert response.status_code == 503
        assert error_of(response)["code"] == "store_unavailable"
    assert client.get("/healthz").status_code == 200


# -- documentation -------------------------------------------------------------------------


def test_openapi_documents_every_route_with_a_description_and_response_model(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()

    operations = [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()]
    assert {p for p, _, _ in operations} >= {
        "/v1/ask", "/v1/search", "/v1/chat/completions", "/v1/models", "/v1/documents",
        "/v1/documents/{doc_id}", "/v1/sessions/{session_id}", "/v1/feedback",
        "/healthz", "/readyz", "/metrics",
    }
    for path, method, op in operations:
        assert op.get("description"), (method, path)
        ok = op["responses"].get("200") or op["responses"].get("201")
        assert ok and ok.get("content"), (method, path)
    upload = spec["paths"]["/v1/documents"]["post"]["requestBody"]["content"]
    assert {"multipart/form-data", "application/json"} <= set(upload)
    assert json.dumps(spec)  # serialisable


# -- Slack over HTTP -----------------------------------------------------------------------


def test_slack_events_are_mounted_only_when_slack_is_configured(make_client: MakeClient) -> None:
    plain = make_client()
    with_slack = make_client(SLACK_BOT_TOKEN="xoxb-test-1234", SLACK_SIGNING_SECRET="test-signing-5678")

    def paths(client: TestClient) -> set[str]:
        return {getattr(route, "path", "") for route in client.app.routes}  # type: ignore[attr-defined]

    assert "/slack/events" not in paths(plain)
    assert "/slack/events" in paths(with_slack)
