"""Tune the recency prior: article-level hit@5 of hybrid retrieval over a grid of weights and half-lives.

    python -m eval.tune_recency --questions Q.jsonl --data-dir DIR

Every question is asked as of its own date (nothing later is read), as in
``newsqa eval run --as-of-question-date``; the grid's first row, weight 0, is the same
setting without the prior. Two numbers tuned on a question set of a hundred: prefer a
broad plateau over the single best cell.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from eval.data import load_questions
from eval.metrics import hit_at_k
from newsqa.settings import Settings
from rag.retrieval.retriever import build_retriever, open_index
from rag.retrieval.when import resolve_time

WEIGHTS = (0.0, 0.5, 1.0, 2.0, 4.0)
HALF_LIVES = (2.0, 4.0, 7.0, 14.0, 30.0)


def tune(questions_path: Path, settings: Settings) -> dict[tuple[float, float], float]:
    index = open_index(settings)
    questions = [q for q in load_questions(questions_path) if q.asked()]
    queries = []
    for q in questions:
        as_of = q.asked()
        assert as_of is not None
        queries.append(index.query(q.question, as_of=as_of, time_range=resolve_time(q.question, as_of.date())))
    grid = {}
    for weight in WEIGHTS:
        for half_life in HALF_LIVES if weight else HALF_LIVES[:1]:
            retrieval = settings.retrieval.model_copy(
                update={"recency_weight": weight, "recency_half_life_days": half_life}
            )
            retriever = build_retriever(index, retrieval, k=30)
            hits = [
                hit_at_k([p.article_id for p in retriever.invoke(query)], set(q.gold_doc_ids), 5)
                for q, query in zip(questions, queries)
            ]
            grid[(weight, half_life)] = float(np.mean(hits))
    return grid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True, help="an index that holds the questions' corpus")
    args = parser.parse_args()
    settings = Settings().with_data_dir(args.data_dir)
    print("weight  half-life  hit@5")
    for (weight, half_life), value in tune(args.questions, settings).items():
        print(f"{weight:6.1f}  {half_life:9.1f}  {value:.3f}")
    current = settings.retrieval
    print(f"current setting: weight {current.recency_weight}, half-life {current.recency_half_life_days} days")


if __name__ == "__main__":
    main()
