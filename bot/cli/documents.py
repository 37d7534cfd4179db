"""`briefbot ingest` and `briefbot docs`: getting articles in and seeing what is there."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from bot.cli.common import progress_bar, services_from_context, user_errors
from ingest.lock import ingest_lock


@click.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--prune", is_flag=True, help="Remove documents whose file is gone from the given folders.")
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary object.")
@click.option("--wait", type=float, default=0.0, show_default=True,
              help="Seconds to wait for another ingest on the same data directory.")
@click.pass_context
@user_errors
def ingest(ctx: click.Context, sources: tuple[str, ...], prune: bool, dry_run: bool,
           as_json: bool, wait: float) -> None:
    """Ingest SOURCES: files, folders (recursed), article URLs and RSS/Atom feeds.

    Unchanged documents are skipped without re-embedding, changed ones replaced, and the same
    text under a second name is recorded as a duplicate. Exit code 0 when everything was
    ingested, 1 when some sources failed (each is listed with its reason), 2 on usage errors.
    """
    services = services_from_context(ctx)
    with ingest_lock(services.settings.data_dir, wait_s=wait):
        report = services.ingestor.run(
            list(sources),
            prune=prune,
            dry_run=dry_run,
            progress=None if as_json else progress_bar,
        )
    if as_json:
        click.echo(json.dumps(report.to_json()))
    else:
        for failure in report.failed:
            click.echo(f"failed: {failure.error}", err=True)
        prefix = "dry run: would have " if dry_run else ""
        pruned = f", pruned {report.pruned}" if prune else ""
        click.echo(prefix + report.summary_line() + pruned)
    sys.exit(report.exit_code)


@click.group()
def docs() -> None:
    """List or delete ingested documents."""


@docs.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@click.pass_context
@user_errors
def list_documents(ctx: click.Context, as_json: bool) -> None:
    """List documents, newest first: id, title, outlet, date, URL and chunk count."""
    store = services_from_context(ctx).read_only_store()
    records = store.list_documents()
    rows: list[dict[str, Any]] = [
        {
            "doc_id": r.doc_id,
            "title": r.title,
            "source": r.source,
            "published": r.published,
            "url": r.url,
            "chunks": r.chunks,
            **({"duplicate_of": r.duplicate_of} if r.duplicate_of else {}),
        }
        for r in records
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        click.echo("no documents yet: run `briefbot ingest PATH_OR_URL`")
        return
    for row in rows:
        date = (row["published"] or "undated")[:10]
        dup = f"  (duplicate of {row['duplicate_of']})" if row.get("duplicate_of") else ""
        line = f"{row['doc_id']}  {date}  {row['source'] or '-'}  {row['title']}"
        click.echo(f"{line}  [{row['chunks']} chunks]{dup}")
    click.echo(f"{len(rows)} documents")


@docs.command("delete")
@click.argument("doc_id")
@click.pass_context
@user_errors
def delete_document(ctx: click.Context, doc_id: str) -> None:
    """Delete one document (its chunks and record) by DOC_ID, as shown by `docs list`."""
    services = services_from_context(ctx)
    with ingest_lock(services.settings.data_dir, wait_s=10):
        removed = services.read_only_store().delete_document(doc_id)
    if not removed:
        raise click.ClickException(f"no document with id {doc_id!r}: see `briefbot docs list`")
    click.echo(f"deleted {doc_id}")
