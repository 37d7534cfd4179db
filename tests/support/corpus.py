"""Tiny generated articles, so ingest tests embed a handful of chunks, not a corpus."""

from __future__ import annotations

from pathlib import Path

TOPICS = {
    "canal": "The canal authority added four daily transit slots after heavy rains refilled the lake.",
    "steel": "Canada raised tariffs on hot-rolled coil to 25% and set a quota for trade partners.",
    "magnets": "Magnet makers waited for rare-earth export licences as approvals trickled out.",
    "chips": "Export controls now cover fourteen categories of advanced chip packaging tools.",
    "plywood": "A trade panel ruled against anti-dumping duties on hardwood plywood imports.",
    "freight": "Container spot rates rose sharply as carriers kept diverting ships around the Cape.",
}


def article_text(topic: str, *, title: str | None = None, source: str = "Test Wire",
                 published: str = "2026-03-12", extra: str = "") -> str:
    """A short Markdown article with a heading and `Published:`/`Source:` lines."""
    body = TOPICS[topic]
    return (
        f"# {title or topic.capitalize() + ' report'}\n"
        f"Published: {published}\nSource: {source}\n\n"
        f"{body} Officials said the change takes effect next month. {extra}".rstrip() + "\n"
    )


def write_article(folder: Path, name: str, topic: str, **kwargs: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(article_text(topic, **kwargs), encoding="utf-8")
    return path
