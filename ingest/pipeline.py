"""The idempotent ingest pipeline.

For each document: unchanged text (same content hash) is skipped before any embedding; the
same text under a second id is recorded as a duplicate; a new or changed document gets its new
chunks written first, then its record, then its old chunks deleted. The record is the commit
point, so a process killed at any step leaves either the old version or the new one complete,
and the next run finishes the job. A final sweep removes chunks no record accounts for. A
duplicate whose original changes or is pruned gets chunks of its own, so its text never vanishes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from ingest.chunk import ChunkPlan, split_text
from ingest.document import LoadedDocument
from ingest.errors import LoaderError
from ingest.sources import SourceItem, SourceLoader, expand
from vectorstore.embedder import Embedder
from vectorstore.records import DocumentRecord
from vectorstore.store import ChromaStore

logger = logging.getLogger(__name__)

Outcome = Literal["added", "updated", "unchanged", "duplicates"]
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


def _count(report: IngestReport, outcome: Outcome) -> Outcome:
    setattr(report, outcome, getattr(report, outcome) + 1)
    return outcome


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
        copies: list[tuple[LoadedDocument, Outcome]] = []
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
                report.doc_ids.append(loaded.doc_id)
                outcome, is_copy = self._place(loaded, report, dry_run=dry_run)
                if is_copy:
                    copies.append((loaded, outcome))
                if ids is not None:
                    ids.add(loaded.doc_id)
            if ids is not None and not item.is_url:
                produced[item.target] = ids
        if prune:
            report.pruned = self.prune(sources, produced=produced, dry_run=dry_run)
        if not dry_run:
            self._settle_copies(copies, report)
            swept = self.store.sweep_orphans()
            if swept:
                logger.warning("removed %d orphan chunks left by an interrupted ingest", swept)
            if report.changed or swept:
                self.store.bump_revision()
        report.seconds = time.perf_counter() - started
        return report

    def ingest_document(self, doc: LoadedDocument, report: IngestReport, *, dry_run: bool) -> Outcome:
        """Add, replace, skip or record as duplicate one loaded document; returns which it was."""
        report.doc_ids.append(doc.doc_id)
        return self._place(doc, report, dry_run=dry_run)[0]

    def _place(
        self, doc: LoadedDocument, report: IngestReport, *, dry_run: bool
    ) -> tuple[Outcome, bool]:
        """Store one document; returns the outcome counted and whether it is now a copy."""
        doc_id, content_hash = doc.doc_id, doc.content_hash
        existing = self.store.get_document(doc_id)
        if (
            existing is not None
            and existing.content_hash == content_hash
            and (existing.fingerprint or doc.fingerprint) == doc.fingerprint
            and self._backed(existing)
        ):
            return _count(report, "unchanged"), existing.duplicate_of is not None
        original = self.store.find_by_hash(content_hash)
        if original is not None and original.doc_id != doc_id:
            if not dry_run:
                self._record_duplicate(doc, original)
            return _count(report, "duplicates"), True
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
            # The record is the commit point: written before the old version's chunks go, so a
            # crash in between leaves a complete new version plus stale chunks the sweep removes.
            self.store.put_document(record, doc.text)
            if existing is not None:  # a new document's leftovers (a killed run) go in the sweep
                self.store.delete_stale_chunks(doc_id, content_hash)
        report.chunks += len(chunks)
        return _count(report, "added" if existing is None else "updated"), False

    def _backed(self, record: DocumentRecord) -> bool:
        """An original stands alone; a copy only while its original still holds the same text."""
        if record.duplicate_of is None:
            return True
        original = self.store.get_document(record.duplicate_of)
        return (
            original is not None
            and original.duplicate_of is None
            and original.content_hash == record.content_hash
        )

    def _settle_copies(self, copies: list[tuple[LoadedDocument, Outcome]], report: IngestReport) -> None:
        """Copies whose original this run changed or pruned get chunks of their own.

        Otherwise the copy's text would vanish from the store while its file is still there.
        """
        for doc, counted in copies:
            record = self.store.get_document(doc.doc_id)
            if record is not None and self._backed(record):
                continue
            setattr(report, counted, getattr(report, counted) - 1)
            self._place(doc, report, dry_run=False)

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
            fingerprint=doc.fingerprint,
        )

    def _record_duplicate(self, doc: LoadedDocument, original: DocumentRecord) -> None:
        """Keep a record (so prune and listing know the file) but no chunks of its own."""
        logger.info("%s duplicates %s; not embedded again", doc.locator, original.doc_id)
        self.store.put_document(self._record(doc, chunks=0, duplicate_of=original.doc_id), doc.text)
        self.store.delete_stale_chunks(doc.doc_id, doc.content_hash)

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
