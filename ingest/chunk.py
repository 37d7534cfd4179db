"""Token-aware chunking on sentence boundaries.

all-MiniLM-L6-v2 reads at most 256 word pieces and silently drops the rest, so a chunk's
budget is counted in the embedder's own word pieces, after the title/outlet prefix that is
embedded with it. Chunks are slices of the cleaned text (``text[start:end]``), never rewritten,
so any sentence inside one can be quoted verbatim.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ingest.sentences import sentence_spans
from vectorstore.records import ChunkRecord

TokenSpans = Callable[[str], list[tuple[int, int]]]
_MAX_PREFIX_TOKENS = 48


@dataclass(frozen=True)
class ChunkPlan:
    """Chunk sizes in word pieces: the target and the hard limit of the model."""

    max_tokens: int = 254
    target_tokens: int = 200
    overlap_sentences: int = 1


class _TokenCounter:
    """Counts word pieces between character offsets, from one tokenisation of the whole text."""

    def __init__(self, spans: Sequence[tuple[int, int]]) -> None:
        self.starts = [s for s, _ in spans]
        self.ends = [e for _, e in spans]

    def between(self, start: int, end: int) -> int:
        return bisect.bisect_left(self.starts, end) - bisect.bisect_left(self.ends, start + 1)

    def cut(self, start: int, end: int, budget: int) -> int:
        """Character offset after the ``budget``-th word piece from ``start`` (at most ``end``)."""
        first = bisect.bisect_left(self.ends, start + 1)
        last = first + budget - 1
        if last >= len(self.ends) or self.ends[last] >= end:
            return end
        return self.ends[last]


def embed_prefix(title: str, source: str | None) -> str:
    """Title and outlet embedded with every chunk, since questions name both."""
    return f"{title} ({source})\n" if source else f"{title}\n"


def _bounded_prefix(title: str, source: str | None, token_spans: TokenSpans) -> str:
    """The prefix, or only the title's first word pieces when it would eat the chunk's budget.

    Cut by word pieces, not characters: 120 characters of digits or symbols can be 120 pieces.
    """
    prefix = embed_prefix(title, source)
    if len(token_spans(prefix)) < _MAX_PREFIX_TOKENS:
        return prefix
    spans = token_spans(title)
    keep = _MAX_PREFIX_TOKENS - 2  # room for the line break and a re-split word at the cut
    return (title[: spans[keep - 1][1]] if len(spans) > keep else title) + "\n"


def _units(text: str, counter: _TokenCounter, budget: int) -> list[tuple[int, int]]:
    """Sentences, with Markdown tables kept whole when they fit and over-long units cut."""
    units: list[tuple[int, int]] = []
    for start, end in sentence_spans(text):
        previous = units[-1] if units else None
        if (
            previous
            and text[start] == "|"
            and text[previous[0]] == "|"
            and counter.between(previous[0], end) <= budget
        ):
            units[-1] = (previous[0], end)
            continue
        while counter.between(start, end) > budget:
            cut = counter.cut(start, end, budget)
            units.append((start, cut))
            start = cut
            while start < end and text[start].isspace():
                start += 1
        if start < end:
            units.append((start, end))
    return units


def split_text(
    text: str,
    *,
    doc_id: str,
    title: str,
    source: str | None,
    token_spans: TokenSpans,
    plan: ChunkPlan,
) -> list[ChunkRecord]:
    """Pack sentences into chunks of at most the budget, each overlapping the last by a sentence."""
    prefix = _bounded_prefix(title, source, token_spans)
    prefix_tokens = len(token_spans(prefix))
    budget = max(16, min(plan.target_tokens, plan.max_tokens - prefix_tokens))
    counter = _TokenCounter(token_spans(text))
    units = _units(text, counter, budget)
    chunks: list[ChunkRecord] = []
    i = 0
    while i < len(units):
        j = i + 1
        while j < len(units) and counter.between(units[i][0], units[j][1]) <= budget:
            j += 1
        start, end = units[i][0], units[j - 1][1]
        chunk_text = text[start:end]
        chunks.append(ChunkRecord(doc_id, len(chunks), start, end, chunk_text, prefix + chunk_text))
        if j >= len(units):
            break
        i = max(i + 1, j - plan.overlap_sentences)
    return chunks
