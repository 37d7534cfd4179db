"""HTML articles: trafilatura extracts the article and drops navigation, banners and footers."""

from __future__ import annotations

import logging

import trafilatura

from ingest.dates import normalise_date
from ingest.document import LoadedDocument
from ingest.errors import LoaderError
from ingest.loaders.text import decode

logger = logging.getLogger(__name__)
_MIN_TEXT_CHARS = 80


def html_to_text(html: str) -> str:
    """Main text of an HTML fragment or page (used for feed entries too); empty if none."""
    text = trafilatura.extract(html, include_tables=True, include_comments=False, favor_recall=True)
    if text and text.strip():
        return text.strip()
    import lxml.html  # short fragments fall below trafilatura's article threshold

    try:
        return " ".join(lxml.html.fromstring(html).text_content().split())
    except (ValueError, lxml.etree.ParserError):
        return ""


def load_html(
    data: bytes, *, locator: str, url: str | None = None, path: str | None = None
) -> LoadedDocument:
    """Extract the article and the metadata the page declares (og:, JSON-LD, <time>, <title>)."""
    html = decode(data, locator)
    extracted = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_tables=True,
        include_comments=False,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    text = (getattr(extracted, "text", None) or "").strip() if extracted is not None else ""
    if len(text) < _MIN_TEXT_CHARS:
        raise LoaderError(
            f"{locator}: no article text found in the HTML page (only navigation or markup): "
            "check that the page is an article, not an index or a login page"
        )
    title = (getattr(extracted, "title", None) or "").strip()
    first, _, rest = text.partition("\n")
    if title and first.strip() == title and rest.strip():
        text = rest.strip()
    return LoadedDocument(
        text=text,
        title=title or text[:80],
        format="html",
        locator=locator,
        url=getattr(extracted, "url", None) or url,
        source=getattr(extracted, "sitename", None) or None,
        author=getattr(extracted, "author", None) or None,
        published=normalise_date(getattr(extracted, "date", None)),
        path=path,
    )
