"""HTTP load: N concurrent clients asking `/v1/ask` against a real server over ~10k chunks.

What it does:
1. Fills a fresh data directory: the sample articles are ingested through the real pipeline,
   then synthetic documents are added until the store holds ``--chunks`` chunks. Embedding 10k
   chunks would take ~8 minutes on 2 cores, so synthetic chunks are not embedded: each one's
   text is a shuffle of 3-6 sentences drawn from the sample chunks, and its vector is the
   normalised mean of those chunks' real vectors plus Gaussian noise (sigma ``--noise``). They
   are written with the store's public API (``write_chunks`` + ``put_document``), with
   outlets and dates spread over the sample ones so filters and recency have work to do.
2. Starts ``python -m bot.api`` on a free port and waits for ``/readyz``.
3. Runs ``--clients`` asyncio clients (httpx), each asking ``--questions`` questions one
   after another (from a pool of 24, offset per client), while a probe polls ``/healthz``.
4. Reports throughput, p50/p95/max latency, errors, the health probe's latency during the
   load, and the server's RSS (VmRSS from /proc/PID/status) before and after.

Run: ``.venv/bin/python bench/load.py`` (defaults: 10,000 chunks, 50 clients x 4 questions).
Results: a summary on stdout and ``bench/results/load.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.services import Services, build_services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from ingest.sentences import split_sentences  # noqa: E402
from vectorstore.records import ChunkRecord, DocumentRecord  # noqa: E402

SAMPLES = ROOT / "samples" / "articles"
CHUNKS_PER_DOC = 10
QUESTIONS = [
    "What is the new tariff rate on hot-rolled coil in Canada, and when does it take effect?",
    "What was the Shanghai-Rotterdam spot rate for a 40-foot container in mid-May 2026?",
    "How many daily transit slots will the Panama Canal offer from March 16, 2026?",
    "Who is the Under Secretary of Commerce for Industry and Security?",
    "How many tool categories did the new chip export rule add?",
    "What individual countervailing duty rate did Zhenhai Motors receive?",
    "What is the latest share of rare-earth export licence applications approved?",
    "Why are container ships diverting around the Cape of Good Hope?",
    "What quota did Canada set for steel imports from trade partners?",
    "What did the WTO panel decide about Australian anti-dumping duties on plywood?",
    "How long does it take to get a rare-earth export licence approved?",
    "What happened to Gatun Lake water levels?",
    "Which countries signed the critical-minerals partnership?",
    "What are the EU duties on Chinese electric vehicles?",
    "How much did neodymium-praseodymium oxide prices fall in August?",
    "What did carriers say about Red Sea shipping routes?",
    "Which advanced packaging tools are now under export controls?",
    "What tariff does Canada apply to aluminium?",
    "How did magnet buyers react to slow licence approvals?",
    "What is the average processing time for an approved rare-earth licence?",
    "Who chairs the Association of Magnet Users?",
    "When do the Canadian steel tariffs take effect?",
    "What did the Panama Canal Authority say about draft limits?",
    "How did Asia-Europe container rates change in four weeks?",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# -- filling the store ---------------------------------------------------------------------------


@dataclass
class Seed:
    text: str
    vector: np.ndarray
    source: str | None
    published: str | None


def seeds(services: Services) -> list[Seed]:
    """Every sample chunk with its real vector (read back from Chroma)."""
    got = services.store._chunks.get(include=["embeddings", "documents", "metadatas"])  # bench only
    return [
        Seed(text or "", np.asarray(vec, dtype=np.float32), meta.get("source"), meta.get("published"))
        for text, vec, meta in zip(got["documents"], got["embeddings"], got["metadatas"], strict=True)
    ]


def synthetic_chunk(rng: random.Random, pool: Sequence[Seed], noise: float) -> tuple[str, np.ndarray]:
    picked = rng.sample(list(pool), k=min(len(pool), rng.randint(2, 3)))
    sentences = [s for seed in picked for s in split_sentences(seed.text)]
    rng.shuffle(sentences)
    text = " ".join(sentences[: rng.randint(3, 6)])
    mean = np.mean([seed.vector for seed in picked], axis=0)
    vector = mean + np.random.default_rng(rng.getrandbits(32)).normal(0, noise, mean.shape)
    return text, (vector / np.linalg.norm(vector)).astype(np.float32)


def add_synthetic_document(services: Services, number: int, rng: random.Random, pool: Sequence[Seed],
                           noise: float, chunks: int) -> None:
    texts, vectors = zip(*(synthetic_chunk(rng, pool, noise) for _ in range(chunks)), strict=True)
    body, records, offset = "", [], 0
    for index, text in enumerate(texts):
        start = offset + (2 if body else 0)
        body = f"{body}\n\n{text}" if body else text
        records.append(ChunkRecord(f"syn{number:05d}", index, start, start + len(text), text, text))
        offset = len(body)
    like = rng.choice(pool)
    published = like.published or "2026-01-01"
    doc = DocumentRecord(
        doc_id=f"syn{number:05d}", title=f"Synthetic trade brief {number}",
        content_hash=hashlib.sha256(body.encode()).hexdigest(), format="txt",
        locator=f"synthetic/{number:05d}.txt", ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
        source=like.source, published=published, chunks=len(records),
    )
    services.store.write_chunks(doc, records, np.stack(vectors))
    services.store.put_document(doc, body)


def fill(data_dir: Path, *, target_chunks: int, noise: float, seed: int) -> dict[str, Any]:
    started = time.perf_counter()
    services = build_services(Settings(_env_file=None, BRIEFBOT_DATA_DIR=str(data_dir)))  # type: ignore[call-arg]
    report = services.ingestor.run([str(SAMPLES)])
    pool = seeds(services)
    rng = random.Random(seed)
    number = 0
    while (have := services.store.count_chunks()) < target_chunks:
        add_synthetic_document(services, number, rng, pool, noise, min(CHUNKS_PER_DOC, target_chunks - have))
        number += 1
    services.store.bump_revision()
    return {"sample_chunks": report.chunks, "synthetic_documents": number,
            "chunks": services.store.count_chunks(), "fill_seconds": round(time.perf_counter() - started, 1)}


# -- the server and the load ---------------------------------------------------------------------


def start_server(data_dir: Path, port: int, backend: str, log_path: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIEFBOT_", "OPENAI_", "SLACK_"))}
    env.update(BRIEFBOT_DATA_DIR=str(data_dir), BRIEFBOT_EMBEDDING_BACKEND=backend,
               BRIEFBOT_LOG_LEVEL="WARNING", HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
    with log_path.open("ab") as log:
        return subprocess.Popen([sys.executable, "-m", "bot.api", "--port", str(port)], cwd=ROOT,
                                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout_s: float = 300) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("server not ready in time")


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    grounded: int = 0
    health: list[float] = field(default_factory=list)


def payload(endpoint: str, question: str) -> dict[str, Any]:
    return {"question": question} if endpoint == "ask" else {"query": question, "top_k": 8}


async def client(http: httpx.AsyncClient, endpoint: str, number: int, questions: int,
                 results: Results) -> None:
    for i in range(questions):
        question = QUESTIONS[(number * questions + i) % len(QUESTIONS)]
        started = time.perf_counter()
        try:
            response = await http.post(f"/v1/{endpoint}", json=payload(endpoint, question))
            if response.status_code != 200:
                results.errors.append(f"{response.status_code} {response.text[:200]}")
                continue
            body = response.json()
            results.grounded += bool(body["grounded"]) if endpoint == "ask" else bool(body)
            results.latencies.append(time.perf_counter() - started)
        except httpx.HTTPError as exc:
            results.errors.append(repr(exc))


async def probe(http: httpx.AsyncClient, results: Results, stop: asyncio.Event) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        try:
            await http.get("/healthz")
            results.health.append(time.perf_counter() - started)
        except httpx.HTTPError as exc:
            results.errors.append(f"healthz: {exc!r}")
        await asyncio.sleep(0.25)


async def load(url: str, endpoint: str, clients: int, questions: int) -> tuple[Results, float]:
    results = Results()
    limits = httpx.Limits(max_connections=clients + 2, max_keepalive_connections=clients + 2)
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits) as http, \
            httpx.AsyncClient(base_url=url, timeout=30) as health:
        stop = asyncio.Event()
        watcher = asyncio.create_task(probe(health, results, stop))
        started = time.perf_counter()
        await asyncio.gather(*(client(http, endpoint, n, questions, results) for n in range(clients)))
        wall = time.perf_counter() - started
        stop.set()
        await watcher
    return results, wall


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def summary(results: Results, wall: float) -> dict[str, Any]:
    lat = results.latencies
    return {
        "requests": len(lat) + len(results.errors), "ok": len(lat), "errors": len(results.errors),
        "error_samples": results.errors[:5], "grounded": results.grounded,
        "wall_s": round(wall, 2), "throughput_rps": round(len(lat) / wall, 2) if wall else 0.0,
        "latency_ms": {k: round(v * 1000, 1) for k, v in {
            "p50": percentile(lat, 50), "p95": percentile(lat, 95), "max": max(lat, default=float("nan")),
            "mean": statistics.fmean(lat) if lat else float("nan")}.items()},
        "healthz_ms": {"p50": round(percentile(results.health, 50) * 1000, 1),
                       "max": round(max(results.health, default=float("nan")) * 1000, 1),
                       "probes": len(results.health)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=10_000, help="Chunks in the store (default 10000).")
    parser.add_argument("--clients", type=int, default=50, help="Concurrent clients (default 50).")
    parser.add_argument("--questions", type=int, default=4, help="Questions per client (default 4).")
    parser.add_argument("--warmup", type=int, default=3, help="Sequential questions before the load.")
    parser.add_argument("--backend", default="torch", choices=["torch", "onnx", "onnx-int8"])
    parser.add_argument("--endpoint", default="ask", choices=["ask", "search"],
                        help="/v1/ask (default) or /v1/search (retrieval only, for comparison).")
    parser.add_argument("--noise", type=float, default=0.05, help="Sigma of the synthetic vector noise.")
    parser.add_argument("--data-dir", type=Path, help="Reuse (or create) this data directory.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "load.json")
    args = parser.parse_args()

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="briefbot-load-")) / "data"
    filled = fill(data_dir, target_chunks=args.chunks, noise=args.noise, seed=args.seed)
    print(f"store: {filled}", flush=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_server(data_dir, port, args.backend, data_dir.parent / "server.log")
    try:
        ready_s = wait_ready(url, process)
        for question in QUESTIONS[: args.warmup]:
            httpx.post(f"{url}/v1/ask", json={"question": question}, timeout=120).raise_for_status()
        rss_before = rss_mb(process.pid)
        results, wall = asyncio.run(load(url, args.endpoint, args.clients, args.questions))
        rss_after = rss_mb(process.pid)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    report = {
        "command": " ".join(["python", "bench/load.py", *sys.argv[1:]]),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "endpoint": f"/v1/{args.endpoint}", "generator": "extractive", "backend": args.backend,
        "clients": args.clients,
        "questions_per_client": args.questions, "store": filled, "ready_s": round(ready_s, 1),
        "rss_mb": {"before": round(rss_before, 1), "after": round(rss_after, 1)},
        **summary(results, wall),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
