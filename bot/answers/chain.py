"""The answer chain: condense the follow-up, retrieve, generate, check citations, remember.

This is the one call every edge makes (`ask`); it knows nothing of HTTP or Slack.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.answers.citations import MarkerRewriter, build_citations
from bot.answers.condense import rewrite_follow_up
from bot.answers.extractive import REFUSAL, ExtractiveGenerator
from bot.answers.models import Answer, Draft, Generator, TokenSink
from bot.errors import GeneratorUnavailableError
from bot.sessions import SessionStore, new_session_id
from vectorstore.hybrid import HybridSearcher
from vectorstore.records import SearchFilters, SearchHit
from vectorstore.store import ChromaStore

logger = logging.getLogger(__name__)

FALLBACK_NOTE = "(The language model could not be reached, so this answer quotes the documents directly.)"
Condenser = Callable[[str, list[tuple[str, str]]], str]


@dataclass
class AnswerChain:
    """Answers questions against one store with one generator (and the extractive fallback)."""

    searcher: HybridSearcher
    store: ChromaStore
    generator: Generator
    fallback: ExtractiveGenerator
    sessions: SessionStore
    top_k: int = 8
    condenser: Condenser | None = None
    history_turns: int = 4
    _suggest_k: int = field(default=3)

    def standalone(self, question: str, session_id: str, *, history: Sequence[str] = ()) -> str:
        """The follow-up rewritten with the session's history (unchanged for a first question).

        ``history``: earlier messages of a conversation this store has not seen (a Slack thread
        the bot joins late), used only while the session has no turns of its own.
        """
        turns = [(t.question, t.standalone_question) for t in self.sessions.turns(session_id)]
        pairs = turns or [(m, m) for m in history]
        if not pairs:
            return question.strip()
        if self.condenser is not None:
            try:
                return self.condenser(question, pairs[-self.history_turns :])
            except GeneratorUnavailableError as exc:
                logger.warning("condense via LLM failed (%s); using the deterministic rewrite", exc)
        return rewrite_follow_up(question, pairs[-1][1])

    def ask(
        self,
        question: str,
        *,
        session_id: str | None = None,
        filters: SearchFilters | None = None,
        on_token: TokenSink | None = None,
        history: Sequence[str] = (),
    ) -> Answer:
        """Answer one question; the turn is stored under ``session_id`` (a new one if None)."""
        session_id = session_id or new_session_id()
        standalone = self.standalone(question, session_id, history=history)
        hits = self.searcher.search(standalone, top_k=self.top_k, filters=filters)
        answer = self._answer(standalone, hits, session_id, on_token)
        self.sessions.add_turn(session_id, question, standalone, answer.to_json())
        return answer

    def _answer(
        self, question: str, hits: list[SearchHit], session_id: str, on_token: TokenSink | None
    ) -> Answer:
        rewriter = MarkerRewriter(set(range(1, len(hits) + 1)))
        sink = _rewriting(on_token, rewriter) if on_token else None
        draft = self._generate(question, hits, sink, rewriter)
        if sink is not None and on_token is not None:
            tail = rewriter.flush()
            if tail:
                on_token(tail)
        if not draft.grounded or not hits:
            return self._refusal(question, hits, session_id, draft.generator, on_token, draft.note)
        text, citations = build_citations(
            draft, hits, document_text=self.store.get_document_text,
            streamed=rewriter if sink is not None else None,
        )
        if not citations:
            return self._refusal(question, hits, session_id, draft.generator, on_token, draft.note)
        if draft.note:
            text = f"{draft.note}\n\n{text}"
        return Answer(text, citations, session_id, question, True, draft.generator)

    def _generate(
        self, question: str, hits: list[SearchHit], sink: TokenSink | None, rewriter: MarkerRewriter
    ) -> Draft:
        if not hits:
            return Draft(REFUSAL, grounded=False, generator=self.generator.name)
        try:
            return self.generator.generate(question, hits, on_token=sink)
        except GeneratorUnavailableError as exc:
            logger.warning("generator %s failed (%s); falling back to extractive", self.generator.name, exc)
            # A stream may have broken after citing: the fallback's markers are numbered afresh.
            rewriter.restart()
            if sink is not None:
                sink(FALLBACK_NOTE + "\n\n")
        draft = self.fallback.generate(question, hits, on_token=sink)
        draft.note = FALLBACK_NOTE
        return draft

    def _refusal(
        self,
        question: str,
        hits: list[SearchHit],
        session_id: str,
        generator: str,
        on_token: TokenSink | None,
        note: str | None,
    ) -> Answer:
        titles: list[str] = []
        for hit in hits:
            if hit.title not in titles:
                titles.append(hit.title)
        suggestions = titles[: self._suggest_k]
        text = REFUSAL
        if suggestions:
            text += " Closest documents: " + "; ".join(f"“{t}”" for t in suggestions) + "."
        if note:
            text = f"{note}\n\n{text}"
        if on_token is not None:
            on_token(text.removeprefix(f"{note}\n\n") if note else text)
        return Answer(text, [], session_id, question, False, generator, suggestions)


def _rewriting(on_token: TokenSink, rewriter: MarkerRewriter) -> TokenSink:
    """Renumber markers in streamed tokens exactly as the final answer will."""

    def sink(text: str) -> None:
        out = rewriter.feed(text)
        if out:
            on_token(out)

    return sink
