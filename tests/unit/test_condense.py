"""The deterministic follow-up rewrite used before retrieval when no LLM condenses the question."""

from __future__ import annotations

import pytest

from bot.answers.condense import is_follow_up, rewrite_follow_up, subject_of

COIL = "What is the new tariff rate on hot-rolled coil in Canada?"


def test_a_first_question_is_left_as_it_is() -> None:
    assert rewrite_follow_up("  What is the toll revenue of the Panama Canal? ", None) == (
        "What is the toll revenue of the Panama Canal?"
    )


def test_a_standalone_question_in_a_session_is_left_as_it_is() -> None:
    question = "What is the toll revenue of the Panama Canal?"
    assert rewrite_follow_up(question, COIL) == question


@pytest.mark.parametrize(
    "question", ["and what about rebar?", "What about rebar?", "how about rebar?", "And rebar?"]
)
def test_an_elliptical_follow_up_carries_the_previous_subject(question: str) -> None:
    rewritten = rewrite_follow_up(question, COIL)
    assert "rebar" in rewritten
    assert "tariff rate on hot-rolled coil in Canada" in rewritten


def test_the_whole_opening_phrase_of_an_elliptical_follow_up_is_dropped() -> None:
    assert rewrite_follow_up("and what about rebar?", COIL) == rewrite_follow_up("what about rebar?", COIL)


def test_a_pronoun_is_replaced_by_the_previous_subject() -> None:
    assert rewrite_follow_up("When does it take effect?", COIL) == (
        "When does the new tariff rate on hot-rolled coil in Canada take effect?"
    )


def test_a_possessive_pronoun_becomes_a_possessive_subject() -> None:
    assert rewrite_follow_up("How big is its reservoir?", "What is the Panama Canal?") == (
        "How big is the Panama Canal's reservoir?"
    )


def test_what_did_it_say_about_keeps_the_new_topic_and_the_old_subject() -> None:
    rewritten = rewrite_follow_up("what did it say about recycling?", "What did the magnet survey find?")
    assert "recycling" in rewritten and "magnet survey" in rewritten
    assert " it " not in f" {rewritten} "


def test_a_very_short_question_counts_as_a_follow_up() -> None:
    assert is_follow_up("Rebar?")
    assert not is_follow_up("What is the toll revenue of the Panama Canal?")


@pytest.mark.parametrize(
    ("question", "subject"),
    [
        (COIL, "the new tariff rate on hot-rolled coil in Canada"),
        ("Who is the Under Secretary of Commerce?", "the Under Secretary of Commerce"),
    ],
)
def test_the_subject_is_the_question_without_its_wh_word_and_auxiliary(question: str, subject: str) -> None:
    assert subject_of(question) == subject
