"""Conversations: follow-ups rewritten with the session's history, kept in SQLite across restarts.

The sample articles are ingested once for the module; each test starts its own session.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.services import Services, build_services
from bot.sessions import SessionStore
from bot.settings import Settings
from vectorstore.embedder import Embedder

COIL = "What is the new tariff rate on hot-rolled coil in Canada?"
REBAR_ROW = "| Rebar | 8% | 20% | 2026-08-15 |"
MAGNETS_MARCH = "Magnet buyers wait as China's rare-earth export licences trickle out"
SURVEY = "What did the Association of Magnet Users survey in March find about export licences?"


def settings_for(data_dir: Path) -> Settings:
    return Settings(_env_file=None, BRIEFBOT_DATA_DIR=str(data_dir))  # type: ignore[call-arg]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, sample_dir: Path) -> Path:
    folder = tmp_path_factory.mktemp("sessions") / "data"
    report = build_services(settings_for(folder), embedder=embedder).ingestor.run([str(sample_dir)])
    assert report.failed == [] and report.added == 8
    return folder


@pytest.fixture(scope="module")
def corpus(data_dir: Path, embedder: Embedder) -> Services:
    return build_services(settings_for(data_dir), embedder=embedder)


def test_a_first_question_is_its_own_standalone_question(corpus: Services) -> None:
    assert corpus.chain.ask(COIL).standalone_question == COIL


def test_an_elliptical_follow_up_carries_the_previous_subject(corpus: Services) -> None:
    first = corpus.chain.ask(COIL)
    follow = corpus.chain.ask("and what about rebar?", session_id=first.session_id)
    assert follow.session_id == first.session_id
    assert "rebar" in follow.standalone_question
    assert "tariff rate on hot-rolled coil in Canada" in follow.standalone_question
    assert REBAR_ROW in follow.answer


def test_a_pronoun_in_a_follow_up_is_replaced_by_the_previous_subject(corpus: Services) -> None:
    first = corpus.chain.ask(SURVEY)
    follow = corpus.chain.ask("what did it say about recycling?", session_id=first.session_id)
    assert "Association of Magnet Users" in follow.standalone_question
    assert "recycling" in follow.standalone_question
    assert " it " not in f" {follow.standalone_question} "
    assert follow.grounded and MAGNETS_MARCH in [c.title for c in follow.citations]


def test_a_follow_up_in_another_session_is_not_rewritten(corpus: Services) -> None:
    corpus.chain.ask(COIL)
    other = corpus.chain.ask("and what about rebar?")
    assert other.standalone_question == "and what about rebar?"


def test_each_turn_is_stored_with_its_answer_json(corpus: Services) -> None:
    first = corpus.chain.ask(COIL)
    follow = corpus.chain.ask("and what about rebar?", session_id=first.session_id)
    turns = corpus.sessions.turns(first.session_id)
    assert [(t.turn, t.question) for t in turns] == [(1, COIL), (2, "and what about rebar?")]
    assert turns[1].standalone_question == follow.standalone_question
    assert turns[1].answer == follow.to_json()


def test_a_session_survives_a_restart(data_dir: Path, embedder: Embedder, corpus: Services) -> None:
    first = corpus.chain.ask(COIL)
    restarted = build_services(settings_for(data_dir), embedder=embedder)
    assert restarted.sessions is not corpus.sessions
    follow = restarted.chain.ask("and what about rebar?", session_id=first.session_id)
    assert "hot-rolled coil" in follow.standalone_question
    reopened = SessionStore(data_dir / "sessions.sqlite3")
    assert [t.question for t in reopened.turns(first.session_id)] == [COIL, "and what about rebar?"]


def test_history_from_outside_is_used_when_the_session_has_no_turns(corpus: Services) -> None:
    """A Slack thread the bot joins late: the earlier messages stand in for the session."""
    follow = corpus.chain.ask("and what about rebar?", history=[COIL])
    assert "hot-rolled coil" in follow.standalone_question
    assert REBAR_ROW in follow.answer
