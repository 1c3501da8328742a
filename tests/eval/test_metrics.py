"""Each metric on hand-made cases whose values are worked out by hand."""

from __future__ import annotations

import math

import pytest

from eval import metrics as m


def test_rankings_count_each_article_once():
    ranking = ["a", "a", "b", "c", "a", "d"]
    assert m.dedupe(ranking) == ["a", "b", "c", "d"]
    assert m.hit_at_k(ranking, {"c"}, 1) == 0.0
    assert m.hit_at_k(ranking, {"c"}, 3) == 1.0  # the third distinct article, though the fourth chunk
    assert m.hit_at_k(ranking, {"z"}, 10) == 0.0


def test_mrr_is_the_inverse_rank_of_the_first_gold_article():
    assert m.mrr_at_k(["x", "x", "y", "g"], {"g"}) == pytest.approx(1 / 3)
    assert m.mrr_at_k(["g"], {"g"}) == 1.0
    assert m.mrr_at_k([f"d{i}" for i in range(10)] + ["g"], {"g"}, 10) == 0.0


def test_ndcg_against_the_ideal_ordering():
    assert m.ndcg_at_k(["g1", "g2", "x"], {"g1", "g2"}) == pytest.approx(1.0)
    # One gold article at rank 2 of one: DCG = 1/log2(3), ideal = 1.
    assert m.ndcg_at_k(["x", "g"], {"g"}) == pytest.approx(1 / math.log2(3))
    # Two gold, one found at rank 3: DCG = 1/log2(4) = 0.5; ideal = 1 + 1/log2(3).
    assert m.ndcg_at_k(["x", "y", "g1"], {"g1", "g2"}) == pytest.approx(0.5 / (1 + 1 / math.log2(3)))


def test_squad_and_paper_normalisation_differ_on_articles():
    assert m.normalize_squad("The  Tony Awards!") == "tony awards"
    assert m.normalize_paper("The  Tony Awards!") == "the tony awards"
    assert m.exact_match("Tony Awards", ["The Tony Awards"]) == 1.0
    assert m.exact_match("Tony Awards", ["The Tony Awards"], m.normalize_paper) == 0.0


def test_token_f1_by_hand():
    # SQuAD deletes punctuation, so "military-style" is one token "militarystyle".
    # prediction: ban, on, assault, weapons; gold: ban, on, militarystyle, assault, weapons
    # overlap 4: precision 4/4, recall 4/5, F1 = 2 * 1 * 0.8 / 1.8 = 8/9
    assert m.token_f1("ban on assault weapons", ["Ban on military-style assault weapons"]) == pytest.approx(8 / 9)
    assert m.token_f1("Idaho", ["Idaho", "Coeur d'Alene"]) == 1.0
    assert m.token_f1("nothing shared", ["Idaho"]) == 0.0
    assert m.token_f1("", ["Idaho"]) == 0.0


def test_containment_needs_whole_words():
    assert m.contains_answer("Police said the men were arrested in Idaho on Saturday.", ["Idaho"]) == 1.0
    assert m.contains_answer("The Idahoan men were arrested.", ["Idaho"]) == 0.0
    assert m.contains_answer("Goalie Darcy Kuemper's contract is up.", ["Darcy Kuemper"]) == 1.0
    assert (
        m.contains_answer("Sources differ: Cheney [1]; Ketanji Brown Jackson's [2].", ["Ketanji Brown Jackson's"])
        == 1.0
    )


def test_bootstrap_interval_brackets_the_mean():
    values = [1.0] * 30 + [0.0] * 70
    mean, low, high = m.bootstrap_ci(values, samples=4000, seed=1)
    assert mean == pytest.approx(0.3)
    assert 0.20 < low < 0.3 < high < 0.40
    assert m.bootstrap_ci([1.0, 1.0, 1.0]) == (1.0, 1.0, 1.0)


def test_percentiles():
    assert m.percentile([1, 2, 3, 4, 100], 50) == 3
    assert math.isnan(m.percentile([], 50))
