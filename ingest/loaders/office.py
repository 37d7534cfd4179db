"""PDF and Word documents: text from the pages or paragraphs, metadata from document properties."""

from __future__ import annotations

import io
import logging

from ingest.dates import normalise_date
from ingest.document import LoadedDocument
from ingest.errors import LoaderError
from ingest.loaders.text import fallback_title

logger = logging.getLogger(__name__)


def load_pdf(data: bytes, *, locator: str, path: str | None = None) -> LoadedDocument:
    """Text of every page; a PDF without a text layer (a scan) is reported, not ingested empty."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        info: dict[str, object] = dict(reader.metadata or {})
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, NotImplementedError) as exc:
        # pypdf raises NotImplementedError for a damaged or unknown stream filter name
        raise LoaderError(f"{locator}: not a readable PDF ({exc}): re-export or re-download it") from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise LoaderError(f"{locator}: the PDF has no text layer (a scan?): run OCR on it first")
    title = str(info.get("/Title") or "").strip()
    created = info.get("/CreationDate")
    return LoadedDocument(
        text=text,
        title=title or fallback_title(text),
        format="pdf",
        locator=locator,
        author=str(info.get("/Author") or "").strip() or None,
        published=_pdf_date(str(created)) if created else None,
        path=path,
    )


def _pdf_date(value: str) -> str | None:
    """PDF dates look like D:20260312101500Z; keep the calendar date."""
    digits = value.removeprefix("D:")[:8]
    if len(digits) == 8 and digits.isdigit():
        return normalise_date(f"{digits[:4]}-{digits[4:6]}-{digits[6:8]}")
    return None


def load_docx(data: bytes, *, locator: str, path: str | None = None) -> LoadedDocument:
    """Paragraphs in order, tables as Markdown rows so a table cell can still be quoted."""
    import zipfile
    import zlib

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml import etree

    try:
        document = docx.Document(io.BytesIO(data))
    except (
        PackageNotFoundError, zipfile.BadZipFile, ValueError, KeyError, OSError,
        # a damaged zip member fails while it is inflated; a damaged part while it is parsed
        zlib.error, EOFError, NotImplementedError, etree.LxmlError,
    ) as exc:
        raise LoaderError(f"{locator}: not a readable .docx file ({exc}): re-save it from Word") from exc
    blocks = [p.text.strip() for p in document.paragraphs if p.text.strip()]
    for table in document.tables:
        rows = [[cell.text.strip() for cell in row.cells] for row in table.rows]
        if rows:
            blocks.append(_markdown_table(rows))
    text = "\n\n".join(blocks)
    if not text:
        raise LoaderError(f"{locator}: the Word document has no text")
    props = document.core_properties
    return LoadedDocument(
        text=text,
        title=(props.title or "").strip() or fallback_title(text),
        format="docx",
        locator=locator,
        author=(props.author or "").strip() or None,
        published=normalise_date(props.created) if props.created else None,
        path=path,
    )


def _markdown_table(rows: list[list[str]]) -> str:
    header, *body = rows
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return "\n".join(lines)
