"""The composition root: builds the embedder, store, searcher and ingestor from settings.

Entry points (CLI, `serve`, `slack`) and test fixtures call `build_services`; nothing else
reads settings or opens clients, so every component can be built with test doubles instead.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from functools import cached_property

from bot.answers.chain import AnswerChain
from bot.answers.factory import build_chain
from bot.sessions import SessionStore
from bot.settings import Settings
from ingest.chunk import ChunkPlan
from ingest.fetch import Fetcher
from ingest.pipeline import Ingestor
from ingest.sources import SourceLoader
from vectorstore.embedder import CachedEmbedder, Embedder, make_embedder, resolve_model
from vectorstore.hybrid import HybridSearcher
from vectorstore.store import ChromaStore, StoreLocation, open_store

logger = logging.getLogger(__name__)


def store_location(settings: Settings) -> StoreLocation:
    return StoreLocation(settings.data_dir, settings.chroma_url, settings.collection)


def build_embedder(settings: Settings) -> Embedder:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return make_embedder(
        settings.embedding_model,
        backend=settings.embedding_backend,
        cache_dir=None,  # the per-user cache: one ONNX export serves every data directory
        lazy=True,
    )


@dataclass
class Services:
    """Long-lived components, each built on first use and then shared."""

    settings: Settings
    _embedder: Embedder | None = None
    _store: ChromaStore | None = field(default=None, repr=False)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = build_embedder(self.settings)
        return self._embedder

    @property
    def store(self) -> ChromaStore:
        if self._store is None:
            self._store = open_store(
                store_location(self.settings),
                model_id=self.embedder.model_id,
                dimension=self.embedder.dimension,
            )
        return self._store

    def read_only_store(self) -> ChromaStore:
        """The store without loading the model (listing and deleting need no embeddings)."""
        if self._store is not None:
            return self._store
        model_id, _ = resolve_model(self.settings.embedding_model)
        return open_store(store_location(self.settings), model_id=model_id, dimension=None)

    @cached_property
    def query_embedder(self) -> Embedder:
        """The embedder behind an LRU cache, for questions and answer sentences (not ingest)."""
        return CachedEmbedder(self.embedder)

    @cached_property
    def searcher(self) -> HybridSearcher:
        return HybridSearcher(self.store, self.query_embedder)

    @cached_property
    def sessions(self) -> SessionStore:
        return SessionStore(self.settings.data_dir / "sessions.sqlite3")

    @cached_property
    def chain(self) -> AnswerChain:
        return build_chain(
            self.settings,
            searcher=self.searcher,
            store=self.store,
            embedder=self.query_embedder,
            sessions=self.sessions,
        )

    @cached_property
    def ingestor(self) -> Ingestor:
        fetcher = Fetcher(
            allow_private=self.settings.allow_private_urls,
            max_bytes=self.settings.max_document_bytes,
        )
        plan = ChunkPlan(max_tokens=self.embedder.max_tokens, target_tokens=self.settings.chunk_tokens)
        loader = SourceLoader(fetcher, self.settings.max_document_bytes)
        return Ingestor(self.store, self.embedder, loader, plan)


def build_services(settings: Settings, *, embedder: Embedder | None = None) -> Services:
    """Wire everything for one process; pass ``embedder`` to share a loaded model (tests)."""
    return Services(settings, _embedder=embedder)
