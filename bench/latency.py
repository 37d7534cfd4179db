"""Single-process ask latency (extractive generator) over stores of 10k and 100k chunks.

What it does:
1. Builds (or, with ``--data-dir``, reuses) one store per size under the data root
   (``<root>/<size>/data``) with bench/load.py's own filling: the sample articles go through the
   real ingest pipeline, then synthetic documents (shuffled sample sentences, perturbed real
   vectors) are written with the store's ``write_chunks`` + ``put_document`` until the store
   holds the requested number of chunks; their upserts into Chroma are batched (see
   ``BatchedCollection``), since one upsert per document fills 100k chunks in ~14 minutes.
   bench/load.py is imported from its file, not as a package (``bench/ingest.py`` would shadow
   the ``ingest`` package if ``bench/`` were on ``sys.path``).
2. For each embedding backend, starts one worker process (this script with ``--worker``) that
   loads the model once, opens every store with that one embedder, builds the keyword index,
   warms up with a few questions, and then times ``services.chain.ask`` (the real extractive
   answer) over a pool of distinct questions about the sample articles:
   - first-time, shared cache: each question once, the cache emptied only before the first, so
     later questions reuse sentences earlier ones embedded (what a running server sees);
   - repeated: the same questions asked again ``--repeats`` times with the cache warm;
   - cold: the query embedder's LRU cache is emptied before each question, so the question and
     every candidate sentence are embedded;
   - retrieval only: ``services.searcher.search`` with the cache cold and warm.
   Wall time (``perf_counter``) and process CPU time (``process_time``, all threads) are both
   recorded, because other jobs may share the machine.
3. Profiles one cold and one repeated question with cProfile on the largest store.

Run: ``.venv/bin/python bench/latency.py`` (defaults: 10,000 and 100,000 chunks, torch and
onnx-int8, 60 distinct questions, 3 repeats). Results: a summary on stdout and
``bench/results/latency.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import io
import json
import os
import platform
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parents[1]
# The repository root first: bench/ on the path would make bench/ingest.py shadow `ingest`.
if sys.path[0] != str(ROOT):
    sys.path.insert(0, str(ROOT))
if str(ROOT / "bench") in sys.path:
    sys.path.remove(str(ROOT / "bench"))


def _load_module(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


bench_load = _load_module("briefbot_bench_load", ROOT / "bench" / "load.py")

from bot.services import Services, build_services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from vectorstore.embedder import CachedEmbedder, Embedder, make_embedder  # noqa: E402

# Warm-up questions are not in the measured pool.
WARMUP = [
    "What is happening with trade policy this year?",
    "Which outlets covered shipping?",
    "What did officials announce?",
]
TOPICS = [
    "the Panama Canal's daily transit slots",
    "Gatun Lake water levels",
    "the Rio Indio reservoir project",
    "Canada's tariff on rebar",
    "Canada's tariff-rate quota for free-trade partners",
    "export controls on advanced chip packaging tools",
    "the companies added to the Entity List",
    "China's rare-earth export licences",
    "EU countervailing duties on Chinese electric vehicles",
    "container freight rates from Shanghai to Rotterdam",
    "the WTO plywood dispute between Vietnam and Australia",
    "Suez Canal transits",
]
TEMPLATES = [
    "What do the documents say about {}?",
    "What is the latest news on {}?",
    "Who commented on {}, and what did they say?",
]


def question_pool(size: int) -> list[str]:
    """bench/load.py's 24 questions, then templates x topics, all distinct."""
    templated = [t.format(topic) for topic in TOPICS for t in TEMPLATES]
    pool = list(dict.fromkeys([*bench_load.QUESTIONS, *templated]))
    if size > len(pool):
        raise SystemExit(f"--pool {size}: only {len(pool)} distinct questions are defined")
    return pool[:size]


def percentile(values: list[float], q: float) -> float:
    return float(bench_load.percentile(values, q))


def stats_ms(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        "n": len(values),
        "p50": round(percentile(values, 50) * 1000, 1),
        "p95": round(percentile(values, 95) * 1000, 1),
        "mean": round(statistics.fmean(values) * 1000, 1),
        "max": round(max(values) * 1000, 1),
    }


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# -- building the stores -------------------------------------------------------------------------


class BatchedCollection:
    """Defers a Chroma collection's upserts and sends them concatenated, ``batch`` rows at a time.

    Each upsert into the embedded store costs ~50 ms however few rows it carries, so writing
    100k chunks one 10-chunk document at a time (bench/load.py's pace: ~120 chunks/s here) would
    take ~15 minutes. The store's own ``write_chunks`` and ``put_document`` still build every id,
    vector, text and metadata; only the calls to Chroma are grouped.
    """

    def __init__(self, inner: Any, batch: int) -> None:
        self._inner = inner
        self._batch = batch
        self._pending: dict[str, list[Any]] = {"ids": [], "embeddings": [], "documents": [], "metadatas": []}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def upsert(self, *, ids: list[str], embeddings: Any, documents: list[str], metadatas: list[Any]) -> None:
        self._pending["ids"].extend(ids)
        self._pending["embeddings"].extend(np.asarray(embeddings, dtype=np.float32))
        self._pending["documents"].extend(documents)
        self._pending["metadatas"].extend(metadatas)
        if len(self._pending["ids"]) >= self._batch:
            self.flush()

    def flush(self) -> None:
        if self._pending["ids"]:
            pending = self._pending
            self._inner.upsert(ids=pending["ids"], embeddings=np.stack(pending["embeddings"]),
                               documents=pending["documents"], metadatas=pending["metadatas"])
            self._pending = {key: [] for key in pending}


def fill_batched(data_dir: Path, *, target_chunks: int, noise: float, seed: int,
                 batch: int = 2000) -> dict[str, Any]:
    """bench/load.py's ``fill`` (same samples, seeds, synthetic documents), upserts batched."""
    started = time.perf_counter()
    services = build_services(settings_for(data_dir, "torch"))
    report = services.ingestor.run([str(bench_load.SAMPLES)])
    store = services.store
    have = store.count_chunks()
    made = 0
    if have < target_chunks:
        pool = bench_load.seeds(services)
        existing = [d.doc_id for d in store.list_documents() if d.doc_id.startswith("syn")]
        number = max((int(d[3:]) for d in existing), default=-1) + 1
        rng = random.Random(seed + number)
        real_chunks, real_docs = store._chunks, store._docs  # bench only
        chunks_proxy = BatchedCollection(real_chunks, batch)
        docs_proxy = BatchedCollection(real_docs, batch // 4)
        store._chunks, store._docs = chunks_proxy, docs_proxy
        try:
            while have < target_chunks:
                size = min(bench_load.CHUNKS_PER_DOC, target_chunks - have)
                bench_load.add_synthetic_document(services, number, rng, pool, noise, size)
                have += size
                number += 1
                made += 1
                if made % 1000 == 0:
                    print(f"  {have} chunks, {time.perf_counter() - started:.0f} s", flush=True)
            chunks_proxy.flush()  # chunks before document records, as write_chunks/put_document
            docs_proxy.flush()
        finally:
            store._chunks, store._docs = real_chunks, real_docs
        store.bump_revision()
    return {"sample_chunks": report.chunks, "synthetic_documents_added": made,
            "chunks": store.count_chunks(), "fill_seconds": round(time.perf_counter() - started, 1)}


def build_stores(root: Path, sizes: list[int], noise: float, seed: int) -> dict[str, Any]:
    built = {}
    for size in sizes:
        data_dir = root / str(size) / "data"
        print(f"filling {data_dir} to {size} chunks (load {load_average()}) ...", flush=True)
        report = fill_batched(data_dir, target_chunks=size, noise=noise, seed=seed)
        report["load_after"] = load_average()
        print(f"  {report}", flush=True)
        built[str(size)] = report
    return built


# -- measuring (worker process) ------------------------------------------------------------------


def cache_of(services: Services) -> CachedEmbedder:
    cached = services.query_embedder
    assert isinstance(cached, CachedEmbedder)
    return cached


def clear_cache(services: Services) -> None:
    cache_of(services)._vectors.clear()  # bench only: a cold LRU cache


def timed(call: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def profile_one(services: Services, question: str, *, cold: bool, top: int = 14) -> dict[str, Any]:
    if cold:
        clear_cache(services)
    else:
        services.chain.ask(question)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    services.chain.ask(question)
    profiler.disable()
    wall = time.perf_counter() - started
    out = {}
    for key in ("tottime", "cumulative"):
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).sort_stats(key).print_stats(top)
        out[key] = buffer.getvalue()
    return {"question": question, "cold": cold, "wall_ms": round(wall * 1000, 1), **out}


def measure_store(services: Services, pool: list[str], repeats: int, profile: bool) -> dict[str, Any]:
    started = time.perf_counter()
    chunks = services.store.count_chunks()
    _, index_s, _ = timed(services.searcher.keyword_index)
    for question in WARMUP:
        services.chain.ask(question)
    load_before = load_average()

    # 1. First time each question is asked in this process; the cache keeps what earlier
    #    questions embedded (sentences of the same articles), as in a running server.
    clear_cache(services)
    first: list[float] = []
    for question in pool:
        _, wall, _ = timed(lambda q=question: services.chain.ask(q))
        first.append(wall)

    # 2. Repeated: every question's vectors are now cached.
    warm: list[float] = []
    warm_cpu: list[float] = []
    for _ in range(repeats):
        for question in pool:
            _, wall, cpu = timed(lambda q=question: services.chain.ask(q))
            warm.append(wall)
            warm_cpu.append(cpu)

    # 3. Cold: the cache emptied before each question (the question and every sentence embedded).
    cold: list[float] = []
    cold_cpu: list[float] = []
    grounded = 0
    for question in pool:
        clear_cache(services)
        answer, wall, cpu = timed(lambda q=question: services.chain.ask(q))
        cold.append(wall)
        cold_cpu.append(cpu)
        grounded += bool(answer.grounded)

    search_cold: list[float] = []
    search_warm: list[float] = []
    top_k = services.settings.top_k
    for question in pool:
        clear_cache(services)
        _, wall, _ = timed(lambda q=question: services.searcher.search(q, top_k=top_k))
        search_cold.append(wall)
        _, wall, _ = timed(lambda q=question: services.searcher.search(q, top_k=top_k))
        search_warm.append(wall)

    result: dict[str, Any] = {
        "chunks": chunks,
        "keyword_index_build_s": round(index_s, 1),
        "questions": {"distinct": len(pool), "asked": len(first) + len(warm) + len(cold), "repeats": repeats},
        "grounded_cold": f"{grounded}/{len(pool)}",
        "ask_cold_ms": stats_ms(cold),
        "ask_first_shared_cache_ms": stats_ms(first),
        "ask_cold_cpu_ms": stats_ms(cold_cpu),
        "ask_repeated_ms": stats_ms(warm),
        "ask_repeated_cpu_ms": stats_ms(warm_cpu),
        "search_cold_ms": stats_ms(search_cold),
        "search_warm_ms": stats_ms(search_warm),
        "load_before": load_before,
        "load_after": load_average(),
    }
    if profile:
        result["profile"] = [
            profile_one(services, pool[0], cold=True),
            profile_one(services, pool[0], cold=False),
        ]
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def settings_for(data_dir: Path, backend: str) -> Settings:
    return Settings(
        _env_file=None, BRIEFBOT_DATA_DIR=str(data_dir), BRIEFBOT_EMBEDDING_BACKEND=backend,
        BRIEFBOT_LLM="extractive", BRIEFBOT_CHROMA_URL=None, BRIEFBOT_COLLECTION="briefbot",
    )


def worker(args: argparse.Namespace) -> None:
    """One backend, every store, one process, one loaded model."""
    started = time.perf_counter()
    embedder: Embedder = make_embedder(
        None, backend=args.backend, cache_dir=args.data_dir / "models", lazy=False
    )
    load_s = time.perf_counter() - started
    results: dict[str, Any] = {"backend": args.backend, "model_load_s": round(load_s, 1), "sizes": {}}
    pool = question_pool(args.pool)
    largest = max(args.sizes)
    for size in args.sizes:
        data_dir = args.data_dir / str(size) / "data"
        services = build_services(settings_for(data_dir, args.backend), embedder=embedder)
        print(f"[{args.backend}] measuring {size} chunks (load {load_average()}) ...", flush=True)
        results["sizes"][str(size)] = measure_store(
            services, pool, args.repeats, profile=args.profile and size == largest
        )
        shown = {k: v for k, v in results["sizes"][str(size)].items() if k != "profile"}
        print(f"[{args.backend}] {size}: {json.dumps(shown)}", flush=True)
    args.worker_out.write_text(json.dumps(results, indent=2) + "\n")


def run_worker(args: argparse.Namespace, backend: str, out: Path) -> dict[str, Any]:
    command = [
        sys.executable, str(Path(__file__).resolve()), "--worker", "--backend", backend,
        "--data-dir", str(args.data_dir), "--sizes", *map(str, args.sizes),
        "--pool", str(args.pool), "--repeats", str(args.repeats), "--worker-out", str(out),
    ]
    if not args.profile:
        command.append("--no-profile")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIEFBOT_", "OPENAI_", "SLACK_"))}
    env.update(BRIEFBOT_EMBEDDING_BACKEND=backend, BRIEFBOT_LOG_LEVEL="WARNING")
    done = subprocess.run(command, cwd=ROOT, env=env, check=False)
    if done.returncode != 0 or not out.exists():
        return {"backend": backend, "error": f"worker exited with {done.returncode}"}
    result: dict[str, Any] = json.loads(out.read_text())
    return result


# -- main ----------------------------------------------------------------------------------------


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| embedder | chunks | ask cold p50 / p95 / mean | ask first-time, shared cache p50 / p95 / mean "
        "| ask repeated p50 / p95 / mean | search cold p50 / p95 | search warm p50 / p95 "
        "| CPU per ask p50 cold / repeated |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        if "error" in result:
            lines.append(f"| {result['backend']} | — | {result['error']} | | | | | |")
            continue
        for size, r in result["sizes"].items():
            c, f, w = r["ask_cold_ms"], r["ask_first_shared_cache_ms"], r["ask_repeated_ms"]
            sc, sw = r["search_cold_ms"], r["search_warm_ms"]
            lines.append(
                f"| {result['backend']} | {int(size):,} | {c['p50']} / {c['p95']} / {c['mean']} ms "
                f"| {f['p50']} / {f['p95']} / {f['mean']} ms "
                f"| {w['p50']} / {w['p95']} / {w['mean']} ms | {sc['p50']} / {sc['p95']} ms "
                f"| {sw['p50']} / {sw['p95']} ms "
                f"| {r['ask_cold_cpu_ms']['p50']} / {r['ask_repeated_cpu_ms']['p50']} ms |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000],
                        help="Store sizes in chunks (default: 10000 100000).")
    parser.add_argument("--backends", nargs="+", default=["torch", "onnx-int8"],
                        choices=["torch", "onnx", "onnx-int8"], help="Embedding backends to measure.")
    parser.add_argument("--pool", type=int, default=60, help="Distinct questions (default 60, max 60).")
    parser.add_argument("--repeats", type=int, default=3,
                        help="Passes over the pool with the cache warm (default 3).")
    parser.add_argument("--data-dir", type=Path,
                        help="Root holding <size>/data stores: reused if filled, else filled.")
    parser.add_argument("--noise", type=float, default=0.05, help="Sigma of the synthetic vector noise.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-profile", dest="profile", action="store_false",
                        help="Skip the cProfile of one question on the largest store.")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "latency.json")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--backend", default="torch", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.sizes = sorted(set(args.sizes))

    if args.worker:
        worker(args)
        return

    started = time.perf_counter()
    args.data_dir = (args.data_dir or Path(tempfile.mkdtemp(prefix="briefbot-latency-"))).resolve()
    load_start = load_average()
    stores = build_stores(args.data_dir, args.sizes, args.noise, args.seed)
    results = [
        run_worker(args, backend, args.data_dir / f"worker-{backend}.json") for backend in args.backends
    ]
    report = {
        "command": " ".join(["python", "bench/latency.py", *sys.argv[1:]]),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(), "load_at_start": load_start,
                    "load_at_end": load_average()},
        "generator": "extractive", "data_dir": str(args.data_dir), "stores": stores,
        "results": results, "total_seconds": round(time.perf_counter() - started, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(table(results))
    for result in results:
        for size, r in result.get("sizes", {}).items():
            for prof in r.get("profile", []):
                print(f"\n--- {result['backend']} {size} chunks, {'cold' if prof['cold'] else 'repeated'} "
                      f"question, {prof['wall_ms']} ms under cProfile ---")
                print(prof["tottime"])
    print(f"total {report['total_seconds']} s; results in {args.out}")


if __name__ == "__main__":
    main()
