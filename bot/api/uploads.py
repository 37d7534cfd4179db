"""Documents arriving over HTTP: a capped multipart upload, a URL, or inline text.

An upload is streamed to a temporary file while its bytes are counted, so a body over
BRIEFBOT_MAX_DOCUMENT_MB is refused (413) after at most that many bytes, never held in memory.
Uploaded files get the locator `upload/<file name>` and inline text `api/<title>` (or its URL),
so posting the same name again updates the document instead of adding a second one.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import AsyncGenerator, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from bot.api.errors import ApiError
from bot.api.schemas import DocumentTextIn
from ingest.dates import normalise_date
from ingest.document import LoadedDocument
from ingest.errors import LoaderError
from ingest.lock import ingest_lock
from ingest.pipeline import Failure, Ingestor, IngestReport
from ingest.sources import SUFFIXES, SourceItem

# Room for the multipart boundaries and part headers around the file itself.
MULTIPART_OVERHEAD = 64 * 1024
LOCK_WAIT_S = 30.0
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def too_large(max_bytes: int) -> ApiError:
    return ApiError(
        413,
        f"the document is larger than the {max_bytes / 1024 / 1024:g} MB limit "
        "(BRIEFBOT_MAX_DOCUMENT_MB)",
    )


def declared_length(request: Request) -> int | None:
    value = request.headers.get("content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise ApiError(400, "the Content-Length header is not a number") from exc


async def capped_body(request: Request, *, max_bytes: int) -> AsyncGenerator[bytes, None]:
    """The body chunk by chunk, refused (413) once it passes ``max_bytes`` plus the envelope.

    The declared Content-Length is checked first, so an honest client is refused before it
    sends anything; the count catches chunked bodies and clients that understate the length.
    """
    limit = max_bytes + MULTIPART_OVERHEAD
    declared = declared_length(request)
    if declared is not None and declared > limit:
        raise too_large(max_bytes)
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit:
            raise too_large(max_bytes)
        yield chunk


async def read_json_body(request: Request, *, max_bytes: int) -> bytes:
    """A JSON body of at most ``max_bytes`` (plus a little envelope)."""
    return b"".join([chunk async for chunk in capped_body(request, max_bytes=max_bytes)])


def safe_name(filename: str | None) -> str:
    """The file's own name without folders or odd characters (it becomes part of the locator)."""
    name = Path((filename or "").replace("\\", "/")).name
    name = _UNSAFE.sub("_", name).strip(" .")
    return name[:200]


def check_type(name: str) -> None:
    if not name or Path(name).suffix.lower() not in SUFFIXES:
        kinds = ", ".join(sorted(SUFFIXES))
        shown = Path(name).suffix or "(none)"
        raise ApiError(415, f"unsupported file type {shown!r}: upload one of {kinds}")


async def receive_upload(request: Request, *, folder: Path, max_bytes: int) -> Path:
    """Save the multipart field `file` to ``folder`` and return its path."""
    stream = capped_body(request, max_bytes=max_bytes)
    parser = MultiPartParser(request.headers, stream, max_files=1, max_fields=20)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise ApiError(400, f"malformed multipart body: {exc.message}") from exc
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ApiError(422, "the multipart body has no file field named 'file'", code="validation_error")
    try:
        name = safe_name(upload.filename)
        check_type(name)
        target = folder / "upload" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            shutil.copyfileobj(upload.file, out, length=1024 * 1024)
        if target.stat().st_size > max_bytes:
            raise too_large(max_bytes)
        return target
    finally:
        await upload.close()


def text_document(body: DocumentTextIn) -> LoadedDocument:
    """Inline text as a loaded document, with exactly the metadata the caller gave."""
    text = body.text.replace("\r\n", "\n").strip()
    if not text:
        raise ApiError(422, "text: the text is empty", code="validation_error")
    return LoadedDocument(
        text=text,
        title=body.title.strip(),
        format="txt",
        locator=f"api/{body.title.strip()}",
        url=str(body.url) if body.url else None,
        source=(body.source or "").strip() or None,
        author=(body.author or "").strip() or None,
        published=normalise_date(body.published),
    )


@dataclass
class DocumentIngest:
    """Ingests one request's documents under the data directory's ingest lock."""

    ingestor: Ingestor
    data_dir: Path

    def documents(self, loaded: Iterable[LoadedDocument | LoaderError]) -> IngestReport:
        with ingest_lock(self.data_dir, wait_s=LOCK_WAIT_S):
            started = time.perf_counter()
            report = IngestReport()
            for doc in loaded:
                if isinstance(doc, LoaderError):
                    report.failed.append(Failure(str(doc).split(": ", 1)[0], str(doc)))
                    continue
                self.ingestor.ingest_document(replace(doc, path=None), report, dry_run=False)
            if report.changed:
                self.ingestor.store.bump_revision()
            report.seconds = time.perf_counter() - started
            return report

    def file(self, path: Path) -> IngestReport:
        """A saved upload, known by its file name (not by where it was saved)."""
        item = SourceItem(str(path), f"upload/{path.name}")
        return self.documents(list(self.ingestor.loader.load(item)))

    def url(self, url: str) -> IngestReport:
        with ingest_lock(self.data_dir, wait_s=LOCK_WAIT_S):
            return self.ingestor.run([url])

    def text(self, body: DocumentTextIn) -> IngestReport:
        return self.documents([text_document(body)])
