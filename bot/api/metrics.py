"""Prometheus metrics, in a registry of the app's own (two apps in one process never collide).

Requests are labelled by route template (`/v1/documents/{doc_id}`), never by raw path, so an
id in a URL cannot blow up the number of series; unknown paths share the label `unmatched`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ingest.pipeline import IngestReport

CONTENT_TYPE = CONTENT_TYPE_LATEST
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


@dataclass
class ApiMetrics:
    """The counters and histograms one app updates."""

    registry: CollectorRegistry = field(default_factory=lambda: CollectorRegistry(auto_describe=True))

    def __post_init__(self) -> None:
        self.requests = Counter(
            "briefbot_http_requests", "HTTP requests by route template, method and status.",
            ["route", "method", "status"], registry=self.registry,
        )
        self.latency = Histogram(
            "briefbot_http_request_duration_seconds",
            "Time from request to the last byte of the response, by route template.",
            ["route", "method", "status"], buckets=_LATENCY_BUCKETS, registry=self.registry,
        )
        self.answers = Counter(
            "briefbot_answers", "Answers given, by generator and whether they were grounded.",
            ["generator", "grounded"], registry=self.registry,
        )
        self.documents_ingested = Counter(
            "briefbot_documents_ingested",
            "Documents ingested over HTTP, by outcome (added, updated, unchanged, duplicate).",
            ["outcome"], registry=self.registry,
        )
        self.documents_failed = Counter(
            "briefbot_documents_failed", "Documents that failed to ingest over HTTP.",
            registry=self.registry,
        )

    def count_answer(self, *, generator: str, grounded: bool) -> None:
        self.answers.labels(generator, "true" if grounded else "false").inc()

    def count_ingest(self, report: IngestReport) -> None:
        for outcome, n in (("added", report.added), ("updated", report.updated),
                           ("unchanged", report.unchanged), ("duplicate", report.duplicates)):
            if n:
                self.documents_ingested.labels(outcome).inc(n)
        if report.failed:
            self.documents_failed.inc(len(report.failed))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def route_label(scope: Scope) -> str:
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class MetricsMiddleware:
    """Counts each request and times it to the end of its body (streams included)."""

    def __init__(self, app: ASGIApp, *, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            labels = (route_label(scope), scope.get("method", ""), str(status))
            self.metrics.requests.labels(*labels).inc()
            self.metrics.latency.labels(*labels).observe(time.perf_counter() - started)
