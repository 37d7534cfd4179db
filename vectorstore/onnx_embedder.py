"""The ONNX Runtime embedder: the same vectors as sentence-transformers, without torch at run time.

Why it exists: importing sentence-transformers costs over 5 s per process and torch encodes about
20 chunks/s on the 2-core machines briefbot runs on, so embedding is the ingest bottleneck.
onnxruntime plus the ``tokenizers`` library reach the first vector in well under a second, and
an int8 export runs about twice as fast on CPUs with VNNI.

The ONNX file is exported once from the local model folder (torch and transformers are imported
only then), cached under ``cache_dir`` keyed by model id and a hash of the weights, and written
through a temporary file plus rename so concurrent processes never see a half-written model.
Inference reproduces the sentence-transformers pipeline for this model family: tokenise with the
model's ``tokenizer.json``, truncate to ``max_seq_length`` (special tokens included), run the
transformer, mean-pool over the attention mask (or CLS-pool, if the model's pooling config says
so) and L2-normalise.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import os
import re
import tempfile
import threading
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from vectorstore.errors import EmbedderError

logger = logging.getLogger(__name__)

Vectors = NDArray[np.float32]

# Bump when the export or quantisation recipe changes, so stale cached files are not reused.
EXPORT_VERSION = 1
BATCH_SIZE = 32
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def default_cache_dir() -> Path:
    """Per-user cache (``$XDG_CACHE_HOME`` or ``~/.cache``): exports are shared across data dirs."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "briefbot" / "onnx"


def _cpu_threads() -> int:
    """CPUs this process may run on (the affinity mask, which containers narrow), else the count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def _read_json(path: Path) -> dict[str, Any]:
    """A JSON object from the model folder, or {} when the file is absent (defaults then apply)."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise EmbedderError(f"cannot read {path}: {exc}") from exc
    return value if isinstance(value, dict) else {}


def _weights_file(folder: Path) -> Path:
    for name in _WEIGHT_FILES:
        if (folder / name).is_file():
            return folder / name
    raise EmbedderError(
        f"{folder} holds no model weights ({' or '.join(_WEIGHT_FILES)}): "
        "set BRIEFBOT_EMBEDDING_MODEL to a local sentence-transformers folder"
    )


def _file_digest(path: Path) -> str:
    """sha256 of the weights (about 0.1 s for 90 MB): a changed model never reuses an old export."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _pooling_mode(folder: Path) -> str:
    """Read the pooling the model was trained with from modules.json and its Pooling config.

    Only mean and CLS pooling are implemented; anything else is refused rather than silently
    producing vectors that disagree with the torch backend.
    """
    listing = folder / "modules.json"
    modules = json.loads(listing.read_text(encoding="utf-8")) if listing.is_file() else []
    pooling_dir = next(
        (m.get("path", "") for m in modules if str(m.get("type", "")).endswith(".Pooling")),
        "1_Pooling",
    )
    config = _read_json(folder / pooling_dir / "config.json")
    if not config or config.get("pooling_mode_mean_tokens"):
        modes = {k for k, v in config.items() if k.startswith("pooling_mode_") and v is True}
        if modes - {"pooling_mode_mean_tokens"}:
            raise EmbedderError(f"{folder}: combined pooling {sorted(modes)} is not supported")
        return "mean"
    if config.get("pooling_mode_cls_token"):
        return "cls"
    raise EmbedderError(
        f"{folder}: pooling {config} is not supported by the onnx backend: use the torch backend"
    )


def _atomic_target(final: Path) -> Path:
    """A unique temporary path beside ``final``; renaming it over ``final`` is atomic."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=final.parent, prefix=f".{final.stem}.", suffix=".tmp.onnx")
    os.close(fd)
    return Path(name)


def export_onnx(load_path: Path, target: Path) -> None:
    """Export the transformer (without pooling) to ONNX with dynamic batch and sequence axes.

    torch and transformers are imported here only: this runs once per model and machine.
    """
    from vectorstore.embedder import quiet_model_loading

    quiet_model_loading()  # offline, no progress bars or load reports in users' terminals
    try:
        import torch
        from transformers import AutoModel
    except ImportError as exc:  # pragma: no cover - torch is a dependency
        raise EmbedderError(
            "exporting the ONNX model needs torch and transformers (once): "
            "pip install torch transformers"
        ) from exc
    # Eager attention traces to plain ops that every onnxruntime build runs.
    model = AutoModel.from_pretrained(str(load_path), attn_implementation="eager")
    model.eval()
    # DistilBERT- and MPNet-style models take no segment ids; the exporter then drops that
    # input, and ``embed`` feeds only the inputs the graph declares.
    takes_types = "token_type_ids" in inspect.signature(model.forward).parameters

    class _Encoder(torch.nn.Module):
        """Returns only the token embeddings; pooling happens in numpy, as configured."""

        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            extra = {"token_type_ids": token_type_ids} if takes_types else {}
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, **extra
            ).last_hidden_state

    example = torch.ones((2, 8), dtype=torch.long)
    axes = {name: {0: "batch", 1: "sequence"} for name in (*_INPUTS, "last_hidden_state")}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shape-dependent Python branches
        # The TorchScript exporter (dynamo=False) needs no onnxscript and gives a graph whose
        # outputs match sentence-transformers to 1e-6 at every batch size and sequence length.
        torch.onnx.export(
            _Encoder(model),
            (example, example, torch.zeros_like(example)),
            str(target),
            dynamo=False,
            input_names=list(_INPUTS),
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            do_constant_folding=True,
        )


def quantize_int8(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation: int8 weights, activations quantised per batch at run time.

    Per-channel weight scales keep the cosine to full precision at about 0.99 on news chunks;
    per-tensor scales fell to about 0.95 for a 10 % speed gain, which is not worth it.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    hush = _HushRootLogger()  # the quantiser logs per-tensor notes and advice to the root logger
    root.addFilter(hush)
    try:
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.removeFilter(hush)


class _HushRootLogger(logging.Filter):
    """Drops below-error records sent straight to the root logger (library noise, not ours)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name != "root" or record.levelno >= logging.ERROR


class OnnxEmbedder:
    """all-MiniLM-L6-v2 (or any BERT-like sentence-transformers folder) through onnxruntime."""

    def __init__(
        self,
        model_id: str,
        load_path: str,
        *,
        quantized: bool = False,
        cache_dir: Path | None = None,
        batch_size: int = BATCH_SIZE,
        threads: int | None = None,
    ) -> None:
        folder = Path(load_path).expanduser()
        if not folder.is_dir():
            raise EmbedderError(
                f"embedding model {model_id!r} is not a local folder and models are never "
                "downloaded: set BRIEFBOT_EMBEDDING_MODEL to a local sentence-transformers folder"
            )
        self.model_id = model_id
        self.quantized = quantized
        self.embedded_count = 0
        self._folder = folder
        self._batch_size = max(1, batch_size)
        self._count_lock = threading.Lock()
        self._run_lock = threading.Lock()

        st_config = _read_json(folder / "sentence_bert_config.json")
        hf_config = _read_json(folder / "config.json")
        self.max_seq_length = int(
            st_config.get("max_seq_length") or hf_config.get("max_position_embeddings") or 512
        )
        self._pooling = _pooling_mode(folder)
        self._encoder, self._spanner = self._load_tokenizers(folder)
        specials = self._spanner.num_special_tokens_to_add(is_pair=False)
        self.max_tokens = self.max_seq_length - specials

        self.model_path = self._cached_model(cache_dir or default_cache_dir())
        self._session = self._open_session(self.model_path, threads or _cpu_threads())
        self._input_names = {i.name for i in self._session.get_inputs()}
        width = self._session.get_outputs()[0].shape[-1]
        self.dimension = int(width if isinstance(width, int) else hf_config["hidden_size"])

    # -- loading ---------------------------------------------------------------------------------

    def _load_tokenizers(self, folder: Path) -> tuple[Any, Any]:
        """Two copies of the model's fast tokenizer: truncating (to embed) and whole (to count).

        tokenizer.json ships with its own truncation and fixed padding (128 for this model), so
        both are reset: embedding truncates to ``max_seq_length`` like sentence-transformers and
        pads per batch; counting for the chunker must see every word piece.
        """
        from tokenizers import Tokenizer

        path = folder / "tokenizer.json"
        try:
            raw = path.read_text(encoding="utf-8")
            encoder = Tokenizer.from_str(raw)
            spanner = Tokenizer.from_str(raw)
        except Exception as exc:  # missing file or an unreadable tokenizer
            raise EmbedderError(
                f"{path}: cannot load the fast tokenizer the onnx backend needs ({exc}): "
                "use the torch backend for models without a tokenizer.json"
            ) from exc
        encoder.no_padding()
        encoder.enable_truncation(max_length=self.max_seq_length)
        spanner.no_padding()
        spanner.no_truncation()
        return encoder, spanner

    def _cached_model(self, cache_dir: Path) -> Path:
        """The cached export for this model's weights, exporting (and quantising) it if absent."""
        digest = _file_digest(_weights_file(self._folder))[:16]
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", self.model_id).strip("_")[-80:] or "model"
        stem = f"{slug}-{digest}-v{EXPORT_VERSION}"
        fp32 = cache_dir / f"{stem}-fp32.onnx"
        if not fp32.is_file():
            self._build(fp32, lambda tmp: export_onnx(self._folder, tmp), "exporting")
        if not self.quantized:
            return fp32
        int8 = cache_dir / f"{stem}-int8.onnx"
        if not int8.is_file():
            self._build(int8, lambda tmp: quantize_int8(fp32, tmp), "quantising")
        return int8

    def _build(self, final: Path, make: Any, verb: str) -> None:
        """Write ``final`` through a temporary file and an atomic rename (concurrent-safe)."""
        started = time.perf_counter()
        logger.info("%s %s to ONNX once (cached at %s)", verb, self.model_id, final)
        tmp = _atomic_target(final)
        try:
            make(tmp)
            tmp.chmod(0o644)  # mkstemp makes it private; the cache may be shared by users
            tmp.replace(final)
        except EmbedderError:
            raise
        except Exception as exc:  # the exporter and the quantiser raise many types
            raise EmbedderError(f"{verb} {self.model_id!r} to ONNX failed: {exc}") from exc
        finally:
            tmp.unlink(missing_ok=True)
        logger.info("%s %s took %.1f s", verb, final.name, time.perf_counter() - started)

    def _open_session(self, path: Path, threads: int) -> Any:
        """An inference session; a corrupt cached file (disk full, killed copy) is rebuilt once."""
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        # Idle worker threads sleep instead of spinning: on 2 cores shared with Chroma, the web
        # server or a local LLM, spinning burns the cycles they need (measured here under load:
        # 15 % more chunks/s with spinning off).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own untyped errors
            logger.warning("cached ONNX model %s is unreadable (%s); rebuilding it", path, exc)
            path.unlink(missing_ok=True)
            if self.quantized:
                self._cached_model(path.parent)
            else:
                self._build(path, lambda tmp: export_onnx(self._folder, tmp), "exporting")
            return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    # -- the Embedder protocol -------------------------------------------------------------------

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One L2-normalised row per text, in input order.

        Texts are sorted by length and batched by 32 so each batch pads to similar lengths; runs
        are serialised per batch (two concurrent runs would only fight over the same cores) so a
        query waits for at most one batch of an ingest, never for the whole ingest call.
        """
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = self._encoder.encode_batch(list(texts), add_special_tokens=True)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids), reverse=True)
        for begin in range(0, len(order), self._batch_size):
            rows = order[begin : begin + self._batch_size]
            out[rows] = self._embed_batch([encodings[i] for i in rows])
        with self._count_lock:
            self.embedded_count += len(texts)
        return out

    def _embed_batch(self, encodings: Sequence[Any]) -> Vectors:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for row, enc in enumerate(encodings):
            n = len(enc.ids)
            ids[row, :n] = enc.ids
            mask[row, :n] = 1
            types[row, :n] = enc.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        inputs = {name: value for name, value in feeds.items() if name in self._input_names}
        with self._run_lock:
            hidden = self._session.run(["last_hidden_state"], inputs)[0]
        return self._pool(np.asarray(hidden, dtype=np.float32), mask)

    def _pool(self, hidden: NDArray[np.float32], mask: NDArray[np.int64]) -> Vectors:
        """Pool as the model's Pooling module does, then L2-normalise like its Normalize module."""
        if self._pooling == "cls":
            pooled = hidden[:, 0, :]
        else:
            weights = mask[..., None].astype(np.float32)
            counts = np.clip(weights.sum(axis=1), 1e-9, None)
            pooled = (hidden * weights).sum(axis=1) / counts
        norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return np.asarray(pooled / norms, dtype=np.float32)

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of every word piece (no special tokens, no truncation): the chunker's."""
        encoding = self._spanner.encode(text, add_special_tokens=False)
        return [(int(start), int(end)) for start, end in encoding.offsets]
