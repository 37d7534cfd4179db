"""The idempotent ingest pipeline against real embedded Chroma and the real model."""

from __future__ import annotations

import json
from pathlib import Path

from support.corpus import TOPICS, article_text, write_article
from support.store_checks import chunks_by_doc, records_by_locator, store_problems

from bot.services import Services


def _two_articles(folder: Path) -> Path:
    write_article(folder, "canal.md", "canal")
    write_article(folder, "steel.md", "steel")
    return folder


def _texts(services: Services) -> str:
    return "\n".join(c.text for c in services.store.iter_chunks())


def test_reingesting_unchanged_documents_adds_nothing_and_embeds_nothing(
    services: Services, tmp_path: Path
) -> None:
    docs = _two_articles(tmp_path / "docs")
    services.ingestor.run([str(docs)])
    chunks_before = services.store.count_chunks()
    embedded_before = services.embedder.embedded_count

    report = services.ingestor.run([str(docs)])

    assert (report.added, report.updated, report.unchanged, report.chunks) == (0, 0, 2, 0)
    assert services.embedder.embedded_count - embedded_before == 0
    assert services.store.count_chunks() == chunks_before


def test_first_ingest_stores_every_document_with_consistent_chunks(
    services: Services, tmp_path: Path
) -> None:
    report = services.ingestor.run([str(_two_articles(tmp_path / "docs"))])

    assert (report.added, report.failed) == (2, [])
    assert set(records_by_locator(services.store)) == {"docs/canal.md", "docs/steel.md"}
    assert report.chunks == services.store.count_chunks() > 0
    assert store_problems(services.store) == []


def test_editing_one_file_updates_only_that_document(services: Services, tmp_path: Path) -> None:
    docs = _two_articles(tmp_path / "docs")
    services.ingestor.run([str(docs)])
    steel_before = records_by_locator(services.store)["docs/steel.md"]
    write_article(docs, "canal.md", "canal", extra="The authority later added a fifth slot.")
    embedded_before = services.embedder.embedded_count

    report = services.ingestor.run([str(docs)])

    canal = records_by_locator(services.store)["docs/canal.md"]
    assert (report.added, report.updated, report.unchanged) == (0, 1, 1)
    assert services.embedder.embedded_count - embedded_before == canal.chunks
    assert records_by_locator(services.store)["docs/steel.md"] == steel_before


def test_an_updated_document_keeps_no_chunks_of_its_old_version(
    services: Services, tmp_path: Path
) -> None:
    docs = _two_articles(tmp_path / "docs")
    services.ingestor.run([str(docs)])
    old_hash = records_by_locator(services.store)["docs/canal.md"].content_hash
    (docs / "canal.md").write_text(article_text("freight", title="Canal report"))

    services.ingestor.run([str(docs)])

    canal = records_by_locator(services.store)["docs/canal.md"]
    canal_chunks = chunks_by_doc(services.store)[canal.doc_id]
    assert canal.content_hash != old_hash
    assert {c.metadata["content_hash"] for c in canal_chunks} == {canal.content_hash}
    assert TOPICS["canal"] not in _texts(services)
    assert TOPICS["freight"] in _texts(services)
    assert store_problems(services.store) == []


def test_prune_removes_the_record_and_chunks_of_a_deleted_file(
    services: Services, tmp_path: Path
) -> None:
    docs = _two_articles(tmp_path / "docs")
    services.ingestor.run([str(docs)])
    gone = records_by_locator(services.store)["docs/canal.md"]
    (docs / "canal.md").unlink()

    report = services.ingestor.run([str(docs)], prune=True)

    assert report.pruned == 1
    assert services.store.get_document(gone.doc_id) is None
    assert gone.doc_id not in chunks_by_doc(services.store)
    assert set(records_by_locator(services.store)) == {"docs/steel.md"}
    assert store_problems(services.store) == []


def test_without_prune_a_deleted_files_document_is_kept(services: Services, tmp_path: Path) -> None:
    docs = _two_articles(tmp_path / "docs")
    services.ingestor.run([str(docs)])
    (docs / "canal.md").unlink()

    report = services.ingestor.run([str(docs)])

    assert report.pruned == 0
    assert "docs/canal.md" in records_by_locator(services.store)


def test_prune_leaves_folders_not_named_in_the_run_alone(services: Services, tmp_path: Path) -> None:
    first = write_article(tmp_path / "first", "canal.md", "canal").parent
    second = write_article(tmp_path / "second", "steel.md", "steel").parent
    services.ingestor.run([str(first), str(second)])
    (second / "steel.md").unlink()

    report = services.ingestor.run([str(first)], prune=True)

    assert report.pruned == 0
    assert "second/steel.md" in records_by_locator(services.store)


def test_prune_removes_a_line_dropped_from_a_jsonl_file(services: Services, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    lines = [{"title": t, "text": TOPICS[t]} for t in ("canal", "steel")]
    feed = docs / "wire.jsonl"
    feed.write_text("\n".join(json.dumps(line) for line in lines))
    services.ingestor.run([str(docs)])
    feed.write_text(json.dumps(lines[0]) + "\n")

    report = services.ingestor.run([str(docs)], prune=True)

    assert report.pruned == 1
    assert [r.title for r in services.store.list_documents()] == ["canal"]
    assert TOPICS["steel"] not in _texts(services)


def test_same_article_under_two_names_is_one_document_and_one_duplicate(
    services: Services, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    write_article(docs, "a-original.md", "canal")
    write_article(docs, "b-copy.md", "canal")

    report = services.ingestor.run([str(docs)])

    records = records_by_locator(services.store)
    original, copy = records["docs/a-original.md"], records["docs/b-copy.md"]
    assert (report.added, report.duplicates) == (1, 1)
    assert (original.duplicate_of, copy.duplicate_of) == (None, original.doc_id)
    assert services.store.count_chunks() == original.chunks == report.chunks
    assert list(chunks_by_doc(services.store)) == [original.doc_id]


def test_reingesting_a_duplicate_embeds_nothing(services: Services, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write_article(docs, "canal.md", "canal")
    write_article(docs, "canal-copy.md", "canal")
    services.ingestor.run([str(docs)])
    embedded_before = services.embedder.embedded_count

    report = services.ingestor.run([str(docs)])

    assert (report.unchanged, report.duplicates, report.added) == (2, 0, 0)
    assert services.embedder.embedded_count == embedded_before


def test_pruning_the_original_keeps_its_duplicate_searchable(
    services: Services, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    write_article(docs, "a-original.md", "canal")
    write_article(docs, "b-copy.md", "canal")
    services.ingestor.run([str(docs)])
    (docs / "a-original.md").unlink()

    services.ingestor.run([str(docs)], prune=True)

    copy = records_by_locator(services.store)["docs/b-copy.md"]
    assert copy.duplicate_of is None
    assert TOPICS["canal"] in _texts(services)
    assert store_problems(services.store) == []


def test_editing_the_original_keeps_its_duplicate_searchable(
    services: Services, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    write_article(docs, "a-original.md", "canal")
    write_article(docs, "b-copy.md", "canal")
    services.ingestor.run([str(docs)])
    (docs / "a-original.md").write_text(article_text("freight", title="Canal report"))

    services.ingestor.run([str(docs)])

    assert TOPICS["canal"] in _texts(services)
    assert TOPICS["freight"] in _texts(services)
    assert store_problems(services.store) == []


def test_dry_run_reports_changes_but_writes_nothing(services: Services, tmp_path: Path) -> None:
    docs = _two_articles(tmp_path / "docs")

    report = services.ingestor.run([str(docs)], dry_run=True)

    assert report.added == 2
    assert services.store.list_documents() == []
    assert services.store.count_chunks() == 0


def test_dry_run_counts_the_chunks_a_real_run_stores(services: Services, tmp_path: Path) -> None:
    docs = _two_articles(tmp_path / "docs")

    planned = services.ingestor.run([str(docs)], dry_run=True).chunks
    services.ingestor.run([str(docs)])

    assert planned == services.store.count_chunks() > 0


def test_dense_query_finds_the_article_about_the_question(services: Services, tmp_path: Path) -> None:
    services.ingestor.run([str(_two_articles(tmp_path / "docs"))])
    vector = services.embedder.embed(["How many transit slots did the canal add?"])[0]

    best = services.store.dense_query(vector, k=1)[0]

    assert best.metadata["title"] == "Canal report"


def test_renaming_a_file_and_pruning_keeps_the_article(services: Services, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write_article(docs, "a-draft.md", "canal")
    services.ingestor.run([str(docs)])
    (docs / "a-draft.md").rename(docs / "b-final.md")

    report = services.ingestor.run([str(docs)], prune=True)

    assert report.pruned == 1
    assert list(records_by_locator(services.store)) == ["docs/b-final.md"]
    assert TOPICS["canal"] in _texts(services)
    assert store_problems(services.store) == []


def test_a_field_dropped_from_an_edited_document_is_dropped_from_its_record(
    services: Services, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    (docs / "canal.md").parent.mkdir()
    (docs / "canal.md").write_text("# Canal\nAuthor: Lucia Marin\n\n" + TOPICS["canal"])
    services.ingestor.run([str(docs)])
    (docs / "canal.md").write_text("# Canal\n\n" + TOPICS["canal"] + " Rates fell.")

    services.ingestor.run([str(docs)])

    assert records_by_locator(services.store)["docs/canal.md"].author is None


def test_correcting_only_the_date_of_a_document_updates_its_record_and_chunks(
    services: Services, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    body = "The authority raised daily transit slots from 32 to 36 after the rains."
    (docs / "canal.md").write_text(f"# Canal slots\nPublished: 2026-03-04\n\n{body}\n")
    services.ingestor.run([str(docs)])
    (docs / "canal.md").write_text(f"# Canal slots\nPublished: 2026-03-05\n\n{body}\n")

    report = services.ingestor.run([str(docs)])

    record = records_by_locator(services.store)["docs/canal.md"]
    assert (report.updated, report.unchanged) == (1, 0)
    assert record.published == "2026-03-05"
    assert {c.metadata["published"] for c in services.store.iter_chunks()} == {"2026-03-05"}
    assert store_problems(services.store) == []
