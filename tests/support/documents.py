"""Real PDF, Word, HTML and feed files built on the fly, with the metadata a test asserts on."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape
from pathlib import Path


def make_pdf(path: Path, *, title: str, author: str, paragraphs: Sequence[str],
             created: datetime | None = None) -> Path:
    """A text PDF (reportlab) whose document info holds title, author and creation date."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    previous = os.environ.get("SOURCE_DATE_EPOCH")
    if created is not None:  # reportlab stamps CreationDate from this (reproducible builds)
        os.environ["SOURCE_DATE_EPOCH"] = str(int(created.replace(tzinfo=created.tzinfo or UTC).timestamp()))
    try:
        document = SimpleDocTemplate(str(path), pagesize=A4, title=title, author=author)
        style = getSampleStyleSheet()["BodyText"]
        document.build([Paragraph(escape(p), style) for p in paragraphs])
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous
    return path


def make_docx(path: Path, *, title: str, author: str, paragraphs: Sequence[str],
              table: Sequence[Sequence[str]] = (), created: datetime | None = None) -> Path:
    """A Word document with core properties, paragraphs and (optionally) a table."""
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, values in zip(grid.rows, table, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value
    props = document.core_properties
    props.title, props.author = title, author
    if created is not None:
        props.created = created
    document.save(str(path))
    return path


def article_html(*, title: str, site: str, published: str, paragraphs: Sequence[str],
                 canonical: str | None = None, author: str = "Staff Reporter") -> str:
    """An article page with the usual boilerplate around it (nav, cookie banner, related, footer)."""
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{escape(title)} | {escape(site)}</title>
<meta property="og:title" content="{escape(title)}">
<meta property="og:site_name" content="{escape(site)}">
<meta property="article:published_time" content="{published}">
<meta name="author" content="{escape(author)}">{link}
</head><body>
<div class="cookie-banner">We use cookies. Accept all cookies</div>
<nav><a href="/">Home</a> <a href="/markets">Markets</a> <a href="/subscribe">Subscribe</a></nav>
<article><h1>{escape(title)}</h1>
{body}
</article>
<aside class="related"><h2>Related articles</h2><ul><li><a href="/x">Other story</a></li></ul></aside>
<footer><p>Copyright 2026 {escape(site)}. All rights reserved.</p></footer>
</body></html>"""


def rss_feed(*, title: str, items: Sequence[dict[str, str]]) -> str:
    """RSS 2.0 with ``items`` of title/link/description/pubDate (any may be left out)."""
    entries = "\n".join(
        "<item>" + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in item.items()) + "</item>"
        for item in items
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>{escape(title)}</title><link>http://example.invalid/</link>
<description>test feed</description>
{entries}
</channel></rss>"""


def atom_feed(*, title: str, entries: Sequence[dict[str, str]]) -> str:
    """Atom 1.0 with ``entries`` of title/link/summary/updated."""
    parts = []
    for entry in entries:
        parts.append(
            "<entry>"
            f"<title>{escape(entry['title'])}</title>"
            f"<link href=\"{escape(entry['link'])}\"/>"
            f"<id>{escape(entry['link'])}</id>"
            f"<updated>{entry['updated']}</updated>"
            f"<summary>{escape(entry.get('summary', ''))}</summary>"
            "</entry>"
        )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>{escape(title)}</title>
<id>urn:test:feed</id><updated>2026-05-18T00:00:00Z</updated>
{"".join(parts)}
</feed>"""
