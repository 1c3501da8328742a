"""Learning the reader's model from labelled candidate rows, and the JSON file it is kept in."""

from __future__ import annotations

import dataclasses
import gzip
import json

import numpy as np
import pytest

from eval.pools import generated_pools, pools
from eval.train_reader import (
    ChoiceRows,
    Form,
    QuestionRows,
    choose,
    fit,
    fold_of,
    load_rows,
    outcome,
    probabilities,
    save_rows,
    top_choices,
    with_support,
)
from newsqa.errors import ModelMissingError
from newsqa.settings import Settings
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
        "form": "logistic C=1, abstains where the passages likely lack the answer",
        "questions": 60,
        "generated_questions": 20,
        "candidates": 400,
        "right": 80,
    }
    held_out = _rows(rng, 40)
    right = sum(int(np.argmax(probabilities(model, q.features))) == int(np.argmax(q.labels)) for q in held_out)
    assert right >= 36
    # The threshold is set on questions the model did not learn from, so new ones it answers right clear it.
    kept = [top.score >= model.threshold for top in top_choices(model, held_out) if top.right]
    assert sum(kept) / len(kept) >= 0.9
    path = tmp_path / "reader.json"
    path.write_text(model.to_json())
    assert ReaderModel.load(path) == model


def test_folds_split_questions_alike_on_every_run():
    folds = [fold_of(f"question-{n}", 5) for n in range(500)]
    assert folds == [fold_of(f"question-{n}", 5) for n in range(500)]
    assert sorted(set(folds)) == [0, 1, 2, 3, 4] and min(folds.count(f) for f in range(5)) > 70


def test_boosted_trees_learn_an_interaction_a_logistic_model_cannot_and_survive_their_json(tmp_path):
    """Right where "role" is high and "type" within a band: no weighted sum draws a band."""
    rng = np.random.default_rng(1)
    role, kind = FEATURES.index("role"), FEATURES.index("type")

    def rows(count: int) -> list[QuestionRows]:
        made = []
        for n in range(count):
            features = rng.normal(size=(6, len(FEATURES)))
            labels = ((features[:, role] > 0) & (abs(features[:, kind]) < 0.6)).astype(float)
            made.append(QuestionRows(f"q{n}", features, labels, np.ones(6), np.arange(6)))
        return made

    learned, held = rows(300), rows(100)
    boosted = fit(learned, {}, form=Form("boosted", trees=60, leaves=4, min_leaf=5))
    logistic = fit(learned, {}, form=Form("logistic"))

    def accuracy(model) -> float:
        x = np.vstack([r.features for r in held])
        y = np.concatenate([r.labels for r in held])
        return float(((probabilities(model, x) > 0.5) == (y > 0)).mean())

    assert accuracy(boosted) > accuracy(logistic) + 0.1
    path = tmp_path / "boosted.json"
    path.write_text(boosted.to_json())
    assert ReaderModel.load(path) == boosted
    assert sum('"threshold": [' in line for line in path.read_text().splitlines()) == len(boosted.trees) == 60


def test_a_tree_that_points_back_up_is_refused_as_damaged(tmp_path):
    model = fit(_rows(np.random.default_rng(2), 30), {}, form=Form("boosted", trees=3, leaves=3, min_leaf=2))
    raw = json.loads(model.to_json())
    raw["trees"][0]["left"][0] = 0  # the root its own child: descent would never end
    path = tmp_path / "loop.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(ModelMissingError, match="retrain it"):
        ReaderModel.load(path)


def _train_files(tmp_path):
    """Two questions with search results (one answered in them) and two with evidence only, of one day."""
    articles = [
        {
            "id": "a1",
            "title": "Mayor elected in Quelmor",
            "source": "wire",
            "published": "2024-03-03",
            "text": "Voters in the town of Quelmor elected Greta Nakamura as their new mayor on Sunday.",
        },
        {
            "id": "a2",
            "title": "Storm hits coast",
            "source": "daily",
            "published": "2024-03-02",
            "text": "A storm cut power to 4,000 homes along the coast on Saturday.",
        },
    ]
    questions = [
        {
            "id": "s1",
            "question": "Who was elected mayor of Quelmor?",
            "answer": "Greta Nakamura",
            "choices": ["Ana Ruiz", "Greta Nakamura"],
            "date": "2024-03-04",
            "search_result_ids": ["a1", "a2"],
        },
        {
            "id": "s2",
            "question": "Which team won the cup?",
            "answer": "Rovers",
            "date": "2024-03-04",
            "search_result_ids": ["a2"],
        },
        {
            "id": "e1",
            "question": "Who opened the bridge?",
            "answer": "Ana Ruiz",
            "date": "2024-03-04",
            "evidence": "The new bridge was opened by Mayor Ana Ruiz on Friday.",
        },
        {
            "id": "e2",
            "question": "Where did the train derail?",
            "answer": "Lorn",
            "date": "2024-03-04",
            "evidence": "A freight train derailed near Lorn, blocking the line.",
        },
    ]
    corpus = tmp_path / "corpus.jsonl.gz"
    with gzip.open(corpus, "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(a) + "\n" for a in articles)
    path = tmp_path / "questions.jsonl"
    path.write_text("".join(json.dumps(q) + "\n" for q in questions))
    return path, corpus


def test_each_training_question_is_read_in_its_own_search_results_or_its_evidence_among_rivals(tmp_path):
    questions, corpus = _train_files(tmp_path)
    by_id = {p.row["id"]: p.passages for p in pools(questions, corpus, Settings())}
    assert [p.article_id for p in by_id["s1"]][0] == "a1", "BM25 ranks the mayor's article first"
    assert {p.article_id for p in by_id["s1"]} <= {"a1", "a2"}
    assert by_id["s2"] == [], "no word of the question in its one result: nothing retrieved"
    assert by_id["e1"][0].article_id == "evidence-e1"
    assert "evidence-e2" in {p.article_id for p in by_id["e2"] + by_id["e1"]}, "the same day's evidence is a rival"
    assert by_id["e1"][0].published == "2024-03-04" and by_id["s1"][0].published == "2024-03-03"
    scores = [p.score for p in by_id["s1"]]
    assert scores == sorted(scores, reverse=True)


def test_a_generated_question_is_read_in_the_search_its_article_came_with_dated_as_that_search(tmp_path):
    questions, corpus = _train_files(tmp_path)
    generated = tmp_path / "gen-wh.jsonl"
    made = [
        {"id": "g1", "question": "Where did a storm cut power?", "answers": ["coast"], "gold_doc_ids": ["a2"]},
        {"id": "g2", "question": "Who won?", "answers": ["Rovers"], "gold_doc_ids": ["elsewhere"]},
    ]
    generated.write_text("".join(json.dumps(q) + "\n" for q in made))
    read = list(generated_pools(generated, questions, corpus, Settings()))
    assert [p.row["id"] for p in read] == ["g1"], "an article no search returned has no pool"
    assert read[0].row["date"] == "2024-03-04", "dated as the first search holding its article (s1)"
    assert read[0].passages[0].article_id == "a2"
    assert {p.article_id for p in read[0].passages} <= {"a1", "a2"}


@pytest.mark.slow
def test_pooled_rows_know_what_validation_measures_and_survive_their_file(tmp_path, sample_settings):
    from eval.train_reader import collect_pooled
    from index.embed import get_embedder
    from newsqa.settings import AnswerSettings
    from rag.extractive.pool import Reader

    questions, corpus = _train_files(tmp_path)
    reader = Reader(get_embedder(sample_settings.index), AnswerSettings())
    rows = [collect_pooled(reader, pooled) for pooled in pools(questions, corpus, Settings())]
    by_id = {r.question_id: r for r in rows}
    assert by_id["s1"].answerable and not by_id["s2"].answerable and by_id["e1"].answerable
    assert by_id["s1"].choices.gold == 1 and by_id["s1"].choices.count == 2
    assert by_id["s1"].contains.any() and by_id["s1"].labels.any()
    path = tmp_path / "rows.npz"
    save_rows(rows, path)
    again = load_rows(path)
    assert [r.question_id for r in again] == [r.question_id for r in rows]
    for before, after in zip(rows, again):
        assert np.array_equal(before.features, after.features) and np.array_equal(before.labels, after.labels)
        assert np.array_equal(before.sentences, after.sentences)
        assert (before.answerable, before.date) == (after.answerable, after.date)
    model = fit(_rows(np.random.default_rng(3), 40), {})
    assert outcome(model, by_id["s2"]).answerable is False


def test_validation_learns_before_the_date_measures_after_it_and_names_the_best_form():
    rng = np.random.default_rng(4)
    rows = []
    for n, row in enumerate(_rows(rng, 200)):
        # The right candidate is also the right option of two: multiple choice is measured too.
        choices = ChoiceRows(row.features[:2], np.array([0, 1]), np.ones(2), 2, int(row.labels[1] > 0))
        rows.append(
            dataclasses.replace(
                row,
                contains=row.labels > 0,
                coverage=np.ones(5),
                answerable=True,
                date=f"2024-{1 + n % 12:02d}-01",
                choices=choices,
            )
        )
    noise = [Form("logistic", tuple(f for f in FEATURES if f != "role")), Form("logistic")]
    report = choose(rows, "2024-10-01", forms=noise, keeps=(0.9,), progress=False)
    assert [t["form"].split(", ")[-1] for t in report["tried"]] == [
        "abstains where the passages likely lack the answer",
        "keeps 0.9 of right answers",
    ] * 2
    assert report["validated_on"] == sum(1 for n in range(200) if n % 12 >= 9) == 200 - report["learned_from"]
    assert report["chosen"] == "logistic C=1, abstains where the passages likely lack the answer"
    without, _, with_role, _ = report["tried"]
    assert with_role["contains_always"][0] > 0.8 > 0.5 > without["contains_always"][0]
    assert report["_form"] == Form("logistic")
    with pytest.raises(Exception, match="validate-from"):
        choose(rows, "2030-01-01", forms=noise, progress=False)


def test_validation_weighs_generated_questions_beside_asked_ones_when_choosing():
    rng = np.random.default_rng(5)
    lexical, role = FEATURES.index("lexical"), FEATURES.index("role")

    def dated(rows, told_by: int, silent: int) -> list[QuestionRows]:
        done = []
        for n, row in enumerate(rows):
            features = row.features.copy()
            features[:, silent] = 0.0
            features[:, told_by] = row.labels + rng.normal(scale=0.3, size=5)
            done.append(
                dataclasses.replace(
                    row,
                    features=features,
                    contains=row.labels > 0,
                    coverage=np.ones(5),
                    answerable=True,
                    date=f"2024-{1 + n % 12:02d}-01",
                )
            )
        return done

    # Asked questions are told by the role, generated ones by word overlap: only a model
    # that learned from both answers both.
    asked, generated = dated(_rows(rng, 200), role, lexical), dated(_rows(rng, 200), lexical, role)
    forms = [Form("logistic", generated=False), Form("logistic")]
    report = choose(asked, "2024-10-01", forms=forms, keeps=(), progress=False, generated=generated)
    alone, both = report["tried"]
    assert alone["form"].endswith("asked questions only, abstains where the passages likely lack the answer")
    assert both["generated"]["contains_always"][0] > 0.8 > 0.5 > alone["generated"]["contains_always"][0]
    assert report["_form"] == Form("logistic"), "the first form listed answers the generated questions badly"
    assert report["generated_learned_from"] + report["generated_validated_on"] == 200


def test_the_threshold_parts_questions_whose_passages_hold_an_answer_from_those_whose_do_not():
    from eval.train_reader import Top, threshold_at

    tops = [Top(s, s > 0.5, True) for s in (0.4, 0.6, 0.7, 0.8, 0.9)]
    tops += [Top(s, False, False) for s in (0.1, 0.2, 0.3, 0.45, 0.65)]
    assert threshold_at(tops, None) == 0.6, "answers 4 of 5 answerable, 1 of 5 not: the best split"
    assert threshold_at(tops, 1.0) == 0.6, "keeping every right answer: the lowest right score"
    unknown = [t._replace(answerable=None) for t in tops]
    assert threshold_at(unknown, None) == threshold_at(unknown, 0.97), "no answerability known: keep 0.97"


def test_support_features_are_read_from_the_pool_score_of_each_rows_sentence():
    support, share = FEATURES.index("support"), FEATURES.index("support_share")
    row = QuestionRows(
        "q1",
        np.zeros((3, len(FEATURES))),
        np.array([1.0, 0.0, 0.0]),
        np.ones(3),
        np.array([0, 1, 1]),
        sentences=np.array([2, 0, 1]),
        choices=ChoiceRows(np.zeros((1, len(FEATURES))), np.array([0]), np.ones(1), 2, 0, np.array([1])),
    )
    (filled,) = with_support([row], {"q1": np.array([0.2, 0.1, 0.8])})
    assert filled.features[:, support].tolist() == [0.8, 0.2, 0.1]
    assert filled.features[:, share].tolist() == pytest.approx([1.0, 0.25, 0.125])
    assert filled.choices.features[:, support].tolist() == [0.1]
    assert not row.features.any(), "the rows given are left as they were"
