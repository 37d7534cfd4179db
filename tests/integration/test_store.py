"""The Chroma store on disk: model identity, deletion and the crash-recovery sweep."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support.corpus import write_article
from support.store_checks import store_problems

from bot.services import Services
from vectorstore.embedder import DEFAULT_MODEL_ID
from vectorstore.errors import ModelMismatchError
from vectorstore.records import ChunkRecord, DocumentRecord
from vectorstore.store import StoreLocation, open_store

OTHER_MODEL = "sentence-transformers/all-mpnet-base-v2"


@pytest.fixture
def ingested(services: Services, tmp_path: Path) -> Services:
    services.ingestor.run([str(write_article(tmp_path / "docs", "canal.md", "canal"))])
    return services


def _location(services: Services) -> StoreLocation:
    settings = services.settings
    return StoreLocation(settings.data_dir, settings.chroma_url, settings.collection)


def test_opening_a_collection_built_by_another_model_is_refused(ingested: Services) -> None:
    with pytest.raises(ModelMismatchError) as caught:
        open_store(_location(ingested), model_id=OTHER_MODEL, dimension=768)

    message = str(caught.value)
    assert DEFAULT_MODEL_ID in message and OTHER_MODEL in message
    assert "BRIEFBOT_EMBEDDING_MODEL" in message
    assert "BRIEFBOT_COLLECTION" in message and "briefbot ingest" in message


def test_another_model_with_the_same_dimension_is_refused(ingested: Services) -> None:
    with pytest.raises(ModelMismatchError):
        open_store(_location(ingested), model_id="intfloat/e5-small-v2", dimension=384)


def test_the_same_model_name_with_another_dimension_is_refused(ingested: Services) -> None:
    with pytest.raises(ModelMismatchError):
        open_store(_location(ingested), model_id=DEFAULT_MODEL_ID, dimension=768)


def test_a_refused_open_leaves_the_collection_as_it_was(ingested: Services) -> None:
    chunks = ingested.store.count_chunks()
    with pytest.raises(ModelMismatchError):
        open_store(_location(ingested), model_id=OTHER_MODEL, dimension=768)

    reopened = open_store(_location(ingested), model_id=DEFAULT_MODEL_ID, dimension=384)

    assert reopened.count_chunks() == chunks
    with pytest.raises(ModelMismatchError):  # the recorded model was not overwritten
        open_store(_location(ingested), model_id=OTHER_MODEL, dimension=768)


def test_another_collection_name_can_be_built_with_another_model(ingested: Services) -> None:
    location = StoreLocation(ingested.settings.data_dir, None, "briefbot_mpnet")

    store = open_store(location, model_id=OTHER_MODEL, dimension=768)

    assert store.count_chunks() == 0


def test_the_store_opens_without_the_model_for_listing(ingested: Services) -> None:
    store = open_store(_location(ingested), model_id=DEFAULT_MODEL_ID, dimension=None)

    assert [r.locator for r in store.list_documents()] == ["docs/canal.md"]


def test_deleting_an_unknown_document_reports_false(services: Services) -> None:
    assert services.store.delete_document("0123456789abcdef") is False


def test_sweep_removes_chunks_that_no_record_accounts_for(ingested: Services) -> None:
    store = ingested.store
    kept = store.count_chunks()
    ghost = DocumentRecord("ghostdoc", "Ghost", "f" * 64, "md", "docs/ghost.md", "2026-01-01T00:00:00+00:00")
    chunk = ChunkRecord("ghostdoc", 0, 0, 5, "Ghost", "Ghost\nGhost")
    store.write_chunks(ghost, [chunk], np.ones((1, 384), dtype=np.float32) / np.sqrt(384))

    swept = store.sweep_orphans()

    assert (swept, store.count_chunks()) == (1, kept)
    assert store_problems(store) == []
