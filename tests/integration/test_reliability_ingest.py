"""Crash safety and the ingest lock, with real processes on a real embedded store.

A few hundred tiny articles are ingested by child processes that are SIGKILLed before the first
upsert (holding, store open and model loaded), just after the first upserts and halfway, the
kill points chosen by polling the store's chunk count from this process. Re-running then leaves
every document exactly once, no orphan or duplicate chunk, and the counts of a clean ingest.
Two ingests on one data directory: the second is refused with a clear message, or waits with
``--wait``, and the store ends up whole.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from support.store_checks import incomplete_documents, records_by_locator, store_problems

from bot.services import Services
from vectorstore.embedder import resolve_model
from vectorstore.errors import StoreUnavailableError
from vectorstore.store import ChromaStore, StoreLocation, open_store

pytestmark = pytest.mark.slow
MakeServices = Callable[..., Services]
REPO = Path(__file__).resolve().parents[2]
CHILD = REPO / "tests" / "support" / "ingest_child.py"
BRIEFBOT = Path(sys.executable).parent / "briefbot"
DOCUMENTS = 200
GOODS = ["coil", "rebar", "magnets", "soybeans", "lumber", "copper", "wafers", "urea", "tin", "salmon"]
PORTS = ["Rotterdam", "Busan", "Santos", "Durban", "Valdoria", "Halifax", "Mersin"]


def generate(folder: Path, count: int) -> list[Path]:
    """``count`` distinct two-sentence Markdown articles (one chunk each)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        good, port = GOODS[n % len(GOODS)], PORTS[n % len(PORTS)]
        path = folder / f"note-{n:03d}.md"
        path.write_text(
            f"# Note {n} on {good}\nPublished: 2026-{n % 12 + 1:02d}-{n % 28 + 1:02d}\nSource: Test Wire\n\n"
            f"Shipments of {good} through {port} rose {n % 40 + 2}% in week {n}. "
            f"Brokers expect the duty on {good} to stay at {n % 9 + 1}% until the review.\n"
        )
        paths.append(path)
    return paths


def child_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIEFBOT_", "OPENAI_", "SLACK_"))}
    return {**env, "BRIEFBOT_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}


def start_child(docs: Path, data_dir: Path, marker: Path, *extra: str) -> subprocess.Popen[bytes]:
    log = (marker.parent / f"{marker.stem}.log").open("wb")
    return subprocess.Popen([sys.executable, str(CHILD), str(docs), str(marker), *extra],
                            env=child_env(data_dir), stdout=log, stderr=subprocess.STDOUT)


def wait_until(condition: Callable[[], bool], process: subprocess.Popen[bytes], what: str,
               timeout_s: float = 180) -> None:
    """Poll ``condition`` (every 20 ms) while ``process`` runs; fail if it ends or time runs out."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the child ended (rc {process.returncode}) before {what}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"no {what} within {timeout_s:g} s")
        time.sleep(0.02)


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def chunks_now(store: ChromaStore) -> int:
    """The chunk count another process has written so far (-1 if the read itself failed)."""
    try:
        return store.count_chunks()
    except StoreUnavailableError:
        return -1


def reader(data_dir: Path) -> ChromaStore:
    """The store as a second process sees it, opened without loading the model."""
    model_id, _ = resolve_model(None)
    return open_store(StoreLocation(data_dir, None, "briefbot"), model_id=model_id, dimension=None)


def test_ingest_killed_before_during_and_after_the_first_upserts_converges_to_a_clean_store(
    make_services: MakeServices, tmp_path: Path
) -> None:
    docs, data = tmp_path / "docs", tmp_path / "data"
    files = generate(docs, DOCUMENTS)
    clean_chunks = make_services(tmp_path / "clean").ingestor.run([str(docs)], dry_run=True).chunks
    observed: list[tuple[str, int, int]] = []

    # 1. before the first upsert: store open, model loaded, lock held, nothing written
    holder = start_child(docs, data, tmp_path / "hold.txt", "--hold")
    wait_until(lambda: (tmp_path / "hold.txt").exists(), holder, "the child holding")
    kill(holder)
    store = reader(data)
    observed.append(("before the first upsert", len(store.list_documents()), store.count_chunks()))
    assert observed[-1][1:] == (0, 0)

    # 2. just after the first upserts, and 3. halfway: kill points read from the store itself
    for label, chunks in (("after the first upserts", 1), ("halfway", DOCUMENTS // 2)):
        child = start_child(docs, data, tmp_path / f"{chunks}.txt")
        wait_until(lambda chunks=chunks: chunks_now(store) >= chunks, child, f"{chunks} chunks")
        kill(child)
        observed.append((label, len(store.list_documents()), store.count_chunks()))
        assert incomplete_documents(store) == [], label  # a record always has all of its chunks
    (_, early_records, early_chunks), (_, half_records, half_chunks) = observed[1], observed[2]
    assert early_records < half_records < DOCUMENTS  # really killed partway, twice
    assert early_chunks < DOCUMENTS // 2 <= half_chunks

    survivor = make_services(data)
    report = survivor.ingestor.run([str(docs)])

    assert (report.added, report.unchanged, report.failed) == (DOCUMENTS - half_records, half_records, [])
    assert sorted(records_by_locator(survivor.store)) == sorted(f"docs/{p.name}" for p in files)
    chunk_ids = [c.chunk_id for c in survivor.store.iter_chunks()]
    doc_ids = Counter(r.doc_id for r in survivor.store.list_documents())
    assert len(chunk_ids) == len(set(chunk_ids)) == clean_chunks == survivor.store.count_chunks()
    assert set(doc_ids.values()) == {1} and len(doc_ids) == DOCUMENTS
    assert store_problems(survivor.store) == []
    vector = survivor.embedder.embed(["Shipments of copper through Durban"])[0]
    nearest = survivor.store.dense_query(vector, k=DOCUMENTS)  # the vector index holds each chunk once
    assert sorted(c.chunk_id for c in nearest) == sorted(chunk_ids)
    embedded = survivor.embedder.embedded_count
    assert survivor.ingestor.run([str(docs)]).unchanged == DOCUMENTS
    assert survivor.embedder.embedded_count == embedded  # converged: nothing left to redo
    print("\nkill points (records, chunks):", observed, "then", (DOCUMENTS, clean_chunks))


def test_a_second_ingest_is_refused_or_waits_and_the_store_stays_whole(
    make_services: MakeServices, tmp_path: Path
) -> None:
    docs, data = tmp_path / "docs", tmp_path / "data"
    generate(docs, 20)
    holder = start_child(docs, data, tmp_path / "hold.txt", "--hold")
    wait_until(lambda: (tmp_path / "hold.txt").exists(), holder, "the first ingest holding the lock")
    env = child_env(data)

    started = time.monotonic()
    refused = subprocess.run([str(BRIEFBOT), "ingest", "--json", str(docs)], env=env, cwd=tmp_path,
                             capture_output=True, text=True, timeout=120)
    refused_after = time.monotonic() - started
    waiter = subprocess.Popen([str(BRIEFBOT), "ingest", "--wait", "300", "--json", str(docs)], env=env,
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with pytest.raises(subprocess.TimeoutExpired):  # it waits where the other gave up
        waiter.wait(timeout=max(5.0, 2 * refused_after))
    kill(holder)  # the OS frees the lock of a killed process
    out, err = waiter.communicate(timeout=300)

    assert refused.returncode == 1 and refused.stdout == ""
    assert f"another ingest is running on {data}" in refused.stderr and "--wait SECONDS" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert waiter.returncode == 0, err
    assert json.loads(out)["added"] == 20
    store = make_services(data).store
    assert len(store.list_documents()) == 20 and store_problems(store) == []
