"""Errors of the application layer, shown to users by the edges."""


class BotError(Exception):
    """Base class for answer-chain and configuration failures."""


class ConfigError(BotError):
    """A setting is missing or invalid; the message names it and says how to fix it."""


class GeneratorUnavailableError(BotError):
    """The configured LLM backend could not answer (connection, HTTP error, timeout)."""
