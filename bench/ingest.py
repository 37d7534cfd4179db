"""Ingest throughput and embedding backends (torch, onnx, onnx-int8), measured in one run.

Why: embedding is the ingest bottleneck on 2-core machines (DESIGN.md, "Offline models"), so the
backend decides how long a first ingest takes. This script answers, per backend:

(a) a full ingest of a ~2,200-chunk news corpus into a fresh data dir through the real pipeline
    (``build_services(Settings(...)).ingestor.run``), in chunks/s, with the time spent inside
    ``embed`` and ``token_spans`` split out;
(b) raw encoder throughput (``embedder.embed``) on the same chunk ``embed_text``s (a seeded
    sample of them with ``--limit-chunks``), median over ``--raw-repeats`` passes;
(c) ingest/raw: how much of the encoder's speed the pipeline keeps;
(d) a re-ingest of the unchanged corpus with freshly built services (as a new
    ``briefbot ingest`` would), as % of the first run, and whether it loaded the model;
plus quality: mean cosine against torch on 500 chunks, and dense-only Hits@10 / MRR@10 on the
non-null MultiHop-RAG diag questions (SCORING.md 1.2 rule) through ``ChromaStore.dense_query``.

Run: ``.venv/bin/python bench/ingest.py`` (about 6 minutes on 2 cores). Results: a markdown
table on stdout and ``bench/results/ingest.json``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.services import build_embedder, build_services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from ingest.chunk import ChunkPlan, split_text  # noqa: E402
from ingest.document import LoadedDocument  # noqa: E402
from ingest.loaders.jsonl import load_jsonl  # noqa: E402
from vectorstore.embedder import Embedder, Vectors, default_model_path  # noqa: E402

EVAL = Path("/work/shared/eval/multihop-rag")
BACKENDS = ("torch", "onnx", "onnx-int8")
AGREEMENT_CHUNKS = 500
K = 10


# -- corpus --------------------------------------------------------------------------------------


@dataclass
class Corpus:
    path: Path
    docs: list[LoadedDocument]
    embed_texts: list[str]
    chunk_texts: list[str]
    required_docs: int


def _briefbot_line(item: dict[str, Any]) -> dict[str, Any]:
    """MultiHop-RAG article -> briefbot's JSONL fields."""
    return {
        "title": item.get("title"),
        "text": item.get("body"),
        "url": item.get("url"),
        "published": item.get("published_at"),
        "source": item.get("source"),
        "author": item.get("author"),
    }


def _span_counter() -> Any:
    """The model's own word-piece spans (identical for all three backends; checked after ingest)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(default_model_path() / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    return lambda text: [(a, b) for a, b in tok.encode(text, add_special_tokens=False).offsets]


def build_corpus(
    documents: Path, questions: list[dict[str, Any]], target_chunks: int, workdir: Path, seed: int
) -> Corpus:
    """Every article the questions cite, then seeded distractors until ``target_chunks``.

    Chunks are made exactly as ingest makes them (same loader, same ChunkPlan) so the raw
    encoder pass embeds the very texts ingest embeds.
    """
    needed = {e["url"] for q in questions for e in q["evidence_list"]}
    lines = documents.read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines if line.strip()]
    required = [i for i in items if i.get("url") in needed]
    others = [i for i in items if i.get("url") not in needed]
    random.Random(seed).shuffle(others)
    spans = _span_counter()
    settings = Settings(BRIEFBOT_DATA_DIR=workdir / "unused")
    plan = ChunkPlan(max_tokens=254, target_tokens=settings.chunk_tokens)
    chosen: list[dict[str, Any]] = []
    docs: list[LoadedDocument] = []
    texts: list[str] = []
    plain: list[str] = []
    hashes: set[str] = set()
    for n, item in enumerate(required + others):
        if n >= len(required) and len(texts) >= target_chunks:
            break
        line = json.dumps(_briefbot_line(item), ensure_ascii=False)
        loaded = next(iter(load_jsonl(line.encode(), locator="corpus.jsonl")))
        if not isinstance(loaded, LoadedDocument) or loaded.content_hash in hashes:
            continue  # an exact duplicate would be recorded, not embedded: keep counts exact
        hashes.add(loaded.content_hash)
        chunks = split_text(
            loaded.text, doc_id=loaded.doc_id, title=loaded.title, source=loaded.source,
            token_spans=spans, plan=plan,
        )
        chosen.append(_briefbot_line(item))
        docs.append(loaded)
        texts.extend(c.embed_text for c in chunks)
        plain.extend(c.text for c in chunks)
    path = workdir / "corpus" / "corpus.jsonl"
    path.parent.mkdir(parents=True)
    body = "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in chosen)
    path.write_text(body, encoding="utf-8")
    return Corpus(path, docs, texts, plain, len(required))


# -- timing proxy --------------------------------------------------------------------------------


class TimedEmbedder:
    """Passes every call to the real (lazy) embedder and adds up the time spent in each."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.embed_s = 0.0
        self.spans_s = 0.0
        self.embed_calls = 0

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    @property
    def max_tokens(self) -> int:
        return self.inner.max_tokens

    @property
    def embedded_count(self) -> int:
        return self.inner.embedded_count

    def embed(self, texts: Sequence[str]) -> Vectors:
        started = time.perf_counter()
        try:
            return self.inner.embed(texts)
        finally:
            self.embed_s += time.perf_counter() - started
            self.embed_calls += 1

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        started = time.perf_counter()
        try:
            return self.inner.token_spans(text)
        finally:
            self.spans_s += time.perf_counter() - started

    def reset(self) -> None:
        self.embed_s = self.spans_s = 0.0
        self.embed_calls = 0


# -- other processes on the same CPUs -----------------------------------------------------------


def _busy_cpu_seconds() -> float:
    """CPU seconds all processes have run since boot (/proc/stat), 0 where unavailable."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """Share of the machine's CPU time other processes took during a phase.

    Two cores leave no headroom: a concurrent test run or ingest halves every number here, so
    each phase records how much of the CPUs it did not have.
    """

    def __enter__(self) -> CpuMeter:
        self.busy = _busy_cpu_seconds()
        self.own = time.process_time()
        self.wall = time.perf_counter()
        self.share = 0.0
        self.own_cpu = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.perf_counter() - self.wall
        self.own_cpu = time.process_time() - self.own
        others = (_busy_cpu_seconds() - self.busy) - self.own_cpu
        self.share = max(0.0, others) / (wall * (os.cpu_count() or 1)) if wall > 0 else 0.0


def wait_idle(limit_s: float, threshold: float = 0.10) -> float:
    """Wait (up to ``limit_s``) until other processes use under ``threshold`` of the CPUs."""
    deadline = time.perf_counter() + limit_s
    while True:
        with CpuMeter() as meter:
            time.sleep(2.0)
        if meter.share < threshold or time.perf_counter() >= deadline:
            if meter.share >= threshold:
                log(f"    CPUs still {meter.share:.0%} busy with other processes; measuring anyway")
            return meter.share
        log(f"    other processes use {meter.share:.0%} of the CPUs; waiting")
        time.sleep(8.0)


# -- retrieval scoring (SCORING.md 1.2 / 1.3) ----------------------------------------------------


def norm_official(text: str) -> str:
    """SCORING.md 1.2: remove U+0020 and U+000A only; case-sensitive."""
    return text.replace(" ", "").replace("\n", "")


def norm_all_ws(text: str) -> str:
    """Every whitespace character removed (the README's looser wording)."""
    return "".join(text.split())


def first_ranks(ranked: list[list[str]], facts: list[list[str]], norm: Any) -> list[int | None]:
    """Per question, the rank (1-10) of the first chunk holding a whole gold fact, else None."""
    out: list[int | None] = []
    for texts, gold in zip(ranked, facts, strict=True):
        wanted = [norm(g) for g in gold]
        out.append(next(
            (i for i, t in enumerate(texts[:K], 1) if any(w in norm(t) for w in wanted)), None
        ))
    return out


def score(ranks: list[int | None]) -> dict[str, float]:
    n = max(len(ranks), 1)
    found = [r for r in ranks if r is not None]
    return {
        "hits@10": len(found) / n,
        "hits@4": sum(r <= 4 for r in found) / n,
        "mrr@10": sum(1 / r for r in found) / n,
    }


# -- one backend ---------------------------------------------------------------------------------


@dataclass
class BackendResult:
    backend: str
    load_s: float = 0.0
    ingest_s: float = 0.0
    ingest_chunks: int = 0
    ingest_embed_s: float = 0.0
    ingest_spans_s: float = 0.0
    ingest_embed_calls: int = 0
    raw_rates: list[float] = field(default_factory=list)
    raw_chunks: int = 0
    reingest_s: float = 0.0
    reingest_run_s: float = 0.0
    reingest_unchanged: int = 0
    reingest_loaded_model: bool | None = None
    contention: dict[str, float] = field(default_factory=dict)
    ingest_cpu_s: float = 0.0
    raw_cpu_s: float = 0.0
    embedder: Any = None
    ranks: list[int | None] = field(default_factory=list)
    question_ids: list[str] = field(default_factory=list)

    @property
    def ingest_cpu_rate(self) -> float:
        return self.ingest_chunks / self.ingest_cpu_s if self.ingest_cpu_s else 0.0

    @property
    def raw_cpu_rate(self) -> float:
        return len(self.raw_rates) * self.raw_chunks / self.raw_cpu_s if self.raw_cpu_s else 0.0
    retrieval: dict[str, dict[str, float]] = field(default_factory=dict)
    top10: list[list[str]] = field(default_factory=list)
    agreement_vectors: Any = None

    @property
    def ingest_rate(self) -> float:
        return self.ingest_chunks / self.ingest_s if self.ingest_s else 0.0

    @property
    def raw_rate(self) -> float:
        return statistics.median(self.raw_rates) if self.raw_rates else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "load_s": round(self.load_s, 2),
            "ingest_s": round(self.ingest_s, 2),
            "ingest_chunks": self.ingest_chunks,
            "ingest_chunks_per_s": round(self.ingest_rate, 2),
            "ingest_embed_s": round(self.ingest_embed_s, 2),
            "ingest_token_spans_s": round(self.ingest_spans_s, 2),
            "ingest_other_s": round(self.ingest_s - self.ingest_embed_s - self.ingest_spans_s, 2),
            "ingest_embed_calls": self.ingest_embed_calls,
            "raw_chunks": self.raw_chunks,
            "raw_chunks_per_s": [round(r, 2) for r in self.raw_rates],
            "raw_chunks_per_s_median": round(self.raw_rate, 2),
            "ingest_cpu_s": round(self.ingest_cpu_s, 2),
            "ingest_chunks_per_cpu_s": round(self.ingest_cpu_rate, 2),
            "raw_cpu_s": round(self.raw_cpu_s, 2),
            "raw_chunks_per_cpu_s": round(self.raw_cpu_rate, 2),
            "ingest_over_raw": round(self.ingest_rate / self.raw_rate, 3) if self.raw_rate else 0,
            "reingest_s": round(self.reingest_s, 2),
            "reingest_run_s": round(self.reingest_run_s, 2),
            "reingest_pct_of_first": round(100 * self.reingest_s / self.ingest_s, 1),
            "reingest_unchanged_docs": self.reingest_unchanged,
            "reingest_loaded_model": self.reingest_loaded_model,
            "retrieval": {
                rule: {m: round(v, 4) for m, v in scores.items()}
                for rule, scores in self.retrieval.items()
            },
            "other_processes_cpu_share": {k: round(v, 3) for k, v in self.contention.items()},
            "first_relevant_rank": dict(zip(self.question_ids, self.ranks, strict=True)),
        }


def settings_for(data_dir: Path, backend: str) -> Settings:
    return Settings(
        BRIEFBOT_DATA_DIR=data_dir,
        BRIEFBOT_EMBEDDING_BACKEND=backend,
        BRIEFBOT_EMBEDDING_MODEL=None,
        BRIEFBOT_CHROMA_URL=None,
        BRIEFBOT_COLLECTION="bench_ingest",
    )


def run_backend(
    backend: str,
    corpus: Corpus,
    questions: list[dict[str, Any]],
    workdir: Path,
    idle_s: float,
) -> BackendResult:
    """(a) ingest, retrieval quality and (d) re-ingest; the raw passes come later, interleaved."""
    result = BackendResult(backend)
    if idle_s > 0:
        wait_idle(idle_s)
    data_dir = workdir / f"data-{backend}"
    settings = settings_for(data_dir, backend)
    log(f"[{backend}] loading the model (first load in a fresh data dir)")
    timed = TimedEmbedder(build_embedder(settings))
    started = time.perf_counter()
    timed.inner.embed(["warm up"])
    result.load_s = time.perf_counter() - started
    services = build_services(settings, embedder=cast(Embedder, timed))
    ingestor = services.ingestor  # opens the store; timed apart from the run itself
    timed.reset()

    log(f"[{backend}] (a) ingesting {len(corpus.docs)} documents")
    with CpuMeter() as meter:
        started = time.perf_counter()
        report = ingestor.run([str(corpus.path)])
        result.ingest_s = time.perf_counter() - started
    result.contention["ingest"] = meter.share
    result.ingest_cpu_s = meter.own_cpu
    if report.failed or report.chunks != len(corpus.embed_texts):
        raise SystemExit(
            f"{backend}: ingest produced {report.chunks} chunks (expected "
            f"{len(corpus.embed_texts)}), failures: {report.failed[:3]}"
        )
    result.ingest_chunks = report.chunks
    result.ingest_embed_s, result.ingest_spans_s = timed.embed_s, timed.spans_s
    result.ingest_embed_calls = timed.embed_calls
    log(
        f"[{backend}]     {result.ingest_rate:.1f} chunks/s ({result.ingest_s:.1f} s; other "
        f"processes took {meter.share:.0%} of the CPUs)"
    )

    log(f"[{backend}] retrieval on {len(questions)} questions")
    embedder = timed.inner
    store = services.store
    query_vectors = embedder.embed([q["query"] for q in questions])
    ranked: list[list[str]] = []
    for vector in query_vectors:
        hits = store.dense_query(vector, k=K)
        ranked.append([h.text for h in hits])
        result.top10.append([h.chunk_id for h in hits])
    facts = [[e["fact"] for e in q["evidence_list"]] for q in questions]
    result.ranks = first_ranks(ranked, facts, norm_official)
    result.question_ids = [str(q.get("question_id", i)) for i, q in enumerate(questions)]
    result.retrieval = {
        "official": score(result.ranks),
        "all_whitespace": score(first_ranks(ranked, facts, norm_all_ws)),
    }

    log(f"[{backend}] (d) re-ingest of the unchanged corpus with fresh services")
    started = time.perf_counter()
    fresh = build_services(settings)
    fresh_ingestor = fresh.ingestor
    run_started = time.perf_counter()
    again = fresh_ingestor.run([str(corpus.path)])
    result.reingest_run_s = time.perf_counter() - run_started
    result.reingest_s = time.perf_counter() - started
    result.reingest_unchanged = again.unchanged
    result.reingest_loaded_model = getattr(fresh.embedder, "loaded", None)
    if again.chunks or again.unchanged != len(corpus.docs):
        raise SystemExit(f"{backend}: re-ingest was not a no-op: {again.summary_line()}")
    log(f"[{backend}]     {result.reingest_s:.2f} s, model loaded: {result.reingest_loaded_model}")
    result.embedder = embedder
    del fresh, fresh_ingestor, services, ingestor, timed
    gc.collect()
    return result


def raw_passes(
    results: dict[str, BackendResult], raw_texts: list[str], agreement_texts: list[str], repeats: int
) -> None:
    """(b) ``embed`` on the chunk texts, backends taking turns pass by pass.

    Interleaving spreads whatever else runs on the machine evenly over the backends, so their
    medians stay comparable even when the CPUs are shared.
    """
    log(f"(b) raw embed of {len(raw_texts)} chunk texts, {repeats} passes per backend, interleaved")
    cpu: dict[str, float] = dict.fromkeys(results, 0.0)
    shares: dict[str, list[float]] = {name: [] for name in results}
    for round_ in range(repeats):
        for name, result in results.items():
            with CpuMeter() as meter:
                started = time.perf_counter()
                vectors = result.embedder.embed(raw_texts)
                result.raw_rates.append(len(raw_texts) / (time.perf_counter() - started))
            cpu[name] += meter.own_cpu
            shares[name].append(meter.share)
            if round_ == 0 and len(raw_texts) >= len(agreement_texts):
                result.agreement_vectors = vectors[: len(agreement_texts)]
            log(f"    {name} pass {round_ + 1}: {result.raw_rates[-1]:.1f} chunks/s "
                f"(others {meter.share:.0%})")
    for name, result in results.items():
        result.raw_chunks = len(raw_texts)
        result.raw_cpu_s = cpu[name]
        result.contention["raw"] = statistics.mean(shares[name]) if shares[name] else 0.0
        if result.agreement_vectors is None:
            result.agreement_vectors = result.embedder.embed(agreement_texts)


# -- reporting -----------------------------------------------------------------------------------


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("torch", "onnxruntime", "sentence-transformers", "tokenizers", "chromadb"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    return out


def table(results: dict[str, BackendResult], agreement: dict[str, dict[str, float]]) -> str:
    rows = [
        "| backend | model load s | ingest chunks/s | embed share of ingest "
        "| raw chunks/s (median) | ingest/raw | chunks per CPU-s: ingest / raw (ratio) "
        "| others' CPU share | re-ingest s (% of first) | mean cos vs torch "
        "| Hits@10 | MRR@10 | Hits@4 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        official = r.retrieval["official"]
        cos = agreement.get(name, {}).get("mean")
        rows.append(
            f"| {name} | {r.load_s:.1f} | {r.ingest_rate:.1f} "
            f"| {r.ingest_embed_s / r.ingest_s:.0%} | {r.raw_rate:.1f} | {r.ingest_rate / r.raw_rate:.2f} "
            f"| {r.ingest_cpu_rate:.1f} / {r.raw_cpu_rate:.1f} "
            f"({r.ingest_cpu_rate / r.raw_cpu_rate:.2f}) "
            f"| {r.contention.get('ingest', 0):.0%} / {r.contention.get('raw', 0):.0%} "
            f"| {r.reingest_s:.2f} ({100 * r.reingest_s / r.ingest_s:.1f} %) "
            f"| {'—' if cos is None else f'{cos:.4f}'} "
            f"| {official['hits@10']:.4f} | {official['mrr@10']:.4f} | {official['hits@4']:.4f} |"
        )
    return "\n".join(rows)


def recommendation(results: dict[str, BackendResult]) -> str:
    if not {"torch", "onnx-int8"} <= results.keys():
        return "needs both torch and onnx-int8 in --backends"
    # Fastest by wall clock and by CPU time: on a shared machine the first alone can mislead.
    fastest = max(results, key=lambda b: results[b].ingest_rate)
    fastest_cpu = max(results, key=lambda b: results[b].ingest_cpu_rate)
    base = results["torch"].retrieval["official"]
    int8 = results["onnx-int8"].retrieval["official"]
    deltas = {m: int8[m] - base[m] for m in ("hits@10", "mrr@10", "hits@4")}
    held = deltas["hits@10"] >= -0.01 and deltas["mrr@10"] >= -0.01
    pairs = zip(results["torch"].ranks, results["onnx-int8"].ranks, strict=True)
    moves = [(a or K + 1) - (b or K + 1) for a, b in pairs]
    verdict = (
        "onnx-int8 should be the default"
        if fastest == fastest_cpu == "onnx-int8" and held
        else "keep the current default"
    )
    return (
        f"fastest ingest: {fastest} (wall), {fastest_cpu} (CPU time); int8 - torch: "
        f"Hits@10 {deltas['hits@10']:+.4f}, MRR@10 {deltas['mrr@10']:+.4f}, "
        f"Hits@4 {deltas['hits@4']:+.4f}; first relevant rank better for "
        f"{sum(m > 0 for m in moves)}, worse for {sum(m < 0 for m in moves)} questions "
        f"(quality held within 0.01: {held}) -> {verdict}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Writes bench/results/ingest.json and prints a markdown table.",
    )
    parser.add_argument(
        "--backends", default=",".join(BACKENDS),
        help="comma-separated subset of torch,onnx,onnx-int8 (default: all three, torch first)",
    )
    parser.add_argument("--documents", type=Path, default=EVAL / "documents.subset.jsonl")
    parser.add_argument("--questions", type=Path, default=EVAL / "questions.diag.jsonl")
    parser.add_argument(
        "--target-chunks", type=int, default=2200,
        help="add distractor articles after the cited ones until this many chunks (default 2200)",
    )
    parser.add_argument(
        "--limit-chunks", type=int, default=800,
        help="raw throughput on a seeded sample of this many of the ingested chunk texts "
        "(0 = all of them; default 800, so three passes per backend fit the time budget)",
    )
    parser.add_argument(
        "--raw-repeats", type=int, default=3, help="raw passes; the median is reported"
    )
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "ingest.json")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary corpus and data dirs"
    )
    parser.add_argument(
        "--wait-idle", type=float, default=60,
        help="wait up to this many seconds for other processes to leave the CPUs idle before "
        "each backend's ingest (default 60; 0 = don't wait). Contention is recorded either way.",
    )
    args = parser.parse_args(argv)

    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - set(BACKENDS)
    if unknown or not backends:
        parser.error(f"unknown backends {sorted(unknown)}: use {', '.join(BACKENDS)}")

    began = time.perf_counter()
    load_before = os.getloadavg()
    questions = [
        q for q in (json.loads(line) for line in args.questions.read_text().splitlines() if line)
        if q.get("question_type") != "null_query" and q.get("evidence_list")
    ]
    workdir = Path(tempfile.mkdtemp(prefix="briefbot-bench-ingest-"))
    try:
        log(f"building the corpus in {workdir}")
        corpus = build_corpus(args.documents, questions, args.target_chunks, workdir, args.seed)
        log(f"corpus: {len(corpus.docs)} documents ({corpus.required_docs} cited), "
            f"{len(corpus.embed_texts)} chunks")
        order = list(range(len(corpus.embed_texts)))
        random.Random(args.seed).shuffle(order)
        limit = args.limit_chunks or len(order)
        raw_texts = [corpus.embed_texts[i] for i in order[:limit]]
        agreement_texts = [corpus.embed_texts[i] for i in order[:AGREEMENT_CHUNKS]]

        results: dict[str, BackendResult] = {}
        for backend in backends:
            results[backend] = run_backend(backend, corpus, questions, workdir, args.wait_idle)
        raw_passes(results, raw_texts, agreement_texts, args.raw_repeats)

        agreement: dict[str, dict[str, float]] = {}
        overlap: dict[str, float] = {}
        if "torch" in results:
            ref = results["torch"]
            for name, r in results.items():
                if name == "torch":
                    continue
                cos = np.sum(ref.agreement_vectors * r.agreement_vectors, axis=1)
                agreement[name] = {
                    "mean": float(cos.mean()), "min": float(cos.min()),
                    "p01": float(np.quantile(cos, 0.01)), "chunks": len(cos),
                }
                overlap[name] = float(np.mean([
                    len(set(a) & set(b)) / K for a, b in zip(ref.top10, r.top10, strict=True)
                ]))

        ceiling = query_ceiling(corpus, questions)
        elapsed = time.perf_counter() - began
        markdown = table(results, agreement)
        verdict = recommendation(results)
        print(markdown)
        print()
        print(f"corpus: {len(corpus.docs)} documents, {len(corpus.embed_texts)} chunks; "
              f"raw throughput on {len(raw_texts)} of them, median of {args.raw_repeats}; "
              f"{len(questions)} diag questions (query ceiling {ceiling:.4f}); "
              f"{os.cpu_count()} CPUs; total {elapsed:.0f} s")
        for name, r in results.items():
            alt = r.retrieval["all_whitespace"]
            print(f"{name}: Hits@4 {r.retrieval['official']['hits@4']:.4f}; all-whitespace rule "
                  f"Hits@10 {alt['hits@10']:.4f} MRR@10 {alt['mrr@10']:.4f}"
                  + (f"; top-10 overlap with torch {overlap[name]:.3f}" if name in overlap else ""))
        print(verdict)

        payload = {
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "machine": {
                "cpus": os.cpu_count(), "cpu_model": cpu_model(),
                "loadavg_before": load_before, "loadavg_after": os.getloadavg(),
                "python": platform.python_version(), "versions": versions(),
            },
            "corpus": {
                "documents": len(corpus.docs), "cited_documents": corpus.required_docs,
                "chunks": len(corpus.embed_texts), "raw_sample_chunks": len(raw_texts),
                "raw_repeats": args.raw_repeats, "seed": args.seed,
            },
            "questions": {"file": str(args.questions), "scored": len(questions),
                          "query_ceiling": round(ceiling, 4)},
            "backends": {name: r.to_json() for name, r in results.items()},
            "agreement_vs_torch": agreement,
            "top10_overlap_vs_torch": overlap,
            "recommendation": verdict,
            "elapsed_s": round(elapsed, 1),
            "table": markdown,
        }
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(payload, indent=2) + "\n")
        log(f"wrote {args.output}")
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
    return 0


def query_ceiling(corpus: Corpus, questions: list[dict[str, Any]]) -> float:
    """Share of questions with at least one gold fact whole inside some chunk (Hits@k's bound)."""
    chunks = [norm_official(t) for t in corpus.chunk_texts]
    found = 0
    for q in questions:
        facts = [norm_official(e["fact"]) for e in q["evidence_list"]]
        found += any(f in c for c in chunks for f in facts)
    return found / max(len(questions), 1)


if __name__ == "__main__":
    raise SystemExit(main())
