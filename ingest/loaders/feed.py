"""RSS and Atom feeds: each entry's article is fetched in full; the entry's own content is the fallback."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import feedparser

from ingest.dates import normalise_date
from ingest.document import LoadedDocument
from ingest.errors import LoaderError
from ingest.loaders.html import html_to_text

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedEntry:
    """What a feed says about one article."""

    link: str | None
    title: str
    published: str | None
    author: str | None
    content_html: str


def looks_like_feed(data: bytes) -> bool:
    """Sniff the first bytes for an RSS or Atom root element."""
    head = data[:2048].lstrip().lower()
    return b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head


def parse_feed(data: bytes, *, locator: str) -> tuple[str | None, list[FeedEntry]]:
    """The feed's title (used as the outlet) and its entries; a non-feed is a clear error."""
    try:
        parsed = feedparser.parse(data)
    except (ValueError, LookupError) as exc:  # feedparser decoding a damaged XML declaration
        raise LoaderError(f"{locator}: not a valid RSS or Atom feed ({exc}): check the feed URL") from exc
    if not parsed.entries and (parsed.bozo or not parsed.feed):
        reason = getattr(parsed, "bozo_exception", None)
        raise LoaderError(
            f"{locator}: not a valid RSS or Atom feed ({reason or 'no entries'}): check the feed URL"
        )
    entries = []
    for entry in parsed.entries:
        content = entry.get("content") or []
        html = content[0].get("value", "") if content else entry.get("summary", "")
        published = entry.get("published") or entry.get("updated")
        entries.append(
            FeedEntry(
                link=entry.get("link"),
                title=str(entry.get("title") or "").strip(),
                published=normalise_date(published) if published else None,
                author=entry.get("author"),
                content_html=html or "",
            )
        )
    return parsed.feed.get("title"), entries


def load_feed(
    data: bytes, *, locator: str, fetch_article: Callable[[str], LoadedDocument]
) -> Iterator[LoadedDocument | LoaderError]:
    """One document per entry: the full article when it can be fetched, else the entry's content."""
    feed_title, entries = parse_feed(data, locator=locator)
    for number, entry in enumerate(entries, start=1):
        fallbacks = {
            "title": entry.title or None,
            "published": entry.published,
            "author": entry.author,
            "source": feed_title,
        }
        try:
            if not entry.link:
                raise LoaderError("the entry has no link")
            yield fetch_article(entry.link).with_fallbacks(**fallbacks)
            continue
        except LoaderError as exc:
            logger.info("feed entry %d: full article unavailable (%s); using the entry content", number, exc)
            failure = exc
        text = html_to_text(entry.content_html) if entry.content_html.strip() else ""
        if not text:
            yield LoaderError(f"{entry.link or locator}: {failure} and the feed entry has no content")
            continue
        yield LoadedDocument(
            text=text,
            title=entry.title or text[:80],
            format="feed",
            locator=entry.link or f"{locator}#{number}",
            url=entry.link,
            source=feed_title,
            author=entry.author,
            published=entry.published,
        )
