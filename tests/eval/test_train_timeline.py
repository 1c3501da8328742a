"""Learning the timeline's sentence model from quiz questions and their articles (real spaCy, real files)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from eval.train_timeline import main, read_articles
from newsqa.errors import ModelMissingError
from rag.timelines import SENTENCE_FEATURES, load_sentence_model

# Each article opens with a line about the story; the quiz's answer sits in another sentence,
# which adds a name or a figure, while a third repeats the story's words and adds nothing.
_ARTICLES = [
    (
        f"a{n}",
        f"2024-0{month}-0{day}",
        f"Council members in {town} met on Monday about the harbour bridge. "
        f"The harbour bridge repairs in {town} will cost {cost} million euros, the mayor {mayor} said. "
        f"People in {town} have long talked about the harbour bridge and its repairs.",
    )
    for n, (month, day, town, cost, mayor) in enumerate(
        [
            (1, 5, "Quelmor", 12, "Greta Nakamura"),
            (2, 6, "Port Anselm", 30, "Ana Ruiz"),
            (3, 7, "Bellhaven", 8, "Tomas Varga"),
            (7, 8, "Dunmore", 45, "Lena Ortiz"),
        ]
    )
]


def _files(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        "".join(
            json.dumps({"id": i, "title": "Harbour bridge repairs", "source": "wire", "published": d, "text": t}) + "\n"
            for i, d, t in _ARTICLES
        )
    )
    towns = ["Quelmor", "Port Anselm", "Bellhaven", "Dunmore"]
    questions = [
        {
            "id": f"q{n}",
            "question": f"How much will the harbour bridge repairs in {town} cost?",
            "answer": answer,
            "answers": [answer],
            "date": date,
            "answer_in_doc_ids": [article],
        }
        for n, ((article, date, _), town, answer) in enumerate(
            zip(_ARTICLES, towns, ["12 million euros", "30 million euros", "8 million euros", "45 million euros"])
        )
    ]
    # The answer in the opening: nothing to learn about which other sentence to quote.
    questions.append({**questions[0], "id": "q-open", "question": "Who met about the Quelmor bridge?",
                      "answer": "Council members", "answers": ["Council members"]})  # fmt: skip
    path = tmp_path / "questions.jsonl"
    path.write_text("".join(json.dumps(q) + "\n" for q in questions))
    return corpus, path, questions


def test_each_articles_other_sentences_are_labelled_by_the_answer(tmp_path):
    from eval.data import read_corpus

    corpus, _, questions = _files(tmp_path)
    articles = read_articles(questions, read_corpus(corpus))
    assert [a.question_id for a in articles] == ["q0", "q1", "q2", "q3", "q-open"]
    first = articles[0]
    # The opening is quoted anyway: the model ranks the two other sentences, the answer's first.
    assert first.labels == [True, False] and not first.opening_answers
    assert set(first.rows[0]) == set(SENTENCE_FEATURES)
    assert first.rows[0]["new_facts"] > first.rows[1]["new_facts"] and first.rows[0]["number"] == 1.0
    assert articles[-1].opening_answers


def test_training_writes_a_model_the_timeline_loads_and_measures_it_on_later_weeks(tmp_path, capsys):
    from eval.data import read_corpus

    corpus, questions, question_rows = _files(tmp_path)
    out, report = tmp_path / "model.json", tmp_path / "report.json"
    main(["--questions", str(questions), "--corpus", str(corpus), "--validate-from", "2024-07-01"]
         + ["--out", str(out), "--report", str(report)])  # fmt: skip
    figures = json.loads(report.read_text())
    # Three weeks teach (the opening's question left out of the rows), the July one measures.
    assert figures["trained_on"]["articles"] == 4 and figures["trained_on"]["rows"] == 6
    assert figures["validation"]["model"]["articles"] == 1
    model = load_sentence_model(out)
    assert model.features == SENTENCE_FEATURES
    # On the July article, the sentence that adds a figure and a name outranks the one that repeats
    # the story, and the line choosing one sentence quotes it.
    (july,) = [a for a in read_articles(question_rows, read_corpus(corpus)) if a.date >= "2024-07-01"]
    x = np.array([[row[f] for f in model.features] for row in july.rows])
    assert july.labels == [True, False] and model.probabilities(x)[0] > model.probabilities(x)[1]
    assert figures["validation"]["model_choosing_1"]["quoted"] == 1.0
    assert json.loads(capsys.readouterr().out)["validation"] == figures["validation"]


def test_a_missing_file_is_one_line_not_a_traceback(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["--questions", str(tmp_path / "nope.jsonl"), "--corpus", str(tmp_path / "nope.jsonl"),
              "--validate-from", "2024-07-01", "--out", str(tmp_path / "m.json")])  # fmt: skip
    assert stopped.value.code == 2
    assert "nope.jsonl: no such file; give the questions and their articles as JSON lines" in capsys.readouterr().err


def test_a_damaged_sentence_model_is_one_clear_error(tmp_path):
    path = tmp_path / "damaged.json"
    path.write_text('{"features": ["share"]')
    with pytest.raises(ModelMissingError, match=r"timeline sentence model .* `python -m eval.train_timeline`"):
        load_sentence_model(path)
    path.write_text(json.dumps({"features": ["shoe_size"], "mean": [0], "scale": [1], "coef": [1], "intercept": 0,
                                "threshold": 0}))  # fmt: skip
    with pytest.raises(ModelMissingError, match="does not fit this version"):
        load_sentence_model(path)
