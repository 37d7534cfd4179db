"""Markdown and plain text: metadata from front matter, `Key: value` lines, the heading or a dateline."""

from __future__ import annotations

import re

import yaml

from ingest.dates import find_written_date, normalise_date
from ingest.document import LoadedDocument
from ingest.errors import LoaderError

_FIELD = re.compile(
    r"^\s*(?:\*\*)?(published|date|source|outlet|publisher|author|by|url|link)(?:\*\*)?"
    r"\s*:\s*(?:\*\*)?\s*(.+?)\s*$",
    re.I,
)
_KEYS = {
    "published": "published",
    "date": "published",
    "source": "source",
    "outlet": "source",
    "publisher": "source",
    "author": "author",
    "by": "author",
    "url": "url",
    "link": "url",
}
_DATELINE = re.compile(r"^[A-Z][A-Z .,'’-]{2,40},\s+[^()\n]{4,40}?\((?P<outlet>[^)]{2,60})\)\s*[—–-]")
_HEADER_LINES = 12


def decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), falling back to cp1252 so legacy files still load."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LoaderError(f"{name}: not a text file (cannot decode as UTF-8): convert it to UTF-8")


def _front_matter(text: str) -> tuple[dict[str, object], str]:
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---", 4)
    if end < 0:
        return {}, text
    try:
        data = yaml.safe_load(text[4:end])
    except yaml.YAMLError:
        return {}, text
    if not isinstance(data, dict):
        return {}, text
    return {str(k).lower(): v for k, v in data.items()}, text[end + 4 :].lstrip("\n")


def _header_fields(lines: list[str]) -> tuple[dict[str, str], set[int]]:
    """`Published: ...` style lines near the top; returns the fields and the line numbers used."""
    fields: dict[str, str] = {}
    used: set[int] = set()
    for number, line in enumerate(lines[:_HEADER_LINES]):
        match = _FIELD.match(line)
        if match:
            key = _KEYS[match.group(1).lower()]
            fields.setdefault(key, match.group(2).strip("<>* "))
            used.add(number)
    return fields, used


def _title_line(lines: list[str], *, markdown: bool) -> int | None:
    for number, line in enumerate(lines[:_HEADER_LINES]):
        stripped = line.strip()
        if not stripped:
            continue
        if markdown and re.match(r"^#\s+\S", stripped):
            return number
        if not markdown and len(stripped) <= 200 and not stripped.endswith((".", ":")):
            return number
        return None
    return None


def fallback_title(body: str, *, max_words: int = 12) -> str:
    """When a text states no title, its opening words describe it better than a file name."""
    first = body.split("\n", 1)[0].split()
    return " ".join(first[:max_words]) + ("…" if len(first) > max_words else "")


def load_text(data: bytes, *, locator: str, fmt: str, path: str | None = None) -> LoadedDocument:
    """Load a `.md` or `.txt` document, taking metadata from what the text itself states."""
    text = decode(data, locator).replace("\r\n", "\n").replace("\r", "\n")
    meta, text = _front_matter(text) if fmt == "md" else ({}, text)
    lines = text.split("\n")
    fields, used = _header_fields(lines)
    title_at = _title_line(lines, markdown=fmt == "md")
    title = str(meta.get("title") or "")
    if title_at is not None:
        title = title or lines[title_at].lstrip("# ").strip()
        used.add(title_at)
    body = "\n".join(line for n, line in enumerate(lines) if n not in used).strip()
    if not body:
        raise LoaderError(f"{locator}: the file has no text: add content or remove the file")
    head = body[:400]
    dateline = _DATELINE.match(head)
    published = normalise_date(meta.get("date") or meta.get("published") or fields.get("published"))
    return LoadedDocument(
        text=body,
        title=title or fallback_title(body),
        format=fmt,
        locator=locator,
        url=str(meta.get("url") or fields.get("url") or "") or None,
        source=str(meta.get("source") or fields.get("source") or "") or (
            dateline.group("outlet").strip() if dateline else None
        ),
        author=str(meta.get("author") or fields.get("author") or "") or None,
        published=published or (find_written_date(head[:200]) if dateline or fmt == "txt" else None),
        path=path,
    )
