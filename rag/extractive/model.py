"""The reader's learned model over :data:`rag.extractive.features.FEATURES`: logistic, plus boosted trees.

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
class Tree:
    """A regression tree as parallel arrays by node: a row goes left where its feature is <= the threshold.

    A leaf has feature -1 and holds ``value``; node 0 is the root.
    """

    feature: tuple[int, ...]
    threshold: tuple[float, ...]
    left: tuple[int, ...]
    right: tuple[int, ...]
    value: tuple[float, ...]

    def well_formed(self, features: int) -> bool:
        """Arrays of one length, features that exist, and every child after its parent (so descent ends)."""
        nodes = len(self.feature)
        if not nodes or any(len(a) != nodes for a in (self.threshold, self.left, self.right, self.value)):
            return False
        return all(
            f < 0 or (f < features and n < self.left[n] < nodes and n < self.right[n] < nodes)
            for n, f in enumerate(self.feature)
        )

    @functools.cached_property
    def _arrays(self) -> tuple[np.ndarray, ...]:
        return tuple(np.array(a) for a in (self.feature, self.threshold, self.left, self.right, self.value))

    def predict(self, x: np.ndarray) -> np.ndarray:
        feature, threshold, left, right, value = self._arrays
        node = np.zeros(len(x), dtype=int)
        rows = np.arange(len(x))
        while (inner := feature[node] >= 0).any():
            f = np.where(inner, feature[node], 0)
            go_left = x[rows, f] <= threshold[node]
            node = np.where(inner, np.where(go_left, left[node], right[node]), node)
        return value[node]


@dataclass(frozen=True)
class ReaderModel:
    """A logistic model over :data:`FEATURES`, standardised, plus the sum of ``trees`` on the raw features.

    A logistic model has no trees; gradient-boosted trees have zero coefficients. Either way a
    mention's score is the logistic function of ``intercept + coef . standardised(x) + sum of trees(x)``.

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
    trees: tuple[Tree, ...] = ()

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
        for tree in self.trees:
            z = z + tree.predict(x)
        return 1 / (1 + np.exp(-z))

    def to_json(self) -> str:
        """Indented JSON, each tree on a line of its own: a few hundred trees stay readable and small."""
        fields = dataclasses.asdict(self)
        trees = fields.pop("trees")
        text = json.dumps(fields, indent=2)
        if not trees:
            return text
        lines = ",\n".join(f"    {json.dumps(tree)}" for tree in trees)
        return f'{text[:-2]},\n  "trees": [\n{lines}\n  ]\n}}'

    @classmethod
    def load(
        cls, path: Path, known: Sequence[str] = FEATURES, what: str = "reader", command: str = "eval.train_reader"
    ) -> ReaderModel:
        """The model in ``path``, over features among ``known``; a missing, unreadable or stale file is
        one clear error naming ``what`` model it is and the ``python -m`` command that retrains it."""
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
                trees=tuple(_tree(tree) for tree in raw.get("trees", ())),
            )
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ModelMissingError(
                f"{what} model {path} cannot be read ({e}); retrain it with `python -m {command}`"
            ) from e
        unknown = set(model.features) - set(known)
        if (
            unknown
            or not len(model.features) == len(model.mean) == len(model.scale) == len(model.coef)
            or not all(tree.well_formed(len(model.features)) for tree in model.trees)
        ):
            raise ModelMissingError(
                f"{what} model {path} does not fit this version of newsqa "
                f"(features {sorted(unknown) or 'mismatched'}); retrain it with `python -m {command}`"
            )
        return model


def _tree(raw: dict) -> Tree:
    def ints(key: str) -> tuple[int, ...]:
        return tuple(int(v) for v in raw[key])

    def floats(key: str) -> tuple[float, ...]:
        return tuple(float(v) for v in raw[key])

    return Tree(ints("feature"), floats("threshold"), ints("left"), ints("right"), floats("value"))


@functools.lru_cache(maxsize=8)
def load_model(path: Path | None) -> ReaderModel:
    """The reader model at ``path`` (the shipped one when None), loaded once per process."""
    return ReaderModel.load(path or SHIPPED_MODEL)
