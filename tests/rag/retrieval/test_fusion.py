"""Reciprocal rank fusion on hand-made rankings; scores worked out by hand with rrf_k = 60."""

from __future__ import annotations

import pytest

from rag.retrieval.fusion import fuse


def article(chunk_id: str) -> str:
    return chunk_id.split("#")[0]


def test_a_chunk_both_retrievers_rank_comes_first():
    fused = fuse({"dense": ["a#1", "b#1"], "bm25": ["b#1", "c#1"]}, {}, rrf_k=60, k=3, article_of=article)
    assert [f.chunk_id for f in fused] == ["b#1", "a#1", "c#1"]
    # b#1: 1/62 + 1/61; a#1: 1/61; c#1: 1/62.
    assert fused[0].score == pytest.approx(1 / 62 + 1 / 61)
    assert fused[0].ranks == {"dense": 2, "bm25": 1}
    assert fused[2].ranks == {"bm25": 2}


def test_articles_are_scored_by_their_best_chunk_per_retriever():
    # Article x is found by dense through x#2 and by BM25 through x#1: its score sums both, and both its
    # chunks come before y#1, which BM25 ranks first on its own.
    fused = fuse({"dense": ["x#2", "y#2"], "bm25": ["y#1", "x#1"]}, {}, rrf_k=60, k=4, article_of=article)
    x_score = 1 / 61 + 1 / 62
    y_score = 1 / 62 + 1 / 61
    assert fused[0].article_score == pytest.approx(x_score) == pytest.approx(y_score)
    # Equal article scores: the better chunk decides, then the order the rankings gave.
    assert [f.chunk_id for f in fused] == ["x#2", "y#1", "y#2", "x#1"]


def test_weights_and_k():
    rankings = {"dense": ["a#1"], "bm25": ["b#1"]}
    assert fuse(rankings, {"dense": 0.5}, rrf_k=60, k=2, article_of=article)[0].chunk_id == "b#1"
    assert fuse(rankings, {"bm25": 0.5}, rrf_k=60, k=2, article_of=article)[0].chunk_id == "a#1"
    assert len(fuse(rankings, {}, rrf_k=60, k=1, article_of=article)) == 1
    assert fuse({"dense": [], "bm25": []}, {}, rrf_k=60, k=5, article_of=article) == []


def test_a_prior_lifts_a_chunk_and_its_article():
    rankings = {"dense": ["old#1", "new#1"], "bm25": ["old#1", "new#1"]}
    plain = fuse(rankings, {}, rrf_k=60, k=2, article_of=article)
    assert [f.chunk_id for f in plain] == ["old#1", "new#1"]
    # old#1: 2/61 = 0.0328; new#1: 2/62 + 2 * 1.0/61 = 0.0650.
    lifted = fuse(rankings, {}, rrf_k=60, k=2, article_of=article, prior={"new#1": 1.0}, prior_weight=2.0)
    assert [f.chunk_id for f in lifted] == ["new#1", "old#1"]
    assert lifted[0].score == pytest.approx(2 / 62 + 2 / 61)
    assert lifted[0].article_score == pytest.approx(2 / 62 + 2 / 61)
    assert lifted[1].score == pytest.approx(2 / 61)


def test_per_article_takes_each_articles_best_chunks_first_then_fills():
    # Article a wins every chunk's place on its own; b and c each have one chunk ranked below all of a's.
    rankings = {"dense": ["a#1", "a#2", "a#3", "b#1", "c#1"], "bm25": ["a#2", "a#1", "a#3", "c#1"]}
    grouped = fuse(rankings, {}, rrf_k=60, k=4, article_of=article)
    assert [f.chunk_id for f in grouped] == ["a#1", "a#2", "a#3", "c#1"]
    spread = fuse(rankings, {}, rrf_k=60, k=4, article_of=article, per_article=1)
    assert [f.chunk_id for f in spread] == ["a#1", "c#1", "b#1", "a#2"]
    assert [f.chunk_id for f in fuse(rankings, {}, rrf_k=60, k=5, article_of=article, per_article=2)] == [
        "a#1",
        "a#2",
        "c#1",
        "b#1",
        "a#3",
    ]
    # One article alone still fills k.
    alone = fuse({"dense": ["a#1", "a#2"], "bm25": ["a#2"]}, {}, rrf_k=60, k=2, article_of=article, per_article=1)
    assert [f.chunk_id for f in alone] == ["a#2", "a#1"]
