"""Metadata is read from what each format says: title, outlet, date, link and author."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

from support.documents import make_docx, make_pdf
from support.store_checks import chunks_by_doc, records_by_locator, store_problems

from bot.services import Services
from vectorstore.records import DocumentRecord, SearchFilters


def _ingest_one(services: Services, path: Path) -> tuple[DocumentRecord, str]:
    report = services.ingestor.run([str(path)])
    assert (report.added, report.failed) == (1, [])
    record = records_by_locator(services.store)[f"{path.parent.name}/{path.name}"]
    return record, services.store.get_document_text(record.doc_id) or ""


def test_markdown_header_lines_give_title_date_outlet_author_and_link(
    services: Services, sample_dir: Path
) -> None:
    record, text = _ingest_one(services, sample_dir / "chip-export-controls.md")

    assert record.title == "Commerce Department widens chip export controls to advanced packaging tools"
    assert record.published == "2026-01-22"
    assert record.source == "Global Tariff Monitor"
    assert record.author == "Priya Ostrander"
    assert record.url == "https://globaltariffmonitor.example/news/2026/01/chip-export-controls-packaging"
    assert record.format == "md"
    assert not re.search(r"^(Published|Source|Author|URL):", text, re.MULTILINE)
    assert text.startswith("The US Commerce Department on Wednesday expanded")


def test_markdown_front_matter_gives_the_metadata(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "docs" / "front.md"
    path.parent.mkdir()
    path.write_text(
        "---\ntitle: Plywood duties ruled unlawful\ndate: 2026-10-14\nsource: Global Tariff Monitor\n"
        "author: Priya Ostrander\nurl: https://globaltariffmonitor.example/plywood\n---\n\n"
        "A WTO panel found that the duties broke global trade rules.\n"
    )

    record, text = _ingest_one(services, path)

    assert (record.title, record.published, record.source, record.author, record.url) == (
        "Plywood duties ruled unlawful", "2026-10-14", "Global Tariff Monitor", "Priya Ostrander",
        "https://globaltariffmonitor.example/plywood",
    )
    assert text == "A WTO panel found that the duties broke global trade rules."


def test_plain_text_dateline_gives_outlet_and_date(services: Services, sample_dir: Path) -> None:
    record, text = _ingest_one(services, sample_dir / "panama-canal.txt")

    assert record.title == "Panama Canal adds transit slots as Gatun Lake recovers"
    assert (record.source, record.published) == ("Harbor Ledger", "2026-03-04")
    assert record.url is None
    assert text.startswith("PANAMA CITY, March 4, 2026 (Harbor Ledger)")


def test_text_without_a_stated_date_has_no_date(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "docs" / "undated.txt"
    path.parent.mkdir()
    path.write_text("Quota talks\n\nNegotiators met again to discuss the steel quota.\n")

    record, _ = _ingest_one(services, path)

    assert record.published is None  # never the ingest time


def test_html_page_gives_title_outlet_date_link_and_author(services: Services, sample_dir: Path) -> None:
    record, _ = _ingest_one(services, sample_dir / "ev-tariffs.html")

    assert record.title == "EU confirms higher duties on Chinese electric vehicles after review"
    assert record.source == "Brussels Policy Dispatch"
    assert record.published is not None and record.published.startswith("2026-08-27")
    assert record.url == "https://brusselspolicydispatch.example/trade/2026/08/ev-duties-review"
    assert record.author == "Sofia Brandt"


def test_html_boilerplate_is_removed_before_chunking(services: Services, sample_dir: Path) -> None:
    record, text = _ingest_one(services, sample_dir / "ev-tariffs.html")
    chunked = " ".join(c.text for c in chunks_by_doc(services.store)[record.doc_id])

    assert "Zhenhai Motors" in text
    for boilerplate in ("cookie", "Cookie", "Subscribe", "Markets", "Opinion", "Related",
                        "Careers", "Copyright", "newsletter"):
        assert boilerplate not in text
        assert boilerplate not in chunked


def test_html_sample_with_json_ld_gives_date_outlet_author_and_clean_text(
    services: Services, sample_dir: Path
) -> None:
    record, text = _ingest_one(services, sample_dir / "red-sea-shipping.html")

    assert record.published is not None and record.published.startswith("2026-05-18")
    assert (record.source, record.author) == ("Tidewater Freight Journal", "Nadia Kerrigan")
    assert "$4,350" in text
    assert "cookie" not in text.lower()


def test_jsonl_lines_each_become_a_document_with_their_metadata(
    services: Services, sample_dir: Path
) -> None:
    report = services.ingestor.run([str(sample_dir / "wire-briefs.jsonl")])

    records = records_by_locator(services.store)
    first, second = records["articles/wire-briefs.jsonl:1"], records["articles/wire-briefs.jsonl:2"]
    assert report.added == 2
    assert first.title == "Rare-earth licence approvals climb to 75% as new magnet supply deal is signed"
    assert (first.source, first.published) == ("Meridian Trade Wire", "2026-09-09")
    assert first.url == "https://meridiantradewire.example/2026/09/rare-earth-approvals-magnet-deal"
    assert first.author == "Lena Hartwell"
    assert (second.source, second.published) == ("Global Tariff Monitor", "2026-10-14")


def test_pdf_document_info_gives_title_author_and_date(services: Services, tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    path = make_pdf(
        tmp_path / "docs" / "quota.pdf",
        title="Steel quota allocation notice",
        author="Department of Finance",
        paragraphs=["The tariff-rate quota of 1.4 million tonnes will be shared among partners.",
                    "Shipments above the quota will pay the new rates."],
        created=datetime(2026, 6, 3, 12, 0, tzinfo=UTC),
    )

    record, text = _ingest_one(services, path)

    assert (record.title, record.author, record.format) == (
        "Steel quota allocation notice", "Department of Finance", "pdf")
    assert record.published == "2026-06-03"
    assert "1.4 million tonnes" in text


def test_docx_core_properties_give_title_author_and_date(services: Services, tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    path = make_docx(
        tmp_path / "docs" / "rates.docx",
        title="New steel rates by product",
        author="Owen Saltmarsh",
        paragraphs=["Canada will raise tariffs on steel products from July."],
        table=[["Product", "New rate"], ["Hot-rolled coil", "25%"], ["Rebar", "20%"]],
        created=datetime(2026, 6, 3),
    )

    record, _ = _ingest_one(services, path)

    assert (record.title, record.author, record.format) == (
        "New steel rates by product", "Owen Saltmarsh", "docx")
    assert record.published == "2026-06-03"


def test_docx_table_rows_are_extractable_text(services: Services, tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    path = make_docx(
        tmp_path / "docs" / "rates.docx", title="Rates", author="Desk",
        paragraphs=["Canada will raise tariffs on steel products from July."],
        table=[["Product", "New rate"], ["Hot-rolled coil", "25%"], ["Rebar", "20%"]],
    )

    record, text = _ingest_one(services, path)
    chunked = " ".join(c.text for c in chunks_by_doc(services.store)[record.doc_id])

    row = next(line for line in text.splitlines() if "Hot-rolled coil" in line)
    assert "25%" in row
    assert row in chunked


def test_chunks_carry_their_documents_metadata(services: Services, sample_dir: Path) -> None:
    record, _ = _ingest_one(services, sample_dir / "rare-earth-magnets.md")
    chunks = chunks_by_doc(services.store)[record.doc_id]

    expected_ts = int(datetime(2026, 3, 12, tzinfo=UTC).timestamp())
    for chunk in chunks:
        meta = chunk.metadata
        assert (meta["title"], meta["source"], meta["published"], meta["url"]) == (
            record.title, "Meridian Trade Wire", "2026-03-12", record.url)
        assert meta["published_ts"] == expected_ts
        assert meta["end"] - meta["start"] == len(chunk.text)
    assert store_problems(services.store) == []


def test_published_date_range_filters_work_in_chroma(services: Services, sample_dir: Path) -> None:
    services.ingestor.run([str(sample_dir / "panama-canal.txt"), str(sample_dir / "chip-export-controls.md")])
    vector = services.embedder.embed(["trade news"])[0]

    def sources(after: date | None, before: date | None) -> set[str]:
        filters = SearchFilters(published_after=after, published_before=before)
        return {h.metadata["source"] for h in services.store.dense_query(vector, k=20, filters=filters)}

    assert sources(date(2026, 3, 1), None) == {"Harbor Ledger"}  # 2026-03-04
    assert sources(None, date(2026, 2, 1)) == {"Global Tariff Monitor"}  # 2026-01-22
    assert sources(date(2026, 3, 4), date(2026, 3, 4)) == {"Harbor Ledger"}  # bounds are inclusive
    assert sources(date(2026, 3, 5), date(2026, 12, 31)) == set()
