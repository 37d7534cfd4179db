"""The loaded document: clean text plus the metadata the document itself states."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class LoadedDocument:
    """What a loader returns; ``published`` is the document's own date, never the ingest time."""

    text: str
    title: str
    format: str
    locator: str
    url: str | None = None
    source: str | None = None
    author: str | None = None
    published: str | None = None
    path: str | None = None

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def fingerprint(self) -> str:
        """Hash of the text and the metadata that is stored with every chunk and embedded.

        A corrected date or outlet changes the fingerprint but not ``content_hash``, so the
        document is re-written (and re-embedded, since title and outlet are embedded with it).
        """
        fields = (self.text, self.title, self.url, self.source, self.author, self.published)
        return hashlib.sha256("\x1f".join(f or "" for f in fields).encode("utf-8")).hexdigest()

    @property
    def doc_id(self) -> str:
        """Stable id: from the canonical URL when there is one, else from the locator."""
        key = f"url:{canonical_url(self.url)}" if self.url else f"loc:{self.locator}"
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]

    def with_fallbacks(self, **fields: str | None) -> LoadedDocument:
        """Fill only the metadata fields this document left empty."""
        missing = {k: v for k, v in fields.items() if v and not getattr(self, k)}
        return replace(self, **missing)


def canonical_url(url: str) -> str:
    """Normalise a URL for identity: no fragment, no trailing slash, lower-case scheme and host."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))
