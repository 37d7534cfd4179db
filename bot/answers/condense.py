"""Rewriting a follow-up into a standalone question before retrieval.

The extractive rewrite is deterministic: a pronoun ("it", "they", "that") is replaced by the
previous turn's subject, and an elliptical follow-up ("and for aluminium?", "what about
Japan?") gets the previous subject attached. With an LLM configured, the condense prompt in
prompts/condense.txt is used instead, falling back to this rewrite if the LLM fails.
"""

from __future__ import annotations

import re

from vectorstore.text import STOPWORDS, words

_PRONOUN = re.compile(
    r"\b(it|its|they|them|their|he|she|him|his)\b"
    r"|\b(that|this|these|those)\b(?=\s*[?.!,]?\s*$|\s+(?:is|was|are|were|mean|means|affect|say)\b)",
    re.I,
)
# Longest openings first: "and what about" must not stop at "and".
_ELLIPSIS = re.compile(
    r"^\s*(and what about|and how about|what about|how about|same for|and|or|but|also)\b", re.I
)
_LEAD = re.compile(
    r"^\s*((what|who|whom|when|where|which|why|how)(\s+(many|much|long|often|far))?\s+)?"
    r"((is|are|was|were|did|does|do|has|have|had|can|could|will|would|should)\s+)?",
    re.I,
)
# "rebar — the new tariff rate on hot-rolled coil in Canada?": the follow-up's new focus, then the
# previous subject; the extractive generator answers the focus as a part of its own.
FOCUS_SEPARATOR = " — "
_DETERMINER_AFTER = re.compile(r"^(the|a|an)\b", re.I)


def subject_of(question: str) -> str:
    """The topic phrase of a standalone question: it without the wh-word and auxiliary."""
    core = _LEAD.sub("", question.strip()).strip(" ?.!")
    return core or question.strip(" ?.!")


def _content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS]


def is_follow_up(question: str) -> bool:
    """Pronouns, an opening 'and/what about', or too few words to stand alone."""
    return bool(
        _PRONOUN.search(question) or _ELLIPSIS.search(question) or len(_content_words(question)) <= 2
    )


def resolve_pronoun(question: str, previous: str) -> str:
    """``question`` with its first pronoun replaced by the subject of ``previous`` (if it has one)."""
    pronoun = _PRONOUN.search(question)
    if not pronoun:
        return question.strip()
    subject = subject_of(previous)
    word = pronoun.group(0).lower()
    replacement = f"{subject}'s" if word in {"its", "their", "his", "her"} else subject
    return (question[: pronoun.start()] + replacement + question[pronoun.end() :]).strip()


def rewrite_follow_up(question: str, previous_standalone: str | None) -> str:
    """Deterministic standalone form of ``question`` given the previous turn's standalone question."""
    if not previous_standalone or not is_follow_up(question):
        return question.strip()
    if _PRONOUN.search(question) and not _ELLIPSIS.search(question):
        return resolve_pronoun(question, previous_standalone)
    subject = subject_of(previous_standalone)
    rest = _ELLIPSIS.sub("", question).strip(" ,?")
    return f"{rest}{FOCUS_SEPARATOR}{subject}?" if rest else f"{subject}?"
