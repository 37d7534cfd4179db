"""Crash safety: an ingest killed with SIGKILL partway never loses or doubles a document.

The killed process is a real child running the real pipeline on the real model and an embedded
store on disk; the next run (in this process) must finish the job and leave no orphans.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from support.store_checks import incomplete_documents, records_by_locator, store_problems

from bot.services import Services

pytestmark = pytest.mark.slow
MakeServices = Callable[..., Services]
CHILD = Path(__file__).resolve().parents[1] / "support" / "ingest_child.py"
REPO = Path(__file__).resolve().parents[2]
WORDS = ["tariff", "quota", "freight", "canal", "licence", "magnet", "steel", "coil", "duty", "panel",
         "export", "carrier", "port", "rebar", "lake", "vessel", "rate", "tonne", "ruling", "survey"]


def _generate(folder: Path, count: int, *, sentences: int, version: str = "v1") -> list[Path]:
    """``count`` distinct Markdown articles of about ``sentences * 25`` word pieces each."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        lines = [
            f"Report {n} ({version}) item {i}: the {WORDS[(n + i) % 20]} figure for "
            f"{WORDS[(n * 3 + i) % 20]} moved by {n * 7 + i}.{i % 10} points, said analysts at the "
            f"{WORDS[(i * 7) % 20]} desk."
            for i in range(sentences)
        ]
        path = folder / f"report-{n:02d}.md"
        header = f"# Report {n}\nPublished: 2026-03-{n + 1:02d}\nSource: Test Wire\n\n"
        path.write_text(header + " ".join(lines))
        paths.append(path)
    return paths


def _child_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    return {**env, "BRIEFBOT_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}


def _wait_for_lines(marker: Path, process: subprocess.Popen[bytes], lines: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if marker.exists() and len(marker.read_text().splitlines()) >= lines:
            return
        if process.poll() is not None:
            log = (marker.parent / "child.log").read_text(errors="replace")[-2000:]
            pytest.fail(f"the child ingest ended (rc {process.returncode}) before it was killed:\n{log}")
        time.sleep(0.02)
    process.kill()
    pytest.fail(f"the child ingest did not reach document {lines} within {timeout_s:g} s")


def _clean_chunk_count(make_services: MakeServices, tmp_path: Path, docs: Path) -> int:
    """The chunks a clean ingest of ``docs`` makes (a dry run on an empty store chunks the same)."""
    return make_services(tmp_path / "clean-data").ingestor.run([str(docs)], dry_run=True).chunks


def test_ingest_killed_partway_is_completed_by_the_next_run(
    make_services: MakeServices, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    files = _generate(docs, 12, sentences=15)
    data, marker = tmp_path / "data", tmp_path / "progress.txt"
    with (tmp_path / "child.log").open("wb") as log:
        child = subprocess.Popen([sys.executable, str(CHILD), str(docs), str(marker)],
                                 env=_child_env(data), stdout=log, stderr=subprocess.STDOUT)
    _wait_for_lines(marker, child, lines=4, timeout_s=120)  # three documents done, the fourth under way
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)

    survivor = make_services(data)
    recorded = len(survivor.store.list_documents())
    assert child.returncode == -signal.SIGKILL
    assert 3 <= recorded < len(files)  # really killed partway
    assert incomplete_documents(survivor.store) == []

    report = survivor.ingestor.run([str(docs)])

    assert (report.added, report.unchanged, report.failed) == (len(files) - recorded, recorded, [])
    assert len(survivor.store.list_documents()) == len(files)
    assert sorted(records_by_locator(survivor.store)) == sorted(f"docs/{p.name}" for p in files)
    assert store_problems(survivor.store) == []
    assert survivor.store.count_chunks() == _clean_chunk_count(make_services, tmp_path, docs)


def test_crash_between_new_chunks_and_record_keeps_every_document_whole(
    make_services: MakeServices, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    files = _generate(docs, 4, sentences=12)
    data = tmp_path / "data"
    env = _child_env(data)
    briefbot = Path(sys.executable).parent / "briefbot"
    first = subprocess.run([str(briefbot), "ingest", str(docs)], env=env,
                           capture_output=True, timeout=180, cwd=tmp_path)
    assert first.returncode == 0, first.stderr.decode()
    _generate(docs, 4, sentences=12, version="v2")  # every document changes

    crashed = subprocess.run(
        [sys.executable, str(CHILD), str(docs), str(tmp_path / "progress.txt"), "--crash-before-record", "2"],
        env=env, capture_output=True, timeout=180,
    )

    survivor = make_services(data)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr.decode()
    assert len(survivor.store.list_documents()) == len(files)
    assert incomplete_documents(survivor.store) == []  # the old or the new version, whole

    report = survivor.ingestor.run([str(docs)])

    assert (report.updated, report.unchanged) == (len(files) - 1, 1)
    assert store_problems(survivor.store) == []
    assert "(v1)" not in " ".join(c.text for c in survivor.store.iter_chunks())
