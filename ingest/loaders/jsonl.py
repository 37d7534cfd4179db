"""JSON Lines: one document per line; a bad line fails alone, with its line number."""

from __future__ import annotations

import json
from collections.abc import Iterator

from ingest.dates import normalise_date
from ingest.document import LoadedDocument
from ingest.errors import LoaderError
from ingest.loaders.text import decode, fallback_title

_OPTIONAL = ("url", "source", "author")


_TEXT_KEYS = ("text", "body", "content")


def _body(item: object) -> str:
    """The text of a line; `body` and `content` are accepted too (common in news dumps)."""
    if not isinstance(item, dict):
        return ""
    return next((str(item[k]) for k in _TEXT_KEYS if isinstance(item.get(k), str) and item[k].strip()), "")


def load_jsonl(
    data: bytes, *, locator: str, path: str | None = None
) -> Iterator[LoadedDocument | LoaderError]:
    """Yield a document or a `LoaderError` per non-blank line, so one bad line loses nothing else."""
    text = decode(data, locator)
    seen_any = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        seen_any = True
        where = f"{locator}:{number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield LoaderError(f"{where}: line {number} is not valid JSON ({exc.msg}): fix or remove it")
            continue
        raw = _body(item)
        if not raw.strip():
            yield LoaderError(f"{where}: line {number} has no \"text\" field: each line needs one")
            continue
        body = raw.replace("\r\n", "\n").strip()
        fields = {k: str(item[k]).strip() or None for k in _OPTIONAL if item.get(k)}
        yield LoadedDocument(
            text=body,
            title=str(item.get("title") or "").strip() or fallback_title(body),
            format="jsonl",
            locator=where if not item.get("id") else f"{locator}#{item['id']}",
            published=normalise_date(item.get("published") or item.get("published_at")),
            path=path,
            **fields,
        )
    if not seen_any:
        yield LoaderError(f"{locator}: the file is empty: add one JSON object per line")
