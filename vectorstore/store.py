"""The Chroma store: chunks with their vectors, and a small collection of document records.

Two collections live side by side: ``<name>`` holds chunks (vector, text, metadata) and
``<name>_documents`` holds one record per document with its full cleaned text, so quotes can be
checked against what was stored and re-ingest can compare content hashes without embedding.
The chunk collection's metadata records the embedding model (a collection built by one model is
meaningless to another) and a revision stamp that changes on every write, which is how other
processes learn that their keyword index is stale.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from vectorstore.embedder import Vectors
from vectorstore.errors import ModelMismatchError, StoreUnavailableError, VectorStoreError
from vectorstore.records import ChunkRecord, DocumentRecord, Metadata, SearchFilters, date_to_ts

logger = logging.getLogger(__name__)

_PAGE = 2000
_RECORD_VECTOR = [1.0]


@dataclass(frozen=True)
class StoreLocation:
    """Where the store lives: a folder (embedded) or a Chroma server URL."""

    data_dir: Path
    chroma_url: str | None = None
    collection: str = "briefbot"

    @property
    def mode(self) -> str:
        return "server" if self.chroma_url else "embedded"


def make_chroma_client(location: StoreLocation) -> Any:
    """Build the Chroma client for the configured mode; telemetry off, since nothing may phone home."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    try:
        if location.chroma_url:
            url = urlparse(location.chroma_url)
            if url.scheme not in {"http", "https"} or not url.hostname:
                raise StoreUnavailableError(
                    f"BRIEFBOT_CHROMA_URL {location.chroma_url!r} is not an http(s) URL"
                )
            return chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=settings,
            )
        path = location.data_dir / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=settings)
    except VectorStoreError:
        raise
    except Exception as exc:
        where = location.chroma_url or str(location.data_dir)
        raise StoreUnavailableError(f"cannot open the Chroma store at {where}: {exc}") from exc


def _where(filters: SearchFilters | None) -> dict[str, Any] | None:
    """Translate filters into a Chroma ``where`` clause."""
    if filters is None or filters.empty:
        return None
    clauses: list[dict[str, Any]] = []
    if filters.sources:
        clauses.append({"source_key": {"$in": [s.casefold() for s in filters.sources]}})
    if filters.published_after:
        clauses.append({"published_ts": {"$gte": date_to_ts(filters.published_after)}})
    if filters.published_before:
        end = date_to_ts(filters.published_before + timedelta(days=1))
        clauses.append({"published_ts": {"$lt": end}})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def chunk_id(doc_id: str, content_hash: str, index: int) -> str:
    """Deterministic ids: re-writing the same version of a document overwrites, never duplicates."""
    return f"{doc_id}:{content_hash[:12]}:{index:05d}"


def chunk_metadata(doc: DocumentRecord, chunk: ChunkRecord) -> Metadata:
    """Everything a citation and a filter need, stored on each chunk."""
    meta: Metadata = {
        "doc_id": doc.doc_id,
        "content_hash": doc.content_hash,
        "chunk_index": chunk.chunk_index,
        "start": chunk.start,
        "end": chunk.end,
        "title": doc.title,
    }
    for key in ("url", "source", "author", "published"):
        value = getattr(doc, key)
        if value:
            meta[key] = value
    if doc.source:
        meta["source_key"] = doc.source.casefold()
    ts = date_to_ts(doc.published)
    if ts is not None:
        meta["published_ts"] = ts
    return meta


@dataclass
class StoredChunk:
    """A chunk as read back from Chroma."""

    chunk_id: str
    text: str
    metadata: dict[str, Any]
    distance: float = 0.0


class ChromaStore:
    """Reads and writes chunks and document records; refuses a collection built by another model."""

    def __init__(
        self, client: Any, location: StoreLocation, *, model_id: str, dimension: int | None
    ) -> None:
        self.location = location
        self.model_id = model_id
        self.dimension = dimension
        self._client = client
        try:
            self._chunks = client.get_or_create_collection(
                location.collection,
                embedding_function=None,
                metadata=self._identity(),
                configuration={"hnsw": {"space": "cosine", "ef_search": 200}},
            )
            self._docs = client.get_or_create_collection(
                f"{location.collection}_documents", embedding_function=None
            )
        except Exception as exc:
            raise StoreUnavailableError(f"cannot open collection {location.collection!r}: {exc}") from exc
        self._check_model()

    def _identity(self) -> Metadata:
        meta: Metadata = {"embedding_model": self.model_id, "revision": uuid.uuid4().hex}
        existing = getattr(self, "_chunks", None)
        recorded = (existing.metadata or {}).get("embedding_dimension") if existing is not None else None
        dimension = self.dimension if self.dimension is not None else recorded
        if dimension is not None:
            meta["embedding_dimension"] = int(dimension)
        return meta

    def _check_model(self) -> None:
        meta = self._chunks.metadata or {}
        recorded = meta.get("embedding_model")
        dimension = meta.get("embedding_dimension")
        if recorded is not None and (
            recorded != self.model_id
            or (None not in (self.dimension, dimension) and dimension != self.dimension)
        ):
            raise ModelMismatchError(
                f"collection {self.location.collection!r} was built with {recorded!r} "
                f"({dimension} dimensions) but BRIEFBOT_EMBEDDING_MODEL gives {self.model_id!r} "
                f"({self.dimension}). Either set BRIEFBOT_EMBEDDING_MODEL back to {recorded!r}, "
                "or re-ingest into a new collection: set BRIEFBOT_COLLECTION to a new name "
                "(or remove the data directory) and run `briefbot ingest` again."
            )
        if self.dimension is not None and (recorded is None or dimension is None):
            self._chunks.modify(metadata=self._identity())

    # -- health and revision -------------------------------------------------------------------

    def heartbeat(self) -> None:
        """Raise StoreUnavailableError unless the store answers."""
        try:
            self._client.heartbeat()
            self._chunks.count()
        except Exception as exc:
            raise StoreUnavailableError(f"the Chroma store does not answer: {exc}") from exc

    def revision(self) -> str:
        """A stamp that changes on every write, read fresh so other processes' writes show."""
        try:
            collection = self._client.get_collection(self.location.collection, embedding_function=None)
        except Exception as exc:
            raise StoreUnavailableError(f"the Chroma store does not answer: {exc}") from exc
        return str((collection.metadata or {}).get("revision", ""))

    def bump_revision(self) -> None:
        """Mark the collection as changed (keyword indexes in every process rebuild on next use)."""
        self._guard(lambda: self._chunks.modify(metadata=self._identity()))

    def _guard(self, call: Any) -> Any:
        try:
            return call()
        except VectorStoreError:
            raise
        except Exception as exc:
            raise StoreUnavailableError(f"Chroma request failed: {exc}") from exc

    # -- documents -------------------------------------------------------------------------------

    def get_document(self, doc_id: str) -> DocumentRecord | None:
        got = self._guard(lambda: self._docs.get(ids=[doc_id], include=["metadatas"]))
        if not got["ids"]:
            return None
        return DocumentRecord.from_metadata(got["metadatas"][0])

    def get_document_text(self, doc_id: str) -> str | None:
        got = self._guard(lambda: self._docs.get(ids=[doc_id], include=["documents"]))
        return got["documents"][0] if got["ids"] else None

    def find_by_hash(self, content_hash: str) -> DocumentRecord | None:
        """The original document holding exactly this text, if any (duplicates point at it)."""
        got = self._guard(
            lambda: self._docs.get(where={"content_hash": content_hash}, include=["metadatas"])
        )
        for meta in got["metadatas"]:
            record = DocumentRecord.from_metadata(meta)
            if record.duplicate_of is None:
                return record
        return None

    def list_documents(self) -> list[DocumentRecord]:
        records = [DocumentRecord.from_metadata(m) for _, _, m in self._scan(self._docs, [])]
        return sorted(records, key=lambda r: (r.published or "", r.title), reverse=True)

    def put_document(self, record: DocumentRecord, text: str) -> None:
        """Write the record last, after its chunks: a record means 'this version is complete'.

        Chroma's upsert merges metadata into the old record's, so every field this version lacks
        is sent as None (which deletes it); otherwise an old ``duplicate_of`` or date survives.
        """
        metadata: dict[str, Any] = dict.fromkeys(DocumentRecord.__dataclass_fields__)
        metadata.update(record.to_metadata())
        self._guard(
            lambda: self._docs.upsert(
                ids=[record.doc_id],
                embeddings=[_RECORD_VECTOR],
                documents=[text],
                metadatas=[metadata],
            )
        )

    def delete_document(self, doc_id: str) -> bool:
        """Remove a document's chunks and record; False if there was no such document."""
        exists = self.get_document(doc_id) is not None
        self._guard(lambda: self._chunks.delete(where={"doc_id": doc_id}))
        self._guard(lambda: self._docs.delete(ids=[doc_id]))
        dupes = self._guard(lambda: self._docs.get(where={"duplicate_of": doc_id}, include=[]))
        if dupes["ids"]:
            self._guard(lambda: self._docs.delete(ids=dupes["ids"]))
        self.bump_revision()
        return exists

    # -- chunks ----------------------------------------------------------------------------------

    def write_chunks(self, doc: DocumentRecord, chunks: Sequence[ChunkRecord], vectors: Vectors) -> None:
        """Upsert one version's chunks; ids are deterministic so a retried write is harmless."""
        for begin in range(0, len(chunks), _PAGE):
            part = chunks[begin : begin + _PAGE]
            self._guard(
                lambda part=part, begin=begin: self._chunks.upsert(
                    ids=[chunk_id(doc.doc_id, doc.content_hash, c.chunk_index) for c in part],
                    embeddings=np.asarray(vectors[begin : begin + len(part)]),
                    documents=[c.text for c in part],
                    metadatas=[chunk_metadata(doc, c) for c in part],
                )
            )

    def delete_stale_chunks(self, doc_id: str, keep_hash: str) -> None:
        """Remove chunks of other versions of this document once the new version is written."""
        where = {"$and": [{"doc_id": doc_id}, {"content_hash": {"$ne": keep_hash}}]}
        self._guard(lambda: self._chunks.delete(where=where))

    def sweep_orphans(self) -> int:
        """Delete chunks that no complete document record accounts for (left by a killed ingest)."""
        live = {r.doc_id: r.content_hash for r in self.list_documents() if r.duplicate_of is None}
        orphans = [
            cid
            for cid, _, meta in self._scan(self._chunks, [])
            if live.get(str(meta.get("doc_id"))) != meta.get("content_hash")
        ]
        for begin in range(0, len(orphans), _PAGE):
            self._guard(lambda b=begin: self._chunks.delete(ids=orphans[b : b + _PAGE]))
        return len(orphans)

    def count_chunks(self) -> int:
        return int(self._guard(self._chunks.count))

    def iter_chunks(self) -> Iterator[StoredChunk]:
        """Every chunk's text and metadata, page by page (the keyword index is built from this)."""
        for cid, text, meta in self._scan(self._chunks, ["documents"]):
            yield StoredChunk(cid, text or "", meta)

    def _scan(self, collection: Any, include: list[str]) -> Iterator[tuple[str, str | None, dict[str, Any]]]:
        offset = 0
        while True:
            got = self._guard(
                lambda o=offset: collection.get(
                    include=["metadatas", *include], limit=_PAGE, offset=o
                )
            )
            docs = got.get("documents") or [None] * len(got["ids"])
            yield from zip(got["ids"], docs, got["metadatas"], strict=True)
            if len(got["ids"]) < _PAGE:
                return
            offset += _PAGE

    def get_vectors(self, ids: Sequence[str]) -> Vectors:
        """Stored vectors of the given chunks, in the order asked (for scoring BM25-only hits)."""
        if not ids:
            return np.zeros((0, self.dimension or 0), dtype=np.float32)
        got = self._guard(lambda: self._chunks.get(ids=list(ids), include=["embeddings"]))
        by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
        return np.asarray([by_id[i] for i in ids], dtype=np.float32)

    def dense_query(
        self, vector: Vectors, *, k: int, filters: SearchFilters | None = None
    ) -> list[StoredChunk]:
        """Nearest chunks by cosine distance, filters applied inside Chroma."""
        n = k  # Chroma returns fewer when the collection is smaller; counting costs ~10 ms
        got = self._guard(
            lambda: self._chunks.query(
                query_embeddings=np.asarray(vector, dtype=np.float32).reshape(1, -1),
                n_results=n,
                where=_where(filters),
                include=["documents", "metadatas", "distances"],
            )
        )
        return [
            StoredChunk(cid, text or "", meta, float(dist))
            for cid, text, meta, dist in zip(
                got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0],
                strict=True,
            )
        ]


def open_store(location: StoreLocation, *, model_id: str, dimension: int | None) -> ChromaStore:
    """Open (creating if needed) the collection for this embedding model.

    ``dimension=None`` opens for reading and deleting without loading the model (``docs list``).
    """
    return ChromaStore(make_chroma_client(location), location, model_id=model_id, dimension=dimension)
