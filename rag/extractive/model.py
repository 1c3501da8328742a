"""The reader's learned model: a logistic model over :data:`rag.extractive.features.FEATURES`.

Its parameters are a JSON file: the shipped ``rag/extractive/reader_model.json``, or one made
by ``python -m eval.train_reader`` and named by ``NEWSQA_ANSWER__READER_MODEL``. A mention's
score is the model's probability that it names the answer; a candidate's is its best
mention's. Scoring is pure: :meth:`ReaderModel.probabilities` maps feature rows to scores,
and :meth:`ReaderModel.score` returns scored copies of the candidates.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from newsqa.errors import ModelMissingError
from rag.extractive.candidates import Candidate, Mention
from rag.extractive.features import FEATURES

SHIPPED_MODEL = Path(__file__).with_name("reader_model.json")


@dataclass(frozen=True)
class ReaderModel:
    """A logistic model over :data:`FEATURES`, standardised; ``threshold`` is where answering stops.

    ``threshold`` is the score below which the engine abstains, calibrated by
    ``eval.train_reader`` on the training questions; ``trained_on`` says on what.
    """

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float
    trained_on: dict = field(default_factory=dict)

    def score(self, candidates: Sequence[Candidate]) -> list[Candidate]:
        """Copies of the candidates, each mention scored and each candidate by its best (times its coverage)."""
        mentions = [mention for c in candidates for mention in c.mentions]
        probabilities = iter(self.probabilities(self.matrix(mentions)).tolist() if mentions else [])
        scored = []
        for candidate in candidates:
            own = tuple(dataclasses.replace(m, score=float(next(probabilities))) for m in candidate.mentions)
            best = max((m.score * m.coverage for m in own), default=0.0)
            scored.append(dataclasses.replace(candidate, mentions=own, score=best))
        return scored

    def matrix(self, mentions: Sequence[Mention]) -> np.ndarray:
        return np.array([[m.features[name] for name in self.features] for m in mentions]).reshape(
            -1, len(self.features)
        )

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        z = ((x - np.array(self.mean)) / np.array(self.scale)) @ np.array(self.coef) + self.intercept
        return 1 / (1 + np.exp(-z))

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2)

    @classmethod
    def load(cls, path: Path) -> ReaderModel:
        """The model in ``path``; a missing, unreadable or stale file is one clear error."""
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
            model = cls(
                features=tuple(raw["features"]),
                mean=tuple(float(v) for v in raw["mean"]),
                scale=tuple(float(v) for v in raw["scale"]),
                coef=tuple(float(v) for v in raw["coef"]),
                intercept=float(raw["intercept"]),
                threshold=float(raw["threshold"]),
                trained_on=dict(raw.get("trained_on", {})),
            )
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ModelMissingError(
                f"reader model {path} cannot be read ({e}); retrain it with `python -m eval.train_reader`"
            ) from e
        unknown = set(model.features) - set(FEATURES)
        if unknown or not len(model.features) == len(model.mean) == len(model.scale) == len(model.coef):
            raise ModelMissingError(
                f"reader model {path} does not fit this version of newsqa "
                f"(features {sorted(unknown) or 'mismatched'}); "
                "retrain it with `python -m eval.train_reader`"
            )
        return model


@functools.lru_cache(maxsize=8)
def load_model(path: Path | None) -> ReaderModel:
    """The reader model at ``path`` (the shipped one when None), loaded once per process."""
    return ReaderModel.load(path or SHIPPED_MODEL)
