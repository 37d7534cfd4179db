"""Loaders as pure functions: bytes in, clean text and the document's own metadata out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.document import LoadedDocument, canonical_url
from ingest.errors import LoaderError
from ingest.loaders.feed import looks_like_feed, parse_feed
from ingest.loaders.html import load_html
from ingest.loaders.jsonl import load_jsonl
from ingest.loaders.text import load_text
from ingest.sources import SourceItem, expand

BODY = "<p>" + "Container spot rates between Shanghai and Rotterdam rose 31% in four weeks. " * 3 + "</p>"


def _page(head: str = "", before_body: str = "") -> bytes:
    return (
        f"<html><head><title>Rates climb | Tidewater</title>{head}</head><body><article>"
        f"{before_body}<h1>Rates climb</h1>{BODY}</article></body></html>"
    ).encode()


def test_html_json_ld_gives_date_outlet_and_author() -> None:
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Rates climb",
          "datePublished": "2026-05-18T07:30:00Z", "author": {"@type": "Person", "name": "Nadia Kerrigan"},
          "publisher": {"@type": "Organization", "name": "Tidewater Freight Journal"}}
    doc = load_html(_page(f'<script type="application/ld+json">{json.dumps(ld)}</script>'), locator="x")

    assert (doc.published, doc.source, doc.author) == (
        "2026-05-18", "Tidewater Freight Journal", "Nadia Kerrigan")


def test_html_time_element_gives_the_date() -> None:
    doc = load_html(_page(before_body='<time datetime="2026-04-02">2 April 2026</time>'), locator="x")

    assert doc.published == "2026-04-02"


def test_html_without_any_date_has_none() -> None:
    assert load_html(_page(), locator="x").published is None


def test_html_title_is_not_repeated_as_the_first_line_of_the_text() -> None:
    doc = load_html(_page('<meta property="og:title" content="Rates climb">'), locator="x")

    assert doc.title == "Rates climb"
    assert doc.text.startswith("Container spot rates")


def test_markdown_bold_header_fields_are_read() -> None:
    doc = load_text(
        b"# Magnets\n**Published:** March 12, 2026\n**Source:** Meridian Trade Wire\n\nBuyers wait.",
        locator="x.md", fmt="md",
    )

    assert (doc.title, doc.published, doc.source, doc.text) == (
        "Magnets", "2026-03-12", "Meridian Trade Wire", "Buyers wait.")


def test_markdown_without_header_fields_has_no_outlet_or_date() -> None:
    doc = load_text(b"# Magnets\n\nBuyers waited on March 12, 2026 for licences.", locator="x.md", fmt="md")

    assert (doc.source, doc.published) == (None, None)


def test_text_in_a_legacy_encoding_is_decoded() -> None:
    data = "Caf\u00e9 owners\n\nPrices rose at the caf\u00e9.".encode("cp1252")
    doc = load_text(data, locator="x.txt", fmt="txt")

    assert doc.text == "Prices rose at the caf\u00e9."


def test_text_with_only_a_title_is_refused() -> None:
    with pytest.raises(LoaderError, match="no text"):
        load_text(b"# Just a heading\n", locator="x.md", fmt="md")


def test_jsonl_accepts_published_at_and_uses_id_for_the_locator() -> None:
    line = {"id": "brief-7", "text": "Quota talks resumed.", "published_at": "2026-09-09T00:00:00Z"}
    [doc] = list(load_jsonl(json.dumps(line).encode(), locator="wire.jsonl"))

    assert isinstance(doc, LoadedDocument)
    assert (doc.locator, doc.published, doc.title) == (
        "wire.jsonl#brief-7", "2026-09-09", "Quota talks resumed.")


def test_jsonl_with_only_blank_lines_is_one_error() -> None:
    [error] = list(load_jsonl(b"\n \n", locator="wire.jsonl"))

    assert isinstance(error, LoaderError) and "empty" in str(error)


def test_rss_is_recognised_and_parsed() -> None:
    rss = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>'
           b"<item><title>Slots</title><link>https://x.example/a</link>"
           b"<pubDate>Wed, 04 Mar 2026 09:00:00 GMT</pubDate><description>Four slots.</description></item>"
           b"</channel></rss>")

    title, [entry] = parse_feed(rss, locator="feed")

    assert looks_like_feed(rss)
    assert (title, entry.title, entry.link, entry.content_html) == (
        "Wire", "Slots", "https://x.example/a", "Four slots.")
    assert entry.published == "2026-03-04T09:00:00+00:00"


def test_html_page_is_not_mistaken_for_a_feed() -> None:
    assert not looks_like_feed(_page())


def test_canonical_url_ignores_fragment_trailing_slash_and_host_case() -> None:
    assert canonical_url("HTTPS://News.Example/a/b/#top") == canonical_url("https://news.example/a/b")
    assert canonical_url("https://news.example/a?id=1") != canonical_url("https://news.example/a?id=2")


def test_document_id_comes_from_the_url_when_there_is_one() -> None:
    one = LoadedDocument("text", "T", "md", "docs/a.md", url="https://news.example/a/")
    other = LoadedDocument("other text", "T", "html", "https://news.example/a#x", url="https://news.example/a")
    local = LoadedDocument("text", "T", "md", "docs/a.md")

    assert one.doc_id == other.doc_id != local.doc_id


def test_folder_expansion_is_sorted_and_skips_hidden_and_unsupported_files(tmp_path: Path) -> None:
    root = tmp_path / "news"
    for name in ("b.md", "a.txt", "sub/c.html", ".hidden.md", ".git/d.md", "notes.csv"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x")

    items = list(expand([str(root)]))

    locators = [i.locator for i in items if isinstance(i, SourceItem)]
    assert locators == ["news/a.txt", "news/b.md", "news/sub/c.html"]
