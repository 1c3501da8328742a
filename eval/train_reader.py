"""Learn the reader's model (rag.extractive.model.ReaderModel) from questions with gold answers.

    newsqa eval generate --corpus ../shared/data/realtimeqa-train/corpus.jsonl.gz --kind wh \
        --count 3000 --out gen-wh-train.jsonl
    python -m eval.train_reader --questions ../shared/data/realtimeqa-train/questions.jsonl \
        --pools ../shared/data/realtimeqa-train/corpus.jsonl.gz --generated gen-wh-train.jsonl \
        --validate-from 2024-07-01 --workers 2 --report eval/results/reader/validation.json \
        --out rag/extractive/reader_model.json

    python -m eval.train_reader --corpus corpus.jsonl --questions questions.jsonl \
        [--generated gen-wh.jsonl] --out my_reader.json

Each question is read as the engine reads it: with ``--pools``, in its own search results
(:mod:`eval.pools`; how the shipped model is made, ``--generated`` questions of those
results' articles read in the same search results); with ``--corpus``, in the passages an
index of the corpus retrieves for it (hybrid, near-copies folded, k kept), for a user's own
questions over their own articles. The reader proposes and describes its candidates, and
each mention is labelled right when its candidate matches a gold answer (token F1 >= 0.5
under the RealTime QA paper's normalisation).

With ``--validate-from DATE``, every form in :data:`FORMS` (logistic or boosted trees,
feature sets) and every abstention rule in :data:`KEEPS` is learned from the questions
before DATE and measured on the rest (:func:`choose`); the best is then learned from all of
them. With ``--support`` the support model (:mod:`eval.train_support`) is learned too, and
the forms in :data:`SUPPORT_FORMS` that read it are measured beside the others. The
abstention threshold (:func:`calibrate_threshold`) comes from the asked questions only,
each scored by a model fitted without it: ``--generated`` questions teach the weights but
are too easy to say where to abstain. To score a model on a benchmark it learned from,
use ``newsqa eval run --folds 5`` so that no figure comes from a model that saw its question.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from eval import metrics as m
from eval.data import Question, load_questions, relative_path
from eval.pools import PooledQuestion, generated_pools, pools
from eval.train_support import PooledSentences, pooled_sentences, sentence_precision
from eval.train_support import export as export_support
from eval.train_support import train as train_support
from newsqa.dates import end_of_day
from newsqa.errors import InputError
from newsqa.settings import Settings
from newsqa.types import Passage, Query
from rag.extractive.candidates import Candidate
from rag.extractive.features import FEATURES
from rag.extractive.model import ReaderModel, Tree
from rag.extractive.pool import Reader
from rag.extractive.support import SUPPORT_FEATURES, SupportScorer, reads_support

MATCH_F1 = 0.5
# The features a model reads unless the support model is learned too (--support).
WITHOUT_SUPPORT = tuple(n for n in FEATURES if n not in SUPPORT_FEATURES)
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


@dataclass(frozen=True)
class ChoiceRows:
    """A multiple-choice question's options as feature rows: one row per mention of an option."""

    features: np.ndarray
    choice_of: np.ndarray  # the option each row names
    coverage: np.ndarray  # share of the option's words the mention names
    count: int  # options, named or not
    gold: int  # the right option's index, -1 when none is
    sentences: np.ndarray | None = None  # per row: the pooled sentence naming it


@dataclass
class QuestionRows:
    """One question's candidate mentions as feature rows, which are right, their weights, and its id.

    Each mention is a row; a candidate's rows share one unit of weight, so a name repeated
    ten times does not count ten times in training (its repetition is a feature already).
    The fields after ``candidates`` are known where the question was read for validation
    (:func:`collect_pooled`): they measure a model as the engine would use it.
    """

    question_id: str
    features: np.ndarray
    labels: np.ndarray
    weights: np.ndarray
    candidates: np.ndarray  # the candidate each row belongs to, numbered within the question
    contains: np.ndarray | None = None  # per row: its candidate's text contains a gold answer
    coverage: np.ndarray | None = None
    answerable: bool | None = None  # a gold answer is written in the passages read
    date: str = ""
    choices: ChoiceRows | None = None
    sentences: np.ndarray | None = None  # per row: the pooled sentence naming it


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


def contains_gold(text: str, answers) -> bool:
    """Whether ``text`` contains a gold answer, both under the RealTime QA paper's normalisation."""
    normalized = f" {m.normalize_paper(text)} "
    return any(f" {m.normalize_paper(answer)} " in normalized for answer in answers if m.normalize_paper(answer))


def _matrix(mentions) -> np.ndarray:
    return np.array([[mention.features[name] for name in FEATURES] for mention in mentions]).reshape(-1, len(FEATURES))


def collect_pooled(reader: Reader, pooled: PooledQuestion) -> QuestionRows:
    """A training question read in its own pool (:mod:`eval.pools`), with what validation measures."""
    row = pooled.row
    answers = tuple(row.get("answers") or [row["answer"]])
    choices = tuple(row.get("choices") or ())
    asked = end_of_day(date.fromisoformat(row["date"][:10])) if row.get("date") else None
    reading = reader.read(row["question"], pooled.passages, as_of=asked, choices=choices)
    base = rows_for(Question(row["id"], row["question"], answers, frozenset()), reading.candidates)
    mentions = [(c, mention) for c in reading.candidates for mention in c.mentions]
    named = [(n, mention) for n, c in enumerate(reading.choices) for mention in c.mentions]
    gold = [n for n, choice in enumerate(choices) if choice in answers]
    return dataclasses.replace(
        base,
        contains=np.array([contains_gold(c.text, answers) for c, _ in mentions], dtype=bool),
        coverage=np.array([mention.coverage for _, mention in mentions]),
        answerable=contains_gold(" ".join(p.text for p in pooled.passages), answers),
        date=row.get("date", "")[:10],
        choices=ChoiceRows(
            _matrix([mention for _, mention in named]),
            np.array([n for n, _ in named], dtype=int),
            np.array([mention.coverage for _, mention in named]),
            len(choices),
            gold[0] if gold else -1,
            np.array([mention.sentence for _, mention in named], dtype=int),
        )
        if choices
        else None,
        sentences=np.array([mention.sentence for _, mention in mentions], dtype=int),
    )


def pooled_rows(
    pooled: Iterable[PooledQuestion], settings: Settings, cache: Path | None = None, workers: int = 1
) -> list[QuestionRows]:
    """Every question ``pooled`` yields, read in its pool; kept in ``cache`` and read back from there
    (``pooled``, a generator of :mod:`eval.pools`, is then never started).

    ``workers`` processes read the pools side by side, each with its own reader (a reader
    is a spaCy pipeline and an embedder: one per process, loaded once).
    """
    if cache and cache.is_file():
        return load_rows(cache)
    from tqdm import tqdm

    questions = list(pooled)
    if workers > 1:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        with context.Pool(workers, initializer=_start_worker, initargs=(settings,)) as processes:
            rows = list(
                tqdm(processes.imap(_collect_in_worker, questions, chunksize=8), total=len(questions), unit="q")
            )
    else:
        reader = _reader(settings)
        rows = [collect_pooled(reader, question) for question in tqdm(questions, unit="q")]
    if cache:
        save_rows(rows, cache)
    return rows


def _reader(settings: Settings) -> Reader:
    from index.embed import get_embedder

    return Reader(get_embedder(settings.index), settings.answer)


# A worker process's reader, made once when the process starts (multiprocessing hands a
# worker only its function's arguments, so the reader cannot be passed along).
_WORKER_READER: list[Reader] = []


def _start_worker(settings: Settings) -> None:
    _WORKER_READER.append(_reader(settings))


def _collect_in_worker(pooled: PooledQuestion) -> QuestionRows:
    return collect_pooled(_WORKER_READER[0], pooled)


def support_pools(questions: Path, corpus: Path, settings: Settings) -> list[PooledSentences]:
    """Every pooled question's sentences as the reader pools them, labelled by whether they contain a gold answer."""
    reader = _reader(settings)
    return [pooled_sentences(reader, pooled, contains_gold) for pooled in pools(questions, corpus, settings)]


def save_rows(rows: list[QuestionRows], path: Path) -> None:
    """Rows as numbers only (an .npz of arrays and a JSON of per-question facts): no text of the questions."""
    meta = []
    arrays: dict[str, list[np.ndarray]] = {key: [] for key in ("x", "y", "w", "c", "contains", "coverage", "s", "q")}
    choice_arrays: dict[str, list[np.ndarray]] = {key: [] for key in ("x", "of", "coverage", "s", "q")}
    for n, r in enumerate(rows):
        meta.append(
            {
                "id": r.question_id,
                "date": r.date,
                "answerable": r.answerable,
                "choices": r.choices.count if r.choices else 0,
                "gold_choice": r.choices.gold if r.choices else -1,
            }
        )
        size = len(r.labels)
        for key, value in zip(
            ("x", "y", "w", "c", "contains", "coverage", "s"),
            (r.features, r.labels, r.weights, r.candidates, r.contains, r.coverage, r.sentences),
        ):
            arrays[key].append(value if value is not None else np.zeros(size))
        arrays["q"].append(np.full(size, n))
        if r.choices:
            for key, value in zip(
                ("x", "of", "coverage", "s"),
                (r.choices.features, r.choices.choice_of, r.choices.coverage, r.choices.sentences),
            ):
                choice_arrays[key].append(value if value is not None else np.zeros(len(r.choices.choice_of)))
            choice_arrays["q"].append(np.full(len(r.choices.choice_of), n))
    columns: dict[str, Any] = {key: np.concatenate(v) if v else np.zeros(0) for key, v in arrays.items()}
    columns |= {f"choice_{key}": np.concatenate(v) if v else np.zeros(0) for key, v in choice_arrays.items()}
    np.savez_compressed(path, features=np.array(FEATURES), **columns)
    path.with_suffix(".json").write_text(json.dumps(meta))


def load_rows(path: Path) -> list[QuestionRows]:
    with np.load(path) as stored:
        # Each access to an .npz member reads it anew: read every one once.
        data = {key: stored[key] for key in stored.files}
    if tuple(data["features"].tolist()) != FEATURES:
        raise InputError(f"{path}: rows of other features; collect them again")
    meta = json.loads(path.with_suffix(".json").read_text())
    x = data["x"].reshape(-1, len(FEATURES))
    cx = data["choice_x"].reshape(-1, len(FEATURES))
    starts = np.searchsorted(data["q"], np.arange(len(meta) + 1))
    choice_starts = np.searchsorted(data["choice_q"], np.arange(len(meta) + 1))
    rows = []
    for n, facts in enumerate(meta):
        a, b = starts[n], starts[n + 1]
        ca, cb = choice_starts[n], choice_starts[n + 1]
        rows.append(
            QuestionRows(
                facts["id"],
                x[a:b],
                data["y"][a:b],
                data["w"][a:b],
                data["c"][a:b].astype(int),
                data["contains"][a:b].astype(bool),
                data["coverage"][a:b],
                facts["answerable"],
                facts["date"],
                ChoiceRows(
                    cx[ca:cb],
                    data["choice_of"][ca:cb].astype(int),
                    data["choice_coverage"][ca:cb],
                    facts["choices"],
                    facts["gold_choice"],
                    data["choice_s"][ca:cb].astype(int),
                )
                if facts["choices"]
                else None,
                data["s"][a:b].astype(int),
            )
        )
    return rows


def with_support(rows: list[QuestionRows], support: dict[str, np.ndarray]) -> list[QuestionRows]:
    """``rows`` whose support features are read from each question's pool scores (by question id)."""
    columns = [FEATURES.index(name) for name in SUPPORT_FEATURES]

    def filled(features: np.ndarray, sentences: np.ndarray | None, scores: np.ndarray) -> np.ndarray:
        if not len(features):
            return features
        assert sentences is not None and len(scores) > int(sentences.max()), "rows of another pool"
        done = features.copy()
        done[:, columns[0]] = scores[sentences]
        done[:, columns[1]] = scores[sentences] / (scores.max() or 1.0)
        return done

    supported = []
    for r in rows:
        scores = support.get(r.question_id, np.zeros(0))
        choices = r.choices and dataclasses.replace(
            r.choices, features=filled(r.choices.features, r.choices.sentences, scores)
        )
        supported.append(dataclasses.replace(r, features=filled(r.features, r.sentences, scores), choices=choices))
    return supported


def learn_support(
    pools: list[PooledSentences], validate_from: str | None, graph: Path, progress: bool = True
) -> tuple[dict[str, np.ndarray], frozenset[str], dict]:
    """The support model learned from half the questions, written to ``graph``, and what it says of the rest.

    The questions before ``validate_from`` (all, without it) are split in two by
    :func:`fold_of`: the support model learns from the first half, and the reader's model
    from the second (and from the questions from ``validate_from`` once validation is
    done), so the reader's model learns how far to trust the support model's scores on
    questions it did not learn from. Returns every question's pool scores by id, the ids
    the support model learned from (to leave out of the reader's rows), and its figures
    on the questions from ``validate_from``.
    """
    learn = [p for p in pools if not validate_from or p.date < validate_from]
    taught = [p for p in learn if fold_of(f"support:{p.question_id}", 2) == 0]
    model = train_support(taught, progress="support model" if progress else "")
    trained_on = {"questions": len(taught), "pools_holding_the_answer": sum(any(p.labels) for p in taught)}
    scorer = SupportScorer(export_support(model, graph, trained_on))
    taught_ids = frozenset(p.question_id for p in taught)
    scores = {p.question_id: scorer.scores(p.question, p.sentences) for p in pools if p.question_id not in taught_ids}
    held = [p for p in pools if validate_from and p.date >= validate_from]
    return scores, taught_ids, sentence_precision(held, scores) if held else {}


def collect(reader: Reader, question: Question, query: Query, passages: list[Passage]) -> QuestionRows:
    """The reader's candidates for a question over its passages, as labelled rows."""
    reading = reader.read(question.question, passages, as_of=query.as_of)
    answerable = contains_gold(" ".join(p.text for p in passages), question.answers)
    return dataclasses.replace(rows_for(question, reading.candidates), answerable=answerable)


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


class Top(NamedTuple):
    """A question's best mention under a model: its score, whether it is right, whether the passages hold an answer."""

    score: float
    right: bool
    answerable: bool | None


def top_choices(model: ReaderModel, rows: list[QuestionRows]) -> list[Top]:
    """Per question: the best mention's score (0 with no candidate), and whether its candidate is right."""
    tops = []
    for question in rows:
        if len(question.labels):
            scores = probabilities(model, question.features)
            best = int(np.argmax(scores))
            tops.append(Top(float(scores[best]), bool(question.labels[best]), question.answerable))
        else:
            tops.append(Top(0.0, False, question.answerable))
    return tops


def probabilities(model: ReaderModel, x: np.ndarray) -> np.ndarray:
    """The model's scores of rows of every feature of :data:`FEATURES` (it may use only some)."""
    return model.probabilities(x[:, [FEATURES.index(name) for name in model.features]])


def calibration_tops(
    rows: list[QuestionRows], generated: Sequence[QuestionRows] = (), form: Form | None = None
) -> list[Top]:
    """Each question's top score and whether it is right, scored by a model fitted without it.

    :data:`CALIBRATION_FOLDS` folds, split otherwise than the harness's: a model scores the
    questions it learned from higher than the new ones it will be asked, and a threshold set
    on those would abstain on new questions it answers right.
    """
    folds = [fold_of(f"calibration:{r.question_id}", CALIBRATION_FOLDS) for r in rows]
    tops = []
    for fold in range(CALIBRATION_FOLDS):
        outside = [r for r, f in zip(rows, folds) if f == fold]
        inside = [r for r, f in zip(rows, folds) if f != fold]
        if outside and any(len(r.labels) for r in inside):
            tops += top_choices(_fitted(inside, generated, form or Form()), outside)
    return tops


def threshold_at(tops: list[Top], keep: float | None) -> float:
    """Where the engine stops answering: by answerability, or (``keep``) by the right answers kept.

    With ``keep`` None, the score that best tells the questions whose passages hold an
    answer from those whose passages do not (the most of the first answered less the most
    of the second, Youden's J): the top score is the model's belief that the passages
    answer. With ``keep``, the score that keeps that share of the questions answered right;
    the questions whose top candidate is wrong mostly score lower. Where the questions do
    not say whether their passages hold an answer, :data:`KEEP_RIGHT_ANSWERS` is kept.
    """
    known = [t for t in tops if t.answerable is not None]
    if keep is None and any(t.answerable for t in known) and not all(t.answerable for t in known):
        scores = np.array([t.score for t in known])
        answerable = np.array([bool(t.answerable) for t in known])
        candidates = np.unique(scores)
        youden = [(scores[answerable] >= c).mean() - (scores[~answerable] >= c).mean() for c in candidates]
        return float(candidates[int(np.argmax(youden))])
    right_scores = [t.score for t in tops if t.right]
    share = KEEP_RIGHT_ANSWERS if keep is None else keep
    return float(np.quantile(right_scores, 1 - share)) if right_scores else 0.0


def calibrate_threshold(
    rows: list[QuestionRows], generated: Sequence[QuestionRows] = (), form: Form | None = None
) -> float:
    """The form's abstention threshold (:func:`threshold_at`), set on questions each scored by a model without it."""
    form = form or Form()
    return threshold_at(calibration_tops(rows, generated, form), form.keep)


@dataclass(frozen=True)
class Outcome:
    """What the engine would do with one question under a model: its top candidate and its choice."""

    score: float  # the top candidate's score; 0 with no candidate
    right: bool  # the top candidate matches a gold answer (token F1 >= MATCH_F1)
    contains: bool  # ... contains a gold answer
    answerable: bool
    choice_right: bool | None  # the best-scored option is the gold one; None without options


def _best(scores: np.ndarray, groups: np.ndarray, coverage: np.ndarray, count: int) -> np.ndarray:
    """Each group's best mention score times its coverage, as ReaderModel.score ranks candidates."""
    best = np.zeros(count)
    np.maximum.at(best, groups, scores * coverage)
    return best


def outcome(model: ReaderModel, r: QuestionRows) -> Outcome:
    choice_right = None
    if r.choices is not None and r.choices.gold >= 0:
        scores = probabilities(model, r.choices.features) if len(r.choices.choice_of) else np.zeros(0)
        by_choice = _best(scores, r.choices.choice_of, r.choices.coverage, r.choices.count)
        choice_right = bool(np.argmax(by_choice) == r.choices.gold)
    if not len(r.labels):
        return Outcome(0.0, False, False, bool(r.answerable), choice_right)
    coverage = r.coverage if r.coverage is not None else np.ones(len(r.labels))
    by_candidate = _best(probabilities(model, r.features), r.candidates, coverage, int(r.candidates.max()) + 1)
    top = int(np.argmax(by_candidate))
    rows = r.candidates == top
    contains = bool(r.contains[rows].any()) if r.contains is not None else False
    return Outcome(float(by_candidate[top]), bool(r.labels[rows].any()), contains, bool(r.answerable), choice_right)


def _share(values: list[bool]) -> float:
    return round(float(np.mean(values)), 3) if values else float("nan")


def validation_figures(model: ReaderModel, rows: list[QuestionRows]) -> dict:
    """The model's figures on questions it did not learn from, each mean with its 95% bootstrap interval.

    ``contains``/``right``: the answer given (abstentions count as wrong) contains / matches
    a gold answer; ``*_always``: the same had it never abstained; abstentions are judged by
    whether the passages held a gold answer.
    """
    outcomes = [outcome(model, r) for r in rows]
    answered = [o.score >= model.threshold for o in outcomes]
    absent = [not o.answerable for o in outcomes]
    abstained = [not a for a in answered]

    def ci(values) -> list[float]:
        return [round(v, 3) for v in m.bootstrap_ci([float(v) for v in values])]

    figures = {
        "questions": len(rows),
        "contains": ci(o.contains and a for o, a in zip(outcomes, answered)),
        "right": ci(o.right and a for o, a in zip(outcomes, answered)),
        "contains_always": ci(o.contains for o in outcomes),
        "contains_answerable": ci(o.contains and a for o, a in zip(outcomes, answered) if o.answerable),
        "abstention_rate": round(float(np.mean(abstained)), 3),
        # Of the abstentions, the share whose passages lacked the answer; of those questions, the share abstained on.
        "abstentions_answer_absent": _share([x for x, ab in zip(absent, abstained) if ab]),
        "abstention_recall_answer_absent": _share([ab for x, ab in zip(absent, abstained) if x]),
    }
    choices = [o.choice_right for o in outcomes if o.choice_right is not None]
    if choices:
        figures["multiple_choice"] = ci(choices)
    return figures


@dataclass(frozen=True)
class Form:
    """A form of model and its settings: what validation chooses among.

    ``logistic``: a logistic regression on the standardised features, L2 strength ``c``
    (sklearn's C). ``listwise``: the same linear form learned to rank each question's right
    mentions first among its own (:func:`_listwise`). ``boosted``: gradient-boosted trees
    (sklearn's HistGradientBoosting), ``trees`` rounds of at most ``leaves`` leaves of at
    least ``min_leaf`` mentions each.
    """

    kind: str = "logistic"
    features: tuple[str, ...] = WITHOUT_SUPPORT
    keep: float | None = None  # None: abstain by answerability; else keep this share of right answers
    generated: bool = True  # learns from the generated questions too, where there are any
    c: float = REGULARISATION_C
    trees: int = 200
    leaves: int = 15
    learning_rate: float = 0.05
    min_leaf: int = 50

    def __str__(self) -> str:
        left_out = [name for name in WITHOUT_SUPPORT if name not in self.features]
        without = f", without {' '.join(left_out)}" if left_out else ""
        if reads_support(self.features):
            without += ", with the support model"
        keeps = (
            ", abstains where the passages likely lack the answer"
            if self.keep is None
            else f", keeps {self.keep:g} of right answers"
        )
        if not self.generated:
            without += ", asked questions only"
        if self.kind in ("logistic", "listwise"):
            return f"{self.kind} C={self.c:g}{without}{keeps}"
        return (
            f"boosted {self.trees} trees x {self.leaves} leaves, rate {self.learning_rate:g}, "
            f"leaf >= {self.min_leaf}{without}{keeps}"
        )


def fit(
    rows: list[QuestionRows], trained_on: dict, generated: Sequence[QuestionRows] = (), form: Form = Form()
) -> ReaderModel:
    """A model of ``form`` on the mentions of ``rows`` and ``generated``, its threshold calibrated on ``rows``.

    Generated questions copy their sentence word for word, so the model is surer of their
    answers than of any question a person asks: they teach the weights, not where to abstain.
    """
    generated = generated if form.generated else ()
    used = [r for r in [*rows, *generated] if len(r.labels)]
    model = _fitted(rows, generated, form)
    return dataclasses.replace(
        model,
        threshold=calibrate_threshold(rows, generated, form),
        trained_on={
            **trained_on,
            "form": str(form),
            "questions": len(rows),
            "generated_questions": len(generated),
            "candidates": int(sum(len(set(r.candidates)) for r in used)),
            "right": int(sum(len(set(r.candidates[r.labels > 0])) for r in used)),
        },
    )


def _fitted(rows: list[QuestionRows], generated: Sequence[QuestionRows], form: Form = Form()) -> ReaderModel:
    """The model's parameters learned from the mentions of ``rows`` and ``generated``; no threshold yet."""
    used = [r for r in [*rows, *generated] if len(r.labels)]
    x = np.vstack([r.features for r in used])[:, [FEATURES.index(name) for name in form.features]]
    y = np.concatenate([r.labels for r in used])
    weights = np.concatenate([r.weights for r in used])
    if form.kind == "boosted":
        return _boosted(x, y, weights, form)
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    standard = (x - mean) / scale
    if form.kind == "listwise":
        questions = np.concatenate([np.full(len(r.labels), n) for n, r in enumerate(used)])
        coef, intercept = _listwise(standard, y, questions, form.c)
    else:
        regression = LogisticRegression(C=form.c, max_iter=2000)
        regression.fit(standard, y, sample_weight=weights)
        coef, intercept = regression.coef_[0], float(regression.intercept_[0])
    return ReaderModel(
        form.features,
        tuple(float(v) for v in mean),
        tuple(float(v) for v in scale),
        tuple(float(v) for v in coef),
        intercept,
        0.0,
    )


def _listwise(x: np.ndarray, y: np.ndarray, questions: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    """Weights that put a question's right mentions first among its own, then scaled to probabilities.

    The loss is each question's -log of the softmax mass on its right mentions (a question
    with none teaches nothing here), plus an L2 penalty of 1 / (2c) as sklearn's logistic
    has: a mention competes with the others of its question, not with every mention of
    every question. The scores are then calibrated as probabilities of being right (Platt:
    a logistic regression on the score alone), which folds into the same linear form.
    """
    from scipy.optimize import minimize
    from sklearn.linear_model import LogisticRegression

    every, labels = x, y
    answered = np.isin(questions, questions[y > 0])
    order = np.argsort(questions[answered], kind="stable")
    x, right, questions = x[answered][order], y[answered][order] > 0, questions[answered][order]
    first = np.r_[True, questions[1:] != questions[:-1]]
    starts, group = np.flatnonzero(first), np.cumsum(first) - 1

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        s = x @ w
        top = np.maximum.reduceat(s, starts)
        e = np.exp(s - top[group])
        z_all = np.add.reduceat(e, starts)
        z_right = np.add.reduceat(np.where(right, e, 0.0), starts)
        value = float(np.sum(np.log(z_all) - np.log(z_right))) + float(w @ w) / (2 * c)
        gradient = (e / z_all[group] - np.where(right, e / z_right[group], 0.0)) @ x + w / c
        return value, gradient

    w = minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B").x
    platt = LogisticRegression(C=1e6, max_iter=1000).fit((every @ w).reshape(-1, 1), labels)
    return platt.coef_[0, 0] * w, float(platt.intercept_[0])


def _boosted(x: np.ndarray, y: np.ndarray, weights: np.ndarray, form: Form) -> ReaderModel:
    """Gradient-boosted trees, copied node by node out of sklearn into :class:`Tree` (checked to score alike)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    booster = HistGradientBoostingClassifier(
        max_iter=form.trees,
        max_leaf_nodes=form.leaves,
        learning_rate=form.learning_rate,
        min_samples_leaf=form.min_leaf,
        early_stopping=False,
        random_state=0,
    )
    booster.fit(x, y, sample_weight=weights)
    trees = []
    # sklearn keeps its fitted trees in private arrays: the copy is checked against its own predictions below.
    for (predictor,) in booster._predictors:
        nodes = predictor.nodes
        trees.append(
            Tree(
                tuple(int(f) if not leaf else -1 for f, leaf in zip(nodes["feature_idx"], nodes["is_leaf"])),
                tuple(float(t) for t in nodes["num_threshold"]),
                tuple(int(v) for v in nodes["left"]),
                tuple(int(v) for v in nodes["right"]),
                tuple(float(v) for v in nodes["value"]),
            )
        )
    zeros = tuple(0.0 for _ in form.features)
    model = ReaderModel(
        form.features,
        zeros,
        tuple(1.0 for _ in form.features),
        zeros,
        float(booster._baseline_prediction[0][0]),
        0.0,
        {},
        tuple(trees),
    )
    sample = x[:: max(1, len(x) // 2000)]
    if not np.allclose(model.probabilities(sample), booster.predict_proba(sample)[:, 1], atol=1e-6):
        raise RuntimeError("the copied trees score otherwise than sklearn's: this sklearn stores its trees differently")
    return model


# The forms validation chooses among (see eval/results/reader/README.md): the logistic model
# on the features it had (with and without the generated questions, where --generated gives
# any), with the parse's and the unit's features, and with the sentence's embedding similarity
# too; a stronger regularisation; the same linear form learned to rank; two sizes of boosted
# trees (without the embedding similarity, which never paid its 100 ms).
#
# None reads a passage's fused score relative to the top one: the pools rank by BM25 alone
# (eval.pools), where it spans a few hundredths, while behind hybrid retrieval it spans half
# its range, so a weight learned on the first is extrapolated far on the second (a pool-learned
# weight of -0.38 on a spread of 0.02 made the sample's third passage outscore its first).
_POOL_BLIND = ("passage_score",)
_SEMANTIC = ("semantic", "semantic_share")
_READABLE = tuple(n for n in WITHOUT_SUPPORT if n not in _POOL_BLIND)
_FIRST_FEATURES = tuple(n for n in _READABLE if n not in ("head_tie", "measure", *_SEMANTIC))
_PARSED = tuple(n for n in _READABLE if n not in _SEMANTIC)
FORMS = (
    Form("logistic", _FIRST_FEATURES),
    Form("logistic", _FIRST_FEATURES, generated=False),
    Form("logistic", _PARSED),
    Form("logistic", _READABLE),
    Form("logistic", _PARSED, c=0.1),
    Form("listwise", _PARSED),
    Form("boosted", _PARSED, trees=100, leaves=7, learning_rate=0.1),
    Form("boosted", _PARSED),
)
# With --support, the forms above are measured beside these, which read the support model.
_SUPPORTED = (*_PARSED, *SUPPORT_FEATURES)
SUPPORT_FORMS = (Form("logistic", _SUPPORTED), Form("listwise", _SUPPORTED), Form("boosted", _SUPPORTED))
# Shares of right answers a threshold could keep instead, measured beside the answerability
# rule for each form; reported, not chosen among.
KEEPS = (0.9, 0.97)


def choose(
    rows: list[QuestionRows],
    validate_from: str,
    forms=FORMS,
    keeps=KEEPS,
    progress: bool = True,
    generated: Sequence[QuestionRows] = (),
) -> dict:
    """Each form learned on the questions before ``validate_from`` and measured on the rest; the best named.

    The best form is the one whose top candidate contains a gold answer most often
    (``contains_always``: the ranking, before any abstention); with ``generated`` questions,
    the mean of that share over the asked questions and over the generated ones, since a
    reader must answer both the quiz's paraphrases and a user's echo of the news. Among
    forms within a hundredth of the best, the first listed (the simplest). Its abstention
    rule is then the one (answerability, :func:`threshold_at`, or a share of right answers
    kept) whose answers to the asked questions contain a gold answer most often,
    abstentions counting as wrong.
    """
    import time

    learn = [r for r in rows if r.date < validate_from]
    held = [r for r in rows if r.date >= validate_from]
    taught = [r for r in generated if r.date < validate_from]
    echoes = [r for r in generated if r.date >= validate_from]
    if not learn or not held:
        raise InputError(
            f"--validate-from {validate_from}: leaves no questions on one side; give a date inside the set"
        )
    tried = []
    for form in forms:
        started = time.perf_counter()
        teaching = taught if form.generated else ()
        model = _fitted(learn, teaching, form)
        seconds = time.perf_counter() - started
        tops = calibration_tops(learn, teaching, form)
        for keep in (None, *keeps):
            rule = dataclasses.replace(form, keep=keep)
            threshold = threshold_at(tops, keep)
            answering = dataclasses.replace(model, threshold=threshold)
            figures = validation_figures(answering, held)
            if echoes:
                figures["generated"] = validation_figures(answering, echoes)
            entry = {"form": str(rule), "fit_seconds": round(seconds, 1), "threshold": round(threshold, 4)}
            tried.append(entry | figures | {"_form": rule})
            if progress:
                print(
                    f"{rule}: contains {figures['contains']} (always {figures['contains_always']}), "
                    f"abstentions answer absent {figures['abstentions_answer_absent']}, "
                    f"multiple choice {figures.get('multiple_choice')}"
                    + (f", generated {figures['generated']['contains_always']}" if echoes else ""),
                    flush=True,
                )

    def ranking(t: dict) -> float:
        shares = [t["contains_always"][0], *([t["generated"]["contains_always"][0]] if echoes else [])]
        return float(np.mean(shares))

    learned_rule = [t for t in tried if t["_form"].keep is None]
    top = max(ranking(t) for t in learned_rule)
    form = next(t for t in learned_rule if ranking(t) >= top - 0.01)["_form"]
    rules = [t for t in tried if dataclasses.replace(t["_form"], keep=None) == form]
    best = max(rules, key=lambda t: t["contains"][0])  # the first (answerability) where they tie
    return {
        "learned_from": len(learn),
        "validated_on": len(held),
        "generated_learned_from": len(taught),
        "generated_validated_on": len(echoes),
        "validate_from": validate_from,
        "tried": [{k: v for k, v in t.items() if k != "_form"} for t in tried],
        "chosen": best["form"],
        "_form": best["_form"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--questions", type=Path, action="append", required=True, help="questions as people ask them (repeatable)"
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--corpus", type=Path, help="the articles, as jsonl: questions are read in what an index finds")
    where.add_argument(
        "--pools",
        type=Path,
        help="the search results of --questions (realtimeqa-train's corpus.jsonl.gz): each question is read in its own",
    )
    parser.add_argument(
        "--generated",
        type=Path,
        action="append",
        default=[],
        help="`newsqa eval generate --kind wh` questions: they teach the weights, not the threshold; "
        "with --pools, made from its articles and read in their search results",
    )
    parser.add_argument(
        "--validate-from",
        metavar="DATE",
        help="with --pools: choose the form on the questions of this date and later, learned from the earlier ones",
    )
    parser.add_argument(
        "--rows",
        type=Path,
        help="with --pools: keep the described candidates here (each --generated set's beside them, "
        "as ROWS-SET.npz), and reuse them",
    )
    parser.add_argument("--workers", type=int, default=1, help="with --pools: processes reading the pools side by side")
    parser.add_argument("--report", type=Path, help="write the validation figures of every form here (JSON)")
    parser.add_argument("--out", type=Path, default=Path("rag/extractive/reader_model.json"))
    parser.add_argument(
        "--support",
        action="store_true",
        help="with --pools: learn the support model (a cross-encoder, ~20 minutes more) and measure forms reading it",
    )
    parser.add_argument(
        "--support-out",
        type=Path,
        default=Path("rag/extractive/support_model.onnx"),
        help="with --support: where the support model goes",
    )
    args = parser.parse_args(argv)
    for path in [args.corpus or args.pools, *args.questions, *args.generated]:
        if not path.is_file():
            parser.error(f"{path}: no such file")
    if args.validate_from and not args.pools:
        parser.error("--validate-from goes with --pools")
    settings = Settings()
    names = [relative_path(path) for path in [*args.questions, *args.generated]]
    if args.pools:
        if len(args.questions) != 1:
            parser.error("--pools reads one question set, the one its search results belong to")
        question_set, search_results = args.questions[0], args.pools
        asked = pooled_rows(pools(question_set, search_results, settings), settings, args.rows, args.workers)
        generated = [
            row
            for path in args.generated
            for row in pooled_rows(
                generated_pools(path, question_set, search_results, settings),
                settings,
                args.rows and args.rows.with_name(f"{args.rows.stem}-{path.stem}.npz"),
                args.workers,
            )
        ]
        form = Form()
        trained_on: dict = {"question_sets": names, "read_in": f"their own pools ({relative_path(args.pools)})"}
        forms: tuple[Form, ...] = FORMS
        support_figures: dict = {}
        workspace = tempfile.TemporaryDirectory()
        support_graph = Path(workspace.name) / "support.onnx"
        if args.support:
            scores, taught, support_figures = learn_support(
                support_pools(args.questions[0], args.pools, settings), args.validate_from, support_graph
            )
            asked = with_support([r for r in asked if r.question_id not in taught], scores)
            forms = (*FORMS, *SUPPORT_FORMS)
        if args.validate_from:
            report = choose(asked, args.validate_from, forms, generated=generated) | {"support_model": support_figures}
            form = report.pop("_form")
            counts = ("learned_from", "validated_on", "generated_learned_from", "generated_validated_on")
            trained_on["validation"] = {k: report[k] for k in ("validate_from", *counts)}
            if args.report:
                args.report.parent.mkdir(parents=True, exist_ok=True)
                args.report.write_text(json.dumps(report, indent=2) + "\n")
        if reads_support(form.features):
            shutil.copyfile(support_graph, args.support_out)
            trained_on["support_model"] = relative_path(args.support_out)
    else:
        asked, generated = _index_rows(args.corpus, args.questions, args.generated, settings)
        form = Form()
        trained_on = {"question_sets": names}
    model = fit(asked, trained_on, generated, form)
    args.out.write_text(model.to_json() + "\n")
    print(
        f"{args.out}: {form}, from {len(asked)} + {len(generated)} generated questions, threshold {model.threshold:.3f}"
    )


def _index_rows(
    corpus: Path, questions: list[Path], generated: list[Path], settings: Settings
) -> tuple[list[QuestionRows], list[QuestionRows]]:
    """The rows of questions read in what an index of ``corpus`` retrieves for them, as ``newsqa ask`` would."""
    from index import ingest
    from rag.retrieval.retriever import build_retriever, open_index

    ingest([corpus], settings, progress=True)
    index = open_index(settings)
    retriever = build_retriever(index, settings.retrieval, k=RETRIEVAL_DEPTH)
    reader = Reader(index.embedder, settings.answer)

    def search(question: Question) -> tuple[Query, list[Passage]]:
        query = index.query(question.question)
        return query, index.distinct(retriever.invoke(query), settings.retrieval.k)

    def rows_of(path: Path) -> list[QuestionRows]:
        return collect_all(reader, load_questions(path), search, path.name)

    return [row for path in questions for row in rows_of(path)], [row for path in generated for row in rows_of(path)]


if __name__ == "__main__":
    main()
