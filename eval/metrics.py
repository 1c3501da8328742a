"""Evaluation metrics, each on plain Python values so hand-made cases can check them.

Retrieval metrics work at article level on a ranked list of article ids (duplicates
are dropped, keeping the first). Answer metrics follow SQuAD's normalisation, and
:func:`normalize_paper` follows the RealTime QA paper's (which keeps articles).
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

_POSSESSIVE = re.compile(r"(?<=\w)['’]s\b")


def dedupe(ranked: Sequence[str]) -> list[str]:
    """The ranking with repeats removed: several chunks of one article count once."""
    return list(dict.fromkeys(ranked))


def hit_at_k(ranked: Sequence[str], gold: set[str], k: int) -> float:
    return float(any(doc in gold for doc in dedupe(ranked)[:k]))


def mrr_at_k(ranked: Sequence[str], gold: set[str], k: int = 10) -> float:
    for position, doc in enumerate(dedupe(ranked)[:k], start=1):
        if doc in gold:
            return 1.0 / position
    return 0.0


def ndcg_at_k(ranked: Sequence[str], gold: set[str], k: int = 10) -> float:
    gains = [1.0 if doc in gold else 0.0 for doc in dedupe(ranked)[:k]]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(gold), k)))
    return dcg / ideal if ideal else 0.0


def normalize_squad(text: str) -> str:
    """SQuAD: lower case, drop punctuation and the articles a/an/the, collapse spaces."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation) | {"“", "”", "’", "‘"})
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def normalize_paper(text: str) -> str:
    """RealTime QA's: lower case, drop punctuation, collapse spaces; articles are kept."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation) | {"“", "”", "’", "‘"})
    return " ".join(text.split())


def exact_match(prediction: str, answers: Sequence[str], normalize: Callable[[str], str] = normalize_squad) -> float:
    return float(any(normalize(prediction) == normalize(a) for a in answers))


def token_f1(prediction: str, answers: Sequence[str], normalize: Callable[[str], str] = normalize_squad) -> float:
    best = 0.0
    predicted = normalize(prediction).split()
    for answer in answers:
        gold = normalize(answer).split()
        common = Counter(predicted) & Counter(gold)
        overlap = sum(common.values())
        if not predicted or not gold:
            best = max(best, float(predicted == gold))
            continue
        if overlap == 0:
            continue
        precision, recall = overlap / len(predicted), overlap / len(gold)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def contains_answer(text: str, answers: Sequence[str]) -> float:
    """1 when a normalised gold answer appears inside the normalised text.

    Possessives are dropped first, from both, so "Kuemper's contract" contains "Kuemper"
    and "Jackson's" is found in "Jackson's".
    """

    def normal(value: str) -> str:
        return normalize_squad(_POSSESSIVE.sub("", value))

    haystack = f" {normal(text)} "
    return float(any(normal(a) and f" {normal(a)} " in haystack for a in answers))


def bootstrap_ci(values: Sequence[float], *, samples: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """Mean and 95% percentile-bootstrap interval of per-question values."""
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return (float("nan"), float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(samples, data.size))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(data.mean()), float(low), float(high)


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else float("nan")
