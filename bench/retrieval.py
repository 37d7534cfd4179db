"""Retrieval quality on MultiHop-RAG: dense-only, BM25-only and hybrid, side by side.

Usage:
    python bench/retrieval.py --data-dir /tmp/mh            # ingests the corpus there if empty
    python bench/retrieval.py --data-dir /tmp/mh --grid     # tune fusion weights on the dev set

Both arms are computed once per query and cached, so every fusion variant is scored on exactly
the same candidates. Results go to stdout (markdown) and bench/results/retrieval.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # bench/ingest.py must not shadow the ingest package

from bot.evaluation import first_relevant_rank, load_questions, normalise, score_ranks  # noqa: E402
from bot.services import build_services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from vectorstore.hybrid import HybridSearcher  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval" / "multihop-rag"
SPLITS = {
    "diag": "questions.diag.jsonl",
    "heldout": "questions.heldout.jsonl",
    "sample": "questions.sample.jsonl",
}


def non_null(items: list[dict]) -> list[dict]:
    return [q for q in items if q.get("evidence_list") and q.get("question_type") != "null_query"]


def arms(searcher: HybridSearcher, queries: list[str]) -> dict:
    """Both arms' candidates with their scores, computed once per query."""
    index = searcher.keyword_index()
    return {q: searcher.candidates_for(q, index=index) for q in queries}


def evaluate(searcher: HybridSearcher, items: list[dict], cache: dict, mode: str) -> dict:
    index = searcher.keyword_index()
    ranks = []
    for item in items:
        found = cache[item["query"]]
        if mode in ("dense", "keyword"):
            texts = [c.text for c in found.ranked(mode)[:10]]
        else:
            texts = [h.text for h in searcher.fuse(item["query"], found, index=index, top_k=10)]
        ranks.append(first_relevant_rank(texts, [e["fact"] for e in item["evidence_list"]]))
    return score_ranks(ranks).to_json()


def fact_coverage(searcher: HybridSearcher, items: list[dict]) -> dict:
    chunks = [normalise(c.text) for c in searcher.keyword_index().chunks]
    facts = {normalise(e["fact"]) for q in items for e in q["evidence_list"]}
    whole = sum(1 for f in facts if any(f in c for c in chunks))
    ceiling = sum(
        1 for q in items if any(any(normalise(e["fact"]) in c for c in chunks) for e in q["evidence_list"])
    )
    return {
        "facts": len(facts),
        "facts_whole": whole,
        "share": round(whole / max(len(facts), 1), 4),
        "query_ceiling": round(ceiling / max(len(items), 1), 4),
        "chunks": len(chunks),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/briefbot-multihop"))
    parser.add_argument("--grid", action="store_true", help="search fusion weights on the dev split")
    args = parser.parse_args()
    services = build_services(Settings(BRIEFBOT_DATA_DIR=args.data_dir))
    if services.read_only_store().count_chunks() == 0:
        started = time.perf_counter()
        report = services.ingestor.run([str(EVAL / "documents.subset.jsonl")])
        print(f"ingested: {report.summary_line()} ({time.perf_counter() - started:.0f} s)")
    searcher = services.searcher
    default = searcher.weights
    splits = {name: non_null(load_questions(EVAL / file)) for name, file in SPLITS.items()}
    started = time.perf_counter()
    cache = arms(searcher, sorted({q["query"] for items in splits.values() for q in items}))
    print(f"arms computed for {len(cache)} queries in {time.perf_counter() - started:.1f} s")
    if args.grid:
        grid(searcher, splits["diag"], cache)
        return
    results: dict = {}
    for name, items in splits.items():
        results[name] = {mode: evaluate(searcher, items, cache, mode) for mode in ("dense", "keyword")}
        searcher.weights = replace(
            default, method="rrf", dense=1.0, keyword=1.0, source_boost=0.0, date_boost=0.0, recency_boost=0.0
        )
        results[name]["rrf, equal weights, no boosts"] = evaluate(searcher, items, cache, "hybrid")
        searcher.weights = replace(default, method="rrf")
        results[name]["rrf, tuned weights and boosts"] = evaluate(searcher, items, cache, "hybrid")
        searcher.weights = default
        results[name]["hybrid (default: score fusion)"] = evaluate(searcher, items, cache, "hybrid")
    results["coverage"] = fact_coverage(searcher, splits["sample"])
    results["weights"] = searcher.weights.__dict__
    print("| split | mode | queries | Hits@4 | Hits@10 | MRR@10 |\n|---|---|---|---|---|---|")
    for name in SPLITS:
        for mode, r in results[name].items():
            print(f"| {name} | {mode} | {r['queries']} | {r['hits@4']} | {r['hits@10']} | {r['mrr@10']} |")
    print("coverage:", results["coverage"])
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "retrieval.json").write_text(json.dumps(results, indent=2))


def grid(searcher: HybridSearcher, items: list[dict], cache: dict) -> None:
    base = searcher.weights
    rows = []
    weights = itertools.product((0.0, 0.15, 0.25, 0.5, 0.75), (0.1, 0.2, 0.3, 0.5), (0.1, 0.2, 0.4))
    for dense, source, day in weights:
        searcher.weights = replace(base, dense=dense, keyword=1.0, source_boost=source, date_boost=day)
        r = evaluate(searcher, items, cache, "hybrid")
        rows.append((r["mrr@10"], r["hits@10"], dense, source, day))
    for row in sorted(rows, reverse=True)[:15]:
        print("mrr {:.4f} hits10 {:.4f} dense={} source={} date={}".format(*row))
    searcher.weights = base


if __name__ == "__main__":
    main()
