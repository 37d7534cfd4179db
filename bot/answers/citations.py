"""Checking and numbering citation markers, also while an answer streams.

Generators cite passages by the numbers they were given. Users see citations numbered 1..k in
order of first use, and a marker that points to no passage is removed, never shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.answers.models import Citation, Draft
from ingest.sentences import split_sentences
from vectorstore.records import SearchHit
from vectorstore.text import terms

MARKER = re.compile(r"\[(\d{1,3})\]")
_PARTIAL = re.compile(r"\[\d{0,3}$")
_SOURCES_TAIL = re.compile(r"\n\s*(\*\*)?(sources|references)(\*\*)?\s*:.*\Z", re.IGNORECASE | re.DOTALL)


@dataclass
class MarkerRewriter:
    """Renumbers ``[n]`` markers as text arrives; holds back a possibly unfinished ``[12``."""

    valid: set[int]
    order: list[int] = field(default_factory=list)
    _pending: str = ""

    def _replace(self, match: re.Match[str]) -> str:
        passage = int(match.group(1))
        if passage not in self.valid:
            return ""
        if passage not in self.order:
            self.order.append(passage)
        return f"[{self.order.index(passage) + 1}]"

    def feed(self, text: str) -> str:
        buffer = self._pending + text
        partial = _PARTIAL.search(buffer)
        cut = partial.start() if partial else len(buffer)
        self._pending = buffer[cut:]
        return MARKER.sub(self._replace, buffer[:cut])

    def flush(self) -> str:
        rest, self._pending = self._pending, ""
        return MARKER.sub(self._replace, rest)


def tidy(text: str) -> str:
    """Remove gaps left by dropped markers and any source list the model wrote itself."""
    text = _SOURCES_TAIL.sub("", text)
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text)
    text = re.sub(r"[ \t]{2,}", " ", text)
    return text.strip()


def best_quote(passage: SearchHit, claim_text: str) -> str:
    """The sentence of a passage that shares most content words with the claim citing it."""
    wanted = set(terms(claim_text))
    sentences = split_sentences(passage.text) or [passage.text]
    return max(sentences, key=lambda s: (len(wanted & set(terms(s))), len(s)))


def claims_by_passage(text: str) -> dict[int, str]:
    """For each passage number, the sentences of the (unrenumbered) answer that cite it."""
    cited: dict[int, str] = {}
    for sentence in split_sentences(text):
        for number in MARKER.findall(sentence):
            cited[int(number)] = cited.get(int(number), "") + " " + sentence
    return cited


def build_citations(
    draft: Draft,
    passages: list[SearchHit],
    *,
    document_text: Callable[[str], str | None],
    streamed: MarkerRewriter | None = None,
) -> tuple[str, list[Citation]]:
    """Final answer text (markers renumbered, invalid ones dropped) and its verified citations."""
    rewriter = streamed or MarkerRewriter(set(range(1, len(passages) + 1)))
    if streamed is None:
        text = rewriter.feed(draft.text) + rewriter.flush()
    else:
        # The same numbering the streamed tokens already showed (every marker is in ``order``).
        text = MARKER.sub(rewriter._replace, draft.text)
    claims = claims_by_passage(draft.text)
    citations: list[Citation] = []
    keep: dict[int, int] = {}
    for number in rewriter.order:
        hit = passages[number - 1]
        quote = draft.quotes.get(number) or best_quote(hit, claims.get(number, ""))
        stored = document_text(hit.doc_id)
        if stored is None or quote not in stored:
            continue
        keep[rewriter.order.index(number) + 1] = len(citations) + 1
        citations.append(
            Citation(len(citations) + 1, hit.doc_id, hit.title, hit.url, hit.source, hit.published, quote)
        )
    if len(keep) != len(rewriter.order):
        text = MARKER.sub(lambda m: f"[{keep[int(m.group(1))]}]" if int(m.group(1)) in keep else "", text)
    return tidy(text), citations
