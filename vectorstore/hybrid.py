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

from vectorstore.embedder import Embedder, Vectors
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


@dataclass
class Candidates:
    """What both arms found for one query: BM25 scores and cosine similarities by chunk id."""

    vector: Vectors | None
    chunks: dict[str, StoredChunk] = field(default_factory=dict)
    keyword: dict[str, float] = field(default_factory=dict)
    dense: dict[str, float] = field(default_factory=dict)

    def ranked(self, arm: Literal["dense", "keyword"]) -> list[StoredChunk]:
        scores = self.dense if arm == "dense" else self.keyword
        return [self.chunks[cid] for cid in sorted(scores, key=lambda c: -scores[c])]


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
        found = self.candidates_for(query, index=index, filters=filters, mode=mode)
        if mode != "hybrid":
            scores = found.dense if mode == "dense" else found.keyword
            return [to_hit(c, scores[c.chunk_id]) for c in found.ranked(mode)[:top_k]]
        return self.fuse(query, found, index=index, top_k=top_k)

    def candidates_for(
        self,
        query: str,
        *,
        index: KeywordIndex,
        filters: SearchFilters | None = None,
        mode: SearchMode = "hybrid",
    ) -> Candidates:
        """Both arms' candidates; in hybrid mode every candidate gets a cosine similarity."""
        vector = self.embedder.embed([query])[0] if mode != "keyword" else None
        found = Candidates(vector)
        if vector is not None:
            for chunk in self.store.dense_query(vector, k=self.candidates, filters=filters):
                found.chunks[chunk.chunk_id] = chunk
                found.dense[chunk.chunk_id] = 1.0 - chunk.distance
        if mode != "dense":
            for chunk, score in index.search(query, k=self.candidates, filters=filters):
                found.chunks.setdefault(chunk.chunk_id, chunk)
                found.keyword[chunk.chunk_id] = score
        if vector is not None and mode == "hybrid":
            missing = [cid for cid in found.keyword if cid not in found.dense]
            for cid, row in zip(missing, self.store.get_vectors(missing), strict=True):
                found.dense[cid] = float(row @ vector)
        return found

    def _rank_fused(self, found: Candidates) -> dict[str, float]:
        """Reciprocal rank fusion, scaled so a chunk ranked first by both arms scores 1."""
        w = self.weights
        arms = {arm: [c.chunk_id for c in found.ranked(arm)] for arm in ("dense", "keyword")}
        scores = rrf(arms, {"dense": w.dense, "keyword": w.keyword})
        scale = (RRF_K + 1) / (w.dense + w.keyword)
        return {cid: value * scale for cid, value in scores.items()}

    def fuse(self, query: str, found: Candidates, *, index: KeywordIndex, top_k: int) -> list[SearchHit]:
        """Score fusion: normalised BM25 plus cosine above the best, then metadata boosts.

        BM25 is scaled by the query's best BM25 score and cosine is taken relative to the best
        cosine, so both are comparable across queries; the weights were tuned on the
        MultiHop-RAG dev questions (docs/benchmarks.md). Rank fusion (RRF) was measured too and
        averaged the arms instead of beating the better one.
        """
        w = self.weights
        ids = list(found.chunks)
        top_keyword = max(found.keyword.values(), default=0.0) or 1.0
        top_dense = max(found.dense.values(), default=0.0)
        named = mentioned_sources(query, index.source_names)
        dates = mentioned_dates(query)
        fused = self._rank_fused(found) if w.method == "rrf" else {}
        scores: dict[str, float] = {}
        for cid in ids:
            meta = found.chunks[cid].metadata
            if w.method == "rrf":
                score = fused.get(cid, 0.0)
            else:
                score = w.keyword * found.keyword.get(cid, 0.0) / top_keyword
                score += w.dense * (found.dense.get(cid, top_dense) - top_dense)
            if named and meta.get("source_key") in named:
                score += w.source_boost
            if dates and matches_date(meta.get("published"), dates):
                score += w.date_boost
            scores[cid] = score
        if wants_recent(query):
            stamps = [found.chunks[cid].metadata.get("published_ts") for cid in ids]
            for cid, fresh in zip(ids, recency_rank(stamps), strict=True):
                scores[cid] += w.recency_boost * fresh
        ranked = sorted(ids, key=lambda cid: scores[cid], reverse=True)
        hits: list[SearchHit] = []
        for cid in ranked:
            if any(near_duplicate(found.chunks[cid].text, h.text) for h in hits):
                continue
            hits.append(to_hit(found.chunks[cid], scores[cid]))
            if len(hits) == top_k:
                break
        return hits
