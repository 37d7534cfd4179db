"""`/v1/documents`: ingest (multipart upload, URL or inline text), list, show and delete."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from bot.api.deps import State
from bot.api.errors import ApiError
from bot.api.routes.ask import ERRORS
from bot.api.schemas import (
    DeletedOut,
    DocumentDetailOut,
    DocumentJsonIn,
    DocumentOut,
    DocumentTextIn,
    DocumentUrlIn,
    ErrorOut,
    IngestSummaryOut,
)
from bot.api.state import ApiState
from bot.api.uploads import DocumentIngest, read_json_body, receive_upload
from ingest.lock import ingest_lock
from ingest.pipeline import IngestReport
from vectorstore.records import DocumentRecord

router = APIRouter(tags=["documents"])
_JSON_IN: TypeAdapter[DocumentJsonIn] = TypeAdapter(DocumentJsonIn)
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "No such document."}}
_UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary",
                                        "description": ".md .txt .html .pdf .docx .jsonl or a feed"}},
            }
        },
        "application/json": {
            "schema": {"oneOf": [DocumentUrlIn.model_json_schema(),
                                 DocumentTextIn.model_json_schema()]}
        },
    },
}


def document_json(record: DocumentRecord) -> dict[str, Any]:
    return {
        "doc_id": record.doc_id, "title": record.title, "source": record.source,
        "published": record.published, "url": record.url, "chunks": record.chunks,
        "duplicate_of": record.duplicate_of,
    }


def parse_json_document(raw: bytes) -> DocumentUrlIn | DocumentTextIn:
    try:
        return _JSON_IN.validate_json(raw)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from exc


def ingest_outcome(report: IngestReport) -> dict[str, Any]:
    """The summary; a request whose only document failed is an error, not a success."""
    if report.failed and not report.doc_ids:
        raise ApiError(422, report.failed[0].error, code="ingest_failed")
    return {**report.to_json(), "doc_ids": report.doc_ids}


async def ingest_request(request: Request, state: ApiState, ingest: DocumentIngest) -> IngestReport:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    max_bytes = state.services.settings.max_document_bytes
    if content_type == "multipart/form-data":
        with tempfile.TemporaryDirectory(prefix="briefbot-upload-") as folder:
            path = await receive_upload(request, folder=Path(folder), max_bytes=max_bytes)
            return await run_in_threadpool(ingest.file, path)
    if content_type == "application/json":
        body = parse_json_document(await read_json_body(request, max_bytes=max_bytes))
        if isinstance(body, DocumentUrlIn):
            return await run_in_threadpool(ingest.url, str(body.url))
        return await run_in_threadpool(ingest.text, body)
    raise ApiError(415, "send multipart/form-data (a field named 'file') or application/json")


@router.post(
    "/v1/documents",
    response_model=IngestSummaryOut,
    openapi_extra={"requestBody": _UPLOAD_BODY},
    responses={
        413: {"model": ErrorOut, "description": "Over BRIEFBOT_MAX_DOCUMENT_MB."},
        415: {"model": ErrorOut, "description": "Unsupported file or body type."},
        **ERRORS,
    },
    summary="Ingest a document (upload, URL or inline text)",
)
async def add_document(request: Request, state: State) -> Any:
    """Ingest a multipart file upload (field `file`), JSON `{"url"}` or JSON `{"text", "title", ...}`.

    Returns the ingest summary. Unchanged content is skipped without re-embedding; posting a
    file of the same name, or text of the same title or URL, replaces the earlier version.
    """
    ingestor = await run_in_threadpool(state.ingestor)
    ingest = DocumentIngest(ingestor, state.services.settings.data_dir)
    report = await ingest_request(request, state, ingest)
    state.metrics.count_ingest(report)
    return ingest_outcome(report)


@router.get("/v1/documents", response_model=list[DocumentOut], responses={401: ERRORS[401], 503: ERRORS[503]},
            summary="List documents, newest first")
async def list_documents(state: State) -> Any:
    """Every document: id, title, outlet, date, URL and chunk count (as `briefbot docs list`)."""
    store = await run_in_threadpool(state.store)
    records = await run_in_threadpool(store.list_documents)
    return [document_json(r) for r in records]


@router.get("/v1/documents/{doc_id}", response_model=DocumentDetailOut,
            responses={**_NOT_FOUND, 401: ERRORS[401], 503: ERRORS[503]}, summary="One document")
async def get_document(doc_id: str, state: State) -> Any:
    """A document's record and its full cleaned text (what citations quote from)."""
    store = await run_in_threadpool(state.store)
    record = await run_in_threadpool(store.get_document, doc_id)
    if record is None:
        raise ApiError(404, f"no document with id {doc_id!r}")
    text = await run_in_threadpool(store.get_document_text, doc_id)
    return {
        **document_json(record), "author": record.author, "format": record.format,
        "locator": record.locator, "ingested_at": record.ingested_at,
        "content_hash": record.content_hash, "text": text,
    }


@router.delete("/v1/documents/{doc_id}", response_model=DeletedOut,
               responses={**_NOT_FOUND, 401: ERRORS[401], 503: ERRORS[503]}, summary="Delete a document")
async def delete_document(doc_id: str, state: State) -> Any:
    """Remove a document's chunks and record; answers stop citing it at once."""
    store = await run_in_threadpool(state.store)

    def delete() -> bool:
        with ingest_lock(state.services.settings.data_dir, wait_s=30):
            return store.delete_document(doc_id)

    if not await run_in_threadpool(delete):
        raise ApiError(404, f"no document with id {doc_id!r}")
    return DeletedOut(doc_id=doc_id)
