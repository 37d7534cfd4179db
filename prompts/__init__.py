"""Prompt templates as editable text files beside this module, plus a tiny loader.

Templates use ``{name}`` placeholders (str.format); literal braces are doubled. Edit the .txt
files to change wording; tests in tests/unit/test_prompts.py pin the parts the code relies on.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

PROMPT_NAMES = ("answer_system", "answer_user", "condense")


@cache
def load_prompt(name: str) -> str:
    """The text of ``prompts/<name>.txt``; a KeyError names the templates that exist."""
    if name not in PROMPT_NAMES:
        raise KeyError(f"unknown prompt {name!r}: known prompts are {', '.join(PROMPT_NAMES)}")
    return resources.files(__package__).joinpath(f"{name}.txt").read_text(encoding="utf-8")


def render_prompt(name: str, **values: str) -> str:
    """Fill a template; missing values raise KeyError rather than sending a half-filled prompt."""
    return load_prompt(name).format(**values)
