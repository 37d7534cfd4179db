"""The default, offline `extractive` answers on the sample corpus (samples/README.md lists the facts).

Real components: the sample articles ingested once for the module into embedded Chroma, the
packaged MiniLM, hybrid retrieval and the real chain. Answers to the same question are shared
between tests through ``answer_to`` (the generator is deterministic, which one test checks).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.answers.extractive import REFUSAL
from bot.answers.models import Answer
from bot.cli.main import cli
from bot.services import Services, build_services
from bot.settings import Settings
from vectorstore.embedder import Embedder

AnswerTo = Callable[[str], Answer]

CANAL = "How many daily transit slots will the Panama Canal offer from March 16, 2026?"
FREIGHT = "What was the Shanghai-Rotterdam spot rate for a 40-foot container in mid-May 2026?"
COIL = "What is the new tariff rate on hot-rolled coil in Canada?"
COIL_AND_WHEN = "What is the new tariff rate on hot-rolled coil in Canada, and when does it take effect?"
LATEST = "What is the latest share of rare-earth export licence applications approved?"
COMPARE = "Compare the Panama Canal transit slots with the Shanghai-Rotterdam container spot rate"
ZHENHAI = "What individual countervailing duty rate did Zhenhai Motors receive?"
UNANSWERABLE = "Who won the 2022 football World Cup final?"
ANSWERABLE = [CANAL, FREIGHT, COIL, COIL_AND_WHEN, LATEST, COMPARE, ZHENHAI]

HARBOR = "Panama Canal adds transit slots as Gatun Lake recovers"
TIDEWATER = "Red Sea diversions push Asia-Europe container rates to a 19-month high"
IRONBRIDGE = "Canada raises steel and aluminium tariffs and sets a quota for trade partners"
MAGNETS_MARCH = "Magnet buyers wait as China's rare-earth export licences trickle out"
MAGNETS_SEPT = "Rare-earth licence approvals climb to 75% as new magnet supply deal is signed"
EV = "EU confirms higher duties on Chinese electric vehicles after review"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, sample_dir: Path) -> Services:
    """Services over the sample articles, ingested once for the module (default settings)."""
    data_dir = tmp_path_factory.mktemp("extractive") / "data"
    settings = Settings(_env_file=None, BRIEFBOT_DATA_DIR=str(data_dir))  # type: ignore[call-arg]
    services = build_services(settings, embedder=embedder)
    report = services.ingestor.run([str(sample_dir)])
    assert report.failed == [] and report.added == 8
    return services


@pytest.fixture(scope="module")
def answer_to(corpus: Services) -> AnswerTo:
    """``answer_to(question)``: the chain's answer, computed once per question for the module."""
    return cache(lambda question: corpus.chain.ask(question))


def cited_titles(answer: Answer) -> list[str]:
    return [c.title for c in answer.citations]


def markers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\[(\d+)\]", text)]


# -- the right sentence with the right citation -----------------------------------------------


def test_the_canal_answer_quotes_the_slot_increase_and_cites_harbor_ledger(answer_to: AnswerTo) -> None:
    answer = answer_to(CANAL)
    assert "from 32 to 36 starting March 16" in answer.answer
    assert cited_titles(answer)[0] == HARBOR
    assert answer.citations[0].source == "Harbor Ledger"
    assert answer.grounded and answer.generator == "extractive"


def test_the_freight_answer_quotes_the_spot_rate_and_cites_tidewater(answer_to: AnswerTo) -> None:
    answer = answer_to(FREIGHT)
    assert "reached $4,350 on Friday, up 31% in four weeks" in answer.answer
    assert cited_titles(answer) == [TIDEWATER]
    assert answer.citations[0].source == "Tidewater Freight Journal"


def test_a_table_cell_answer_returns_its_row_under_the_header(answer_to: AnswerTo) -> None:
    answer = answer_to(COIL)
    lines = answer.answer.splitlines()
    row = "| Hot-rolled coil | 10% | 25% | 2026-07-01 |"
    assert "| Product | Current rate | New rate | Effective |" in lines
    assert f"{row} [1]" in lines
    assert lines.index(f"{row} [1]") == lines.index("| Product | Current rate | New rate | Effective |") + 1
    assert cited_titles(answer) == [IRONBRIDGE]
    assert answer.citations[0].quote == row


def test_a_pronoun_in_the_second_part_refers_to_the_first_part(answer_to: AnswerTo) -> None:
    """"...coil, and when does it take effect?" must not quote another article's effective date."""
    answer = answer_to(COIL_AND_WHEN)
    assert "2026-07-01" in answer.answer
    assert cited_titles(answer) == [IRONBRIDGE]


def test_the_zhenhai_answer_quotes_its_individual_rate(answer_to: AnswerTo) -> None:
    answer = answer_to(ZHENHAI)
    assert "received an individual rate of 19.8%" in answer.answer
    assert cited_titles(answer)[0] == EV


# -- honesty, recency and multi-part questions ------------------------------------------------


def test_an_unanswerable_question_is_refused_without_citations(answer_to: AnswerTo) -> None:
    answer = answer_to(UNANSWERABLE)
    assert not answer.grounded
    assert answer.citations == []
    assert answer.answer.startswith(REFUSAL)
    assert not markers(answer.answer)


def test_a_refusal_suggests_only_titles_of_ingested_documents(answer_to: AnswerTo, corpus: Services) -> None:
    answer = answer_to(UNANSWERABLE)
    titles = {record.title for record in corpus.store.list_documents()}
    assert 0 < len(answer.suggestions) <= 3
    assert set(answer.suggestions) <= titles
    assert all(title in answer.answer for title in answer.suggestions)


def test_an_empty_store_refuses_every_question(services: Services) -> None:
    answer = services.chain.ask(CANAL)
    assert not answer.grounded and answer.citations == []


def test_a_latest_question_leads_with_the_newer_article(answer_to: AnswerTo) -> None:
    answer = answer_to(LATEST)
    assert "75%" in answer.answer
    assert cited_titles(answer)[0] == MAGNETS_SEPT
    if "40%" in answer.answer:
        assert answer.answer.index("75%") < answer.answer.index("40%")


def test_a_compare_question_draws_a_sentence_for_each_part(answer_to: AnswerTo) -> None:
    answer = answer_to(COMPARE)
    assert {HARBOR, TIDEWATER} <= set(cited_titles(answer))
    assert "32 to 36" in answer.answer and "$4,350" in answer.answer


# -- the citation contract --------------------------------------------------------------------


@pytest.mark.parametrize("question", ANSWERABLE)
def test_every_quote_is_verbatim_text_of_its_stored_document(
    answer_to: AnswerTo, corpus: Services, question: str
) -> None:
    answer = answer_to(question)
    assert answer.citations
    for citation in answer.citations:
        stored = corpus.store.get_document_text(citation.doc_id)
        assert stored is not None and citation.quote in stored


@pytest.mark.parametrize("question", ANSWERABLE)
def test_citations_are_numbered_in_order_of_first_use_and_all_referenced(
    answer_to: AnswerTo, question: str
) -> None:
    answer = answer_to(question)
    used = markers(answer.answer)
    first_use = list(dict.fromkeys(used))
    assert first_use == [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))


@pytest.mark.parametrize("question", ANSWERABLE)
def test_each_quoted_sentence_is_followed_by_its_own_citation(answer_to: AnswerTo, question: str) -> None:
    answer = answer_to(question)
    for citation in answer.citations:
        assert f"{citation.quote} [{citation.n}]" in answer.answer


def test_citations_carry_the_documents_metadata(answer_to: AnswerTo) -> None:
    citation = answer_to(FREIGHT).citations[0]
    assert citation.published == "2026-05-18"
    assert citation.url == "https://tidewaterfreight.example/shipping/2026/05/red-sea-container-rates"
    assert citation.source_line().startswith(f"[1] {TIDEWATER}, Tidewater Freight Journal, 2026-05-18, https://")


def test_the_answer_json_has_exactly_the_designed_fields(answer_to: AnswerTo) -> None:
    body = answer_to(CANAL).to_json()
    assert set(body) == {"answer", "citations", "session_id", "standalone_question", "grounded", "generator"}
    assert set(body["citations"][0]) == {"n", "doc_id", "title", "url", "source", "published", "quote"}
    assert body["standalone_question"] == CANAL


def test_the_same_question_twice_gets_the_same_answer(corpus: Services, answer_to: AnswerTo) -> None:
    again = corpus.chain.ask(COMPARE)
    first = answer_to(COMPARE)
    assert again.answer == first.answer
    assert again.citations == first.citations


def test_streamed_tokens_concatenate_to_the_answer(corpus: Services, answer_to: AnswerTo) -> None:
    tokens: list[str] = []
    answer = corpus.chain.ask(COMPARE, on_token=tokens.append)
    assert len(tokens) > 1
    assert "".join(tokens) == answer.answer == answer_to(COMPARE).answer


# -- `briefbot eval` --------------------------------------------------------------------------


def run_eval(corpus: Services, path: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["eval", str(path), *args], obj={"services": corpus})


def test_eval_scores_a_simple_question_set(corpus: Services, tmp_path: Path) -> None:
    questions = tmp_path / "questions.jsonl"
    questions.write_text("\n".join(json.dumps(q) for q in [
        {"question": CANAL, "answer_keywords": ["36", "32"], "sources": ["Harbor Ledger"]},
        {"question": FREIGHT, "answer_keywords": ["$4,350"], "sources": ["Tidewater Freight Journal"]},
        {"question": UNANSWERABLE, "answer_keywords": [], "sources": []},
    ]) + "\n", encoding="utf-8")
    result = run_eval(corpus, questions, "--json")
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics == {
        "questions": 3,
        "answer_keyword_accuracy": 1.0,
        "citation_hit_rate": 1.0,
        "refusal_rate_unanswerable": 1.0,
        "unanswerable": 1,
    }


def test_eval_scores_multihop_questions_by_retrieval_and_prints_them(
    corpus: Services, tmp_path: Path
) -> None:
    fact = "The spot rate for a 40-foot container from Shanghai to Rotterdam reached $4,350 on Friday"
    items = [
        {"query": FREIGHT, "question_type": "inference_query", "evidence_list": [{"fact": fact}]},
        {"query": "Who won the match?", "question_type": "null_query", "evidence_list": []},
    ]
    questions = tmp_path / "multihop.jsonl"
    questions.write_text("\n".join(json.dumps(q) for q in items) + "\n", encoding="utf-8")
    result = run_eval(corpus, questions)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert {"queries: 1", "hits@4: 1.0", "hits@10: 1.0", "mrr@10: 1.0", "excluded_null: 1"} <= set(lines)
