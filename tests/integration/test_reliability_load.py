"""Load: 50 concurrent clients × 20 questions against a real `python -m bot.api` process.

Each client has its own connection and asks its 20 questions (`/v1/ask`, the whole answer chain;
the first one streamed for every other client) one after another, all 50 clients at once. Every
question is worded uniquely, so none is answered from the embedding cache. The corpus is small
(six short articles), which keeps an answer to ~20 ms of CPU; docs/reliability.md has the
figures. Nothing may fail, and the server's memory (VmRSS) may not run away.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from support.api_server import ApiServer
from support.corpus import TOPICS, write_article

from bot.services import build_services
from bot.settings import Settings
from vectorstore.embedder import Embedder

pytestmark = pytest.mark.slow
CLIENTS = 50
PER_CLIENT = 20
QUESTIONS = [
    "How many daily transit slots did the canal authority add?",
    "What tariff did Canada set on hot-rolled coil?",
    "Why were magnet makers waiting for licences?",
    "How many categories of chip packaging tools do export controls cover?",
    "What did the trade panel rule on hardwood plywood?",
    "Why did container spot rates rise?",
]
RSS_GROWTH_LIMIT_MB = 512


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def record(self, kind: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)

    def summary(self, kind: str) -> str:
        values = sorted(self.latencies.get(kind, []))
        if not values:
            return f"{kind}: none"
        p95 = values[int(0.95 * (len(values) - 1))]
        return (f"{kind}: {len(values)} requests, median {statistics.median(values) * 1000:.0f} ms, "
                f"p95 {p95 * 1000:.0f} ms, max {values[-1] * 1000:.0f} ms")


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc/PID/status (VmRSS, kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS line")


async def one_client(url: str, number: int, tally: Tally) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        for i in range(PER_CLIENT):
            # unique wording, so no question is answered from the embedding cache
            question = f"{QUESTIONS[(number + i) % len(QUESTIONS)]} (client {number}, question {i})"
            stream = i == 0 and number % 2 == 0
            kind = "ask (streamed)" if stream else "ask"
            started = time.perf_counter()
            try:
                response = await client.post("/v1/ask", json={"question": question, "stream": stream})
                problem = check(response)
            except httpx.HTTPError as exc:
                problem = f"{kind}: {exc!r}"
            tally.record(kind, time.perf_counter() - started)
            if problem:
                tally.errors.append(problem)


def check(response: httpx.Response) -> str | None:
    """What is wrong with an answer: an error status, no citation, a stream that never finished."""
    if response.status_code != 200:
        return f"{response.status_code} {response.text[:200]}"
    if response.headers["content-type"].startswith("text/event-stream"):
        return None if "event: done" in response.text else f"stream without done: {response.text[-200:]}"
    body = response.json()
    return None if body["grounded"] and body["citations"] else f"not grounded: {response.text[:200]}"


async def run_clients(url: str) -> Tally:
    tally = Tally()
    await asyncio.gather(*(one_client(url, n, tally) for n in range(CLIENTS)))
    return tally


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[ApiServer]:
    root = tmp_path_factory.mktemp("load")
    for topic in TOPICS:
        write_article(root / "docs", f"{topic}.md", topic)
    settings = Settings(_env_file=None, BRIEFBOT_DATA_DIR=str(root / "data"))  # type: ignore[call-arg]
    assert build_services(settings, embedder=embedder).ingestor.run([str(root / "docs")]).added == len(TOPICS)
    api = ApiServer({"BRIEFBOT_DATA_DIR": str(root / "data")}, log_path=root / "server.log").start()
    try:
        api.wait_for("/readyz", timeout_s=120)
        yield api
    finally:
        api.stop()


def test_fifty_concurrent_clients_get_every_answer_and_memory_stays_bounded(server: ApiServer) -> None:
    assert server.process is not None
    with httpx.Client(base_url=server.url, timeout=60) as warm:  # first answer builds the chain
        assert warm.post("/v1/ask", json={"question": QUESTIONS[0]}).status_code == 200
        assert warm.post("/v1/search", json={"query": QUESTIONS[1]}).status_code == 200
    before = rss_mb(server.process.pid)
    started = time.perf_counter()

    tally = asyncio.run(run_clients(server.url))

    elapsed = time.perf_counter() - started
    after = rss_mb(server.process.pid)
    total = sum(len(v) for v in tally.latencies.values())
    print(f"\nload: {CLIENTS} clients x {PER_CLIENT} requests = {total} in {elapsed:.1f} s "
          f"({total / elapsed:.0f} req/s), {len(tally.errors)} errors; "
          f"{tally.summary('ask')}; {tally.summary('ask (streamed)')}; "
          f"server VmRSS {before:.0f} MB before, {after:.0f} MB after (+{after - before:.0f} MB)")
    assert total == CLIENTS * PER_CLIENT
    assert tally.errors == []
    assert after - before < RSS_GROWTH_LIMIT_MB
    assert server.process.poll() is None
