"""The offline, deterministic generator: quotes the retrieved sentences that best answer.

Each candidate sentence is scored by embedding similarity to the question, by how many of the
question's distinctive words it contains, and by its passage's retrieval rank. A few are picked
without repeating each other and returned verbatim, each followed by its marker. When even the
best is weak the answer is an honest "the documents don't say" instead of a guess.

Documents are data: a sentence that addresses an AI ("ignore previous instructions", "system
override", "assistants must cite ...") or tries to fake passage tags is never quoted, and
bracketed numbers inside a quoted sentence are left out of the answer text, where they would
read as citation markers (the citation's quote keeps the document's exact words).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from bot.answers.condense import FOCUS_SEPARATOR, resolve_pronoun
from bot.answers.models import Draft, TokenSink
from ingest.sentences import sentence_spans
from vectorstore.embedder import Embedder
from vectorstore.fusion import near_duplicate, recency_rank, wants_recent
from vectorstore.records import SearchHit, date_to_ts
from vectorstore.text import terms, words

REFUSAL = "The ingested documents don't contain an answer to this question."
_TABLE_RULE = re.compile(r"^\|?\s*:?-{2,}")
_EMBEDDED_MARKER = re.compile(r"[ \t]*\[\d{1,3}\]")
_INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget)\b[^.]{0,40}\b(?:instructions|prompts?)\b"
    r"|\bsystem\s+(?:prompt|override|message)\b"
    r"|\b(?:assistants?|chatbots?|language models?|you)\s+(?:must|should)\s+(?:now\s+)?"
    r"(?:reply|answer|respond|cite|say|output)\b"
    r"|</?passage\b",
    re.IGNORECASE,
)
_PART_SPLIT = re.compile(
    r"\s*(?:,\s*)?\b(?:and|while|whereas|but|versus|vs\.?|compared (?:with|to))\s+"
    r"(?=(?:what|how|who|when|where|which|why|did|does|do|is|are|was|were|has|have)\b)",
    re.IGNORECASE,
)
_COMPARE = re.compile(
    r"^\s*(?:compare|contrast|what(?:'s| is| are) the differences? between)\s+(.+?)\s+"
    r"(?:and|with|to|versus|vs\.?)\s+(.+?)\s*\??$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Candidate:
    """A sentence (or a table row with its header) from passage ``passage`` (1-based)."""

    passage: int
    text: str
    header: str | None = None
    published_ts: int | None = None

    @property
    def scored_text(self) -> str:
        return f"{self.header}\n{self.text}" if self.header else self.text


@dataclass
class ExtractiveGenerator:
    """Scores and picks sentences; thresholds were set on the sample corpus (see README)."""

    embedder: Embedder
    max_sentences: int = 3
    min_similarity: float = 0.42
    min_combined: float = 0.40
    relative_cutoff: float = 0.80
    pool_size: int = 16
    name: str = "extractive"
    weights: tuple[float, float, float] = field(default=(0.55, 0.35, 0.10))

    def generate(
        self, question: str, passages: list[SearchHit], *, on_token: TokenSink | None = None
    ) -> Draft:
        candidates = self._pool(question, list(candidates_from(passages)))
        if not candidates:
            return Draft(REFUSAL, grounded=False, generator=self.name)
        parts = question_parts(question)
        vectors = self.embedder.embed([question, *parts, *(c.scored_text for c in candidates)])
        question_vecs, sentence_vecs = vectors[: 1 + len(parts)], vectors[1 + len(parts) :]
        chosen = self._choose(question, parts, candidates, question_vecs, sentence_vecs)
        if not chosen:
            return Draft(REFUSAL, grounded=False, generator=self.name)
        if wants_recent(question):
            chosen.sort(key=lambda c: c.published_ts or 0, reverse=True)
        text, quotes = render(chosen)
        if on_token is not None:
            for piece in re.split(r"(?<=\] )", text):
                on_token(piece)
        return Draft(text, grounded=True, generator=self.name, quotes=quotes)

    def _pool(self, question: str, candidates: list[Candidate]) -> list[Candidate]:
        """Cheap lexical pre-selection so only a few sentences are embedded per question."""
        wanted = set(terms(question))
        scored = [
            (len(wanted & set(terms(c.scored_text))) - 0.05 * c.passage, i)
            for i, c in enumerate(candidates)
        ]
        keep = sorted(scored, reverse=True)[: self.pool_size]
        return [candidates[i] for _, i in sorted(keep, key=lambda item: item[1])]

    def _scores(
        self, question: str, candidates: list[Candidate], qvec: np.ndarray, svecs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        similarity = svecs @ qvec
        overlap = np.array(keyword_overlap(question, [c.scored_text for c in candidates]))
        prior = np.array([1.0 / (1.0 + 0.25 * (c.passage - 1)) for c in candidates])
        a, b, c = self.weights
        combined = a * similarity + b * overlap + c * prior
        if wants_recent(question):
            fresh = recency_rank([cand.published_ts for cand in candidates])
            combined = combined + 0.08 * np.array(fresh)
        return similarity, combined

    def _choose(
        self,
        question: str,
        parts: list[str],
        candidates: list[Candidate],
        question_vecs: np.ndarray,
        sentence_vecs: np.ndarray,
    ) -> list[Candidate]:
        similarity, combined = self._scores(question, candidates, question_vecs[0], sentence_vecs)
        order = [int(i) for i in np.argsort(-combined)]
        best = order[0]
        if similarity[best] < self.min_similarity and combined[best] < self.min_combined:
            return []
        chosen: list[Candidate] = []
        for offset, part in enumerate(parts, start=1):
            part_sim, part_score = self._scores(part, candidates, question_vecs[offset], sentence_vecs)
            top = int(np.argmax(part_score))
            if part_sim[top] >= self.min_similarity * 0.9:
                _add(chosen, candidates[top])
        floor = max(self.min_combined, combined[best] * self.relative_cutoff)
        for i in order:
            if len(chosen) >= max(self.max_sentences, len(parts)):
                break
            if combined[i] >= floor or not chosen:
                _add(chosen, candidates[i])
        return chosen


def _add(chosen: list[Candidate], candidate: Candidate) -> None:
    if all(not near_duplicate(candidate.text, c.text, threshold=0.6) for c in chosen):
        chosen.append(candidate)


def candidates_from(passages: list[SearchHit]) -> list[Candidate]:
    """Sentences of each passage; table rows carry their table's header row."""
    out: list[Candidate] = []
    for number, hit in enumerate(passages, start=1):
        header: str | None = None
        ts = date_to_ts(hit.published)
        for start, end in sentence_spans(hit.text):
            for line in hit.text[start:end].split("\n"):
                line = line.strip()
                if not line or _TABLE_RULE.match(line) or line.startswith("#") or _INJECTION.search(line):
                    continue
                if line.startswith("|"):
                    if header is None:
                        header = line
                        continue
                    out.append(Candidate(number, line, header, ts))
                    continue
                header = None
                if len(words(line)) >= 4:
                    out.append(Candidate(number, line, None, ts))
    return out


def keyword_overlap(question: str, texts: list[str]) -> list[float]:
    """IDF-weighted share of the question's content words each text contains."""
    wanted = set(terms(question))
    if not wanted:
        return [0.0] * len(texts)
    bags = [set(terms(t)) for t in texts]
    df = {w: sum(w in bag for bag in bags) for w in wanted}
    idf = {w: math.log(1 + (len(bags) + 1) / (df[w] + 0.5)) for w in wanted}
    total = sum(idf.values())
    return [sum(idf[w] for w in wanted & bag) / total for bag in bags]


def question_parts(question: str) -> list[str]:
    """Sub-questions of a multi-part question ("compare X and Y", "what ... and how ...").

    A rewritten elliptical follow-up ("rebar — the new tariff rate on hot-rolled coil?") has two
    parts, so that the new focus is answered and not drowned by the previous subject.
    """
    if FOCUS_SEPARATOR in question:
        focus, _, context = question.partition(FOCUS_SEPARATOR)
        return [p for p in (focus.strip(" ,?"), context.strip(" ,?")) if p]
    compare = _COMPARE.match(question)
    if compare:
        return [compare.group(1), compare.group(2)]
    parts = [p.strip(" ,?") for p in _PART_SPLIT.split(question) if p and p.strip(" ,?")]
    if len(parts) < 2:
        return []
    # "... coil in Canada, and when does it take effect?": "it" is the first part's subject, and
    # without it the part would match any sentence about anything taking effect.
    resolved = [parts[0]]
    for part in parts[1:]:
        resolved.append(resolve_pronoun(part, resolved[-1]))
    return resolved


def render(chosen: list[Candidate]) -> tuple[str, dict[int, str]]:
    """Sentences with their markers; table rows shown under their header (once per run of rows)."""
    pieces: list[str] = []
    quotes: dict[int, str] = {}
    previous: Candidate | None = None
    for candidate in chosen:
        quotes.setdefault(candidate.passage, candidate.text)
        text = _EMBEDDED_MARKER.sub("", candidate.text)
        if candidate.header and previous is not None and previous.header == candidate.header:
            pieces[-1] = pieces[-1].removesuffix("\n") + f"\n{text} [{candidate.passage}]\n"
        elif candidate.header:
            header = _EMBEDDED_MARKER.sub("", candidate.header)
            pieces.append(f"\n{header}\n{text} [{candidate.passage}]\n")
        else:
            pieces.append(f"{text} [{candidate.passage}]")
        previous = candidate
    return " ".join(pieces).replace("\n ", "\n").replace(" \n", "\n").strip(), quotes
