"""Article URLs and RSS/Atom feeds, fetched for real from a loopback web server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from support.documents import article_html, atom_feed, rss_feed
from support.page_server import PageServer
from support.store_checks import records_by_locator, store_problems

from bot.services import Services
from vectorstore.records import DocumentRecord

MakeServices = Callable[..., Services]

FULL_ONLY = "Only the full article says that carriers added eleven ships to the loop."
ARTICLE = [
    "Container spot rates between Shanghai and Rotterdam rose 31% in four weeks to $4,350.",
    "Carriers kept routing ships around the Cape of Good Hope, adding ten days to each voyage.",
    FULL_ONLY,
]


def _serve_article(page_server: PageServer, path: str = "/shipping/red-sea.html", **overrides: str) -> str:
    fields = {"title": "Red Sea diversions lift container rates", "site": "Tidewater Freight Journal",
              "published": "2026-05-18T07:30:00Z", **overrides}
    return page_server.add(path, article_html(paragraphs=ARTICLE, **fields))


def _by_title(services: Services) -> dict[str, DocumentRecord]:
    return {r.title: r for r in services.store.list_documents()}


def _text(services: Services, record: DocumentRecord) -> str:
    return services.store.get_document_text(record.doc_id) or ""


def test_article_url_is_ingested_with_the_pages_metadata(services: Services, page_server: PageServer) -> None:
    url = _serve_article(page_server)

    report = services.ingestor.run([url])

    record = _by_title(services)["Red Sea diversions lift container rates"]
    assert (report.added, report.failed) == (1, [])
    assert (record.source, record.url, record.format) == ("Tidewater Freight Journal", url, "html")
    assert record.published is not None and record.published.startswith("2026-05-18")
    assert FULL_ONLY in _text(services, record)
    assert "Subscribe" not in _text(services, record)


def test_canonical_link_is_the_documents_url(services: Services, page_server: PageServer) -> None:
    canonical = "https://tidewaterfreight.example/shipping/2026/05/red-sea"
    url = _serve_article(page_server, canonical=canonical)

    services.ingestor.run([url + "?utm_source=newsletter"])

    assert [r.url for r in services.store.list_documents()] == [canonical]


def test_reingesting_an_unchanged_url_embeds_nothing(services: Services, page_server: PageServer) -> None:
    url = _serve_article(page_server)
    services.ingestor.run([url])
    embedded = services.embedder.embedded_count

    report = services.ingestor.run([url])

    assert (report.unchanged, report.added, services.embedder.embedded_count) == (1, 0, embedded)


def test_redirected_url_is_followed_to_the_article(services: Services, page_server: PageServer) -> None:
    target = _serve_article(page_server)
    moved = page_server.add("/old-link", "", status=301, content_type="text/plain",
                            headers={"Location": "/shipping/red-sea.html"})

    report = services.ingestor.run([moved])

    assert report.added == 1
    assert [r.url for r in services.store.list_documents()] == [target]


def test_private_addresses_are_refused_unless_allowed(
    make_services: MakeServices, page_server: PageServer
) -> None:
    services = make_services(BRIEFBOT_ALLOW_PRIVATE_URLS=False)
    url = _serve_article(page_server)

    report = services.ingestor.run([url])

    assert len(report.failed) == 1
    assert "BRIEFBOT_ALLOW_PRIVATE_URLS" in report.failed[0].error
    assert page_server.requests == []


def test_feed_entries_are_ingested_as_full_articles(services: Services, page_server: PageServer) -> None:
    link = _serve_article(page_server, site="Tidewater Freight Journal")
    feed = page_server.add("/feed.rss", rss_feed(title="Freight Wire feed", items=[{
        "title": "Rates climb", "link": link, "description": "Rates rose again.",
        "pubDate": "Mon, 18 May 2026 07:30:00 GMT"}]), content_type="application/rss+xml")

    report = services.ingestor.run([feed])

    record = _by_title(services)["Red Sea diversions lift container rates"]
    assert (report.added, report.failed) == (1, [])
    assert FULL_ONLY in _text(services, record)
    assert (record.source, record.url) == ("Tidewater Freight Journal", link)
    assert record.published is not None and record.published.startswith("2026-05-18")


def test_feed_entry_whose_link_fails_falls_back_to_the_entry_content(
    services: Services, page_server: PageServer
) -> None:
    gone = page_server.url("/shipping/removed.html")
    summary = "Panama Canal transit slots rise to 36 a day as Gatun Lake recovers from drought."
    feed = page_server.add("/feed.rss", rss_feed(title="Harbor Ledger", items=[{
        "title": "Canal adds slots", "link": gone, "description": f"<p>{summary}</p>",
        "pubDate": "Wed, 04 Mar 2026 09:00:00 GMT"}]), content_type="application/rss+xml")

    report = services.ingestor.run([feed])

    record = _by_title(services)["Canal adds slots"]
    assert (report.added, report.failed) == (1, [])
    assert _text(services, record) == summary
    assert (record.source, record.url, record.format) == ("Harbor Ledger", gone, "feed")
    assert record.published is not None and record.published.startswith("2026-03-04")
    assert page_server.requested("/shipping/removed.html") == 1


def test_feed_mixes_fetched_articles_and_fallbacks(services: Services, page_server: PageServer) -> None:
    link = _serve_article(page_server)
    feed = page_server.add("/feed.rss", rss_feed(title="Wire", items=[
        {"title": "Rates climb", "link": link, "description": "Short teaser."},
        {"title": "Canal adds slots", "link": page_server.url("/gone"),
         "description": "The canal adds four daily transit slots after the rains."},
    ]), content_type="application/rss+xml")

    report = services.ingestor.run([feed])

    assert (report.added, report.failed) == (2, [])
    assert set(_by_title(services)) == {"Red Sea diversions lift container rates", "Canal adds slots"}
    assert store_problems(services.store) == []


def test_atom_feed_entries_are_ingested(services: Services, page_server: PageServer) -> None:
    link = _serve_article(page_server)
    feed = page_server.add("/atom.xml", atom_feed(title="Freight Atom", entries=[{
        "title": "Rates climb", "link": link, "updated": "2026-05-18T07:30:00Z", "summary": "Teaser."}]),
        content_type="application/atom+xml")

    report = services.ingestor.run([feed])

    assert (report.added, report.failed) == (1, [])
    assert FULL_ONLY in _text(services, _by_title(services)["Red Sea diversions lift container rates"])


def test_feed_file_fetches_its_entries_articles(
    services: Services, page_server: PageServer, tmp_path: Path
) -> None:
    link = _serve_article(page_server)
    feed = tmp_path / "feeds" / "freight.xml"
    feed.parent.mkdir()
    feed.write_text(rss_feed(title="Freight Wire", items=[{"title": "Rates climb", "link": link}]))

    report = services.ingestor.run([str(feed)])

    assert (report.added, report.failed) == (1, [])
    assert records_by_locator(services.store)[link].url == link
