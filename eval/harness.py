"""The evaluation harness: retrieval, answers, citations, abstention and latency on any jsonl corpus.

    from eval.harness import EvalConfig, run_eval
    run = run_eval(Path("corpus.jsonl"), Path("questions.jsonl"), settings, EvalConfig())

Every run scores, for each question:

* retrieval at article level for hybrid, dense-only and BM25-only over the same index
  (hit@1/3/5/10, MRR@10, nDCG@10);
* the configured engine's answer (EM and token F1 under SQuAD's and the RealTime QA
  paper's normalisation, containment), a lead-sentence baseline, and the upper bound
  (the gold answer appears somewhere in the retrieved passages);
* multiple choice, where questions carry choices: the choice the reader scores highest,
  each read as a candidate answer in the question's passages and in those found for the
  question with that choice;
* citation precision (quotes that contain the gold answer) and recall (answered
  questions with at least one such quote);
* abstention: each question is asked again with its gold articles left out of
  retrieval, a case the engine should abstain on;
* latency per stage.

It writes a folder holding ``results.json`` (per-question records and aggregates with
95% bootstrap intervals), ``metrics.json`` (the same numbers without any text of the
corpus or questions, fit to publish), ``report.md`` and PNG plots.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import get_args

import numpy as np

from eval import metrics as m
from eval.data import Question, load_questions, read_corpus, relative_path
from eval.train_reader import collect_all, fit, fold_of
from index import ingest, open_store
from newsqa.errors import InputError
from newsqa.settings import Settings
from newsqa.text import strip_markers
from newsqa.timing import Timer
from newsqa.types import Answer, Engine, Filters, Passage, Query, RetrievalMode
from rag.extractive.pool import Reader
from rag.generative.verify import split_claims
from rag.nlp.sentences import split_sentences
from rag.policy import AnsweringPolicy
from rag.retrieval.retriever import build_retriever, open_index
from rag.retrieval.when import resolve_time

RANK_DEPTH = 10
RETRIEVAL_MODES: tuple[RetrievalMode, ...] = get_args(RetrievalMode)
ENGINES: tuple[Engine, ...] = get_args(Engine)
# Published reference on exactly the 112 realtimeqa-dev questions (RealTime QA, Kasai et al.,
# NeurIPS 2023), recomputed from the authors' prediction files, under the paper's normalisation.
# Reports show it only for that question set, recognised by the hash of its sorted question ids.
PAPER_REFERENCE = {
    "GPT-3 175B + Google top-5": {"mc_accuracy": 0.821, "em_paper": 0.339, "f1_paper": 0.499},
    "RAG (BART)": {"mc_accuracy": 0.607, "em_paper": 0.312, "f1_paper": 0.399},
}
PAPER_QUESTION_SET = "0275dc822da66ac9"


def question_set_id(questions: list[Question]) -> str:
    """A short fingerprint of a question set: the hash of its sorted question ids."""
    return hashlib.sha256("\n".join(sorted(q.id for q in questions)).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class EvalConfig:
    """What is evaluated: retrieval mode, passages per answer, the question-date window."""

    mode: RetrievalMode = "hybrid"
    k: int = 5
    date_window: bool = False
    as_of_question_date: bool = False
    limit: int | None = None
    abstention: bool = True
    engine: Engine = "extractive"
    folds: int = 0
    # Questions of another set (e.g. ``eval generate --kind wh`` output) that every fold's
    # reader also learns from; none of them is evaluated.
    train_questions: str | None = None

    def __post_init__(self) -> None:
        if self.folds == 1 or self.folds < 0:
            raise InputError(f"--folds {self.folds}: give 0 (the shipped reader model) or at least 2 folds")
        if self.train_questions and not self.folds:
            raise InputError("--train-questions teaches the readers of a cross-validation; give --folds too")

    @property
    def name(self) -> str:
        return (
            f"{self.engine}-{self.mode}-k{self.k}"
            + ("-week" if self.date_window else "")
            + ("-asof" if self.as_of_question_date else "")
            + (f"-cv{self.folds}" if self.folds else "")
        )


def _prediction(result: Answer) -> str:
    if result.abstained:
        return ""
    return result.short_answer or strip_markers(result.text)


def _choose(question: Question, passages: list[Passage], policy: AnsweringPolicy, query: Query, search) -> str | None:
    """The choice the reader scores highest, each choice read as a candidate answer.

    Each is read in the question's passages and in those ``search`` finds for the question
    with that choice, as a reader checking an option would: an option the question's own
    five passages never name is otherwise a guess.
    """
    if not question.choices:
        return None
    scores = []
    for choice in question.choices:
        found = search(f"{question.question} {choice}")
        read_in = list({p.id: p for p in [*passages, *found]}.values())
        reading = policy.extractive.read(question.question, read_in, query.as_of, (choice,))
        scores.append(reading.choices[0].score if reading.choices else 0.0)
    return question.choices[int(np.argmax(scores))]


def _raw_citation_support(result: Answer, passages: list[Passage], answers) -> list[float]:
    """Before verification: does each passage the LLM cited contain the gold answer?"""
    if not result.raw_text:
        return []
    cited = [n for _, numbers in split_claims(result.raw_text) for n in numbers]
    return [m.contains_answer(passages[n - 1].text, answers) if 0 < n <= len(passages) else 0.0 for n in cited]


def _query(question: Question, config: EvalConfig, index) -> Query:
    filters = Filters()
    if config.date_window and (window := question.window()):
        since, until = window
        filters = Filters(since=since, until=until)
    as_of = question.asked() if config.as_of_question_date else None
    return index.query(
        question.question,
        filters=filters,
        as_of=as_of,
        time_range=resolve_time(question.question, as_of.date()) if as_of else None,
    )


def _record(question: Question, config: EvalConfig, index, policy: AnsweringPolicy, retrievers) -> dict:
    gold = set(question.gold_doc_ids)
    timer = Timer()
    query = _query(question, config, index)
    filters = query.filters
    embed_ms = timer.ms
    record: dict = {"id": question.id, "question": question.question, "answers": list(question.answers)}
    passages_by_mode = {}
    for mode in RETRIEVAL_MODES:
        timer = Timer()
        passages = retrievers[mode].invoke(query)
        elapsed = timer.ms
        ranking = [p.article_id for p in passages]
        passages_by_mode[mode] = passages
        record[f"{mode}_ranking"] = m.dedupe(ranking)[:RANK_DEPTH]
        for k in (1, 3, 5, 10):
            record[f"{mode}_hit@{k}"] = m.hit_at_k(ranking, gold, k)
        record[f"{mode}_mrr@10"] = m.mrr_at_k(ranking, gold, 10)
        record[f"{mode}_ndcg@10"] = m.ndcg_at_k(ranking, gold, 10)
        if mode == config.mode:
            record["retrieval_ms"] = embed_ms + elapsed
    passages = index.distinct(passages_by_mode[config.mode], config.k)
    timer = Timer()
    result = policy.answer(question.question, query, passages)
    record["answer_ms"] = timer.ms
    if config.engine == "llm":
        record["raw_citation_supported"] = _raw_citation_support(result, passages, question.answers)
        record["llm_raw_text"] = result.raw_text
        record["llm_notice"] = result.notice
        record["unsupported_sentences"] = result.unsupported
    prediction = _prediction(result)
    record.update(
        prediction=prediction,
        answer_text=result.text,
        abstained=result.abstained,
        citations=[c.quote for c in result.citations],
    )
    record.update(_answer_scores("", prediction, question.answers))
    if "generated_swapped" in question.meta:
        record.update(conflict_scores(result.text, question.answers, question.meta["generated_swapped"]))
    lead_sentences = split_sentences(passages[0]) if passages else []
    lead = lead_sentences[0].text if lead_sentences else ""
    record["lead_prediction"] = lead
    record.update(_answer_scores("lead_", lead, question.answers))
    record["upper_bound"] = m.contains_answer(" ".join(p.text for p in passages), question.answers)
    supporting = [m.contains_answer(quote, question.answers) for quote in record["citations"]]
    record["citation_supported"] = supporting
    record["has_supporting_citation"] = float(any(supporting)) if not result.abstained else None
    if question.choices:

        def search(text: str) -> list[Passage]:
            searched = index.query(text, filters=query.filters, as_of=query.as_of, time_range=query.time_range)
            return index.distinct(retrievers[config.mode].invoke(searched), config.k)

        choice = _choose(question, passages, policy, query, search)
        record["mc_choice"] = choice
        record["mc_correct"] = m.exact_match(choice or "", question.answers)
    if config.abstention and gold:
        held_out = filters.model_copy(update={"exclude_articles": tuple(gold)})
        others = retrievers[config.mode].invoke(query.model_copy(update={"filters": held_out}))
        held_out_passages = index.distinct(others, config.k)
        unanswerable = policy.answer(question.question, query, held_out_passages)
        record["abstained_without_gold"] = unanswerable.abstained
        # Other articles of the same story often still hold the answer: abstaining there is no virtue.
        record["answer_without_gold"] = m.contains_answer(" ".join(p.text for p in held_out_passages), question.answers)
    return record


def conflict_scores(text: str, answers, swapped: str) -> dict:
    """For a question of a conflict set: whether the answer names both sides, or only the swapped one."""
    original = m.contains_answer(text, answers) > 0
    other = m.contains_answer(text, [swapped]) > 0
    return {"conflict_both": float(original and other), "conflict_swapped_only": float(other and not original)}


def _cross_validated(
    questions, config: EvalConfig, settings: Settings, index, retrievers, progress: bool
) -> list[dict]:
    """Records where each question is answered by a reader trained without its fold."""
    from tqdm import tqdm

    reader = Reader(index.embedder, settings.answer)

    def search(question: Question) -> tuple[Query, list[Passage]]:
        query = _query(question, config, index)
        return query, index.distinct(retrievers[config.mode].invoke(query), config.k)

    asked = collect_all(reader, questions, search, "reader features", progress)
    rows = {question.id: row for question, row in zip(questions, asked)}
    extra = (
        collect_all(reader, load_questions(Path(config.train_questions)), search, "training questions", progress)
        if config.train_questions
        else []
    )
    records = []
    for fold in range(config.folds):
        held_out = [q for q in questions if fold_of(q.id, config.folds) == fold]
        training = [rows[q.id] for q in questions if fold_of(q.id, config.folds) != fold]
        model = fit(training, {"fold": fold, "folds": config.folds}, extra)
        policy = AnsweringPolicy(index.embedder, settings.model_copy(update={"engine": config.engine}), model)
        for question in tqdm(held_out, desc=f"fold {fold + 1}/{config.folds}", unit="q", disable=not progress):
            records.append(_record(question, config, index, policy, retrievers) | {"fold": fold})
    order = {q.id: i for i, q in enumerate(questions)}
    return sorted(records, key=lambda r: order[r["id"]])


def _answer_scores(prefix: str, prediction: str, answers) -> dict:
    return {
        f"{prefix}em": m.exact_match(prediction, answers),
        f"{prefix}f1": m.token_f1(prediction, answers),
        f"{prefix}em_paper": m.exact_match(prediction, answers, m.normalize_paper),
        f"{prefix}f1_paper": m.token_f1(prediction, answers, m.normalize_paper),
        f"{prefix}contains": m.contains_answer(prediction, answers) if prediction else 0.0,
    }


def aggregate(records: list[dict]) -> dict:
    """Mean and 95% bootstrap interval of every per-question metric, plus derived rates."""
    keys = [k for k, v in records[0].items() if isinstance(v, float) and not k.endswith("_ms")]
    keys += [k for k in ("mc_correct",) if k not in keys and any(k in r for r in records)]
    summary: dict = {}
    for key in dict.fromkeys(keys):
        values = [r[key] for r in records if isinstance(r.get(key), float)]
        if values:
            mean, low, high = m.bootstrap_ci(values)
            summary[key] = {"mean": mean, "low": low, "high": high, "n": len(values)}
    answered = [r for r in records if not r["abstained"]]
    citations = [s for r in answered for s in r["citation_supported"]]
    if citations:
        summary["citation_precision"] = dict(zip(("mean", "low", "high"), m.bootstrap_ci(citations)), n=len(citations))
    if any("llm_raw_text" in r for r in records):
        raw = [s for r in records for s in r["raw_citation_supported"]]
        summary["citation_precision_unverified"] = (
            dict(zip(("mean", "low", "high"), m.bootstrap_ci(raw)), n=len(raw))
            if raw
            else {"mean": float("nan"), "n": 0}
        )
        summary["llm"] = {
            "replies": len(records),
            "replies_citing_nothing": sum(1 for r in records if r["llm_raw_text"] and not r["raw_citation_supported"]),
            "fell_back_to_extractive": sum(1 for r in records if r["llm_notice"]),
            "sentences_dropped_unsupported": sum(len(r["unsupported_sentences"]) for r in records),
            "sentences_kept": sum(len(r["citations"]) for r in records if not r["llm_notice"]),
        }
    recall = [r["has_supporting_citation"] for r in answered]
    if recall:
        summary["citation_recall"] = dict(zip(("mean", "low", "high"), m.bootstrap_ci(recall)), n=len(recall))
    if any("abstained_without_gold" in r for r in records):
        # Positives: the held-out cases, which should abstain; negatives: the normal cases.
        true_pos = [float(r["abstained_without_gold"]) for r in records if "abstained_without_gold" in r]
        false_pos = sum(r["abstained"] for r in records)
        abstentions = sum(true_pos) + false_pos
        summary["abstention_recall"] = dict(zip(("mean", "low", "high"), m.bootstrap_ci(true_pos)), n=len(true_pos))
        summary["abstention_precision"] = {
            "mean": sum(true_pos) / abstentions if abstentions else float("nan"),
            "n": int(abstentions),
        }
        summary["abstention_rate_answerable"] = {"mean": false_pos / len(records), "n": len(records)}
        absent = [float(r["abstained_without_gold"]) for r in records if r.get("answer_without_gold") == 0.0]
        if absent:
            summary["abstention_recall_answer_absent"] = dict(
                zip(("mean", "low", "high"), m.bootstrap_ci(absent)), n=len(absent)
            )
        # Whichever case an abstention came in, what was read tells whether it was warranted.
        warranted = [float(not r["answer_without_gold"]) for r in records if r.get("abstained_without_gold")]
        warranted += [float(not r["upper_bound"]) for r in records if r["abstained"]]
        if warranted:
            summary["abstentions_answer_absent"] = {"mean": sum(warranted) / len(warranted), "n": len(warranted)}
    for stage in ("retrieval_ms", "answer_ms"):
        values = [r[stage] for r in records]
        summary[stage] = {"p50": m.percentile(values, 50), "p95": m.percentile(values, 95), "n": len(values)}
    return summary


def gold_warnings(questions: list[Question], corpus_ids: set[str]) -> list[str]:
    """What makes retrieval figures meaningless for some questions: no gold article, or one outside the corpus."""
    without = [q.id for q in questions if not q.gold_doc_ids]
    outside = [q.id for q in questions if q.gold_doc_ids and not q.gold_doc_ids & corpus_ids]
    warnings = []
    if without:
        warnings.append(f"{len(without)} questions name no gold article (gold_doc_ids); their hit@k is 0")
    if outside:
        shown = ", ".join(outside[:5]) + (" …" if len(outside) > 5 else "")
        warnings.append(
            f"{len(outside)} questions have gold articles missing from the corpus ({shown}); their hit@k is 0"
        )
    return warnings


def run_eval(
    corpus: Path,
    questions_path: Path,
    settings: Settings,
    config: EvalConfig,
    *,
    out_root: Path = Path("eval/runs"),
    progress: bool = True,
) -> Path:
    """Index ``corpus`` (unchanged articles are skipped), evaluate, and write the run folder."""
    from tqdm import tqdm

    questions = load_questions(questions_path)[: config.limit]
    warnings = gold_warnings(questions, {row["id"] for row in read_corpus(corpus)})
    report = ingest([corpus], settings, progress=progress)
    ingestion = {
        "seconds": report.seconds,
        "chunks_added": report.chunks_added,
        "chunks_per_s": report.chunks_added / report.seconds if report.chunks_added else None,
        "fresh": report.unchanged == 0,
        "chunks": open_store(settings).count(),
    }
    index = open_index(settings)
    policy = AnsweringPolicy(index.embedder, settings.model_copy(update={"engine": config.engine}))
    depth = max(3 * RANK_DEPTH, config.k)
    retrievers = {mode: build_retriever(index, settings.retrieval, k=depth, mode=mode) for mode in RETRIEVAL_MODES}
    timer = Timer()
    if config.folds:
        records = _cross_validated(questions, config, settings, index, retrievers, progress)
        trained_on = "the other folds of this question set" + (
            f" and {Path(config.train_questions).name}" if config.train_questions else ""
        )
        reader = {"folds": config.folds, "reader_trained_on": trained_on}
    else:
        records = [
            _record(q, config, index, policy, retrievers)
            for q in tqdm(questions, desc="questions", unit="q", disable=not progress)
        ]
        reader = {"reader_trained_on": policy.extractive.model.trained_on}
    summary = aggregate(records)
    folder = out_root / f"{datetime.now():%Y%m%d-%H%M%S}-{config.name}"
    folder.mkdir(parents=True, exist_ok=True)
    question_set = question_set_id(questions)
    result = {
        "config": asdict(config)
        | reader
        | ({"train_questions": relative_path(Path(config.train_questions))} if config.train_questions else {}),
        "corpus": relative_path(corpus),
        "questions": relative_path(questions_path),
        "question_set": question_set,
        "n_questions": len(records),
        "ingestion": ingestion,
        "eval_seconds": timer.seconds,
        "summary": summary,
        "paper_reference": PAPER_REFERENCE if question_set == PAPER_QUESTION_SET else {},
        "warnings": warnings,
        "records": records,
    }
    (folder / "results.json").write_text(json.dumps(result, indent=2, default=str))
    numbers = {key: value for key, value in result.items() if key != "records"}
    numbers["per_question"] = [
        {k: v for k, v in r.items() if k == "id" or isinstance(v, float | bool | int)} for r in records
    ]
    # metrics.json holds no text from the corpus or the questions, so it can be shared and committed.
    (folder / "metrics.json").write_text(json.dumps(numbers, indent=2, default=str))
    from eval.report import write_report

    write_report(folder, result)
    return folder


def load_run(folder: Path) -> dict:
    """A run's results, or its published numbers where only metrics.json was kept."""
    folder = Path(folder)
    full = folder / "results.json"
    return json.loads((full if full.is_file() else folder / "metrics.json").read_text())


def _mean(summary: dict, key: str) -> float:
    return summary.get(key, {}).get("mean", float("nan"))


def compare_runs(folders: list[Path]) -> str:
    """A Markdown table of the headline metrics of several runs, with deltas to the first."""
    runs = [load_run(f) for f in folders]
    keys = [
        "hybrid_hit@5",
        "dense_hit@5",
        "bm25_hit@5",
        "hybrid_mrr@10",
        "em",
        "f1",
        "em_paper",
        "f1_paper",
        "contains",
        "lead_f1",
        "upper_bound",
        "mc_correct",
        "citation_precision",
        "citation_recall",
        "abstention_recall",
        "abstention_precision",
    ]
    names = [Path(f).name for f in folders]
    lines = ["| metric | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for key in keys:
        values = [_mean(r["summary"], key) for r in runs]
        if all(np.isnan(v) for v in values):
            continue
        cells = [f"{values[0]:.3f}"] + [f"{v:.3f} ({v - values[0]:+.3f})" for v in values[1:]]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
