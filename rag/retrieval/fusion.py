"""Reciprocal rank fusion at two levels, chunks and the articles they belong to.

Pure: rankings of chunk ids in, fused order out, no store and no model, so it is
tested on hand-made rankings.

Each retriever contributes ``weight / (rrf_k + rank)`` to a chunk. An article scores,
per retriever, its best chunk's contribution, summed over retrievers. Chunks are
ordered by their article's score, then their own: an article that both retrievers
find, through any of its chunks, comes first. With ``per_article``, each article's best
chunks up to that many come first, in that order, then the next ones of each: the top
passages then span several articles instead of five chunks of one, which may be the
wrong story (see ``RetrievalSettings.passages_per_article``).

A prior (a value in [0, 1] per chunk, such as recency) adds ``prior_weight * value /
(rrf_k + 1)`` to the chunk and, once, its best value to the chunk's article: at weight 1
a prior of 1 counts as much as a first rank in one retriever.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Fused:
    """A chunk's place after fusion: its score, its article's, and its rank in each retriever (1-based)."""

    chunk_id: str
    score: float
    article_score: float
    ranks: dict[str, int] = field(default_factory=dict)


def fuse(
    rankings: Mapping[str, Sequence[str]],
    weights: Mapping[str, float],
    *,
    rrf_k: int,
    k: int,
    article_of: Callable[[str], str],
    prior: Mapping[str, float] | None = None,
    prior_weight: float = 0.0,
    per_article: int | None = None,
) -> list[Fused]:
    """The top ``k`` chunks of the named rankings (best first), fused as the module docstring says."""
    scores: dict[str, float] = {}
    article_scores: dict[str, float] = {}
    ranks: dict[str, dict[str, int]] = {}
    for name, ranking in rankings.items():
        weight = weights.get(name, 1.0)
        seen_articles: set[str] = set()
        for rank, chunk_id in enumerate(ranking, start=1):
            contribution = weight / (rrf_k + rank)
            scores[chunk_id] = scores.get(chunk_id, 0.0) + contribution
            ranks.setdefault(chunk_id, {})[name] = rank
            article = article_of(chunk_id)
            if article not in seen_articles:
                seen_articles.add(article)
                article_scores[article] = article_scores.get(article, 0.0) + contribution
    if prior and prior_weight:
        article_prior: dict[str, float] = {}
        for chunk_id in scores:
            value = prior.get(chunk_id, 0.0)
            scores[chunk_id] += prior_weight * value / (rrf_k + 1)
            article = article_of(chunk_id)
            article_prior[article] = max(article_prior.get(article, 0.0), value)
        for article, value in article_prior.items():
            article_scores[article] += prior_weight * value / (rrf_k + 1)
    best = sorted(scores, key=lambda c: (article_scores[article_of(c)], scores[c]), reverse=True)
    if per_article:
        taken: dict[str, int] = {}
        turn: dict[str, int] = {}
        for chunk_id in best:
            article = article_of(chunk_id)
            turn[chunk_id] = taken.get(article, 0) // per_article
            taken[article] = taken.get(article, 0) + 1
        best.sort(key=turn.__getitem__)  # stable: article order holds within each turn
    best = best[:k]
    return [Fused(c, scores[c], article_scores[article_of(c)], ranks[c]) for c in best]
