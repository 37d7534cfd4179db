"""Pure ranking functions: reciprocal rank fusion, metadata boosts, recency and de-duplication."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Literal

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
    """Score-fusion weights, tuned on the MultiHop-RAG dev questions (docs/benchmarks.md).

    ``keyword`` scales BM25 normalised to the query's best score (0..1); ``dense`` scales the
    cosine distance to the best candidate; boosts are added in the same 0..1 units.
    """

    method: Literal["score", "rrf"] = "score"
    keyword: float = 1.0
    dense: float = 0.25
    source_boost: float = 0.3
    date_boost: float = 0.1
    recency_boost: float = 0.15


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


@lru_cache(maxsize=4096)
def _word_set(text: str) -> frozenset[str]:
    """Each kept hit is compared with every later candidate: tokenise each text once."""
    return frozenset(words(text))


def near_duplicate(a: str, b: str, *, threshold: float = 0.9) -> bool:
    """Jaccard similarity of word sets: syndicated copies and boilerplate repeats collapse."""
    wa, wb = _word_set(a), _word_set(b)
    if not wa or not wb:
        return a.strip() == b.strip()
    return len(wa & wb) / len(wa | wb) >= threshold


_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_WRITTEN_DATE = re.compile(r"\b(" + "|".join(_MONTHS) + r")\s+(\d{1,2}),?\s+(\d{4})\b", re.IGNORECASE)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def mentioned_dates(question: str) -> set[date]:
    """Calendar dates written in a question ("published on October 13, 2023", "2026-03-12")."""
    found: set[date] = set()
    for month, day, year in _WRITTEN_DATE.findall(question):
        with contextlib.suppress(ValueError):
            found.add(date(int(year), _MONTHS.index(month.lower()) + 1, int(day)))
    for year, month, day in _ISO_DATE.findall(question):
        with contextlib.suppress(ValueError):
            found.add(date(int(year), int(month), int(day)))
    return found


def matches_date(published: str | None, dates: set[date], *, slack_days: int = 1) -> bool:
    """Whether a document's date is within a day of a date the question names (time zones)."""
    if not published or not dates:
        return False
    try:
        day = date.fromisoformat(published[:10])
    except ValueError:
        return False
    return any(abs((day - wanted).days) <= slack_days for wanted in dates)
