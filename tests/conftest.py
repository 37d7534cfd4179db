"""Shared fixtures: the real embedding model (loaded once), settings, services, servers.

Everything here is real: embedded Chroma in a temporary folder, a `chroma run` server, the
packaged all-MiniLM-L6-v2 model, and loopback HTTP servers for pages and feeds. Only what a test
cannot reach (the internet) is replaced, by a server that speaks the same protocol on 127.0.0.1.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.chroma_server import ChromaServer
from support.fake_openai import FakeOpenAI
from support.fake_slack import FakeSlack
from support.page_server import PageServer

from bot.services import Services, build_services
from bot.settings import Settings
from vectorstore.embedder import Embedder, make_embedder

REPO_ROOT = Path(__file__).resolve().parents[1]
_OUTSIDE_SETTINGS = ("BRIEFBOT_", "OPENAI_", "SLACK_")

MakeSettings = Callable[..., Settings]
MakeServices = Callable[..., Services]


@pytest.fixture(autouse=True)
def _hermetic_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own BRIEFBOT_*/OPENAI_*/SLACK_* variables must not leak into any test."""
    for name in list(os.environ):
        if name.startswith(_OUTSIDE_SETTINGS):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real packaged all-MiniLM-L6-v2 (torch), loaded once for the whole session.

    It counts what it embeds (``embedder.embedded_count``): compare before and after to prove
    that nothing was re-embedded.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return make_embedder(backend=Settings.model_fields["embedding_backend"].default)


@pytest.fixture
def make_settings() -> MakeSettings:
    """``make_settings(data_dir, **overrides)``: Settings built from alias names, no .env file.

    Defaults: ``BRIEFBOT_DATA_DIR=data_dir`` and ``BRIEFBOT_ALLOW_PRIVATE_URLS=true`` (the
    loopback servers are private addresses). Overrides use the environment names, e.g.
    ``make_settings(tmp_path, BRIEFBOT_MAX_DOCUMENT_MB=0.001, BRIEFBOT_CHROMA_URL=url)``.
    """

    def factory(data_dir: Path, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "BRIEFBOT_DATA_DIR": str(data_dir),
            "BRIEFBOT_ALLOW_PRIVATE_URLS": True,
            **overrides,
        }
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return factory


@pytest.fixture
def make_services(tmp_path: Path, make_settings: MakeSettings, embedder: Embedder) -> MakeServices:
    """``make_services(data_dir=None, **overrides)``: services on the session's loaded model.

    ``data_dir`` defaults to a fresh ``tmp_path / "data"``; pass the same folder twice to get two
    services over one store (e.g. with different settings).
    """

    def factory(data_dir: Path | None = None, **overrides: Any) -> Services:
        settings = make_settings(data_dir or tmp_path / "data", **overrides)
        return build_services(settings, embedder=embedder)

    return factory


@pytest.fixture
def services(make_services: MakeServices) -> Services:
    """``build_services(settings, embedder=<session model>)`` on an empty embedded store."""
    return make_services()


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """``samples/articles``: the eight fictional articles listed in samples/README.md."""
    return REPO_ROOT / "samples" / "articles"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The team's shared folder beside the repository (DESIGN.md, data sets); read only."""
    return REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def chroma_server_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """The session's `chroma run` process: ``.url``, ``.stop()``, ``.start()``, ``.restart()``.

    Outage tests may stop it; the ``chroma_server`` fixture starts it again for the next test.
    """
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server") / "db")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def chroma_server(chroma_server_process: ChromaServer) -> str:
    """URL of a running `chroma run` server (``BRIEFBOT_CHROMA_URL``), shared by the session.

    Tests share the server, so give each its own ``BRIEFBOT_COLLECTION`` (see ``collection_name``).
    """
    chroma_server_process.start()
    return chroma_server_process.url


@pytest.fixture
def collection_name() -> str:
    """A collection name no other test uses (for tests sharing the Chroma server)."""
    return f"t{uuid.uuid4().hex[:20]}"


@pytest.fixture
def page_server() -> Iterator[PageServer]:
    """A loopback HTTP server: ``page_server.add(path, body, status=, content_type=)`` returns a URL.

    ``page_server.pages`` is the dict ``path -> (status, content_type, body[, headers])``;
    ``page_server.url(page_server.slow_path)`` hangs for ``slow_seconds`` (10 s) before answering;
    ``page_server.requests`` records ``(method, path, body)``.
    """
    with PageServer() as server:
        yield server


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[FakeOpenAI]:
    """A loopback OpenAI-compatible server (the only stand-in for a hosted LLM)."""
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A loopback server playing Slack's Web API, recording every call."""
    with FakeSlack() as fake:
        yield fake
