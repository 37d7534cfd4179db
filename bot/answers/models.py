"""Answers and citations, in the JSON shapes fixed by DESIGN.md."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from vectorstore.records import SearchHit


@dataclass(frozen=True)
class Citation:
    """One numbered source; ``quote`` is verbatim text of the stored document."""

    n: int
    doc_id: str
    title: str
    url: str | None
    source: str | None
    published: str | None
    quote: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def source_line(self) -> str:
        """`[1] Title, Source, 2026-03-12, URL`, leaving out what is unknown."""
        parts = [self.title, self.source, (self.published or "")[:10] or None, self.url]
        return f"[{self.n}] " + ", ".join(p for p in parts if p)


@dataclass
class Answer:
    """What every edge returns: text with [n] markers and the citations they point to."""

    answer: str
    citations: list[Citation]
    session_id: str
    standalone_question: str
    grounded: bool
    generator: str
    suggestions: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "citations": [c.to_json() for c in self.citations],
            "session_id": self.session_id,
            "standalone_question": self.standalone_question,
            "grounded": self.grounded,
            "generator": self.generator,
        }

    def sources_text(self) -> str:
        return "\n".join(c.source_line() for c in self.citations)


@dataclass(frozen=True)
class Claim:
    """A generator's output unit: text and the passage numbers (1-based, as given) it cites."""

    text: str
    passages: tuple[int, ...] = ()
    quote: str | None = None


@dataclass
class Draft:
    """A generator's answer before citations are checked and renumbered."""

    text: str
    grounded: bool
    generator: str
    quotes: dict[int, str] = field(default_factory=dict)
    note: str | None = None


class TokenSink(Protocol):
    def __call__(self, text: str) -> None: ...


class Generator(Protocol):
    """Turns a question and numbered passages into a draft answer with [n] markers."""

    name: str

    def generate(
        self, question: str, passages: list[SearchHit], *, on_token: TokenSink | None = None
    ) -> Draft: ...
