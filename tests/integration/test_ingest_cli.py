"""`briefbot ingest` and `briefbot docs` through click's runner: output, JSON and exit codes.

Most tests hand the CLI services built on the session's loaded model (click's ``obj``), as
`services_from_context` allows; one test goes through environment settings like a real shell.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from support.corpus import write_article

from bot.cli import cli
from bot.services import Services
from ingest.lock import ingest_lock

SUMMARY_KEYS = {"added", "updated", "unchanged", "duplicates", "pruned", "failed", "chunks", "seconds"}
LIST_KEYS = {"doc_id", "title", "source", "published", "url", "chunks"}


def _run(services: Services, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), obj={"services": services})


def _docs(tmp_path: Path) -> Path:
    write_article(tmp_path / "docs", "canal.md", "canal", source="Harbor Ledger", published="2026-03-04")
    return tmp_path / "docs"


def test_ingest_json_prints_exactly_the_documented_keys(services: Services, tmp_path: Path) -> None:
    result = _run(services, "ingest", "--json", str(_docs(tmp_path)))

    summary = json.loads(result.stdout)
    assert set(summary) == SUMMARY_KEYS
    assert (summary["added"], summary["failed"]) == (1, [])
    assert isinstance(summary["chunks"], int) and summary["chunks"] > 0
    assert isinstance(summary["seconds"], float)


def test_ingest_json_failure_entries_have_source_and_error(services: Services, tmp_path: Path) -> None:
    result = _run(services, "ingest", "--json", str(tmp_path / "missing.md"), str(_docs(tmp_path)))

    failed = json.loads(result.stdout)["failed"]
    assert [set(f) for f in failed] == [{"source", "error"}]
    assert failed[0]["source"] == str(tmp_path / "missing.md")


def test_ingest_exits_0_and_prints_the_summary_line_when_all_ingested(
    services: Services, tmp_path: Path
) -> None:
    result = _run(services, "ingest", str(_docs(tmp_path)))

    assert result.exit_code == 0, result.output
    line = result.stdout.strip().splitlines()[-1]
    assert line.startswith("added 1, updated 0, unchanged 0, duplicates 0, failed 0 (")
    assert line.endswith(" s")


def test_ingest_exits_1_and_names_each_failure(services: Services, tmp_path: Path) -> None:
    result = _run(services, "ingest", str(tmp_path / "missing.md"), str(_docs(tmp_path)))

    assert result.exit_code == 1
    assert f"failed: {tmp_path / 'missing.md'}: no such file or directory" in result.stderr
    assert "added 1," in result.stdout and "failed 1 (" in result.stdout


@pytest.mark.parametrize(
    "args", [["ingest"], ["ingest", "--no-such-flag", "x.md"], ["ingest", "--wait", "soon", "x"]]
)
def test_ingest_usage_errors_exit_2(services: Services, args: list[str]) -> None:
    result = _run(services, *args)

    assert result.exit_code == 2
    assert "Usage:" in result.output


def test_dry_run_reports_what_would_change_and_writes_nothing(services: Services, tmp_path: Path) -> None:
    result = _run(services, "ingest", "--dry-run", str(_docs(tmp_path)))

    assert result.exit_code == 0
    assert result.stdout.strip().startswith("dry run: would have added 1,")
    assert services.store.list_documents() == []
    assert services.store.count_chunks() == 0


def test_dry_run_prune_removes_nothing(services: Services, tmp_path: Path) -> None:
    docs = _docs(tmp_path)
    _run(services, "ingest", str(docs))
    (docs / "canal.md").unlink()

    result = _run(services, "ingest", "--prune", "--dry-run", "--json", str(docs))

    assert json.loads(result.stdout)["pruned"] == 1
    assert len(services.store.list_documents()) == 1


def test_docs_list_json_has_the_documented_fields(services: Services, tmp_path: Path) -> None:
    _run(services, "ingest", str(_docs(tmp_path)))

    rows = json.loads(_run(services, "docs", "list", "--json").stdout)

    assert [set(row) for row in rows] == [LIST_KEYS]
    assert (rows[0]["title"], rows[0]["source"], rows[0]["published"], rows[0]["url"]) == (
        "Canal report", "Harbor Ledger", "2026-03-04", None)
    assert rows[0]["chunks"] == services.store.count_chunks()


def test_docs_list_on_an_empty_store_says_how_to_ingest(services: Services) -> None:
    result = _run(services, "docs", "list")

    assert result.exit_code == 0
    assert "briefbot ingest" in result.stdout


def test_docs_delete_removes_the_document_and_its_chunks(services: Services, tmp_path: Path) -> None:
    _run(services, "ingest", str(_docs(tmp_path)))
    doc_id = services.store.list_documents()[0].doc_id

    result = _run(services, "docs", "delete", doc_id)

    assert result.exit_code == 0
    assert doc_id in result.stdout
    assert services.store.list_documents() == []
    assert services.store.count_chunks() == 0


def test_docs_delete_of_an_unknown_id_fails_with_a_message(services: Services) -> None:
    result = _run(services, "docs", "delete", "0123456789abcdef")

    assert result.exit_code == 1
    assert "no document with id '0123456789abcdef'" in result.stderr
    assert "Traceback" not in result.output


def test_a_second_ingest_on_the_same_data_directory_is_refused(services: Services, tmp_path: Path) -> None:
    with ingest_lock(services.settings.data_dir):
        result = _run(services, "ingest", str(_docs(tmp_path)))

    assert result.exit_code == 1
    assert "another ingest is running" in result.stderr
    assert services.store.list_documents() == []


def test_cli_takes_its_settings_from_the_environment(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = _docs(tmp_path)
    services.ingestor.run([str(docs)])
    monkeypatch.chdir(tmp_path)  # no stray .env file
    env = {"BRIEFBOT_DATA_DIR": str(services.settings.data_dir)}

    ingest = CliRunner().invoke(cli, ["ingest", "--json", str(docs)], env=env)
    listing = CliRunner().invoke(cli, ["docs", "list", "--json"], env=env)

    assert ingest.exit_code == 0, ingest.output
    assert json.loads(ingest.stdout)["unchanged"] == 1
    assert [row["title"] for row in json.loads(listing.stdout)] == ["Canal report"]


def test_cli_reports_invalid_settings_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    result = CliRunner().invoke(cli, ["docs", "list"], env={"BRIEFBOT_TOP_K": "many"})

    assert result.exit_code == 1
    assert "invalid settings" in result.stderr and "BRIEFBOT_TOP_K" in result.stderr
    assert "Traceback" not in result.output
