"""Pure ranking rules: reciprocal rank fusion, named outlets and dates, recency, near-duplicates."""

from __future__ import annotations

from datetime import date

import pytest

from vectorstore.fusion import (
    RRF_K,
    matches_date,
    mentioned_dates,
    mentioned_sources,
    near_duplicate,
    recency_rank,
    rrf,
    wants_recent,
)

OUTLETS = ["Harbor Ledger", "Meridian Trade Wire", "Tidewater Freight Journal", "AP"]


def test_rrf_adds_each_lists_reciprocal_rank() -> None:
    scores = rrf({"dense": ["a", "b"], "keyword": ["b", "c"]}, {"dense": 1.0, "keyword": 1.0})
    assert scores["b"] == pytest.approx(1 / (RRF_K + 2) + 1 / (RRF_K + 1))
    assert scores["a"] == pytest.approx(1 / (RRF_K + 1))
    assert scores["c"] == pytest.approx(1 / (RRF_K + 2))


def test_rrf_ranks_an_item_found_by_both_arms_above_one_found_by_either() -> None:
    scores = rrf({"dense": ["a", "b"], "keyword": ["c", "b"]}, {"dense": 1.0, "keyword": 1.0})
    assert max(scores, key=scores.__getitem__) == "b"


def test_rrf_weights_scale_each_arm() -> None:
    scores = rrf({"dense": ["a"], "keyword": ["b"]}, {"dense": 0.25, "keyword": 1.0})
    assert scores["b"] == pytest.approx(4 * scores["a"])


def test_rrf_gives_an_arm_without_a_weight_weight_one() -> None:
    assert rrf({"other": ["a"]}, {})["a"] == pytest.approx(1 / (RRF_K + 1))


def test_an_outlet_named_in_the_question_is_found_case_insensitively() -> None:
    found = mentioned_sources("What did the harbor ledger say about slots?", OUTLETS)
    assert found == {"harbor ledger"}


def test_an_outlet_must_be_named_whole_to_count() -> None:
    assert mentioned_sources("What did the Harbor report?", OUTLETS) == set()
    assert mentioned_sources("Trade Wire reports", OUTLETS) == set()


def test_a_very_short_outlet_name_never_matches_by_accident() -> None:
    assert mentioned_sources("What did AP say?", OUTLETS) == set()


def test_written_and_iso_dates_in_a_question_are_found() -> None:
    found = mentioned_dates("Did the October 13, 2026 report or the one on 2026-03-04 say more?")
    assert found == {date(2026, 10, 13), date(2026, 3, 4)}


def test_an_impossible_date_is_ignored() -> None:
    assert mentioned_dates("published on February 30, 2026 or 2026-13-01") == set()


@pytest.mark.parametrize(
    ("published", "expected"),
    [("2026-10-13", True), ("2026-10-14T03:00:00+00:00", True), ("2026-10-16", False), (None, False)],
)
def test_a_document_matches_a_named_date_within_a_day(published: str | None, expected: bool) -> None:
    assert matches_date(published, {date(2026, 10, 13)}) is expected


def test_recency_rank_is_one_for_the_newest_and_zero_for_the_oldest_or_unknown() -> None:
    assert recency_rank([100.0, 300.0, None, 200.0]) == [0.0, 1.0, 0.0, 0.5]


def test_recency_rank_of_a_single_known_date_is_one() -> None:
    assert recency_rank([None, 5.0, 5.0]) == [0.0, 1.0, 1.0]


@pytest.mark.parametrize(
    "question", ["What is the latest approval rate?", "How many slots are there now?", "the current rate"]
)
def test_questions_about_the_current_state_want_recent_documents(question: str) -> None:
    assert wants_recent(question)


def test_a_plain_question_does_not_want_recent_documents() -> None:
    assert not wants_recent("What share of licence applications was approved in March?")


def test_syndicated_copies_with_small_edits_are_near_duplicates() -> None:
    a = "The canal authority raised daily transit slots from 32 to 36 starting March 16 after rains."
    b = "The canal authority raised daily transit slots from 32 to 36 starting March 16 after the rains."
    assert near_duplicate(a, b)


def test_different_sentences_on_one_topic_are_not_near_duplicates() -> None:
    a = "The canal authority raised daily transit slots from 32 to 36."
    b = "The canal authority raised the maximum draft to 50 feet."
    assert not near_duplicate(a, b)


def test_texts_without_words_are_duplicates_only_when_equal() -> None:
    assert near_duplicate(" -- ", "--")
    assert not near_duplicate("--", "++")
