"""Turning command-line sources (files, folders, URLs, feeds) into loaded documents."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ingest.document import LoadedDocument
from ingest.errors import LoaderError
from ingest.fetch import Fetcher
from ingest.loaders.feed import load_feed, looks_like_feed
from ingest.loaders.html import load_html
from ingest.loaders.jsonl import load_jsonl
from ingest.loaders.office import load_docx, load_pdf
from ingest.loaders.text import load_text

logger = logging.getLogger(__name__)

Loaded = LoadedDocument | LoaderError
SUFFIXES = {
    ".md": "md",
    ".markdown": "md",
    ".txt": "txt",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
    ".jsonl": "jsonl",
    ".xml": "feed",
    ".rss": "feed",
    ".atom": "feed",
}


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


@dataclass(frozen=True)
class SourceItem:
    """One thing to load: a file (with the locator it is known by) or a URL."""

    target: str
    locator: str
    is_url: bool = False


def expand(sources: list[str]) -> Iterator[SourceItem | LoaderError]:
    """Files under folders (recursively, hidden files skipped), plus URLs, in a stable order."""
    for source in sources:
        if is_url(source):
            yield SourceItem(source, source, is_url=True)
            continue
        path = Path(source).expanduser()
        if not path.exists():
            yield LoaderError(f"{source}: no such file or directory")
        elif path.is_dir():
            yield from _walk(path)
        else:
            yield SourceItem(str(path.resolve()), f"{path.resolve().parent.name}/{path.name}")


def _walk(root: Path) -> Iterator[SourceItem]:
    base = root.resolve()
    for path in sorted(base.rglob("*")):
        relative = path.relative_to(base)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if path.suffix.lower() not in SUFFIXES:
            logger.info("skipping %s: not a supported document type", relative)
            continue
        yield SourceItem(str(path), f"{base.name}/{relative.as_posix()}")


def unsupported(name: str) -> LoaderError:
    kinds = ", ".join(sorted(SUFFIXES))
    return LoaderError(f"{name}: unsupported file type {Path(name).suffix or '(none)'!r}: use one of {kinds}")


@dataclass
class SourceLoader:
    """Loads a `SourceItem` into documents, enforcing the size limit before parsing."""

    fetcher: Fetcher
    max_bytes: int

    def load(self, item: SourceItem) -> Iterator[Loaded]:
        try:
            if item.is_url:
                yield from self._load_url(item.target)
            else:
                yield from self._load_file(item)
        except LoaderError as exc:
            yield exc

    def _load_file(self, item: SourceItem) -> Iterator[Loaded]:
        path = Path(item.target)
        kind = SUFFIXES.get(path.suffix.lower())
        if kind is None:
            raise unsupported(item.locator)
        size = path.stat().st_size
        if size == 0:
            raise LoaderError(f"{item.locator}: the file is empty")
        if size > self.max_bytes:
            raise LoaderError(
                f"{item.locator}: {size / 1024 / 1024:.1f} MB is over the "
                f"{self.max_bytes / 1024 / 1024:g} MB limit (BRIEFBOT_MAX_DOCUMENT_MB)"
            )
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise LoaderError(f"{item.locator}: cannot read the file ({exc.strerror})") from exc
        yield from self._parse(data, kind, locator=item.locator, path=str(path))

    def _parse(
        self, data: bytes, kind: str, *, locator: str, path: str | None = None, url: str | None = None
    ) -> Iterator[Loaded]:
        match kind:
            case "md" | "txt":
                yield load_text(data, locator=locator, fmt=kind, path=path).with_fallbacks(url=url)
            case "html":
                yield load_html(data, locator=locator, url=url, path=path)
            case "pdf":
                yield load_pdf(data, locator=locator, path=path).with_fallbacks(url=url)
            case "docx":
                yield load_docx(data, locator=locator, path=path).with_fallbacks(url=url)
            case "jsonl":
                yield from load_jsonl(data, locator=locator, path=path)
            case "feed":
                yield from load_feed(data, locator=locator, fetch_article=self.fetch_article)
            case _:
                raise unsupported(locator)

    def fetch_article(self, url: str) -> LoadedDocument:
        """Fetch and load a single article URL (feed entries use this)."""
        for loaded in self._load_url(url, allow_feed=False):
            if isinstance(loaded, LoaderError):
                raise loaded
            return loaded
        raise LoaderError(f"{url}: no document found")

    def _load_url(self, url: str, *, allow_feed: bool = True) -> Iterator[Loaded]:
        page = self.fetcher.fetch(url)
        if not page.body.strip():
            raise LoaderError(f"{url}: the server returned an empty response")
        kind = _kind_of(page.content_type, page.body, page.url)
        if kind == "feed" and not allow_feed:
            raise LoaderError(f"{url}: is a feed, not an article")
        yield from self._parse(page.body, kind, locator=page.url, url=page.url)


def _kind_of(content_type: str, body: bytes, url: str) -> str:
    if "pdf" in content_type or body.startswith(b"%PDF"):
        return "pdf"
    if any(t in content_type for t in ("rss", "atom", "xml")) or looks_like_feed(body):
        return "feed"
    if content_type == "text/plain":
        return "txt"
    if content_type == "text/markdown":
        return "md"
    suffix = SUFFIXES.get(Path(url.split("?", 1)[0]).suffix.lower())
    return suffix if suffix in {"docx", "jsonl"} else "html"
