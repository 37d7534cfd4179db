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
# A marker with the blanks before it: a dropped marker takes them along ("rose [9]." -> "rose.").
_SPACED_MARKER = re.compile(r"([ \t]*)\[(\d{1,3})\]")
# Held back while streaming: trailing blanks and an unfinished "[12", which may still change.
_HOLD = re.compile(r"\s*(?:\[\d{0,3})?\Z")
_SOURCES_HEADING = re.compile(r"\n\s*(\*\*)?(sources|references)(\*\*)?\s*:", re.IGNORECASE)
_SOURCES_TAIL = re.compile(_SOURCES_HEADING.pattern + r".*\Z", re.IGNORECASE | re.DOTALL)
_HEADINGS = ("sources", "references")


def _could_become_heading(line: str) -> bool:
    """Whether an unfinished last line may still turn out to be "Sources:" or "**References**:"."""
    word = line.strip().strip("*").strip().casefold()
    return any(name.startswith(word) for name in _HEADINGS)


@dataclass
class MarkerRewriter:
    """Renumbers ``[n]`` markers as text arrives, so streamed tokens match the final answer.

    It holds back what may still change: an unfinished ``[12``, trailing blanks (a dropped
    marker takes the blanks before it along), and a last line that may become a "Sources:"
    heading; the model's own source list is never shown, streamed or not.
    """

    valid: set[int]
    order: list[int] = field(default_factory=list)
    _pending: str = ""
    _closed: bool = False

    def _replace(self, match: re.Match[str]) -> str:
        blanks, passage = match.group(1), int(match.group(2))
        if passage not in self.valid:
            return ""
        if passage not in self.order:
            self.order.append(passage)
        return f"{blanks}[{self.order.index(passage) + 1}]"

    def rewrite(self, text: str) -> str:
        """Renumber every marker of a complete text, continuing this rewriter's numbering."""
        return _SPACED_MARKER.sub(self._replace, text)

    def feed(self, text: str) -> str:
        if self._closed:
            return ""
        buffer = self._pending + text
        heading = _SOURCES_HEADING.search(buffer)
        if heading:
            self._closed, self._pending = True, ""
            return self.rewrite(buffer[: heading.start()].rstrip())
        hold = _HOLD.search(buffer)
        cut = hold.start() if hold else len(buffer)
        line_start = buffer.rfind("\n")
        if line_start >= 0 and _could_become_heading(buffer[line_start:]):
            cut = min(cut, len(buffer[:line_start].rstrip()))
        self._pending = buffer[cut:]
        return self.rewrite(buffer[:cut])

    def flush(self) -> str:
        """The rest of the text (trailing blanks dropped, as in the final answer)."""
        rest, self._pending = self._pending, ""
        return "" if self._closed else self.rewrite(rest).rstrip()

    def restart(self) -> None:
        """Forget everything: another generator is about to answer instead (the fallback)."""
        self.order.clear()
        self._pending, self._closed = "", False


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
    # Markers in a source list the model wrote itself cite nothing: the list is never shown.
    body = _SOURCES_TAIL.sub("", draft.text)
    if streamed is None:
        text = rewriter.feed(body) + rewriter.flush()
    else:
        # The same numbering the streamed tokens already showed (every marker is in ``order``).
        text = rewriter.rewrite(body)
    claims = claims_by_passage(body)
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
        text = _SPACED_MARKER.sub(
            lambda m: f"{m.group(1)}[{keep[int(m.group(2))]}]" if int(m.group(2)) in keep else "", text
        )
    return tidy(text), citations
