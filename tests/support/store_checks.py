"""Reading a real store back to check the promises ingest makes about it."""

from __future__ import annotations

from collections import defaultdict

from vectorstore.records import DocumentRecord
from vectorstore.store import ChromaStore, StoredChunk


def chunks_by_doc(store: ChromaStore) -> dict[str, list[StoredChunk]]:
    """Every stored chunk grouped by its ``doc_id`` and sorted by ``chunk_index``."""
    grouped: dict[str, list[StoredChunk]] = defaultdict(list)
    for chunk in store.iter_chunks():
        grouped[str(chunk.metadata["doc_id"])].append(chunk)
    for chunks in grouped.values():
        chunks.sort(key=lambda c: int(c.metadata["chunk_index"]))
    return dict(grouped)


def records_by_locator(store: ChromaStore) -> dict[str, DocumentRecord]:
    return {r.locator: r for r in store.list_documents()}


def store_problems(store: ChromaStore) -> list[str]:
    """What breaks the store's invariants; empty when every record and chunk agree.

    - every chunk belongs to a non-duplicate record and to that record's current content hash;
    - every such record has exactly ``record.chunks`` chunks, indexed 0..n-1;
    - every chunk's text is ``document_text[start:end]`` of its record's stored text;
    - every duplicate record points at an original that still holds the same text.
    """
    problems: list[str] = []
    records = {r.doc_id: r for r in store.list_documents()}
    grouped = chunks_by_doc(store)
    for doc_id, chunks in grouped.items():
        record = records.get(doc_id)
        if record is None or record.duplicate_of is not None:
            problems.append(f"{len(chunks)} chunks of {doc_id} have no (original) record")
            continue
        stale = [c.chunk_id for c in chunks if c.metadata.get("content_hash") != record.content_hash]
        if stale:
            problems.append(f"{doc_id}: chunks of another version: {stale}")
    for doc_id, record in records.items():
        if record.duplicate_of is not None:
            original = records.get(record.duplicate_of)
            if original is None or original.content_hash != record.content_hash:
                problems.append(f"{doc_id} ({record.locator}) copies text its original no longer has")
            continue
        chunks = [c for c in grouped.get(doc_id, []) if c.metadata.get("content_hash") == record.content_hash]
        indexes = [int(c.metadata["chunk_index"]) for c in chunks]
        if indexes != list(range(record.chunks)):
            problems.append(f"{record.locator}: chunk indexes {indexes}, record says {record.chunks}")
        text = store.get_document_text(doc_id) or ""
        for c in chunks:
            if text[int(c.metadata["start"]) : int(c.metadata["end"])] != c.text:
                problems.append(f"{c.chunk_id}: text is not the record's text[start:end]")
    return problems


def incomplete_documents(store: ChromaStore) -> list[str]:
    """Records whose own version is not fully stored (the promise a crash must never break).

    Stray chunks of another version are allowed here: the next run's sweep removes them.
    """
    grouped = chunks_by_doc(store)
    problems = []
    for record in store.list_documents():
        if record.duplicate_of is not None:
            continue
        own = [c for c in grouped.get(record.doc_id, [])
               if c.metadata.get("content_hash") == record.content_hash]
        if sorted(int(c.metadata["chunk_index"]) for c in own) != list(range(record.chunks)):
            problems.append(f"{record.locator}: {len(own)} of {record.chunks} chunks of its recorded version")
    return problems
