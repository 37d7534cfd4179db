"""The `briefbot` command line: each command translates arguments, calls the core once, prints."""

from bot.cli.main import cli, main

__all__ = ["cli", "main"]
