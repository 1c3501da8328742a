"""Learning the reader's model from labelled candidate rows, and the JSON file it is kept in."""

from __future__ import annotations

import numpy as np

from eval.train_reader import QuestionRows, fit, fold_of, top_choices
from rag.extractive.features import FEATURES
from rag.extractive.model import ReaderModel


def _rows(rng: np.random.Generator, count: int) -> list[QuestionRows]:
    """Questions of five candidates, one right, told apart by the "role" feature alone (and noise)."""
    role = FEATURES.index("role")
    rows = []
    for n in range(count):
        features = rng.normal(size=(5, len(FEATURES)))
        labels = np.zeros(5)
        labels[n % 5] = 1.0
        features[:, role] = labels + rng.normal(scale=0.3, size=5)
        rows.append(QuestionRows(f"q{n}", features, labels, np.ones(5), np.arange(5)))
    return rows


def test_the_learned_model_ranks_by_what_tells_right_from_wrong_and_survives_its_json(tmp_path):
    rng = np.random.default_rng(0)
    model = fit(_rows(rng, 60), {"question_sets": ["hand-made"]}, generated=_rows(rng, 20))
    weights = dict(zip(model.features, model.coef))
    assert weights["role"] == max(weights.values()) > 1.0
    assert 0.0 < model.threshold < 1.0
    assert model.trained_on == {
        "question_sets": ["hand-made"],
        "questions": 60,
        "generated_questions": 20,
        "candidates": 400,
        "right": 80,
    }
    held_out = _rows(rng, 40)
    right = sum(int(np.argmax(model.probabilities(q.features))) == int(np.argmax(q.labels)) for q in held_out)
    assert right >= 36
    # The threshold is set on questions the model did not learn from, so new ones it answers right clear it.
    kept = [score >= model.threshold for score, ok in top_choices(model, held_out) if ok]
    assert sum(kept) / len(kept) >= 0.9
    path = tmp_path / "reader.json"
    path.write_text(model.to_json())
    assert ReaderModel.load(path) == model


def test_folds_split_questions_alike_on_every_run():
    folds = [fold_of(f"question-{n}", 5) for n in range(500)]
    assert folds == [fold_of(f"question-{n}", 5) for n in range(500)]
    assert sorted(set(folds)) == [0, 1, 2, 3, 4] and min(folds.count(f) for f in range(5)) > 70
