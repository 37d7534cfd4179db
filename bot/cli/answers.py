"""`briefbot search`, `ask` and `chat`: asking questions from the terminal."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from bot.answers.models import Answer
from bot.cli.common import services_from_context, user_errors
from bot.cli.filters import build_filters, filter_options
from bot.evaluation import evaluate_answers, evaluate_multihop, is_multihop, load_questions
from bot.sessions import new_session_id


@click.command()
@click.argument("query")
@click.option("--top-k", type=click.IntRange(1, 100), default=10, show_default=True)
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of ranked chunks.")
@click.pass_context
@user_errors
def search(ctx: click.Context, query: str, top_k: int, sources: tuple[str, ...],
           since: str | None, until: str | None, as_json: bool) -> None:
    """Print the chunks ranked for QUERY (hybrid dense + BM25 search).

    QUERY `-` reads one query per line from standard input and prints one JSON list per line,
    in order, for scripts and evaluations.
    """
    filters = build_filters(sources, since, until)
    searcher = services_from_context(ctx).searcher
    if query == "-":
        for line in sys.stdin:
            hits = searcher.search(line.strip(), top_k=top_k, filters=filters) if line.strip() else []
            click.echo(json.dumps([h.to_json(i) for i, h in enumerate(hits, 1)], ensure_ascii=False))
        return
    hits = searcher.search(query, top_k=top_k, filters=filters)
    if as_json:
        click.echo(json.dumps([h.to_json(i) for i, h in enumerate(hits, 1)], ensure_ascii=False))
        return
    if not hits:
        click.echo("no matching chunks")
    for rank, hit in enumerate(hits, 1):
        meta = ", ".join(p for p in (hit.source, (hit.published or "")[:10]) if p)
        click.echo(f"{rank}. {hit.title} ({meta}) [{hit.doc_id} #{hit.chunk_index}] score {hit.score:.4f}")
        click.echo("   " + " ".join(hit.text.split())[:300])


def print_answer(answer: Answer) -> None:
    click.echo(answer.answer)
    if answer.citations:
        click.echo("\nSources:")
        click.echo(answer.sources_text())


@click.command()
@click.argument("question")
@click.option("--session", "session_id", help="Continue this session (follow-up questions).")
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Print the Answer JSON.")
@click.pass_context
@user_errors
def ask(ctx: click.Context, question: str, session_id: str | None, sources: tuple[str, ...],
        since: str | None, until: str | None, as_json: bool) -> None:
    """Answer QUESTION from the ingested documents, with numbered sources."""
    if not question.strip():
        raise click.BadParameter("the question is empty", param_hint="QUESTION")
    filters = build_filters(sources, since, until)
    answer = services_from_context(ctx).chain.ask(question, session_id=session_id, filters=filters)
    if as_json:
        click.echo(json.dumps(answer.to_json(), ensure_ascii=False))
    else:
        print_answer(answer)


@click.command()
@filter_options
@click.option("--session", "session_id", help="Resume an earlier session.")
@click.pass_context
@user_errors
def chat(ctx: click.Context, sources: tuple[str, ...], since: str | None, until: str | None,
         session_id: str | None) -> None:
    """Interactive questions with history; `/new` starts a new session, `/quit` or Ctrl-D ends."""
    filters = build_filters(sources, since, until)
    chain = services_from_context(ctx).chain
    session = session_id or new_session_id()
    click.echo(f"session {session}. Ask a question; /new starts over, /quit ends.")
    while True:
        try:
            line = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            click.echo()
            return
        if not line:
            continue
        if line in {"/quit", "/exit"}:
            return
        if line == "/new":
            session = new_session_id()
            click.echo(f"new session {session}")
            continue
        answer = chain.ask(line, session_id=session, filters=filters)
        if answer.standalone_question != line:
            click.echo(f"(understood as: {answer.standalone_question})")
        print_answer(answer)
        click.echo()


@click.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as one JSON object.")
@click.pass_context
@user_errors
def evaluate(ctx: click.Context, file: Path, as_json: bool) -> None:
    """Run a question set in FILE and print metrics.

    MultiHop-RAG questions (query + evidence_list) give retrieval Hits@4, Hits@10 and MRR@10
    over non-null queries; `{"question", "answer_keywords", "sources"}` lines give answer
    keyword accuracy, citation hit rate and the refusal rate on questions with no sources.
    """
    items = load_questions(file)
    services = services_from_context(ctx)
    if is_multihop(items):
        result = evaluate_multihop(items, lambda q, k: services.searcher.search(q, top_k=k))
    else:
        result = evaluate_answers(items, lambda q: services.chain.ask(q))
    if as_json:
        click.echo(json.dumps(result))
        return
    for key, value in result.items():
        if key != "by_type":
            click.echo(f"{key}: {value}")
    for kind, scores in result.get("by_type", {}).items():
        click.echo(f"  {kind}: {scores}")
