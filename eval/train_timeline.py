"""Learn which sentences of an article its timeline line quotes (:data:`rag.timelines.SENTENCE_MODEL`).

    python -m eval.train_timeline --questions Q.jsonl --corpus C.jsonl.gz --validate-from 2024-07-01 \\
        --out rag/timeline_model.json [--report V.json]

A news quiz asks about the facts of the week that people followed, each from a sentence of an
article: the sentence a timeline of that story should quote. Each question with an article
that names its answer (``answer_in_doc_ids``, realtimeqa-train's fields) gives a topic (the
question's words, as :func:`eval.timelines.question_topic` makes it) and the article's
sentences, read as the timeline reads them, each labelled by whether it contains a gold
answer. A logistic model over :data:`rag.timelines.SENTENCE_FEATURES` learns from the
questions asked before ``--validate-from`` (their terms weighted by the corpus's BM25 inverse
document frequency, as the index weights them); the later ones only measure it, against the
rule it replaced. A line quotes its article's opening, and the model chooses
:data:`rag.timelines.CHOSEN` among the other sentences (:func:`rag.timelines.line_candidates`):
questions whose opening holds the answer are left out of training, since they teach nothing
about which other sentence to show. Two minutes on 2 cores for realtimeqa-train.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.data import read_corpus
from eval.metrics import bootstrap_ci, contains_answer
from eval.timelines import question_topic
from index.lexical import bm25_idf
from newsqa.text import content_terms
from newsqa.types import Passage
from rag import nlp
from rag.extractive.model import ReaderModel
from rag.timelines import (
    CHOSEN,
    SENTENCE_FEATURES,
    SENTENCE_SHARE,
    _sentences,
    line_candidates,
    opening_of,
    sentence_features,
    topic_name_terms,
)

# L2 strength (sklearn's C): the model has few features and thousands of rows, and the
# validation figures did not move between 0.1 and 10.
C = 1.0
# The rule the model replaced, measured beside it: the sentence naming the topic that holds
# most of its weight, with this much more for one with a name or a figure.
RULE_FACT_BONUS = 0.15


@dataclass(frozen=True)
class _Article:
    """A question's article as the model reads it: a feature row per candidate sentence, and their labels."""

    question_id: str
    date: str
    opening_answers: bool
    rows: list[dict[str, float]]
    labels: list[bool]


def _idf(corpus: list[dict]) -> dict[str, float]:
    """BM25's inverse document frequency of each term over the articles (the index counts chunks;
    the model reads only shares of a topic's weight, which the unit hardly moves)."""
    counts: Counter[str] = Counter()
    for row in corpus:
        counts.update(set(content_terms(f"{row.get('title') or ''} {row.get('text') or ''}")))
    return {term: bm25_idf(len(corpus), df) for term, df in counts.items()}


def read_articles(questions: list[dict], corpus: list[dict]) -> list[_Article]:
    """Each question's first article that names its answer, its sentences ranked as a timeline ranks them."""
    by_id = {row["id"]: row for row in corpus}
    idf = _idf(corpus)
    highest = max(idf.values(), default=1.0)
    articles = []
    for question in questions:
        found = [by_id[a] for a in question.get("answer_in_doc_ids") or [] if a in by_id]
        topic = question_topic(question["question"])
        terms = set(content_terms(topic))
        if not found or not terms:
            continue
        row = found[0]
        text = str(row.get("text") or "")
        passage = Passage(
            id=row["id"], article_id=row["id"], title=str(row.get("title") or ""), source=str(row.get("source") or ""),
            url="", published=str(row.get("published") or ""), text=text, start=0, end=len(text), score=0.0,
        )  # fmt: skip
        sentences = _sentences([passage])
        if not sentences:
            continue
        weights = {t: idf.get(t, highest) for t in terms}
        names = topic_name_terms(topic)
        opening = opening_of(sentences)
        candidates = line_candidates(sentences, weights, opening)
        docs = nlp.entities([sentences[i].text for i in candidates])  # the features read names alone
        answers = question.get("answers") or [question["answer"]]
        articles.append(
            _Article(
                question["id"],
                question["date"][:10],
                opening is not None and bool(contains_answer(sentences[opening].text, answers)),
                [sentence_features(sentences[i], doc, weights, names) for i, doc in zip(candidates, docs)],
                [bool(contains_answer(sentences[i].text, answers)) for i in candidates],
            )
        )
    return articles


def _picks(articles: list[_Article], score, chosen: int = CHOSEN) -> list[float]:
    """Per article, whether its line quotes the answer: its opening, or one of the ``chosen``
    sentences ``score`` ranks first."""
    return [
        float(
            article.opening_answers
            or any(article.labels[i] for i in np.argsort(-score(article), kind="stable")[:chosen])
        )
        for article in articles
    ]


def _rule(article: _Article) -> np.ndarray:
    return np.array(
        [
            row["share"] + RULE_FACT_BONUS * row["fact"] if row["share"] >= SENTENCE_SHARE else -1.0
            for row in article.rows
        ]
    )


def _matrix(articles: list[_Article]) -> tuple[np.ndarray, np.ndarray]:
    rows = [row for a in articles for row in a.rows]
    x = np.array([[row[f] for f in SENTENCE_FEATURES] for row in rows]).reshape(-1, len(SENTENCE_FEATURES))
    return x, np.array([label for a in articles for label in a.labels])


def fit(articles: list[_Article], trained_on: dict) -> ReaderModel:
    """The logistic model over the articles whose opening does not hold the answer."""
    from sklearn.linear_model import LogisticRegression

    x, y = _matrix([a for a in articles if not a.opening_answers])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    regression = LogisticRegression(C=C, max_iter=2000).fit((x - mean) / scale, y)
    return ReaderModel(
        features=SENTENCE_FEATURES,
        mean=tuple(mean.tolist()),
        scale=tuple(scale.tolist()),
        coef=tuple(regression.coef_[0].tolist()),
        intercept=float(regression.intercept_[0]),
        threshold=0.0,
        trained_on={**trained_on, "articles": len(articles), "rows": len(y), "answer_sentences": int(y.sum())},
    )


def _figure(hits: list[float]) -> dict:
    mean, low, high = bootstrap_ci(hits)
    return {"quoted": mean, "ci95": [low, high], "articles": len(hits)}


def validation_figures(model: ReaderModel, articles: list[_Article]) -> dict:
    """The share of articles whose line (opening and CHOSEN sentences) quotes the answer: the model
    (also choosing one to three), the rule it replaced, and the best any choice could do."""

    def learned(article: _Article) -> np.ndarray:
        x = np.array([[row[f] for f in model.features] for row in article.rows]).reshape(-1, len(model.features))
        return model.probabilities(x)

    return {
        "model": _figure(_picks(articles, learned)),
        **{f"model_choosing_{n}": _figure(_picks(articles, learned, n)) for n in (1, 2, 3)},
        "rule": _figure(_picks(articles, _rule)),
        "opening_alone": _figure([float(a.opening_answers) for a in articles]),
        "any_ranked_sentence": _figure(_picks(articles, lambda a: np.array(a.labels, dtype=float))),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=Path, required=True, help="questions with answer_in_doc_ids")
    parser.add_argument("--corpus", type=Path, required=True, help="their articles (.jsonl or .jsonl.gz)")
    parser.add_argument("--validate-from", required=True, help="YYYY-MM-DD: questions from this day only measure")
    parser.add_argument("--out", type=Path, required=True, help="the model's JSON")
    parser.add_argument("--report", type=Path, help="also write the validation figures here")
    args = parser.parse_args(argv)
    for path in (args.questions, args.corpus):
        if not path.is_file():
            parser.error(f"{path}: no such file; give the questions and their articles as JSON lines")
    questions = [json.loads(line) for line in args.questions.read_text().splitlines() if line.strip()]
    articles = read_articles(questions, read_corpus(args.corpus))
    train = [a for a in articles if a.date < args.validate_from]
    validation = [a for a in articles if a.date >= args.validate_from]
    model = fit(train, {"questions": str(args.questions), "before": args.validate_from})
    report = {
        "trained_on": model.trained_on,
        "coefficients": dict(zip(model.features, model.coef)),
        "validation": validation_figures(model, validation),
        "training": validation_figures(model, train),
    }
    args.out.write_text(model.to_json() + "\n")
    if args.report:
        args.report.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
