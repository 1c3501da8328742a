"""A deterministic stand-in for the embedding model, for unit tests that must run in milliseconds.

It is a fake on purpose: these tests check logic around the model (question parsing,
scoring, fusion, composing), not the model itself, which the integration tests load.
"""

from __future__ import annotations

import hashlib

import numpy as np

from index.embed import Embedder
from newsqa.text import content_terms


class FakeEmbedder(Embedder):
    """Bag of stemmed words hashed into 256 dimensions: texts sharing words are similar, others orthogonal."""

    name = "fake-hashing-embedder"
    dimension = 256

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for term in content_terms(text):
                digest = hashlib.blake2b(term.encode(), digest_size=4).digest()
                vectors[row, int.from_bytes(digest, "little") % self.dimension] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1.0, norms)
