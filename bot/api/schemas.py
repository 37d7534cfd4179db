"""Request and response models of the HTTP API (the shapes DESIGN.md fixes, checked by pydantic).

Requests reject what they do not know where a typo would silently change the result (filters);
the OpenAI-compatible request ignores extra fields, since real clients send many we do not use.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, StringConstraints

from vectorstore.records import SearchFilters

MAX_QUESTION_CHARS = 4000
Question = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_QUESTION_CHARS)
]


class FiltersIn(BaseModel):
    """Retrieval filters; unknown fields are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")

    sources: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(
        None, max_length=50, description="Only these outlets (case-insensitive)."
    )
    published_after: date | None = Field(None, description="Only documents published on or after.")
    published_before: date | None = Field(None, description="Only documents published on or before.")

    def to_filters(self) -> SearchFilters:
        return SearchFilters(
            sources=tuple(s.strip() for s in self.sources or () if s.strip()),
            published_after=self.published_after,
            published_before=self.published_before,
        )


def filters_of(filters: FiltersIn | None) -> SearchFilters | None:
    return filters.to_filters() if filters is not None else None


class AskRequest(BaseModel):
    """A question, optionally continuing a session and narrowed by filters."""

    model_config = ConfigDict(extra="forbid")

    question: Question = Field(
        description="The question, 1 to 4000 characters.",
        examples=["How many daily transit slots will the Panama Canal offer?"],
    )
    session_id: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        None, description="Continue this session: follow-ups are rewritten using its history."
    )
    filters: FiltersIn | None = None
    stream: bool = Field(False, description="Answer as server-sent events (token, citations, done).")


class CitationOut(BaseModel):
    """One numbered source; `quote` is verbatim text of the stored document."""

    n: int
    doc_id: str
    title: str
    url: str | None
    source: str | None
    published: str | None
    quote: str


class AnswerOut(BaseModel):
    """The Answer JSON: text with [n] markers and the citations they point to."""

    answer: str
    citations: list[CitationOut]
    session_id: str
    standalone_question: str
    grounded: bool
    generator: str


class SearchRequest(BaseModel):
    """A retrieval query (no answer is generated)."""

    model_config = ConfigDict(extra="forbid")

    query: Question
    top_k: int = Field(10, ge=1, le=100)
    filters: FiltersIn | None = None


class SearchHitOut(BaseModel):
    """One ranked chunk, as `briefbot search --json` prints it."""

    rank: int
    doc_id: str
    title: str
    source: str | None
    published: str | None
    url: str | None
    chunk_index: int
    text: str
    score: float


# -- OpenAI-compatible chat --------------------------------------------------------------------


class ContentPart(BaseModel):
    """A part of a multi-part message; only text parts carry a question."""

    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(p.text for p in self.content if p.type == "text" and p.text)
        return self.content or ""


class ChatCompletionRequest(BaseModel):
    """OpenAI's chat request; the last user message is the question, earlier ones the history."""

    model_config = ConfigDict(extra="ignore")

    model: str = Field("briefbot", examples=["briefbot"])
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False
    filters: FiltersIn | None = Field(None, description="briefbot extension: retrieval filters.")


class ChatReply(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChatChoice(BaseModel):
    index: int = 0
    message: ChatReply
    finish_reason: Literal["stop"] = "stop"
    logprobs: None = None


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class ChatCompletionOut(BaseModel):
    """OpenAI's `chat.completion` object plus a top-level `citations` array and `session_id`."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    usage: Usage = Field(default_factory=Usage)
    citations: list[CitationOut]
    session_id: str


class ModelOut(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "briefbot"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelOut]


# -- documents ---------------------------------------------------------------------------------


class DocumentUrlIn(BaseModel):
    """Fetch and ingest one article URL (or every entry of a feed)."""

    model_config = ConfigDict(extra="forbid")

    url: HttpUrl


class DocumentTextIn(BaseModel):
    """Ingest text given inline; re-posting the same title (or URL) replaces the document."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, Field(min_length=1)]
    title: Annotated[str, Field(min_length=1, max_length=500)]
    url: HttpUrl | None = None
    published: str | None = Field(None, description="ISO date or datetime.")
    source: Annotated[str, Field(max_length=200)] | None = None
    author: Annotated[str, Field(max_length=200)] | None = None


DocumentJsonIn = DocumentUrlIn | DocumentTextIn


class FailureOut(BaseModel):
    source: str
    error: str


class IngestSummaryOut(BaseModel):
    """The `briefbot ingest --json` summary, plus the ids of the documents seen."""

    added: int
    updated: int
    unchanged: int
    duplicates: int
    pruned: int
    failed: list[FailureOut]
    chunks: int
    seconds: float
    doc_ids: list[str] = Field(default_factory=list)


class DocumentOut(BaseModel):
    """A document as `briefbot docs list --json` shows it."""

    doc_id: str
    title: str
    source: str | None
    published: str | None
    url: str | None
    chunks: int
    duplicate_of: str | None = None


class DocumentDetailOut(DocumentOut):
    """One document's full record and its cleaned text."""

    author: str | None
    format: str
    locator: str
    ingested_at: str
    content_hash: str
    text: str | None


class DeletedOut(BaseModel):
    doc_id: str
    deleted: bool = True


# -- sessions and feedback ---------------------------------------------------------------------


class TurnOut(BaseModel):
    turn: int
    question: str
    standalone_question: str
    answer: dict[str, Any]


class SessionOut(BaseModel):
    session_id: str
    turns: list[TurnOut]


class FeedbackIn(BaseModel):
    """A rating of one answer (a turn of a session)."""

    model_config = ConfigDict(extra="forbid")

    session_id: Annotated[str, Field(min_length=1, max_length=200)]
    turn: int = Field(ge=1)
    rating: Literal["up", "down"]
    comment: Annotated[str, Field(max_length=4000)] | None = None


class FeedbackOut(BaseModel):
    session_id: str
    turn: int
    rating: Literal["up", "down"]
    recorded: bool = True


# -- health and errors -------------------------------------------------------------------------


class HealthOut(BaseModel):
    status: Literal["ok"] = "ok"


class ReadyOut(BaseModel):
    status: Literal["ready"] = "ready"
    store: str
    model: str
    chunks: int


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    """Every error: `{"error": {"code", "message"}}`, never a stack trace."""

    error: ErrorBody
