"""Shared plumbing for commands: settings, services, logging and error display."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import click
from pydantic import ValidationError

from bot.errors import BotError
from bot.services import Services, build_services
from bot.settings import Settings
from ingest.errors import IngestError
from vectorstore.errors import VectorStoreError

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
USER_ERRORS = (BotError, IngestError, VectorStoreError)


def configure_logging(verbose: bool) -> None:
    """Warnings only unless -v: command output stays readable and scriptable."""
    level = logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("httpx", "chromadb", "sentence_transformers", "transformers", "urllib3", "trafilatura"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise click.ClickException(f"invalid settings: {problems}") from exc


def services_from_context(ctx: click.Context) -> Services:
    obj = ctx.ensure_object(dict)
    if "services" not in obj:
        obj["services"] = build_services(load_settings())
    services: Services = obj["services"]
    return services


def user_errors(func: F) -> F:
    """Show known failures as one line on stderr (exit 1), never a stack trace."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except USER_ERRORS as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper  # type: ignore[return-value]


def progress_bar(items: Iterable[T], total: int) -> Iterator[T]:
    """A tqdm bar on a terminal; plain iteration when piped."""
    if not sys.stderr.isatty():
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, total=total, unit="doc", file=sys.stderr, leave=False)
