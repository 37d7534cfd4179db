"""Hybrid retrieval: dense (Chroma) and BM25 arms, fused, boosted by metadata, de-duplicated.

Questions often name outlets and dates ("the TechCrunch report published on October 13"), so
after reciprocal rank fusion, chunks from a named outlet and from a named date get a boost, and
questions about the latest state favour the newest documents. Weights: docs/benchmarks.md.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Literal

from vectorstore.embedder import Embedder
from vectorstore.fusion import (
    RRF_K,
    FusionWeights,
    matches_date,
    mentioned_dates,
    mentioned_sources,
    near_duplicate,
    recency_rank,
    rrf,
    wants_recent,
)
from vectorstore.keyword import KeywordIndex
from vectorstore.records import SearchFilters, SearchHit
from vectorstore.store import ChromaStore, StoredChunk

logger = logging.getLogger(__name__)
SearchMode = Literal["hybrid", "dense", "keyword"]


def to_hit(chunk: StoredChunk, score: float) -> SearchHit:
    meta = chunk.metadata
    return SearchHit(
        chunk_id=chunk.chunk_id,
        doc_id=str(meta.get("doc_id", "")),
        chunk_index=int(meta.get("chunk_index", 0)),
        text=chunk.text,
        title=str(meta.get("title", "")),
        source=meta.get("source"),
        published=meta.get("published"),
        url=meta.get("url"),
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", 0)),
        score=score,
    )


@dataclass(frozen=True)
class RankedList:
    """One arm's ranked candidates."""

    arm: Literal["dense", "keyword"]
    chunks: list[StoredChunk]


@dataclass
class HybridSearcher:
    """Searches one store; safe to share between threads (the keyword index swaps atomically)."""

    store: ChromaStore
    embedder: Embedder
    weights: FusionWeights = field(default_factory=FusionWeights)
    candidates: int = 50
    _index: KeywordIndex | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def keyword_index(self) -> KeywordIndex:
        """The BM25 index, rebuilt if any process has written to the store since it was built."""
        revision = self.store.revision()
        index = self._index
        if index is not None and index.revision == revision:
            return index
        with self._lock:
            if self._index is None or self._index.revision != revision:
                chunks = list(self.store.iter_chunks())
                self._index = KeywordIndex.build(chunks, revision)
                logger.info("keyword index rebuilt: %d chunks", len(chunks))
            return self._index

    def search(
        self,
        query: str,
        *,
        top_k: int = 10,
        filters: SearchFilters | None = None,
        mode: SearchMode = "hybrid",
    ) -> list[SearchHit]:
        """The top chunks for a query, best first (``mode`` isolates one arm for evaluation)."""
        index = self.keyword_index()
        lists = self.candidate_lists(query, index=index, filters=filters, mode=mode)
        if mode == "dense":
            return [to_hit(c, 1.0 - c.distance) for c in lists[0].chunks[:top_k]]
        if mode == "keyword":
            return [to_hit(c, 1.0 / (RRF_K + i)) for i, c in enumerate(lists[0].chunks[:top_k], 1)]
        return self.fuse(query, lists, index=index, top_k=top_k)

    def candidate_lists(
        self,
        query: str,
        *,
        index: KeywordIndex,
        filters: SearchFilters | None = None,
        mode: SearchMode = "hybrid",
    ) -> list[RankedList]:
        """Ranked candidates from the dense arm and the keyword arm (either alone by ``mode``)."""
        lists: list[RankedList] = []
        if mode != "keyword":
            vector = self.embedder.embed([query])[0]
            lists.append(
                RankedList("dense", self.store.dense_query(vector, k=self.candidates, filters=filters))
            )
        if mode != "dense":
            found = [c for c, _ in index.search(query, k=self.candidates, filters=filters)]
            lists.append(RankedList("keyword", found))
        return lists

    def fuse(
        self, query: str, lists: list[RankedList], *, index: KeywordIndex, top_k: int
    ) -> list[SearchHit]:
        """Combine the lists and apply outlet, recency and duplicate rules."""
        chunks = {c.chunk_id: c for ranked in lists for c in ranked.chunks}
        w = self.weights
        scores = rrf(
            {r.arm: [c.chunk_id for c in r.chunks] for r in lists},
            {"dense": w.dense, "keyword": w.keyword},
        )
        scale = (w.dense + w.keyword) / (RRF_K + 1)
        named = mentioned_sources(query, index.source_names)
        dates = mentioned_dates(query)
        ids = list(scores)
        for cid in ids:
            meta = chunks[cid].metadata
            if named and meta.get("source_key") in named:
                scores[cid] += w.source_boost * scale
            if dates and matches_date(meta.get("published"), dates):
                scores[cid] += w.date_boost * scale
        if wants_recent(query):
            stamps = [chunks[cid].metadata.get("published_ts") for cid in ids]
            for cid, fresh in zip(ids, recency_rank(stamps), strict=True):
                scores[cid] += w.recency_boost * scale * fresh
        ranked = sorted(ids, key=lambda cid: scores[cid], reverse=True)
        hits: list[SearchHit] = []
        for cid in ranked:
            if any(near_duplicate(chunks[cid].text, h.text) for h in hits):
                continue
            hits.append(to_hit(chunks[cid], scores[cid]))
            if len(hits) == top_k:
                break
        return hits
