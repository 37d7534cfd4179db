"""Question-set evaluation: MultiHop-RAG retrieval metrics and a simple answer-quality format.

MultiHop-RAG (``{"query", "evidence_list", "question_type"}``): a retrieved chunk is relevant
when a gold evidence fact, with every space and newline removed, is a substring of the chunk
text with the same removal; Hits@4, Hits@10 and MRR@10 over the non-null queries.

Simple JSONL (``{"question", "answer_keywords", "sources"}``): answer keyword accuracy (share
of keywords found in the answer), citation hit rate (a cited document matches a listed source
by title, outlet, URL or doc id), and refusal rate on questions listing no sources.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.answers.models import Answer
from vectorstore.records import SearchHit

Search = Callable[[str, int], list[SearchHit]]
Ask = Callable[[str], Answer]
_SPACE_NL = re.compile(r"[ \n]")


def normalise(text: str) -> str:
    """The benchmark's matching rule: drop every space and newline, keep case."""
    return _SPACE_NL.sub("", text)


def first_relevant_rank(chunks: list[str], facts: list[str], *, depth: int = 10) -> int | None:
    """1-based rank of the first chunk that contains a whole gold fact, within ``depth``."""
    gold = [normalise(f) for f in facts]
    for rank, chunk in enumerate(chunks[:depth], start=1):
        text = normalise(chunk)
        if any(g and g in text for g in gold):
            return rank
    return None


def load_questions(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def is_multihop(items: list[dict[str, Any]]) -> bool:
    return bool(items) and "query" in items[0] and "evidence_list" in items[0]


@dataclass
class RetrievalScores:
    queries: int
    hits4: float
    hits10: float
    mrr10: float

    def to_json(self) -> dict[str, Any]:
        return {"queries": self.queries, "hits@4": round(self.hits4, 4),
                "hits@10": round(self.hits10, 4), "mrr@10": round(self.mrr10, 4)}


def score_ranks(ranks: Iterable[int | None]) -> RetrievalScores:
    ranks = list(ranks)
    n = max(len(ranks), 1)
    return RetrievalScores(
        queries=len(ranks),
        hits4=sum(1 for r in ranks if r is not None and r <= 4) / n,
        hits10=sum(1 for r in ranks if r is not None) / n,
        mrr10=sum(1 / r for r in ranks if r is not None) / n,
    )


def evaluate_multihop(items: list[dict[str, Any]], search: Search) -> dict[str, Any]:
    """Retrieval metrics over the non-null queries (null queries have no evidence)."""
    scored = [q for q in items if q.get("evidence_list") and q.get("question_type") != "null_query"]
    ranks = []
    by_type: dict[str, list[int | None]] = {}
    for item in scored:
        chunks = [hit.text for hit in search(item["query"], 10)]
        rank = first_relevant_rank(chunks, [e["fact"] for e in item["evidence_list"]])
        ranks.append(rank)
        by_type.setdefault(item.get("question_type", "unknown"), []).append(rank)
    result = score_ranks(ranks).to_json()
    result["excluded_null"] = len(items) - len(scored)
    result["by_type"] = {t: score_ranks(r).to_json() for t, r in sorted(by_type.items())}
    return result


def _cites(answer: Answer, sources: list[str]) -> bool:
    wanted = {s.casefold() for s in sources}
    return any(
        {str(v).casefold() for v in (c.title, c.source, c.url, c.doc_id) if v} & wanted
        for c in answer.citations
    )


def evaluate_answers(items: list[dict[str, Any]], ask: Ask) -> dict[str, Any]:
    """Keyword accuracy and citation hits on answerable questions; refusals on the rest."""
    keyword_scores, citation_hits, refusals = [], [], []
    for item in items:
        answer = ask(item["question"])
        sources = list(item.get("sources") or [])
        if not sources:
            refusals.append(not answer.grounded)
            continue
        keywords = list(item.get("answer_keywords") or [])
        text = answer.answer.casefold()
        if keywords:
            keyword_scores.append(sum(k.casefold() in text for k in keywords) / len(keywords))
        citation_hits.append(_cites(answer, sources))
    return {
        "questions": len(items),
        "answer_keyword_accuracy": round(statistics.fmean(keyword_scores), 4) if keyword_scores else None,
        "citation_hit_rate": round(statistics.fmean(citation_hits), 4) if citation_hits else None,
        "refusal_rate_unanswerable": round(statistics.fmean(refusals), 4) if refusals else None,
        "unanswerable": len(refusals),
    }
