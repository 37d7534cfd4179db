"""Plain records passed between storage, ingest and the answer chain."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

Metadata = dict[str, str | int | float | bool]


@dataclass(frozen=True)
class DocumentRecord:
    """One ingested document, as recorded beside its chunks."""

    doc_id: str
    title: str
    content_hash: str
    format: str
    locator: str
    ingested_at: str
    url: str | None = None
    source: str | None = None
    author: str | None = None
    published: str | None = None
    path: str | None = None
    duplicate_of: str | None = None
    chunks: int = 0
    fingerprint: str | None = None

    def to_metadata(self) -> Metadata:
        """Chroma metadata cannot hold None, so absent fields are simply left out."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_metadata(cls, meta: dict[str, Any]) -> DocumentRecord:
        """Rebuild a record from Chroma metadata, ignoring keys this version does not know."""
        known = cls.__dataclass_fields__.keys()
        return cls(**{k: v for k, v in meta.items() if k in known})


@dataclass(frozen=True)
class ChunkRecord:
    """A slice ``text == document_text[start:end]`` plus what is embedded for it."""

    doc_id: str
    chunk_index: int
    start: int
    end: int
    text: str
    embed_text: str


@dataclass(frozen=True)
class SearchFilters:
    """Filters applied to both retrieval arms; date bounds are inclusive."""

    sources: tuple[str, ...] = ()
    published_after: date | None = None
    published_before: date | None = None

    @property
    def empty(self) -> bool:
        return not (self.sources or self.published_after or self.published_before)


@dataclass
class SearchHit:
    """A retrieved chunk with the metadata a citation needs."""

    chunk_id: str
    doc_id: str
    chunk_index: int
    text: str
    title: str
    source: str | None
    published: str | None
    url: str | None
    start: int
    end: int
    score: float = 0.0
    ranks: dict[str, int] = field(default_factory=dict)

    def to_json(self, rank: int) -> dict[str, Any]:
        """The shape of one `briefbot search --json` / `POST /v1/search` item."""
        return {
            "rank": rank,
            "doc_id": self.doc_id,
            "title": self.title,
            "source": self.source,
            "published": self.published,
            "url": self.url,
            "chunk_index": self.chunk_index,
            "text": self.text,
            "score": round(self.score, 6),
        }


def date_to_ts(value: str | date | None) -> int | None:
    """Seconds since the epoch (UTC) for an ISO date or datetime, so Chroma can range-filter it."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return int(moment.timestamp())
    if isinstance(value, date):
        return int(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp())
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return date_to_ts(parsed)
