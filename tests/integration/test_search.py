"""Retrieval and its filters (outlet, date) in search and in answers, and the `search`/`ask` commands.

The sample articles are ingested once for the module; the commands run through click's runner
on the module's services (passed as the context object, as `briefbot` builds them from settings).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from bot.cli.main import cli
from bot.services import Services, build_services
from bot.settings import Settings
from vectorstore.embedder import Embedder
from vectorstore.records import SearchFilters

LICENCES = "What share of rare-earth export licence applications was approved?"
CANAL = "How many daily transit slots will the Panama Canal offer?"
SEARCH_KEYS = {"rank", "doc_id", "title", "source", "published", "url", "chunk_index", "text", "score"}
MAGNETS_MARCH = "Magnet buyers wait as China's rare-earth export licences trickle out"
MAGNETS_SEPT = "Rare-earth licence approvals climb to 75% as new magnet supply deal is signed"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, sample_dir: Path) -> Services:
    data_dir = tmp_path_factory.mktemp("search") / "data"
    settings = Settings(_env_file=None, BRIEFBOT_DATA_DIR=str(data_dir))  # type: ignore[call-arg]
    services = build_services(settings, embedder=embedder)
    report = services.ingestor.run([str(sample_dir)])
    assert report.failed == [] and report.added == 8
    return services


def run(corpus: Services, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin, obj={"services": corpus})


def search_json(corpus: Services, *args: str) -> list[dict[str, Any]]:
    result = run(corpus, "search", *args, "--json")
    assert result.exit_code == 0, result.output
    items: list[dict[str, Any]] = json.loads(result.stdout)
    return items


# -- filters in search ------------------------------------------------------------------------


def test_unfiltered_search_finds_several_outlets(corpus: Services) -> None:
    hits = corpus.searcher.search("rare-earth licence approvals and tariffs", top_k=10)
    assert len({h.source for h in hits}) > 1


def test_an_outlet_filter_keeps_only_that_outlets_chunks(corpus: Services) -> None:
    hits = corpus.searcher.search(
        "rare-earth licence approvals and tariffs", top_k=10,
        filters=SearchFilters(sources=("meridian trade wire",)),
    )
    assert hits and {h.source for h in hits} == {"Meridian Trade Wire"}


def test_several_outlets_can_be_allowed_at_once(corpus: Services) -> None:
    filters = SearchFilters(sources=("Harbor Ledger", "Tidewater Freight Journal"))
    hits = corpus.searcher.search("shipping rates and canal slots", top_k=10, filters=filters)
    assert {h.source for h in hits} == {"Harbor Ledger", "Tidewater Freight Journal"}


def test_a_since_date_keeps_documents_published_on_or_after_it(corpus: Services) -> None:
    hits = corpus.searcher.search(
        "rare-earth licence approvals", top_k=10, filters=SearchFilters(published_after=date(2026, 8, 27))
    )
    assert hits and all((h.published or "") >= "2026-08-27" for h in hits)
    assert "2026-08-27" in {h.published for h in hits}  # the bound itself is included


def test_an_until_date_keeps_documents_published_on_or_before_it(corpus: Services) -> None:
    hits = corpus.searcher.search(
        "rare-earth licence approvals", top_k=10, filters=SearchFilters(published_before=date(2026, 3, 12))
    )
    assert hits and all((h.published or "9") <= "2026-03-12" for h in hits)
    assert "2026-03-12" in {h.published for h in hits}


def test_an_outlet_nobody_published_finds_nothing(corpus: Services) -> None:
    assert corpus.searcher.search("canal", filters=SearchFilters(sources=("Nobody Times",))) == []


# -- filters in answers -----------------------------------------------------------------------


def test_an_until_date_answers_from_the_march_survey_only(corpus: Services) -> None:
    answer = corpus.chain.ask(LICENCES, filters=SearchFilters(published_before=date(2026, 3, 31)))
    assert "40%" in answer.answer and "75%" not in answer.answer
    assert {c.title for c in answer.citations} == {MAGNETS_MARCH}


def test_a_since_date_answers_from_the_september_survey_only(corpus: Services) -> None:
    answer = corpus.chain.ask(LICENCES, filters=SearchFilters(published_after=date(2026, 6, 1)))
    assert "75%" in answer.answer and "40%" not in answer.answer
    assert {c.title for c in answer.citations} == {MAGNETS_SEPT}


def test_an_outlet_filter_limits_every_citation_to_that_outlet(corpus: Services) -> None:
    answer = corpus.chain.ask(LICENCES, filters=SearchFilters(sources=("Meridian Trade Wire",)))
    assert answer.citations and {c.source for c in answer.citations} == {"Meridian Trade Wire"}


def test_an_outlet_without_the_answer_gets_a_refusal(corpus: Services) -> None:
    answer = corpus.chain.ask(CANAL, filters=SearchFilters(sources=("Ironbridge Economic Review",)))
    assert not answer.grounded and answer.citations == []


# -- `briefbot search` ------------------------------------------------------------------------


def test_search_json_items_have_exactly_the_designed_keys(corpus: Services) -> None:
    items = search_json(corpus, CANAL, "--top-k", "3")
    assert [item["rank"] for item in items] == [1, 2, 3]
    assert all(set(item) == SEARCH_KEYS for item in items)
    assert items[0]["source"] == "Harbor Ledger" and "32 to 36" in items[0]["text"]


def test_search_json_scores_descend_with_rank(corpus: Services) -> None:
    scores = [item["score"] for item in search_json(corpus, CANAL)]
    assert scores == sorted(scores, reverse=True)


def test_search_source_option_filters_by_outlet(corpus: Services) -> None:
    items = search_json(corpus, "rare-earth licences", "--source", "Meridian Trade Wire")
    assert items and {item["source"] for item in items} == {"Meridian Trade Wire"}


def test_search_since_and_until_options_bound_the_dates(corpus: Services) -> None:
    items = search_json(corpus, "tariffs", "--since", "2026-06-01", "--until", "2026-08-31")
    assert items and all("2026-06-01" <= item["published"][:10] <= "2026-08-31" for item in items)


def test_search_dash_reads_queries_from_stdin_and_prints_one_json_list_per_line(corpus: Services) -> None:
    queries = [CANAL, "", "Shanghai-Rotterdam container spot rate", "hot-rolled coil tariff"]
    result = run(corpus, "search", "-", "--top-k", "2", stdin="\n".join(queries) + "\n")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 4
    assert lines[1] == []
    firsts = [batch[0]["source"] for batch in (lines[0], lines[2], lines[3])]
    assert firsts == ["Harbor Ledger", "Tidewater Freight Journal", "Ironbridge Economic Review"]
    assert all(len(batch) == 2 and set(batch[0]) == SEARCH_KEYS for batch in (lines[0], lines[2], lines[3]))


def test_search_batch_output_matches_single_query_output(corpus: Services) -> None:
    single = search_json(corpus, CANAL, "--top-k", "4")
    batch = run(corpus, "search", "-", "--top-k", "4", stdin=CANAL + "\n")
    assert json.loads(batch.stdout) == single


def test_search_prints_ranked_chunks_as_text(corpus: Services) -> None:
    result = run(corpus, "search", CANAL, "--top-k", "2")
    assert result.exit_code == 0
    assert result.stdout.startswith("1. Panama Canal adds transit slots as Gatun Lake recovers (Harbor")


def test_a_date_that_is_not_iso_is_a_usage_error(corpus: Services) -> None:
    result = run(corpus, "search", CANAL, "--since", "last spring")
    assert result.exit_code == 2
    assert "not an ISO date" in result.output


# -- `briefbot ask` ---------------------------------------------------------------------------


def test_ask_prints_the_answer_and_a_numbered_source_list(corpus: Services) -> None:
    result = run(corpus, "ask", CANAL)
    assert result.exit_code == 0, result.output
    answer, _, sources = result.stdout.partition("\nSources:\n")
    assert "32 to 36" in answer and "[1]" in answer
    assert sources.splitlines()[0] == (
        "[1] Panama Canal adds transit slots as Gatun Lake recovers, Harbor Ledger, 2026-03-04"
    )


def test_ask_json_prints_the_answer_json_with_filters_applied(corpus: Services) -> None:
    result = run(corpus, "ask", LICENCES, "--json", "--until", "2026-03-31")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert set(body) == {"answer", "citations", "session_id", "standalone_question", "grounded", "generator"}
    assert [c["title"] for c in body["citations"]] == [MAGNETS_MARCH]


def test_ask_session_option_continues_a_conversation(corpus: Services) -> None:
    first = json.loads(run(corpus, "ask", "What is the new tariff rate on hot-rolled coil?", "--json").stdout)
    follow = run(corpus, "ask", "and what about rebar?", "--session", first["session_id"], "--json")
    body = json.loads(follow.stdout)
    assert body["session_id"] == first["session_id"]
    assert "hot-rolled coil" in body["standalone_question"]


def test_ask_an_empty_question_is_a_usage_error(corpus: Services) -> None:
    result = run(corpus, "ask", "   ")
    assert result.exit_code == 2
