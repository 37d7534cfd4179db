"""The `briefbot` command group."""

from __future__ import annotations

import click

from bot.cli.answers import ask, chat, evaluate, search
from bot.cli.common import configure_logging
from bot.cli.documents import docs, ingest
from bot.cli.serve import serve
from bot.cli.slack import slack


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log progress at INFO on stderr.")
@click.version_option(package_name="briefbot")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """briefbot: answers about your trade-policy articles, with numbered citations.

    Settings come from the environment (see .env.example); data lives in BRIEFBOT_DATA_DIR.
    """
    configure_logging(verbose)
    ctx.ensure_object(dict)


cli.add_command(ingest)
cli.add_command(docs)
cli.add_command(search)
cli.add_command(ask)
cli.add_command(chat)
cli.add_command(evaluate)
cli.add_command(serve)
cli.add_command(slack)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="briefbot")
