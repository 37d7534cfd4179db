"""Parsing filter options shared by `search`, `ask` and the HTTP API."""

from __future__ import annotations

from datetime import date

import click

from vectorstore.records import SearchFilters


def parse_date(value: str | None, *, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an ISO date (YYYY-MM-DD)", param_hint=name) from exc


def build_filters(sources: tuple[str, ...], since: str | None, until: str | None) -> SearchFilters:
    return SearchFilters(
        sources=tuple(s for s in sources if s.strip()),
        published_after=parse_date(since, name="--since"),
        published_before=parse_date(until, name="--until"),
    )


def filter_options(func: click.decorators.FC) -> click.decorators.FC:
    """--source/--since/--until, identical on every command that retrieves."""
    func = click.option("--until", help="Only documents published on or before this date.")(func)
    func = click.option("--since", help="Only documents published on or after this date.")(func)
    return click.option(
        "--source", "sources", multiple=True, help="Only this outlet (repeatable, case-insensitive)."
    )(func)
