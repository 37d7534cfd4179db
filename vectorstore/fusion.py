"""Pure ranking functions: reciprocal rank fusion, metadata boosts, recency and de-duplication."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from vectorstore.text import words

RRF_K = 60

_RECENCY = re.compile(
    r"\b(latest|newest|most recent|recent(ly)?|current(ly)?|now|today|as of|so far|still|"
    r"up[- ]to[- ]date|this (week|month|year))\b",
    re.IGNORECASE,
)


def wants_recent(question: str) -> bool:
    """Whether a question asks about the latest or current state of something."""
    return bool(_RECENCY.search(question))


@dataclass(frozen=True)
class FusionWeights:
    """Tunable weights; defaults were tuned on the MultiHop-RAG dev questions (docs/benchmarks.md)."""

    dense: float = 1.0
    keyword: float = 1.0
    source_boost: float = 0.5
    recency_boost: float = 0.5


def rrf(rankings: Mapping[str, Sequence[str]], weights: Mapping[str, float]) -> dict[str, float]:
    """Weighted reciprocal rank fusion of several ranked id lists."""
    scores: dict[str, float] = {}
    for arm, ids in rankings.items():
        weight = weights.get(arm, 1.0)
        for rank, item in enumerate(ids, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (RRF_K + rank)
    return scores


def mentioned_sources(question: str, sources: Iterable[str]) -> set[str]:
    """Outlets whose full name appears in the question (case-insensitive, word-bounded)."""
    text = " " + " ".join(words(question)) + " "
    found = set()
    for source in sources:
        name = " ".join(words(source))
        if len(name) >= 3 and f" {name} " in text:
            found.add(source.casefold())
    return found


def recency_rank(published_ts: Sequence[float | None]) -> list[float]:
    """0..1 per item, 1 for the newest date among the candidates, 0 for the oldest or unknown."""
    known = sorted({t for t in published_ts if t is not None})
    if len(known) < 2:
        return [1.0 if t is not None else 0.0 for t in published_ts]
    position = {t: i / (len(known) - 1) for i, t in enumerate(known)}
    return [position[t] if t is not None else 0.0 for t in published_ts]


def near_duplicate(a: str, b: str, *, threshold: float = 0.9) -> bool:
    """Jaccard similarity of word sets: syndicated copies and boilerplate repeats collapse."""
    wa, wb = set(words(a)), set(words(b))
    if not wa or not wb:
        return a.strip() == b.strip()
    return len(wa & wb) / len(wa | wb) >= threshold
