"""What the routes share: the services (built once), the metrics and start-up warm-up.

`Services` builds its components lazily; the first requests may arrive together, so the first
build of each component happens under a lock here. Warm-up (model, store, keyword index) runs
in a background thread at start-up: /healthz answers at once, /readyz once warm-up succeeded,
and a store that is down at start-up is simply retried by the next request or readiness probe.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from bot.answers.chain import AnswerChain
from bot.api.metrics import ApiMetrics
from bot.services import Services
from ingest.pipeline import Ingestor
from vectorstore.hybrid import HybridSearcher
from vectorstore.store import ChromaStore

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class ApiState:
    """The one object request handlers reach through `app.state.api`."""

    services: Services
    metrics: ApiMetrics = field(default_factory=ApiMetrics)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _built: set[str] = field(default_factory=set, repr=False)
    warm_error: str | None = None
    warmed: threading.Event = field(default_factory=threading.Event, repr=False)

    def _once(self, name: str, build: Callable[[], T]) -> T:
        if name in self._built:
            return build()
        with self._lock:
            value = build()
            self._built.add(name)
            return value

    def chain(self) -> AnswerChain:
        return self._once("chain", lambda: self.services.chain)

    def searcher(self) -> HybridSearcher:
        return self._once("searcher", lambda: self.services.searcher)

    def store(self) -> ChromaStore:
        return self._once("store", lambda: self.services.store)

    def ingestor(self) -> Ingestor:
        return self._once("ingestor", lambda: self.services.ingestor)

    def model_loaded(self) -> bool:
        """Whether the embedding model is in memory (a lazy embedder loads on first use)."""
        return bool(getattr(self.services.embedder, "loaded", True))

    def warm_up(self) -> None:
        """Load the model, open the store and build the keyword index before the first question."""
        try:
            self.services.embedder.embed(["warm-up"])
            self.searcher().keyword_index()
            self.chain()
            self.warm_error = None
        except Exception as exc:  # noqa: BLE001 - logged; readiness reports it, requests retry
            self.warm_error = str(exc)
            logger.warning("warm-up failed (requests will retry): %s", exc)
        finally:
            self.warmed.set()

    def start_warm_up(self) -> threading.Thread:
        thread = threading.Thread(target=self.warm_up, name="briefbot-warm-up", daemon=True)
        thread.start()
        return thread
