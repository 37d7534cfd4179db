"""Server mode (`chroma run`, BRIEFBOT_CHROMA_URL) gives the same results as embedded Chroma."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support.chroma_server import ChromaServer
from support.corpus import write_article
from support.store_checks import chunks_by_doc, store_problems

from bot.services import Services
from vectorstore.errors import ModelMismatchError, StoreUnavailableError
from vectorstore.store import StoreLocation, open_store

pytestmark = pytest.mark.server
MakeServices = Callable[..., Services]
QUESTIONS = ["How many transit slots did the canal add?", "What is the new tariff on hot-rolled coil?",
             "Which tools do export controls cover?"]


@pytest.fixture
def both(make_services: MakeServices, chroma_server: str, collection_name: str,
         tmp_path: Path) -> tuple[Services, Services]:
    """An embedded store and a server store, each with the same three articles ingested."""
    embedded = make_services(tmp_path / "embedded")
    server = make_services(tmp_path / "server", BRIEFBOT_CHROMA_URL=chroma_server,
                           BRIEFBOT_COLLECTION=collection_name)
    return embedded, server


def _corpus(tmp_path: Path) -> Path:
    for name, topic in (("canal.md", "canal"), ("steel.md", "steel"), ("chips.md", "chips")):
        write_article(tmp_path / "docs", name, topic)
    return tmp_path / "docs"


def _snapshot(services: Services) -> dict[str, list[tuple[str, str]]]:
    grouped = chunks_by_doc(services.store)
    return {doc: [(c.chunk_id, c.text) for c in chunks] for doc, chunks in grouped.items()}


def test_server_mode_ingests_the_same_documents_and_chunks(
    both: tuple[Services, Services], tmp_path: Path
) -> None:
    embedded, server = both
    docs = _corpus(tmp_path)

    reports = [s.ingestor.run([str(docs)]).to_json() for s in both]

    assert [{k: v for k, v in r.items() if k != "seconds"} for r in reports] == [
        {"added": 3, "updated": 0, "unchanged": 0, "duplicates": 0, "pruned": 0, "failed": [],
         "chunks": reports[0]["chunks"]}] * 2
    assert _snapshot(server) == _snapshot(embedded)
    assert [(r.doc_id, r.content_hash) for r in server.store.list_documents()] == [
        (r.doc_id, r.content_hash) for r in embedded.store.list_documents()]
    assert store_problems(server.store) == []


def test_server_mode_reingest_embeds_nothing(both: tuple[Services, Services], tmp_path: Path) -> None:
    _, server = both
    docs = _corpus(tmp_path)
    server.ingestor.run([str(docs)])
    embedded_before = server.embedder.embedded_count

    report = server.ingestor.run([str(docs)])

    assert (report.added, report.updated, report.unchanged) == (0, 0, 3)
    assert server.embedder.embedded_count == embedded_before


def test_server_mode_update_and_prune_leave_a_consistent_store(
    both: tuple[Services, Services], tmp_path: Path
) -> None:
    _, server = both
    docs = _corpus(tmp_path)
    server.ingestor.run([str(docs)])
    write_article(docs, "canal.md", "freight")
    (docs / "chips.md").unlink()

    report = server.ingestor.run([str(docs)], prune=True)

    assert (report.updated, report.pruned) == (1, 1)
    assert sorted(r.locator for r in server.store.list_documents()) == ["docs/canal.md", "docs/steel.md"]
    assert store_problems(server.store) == []


def test_server_mode_dense_queries_rank_like_embedded(
    both: tuple[Services, Services], tmp_path: Path
) -> None:
    docs = _corpus(tmp_path)
    for services in both:
        services.ingestor.run([str(docs)])
    vectors = both[0].embedder.embed(QUESTIONS)

    rankings = [
        [[c.chunk_id for c in s.store.dense_query(v, k=3)] for v in vectors] for s in both
    ]
    distances = [
        [round(c.distance, 4) for v in vectors for c in s.store.dense_query(v, k=3)] for s in both
    ]

    assert rankings[0] == rankings[1]
    assert distances[0] == pytest.approx(distances[1], abs=1e-3)


def test_server_mode_refuses_another_model(
    make_services: MakeServices, chroma_server: str, collection_name: str, tmp_path: Path
) -> None:
    server = make_services(BRIEFBOT_CHROMA_URL=chroma_server, BRIEFBOT_COLLECTION=collection_name)
    server.ingestor.run([str(write_article(tmp_path / "docs", "canal.md", "canal"))])
    location = StoreLocation(tmp_path, chroma_server, collection_name)

    with pytest.raises(ModelMismatchError, match="BRIEFBOT_COLLECTION"):
        open_store(location, model_id="sentence-transformers/all-mpnet-base-v2", dimension=768)


def test_server_outage_is_reported_and_the_store_recovers_after_restart(
    make_services: MakeServices, chroma_server: str, chroma_server_process: ChromaServer,
    collection_name: str, tmp_path: Path,
) -> None:
    server = make_services(BRIEFBOT_CHROMA_URL=chroma_server, BRIEFBOT_COLLECTION=collection_name)
    server.ingestor.run([str(write_article(tmp_path / "docs", "canal.md", "canal"))])
    chunks = server.store.count_chunks()

    chroma_server_process.stop()
    with pytest.raises(StoreUnavailableError):
        server.store.heartbeat()
    chroma_server_process.start()

    server.store.heartbeat()
    assert server.store.count_chunks() == chunks
