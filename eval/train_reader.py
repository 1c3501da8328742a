"""Learn the reader's model (rag.extractive.model.ReaderModel) from questions with gold answers.

    python -m eval.train_reader --corpus corpus.jsonl --questions questions.jsonl \
        [--generated gen-wh.jsonl] --out rag/extractive/reader_model.json

For every question it retrieves the passages as ``newsqa ask`` would (hybrid, near-copies
folded, k kept), lets the reader propose and describe its candidates, and labels each
mention of a candidate right when the candidate matches a gold answer (token F1 >= 0.5
under the RealTime QA paper's normalisation). A logistic regression on the standardised
features is the model. Its abstention threshold (:func:`calibrate_threshold`) comes from
the ``--questions`` only, each scored by a model fitted without it: ``--generated``
questions (``newsqa eval generate --kind wh``) teach the weights but are too easy to say
where to abstain. Questions are any set in the harness's jsonl format; to score a model
on a benchmark it learned from, use ``newsqa eval run --folds 5`` so that no figure comes
from a model that saw its question.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval import metrics as m
from eval.data import Question, load_questions
from newsqa.settings import Settings
from newsqa.types import Passage, Query
from rag.extractive.candidates import Candidate
from rag.extractive.features import FEATURES
from rag.extractive.model import ReaderModel
from rag.extractive.pool import Reader

MATCH_F1 = 0.5
# L2 strength of the logistic regression (sklearn's C): chosen by grouped 5-fold
# cross-validation on realtimeqa-dev among 0.1, 1 and 10 (see eval/results/README.md).
REGULARISATION_C = 1.0
# The abstention threshold is set so that the model still answers this share of the
# training questions it answers right, each scored by a model that did not learn from it.
# On realtimeqa-dev, 0.95 put it in a gap of the few lowest right scores, above the
# sample's right "When did Assad flee?" (eval/results/README.md has both settings' figures).
KEEP_RIGHT_ANSWERS = 0.97
CALIBRATION_FOLDS = 5
# Passages retrieved before near-copies are folded and the best k kept, as the harness does.
RETRIEVAL_DEPTH = 30


@dataclass
class QuestionRows:
    """One question's candidate mentions as feature rows, which are right, their weights, and its id.

    Each mention is a row; a candidate's rows share one unit of weight, so a name repeated
    ten times does not count ten times in training (its repetition is a feature already).
    """

    question_id: str
    features: np.ndarray
    labels: np.ndarray
    weights: np.ndarray
    candidates: np.ndarray  # the candidate each row belongs to, numbered within the question


def is_right(candidate: str, answers) -> bool:
    return m.token_f1(candidate, answers, m.normalize_paper) >= MATCH_F1


def rows_for(question: Question, candidates: Sequence[Candidate]) -> QuestionRows:
    mentions = [(n, c, mention) for n, c in enumerate(candidates) for mention in c.mentions]
    features = np.array([[mention.features[name] for name in FEATURES] for _, _, mention in mentions])
    return QuestionRows(
        question.id,
        features.reshape(-1, len(FEATURES)),
        np.array([is_right(c.text, question.answers) for _, c, _ in mentions], dtype=float),
        np.array([1 / len(c.mentions) for _, c, _ in mentions]),
        np.array([n for n, _, _ in mentions], dtype=int),
    )


def collect(reader: Reader, question: Question, query: Query, passages: list[Passage]) -> QuestionRows:
    """The reader's candidates for a question over its passages, as labelled rows."""
    reading = reader.read(question.question, passages, as_of=query.as_of)
    return rows_for(question, reading.candidates)


def collect_all(
    reader: Reader,
    questions: list[Question],
    search: Callable[[Question], tuple[Query, list[Passage]]],
    desc: str,
    progress: bool = True,
) -> list[QuestionRows]:
    """The labelled rows of every question, each read in the passages ``search`` finds for it."""
    from tqdm import tqdm

    return [collect(reader, q, *search(q)) for q in tqdm(questions, desc=desc, unit="q", disable=not progress)]


def fold_of(question_id: str, folds: int) -> int:
    """The fold of a question: stable across runs and machines, so every run splits alike."""
    return int(hashlib.sha256(question_id.encode()).hexdigest(), 16) % folds


def top_choices(model: ReaderModel, rows: list[QuestionRows]) -> list[tuple[float, bool]]:
    """Per question with candidates: the best mention's score, and whether its candidate is right."""
    tops = []
    for question in rows:
        if len(question.labels):
            scores = model.probabilities(question.features)
            best = int(np.argmax(scores))
            tops.append((float(scores[best]), bool(question.labels[best])))
    return tops


def calibrate_threshold(rows: list[QuestionRows], generated: Sequence[QuestionRows] = ()) -> float:
    """The score that keeps :data:`KEEP_RIGHT_ANSWERS` of the questions the model answers right.

    Below it the engine abstains; the questions whose top candidate is wrong mostly score
    lower, so abstaining there costs few right answers. Each question is scored by a model
    fitted without it (:data:`CALIBRATION_FOLDS` folds, split otherwise than the harness's):
    a model scores the questions it learned from higher than the new ones it will be asked,
    and a threshold set on those would abstain on new questions it answers right.
    """
    folds = [fold_of(f"calibration:{r.question_id}", CALIBRATION_FOLDS) for r in rows]
    tops = []
    for fold in range(CALIBRATION_FOLDS):
        outside = [r for r, f in zip(rows, folds) if f == fold]
        inside = [r for r, f in zip(rows, folds) if f != fold]
        if outside and any(len(r.labels) for r in inside):
            tops += top_choices(_fitted(inside, generated), outside)
    right_scores = [score for score, right in tops if right]
    if not right_scores:
        return 0.0
    return float(np.quantile(right_scores, 1 - KEEP_RIGHT_ANSWERS))


def fit(rows: list[QuestionRows], trained_on: dict, generated: Sequence[QuestionRows] = ()) -> ReaderModel:
    """A logistic model on the mentions of ``rows`` and ``generated``, its threshold calibrated on ``rows``.

    Generated questions copy their sentence word for word, so the model is surer of their
    answers than of any question a person asks: they teach the weights, not where to abstain.
    """
    used = [r for r in [*rows, *generated] if len(r.labels)]
    model = _fitted(rows, generated)
    return dataclasses.replace(
        model,
        threshold=calibrate_threshold(rows, generated),
        trained_on={
            **trained_on,
            "questions": len(rows),
            "generated_questions": len(generated),
            "candidates": int(sum(len(set(r.candidates)) for r in used)),
            "right": int(sum(len(set(r.candidates[r.labels > 0])) for r in used)),
        },
    )


def _fitted(rows: list[QuestionRows], generated: Sequence[QuestionRows]) -> ReaderModel:
    """The logistic regression's weights on the mentions of ``rows`` and ``generated``; no threshold yet."""
    from sklearn.linear_model import LogisticRegression

    used = [r for r in [*rows, *generated] if len(r.labels)]
    x = np.vstack([r.features for r in used])
    y = np.concatenate([r.labels for r in used])
    weights = np.concatenate([r.weights for r in used])
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    regression = LogisticRegression(C=REGULARISATION_C, max_iter=2000)
    regression.fit((x - mean) / scale, y, sample_weight=weights)
    return ReaderModel(
        FEATURES,
        tuple(float(v) for v in mean),
        tuple(float(v) for v in scale),
        tuple(float(v) for v in regression.coef_[0]),
        float(regression.intercept_[0]),
        0.0,
    )


def main(argv: list[str] | None = None) -> None:

    from index import ingest
    from rag.retrieval.retriever import build_retriever, open_index

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True, help="the articles, as jsonl")
    parser.add_argument(
        "--questions", type=Path, action="append", required=True, help="questions as people ask them (repeatable)"
    )
    parser.add_argument(
        "--generated",
        type=Path,
        action="append",
        default=[],
        help="`newsqa eval generate --kind wh` questions: they teach the weights, not the threshold (repeatable)",
    )
    parser.add_argument("--out", type=Path, default=Path("rag/extractive/reader_model.json"))
    args = parser.parse_args(argv)
    for path in [args.corpus, *args.questions, *args.generated]:
        if not path.is_file():
            parser.error(f"{path}: no such file")
    settings = Settings()
    ingest([args.corpus], settings, progress=True)
    index = open_index(settings)
    retriever = build_retriever(index, settings.retrieval, k=RETRIEVAL_DEPTH)
    reader = Reader(index.embedder, settings.answer)

    def search(question: Question) -> tuple[Query, list[Passage]]:
        query = index.query(question.question)
        return query, index.distinct(retriever.invoke(query), settings.retrieval.k)

    def rows_of(path: Path) -> list[QuestionRows]:
        return collect_all(reader, load_questions(path), search, path.name)

    asked = [row for path in args.questions for row in rows_of(path)]
    generated = [row for path in args.generated for row in rows_of(path)]
    names = [path.name for path in [*args.questions, *args.generated]]
    model = fit(asked, {"question_sets": names}, generated)
    args.out.write_text(model.to_json() + "\n")
    print(f"{args.out}: {len(asked)} + {len(generated)} generated questions, threshold {model.threshold:.3f}")


if __name__ == "__main__":
    main()
