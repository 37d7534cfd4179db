"""BM25 keyword search over the same chunks as the dense index.

The index is rebuilt from the store, never updated in place, so it cannot drift from what
Chroma holds: `HybridSearcher` rebuilds it whenever the store's revision stamp changes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import bm25s
import numpy as np
from numpy.typing import NDArray

from vectorstore.records import SearchFilters, date_to_ts
from vectorstore.store import StoredChunk
from vectorstore.text import terms

logger = logging.getLogger(__name__)
logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets DEBUG on itself at import


def index_text(chunk: StoredChunk) -> str:
    """What BM25 sees: the chunk with its title and outlet, since questions name both."""
    meta = chunk.metadata
    return f"{meta.get('title', '')}\n{meta.get('source', '')}\n{chunk.text}"


@dataclass
class KeywordIndex:
    """An immutable BM25 index plus arrays for filtering by outlet and date."""

    chunks: list[StoredChunk]
    revision: str
    _bm25: bm25s.BM25 | None
    _source_keys: NDArray[np.object_]
    _published_ts: NDArray[np.float64]
    source_names: frozenset[str]

    @classmethod
    def build(cls, chunks: Sequence[StoredChunk], revision: str) -> KeywordIndex:
        chunks = list(chunks)
        corpus = [terms(index_text(c)) or ["\u2400"] for c in chunks]
        bm25: bm25s.BM25 | None = None
        if corpus:
            bm25 = bm25s.BM25()
            bm25.index(corpus, show_progress=False)
        sources = np.array([c.metadata.get("source_key", "") for c in chunks], dtype=object)
        published = np.array(
            [float(c.metadata.get("published_ts", np.nan)) for c in chunks], dtype=np.float64
        )
        names = frozenset(str(c.metadata["source"]) for c in chunks if c.metadata.get("source"))
        return cls(chunks, revision, bm25, sources, published, names)

    def _mask(self, filters: SearchFilters | None) -> NDArray[np.float32] | None:
        if filters is None or filters.empty:
            return None
        keep = np.ones(len(self.chunks), dtype=bool)
        if filters.sources:
            wanted = {s.casefold() for s in filters.sources}
            keep &= np.array([s in wanted for s in self._source_keys], dtype=bool)
        with np.errstate(invalid="ignore"):
            if filters.published_after:
                keep &= self._published_ts >= float(date_to_ts(filters.published_after) or 0)
            if filters.published_before:
                end = float(date_to_ts(filters.published_before) or 0) + 86400
                keep &= self._published_ts < end
        return keep.astype(np.float32)

    def search(
        self, query: str, *, k: int, filters: SearchFilters | None = None
    ) -> list[tuple[StoredChunk, float]]:
        """Top chunks by BM25 score (only positive scores), filters applied before ranking."""
        if self._bm25 is None:
            return []
        vocab = self._bm25.vocab_dict
        tokens = [t for t in terms(query) if t in vocab]
        if not tokens:
            return []
        mask = self._mask(filters)
        if mask is not None and not mask.any():
            return []
        n = min(k, len(self.chunks))
        ids, scores = self._bm25.retrieve(
            [tokens], k=n, show_progress=False, weight_mask=mask, n_threads=0
        )
        return [
            (self.chunks[int(i)], float(s))
            for i, s in zip(ids[0], scores[0], strict=True)
            if s > 0
        ]
