"""The idempotent ingest pipeline.

For each document: unchanged text (same content hash) is skipped before any embedding; the
same text under a second id is recorded as a duplicate; a new or changed document gets its new
chunks written first, then its old chunks deleted, then its record written. The record is
the commit point, so a process killed at any step leaves either the old version or the new one,
and the next run finishes the job. A final sweep removes chunks no record accounts for.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.chunk import ChunkPlan, split_text
from ingest.document import LoadedDocument
from ingest.errors import LoaderError
from ingest.sources import SourceItem, SourceLoader, expand
from vectorstore.embedder import Embedder
from vectorstore.records import DocumentRecord
from vectorstore.store import ChromaStore

logger = logging.getLogger(__name__)

Progress = Callable[[Iterable[SourceItem | LoaderError], int], Iterator[SourceItem | LoaderError]]


@dataclass
class Failure:
    source: str
    error: str


@dataclass
class IngestReport:
    """Counts for the summary line and the ``--json`` object."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    pruned: int = 0
    failed: list[Failure] = field(default_factory=list)
    chunks: int = 0
    seconds: float = 0.0
    doc_ids: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.pruned or self.duplicates)

    def summary_line(self) -> str:
        return (
            f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}, "
            f"duplicates {self.duplicates}, failed {len(self.failed)} ({self.chunks} chunks) "
            f"in {self.seconds:.1f} s"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "duplicates": self.duplicates,
            "pruned": self.pruned,
            "failed": [{"source": f.source, "error": f.error} for f in self.failed],
            "chunks": self.chunks,
            "seconds": round(self.seconds, 3),
        }


def _source_of(error: LoaderError) -> str:
    """The 'where' part of a loader message (everything before the first ': ')."""
    return str(error).split(": ", 1)[0]


@dataclass
class Ingestor:
    """Runs ingest batches against one store with one embedder."""

    store: ChromaStore
    embedder: Embedder
    loader: SourceLoader
    plan: ChunkPlan = field(default_factory=ChunkPlan)

    def run(
        self,
        sources: list[str],
        *,
        prune: bool = False,
        dry_run: bool = False,
        progress: Progress | None = None,
    ) -> IngestReport:
        """Ingest every source; failures are collected, never raised, so the batch completes."""
        started = time.perf_counter()
        report = IngestReport()
        items = list(expand(sources))
        produced: dict[str, set[str]] = {}
        iterator = progress(items, len(items)) if progress else iter(items)
        for item in iterator:
            if isinstance(item, LoaderError):
                report.failed.append(Failure(_source_of(item), str(item)))
                continue
            ids: set[str] | None = set()
            for loaded in self.loader.load(item):
                if isinstance(loaded, LoaderError):
                    report.failed.append(Failure(_source_of(loaded) or item.locator, str(loaded)))
                    ids = None
                    continue
                self.ingest_document(loaded, report, dry_run=dry_run)
                if ids is not None:
                    ids.add(loaded.doc_id)
            if ids is not None and not item.is_url:
                produced[item.target] = ids
        if prune:
            report.pruned = self.prune(sources, produced=produced, dry_run=dry_run)
        if not dry_run:
            swept = self.store.sweep_orphans()
            if swept:
                logger.warning("removed %d orphan chunks left by an interrupted ingest", swept)
            if report.changed or swept:
                self.store.bump_revision()
        report.seconds = time.perf_counter() - started
        return report

    def ingest_document(self, doc: LoadedDocument, report: IngestReport, *, dry_run: bool) -> None:
        """Add, replace, skip or record as duplicate one loaded document."""
        doc_id, content_hash = doc.doc_id, doc.content_hash
        report.doc_ids.append(doc_id)
        existing = self.store.get_document(doc_id)
        if existing is not None and existing.content_hash == content_hash:
            report.unchanged += 1
            return
        original = self.store.find_by_hash(content_hash)
        if original is not None and original.doc_id != doc_id:
            report.duplicates += 1
            if not dry_run:
                self._record_duplicate(doc, original)
            return
        chunks = split_text(
            doc.text,
            doc_id=doc_id,
            title=doc.title,
            source=doc.source,
            token_spans=self.embedder.token_spans,
            plan=self.plan,
        )
        record = self._record(doc, chunks=len(chunks))
        if not dry_run:
            vectors = self.embedder.embed([c.embed_text for c in chunks])
            self.store.write_chunks(record, chunks, vectors)
            self.store.delete_stale_chunks(doc_id, content_hash)
            self.store.put_document(record, doc.text)
        report.chunks += len(chunks)
        if existing is None:
            report.added += 1
        else:
            report.updated += 1

    def _record(self, doc: LoadedDocument, *, chunks: int, duplicate_of: str | None = None) -> DocumentRecord:
        return DocumentRecord(
            doc_id=doc.doc_id,
            title=doc.title,
            content_hash=doc.content_hash,
            format=doc.format,
            locator=doc.locator,
            ingested_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
            url=doc.url,
            source=doc.source,
            author=doc.author,
            published=doc.published,
            path=doc.path,
            duplicate_of=duplicate_of,
            chunks=chunks,
        )

    def _record_duplicate(self, doc: LoadedDocument, original: DocumentRecord) -> None:
        """Keep a record (so prune and listing know the file) but no chunks of its own."""
        logger.info("%s duplicates %s; not embedded again", doc.locator, original.doc_id)
        self.store.delete_stale_chunks(doc.doc_id, doc.content_hash)
        self.store.put_document(self._record(doc, chunks=0, duplicate_of=original.doc_id), doc.text)

    def prune(self, sources: list[str], *, produced: dict[str, set[str]], dry_run: bool) -> int:
        """Remove documents under the given folders whose file is gone.

        Also removes documents a multi-document file (JSONL) no longer contains, but only when
        that file loaded without errors: a failing file keeps its earlier documents.
        """
        roots = [Path(s).expanduser().resolve() for s in sources if Path(s).expanduser().is_dir()]
        if not roots:
            return 0
        pruned = 0
        for record in self.store.list_documents():
            if not record.path:
                continue
            path = Path(record.path)
            if not any(path.is_relative_to(root) for root in roots):
                continue
            still_there = record.doc_id in produced.get(record.path, {record.doc_id})
            if not path.exists() or not still_there:
                pruned += 1
                if not dry_run:
                    self.store.delete_document(record.doc_id)
        return pruned
