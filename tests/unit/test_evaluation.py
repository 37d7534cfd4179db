"""Evaluation metrics: the MultiHop-RAG matching rule (SCORING.md 1.2–1.4) and the simple answer set."""

from __future__ import annotations

from typing import Any

import pytest

from bot.answers.models import Answer, Citation
from bot.evaluation import (
    evaluate_answers,
    evaluate_multihop,
    first_relevant_rank,
    is_multihop,
    normalise,
    score_ranks,
)
from vectorstore.records import SearchHit

G1 = "The canal handled 9,940 transits in its last fiscal year."
G2 = "Toll revenue reached $3.5 billion, according to the annual report."
G3 = "Auction prices have since come down sharply."
FILLER = "Nothing relevant is said in this chunk."


def ranked(chunks: dict[int, str], depth: int = 10) -> list[str]:
    """Chunks at 1-based ranks; the others hold no fact."""
    return [chunks.get(rank, FILLER) for rank in range(1, depth + 1)]


# -- SCORING.md 1.4 worked examples -------------------------------------------------------------


def test_example_a_first_relevant_chunk_is_at_rank_two() -> None:
    chunks = ranked({2: f"Intro. {G2}", 3: f"{G1} {G2}", 7: G3})
    rank = first_relevant_rank(chunks, [G1, G2, G3])
    assert rank == 2
    scores = score_ranks([rank])
    assert (scores.hits4, scores.hits10, scores.mrr10) == (1.0, 1.0, 0.5)


def test_example_b_facts_only_at_ranks_five_and_eight() -> None:
    rank = first_relevant_rank(ranked({5: G1, 8: G2}), [G1, G2, G3])
    assert rank == 5
    scores = score_ranks([rank])
    assert (scores.hits4, scores.hits10, scores.mrr10) == (0.0, 1.0, 0.2)


def test_example_c_a_fact_split_across_two_chunks_never_matches() -> None:
    half = len(G1) // 2
    chunks = ranked({1: "Opening. " + G1[:half], 2: G1[half:] + " Closing."})
    assert first_relevant_rank(chunks, [G1]) is None


def test_example_d_spaces_and_line_feeds_are_ignored_when_matching() -> None:
    chunk = "It uses automated\ntools such as  Scan Hawk to test security."
    assert first_relevant_rank([chunk], ["uses automated tools such as Scan Hawk"]) == 1


@pytest.mark.parametrize(
    "chunk",
    [
        "it uses automated tools such as scan hawk",  # case differs
        "It uses automated\r\ntools such as Scan Hawk",  # \r is kept
        "It uses automated\u00a0tools such as Scan Hawk",  # non-breaking space is kept
    ],
)
def test_only_ascii_spaces_and_line_feeds_are_normalised(chunk: str) -> None:
    assert first_relevant_rank([chunk], ["It uses automated tools such as Scan Hawk"]) is None


def test_rank_eleven_does_not_count() -> None:
    chunks = [*ranked({}), G1]
    assert first_relevant_rank(chunks, [G1]) is None


def test_an_empty_fact_matches_nothing() -> None:
    assert first_relevant_rank([G1], [""]) is None


def test_normalise_drops_spaces_and_line_feeds_only() -> None:
    assert normalise("a b\nc\td\re") == "abc\td\re"


def test_an_empty_retrieval_scores_zero() -> None:
    scores = score_ranks([None, None])
    assert (scores.hits4, scores.hits10, scores.mrr10) == (0.0, 0.0, 0.0)


def test_scores_are_means_over_the_queries() -> None:
    scores = score_ranks([1, 4, 10, None])
    assert scores.queries == 4
    assert scores.hits4 == pytest.approx(0.5)
    assert scores.hits10 == pytest.approx(0.75)
    assert scores.mrr10 == pytest.approx((1 + 0.25 + 0.1) / 4)


# -- question sets ------------------------------------------------------------------------------


def hit(text: str) -> SearchHit:
    return SearchHit("c", "d", 0, text, "t", None, None, None, 0, len(text))


def multihop_item(query: str, facts: list[str], kind: str = "inference_query") -> dict[str, Any]:
    return {"query": query, "question_type": kind, "evidence_list": [{"fact": f} for f in facts]}


def test_multihop_scoring_excludes_null_queries() -> None:
    items = [
        multihop_item("canal transits", [G1]),
        multihop_item("auctions", [G3], kind="comparison_query"),
        {"query": "unknown", "question_type": "null_query", "evidence_list": []},
    ]
    corpus = {"canal transits": [hit(FILLER), hit(G1)], "auctions": [hit(FILLER)]}
    result = evaluate_multihop(items, lambda query, k: corpus[query][:k])
    assert result["queries"] == 2 and result["excluded_null"] == 1
    assert result["hits@10"] == 0.5 and result["mrr@10"] == 0.25
    assert set(result["by_type"]) == {"inference_query", "comparison_query"}


def test_the_question_format_is_recognised() -> None:
    assert is_multihop([multihop_item("q", [G1])])
    assert not is_multihop([{"question": "q", "answer_keywords": [], "sources": []}])
    assert not is_multihop([])


def answer(text: str, *, sources: tuple[str, ...] = (), grounded: bool = True) -> Answer:
    citations = [
        Citation(n, f"doc-{n}", f"Title {n}", None, source, "2026-03-04", "quote")
        for n, source in enumerate(sources, start=1)
    ]
    return Answer(text, citations, "s", text, grounded, "test")


def test_answer_metrics_count_keywords_citations_and_refusals() -> None:
    replies = {
        "slots?": answer("36 daily slots [1]", sources=("Harbor Ledger",)),
        "rates?": answer("$4,350 [1]", sources=("Harbor Ledger",)),
        "mars?": answer("The documents don't say.", grounded=False),
        "moon?": answer("Made up [1]", sources=("Harbor Ledger",)),
    }
    items = [
        {"question": "slots?", "answer_keywords": ["36", "daily"], "sources": ["harbor ledger"]},
        {"question": "rates?", "answer_keywords": ["4,350", "31%"], "sources": ["Tidewater Freight Journal"]},
        {"question": "mars?", "answer_keywords": [], "sources": []},
        {"question": "moon?", "sources": []},
    ]
    result = evaluate_answers(items, replies.__getitem__)
    assert result == {
        "questions": 4,
        "answer_keyword_accuracy": 0.75,
        "citation_hit_rate": 0.5,
        "refusal_rate_unanswerable": 0.5,
        "unanswerable": 2,
    }
