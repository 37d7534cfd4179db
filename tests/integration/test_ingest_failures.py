"""A bad source is reported with its reason; the rest of the batch is ingested regardless.

Each kind of bad input has its own test; the last tests check that a document which used to load
and now fails keeps its earlier, complete version in the store.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from support.corpus import TOPICS, write_article
from support.documents import make_pdf
from support.page_server import PageServer
from support.store_checks import records_by_locator, store_problems

from bot.services import Services
from ingest.fetch import Fetcher
from ingest.pipeline import Failure, Ingestor, IngestReport
from ingest.sources import SourceLoader

MakeServices = Callable[..., Services]


def _short_timeout_ingestor(services: Services, *, timeout_s: float) -> Ingestor:
    """The services' own store and model, with a fetcher that gives up after ``timeout_s``."""
    limit = services.settings.max_document_bytes
    fetcher = Fetcher(allow_private=True, timeout_s=timeout_s, max_bytes=limit)
    return Ingestor(services.store, services.embedder, SourceLoader(fetcher, limit), services.ingestor.plan)


def _only_failure(report: IngestReport) -> Failure:
    assert len(report.failed) == 1, report.failed
    return report.failed[0]


def _good_article(tmp_path: Path) -> Path:
    return write_article(tmp_path / "docs", "good.md", "steel")


def _assert_good_article_ingested(services: Services, report: IngestReport) -> None:
    assert report.added == 1
    assert "docs/good.md" in records_by_locator(services.store)
    assert report.exit_code == 1


def test_missing_path_is_reported_and_the_rest_ingested(services: Services, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "article.md"

    report = services.ingestor.run([str(missing), str(_good_article(tmp_path))])

    failure = _only_failure(report)
    assert failure.source == str(missing)
    assert "no such file or directory" in failure.error
    _assert_good_article_ingested(services, report)


def test_unsupported_extension_is_reported_and_the_rest_ingested(
    services: Services, tmp_path: Path
) -> None:
    sheet = tmp_path / "docs" / "rates.csv"
    good = _good_article(tmp_path)
    sheet.write_text("product,rate\nrebar,20%\n")

    report = services.ingestor.run([str(sheet), str(good)])

    failure = _only_failure(report)
    assert failure.source == "docs/rates.csv"
    assert "unsupported file type '.csv'" in failure.error
    assert ".md" in failure.error  # says what would work
    _assert_good_article_ingested(services, report)


def test_empty_file_is_reported_and_the_rest_ingested(services: Services, tmp_path: Path) -> None:
    good = _good_article(tmp_path)
    (good.parent / "empty.md").write_text("")

    report = services.ingestor.run([str(good.parent)])

    failure = _only_failure(report)
    assert failure.source == "docs/empty.md"
    assert "empty" in failure.error
    _assert_good_article_ingested(services, report)


def test_corrupt_pdf_is_reported_and_the_rest_ingested(services: Services, tmp_path: Path) -> None:
    good = _good_article(tmp_path)
    (good.parent / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")

    report = services.ingestor.run([str(good.parent)])

    failure = _only_failure(report)
    assert failure.source == "docs/broken.pdf"
    assert "not a readable PDF" in failure.error
    _assert_good_article_ingested(services, report)


def test_file_over_the_size_limit_is_reported_and_the_rest_ingested(
    make_services: MakeServices, tmp_path: Path
) -> None:
    services = make_services(BRIEFBOT_MAX_DOCUMENT_MB=0.001)  # 1,048 bytes
    good = _good_article(tmp_path)
    assert good.stat().st_size < 1000
    (good.parent / "huge.md").write_text("# Huge\n\n" + "Tariffs rose again. " * 200)

    report = services.ingestor.run([str(good.parent)])

    failure = _only_failure(report)
    assert failure.source == "docs/huge.md"
    assert "limit (BRIEFBOT_MAX_DOCUMENT_MB)" in failure.error
    _assert_good_article_ingested(services, report)


def test_html_page_without_article_text_is_reported_and_the_rest_ingested(
    services: Services, tmp_path: Path
) -> None:
    good = _good_article(tmp_path)
    (good.parent / "index.html").write_text(
        "<html><head><title>Home</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/markets'>Markets</a> <a href='/trade'>Trade</a></nav>"
        "<footer><p>Copyright 2026 Example Wire. All rights reserved.</p></footer></body></html>"
    )

    report = services.ingestor.run([str(good.parent)])

    failure = _only_failure(report)
    assert failure.source == "docs/index.html"
    assert "no article text" in failure.error
    _assert_good_article_ingested(services, report)


def test_jsonl_bad_line_is_reported_by_line_number_and_the_other_lines_ingested(
    services: Services, tmp_path: Path
) -> None:
    wire = tmp_path / "docs" / "wire.jsonl"
    wire.parent.mkdir()
    lines = [json.dumps({"title": "Canal", "text": TOPICS["canal"]}), "{not json",
             json.dumps({"title": "Steel", "text": TOPICS["steel"]})]
    wire.write_text("\n".join(lines) + "\n")

    report = services.ingestor.run([str(wire)])

    failure = _only_failure(report)
    assert failure.source == "docs/wire.jsonl:2"
    assert "line 2 is not valid JSON" in failure.error
    assert report.added == 2
    assert {r.title for r in services.store.list_documents()} == {"Canal", "Steel"}


def test_jsonl_line_without_text_is_reported_by_line_number(services: Services, tmp_path: Path) -> None:
    wire = tmp_path / "docs" / "wire.jsonl"
    wire.parent.mkdir()
    wire.write_text(json.dumps({"title": "No body"}) + "\n" + json.dumps({"text": TOPICS["canal"]}) + "\n")

    report = services.ingestor.run([str(wire)])

    failure = _only_failure(report)
    assert failure.source == "docs/wire.jsonl:1"
    assert "line 1" in failure.error
    assert report.added == 1


def test_url_returning_404_is_reported_and_the_rest_ingested(
    services: Services, tmp_path: Path, page_server: PageServer
) -> None:
    missing = page_server.url("/news/gone.html")

    report = services.ingestor.run([missing, str(_good_article(tmp_path))])

    failure = _only_failure(report)
    assert failure.source == missing
    assert "HTTP 404" in failure.error
    _assert_good_article_ingested(services, report)


def test_url_that_times_out_is_reported_quickly_and_the_rest_ingested(
    services: Services, tmp_path: Path, page_server: PageServer
) -> None:
    ingestor = _short_timeout_ingestor(services, timeout_s=0.5)
    slow = page_server.url(page_server.slow_path)
    started = time.monotonic()

    report = ingestor.run([slow, str(_good_article(tmp_path))])

    assert time.monotonic() - started < page_server.slow_seconds  # it did not wait for the answer
    failure = _only_failure(report)
    assert failure.source == slow
    assert "timed out after 0.5 s" in failure.error
    _assert_good_article_ingested(services, report)


def test_feed_that_is_not_xml_is_reported_and_the_rest_ingested(
    services: Services, tmp_path: Path, page_server: PageServer
) -> None:
    feed = page_server.add("/feed.rss", "Sorry, our feed is down for maintenance.",
                           content_type="application/rss+xml")

    report = services.ingestor.run([feed, str(_good_article(tmp_path))])

    failure = _only_failure(report)
    assert failure.source == feed
    assert "not a valid RSS or Atom feed" in failure.error
    _assert_good_article_ingested(services, report)


def test_feed_file_that_is_not_xml_is_reported(services: Services, tmp_path: Path) -> None:
    good = _good_article(tmp_path)
    (good.parent / "feed.xml").write_text("name,link\nnot,a feed\n")

    report = services.ingestor.run([str(good.parent)])

    assert "not a valid RSS or Atom feed" in _only_failure(report).error
    _assert_good_article_ingested(services, report)


# -- an earlier version survives a failing re-ingest ----------------------------------------------


def _empty(path: Path) -> None:
    path.write_text("")


def _corrupt(path: Path) -> None:
    path.write_bytes(b"%PDF-1.4 garbage")


def _nav_only(path: Path) -> None:
    path.write_text("<html><body><nav><a href='/'>Home</a></nav><footer>Contact</footer></body></html>")


@pytest.mark.parametrize(
    ("name", "breakage"),
    [("canal.md", _empty), ("canal.pdf", _corrupt), ("canal.html", _nav_only), ("canal.pdf", _empty)],
    ids=["md-emptied", "pdf-corrupted", "html-stripped", "pdf-emptied"],
)
def test_a_document_that_now_fails_keeps_its_earlier_version(
    services: Services, tmp_path: Path, name: str, breakage: Callable[[Path], None]
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    path = docs / name
    if name.endswith(".pdf"):
        make_pdf(path, title="Canal report", author="Lucia Marin", paragraphs=[TOPICS["canal"]])
    elif name.endswith(".html"):
        paragraph = f"<p>{TOPICS['canal']} The authority expects shorter queues.</p>"
        path.write_text(f"<html><body><article><h1>Canal</h1>{paragraph * 2}</article></body></html>")
    else:
        write_article(docs, name, "canal")
    services.ingestor.run([str(docs)])
    before = records_by_locator(services.store)[f"docs/{name}"]
    breakage(path)

    report = services.ingestor.run([str(docs)], prune=True)

    assert _only_failure(report).source == f"docs/{name}"
    assert report.pruned == 0
    assert records_by_locator(services.store)[f"docs/{name}"] == before
    assert services.store.count_chunks() == before.chunks > 0
    assert store_problems(services.store) == []


def test_a_document_over_a_new_size_limit_keeps_its_earlier_version(
    make_services: MakeServices, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    docs = tmp_path / "docs"
    write_article(docs, "canal.md", "canal", extra="It will also widen the locks. " * 40)
    make_services(data).ingestor.run([str(docs)])
    strict = make_services(data, BRIEFBOT_MAX_DOCUMENT_MB=0.001)
    before = strict.store.list_documents()

    report = strict.ingestor.run([str(docs)], prune=True)

    assert "BRIEFBOT_MAX_DOCUMENT_MB" in _only_failure(report).error
    assert strict.store.list_documents() == before
    assert store_problems(strict.store) == []


def test_an_article_url_that_now_returns_404_keeps_its_earlier_version(
    services: Services, page_server: PageServer
) -> None:
    paragraph = f"<p>{TOPICS['freight']} Carriers expect the diversions to last for months.</p>"
    page = f"<html><body><article>{paragraph * 2}</article></body></html>"
    url = page_server.add("/news/freight.html", page)
    services.ingestor.run([url])
    before = services.store.list_documents()
    page_server.add("/news/freight.html", "gone", status=404, content_type="text/plain")

    report = services.ingestor.run([url])

    assert "HTTP 404" in _only_failure(report).error
    assert services.store.list_documents() == before
    assert services.store.count_chunks() == before[0].chunks > 0


def test_a_jsonl_file_with_a_new_bad_line_keeps_its_earlier_documents(
    services: Services, tmp_path: Path
) -> None:
    wire = tmp_path / "docs" / "wire.jsonl"
    wire.parent.mkdir()
    wire.write_text(json.dumps({"title": "Canal", "text": TOPICS["canal"]}) + "\n")
    services.ingestor.run([str(wire.parent)])
    before = services.store.list_documents()
    wire.write_text("{broken\n")

    report = services.ingestor.run([str(wire.parent)], prune=True)

    assert _only_failure(report).source == "docs/wire.jsonl:1"
    assert (report.pruned, services.store.list_documents()) == (0, before)
